"""Mono GMM training, HCLG building and decoding on a toy two-word task."""

from pathlib import Path

import numpy as np
import pytest
import toy_system as toy

from pykaldi_distill.decoding import decode, graph
from pykaldi_distill.formats import model_io
from pykaldi_distill.gmm import system as gmm
from pykaldi_distill.hmm import transitions


@pytest.fixture(scope="module")
def trained() -> tuple[gmm.GmmSystem, dict, dict, dict]:
    feats, texts = toy.corpus(30, seed=0)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    config = gmm.MonoConfig(num_iters=12, max_iter_inc=6, totgauss=30,
                            realign_iters=[1, 2, 3, 4, 6, 8, 10])
    stats: list[gmm.IterStats] = []
    system, alis = gmm.train_mono(toy.topology(), [[toy.SIL], [toy.A], [toy.B]], [toy.SIL],
                                  feats, compile_graph, config, stats.append)
    return system, alis, feats, {"texts": texts, "stats": stats}


def test_training_improves_and_aligns_everything(trained) -> None:  # noqa: ANN001
    system, alis, feats, info = trained
    stats = info["stats"]
    assert stats[-1].avg_loglike > stats[0].avg_loglike
    assert set(alis) == set(feats)
    assert system.am.num_gauss > system.am.num_pdfs  # mixed up
    assert system.tm.num_pdfs == 7


def collapse(seq: list[int]) -> list[int]:
    return [x for i, x in enumerate(seq) if i == 0 or x != seq[i - 1]]


def test_alignment_follows_phones(trained) -> None:  # noqa: ANN001
    system, alis, _, info = trained
    for utt, ali in alis.items():
        phones = [system.tm.transition_id_to_phone(t) for t in ali]
        expected = [toy.PHONE_OF_WORD[w] for w in info["texts"][utt]]
        assert collapse([p for p in phones if p != toy.SIL]) == collapse(expected)


def test_equal_align_length() -> None:
    feats, texts = toy.corpus(1, seed=1)
    system = gmm.init_mono(toy.topology(), [[1], [2], [3]], list(feats.values()))
    g = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)(system, "u000")
    ali = gmm.equal_align(g, feats["u000"].shape[0], seed=0)
    assert ali is not None and len(ali) == feats["u000"].shape[0]
    assert gmm.equal_align(g, 2, seed=0) is None  # fewer frames than HMM states


def hclg_for(system: gmm.GmmSystem):  # noqa: ANN201
    lg = graph.compose_lg(toy.lexicon_fst(with_disambig=True), toy.grammar_fst())
    return graph.make_hclg(lg, system.tree, system.tm, [toy.DISAMBIG], graph.GraphConfig())


def test_hclg_has_no_disambig_transition_ids(trained) -> None:  # noqa: ANN001
    system = trained[0]
    hclg = hclg_for(system)
    assert hclg.num_states > 0
    assert graph.max_input_label(hclg) <= system.tm.num_transition_ids


def test_decode_gmm_and_matrix_paths_agree(trained, tmp_path: Path) -> None:  # noqa: ANN001
    system, _, _, _ = trained
    model_io.write_gmm_model(tmp_path / "final.mdl", system.tm, system.am)
    tm, am = model_io.read_gmm_model(tmp_path / "final.mdl")  # decode with the re-read model
    hclg = hclg_for(system)
    decoder = decode.make_decoder(hclg, decode.DecoderConfig())
    test_feats, test_texts = toy.corpus(6, seed=7)
    errors = 0
    for utt, x in test_feats.items():
        r1 = decode.decode_gmm(decoder, tm, am, x, 0.1, decode.DecoderConfig())
        loglikes = decode.pdf_loglikes_from_gmm(am, x)
        r2 = decode.decode_loglikes(decoder, tm, loglikes, 0.1, decode.DecoderConfig())
        assert r1.ok and r2.ok
        assert r1.words == r2.words  # pins DecodableCtc's (transition-id - 1) column mapping
        assert r1.alignment == r2.alignment
        errors += r1.words != test_texts[utt]
    assert errors <= 1


def test_transition_id_matrix_layout(trained) -> None:  # noqa: ANN001
    tm = trained[0].tm
    pdf = np.arange(2 * tm.num_pdfs, dtype=np.float32).reshape(2, tm.num_pdfs)
    mat = transitions.transition_id_matrix(pdf, tm)
    assert mat.shape == (2, tm.num_transition_ids)
    for tid in range(1, tm.num_transition_ids + 1):
        assert mat[1, tid - 1] == pdf[1, tm.transition_id_to_pdf(tid)]


def test_triphone_training_and_decoding(trained) -> None:  # noqa: ANN001
    """train_deltas from the mono alignments: a context-dependent tree, a triphone HCLG
    (context width 3), and decoding at least as good as the monophones on the toy task."""
    from pykaldi_distill.gmm.triphone import PhoneSets, TriConfig, train_deltas

    mono, alis, feats, info = trained
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], info["texts"])
    config = TriConfig(num_leaves=12, totgauss=40, num_iters=6, max_iter_inc=4,
                       realign_iters=[2, 4], tree_thresh=0.0)
    sets = PhoneSets(sets=[[toy.SIL], [toy.A], [toy.B]], extra_questions=[[toy.A, toy.B]],
                     roots=[[toy.SIL], [toy.A], [toy.B]], ci_phones=[toy.SIL])
    tri, tri_alis = train_deltas(mono, alis, feats, toy.topology(), sets, [toy.SIL],
                                 compile_graph, config)
    assert tri.tree.context_width == 3
    assert mono.tm.num_pdfs < tri.tm.num_pdfs <= 12
    assert set(tri_alis) == set(feats)
    lg = graph.compose_lg(toy.lexicon_fst(with_disambig=True), toy.grammar_fst())
    hclg = graph.make_hclg(lg, tri.tree, tri.tm, [toy.DISAMBIG], graph.GraphConfig())
    decoder = decode.make_decoder(hclg, decode.DecoderConfig())
    test_feats, test_texts = toy.corpus(6, seed=7)
    errors = sum(decode.decode_gmm(decoder, tri.tm, tri.am, x, 0.1, decode.DecoderConfig()).words
                 != test_texts[u] for u, x in test_feats.items())
    assert errors <= 1


def test_vectorised_gmm_loglikes_match_kaldi(trained) -> None:  # noqa: ANN001
    am = trained[0].am
    x = np.random.default_rng(3).normal(size=(7, 3)).astype(np.float32)
    fast = decode.GmmTables.of(am).loglikes(x)
    for t in range(7):
        for pdf in range(am.num_pdfs):
            assert fast[t, pdf] == pytest.approx(am.log_likelihood(pdf, x[t]), rel=1e-4)

