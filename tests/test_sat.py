"""sat: speaker adaptive training on the toy task with speakers that distort the features
by their own affine maps."""

import numpy as np
import pytest
import toy_system as toy

from pykaldi_distill.decoding import decode
from pykaldi_distill.gmm import system as gmm
from pykaldi_distill.gmm.fmllr import FmllrStats, estimate_fmllr
from pykaldi_distill.gmm.sat import SatConfig, adapt, estimate_transforms, train_sat
from pykaldi_distill.gmm.triphone import PhoneSets, TriConfig, train_deltas
from pykaldi_distill.hmm.transitions import pdf_and_weight_tables

SPEAKERS = 3
SETS = PhoneSets(sets=[[toy.SIL], [toy.A], [toy.B]], extra_questions=[[toy.A, toy.B]],
                 roots=[[toy.SIL], [toy.A], [toy.B]], ci_phones=[toy.SIL])
SCHEDULE = dict(num_leaves=12, totgauss=30, num_iters=6, max_iter_inc=4, realign_iters=[2, 4],
                tree_thresh=0.0)


def speaker_corpus(num_utts: int, seed: int, utt_seed: int | None = None
                   ) -> tuple[dict, dict, dict]:
    """The toy corpus (`utt_seed`, default `seed`), utterance i spoken by speaker i % 3
    through x -> M x + c, the speakers' maps drawn from `seed`."""
    feats, texts = toy.corpus(num_utts, seed if utt_seed is None else utt_seed)
    rng = np.random.default_rng(seed + 100)
    maps = [(np.eye(3) + 0.2 * rng.normal(size=(3, 3)), rng.normal(scale=1.0, size=3))
            for _ in range(SPEAKERS)]
    utt2spk = {u: f"s{i % SPEAKERS}" for i, u in enumerate(sorted(feats))}
    for i, u in enumerate(sorted(feats)):
        m, c = maps[i % SPEAKERS]
        feats[u] = (feats[u] @ m.T + c).astype(np.float32)
    return feats, texts, utt2spk


@pytest.fixture(scope="module")
def systems() -> dict:
    feats, texts, utt2spk = speaker_corpus(60, seed=0)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    mono, alis = gmm.train_mono(toy.topology(), [[toy.SIL], [toy.A], [toy.B]], [toy.SIL], feats,
                                compile_graph, gmm.MonoConfig(num_iters=10, totgauss=20,
                                                              max_iter_inc=5,
                                                              realign_iters=[1, 2, 4, 6, 8]))
    tri, tri_alis = train_deltas(mono, alis, feats, toy.topology(), SETS, [toy.SIL],
                                 compile_graph, TriConfig(**SCHEDULE))
    gains: list[tuple[int, float]] = []
    sat = train_sat(mono, alis, feats, utt2spk, toy.topology(), SETS, [toy.SIL], compile_graph,
                    SatConfig(**SCHEDULE, fmllr_iters=[1, 3]),
                    on_fmllr=lambda it, g: gains.append((it, g)))
    return dict(feats=feats, utt2spk=utt2spk, tri=tri, tri_alis=tri_alis, sat=sat, gains=gains)


def mean_aligned_loglike(system: gmm.GmmSystem, feats: dict, alis: dict,
                         logdets: dict | None = None) -> float:
    """Average per-frame log-likelihood of the aligned pdfs, plus log|det A| of the
    speaker's transform when the features were adapted (the Jacobian)."""
    tid2pdf = np.asarray(system.tm.transition_id_to_pdf_array())
    total, frames = 0.0, 0
    for utt, ali in alis.items():
        ll = decode.pdf_loglikes_from_gmm(system.am, feats[utt])
        total += ll[np.arange(len(ali)), tid2pdf[np.asarray(ali)]].sum()
        total += (logdets or {}).get(utt, 0.0) * len(ali)
        frames += len(ali)
    return total / frames


