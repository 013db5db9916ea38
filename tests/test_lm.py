"""N-gram LM training, ARPA round trip and normalisation, G.fst, format_lm."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import kaldifst
import pytest

from pykaldi_distill.bin import format_lm as format_lm_cli
from pykaldi_distill.bin import make_lm as make_lm_cli
from pykaldi_distill.errors import InputError
from pykaldi_distill.lang import Lang, load_lang, prepare_lang
from pykaldi_distill.lm import (
    BOS,
    EOS,
    NgramLm,
    count_ngrams,
    format_lm,
    lm_vocabulary,
    make_grammar_fst,
    read_arpa,
    read_lm_text,
    train_witten_bell,
    write_arpa,
)
from tests.test_lang import make_dict

SENTENCES = [s.split() for s in [
    "READ A BAD RED", "A BAD BE", "BEE BE A", "RED READ A BAD RED", "A", "", "BAD BAD BAD"]]


@pytest.fixture
def lang(tmp_path: Path) -> Lang:
    return prepare_lang(make_dict(tmp_path / "dict"), "<UNK>", tmp_path / "lang")


def histories(lm: NgramLm) -> list[tuple[str, ...]]:
    """Every history the model defines a distribution for."""
    listed = [g for grams in lm.ngrams[:-1] for g, (_, bow) in grams.items() if bow is not None]
    return [(), *listed]


def test_count_ngrams_pads_with_sentence_markers() -> None:
    counts = count_ngrams([["A", "B"]], 3)
    assert counts[0] == {("A",): 1, ("B",): 1, (EOS,): 1}
    assert counts[1] == {(BOS, "A"): 1, ("A", "B"): 1, ("B", EOS): 1}
    assert counts[2] == {(BOS, "A", "B"): 1, ("A", "B", EOS): 1}


@pytest.mark.parametrize("order", [1, 2, 3])
def test_arpa_is_normalised(tmp_path: Path, order: int) -> None:
    lm = train_witten_bell(SENTENCES, order, vocab={"UNSEEN"})
    path = tmp_path / "lm.arpa.gz"
    write_arpa(lm, path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    loaded = read_arpa(path)
    assert loaded.order == order
    assert sorted(loaded.vocab) == sorted({"A", "BAD", "BE", "BEE", "READ", "RED", EOS, "UNSEEN"})
    assert len(histories(loaded)) > (1 if order > 1 else 0)
    for h in histories(loaded):
        total = sum(10.0 ** loaded.log10_prob(w, h) for w in loaded.vocab)
        assert abs(total - 1.0) < 1e-3, (h, total)


def test_backoff_semantics(tmp_path: Path) -> None:
    path = tmp_path / "lm.arpa"
    write_arpa(train_witten_bell(SENTENCES, 2), path)
    lm = read_arpa(path)
    assert ("BEE", "RED") not in lm.ngrams[1]
    bow = lm.ngrams[0][("BEE",)][1]
    assert bow is not None
    assert lm.log10_prob("RED", ["BEE"]) == pytest.approx(bow + lm.ngrams[0][("RED",)][0])
    assert lm.ngrams[0][(BOS,)][0] == -99.0
    assert lm.log10_prob("UNKNOWN", ["A"]) == -math.inf
    # Seen bigrams are likelier than their back-off estimate.
    assert lm.log10_prob("BAD", ["A"]) > lm.log10_prob("BAD", [])


def test_read_arpa_rejects_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "lm.arpa"
    write_arpa(train_witten_bell(SENTENCES, 2), path)
    text = path.read_text()
    (tmp_path / "trunc.arpa").write_text(text.replace("\\end\\", ""))
    with pytest.raises(InputError, match="no \\\\end"):
        read_arpa(tmp_path / "trunc.arpa")
    (tmp_path / "count.arpa").write_text(text.replace("ngram 1=", "ngram 1=1"))
    with pytest.raises(InputError, match="counts"):
        read_arpa(tmp_path / "count.arpa")
    orphan = text.replace("\\end\\", "").rstrip() + "\n-0.1\tZZ A\n\n\\end\\\n"
    orphan = orphan.replace(f"ngram 2={len(read_arpa(path).ngrams[1])}",
                            f"ngram 2={len(read_arpa(path).ngrams[1]) + 1}")
    (tmp_path / "orphan.arpa").write_text(orphan)
    with pytest.raises(InputError, match="history of n-gram 'ZZ A'"):
        read_arpa(tmp_path / "orphan.arpa")


def test_lm_text_maps_oovs_to_unk(tmp_path: Path, lang: Lang) -> None:
    text = tmp_path / "text"
    text.write_text("u1 READ ZEBRA A\nu2 BEE\n")
    vocab = lm_vocabulary(lang.path / "words.txt")
    assert "<UNK>" in vocab and "!SIL" not in vocab and "#0" not in vocab and BOS not in vocab
    assert read_lm_text([text], vocab) == [["READ", "<UNK>", "A"], ["BEE"]]
    empty = tmp_path / "empty"
    empty.write_text("u1\n")
    with pytest.raises(InputError, match="no words"):
        read_lm_text([empty])


def test_grammar_fst(tmp_path: Path, lang: Lang) -> None:
    arpa = tmp_path / "lm.arpa.gz"
    write_arpa(train_witten_bell(SENTENCES + [["ZEBRA", "A"]], 3), arpa)
    grammar = make_grammar_fst(arpa, lang)  # ZEBRA's n-grams are dropped, as in Kaldi
    assert grammar.num_states > 0 and grammar.is_ilabel_sorted
    arcs = [a for s in kaldifst.StateIterator(grammar) for a in kaldifst.ArcIterator(grammar, s)]
    backoff = [a for a in arcs if a.ilabel == lang.word_disambig_id]
    assert backoff and all(a.olabel == 0 for a in backoff)
    labels = {a.ilabel for a in arcs}
    assert lang.words[BOS] not in labels and lang.words[EOS] not in labels
    # L_disambig o G is non-empty: the grammar's labels are the lexicon's words.
    lex = lang.load_fst("L_disambig.fst")
    kaldifst.arcsort(lex, sort_type="olabel")
    assert kaldifst.compose(lex, grammar).num_states > 0


def test_grammar_fst_bad_arpa_is_an_input_error(tmp_path: Path, lang: Lang) -> None:
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=1\n\n\\1-grams:\n-0.5 A\n")
    with pytest.raises(InputError, match="bad.arpa"):
        make_grammar_fst(bad, lang)
    (tmp_path / "gz.arpa.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="gunzip"):
        make_grammar_fst(tmp_path / "gz.arpa.gz", lang)


def test_format_lm_copies_lang_and_adds_g(tmp_path: Path, lang: Lang) -> None:
    arpa = tmp_path / "lm.arpa"
    write_arpa(train_witten_bell(SENTENCES, 2), arpa)
    test = format_lm(lang.path, arpa, tmp_path / "lang_test")
    assert test.words == lang.words and test.phones == lang.phones
    for name in ["L.fst", "L_disambig.fst", "topo", "phones/disambig.int", "phones/roots.int"]:
        assert (test.path / name).read_bytes() == (lang.path / name).read_bytes()
    assert test.load_fst("G.fst").num_states > 0


def test_cli_exit_codes(tmp_path: Path, lang: Lang, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "text"
    text.write_text("u1 READ ZEBRA A\nu2 BEE\n")
    arpa = tmp_path / "lm.arpa.gz"
    assert make_lm_cli.main(["--order", "2", "--words", str(lang.path / "words.txt"), str(text),
                             str(arpa)]) == 0
    assert "<UNK>" in read_arpa(arpa).vocab
    assert "1 running words" in capsys.readouterr().err
    assert make_lm_cli.main([str(tmp_path / "missing"), str(arpa)]) == 1
    assert str(tmp_path / "missing") in capsys.readouterr().err
    missing_lang = tmp_path / "no_lang"
    assert format_lm_cli.main([str(missing_lang), str(arpa), str(tmp_path / "t")]) == 1
    assert str(missing_lang) in capsys.readouterr().err
    assert format_lm_cli.main([str(lang.path), str(arpa), str(tmp_path / "t")]) == 0
    assert load_lang(tmp_path / "t").load_fst("G.fst").num_states > 0
    plain = tmp_path / "plain.arpa"
    plain.write_text(gzip.open(arpa, "rt").read())
    assert format_lm_cli.main([str(lang.path), str(plain), str(tmp_path / "t2")]) == 0
