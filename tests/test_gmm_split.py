"""gmm.split_by_count: Kaldi's mix-up (GetSplitTargets + DiagGmm::Split), seeded."""

import sys

import kaldi_hmm_gmm as khg
import numpy as np
import pytest
import toy_system as toy

from pykaldi_distill.gmm import system as gmm


def mono_am(seed: int = 0) -> khg.AmDiagGmm:
    feats, _ = toy.corpus(4, seed=seed)
    return gmm.init_mono(toy.topology(), [[1], [2], [3]], list(feats.values())).am


def gaussians(am: khg.AmDiagGmm) -> list[np.ndarray]:
    """Each pdf's (weights | means | inv_vars) as one array."""
    out = []
    for pdf in range(am.num_pdfs):
        g = am.get_pdf(pdf)
        out.append(np.hstack([np.asarray(g.weights)[:, None], np.asarray(g.means),
                              np.asarray(g.inv_vars)]))
    return out


def test_split_targets_hand_computed() -> None:
    # occ^0.5 = 10, 6, 2: Gaussians go 10 -> (10/2=5, 6) -> 6 -> (5, 6/2=3) -> 5 -> ...
    targets = gmm.split_targets(np.array([100.0, 36.0, 4.0]), 6, power=0.5, min_count=1.0)
    assert targets.tolist() == [3, 2, 1]
    # min_count: pdf 0 may hold at most 3 Gaussians of >= 30 frames, the rest go to pdf 1
    targets = gmm.split_targets(np.array([100.0, 36.0, 4.0]), 7, power=0.5, min_count=30.0)
    assert targets.tolist() == [3, 1, 1]  # pdf 1: 2 * 30 >= 36, so no room anywhere else
    assert gmm.split_targets(np.array([5.0, 5.0]), 10, power=1.0).tolist() == [1, 1]


def test_split_matches_the_wheels_gaussian_counts() -> None:
    ours, kaldis = mono_am(), mono_am()
    occs = np.array([400.0, 150.0, 90.0, 1000.0, 60.0, 30.0, 700.0, 250.0, 100.0][:ours.num_pdfs],
                    dtype=np.float32)
    gmm.split_by_count(ours, occs, 20, 0.25, np.random.default_rng(0))
    kaldis.split_by_count(state_occs=occs, target_components=20, perturb_factor=0.01,
                          power=0.25, min_count=20.0)
    assert [ours.num_gauss_in_pdf(p) for p in range(ours.num_pdfs)] == \
        [kaldis.num_gauss_in_pdf(p) for p in range(kaldis.num_pdfs)]
    assert ours.num_gauss == kaldis.num_gauss


def test_split_keeps_mass_and_mean_and_moves_means_apart() -> None:
    am = mono_am()
    before = gaussians(am)
    gmm.split_by_count(am, np.full(am.num_pdfs, 1000.0, np.float32), 4 * am.num_pdfs, 0.25,
                       np.random.default_rng(1), perturb_factor=0.5)
    for old, new in zip(before, gaussians(am), strict=True):
        dim = (old.shape[1] - 1) // 2
        w, means, inv_vars = new[:, 0], new[:, 1:1 + dim], new[:, 1 + dim:]
        assert new.shape[0] == 4 and w.sum() == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(w @ means, old[0, 1:1 + dim], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(inv_vars, np.repeat(old[:, 1 + dim:], 4, axis=0), rtol=1e-6)
        assert np.ptp(means, axis=0).max() > 0.1 / np.sqrt(inv_vars.max())
        assert np.isfinite(np.asarray(am.get_pdf(0).gconsts)).all()


def test_same_seed_same_model_other_seed_other_model() -> None:
    runs = []
    for seed in (3, 3, 4):
        am = mono_am()
        gmm.split_by_count(am, np.full(am.num_pdfs, 500.0, np.float32), 3 * am.num_pdfs, 0.25,
                           np.random.default_rng(seed))
        runs.append(gaussians(am))
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[2], strict=True))


def test_mono_training_is_reproducible() -> None:
    """Two trainings on the same data end with the same model (the wheel's own split draws
    from std::random_device, which made runs differ)."""
    feats, texts = toy.corpus(20, seed=0)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    config = gmm.MonoConfig(num_iters=6, totgauss=24, max_iter_inc=4, realign_iters=[2, 4])
    models = [gmm.train_mono(toy.topology(), [[toy.SIL], [toy.A], [toy.B]], [toy.SIL], feats,
                             compile_graph, config)[0].am for _ in range(2)]
    assert models[0].num_gauss > models[0].num_pdfs
    assert all(np.array_equal(a, b) for a, b in
               zip(gaussians(models[0]), gaussians(models[1]), strict=True))


def test_graph_compiler_keeps_its_system_alive() -> None:
    """The wheel's TrainingGraphCompiler references tm and tree without owning them; the
    cache must hold them, or a freed system's id reused by a new one segfaults."""
    feats, texts = toy.corpus(4, seed=0)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    config = gmm.MonoConfig(num_iters=1, totgauss=6, max_iter_inc=1, realign_iters=[])
    system = gmm.train_mono(toy.topology(), [[toy.SIL], [toy.A], [toy.B]], [toy.SIL], feats,
                            compile_graph, config)[0]
    other = gmm.GmmSystem(khg.TransitionModel(ctx_dep=system.tree, hmm_topo=toy.topology()),
                          system.tree, system.am)
    # Counted outside the asserts: pytest's assert rewriting keeps extra references.
    before = sys.getrefcount(system.tm)
    compile_graph(other, sorted(texts)[0])
    after, other_after = sys.getrefcount(system.tm), sys.getrefcount(other.tm)
    assert (after, other_after) == (before - 1, before)