def test_sat_fits_the_speakers_better_than_the_si_triphones(systems: dict) -> None:
    sat, feats, utt2spk = systems["sat"], systems["feats"], systems["utt2spk"]
    assert sorted(sat.transforms) == ["s0", "s1", "s2"]
    assert all(w.shape == (3, 4) for w in sat.transforms.values())
    assert set(sat.alignments) == set(feats)
    logdet = {u: np.linalg.slogdet(sat.transforms[s][:, :3])[1] for u, s in utt2spk.items()}
    adapted = adapt(feats, sat.transforms, utt2spk)
    si = mean_aligned_loglike(systems["tri"], feats, systems["tri_alis"])
    sa = mean_aligned_loglike(sat.system, adapted, sat.alignments, logdet)
    assert sa > si + 0.3, (sa, si)
    assert [it for it, _ in systems["gains"]] == [-1, 1, 3]
    assert all(g >= 0 for _, g in systems["gains"])


def test_alimdl_models_the_unadapted_features(systems: dict) -> None:
    sat, feats = systems["sat"], systems["feats"]
    assert sat.alimdl.num_pdfs == sat.system.am.num_pdfs
    assert sat.alimdl.num_gauss == sat.system.am.num_gauss
    alimdl = gmm.GmmSystem(sat.system.tm, sat.system.tree, sat.alimdl)
    on_si = mean_aligned_loglike(alimdl, feats, sat.alignments)
    assert on_si > mean_aligned_loglike(sat.system, feats, sat.alignments)


def test_transforms_only_for_speakers_with_enough_frames(systems: dict) -> None:
    sat, feats, utt2spk = systems["sat"], systems["feats"], systems["utt2spk"]
    one = {u: a for u, a in sat.alignments.items() if utt2spk[u] == "s1"}
    few = dict(list(one.items())[:1])
    transforms, gain = estimate_transforms(sat.system.am, sat.system.tm, feats, few, utt2spk,
                                           [toy.SIL], 0.0, min_count=1e6)
    np.testing.assert_array_equal(transforms["s1"], np.hstack([np.eye(3), np.zeros((3, 1))]))
    assert gain == 0.0 and list(transforms) == ["s1"]
    unadapted = adapt(feats, {}, utt2spk)
    assert all(np.array_equal(unadapted[u], feats[u]) for u in feats)


def test_transforms_equal_per_utterance_accumulation(systems: dict) -> None:
    """One accumulation over a speaker's concatenated utterances gives the transform that
    per-utterance statistics summed per speaker give."""
    sat, feats, utt2spk = systems["sat"], systems["feats"], systems["utt2spk"]
    transforms, _ = estimate_transforms(sat.system.am, sat.system.tm, feats, sat.alignments,
                                        utt2spk, [toy.SIL], 0.0, min_count=1.0)
    tid2pdf, tid2weight = pdf_and_weight_tables(sat.system.tm, [toy.SIL], 0.0)
    per_spk: dict[str, FmllrStats] = {}
    for utt, ali in sat.alignments.items():
        tids = np.asarray(ali)
        per_spk.setdefault(utt2spk[utt], FmllrStats.zeros(3)).accumulate(
            sat.system.am, feats[utt], tid2pdf[tids], tid2weight[tids])
    assert sorted(transforms) == sorted(per_spk)
    for spk, stats in per_spk.items():
        expected, _ = estimate_fmllr(stats, None, 40, 1.0)
        np.testing.assert_allclose(transforms[spk], expected, rtol=1e-6, atol=1e-8)


def test_silence_weight_table(systems: dict) -> None:
    tm = systems["sat"].system.tm
    _, weights = pdf_and_weight_tables(tm, [toy.SIL], 0.01)
    phones = [tm.transition_id_to_phone(t) for t in range(1, tm.num_transition_ids + 1)]
    for tid, phone in enumerate(phones, start=1):
        assert weights[tid] == (0.01 if phone == toy.SIL else 1.0)


