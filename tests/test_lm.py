"""N-gram LM training, ARPA round trip and normalisation, G.fst, format_lm."""

from __future__ import annotations

import gzip
import math
import random
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
    ngram_counts,
    prune_relative_entropy,
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


# --------------------------------------------------------------------------- pruning


@pytest.fixture(scope="module")
def trigram() -> NgramLm:
    """A trigram on 120 random sentences over the test lexicon's words (skewed, so that
    the n-grams differ in how much they matter)."""
    rng = random.Random(1)
    words = ["A", "BAD", "BE", "BEE", "READ", "RED"]
    sentences = [rng.choices(words, weights=[8, 5, 3, 2, 2, 1], k=rng.randint(0, 7))
                 for _ in range(120)]
    return train_witten_bell(sentences, 3, vocab={"<UNK>"})


def all_histories(lm: NgramLm) -> list[tuple[str, ...]]:
    """Every n-gram that can be a history (listed as one or not), and the empty one."""
    return [(), *(g for grams in lm.ngrams[:-1] for g in grams)]


def assert_normalised(lm: NgramLm, hists: list[tuple[str, ...]]) -> None:
    for h in hists:
        total = sum(10.0 ** lm.log10_prob(w, h) for w in lm.vocab)
        assert abs(total - 1.0) < 1e-4, (h, total)


def test_prune_threshold_zero_keeps_everything(trigram: NgramLm) -> None:
    pruned = prune_relative_entropy(trigram, 0.0)
    assert pruned.ngrams == trigram.ngrams and pruned is not trigram
    with pytest.raises(ValueError, match=">= 0"):
        prune_relative_entropy(trigram, -1e-9)


@pytest.mark.parametrize("threshold", [1e-4, 1e-3, 3e-3])
def test_prune_removes_ngrams_and_stays_normalised(trigram: NgramLm, threshold: float
                                                   ) -> None:
    before = ngram_counts(trigram)
    pruned = prune_relative_entropy(trigram, threshold)
    after = ngram_counts(pruned)
    assert before == [9, 46, 150]  # the input model is left alone
    assert after[0] == before[0] and 0 < after[2] < before[2] and after[1] <= before[1]
    if threshold >= 1e-3:
        assert 0 < after[1] < before[1]
    # Kept n-grams keep their probabilities; nothing new appears.
    for grams, orig in zip(pruned.ngrams, trigram.ngrams, strict=True):
        assert all(orig[g][0] == prob for g, (prob, _) in grams.items())
    # The ARPA structure holds: every listed history is kept, with a back-off weight.
    for n in range(1, pruned.order):
        assert all(g[:-1] in pruned.ngrams[n - 1] for g in pruned.ngrams[n])
        hists = {g[:-1] for g in pruned.ngrams[n]}
        assert all((bow is not None) == (g in hists)
                   for g, (_, bow) in pruned.ngrams[n - 1].items())
    assert_normalised(pruned, all_histories(trigram))


def test_prune_is_monotonic_in_the_threshold(trigram: NgramLm) -> None:
    kept = [[set(grams) for grams in prune_relative_entropy(trigram, t).ngrams]
            for t in (1e-5, 1e-4, 1e-3, 3e-3)]
    for more, fewer in zip(kept, kept[1:], strict=False):
        assert all(f <= m for m, f in zip(more, fewer, strict=True))
    assert kept[0] != kept[-1]


def test_pruned_arpa_round_trip(tmp_path: Path, trigram: NgramLm, lang: Lang) -> None:
    pruned = prune_relative_entropy(trigram, 1e-3)
    path = tmp_path / "pruned.arpa.gz"
    write_arpa(pruned, path)
    loaded = read_arpa(path)
    assert ngram_counts(loaded) == ngram_counts(pruned)
    for h in all_histories(trigram):
        for w in trigram.vocab:
            assert loaded.log10_prob(w, h) == pytest.approx(pruned.log10_prob(w, h), abs=1e-6)
    # Some trigrams lost their bigram suffix (as in SRILM's pruned models): arpa2fst then
    # backs off from their destination state to the longest listed suffix.
    assert any(g[1:] not in pruned.ngrams[1] for g in pruned.ngrams[2])
    assert make_grammar_fst(path, lang).num_states > 0


def test_prune_huge_threshold_leaves_unigrams(tmp_path: Path, trigram: NgramLm) -> None:
    pruned = prune_relative_entropy(trigram, 1.0)
    assert ngram_counts(pruned) == [9, 0, 0]
    assert pruned.ngrams[0] == {g: (prob, None) for g, (prob, _) in trigram.ngrams[0].items()}
    assert_normalised(pruned, all_histories(trigram))
    write_arpa(pruned, tmp_path / "uni.arpa")
    assert ngram_counts(read_arpa(tmp_path / "uni.arpa")) == [9, 0, 0]


