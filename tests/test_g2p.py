"""G2P: training on a CMUdict subset, pronunciations with probabilities, scoring, the dict
dir's guessed words and lexiconp.txt, the step scripts' CLIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykaldi_distill.bin import apply_g2p as apply_g2p_cli
from pykaldi_distill.bin import prepare_dict as prepare_dict_cli
from pykaldi_distill.bin import train_g2p as train_g2p_cli
from pykaldi_distill.g2p import (
    G2p,
    G2pConfig,
    read_scored_lexicon,
    split_held_out,
    train_g2p,
    trainable_entries,
)
from pykaldi_distill.lexicon import cmudict_lexicon

# Regular spellings the model must get right without having seen them.
KNOWN = {"PLANTING": ("P", "L", "AE", "N", "T", "IH", "NG"),
         "STRICTLY": ("S", "T", "R", "IH", "K", "T", "L", "IY"),
         "CAMPING": ("K", "AE", "M", "P", "IH", "NG"),
         "TRUMPETS": ("T", "R", "AH", "M", "P", "AH", "T", "S")}


CONFIG = G2pConfig(ngram_order=6, train_every=12)


@pytest.fixture(scope="module")
def g2p_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A G2P on 1/12 of CMUdict (~10k words, seconds to train), KNOWN left out."""
    lexicon = {w: p for w, p in cmudict_lexicon().items() if w not in KNOWN}
    out = tmp_path_factory.mktemp("g2p") / "g2p"
    train_g2p(lexicon, out, CONFIG)
    return out


def test_known_words_and_held_out_score(g2p_dir: Path) -> None:
    g2p = G2p(g2p_dir)
    for word, pron in KNOWN.items():
        assert g2p.pronounce(word)[0][0] == pron, word
        assert cmudict_lexicon()[word] == [pron]
    results = (g2p_dir / "results.txt").read_text()
    wer = float(results.split("WER ")[1].split()[0])
    per = float(results.split("PER ")[1].split()[0])
    assert wer < 65 and per < 18, results  # 10k words: ~50 % and ~12 %; all of CMUdict: 25, 6
    assert g2p.config == CONFIG


def test_nbest_probabilities_and_pmass(g2p_dir: Path) -> None:
    g2p = G2p(g2p_dir)
    three = g2p.pronounce("ZERUBBABEL", nbest=3)
    assert 1 < len(three) <= 3 and len({p for p, _ in three}) == len(three)
    probs = [p for _, p in three]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-6
    # the fewest whose mass reaches pmass
    assert [p for p, _ in g2p.pronounce("ZERUBBABEL", 3, pmass=probs[0] - 1e-3)] == [three[0][0]]
    assert len(g2p.pronounce("ZERUBBABEL", 3, pmass=probs[0] + 1e-3)) == 2
    assert g2p.unknown_letters("VOSK9") == ["9"] and g2p.pronounce("VOSK9") == []


def test_split_is_by_spelling_and_silence_words_are_left_out() -> None:
    lexicon = {"!SIL": [("SIL",)], "<UNK>": [("SPN",)], "A": [("AH",), ("EY",)], "B": [("B", "IY")]}
    assert set(trainable_entries(lexicon)) == {"A", "B"}
    train, held = split_held_out(trainable_entries(lexicon), 20)
    assert set(train) | set(held) == {"A", "B"} and not set(train) & set(held)
    assert split_held_out(lexicon, 0)[1] == {}


def test_cli_apply_and_dict_dir_with_guessed_words(g2p_dir: Path, tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("ZERUBBABEL\nKALDIFY\nVOSK9\n")
    out = tmp_path / "oov_lex"
    assert apply_g2p_cli.main(["--nbest", "2", str(words), str(g2p_dir), str(out)]) == 0
    lex = read_scored_lexicon(out / "lexicon.lex")
    assert set(lex) == {"ZERUBBABEL", "KALDIFY"} and all(len(p) <= 2 for p in lex.values())
    assert (out / "lexicon.failed").read_text() == "VOSK9 9\n"

    text = tmp_path / "text"
    text.write_text("u1 ZERUBBABEL SAID HELLO\nu2 KALDIFY IT\n")
    d = tmp_path / "dict"
    assert prepare_dict_cli.main(["--g2p-dir", str(g2p_dir), "--nbest", "2", str(text),
                                  str(d)]) == 0
    lexiconp = [line.split() for line in (d / "lexiconp.txt").read_text().splitlines()]
    guessed = [row for row in lexiconp if row[0] == "KALDIFY"]
    assert float(guessed[0][1]) == 1.0 and 0 < float(guessed[1][1]) < 1
    assert all(float(row[1]) == 1.0 for row in lexiconp if row[0] in ("SAID", "HELLO"))
    assert set((d / "lexicon_g2p.lex").read_text().split()) >= {"ZERUBBABEL", "KALDIFY"}
    # without the G2P the same text is an error, and no stale lexiconp.txt stays behind
    assert prepare_dict_cli.main([str(text), str(d)]) == 1
    text.write_text("u1 SAID HELLO\n")
    assert prepare_dict_cli.main([str(text), str(d)]) == 0
    assert not (d / "lexiconp.txt").exists() and not (d / "lexicon_g2p.lex").exists()


def test_cli_errors(g2p_dir: Path, tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("\n")
    assert apply_g2p_cli.main([str(words), str(g2p_dir), str(tmp_path / "o")]) == 1
    words.write_text("HELLO\n")
    assert apply_g2p_cli.main([str(words), str(tmp_path / "none"), str(tmp_path / "o")]) == 1
    with pytest.raises(SystemExit, match="2"):  # argparse: a usage error
        apply_g2p_cli.main(["--pmass", "0", str(words), str(g2p_dir), str(tmp_path / "o")])
    assert train_g2p_cli.main([str(tmp_path / "missing.txt"), str(tmp_path / "g")]) == 1
    assert train_g2p_cli.main(["--ngram-order", "1", "cmudict", str(tmp_path / "g")]) == 1
    assert not (tmp_path / "g").exists()