def test_two_pass_fmllr_decoding_of_new_utterances(systems: dict) -> None:
    """decode_fmllr.sh's transforms for unseen utterances of the training speakers: the
    adapted final pass makes fewer errors than the SI alignment model and the SI triphones."""
    from pykaldi_distill.decoding import graph
    from pykaldi_distill.gmm.sat import FmllrDecodeConfig, decode_transforms

    sat = systems["sat"]
    test, texts, utt2spk = speaker_corpus(60, seed=0, utt_seed=5)
    lg = graph.compose_lg(toy.lexicon_fst(with_disambig=True), toy.grammar_fst())
    transforms = decode_transforms(graph.make_hclg(lg, sat.system.tree, sat.system.tm,
                                                   [toy.DISAMBIG], graph.GraphConfig()),
                                   sat.system.tm, sat.system.am, sat.alimdl, test, utt2spk,
                                   [toy.SIL], FmllrDecodeConfig())
    assert sorted(transforms) == ["s0", "s1", "s2"]

    def errors(system: gmm.GmmSystem, am, feats: dict) -> int:  # noqa: ANN001
        hclg = graph.make_hclg(lg, system.tree, system.tm, [toy.DISAMBIG], graph.GraphConfig())
        config = decode.DecoderConfig()
        decoder = decode.make_decoder(hclg, config)
        return sum(decode.decode_gmm(decoder, system.tm, am, feats[u], 0.1, config).words
                   != texts[u] for u in feats)

    adapted = adapt(test, transforms, utt2spk)
    assert errors(sat.system, sat.system.am, adapted) <= min(
        errors(sat.system, sat.alimdl, test), errors(systems["tri"], systems["tri"].am, test))
    # The reference transcripts' alignments fit far better once adapted (Jacobian counted).
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    alis = {u: gmm.align(sat.system, sat.system.am, compile_graph(sat.system, u), adapted[u],
                         SatConfig())[0] for u in test}
    logdet = {u: np.linalg.slogdet(transforms[s][:, :3])[1] for u, s in utt2spk.items()}
    alimdl = gmm.GmmSystem(sat.system.tm, sat.system.tree, sat.alimdl)
    assert (mean_aligned_loglike(sat.system, adapted, alis, logdet)
            > mean_aligned_loglike(alimdl, test, alis) + 0.3)


def test_align_fmllr_adapts_new_utterances_of_known_speakers(systems: dict) -> None:
    """align_fmllr.sh on unseen utterances: one transform per speaker, every utterance
    aligned, and the adapted alignments fit final.mdl better than the alimdl's pass did."""
    from pykaldi_distill.gmm.sat import align_fmllr

    sat = systems["sat"]
    feats, texts, utt2spk = speaker_corpus(30, seed=0, utt_seed=7)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    graphs = {u: compile_graph(sat.system, u) for u in feats}
    config = SatConfig()
    alis, transforms = align_fmllr(sat.system, sat.alimdl, graphs, feats, utt2spk, [toy.SIL],
                                   config)
    assert sorted(transforms) == ["s0", "s1", "s2"] and set(alis) == set(feats)
    assert all(len(alis[u]) == len(feats[u]) for u in feats)
    adapted = adapt(feats, transforms, utt2spk)
    logdet = {u: np.linalg.slogdet(transforms[s][:, :3])[1] for u, s in utt2spk.items()}
    alimdl = gmm.GmmSystem(sat.system.tm, sat.system.tree, sat.alimdl)
    si_alis = gmm.align_all(alimdl, graphs, feats, config, [toy.SIL])
    assert (mean_aligned_loglike(sat.system, adapted, alis, logdet)
            > mean_aligned_loglike(alimdl, feats, si_alis) + 0.3)
    # Without an alimdl the first pass uses final.mdl itself.
    _, from_final = align_fmllr(sat.system, None, graphs, feats, utt2spk, [toy.SIL], config)
    assert sorted(from_final) == ["s0", "s1", "s2"]
