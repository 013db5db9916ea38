"""Word-loop and phrase grammars: which word sequences they accept, at what cost."""

from __future__ import annotations

import math
from pathlib import Path

import kaldifst
import pytest

from pykaldi_distill.bin import make_grammar
from pykaldi_distill.errors import InputError
from pykaldi_distill.grammar import phrase_grammar, read_phrases, word_loop_grammar
from pykaldi_distill.lang import load_lang, prepare_lang
from pykaldi_distill.lexicon import make_dict_dir

WORDS = ["OPEN", "THE", "DOOR", "CLOSE", "WINDOW", "STOP"]


@pytest.fixture(scope="module")
def lang(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("grammar")
    make_dict_dir(WORDS, tmp / "dict")
    prepare_lang(tmp / "dict", "<UNK>", tmp / "lang", tmp_dir=tmp / "lang_tmp")
    return tmp / "lang"


def cost(grammar: kaldifst.StdVectorFst, words: list[str], ids: dict[str, int]) -> float:
    """The cost of the one path spelling `words` (inf when there is none)."""
    state, total = grammar.start, 0.0
    for word in words:
        arcs = [a for a in kaldifst.ArcIterator(grammar, state) if a.ilabel == ids[word]]
        if not arcs:
            return math.inf
        assert len(arcs) == 1  # deterministic
        total += arcs[0].weight.value
        state = arcs[0].nextstate
    return total + grammar.final(state).value


def test_phrase_grammar_accepts_each_phrase_equally_and_nothing_else(lang: Path) -> None:
    lg = load_lang(lang)
    phrases = [("OPEN", "THE", "DOOR"), ("OPEN", "THE", "WINDOW"), ("CLOSE", "THE", "DOOR"),
               ("STOP",), ("OPEN", "THE", "DOOR")]
    grammar = phrase_grammar(phrases, lg, lang)
    for phrase in set(phrases):
        assert cost(grammar, list(phrase), lg.words) == pytest.approx(math.log(4))
    for other in [["OPEN", "THE"], ["STOP", "STOP"], ["THE", "DOOR"]]:
        assert cost(grammar, other, lg.words) == math.inf


def test_word_loop_is_any_sequence_with_stopping_as_likely_as_a_word(lang: Path) -> None:
    lg = load_lang(lang)
    grammar = word_loop_grammar(WORDS, lg, lang)
    n = len(WORDS)
    assert cost(grammar, ["STOP"], lg.words) == pytest.approx(math.log(n) + math.log(n + 1))
    assert cost(grammar, ["DOOR", "THE", "DOOR"], lg.words) == \
        pytest.approx(math.log(n) + 3 * math.log(n + 1))


def test_cli_and_unknown_words(lang: Path, tmp_path: Path) -> None:
    listed = tmp_path / "phrases.txt"
    listed.write_text("open the door\n")
    with pytest.raises(InputError, match="open"):
        phrase_grammar(read_phrases(listed), load_lang(lang), listed)
    listed.write_text("OPEN THE DOOR\n\nSTOP\n")
    out = tmp_path / "lang_test"
    assert make_grammar.main(["--grammar", "phrases", str(lang), str(listed), str(out)]) == 0
    assert (out / "G.fst").is_file() and (out / "L_disambig.fst").is_file()
    listed.write_text("  \n")
    assert make_grammar.main([str(lang), str(listed), str(tmp_path / "x")]) == 1
    assert not (tmp_path / "x" / "G.fst").exists()
