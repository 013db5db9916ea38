"""FSDD data preparation (corpus/fsdd.py, bin/make_fsdd_data.py) on a fake corpus in FSDD's
layout: the checks of the corpus dir, the leave-one-speaker-out folds, the connected-digit
test set and the CLI's exit codes."""

import json
import random
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from pykaldi_distill.bin import make_fsdd_data
from pykaldi_distill.corpus import fsdd
from pykaldi_distill.errors import InputError

SPEAKERS = ("alice", "bob", "carol")


def write_wav(path: Path, samples: np.ndarray, rate: int = fsdd.RATE, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def fake_fsdd(root: Path, speakers=SPEAKERS, per_digit: int = 2) -> Path:
    """recordings/<digit>_<speaker>_<index>.wav: 0.3 s of a tone over low noise each."""
    rng = np.random.default_rng(0)
    rec = root / "recordings"
    rec.mkdir(parents=True)
    t = np.arange(int(0.3 * fsdd.RATE)) / fsdd.RATE
    for speaker in speakers:
        for digit in range(10):
            for index in range(per_digit):
                tone = 3000 * np.sin(2 * np.pi * (200 + 50 * digit) * t) * np.hanning(len(t))
                write_wav(rec / f"{digit}_{speaker}_{index}.wav",
                          tone + rng.normal(0, 30, len(t)))
    return root


def test_scan_finds_every_recording(tmp_path: Path) -> None:
    recordings = fsdd.scan_corpus(fake_fsdd(tmp_path))
    assert len(recordings) == 60 and fsdd.speakers_of(recordings) == list(SPEAKERS)
    first = min(recordings, key=lambda r: r.utt_id)
    assert first.utt_id == "alice-0-000" and first.path.is_absolute()


@pytest.mark.parametrize("damage, message", [
    (lambda root: None, "does not exist"),
    (lambda root: (root / "README.md").parent.mkdir() or (root / "README.md").write_text("x"),
     "has no recordings/ directory (found: README.md)"),
    (lambda root: (root / "recordings").mkdir(parents=True) or
     (root / "recordings" / "zero-george.wav").write_bytes(b""),
     "holds no file named like recordings/<digit>_<speaker>_<index>.wav"),
])
def test_scan_names_a_wrong_corpus_dir(tmp_path: Path, damage, message: str) -> None:
    root = tmp_path / "fsdd"
    damage(root)
    with pytest.raises(InputError, match=re.escape(message)):
        fsdd.scan_corpus(root)


def test_scan_names_an_incomplete_or_bad_corpus(tmp_path: Path) -> None:
    root = fake_fsdd(tmp_path / "a")
    for index in range(2):
        (root / "recordings" / f"7_bob_{index}.wav").unlink()
    with pytest.raises(InputError, match=r"speaker 'bob' has no recording of digit\(s\) 7 "
                       r"\(expected 7_bob_<index>.wav\)"):
        fsdd.scan_corpus(root)
    two = fake_fsdd(tmp_path / "b", speakers=("alice", "bob"))
    with pytest.raises(InputError, match="has 2 speaker.*at least 3"):
        fsdd.scan_corpus(two)
    wide = fake_fsdd(tmp_path / "c")
    write_wav(wide / "recordings" / "3_carol_1.wav", np.zeros(800), rate=16000)
    with pytest.raises(InputError, match=r"3_carol_1.wav: is 16000 Hz.*FSDD files are 8000 Hz"):
        fsdd.scan_corpus(wide)


def test_rotation_holds_out_whole_speakers() -> None:
    folds = fsdd.rotation(["carol", "alice", "dave", "bob"])
    assert [f.test for f in folds] == ["alice", "bob", "carol", "dave"]
    assert [f.dev for f in folds] == ["bob", "carol", "dave", "alice"]
    for fold in folds:
        assert fold.test not in fold.train and fold.dev not in fold.train
        assert len(fold.train) == 2


def test_select_keeps_the_first_recordings_of_each_digit(tmp_path: Path) -> None:
    recordings = fsdd.scan_corpus(fake_fsdd(tmp_path, per_digit=3))
    kept = fsdd.select(recordings, 2)
    assert len(kept) == 3 * 10 * 2 and {r.index for r in kept} == {0, 1}
    assert fsdd.select(recordings, None) == recordings


def test_splice_puts_the_speakers_own_noise_between_words() -> None:
    rng = random.Random(0)
    noise = fsdd.quiet_frames([np.r_[np.full(800, 5.0), np.full(800, 1000.0)]])
    assert noise.shape == (2, fsdd.FRAME) and np.all(noise == 5.0)  # the quietest 10 %
    word = np.full(2000, 1000.0, dtype=np.float32)
    out = fsdd.splice([word, word], noise, rng)
    low, high = fsdd.PAUSE_SECONDS
    gaps = len(out) - 2 * len(word)
    assert 4 * low * fsdd.RATE - 4 * fsdd.FADE <= gaps <= 5 * high * fsdd.RATE
    quiet = out[np.abs(out) < 10]
    assert len(quiet) and np.allclose(quiet, 5.0)  # pauses are noise, never digital silence
    assert not np.any(out == 0.0)


def test_prepare_writes_folds_connected_sets_and_lm_text(tmp_path: Path) -> None:
    root = fake_fsdd(tmp_path / "fsdd")
    out = tmp_path / "folds"
    config = fsdd.FsddConfig(per_digit=1, connected=4, test_speakers=("bob",), seed=3)
    dirs = fsdd.prepare_fsdd(root, out, config)
    assert list(dirs) == ["bob"]
    fold = dirs["bob"]
    assert set(fold) == {"train", "dev", "test", "dev_connected", "test_connected"}
    assert set(fold["train"].utt2spk.values()) == {"alice"}
    assert set(fold["dev"].utt2spk.values()) == {"carol"}
    assert fold["test"].text["bob-3-000"] == "THREE"
    connected = (out / "bob" / "test_connected" / "text").read_text().splitlines()
    assert len(connected) == 4
    for line in connected:
        utt, *words = line.split()
        assert utt.startswith("bob-c") and 3 <= len(words) <= 7
        assert set(words) <= set(fsdd.WORDS)
    wav_scp = (out / "bob" / "dev_connected" / "wav.scp").read_text().split()
    assert Path(wav_scp[1]).is_file() and "/wav/carol/" in wav_scp[1]
    lm = (out / "lm_text").read_text().splitlines()
    assert len(lm) == fsdd.LM_SENTENCES and set(lm[0].split()[1:]) <= set(fsdd.WORDS)
    stamp = json.loads((out / "corpus.json").read_text())
    assert stamp["folds"] == {"bob": {"dev": "carol", "train": ["alice"]}}
    before = (out / "corpus.json").stat().st_mtime_ns
    again = fsdd.prepare_fsdd(root, out, config)  # complete: nothing is redone
    assert (out / "corpus.json").stat().st_mtime_ns == before
    assert again["bob"]["test_connected"].text == dirs["bob"]["test_connected"].text


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert make_fsdd_data.main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "nowhere: does not exist" in err and "recordings/<digit>_<speaker>_<index>.wav" in err
    root = fake_fsdd(tmp_path / "fsdd")
    assert make_fsdd_data.main(["--test-speakers", "zoe", str(root), str(tmp_path / "o")]) == 1
    assert "no speaker zoe (speakers: alice, bob, carol)" in capsys.readouterr().err
    assert make_fsdd_data.main(["--per-digit", "0", str(root), str(tmp_path / "o")]) == 1
    assert "per_digit must be >= 1" in capsys.readouterr().err
    assert make_fsdd_data.main(["--per-digit", "1", "--connected", "2", str(root),
                                str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "alice" / "test_connected" / "text").is_file()
