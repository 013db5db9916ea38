"""The synthetic read-speech corpus: KJV sentence normalisation and selection, the plan,
and the `unit` size end to end (~1 min of audio)."""

from __future__ import annotations

import json
import random
import wave
from pathlib import Path

import numpy as np
import pytest

from pykaldi_distill.bin import make_seen_voice_test as seen_cli
from pykaldi_distill.bin import make_synth_corpus as cli
from pykaldi_distill.corpus import perturb, speakers, synth, text, tts
from pykaldi_distill.corpus.common import audio_seconds
from pykaldi_distill.data import DataDir, load_data_dir
from pykaldi_distill.errors import InputError
from pykaldi_distill.lexicon import cmudict_lexicon


def test_split_and_normalise() -> None:
    line = ("Ge1:3 And God said, Let there be light: and there was light. "
            "(The king's sea-shore) is 'far'; Amen!")
    raw = text.split_sentences(line)
    assert raw == ["And God said, Let there be light", "and there was light",
                   "(The king's sea-shore) is 'far'", "Amen"]
    assert text.normalise(raw[0]) == ("AND", "GOD", "SAID", "LET", "THERE", "BE", "LIGHT")
    assert text.normalise(raw[2]) == ("THE", "KING'S", "SEA", "SHORE", "IS", "FAR")


def test_sentence_filters_count_what_they_drop() -> None:
    lines = [
        "Ge1:1 In the beginning God created the heaven and the earth.",
        "Ge1:2 And the light was good. And the light was good.",  # duplicate
        "Ge1:3 He had 12 sons and many daughters.",  # numeral
        "Ge1:4 Go now. " + "and the " * 11 + "end.",  # too short, too long
        "Ge1:5 And Xqzzyph spake unto the people.",  # not in CMUdict
    ]
    sentences, stats = text.sentences_from_lines(lines, cmudict_lexicon())
    assert sentences == [
        ("IN", "THE", "BEGINNING", "GOD", "CREATED", "THE", "HEAVEN", "AND", "THE", "EARTH"),
        ("AND", "THE", "LIGHT", "WAS", "GOOD")]
    assert stats == text.TextStats(lines=5, sentences=7, numeral=1, length=2, oov=1,
                                   duplicate=1, kept=2)
    # without a vocabulary (a G2P pronounces the rest) the sentence with XQZZYPH stays
    sentences, stats = text.sentences_from_lines(lines)
    assert sentences[-1] == ("AND", "XQZZYPH", "SPAKE", "UNTO", "THE", "PEOPLE")
    assert stats.oov == 0 and stats.kept == 3


def test_kjv_sentences_are_usable() -> None:
    everything, _ = text.kjv_sentences()
    sentences, stats = text.kjv_sentences(cmudict_only=True)
    assert len(everything) > stats.kept + 10000 and set(sentences) <= set(everything)
    assert stats.kept == len(sentences) > 20000
    assert stats.sentences == (stats.numeral + stats.length + stats.oov + stats.duplicate
                               + stats.kept)
    cmu = cmudict_lexicon()
    assert len(set(sentences)) == len(sentences)
    for s in sentences[::97]:
        assert text.MIN_WORDS <= len(s) <= text.MAX_WORDS
        assert all(w in cmu for w in s)


def test_missing_bible_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="apt-get install bible-kjv"):
        text.kjv_verses()


def test_selection_is_seeded_and_keeps_dev_test_out_of_train_and_lm() -> None:
    sentences, _ = text.kjv_sentences()
    sel = text.select_sentences(sentences, 800, 60, 20, 20, seed=1)
    assert sel == text.select_sentences(sentences, 800, 60, 20, 20, seed=1)
    other = text.select_sentences(sentences, 800, 60, 20, 20, seed=2)
    assert other.dev != sel.dev and other.vocab == sel.vocab
    assert len(sel.vocab) <= 800 and len(sel.train) == 60
    assert len(set(sel.dev)) == 20 and len(set(sel.test)) == 20
    held = set(sel.dev) | set(sel.test)
    assert not set(sel.dev) & set(sel.test)
    assert not held & set(sel.train) and not held & set(sel.lm)
    lm_lines = set(text.lm_text(sel))
    assert not {" ".join(s) for s in held} & lm_lines
    assert {" ".join(s) for s in sel.train} <= lm_lines
    lm_words = {w for line in lm_lines for w in line.split()}
    assert {w for s in held for w in s} <= lm_words  # no OOVs in dev/test