def test_prune_fully_listed_history() -> None:
    """A history followed by every word has no back-off mass: removing any one n-gram
    alone costs nothing, but they must not all go at once."""
    sentences = [[], ["A"], ["B"], ["A", "B"], ["B", "A"], ["A", "A"], ["B", "B"]] * 3
    lm = train_witten_bell(sentences, 2)
    assert len(lm.ngrams[1]) == 9  # <s>, A and B are each followed by A, B and </s>
    pruned = prune_relative_entropy(lm, 1e-4)
    assert 0 < ngram_counts(pruned)[1] < 9
    assert_normalised(pruned, all_histories(lm))


def consistent_bigram_lm() -> NgramLm:
    """Unigrams A .3, B .2, C .1, </s> .4; history A lists B exactly at its back-off
    estimate bow(A) * P(B) and C far above it (P(C|A) = .5)."""
    beta = (1 - 0.5) / (1 - 0.1)  # bow(A) with or without the bigram A B
    uni = {"A": 0.3, "B": 0.2, "C": 0.1, EOS: 0.4}
    unigrams = {(w,): (math.log10(p), None) for w, p in uni.items()}
    unigrams[(BOS,)] = (-99.0, None)
    unigrams[("A",)] = (math.log10(0.3), math.log10(beta))
    bigrams = {("A", "B"): (math.log10(beta * 0.2), None), ("A", "C"): (math.log10(0.5), None)}
    return NgramLm(order=2, ngrams=[unigrams, bigrams])


def test_prune_removes_ngrams_at_their_backoff_estimate_first() -> None:
    lm = consistent_bigram_lm()
    assert_normalised(lm, [(), ("A",)])
    pruned = prune_relative_entropy(lm, 1e-9)
    assert set(pruned.ngrams[1]) == {("A", "C")}
    assert pruned.ngrams[0][("A",)][1] == pytest.approx(lm.ngrams[0][("A",)][1], abs=1e-12)
    for w in lm.vocab:  # removing it changed nothing
        assert pruned.log10_prob(w, ["A"]) == pytest.approx(lm.log10_prob(w, ["A"]))
    # P(A) * D = .3 * .5 log10(.5 / .1) + ... is large: only a large threshold removes A C.
    assert set(prune_relative_entropy(lm, 0.05).ngrams[1]) == {("A", "C")}
    gone = prune_relative_entropy(lm, 1.0)
    assert not gone.ngrams[1] and gone.ngrams[0][("A",)][1] is None
    assert_normalised(gone, [(), ("A",)])


def test_cli_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "text"
    rng = random.Random(1)
    text.write_text("".join(f"u{i} " + " ".join(rng.choices(["A", "BAD", "BE"], k=5)) + "\n"
                            for i in range(50)))
    arpa = tmp_path / "lm.arpa"
    assert make_lm_cli.main(["--prune", "-1", str(text), str(arpa)]) == 1
    err = capsys.readouterr().err
    assert "--prune must be a threshold >= 0" in err and "-1" in err and not arpa.exists()
    assert make_lm_cli.main(["--prune", "nan", str(text), str(arpa)]) == 1
    assert "--prune" in capsys.readouterr().err
    assert make_lm_cli.main([str(text), str(arpa)]) == 0
    full = ngram_counts(read_arpa(arpa))
    assert make_lm_cli.main(["--prune", "1e-3", str(text), str(arpa)]) == 0
    err = capsys.readouterr().err
    after = ngram_counts(read_arpa(arpa))
    assert sum(after) < sum(full)
    assert f"{full[2]} 3-grams -> " in err and f"{after[2]} 3-grams" in err


def test_prune_lm_cli_prunes_an_existing_arpa(tmp_path: Path, trigram: NgramLm,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from pykaldi_distill.bin import prune_lm

    arpa_in, arpa_out = tmp_path / "lm_tg.arpa.gz", tmp_path / "lm_tgpr.arpa.gz"
    write_arpa(trigram, arpa_in)
    assert prune_lm.main(["--threshold", "0", str(arpa_in), str(arpa_out)]) == 1
    assert "--threshold must be > 0" in capsys.readouterr().err and not arpa_out.exists()
    assert prune_lm.main(["--threshold", "1e-3", str(arpa_in), str(arpa_out)]) == 0
    assert ngram_counts(read_arpa(arpa_out)) == \
        ngram_counts(prune_relative_entropy(trigram, 1e-3))
    assert sum(ngram_counts(read_arpa(arpa_out))) < sum(ngram_counts(trigram))
