"""The synthetic digits corpus: texts, perturbation, TTS engines, end-to-end generation."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from pykaldi_distill.bin import make_digits_corpus as cli
from pykaldi_distill.corpus import digits, perturb, tts
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.errors import InputError

ENGINE_VOICES = ["esp_usm3", "flite_awb", "fest_kal"]


def wav_info(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / 16000


def test_digit_words_valid_and_deterministic() -> None:
    for seed in range(200):
        words = digits.digit_words(random.Random(seed))
        assert digits.MIN_DIGITS <= len(words) <= digits.MAX_DIGITS
        assert set(words) <= set(digits.WORDS)
        assert words == digits.digit_words(random.Random(seed))


def test_plan_is_deterministic_and_kaldi_sorted() -> None:
    plan = digits.plan_corpus("tiny", seed=1)
    assert plan == digits.plan_corpus("tiny", seed=1)
    assert [u.text for u in plan] != [u.text for u in digits.plan_corpus("tiny", seed=2)]
    ids = [u.utt_id for u in plan]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [u.spk for u in plan] == sorted(u.spk for u in plan)
    assert all(u.utt_id.startswith(u.spk + "-") for u in plan)
    words = {w for u in plan for w in u.words}
    assert {"ZERO", "OH"} <= words and all(w.isupper() for w in words)
    # An utterance does not depend on the size of the corpus it is part of.
    small = {u.utt_id: u for u in digits.plan_corpus("small", seed=1)}
    assert all(small[u.utt_id] == u for u in plan)


def test_test_voices_are_held_out_and_span_engines() -> None:
    assert not set(digits.TRAIN_VOICES) & set(digits.TEST_VOICES)
    assert len({tts.VOICES[v].engine for v in digits.TEST_VOICES}) >= 2
    assert len({tts.VOICES[v].engine for v in digits.TRAIN_VOICES}) == len(tts.ENGINES)
    assert set(digits.TRAIN_VOICES) | set(digits.TEST_VOICES) <= set(tts.VOICES)


def test_perturb_params_deterministic_and_in_range() -> None:
    params = [perturb.sample_params(random.Random(seed)) for seed in range(200)]
    assert params == [perturb.sample_params(random.Random(seed)) for seed in range(200)]
    assert all(0.9 <= p.speed <= 1.1 and 15 <= p.snr_db <= 30 for p in params)
    assert {p.noise for p in params} == {"white", "pink"}
    assert 0 < sum(p.reverb is not None for p in params) < 100


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_add_noise_hits_the_snr(kind: str) -> None:
    t = np.arange(16000) / 16000
    speech = np.concatenate([np.zeros(8000), 0.3 * np.sin(2 * np.pi * 300 * t), np.zeros(8000)])
    noisy = perturb.add_noise(speech, kind, snr_db=20.0, seed=3)
    noise = noisy - speech
    snr = 10 * np.log10(np.mean(speech[8000:24000] ** 2) / np.mean(noise**2))
    assert snr == pytest.approx(20.0, abs=0.5)
    assert np.array_equal(noisy, perturb.add_noise(speech, kind, snr_db=20.0, seed=3))


@pytest.mark.parametrize("name", ENGINE_VOICES)
def test_synthesize_one_utterance_per_engine(name: str, tmp_path: Path) -> None:
    out = tmp_path / "u.wav"
    tts.synthesize(tts.VOICES[name], "one two oh", out)
    rate, channels, width, seconds = wav_info(out)
    assert (rate, channels, width) == (16000, 1, 2)
    assert 0.5 < seconds < 5


def test_every_voice_works_and_sounds_different(tmp_path: Path) -> None:
    digests = {}
    for name, voice in tts.VOICES.items():
        out = tmp_path / f"{name}.wav"
        tts.synthesize(voice, "seven eight", out)
        digests[hashlib.sha256(out.read_bytes()).hexdigest()] = name
    assert len(digests) == len(tts.VOICES)


def test_perturb_apply(tmp_path: Path) -> None:
    clean, out = tmp_path / "clean.wav", tmp_path / "out.wav"
    tts.synthesize(tts.VOICES["flite_slt"], "four five six", clean)
    params = perturb.PerturbParams(speed=1.1, peak_db=-6.0, snr_db=20.0, noise="pink",
                                   noise_seed=7, reverb=perturb.Reverb(40, 50, 60))
    perturb.apply(clean, out, params)
    rate, channels, width, seconds = wav_info(out)
    assert (rate, channels, width) == (16000, 1, 2)
    assert seconds < wav_info(clean)[3]
    first = out.read_bytes()
    perturb.apply(clean, out, params)
    assert out.read_bytes() == first


def test_missing_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(shutil.which("sox"), bindir / "sox")
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(InputError, match=r"espeak-ng.*apt-get install espeak-ng"):
        tts.check_engines(list(tts.VOICES.values()))


def test_unknown_voices_fail_loudly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no built-in voice 'nobody'"):
        tts.check_engines([tts.Voice("x", "flite", ("-voice", "nobody"))])
    for voice in [tts.Voice("x", "espeak-ng", ("-v", "nobody")),
                  tts.Voice("x", "festival", ("(voice_nobody_diphone)",), "festvox-nobody")]:
        with pytest.raises(tts.SynthesisError, match="x"):
            tts.synthesize(voice, "one", tmp_path / "x.wav")


def corpus_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "wav.scp"}


def test_make_digits_corpus_end_to_end(tmp_path: Path) -> None:
    dirs = digits.make_digits_corpus(tmp_path / "a", size="unit", seed=3, nj=2)
    train = load_data_dir(tmp_path / "a" / "data" / "train", need_text=True)
    test = load_data_dir(tmp_path / "a" / "data" / "test", need_text=True)
    assert set(train.spk2utt) == set(digits.TRAIN_VOICES)
    assert set(test.spk2utt) == set(digits.TEST_VOICES)
    assert dirs["train"].text == train.text and dirs["test"].utts == test.utts
    assert all(Path(p).is_absolute() for p in train.wav_scp.values())
    for wav in [*train.wav_scp.values(), *test.wav_scp.values()]:
        assert wav_info(Path(wav))[:3] == (16000, 1, 2)

    # Complete: a second call changes nothing.
    some_wav = Path(train.wav_scp[train.utts[0]])
    mtime = some_wav.stat().st_mtime_ns
    digits.make_digits_corpus(tmp_path / "a", size="unit", seed=3, nj=1)
    assert some_wav.stat().st_mtime_ns == mtime

    # Same seed elsewhere: identical tables and audio.
    digits.make_digits_corpus(tmp_path / "b", size="unit", seed=3, nj=1)
    assert corpus_files(tmp_path / "a") == corpus_files(tmp_path / "b")


def test_incomplete_or_different_corpus_is_redone(tmp_path: Path) -> None:
    out = tmp_path / "c"
    digits.make_digits_corpus(out, size="unit", seed=1, nj=2)
    assert digits.find_complete_corpus(out, "unit", 1) is not None
    assert digits.find_complete_corpus(out, "unit", 2) is None
    wav = next((out / "wav" / "test").rglob("*.wav"))
    wav.unlink()
    assert digits.find_complete_corpus(out, "unit", 1) is None
    digits.make_digits_corpus(out, size="unit", seed=1, nj=2)
    assert wav.is_file() and digits.find_complete_corpus(out, "unit", 1) is not None
    digits.make_digits_corpus(out, size="unit", seed=2, nj=2)
    assert digits.find_complete_corpus(out, "unit", 1) is None
    assert digits.find_complete_corpus(out, "unit", 2) is not None


@pytest.mark.parametrize("argv", [["--size", "huge", "x"], ["--nj", "0", "x"], []])
def test_cli_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code != 0


def test_cli_missing_engine_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main([str(tmp_path / "corpus")]) == 1
    assert "apt-get install sox" in capsys.readouterr().err