def test_plan_is_deterministic_and_speakers_disjoint() -> None:
    plan = synth.plan_corpus("tiny", seed=1)
    assert plan == synth.plan_corpus("tiny", seed=1)
    assert [u.text for u in plan.utts] != [u.text for u in synth.plan_corpus("tiny", 2).utts]
    train, dev, test = ({s.name for s in plan.split_speakers(x)} for x in synth.SPLITS)
    assert (len(train), len(dev), len(test)) == (60, 12, 12)
    assert not train & dev and not train & test and not dev & test
    assert {u.spk for u in plan.utts} == train | dev | test
    assert all(u.utt_id.startswith(u.spk + "-") for u in plan.utts)
    for split in ["dev", "test"]:
        assert len({s.voice.engine for s in plan.split_speakers(split)}) >= 2
    by_split = {s: {u.text for u in plan.utts if u.split == s} for s in synth.SPLITS}
    assert not by_split["train"] & (by_split["dev"] | by_split["test"])
    assert not by_split["dev"] & by_split["test"]
    phone = [u for u in plan.utts if u.perturb.telephone]
    assert 0 < len(phone) < len(plan.utts) / 2
    # The perturbation apart from the telephone channel and the speaker's warp is the
    # digits corpus' draw.
    u = plan.utts[0]
    warp = next(s.warp for s in plan.speakers if s.name == u.spk)
    assert synth.perturb_params(1, u.utt_id, warp) == u.perturb
    assert not perturb.sample_params(random.Random(0)).telephone


def test_roster_holds_out_new_speakers_of_the_training_families() -> None:
    roster = speakers.make_roster(seed=1)
    assert roster == speakers.make_roster(seed=1) != speakers.make_roster(seed=2)
    assert [s.name for s in roster] == sorted({s.name for s in roster})
    train = [s for s in roster if s.split == "train"]
    held_out = [s for s in roster if s.split != "train"]
    settings = {(s.voice.args, s.warp) for s in roster}
    assert len(settings) == len(roster)  # no two speakers alike
    families = {s.family for s in train}
    for s in held_out:
        if s.voice.engine == "espeak-ng":  # unseen accent+variant pair of seen parts
            accent, variant = s.family.split(":")[1].split("+")
            assert s.family not in families
            assert any(f.startswith(f"espeak-ng:{accent}+") for f in families)
            assert any(f.endswith(f"+{variant}") for f in families)
        else:  # another speaker of a base voice that training speakers read
            assert sum(t.family == s.family for t in train) >= 3
    assert {s.voice.engine for s in train} == set(tts.ENGINES)
    lo, hi = speakers.WARP_RANGE
    assert all(lo <= s.warp <= hi for s in roster)
    assert roster[0].recipe()[-1] == f"warp={roster[0].warp}"


def test_vocal_tract_warp_keeps_the_duration_and_moves_the_spectrum(tmp_path: Path) -> None:
    clean = tmp_path / "clean.wav"
    tts.synthesize(tts.VOICES["esp_usm3"], "the lord is my shepherd", clean)
    spectra = {}
    for warp in [1.0, 1.12]:
        out = tmp_path / f"w{warp}.wav"
        perturb.apply(clean, out, perturb.PerturbParams(
            speed=1.0, peak_db=-3.0, snr_db=80.0, noise="white", noise_seed=1, warp=warp))
        with wave.open(str(out), "rb") as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / 16000)
        spectra[warp] = (len(x), float((power * freqs).sum() / power.sum()))
    (n_plain, centroid_plain), (n_warped, centroid_warped) = spectra[1.0], spectra[1.12]
    assert abs(n_warped - n_plain) < 0.02 * n_plain
    assert centroid_warped > 1.05 * centroid_plain


def wav_info(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth()


def test_make_synth_corpus_unit_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "a"
    dirs = synth.make_synth_corpus(out, size="unit", seed=3, nj=2)
    loaded = {s: load_data_dir(out / "data" / s, need_text=True) for s in synth.SPLITS}
    plan = synth.plan_corpus("unit", 3)
    for split in synth.SPLITS:
        assert set(loaded[split].spk2utt) == {s.name for s in plan.split_speakers(split)}
        assert loaded[split].text == dirs[split].text
    stamp = json.loads((out / "corpus.json").read_text())
    assert stamp["speakers"]["train"]["esp01"]["recipe"] == plan.speakers[0].recipe()
    for data in loaded.values():
        for wav in data.wav_scp.values():
            assert Path(wav).is_absolute() and wav_info(Path(wav)) == (16000, 1, 2)
    lm_lines = (out / "data" / "local" / "lm_text.txt").read_text().splitlines()
    assert len(lm_lines) > 1000 and all(line and line == line.upper() for line in lm_lines)
    lm = set(lm_lines)
    for split in ["dev", "test"]:
        assert not set(loaded[split].text.values()) & lm
        assert not set(loaded[split].text.values()) & set(loaded["train"].text.values())
    assert set(loaded["train"].text.values()) <= lm
    assert audio_seconds(loaded["train"]) < 90

    # Complete: a second call changes nothing; another seed is not this corpus.
    some_wav = Path(loaded["dev"].wav_scp[loaded["dev"].utts[0]])
    mtime = some_wav.stat().st_mtime_ns
    synth.make_synth_corpus(out, size="unit", seed=3, nj=1)
    assert some_wav.stat().st_mtime_ns == mtime
    assert synth.find_complete_corpus(out, "unit", 3) is not None
    assert synth.find_complete_corpus(out, "unit", 4) is None
    check_seen_voice_test(out, loaded["test"])
    (out / "data" / "local" / "lm_text.txt").write_text("TAMPERED\n")
    assert synth.find_complete_corpus(out, "unit", 3) is None
    with pytest.raises(InputError, match="corpus.json"):
        synth.make_seen_voice_test(out, "unit", 3)


def check_seen_voice_test(out: Path, test: DataDir) -> None:
    """data/test_seen: test's sentences, each once, read by training voices into new wavs."""
    assert seen_cli.main([str(out)]) == 0  # size and seed from corpus.json
    seen = load_data_dir(out / "data" / synth.SEEN_VOICE_TEST, need_text=True)
    assert sorted(seen.text.values()) == sorted(test.text.values())
    train = {s.name for s in synth.plan_corpus("unit", 3).split_speakers("train")}
    assert set(seen.spk2utt) <= train
    assert all(utt.startswith(spk + "-") for utt, spk in seen.utt2spk.items())
    assert not set(seen.utts) & set(test.utts)
    for wav in seen.wav_scp.values():
        assert "/wav/test_seen/" in wav and wav_info(Path(wav)) == (16000, 1, 2)
    mtime = Path(seen.wav_scp[seen.utts[0]]).stat().st_mtime_ns
    assert synth.make_seen_voice_test(out, "unit", 3, nj=1) == seen  # done: nothing rendered
    assert Path(seen.wav_scp[seen.utts[0]]).stat().st_mtime_ns == mtime


def test_seen_voice_test_deals_every_test_sentence_to_the_training_voices() -> None:
    plan = synth.plan_corpus("demo", seed=1)
    utts = synth.seen_voice_test_utts(plan, seed=1)
    assert sorted(u.words for u in utts) == sorted(plan.selection.test)
    per_voice = [sum(u.spk == s.name for u in utts) for s in plan.split_speakers("train")]
    assert max(per_voice) - min(per_voice) <= 1 and min(per_voice) >= 1
    assert utts == synth.seen_voice_test_utts(plan, seed=1)


def test_seen_voice_test_cli_needs_a_corpus(tmp_path: Path) -> None:
    assert seen_cli.main([str(tmp_path / "none")]) == 1
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "corpus.json").write_text("{}")
    assert seen_cli.main([str(tmp_path / "c")]) == 1


@pytest.mark.parametrize("argv", [["--size", "unit", "x"], ["--size", "huge", "x"],
                                  ["--nj", "0", "x"], []])
def test_cli_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code != 0


def test_cli_missing_text_file_exits_1(tmp_path: Path) -> None:
    assert cli.main(["--text-file", str(tmp_path / "none.txt"), str(tmp_path / "c")]) == 1



def test_cli_too_little_text_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "text.txt"
    source.write_text("In the beginning God created the heaven and the earth.\n"
                      "And the earth was without form and void.\n")
    assert cli.main(["--text-file", str(source), str(tmp_path / "c")]) == 1
    assert not (tmp_path / "c").exists()


def test_telephone_channel_removes_the_high_band(tmp_path: Path) -> None:
    clean, out = tmp_path / "clean.wav", tmp_path / "out.wav"
    tts.synthesize(tts.VOICES["esp_usm3"], "the lord is my shepherd", clean)
    params = perturb.PerturbParams(speed=1.0, peak_db=-3.0, snr_db=60.0, noise="white",
                                   noise_seed=1, telephone=True)
    perturb.apply(clean, out, params)
    assert wav_info(out) == (16000, 1, 2)
    with wave.open(str(out), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / 16000)
    assert power[freqs > 4000].sum() < 1e-3 * power.sum()
