"""Datasets, newbob scheduling, training (CE and KL), checkpoints per epoch and resume."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from pykaldi_distill.errors import InputError
from pykaldi_distill.formats.io import TopkPosteriors
from pykaldi_distill.nnet import (
    Blstm,
    BlstmConfig,
    ChunkDataset,
    Dnn,
    DnnConfig,
    FrameDataset,
    Newbob,
    TrainConfig,
    load_model,
    log_posteriors,
    split_train_cv,
)
from pykaldi_distill.nnet import train as train_mod
from pykaldi_distill.nnet.checkpoint import load_checkpoint
from pykaldi_distill.nnet.chunking import (
    ChunkConfig,
    InferenceChunking,
    plan_chunks,
    window_rows,
)
from pykaldi_distill.nnet.data import IGNORE_INDEX
from pykaldi_distill.nnet.train import EvalStats, train

DIM, PDFS = 6, 4


def synth(n_utts: int = 40, seed: int = 0, noise: float = 0.5
          ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Frame-separable data: pdf segments of 3-8 frames, features = pdf centroid + noise.
    Returns feats (frames, DIM) float32, hard (frames,) int64, soft (frames, PDFS) float32
    (a peaky 'teacher' posterior whose argmax is the hard target)."""
    rng = np.random.default_rng(seed)
    centroids = np.random.default_rng(123).normal(size=(PDFS, DIM)) * 2
    feats, hard, soft = {}, {}, {}
    for u in range(n_utts):
        states: list[int] = []
        n = int(rng.integers(25, 45))
        while len(states) < n:
            states += [int(rng.integers(PDFS))] * int(rng.integers(3, 9))
        s = np.array(states[:n])
        key = f"utt{u:03d}"
        feats[key] = (centroids[s] + noise * rng.normal(size=(n, DIM)) + 5).astype(np.float32)
        hard[key] = s.astype(np.int64)
        logits = 4.0 * np.eye(PDFS)[s] + rng.normal(size=(n, PDFS))
        logits[np.arange(n), s] = logits.max(axis=1) + 1.0
        p = np.exp(logits - logits.max(1, keepdims=True))
        soft[key] = (p / p.sum(1, keepdims=True)).astype(np.float32)
    return feats, hard, soft


@pytest.fixture(scope="module")
def corpus() -> tuple[dict, dict, dict]:
    return synth()


def _dnn(context: int = 2) -> Dnn:
    torch.manual_seed(0)
    return Dnn(DnnConfig(DIM, PDFS, context=context, hidden=32, num_layers=2))


def _frame_sets(corpus: tuple, **kw: object) -> tuple[FrameDataset, FrameDataset]:
    feats, hard, soft = corpus
    tr, cv = split_train_cv(list(feats), 0.25, seed=1)
    return (FrameDataset(feats, hard, context=2, utts=tr, **kw),  # type: ignore[arg-type]
            FrameDataset(feats, hard, context=2, utts=cv, **kw))  # type: ignore[arg-type]


# -- data ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["hash", "permutation"])
def test_split_train_cv_methods(method: str) -> None:
    utts = [f"u{i:03d}" for i in range(200)]
    tr, cv = split_train_cv(utts, 0.1, seed=5, method=method)
    assert set(tr) | set(cv) == set(utts) and not set(tr) & set(cv)
    assert 10 <= len(cv) <= 30
    fewer = split_train_cv(utts[3:], 0.1, seed=5, method=method)[1]
    if method == "hash":  # membership does not depend on the other utterances
        assert fewer == [u for u in cv if u in utts[3:]]
    with pytest.raises(ValueError, match="unknown"):
        split_train_cv(utts, 0.1, method="other")  # type: ignore[arg-type]


def test_split_train_cv_deterministic_disjoint() -> None:
    utts = [f"u{i}" for i in range(20)]
    tr, cv = split_train_cv(utts, 0.2, seed=3)
    assert len(cv) == 4 and set(tr) | set(cv) == set(utts) and not set(tr) & set(cv)
    assert (tr, cv) == split_train_cv(list(reversed(utts)), 0.2, seed=3)
    assert split_train_cv(utts, 0.2, seed=4) != (tr, cv)
    assert split_train_cv(["a", "b"], 0.01, 0)[1] != []  # at least one cv utt
    assert split_train_cv(["a", "b"], 0.0, 0) == (["a", "b"], [])


def test_length_tolerance_trims_and_names_bad_utt() -> None:
    feats = {"a": np.zeros((10, 3), np.float32), "b": np.zeros((8, 3), np.float32)}
    hard = {"a": np.zeros(8, np.int64), "b": np.zeros(8, np.int64)}
    ds = FrameDataset(feats, hard, context=1, num_pdfs=2)
    assert ds.num_frames == 16 and ds.utts == ["a", "b"]
    hard["a"] = np.zeros(7, np.int64)
    with pytest.raises(InputError, match="'a'.*10 features frames, 7 hard targets"):
        FrameDataset(feats, hard, context=1, source="exp/tri1_ali")
    with pytest.raises(InputError, match="exp/tri1_ali"):
        ChunkDataset(feats, hard, source="exp/tri1_ali")


def test_missing_targets_skipped_and_bad_ids_rejected() -> None:
    feats = {u: np.ones((5, 2), np.float32) for u in ("a", "b", "c")}
    ds = FrameDataset(feats, {"a": np.zeros(5), "c": np.ones(5)}, context=0)
    assert ds.utts == ["a", "c"] and ds.skipped == ["b"] and ds.num_pdfs == 2
    with pytest.raises(InputError, match="'c'.*pdf id"):
        FrameDataset(feats, {"a": np.zeros(5), "c": np.full(5, 3)}, num_pdfs=3)
    with pytest.raises(InputError, match="no utterance"):
        FrameDataset(feats, {"x": np.zeros(5)})
    bad_soft = {"a": np.full((5, 3), -1.0, np.float32)}
    with pytest.raises(InputError, match="'a'.*non-negative"):
        ChunkDataset(feats, bad_soft)


def _coded(lengths: dict[str, int]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Features whose column 0 is the frame's code 1000 * utterance + t (column 1: t), and
    hard targets t % PDFS."""
    feats, hard = {}, {}
    for u, (utt, n) in enumerate(sorted(lengths.items())):
        t = np.arange(n)
        feats[utt] = np.stack([1000.0 * u + t, t] + [np.zeros(n)] * (DIM - 2), 1).astype(
            np.float32)
        hard[utt] = t % PDFS
    return feats, hard


def test_chunk_plan_shifts_the_last_chunk_and_masks_short_utterances() -> None:
    plan = plan_chunks(np.array([0, 45, 50, 90]), np.array([45, 5, 40, 20]), 20)
    np.testing.assert_array_equal(plan.starts, [0, 20, 25, 45, 50, 70, 90])
    np.testing.assert_array_equal(plan.loss_begin, [0, 0, 15, 0, 0, 0, 0])  # 25..39 overlap
    np.testing.assert_array_equal(plan.loss_end, [20, 20, 20, 5, 20, 20, 20])
    np.testing.assert_array_equal(plan.first, [0, 0, 0, 45, 50, 50, 90])
    np.testing.assert_array_equal(plan.last, [44, 44, 44, 49, 89, 89, 109])
    rows = window_rows(plan, np.array([0, 3]), ChunkConfig(20, 2, 3))
    np.testing.assert_array_equal(rows[0], [0, 0] + list(range(23)))  # left edge replicated
    np.testing.assert_array_equal(rows[1], [45] * 3 + list(range(46, 50)) + [49] * 18)
    with pytest.raises(ValueError, match="chunk_left_context"):
        ChunkConfig(20, -1, 0)
    with pytest.raises(ValueError, match="chunk_width"):
        ChunkConfig(0)


@pytest.mark.parametrize("chunk", [ChunkConfig(8, 3, 2), ChunkConfig(16, 0, 5),
                                   ChunkConfig(5, 4, 0)])
def test_chunk_samples_score_every_frame_once(chunk: ChunkConfig) -> None:
    lengths = {"a": 37, "b": 5, "c": 16, "d": 1, "e": 24}
    feats, hard = _coded(lengths)
    ds = ChunkDataset(feats, hard, chunk=chunk)
    width, left = chunk.chunk_width, chunk.chunk_left_context
    scored: list[float] = []
    batches = list(ds.iter_batches(3, np.random.default_rng(0)))
    assert len(batches) == ds.num_batches(3)
    for b in batches:
        assert b.x.shape[1:] == (chunk.sample_frames, DIM) and b.left_context == left
        assert b.loss_mask.shape == b.hard.shape == (b.x.shape[0], width)
        centre = b.x[:, left:left + width]  # (B, W, DIM) the frames the loss is over
        mask = b.loss_mask
        assert (b.hard[~mask] == IGNORE_INDEX).all() and b.num_frames == int(mask.sum())
        np.testing.assert_array_equal(b.hard[mask].numpy(),
                                      centre[mask][:, 1].numpy().astype(int) % PDFS)
        scored += centre[mask][:, 0].tolist()
        codes = b.x[..., 0].numpy()  # (B, T): consecutive, edges replicated, one utterance
        steps = np.diff(codes, axis=1)
        assert ((steps == 0) | (steps == 1)).all()
    expected = sorted(float(c) for x in feats.values() for c in x[:, 0])
    assert sorted(scored) == expected  # every frame carries loss exactly once
    assert ds.num_chunks == sum(max(1, -(-n // width)) for n in lengths.values())


def test_chunk_edges_replicate_and_batches_are_seeded(corpus: tuple) -> None:
    feats, hard, soft = corpus
    chunk = ChunkConfig(10, 6, 4)
    ds = ChunkDataset(feats, soft, hard_targets=hard, chunk=chunk)
    first = next(ds.iter_batches(ds.num_chunks))  # corpus order: chunk 0 starts utt 0
    u0 = feats[ds.utts[0]]
    np.testing.assert_array_equal(first.x[0, :7].numpy(), np.repeat(u0[:1], 7, axis=0))
    np.testing.assert_array_equal(first.x[0, 7:].numpy(), u0[1:14])
    last_of_u0 = int(np.flatnonzero(ds.plan.first == 0)[-1])
    tail = first.x[last_of_u0, -5:].numpy()  # the right context past the utterance's end
    np.testing.assert_array_equal(tail, np.repeat(u0[-1:], 5, axis=0))
    assert first.soft.shape == (ds.num_chunks, 10, PDFS)
    np.testing.assert_allclose(first.soft.sum(-1).numpy(), first.loss_mask.float().numpy(),
                               atol=1e-5)
    a, b = (next(ds.iter_batches(64, np.random.default_rng(s))) for s in (3, 3))
    c = next(ds.iter_batches(64, np.random.default_rng(4)))
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x) and a.x.shape[0] == 64


def test_frame_batches_shuffled_spliced(corpus: tuple) -> None:
    feats, hard, _ = corpus
    ds = FrameDataset(feats, hard, context=3)
    first = np.concatenate([b.hard.numpy() for b in ds.iter_batches(64)])
    np.testing.assert_array_equal(first, np.concatenate([hard[u] for u in sorted(hard)]))
    b1 = next(ds.iter_batches(50, np.random.default_rng(0)))
    b2 = next(ds.iter_batches(50, np.random.default_rng(1)))
    assert b1.x.shape == (50, 7 * DIM) and not torch.equal(b1.x, b2.x)
    u = sorted(feats)[0]  # first frame of the first utterance: left context replicated
    x0 = ds.spliced(np.array([0]))[0].reshape(7, DIM)
    np.testing.assert_array_equal(x0[:4], np.repeat(feats[u][:1], 4, axis=0))
    np.testing.assert_array_equal(x0[4:], feats[u][1:4])
    last = len(feats[u]) - 1  # last frame: right context replicated, never the next utt
    xl = ds.spliced(np.array([last]))[0].reshape(7, DIM)
    np.testing.assert_array_equal(xl[3:], np.repeat(feats[u][-1:], 4, axis=0))


def test_soft_topk_storage(corpus: tuple) -> None:
    feats, _, soft = corpus
    dense = FrameDataset(feats, soft, context=0)
    sparse = FrameDataset(feats, soft, context=0, soft_topk=2)
    rows = np.arange(0, dense.num_frames, 7)
    d, s = dense._soft_rows(rows), sparse._soft_rows(rows)
    assert ((s > 0).sum(1) == 2).all()
    np.testing.assert_array_equal(d.argmax(1), s.argmax(1))
    kept = np.where(s > 0, d, 0)  # the top 2, renormalised
    np.testing.assert_allclose(s, kept / kept.sum(1, keepdims=True), rtol=1e-6)


def test_topk_posteriors_train_as_the_dense_topk(corpus: tuple) -> None:
    """A post.scp's top-k (padded where a frame has fewer) gives the batches of the dense
    targets cut to the same k."""
    from pykaldi_distill.nnet.distill import topk

    feats, _, soft = corpus
    top = {u: topk(m, 3) for u, m in soft.items()}
    first = next(iter(top))
    top[first] = TopkPosteriors(top[first].ids.copy(), top[first].weights.copy())
    top[first].weights[0, 1:] = 0  # a frame of one entry; its padding repeats id 0 or not
    top[first].weights[0, 0] = 1
    top[first].ids[0, 1:] = 0
    from_post = FrameDataset(feats, top, context=0, num_pdfs=PDFS)
    cut = FrameDataset(feats, {u: top[u].dense(PDFS) for u in top}, context=0, soft_topk=3)
    rows = np.arange(from_post.num_frames)
    np.testing.assert_allclose(from_post._soft_rows(rows), cut._soft_rows(rows), rtol=1e-6)
    narrower = FrameDataset(feats, top, context=0, num_pdfs=PDFS, soft_topk=2)
    assert ((narrower._soft_rows(rows) > 0).sum(1) <= 2).all()


# -- newbob ---------------------------------------------------------------------------------
def _run_newbob(accs: list[float], **kw: object) -> tuple[Newbob, list[bool], list[float]]:
    cfg = TrainConfig(lr=1.0, **kw)  # type: ignore[arg-type]
    nb = Newbob(cfg.lr, accs[0])
    accepted, lrs = [], []
    for epoch, acc in enumerate(accs[1:], 1):
        if nb.stopped:
            break
        lrs.append(nb.lr)
        accepted.append(nb.update(epoch, acc, cfg))
    return nb, accepted, lrs


def test_newbob_halving_and_stopping() -> None:
    nb, accepted, lrs = _run_newbob([0.1, 0.5, 0.7, 0.705, 0.71, 0.712, 0.7125, 0.8])
    assert lrs == [1, 1, 1, 0.5, 0.25, 0.125]  # halving starts after +0.005 (< 0.01)
    assert accepted == [True] * 6 and nb.stopped and nb.best_epoch == 6  # +0.0005 < 0.001


def test_newbob_rejects_worse_epoch() -> None:
    nb, accepted, lrs = _run_newbob([0.1, 0.5, 0.4, 0.6, 0.6005])
    assert accepted == [True, False, True, True]
    assert lrs == [1, 1, 0.5, 0.25]  # rejection: impr 0 -> halving
    assert nb.stopped and nb.best_epoch == 4
    nb, accepted, _ = _run_newbob([0.1, 0.5, 0.4, 0.3], min_epochs=3)
    assert accepted == [True, True, True] and not nb.stopped  # forced accept, no stop


def test_newbob_loss_criterion_is_relative() -> None:
    cfg = TrainConfig(lr=1.0, criterion="loss")
    nb = Newbob(1.0, 2.0)
    assert nb.update(1, 1.0, cfg) and nb.lr == 1.0  # 50% better
    assert nb.update(2, 0.995, cfg) and nb.halving and nb.lr == 0.5  # 0.5% < 1%
    assert not nb.update(3, 1.2, cfg) and nb.stopped


# -- training ---------------------------------------------------------------------------------
def test_dnn_ce_training_learns(corpus: tuple, tmp_path: Path) -> None:
    tr, cv = _frame_sets(corpus)
    model = _dnn()
    calls: list[tuple] = []
    cfg = TrainConfig(lr=3e-3, batch_size=64, max_epochs=4)
    hist = train(model, tr, cv, cfg, tmp_path, on_progress=lambda *a: calls.append(a))
    assert hist.epochs[0].cv_acc < 0.6 and max(e.cv_acc for e in hist.epochs) > 0.95
    best = hist.epochs[hist.best_epoch]
    assert best.cv_acc == max(e.cv_acc for e in hist.epochs)
    assert calls[0][:3] == (1, 1, tr.num_batches(64)) and calls[-1][3] > 0
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["best_epoch"] == hist.best_epoch and len(saved["epochs"]) == len(hist.epochs)
    loaded, ckpt = load_model(tmp_path / "final.pt")
    assert ckpt["extra"]["epoch"] == hist.best_epoch
    feats = corpus[0][cv.utts[0]]
    np.testing.assert_allclose(log_posteriors(loaded, feats), log_posteriors(model, feats),
                               atol=1e-6)
    assert (log_posteriors(loaded, feats).argmax(1) == corpus[1][cv.utts[0]]).mean() > 0.9
    assert loaded.input_norm.mean.abs().sum() > 0  # input normalisation from train stats


def _blstm() -> Blstm:
    torch.manual_seed(0)
    return Blstm(BlstmConfig(DIM, PDFS, num_layers=1, hidden=16, dnn_dim=32))


def test_blstm_ce_training_learns(corpus: tuple, tmp_path: Path) -> None:
    feats, hard, _ = corpus
    tr_utts, cv_utts = split_train_cv(list(feats), 0.25, seed=1)
    chunk = ChunkConfig(8, 6, 6)
    tr = ChunkDataset(feats, hard, chunk=chunk, utts=tr_utts)
    cv = ChunkDataset(feats, hard, chunk=chunk, utts=cv_utts)
    model = _blstm()
    hist = train(model, tr, cv, TrainConfig(lr=1e-2, batch_size=16, max_epochs=3), tmp_path)
    assert max(e.cv_acc for e in hist.epochs) > 0.95
    assert hist.epochs[-1].frames_per_sec > 0
    loaded, ckpt = load_model(tmp_path / "final.pt")
    assert ckpt["extra"]["chunk"] == asdict(chunk)  # decoding runs it as it was trained
    chunking = InferenceChunking.of_checkpoint(ckpt["extra"])
    assert chunking == InferenceChunking(8, 6, 6)
    utt = cv.utts[0]
    lp = log_posteriors(loaded, feats[utt], chunking)
    assert lp.shape == (len(feats[utt]), PDFS)
    assert (lp.argmax(1) == hard[utt]).mean() > 0.9
    with pytest.raises(InputError, match="different settings.*chunk_width"):
        other = ChunkDataset(feats, hard, chunk=ChunkConfig(6, 6, 6), utts=tr_utts)
        train(_blstm(), other, cv, TrainConfig(lr=1e-2, batch_size=16, max_epochs=4),
              tmp_path)


def test_blstm_kl_training_on_soft_chunks(corpus: tuple, tmp_path: Path) -> None:
    feats, hard, soft = corpus
    tr_utts, cv_utts = split_train_cv(list(feats), 0.25, seed=1)
    kw = {"chunk": ChunkConfig(8, 4, 4), "hard_targets": hard, "soft_topk": 3}
    tr = ChunkDataset(feats, soft, utts=tr_utts, **kw)  # type: ignore[arg-type]
    cv = ChunkDataset(feats, soft, utts=cv_utts, **kw)  # type: ignore[arg-type]
    cfg = TrainConfig(loss="kl", temperature=2.0, hard_weight=0.3, lr=1e-2, batch_size=16,
                      max_epochs=2)
    hist = train(_blstm(), tr, cv, cfg, tmp_path)
    best = hist.epochs[hist.best_epoch]
    assert best.cv_acc > 0.9 and best.cv_loss < hist.epochs[0].cv_loss
    assert best.cv_hard_acc is not None and np.isfinite(best.train_loss)


@pytest.mark.parametrize("hard_weight", [0.0, 0.3])
def test_dnn_kl_distillation_learns(corpus: tuple, tmp_path: Path, hard_weight: float) -> None:
    feats, hard, soft = corpus
    tr_utts, cv_utts = split_train_cv(list(feats), 0.25, seed=1)
    kw = {"context": 2, "hard_targets": hard if hard_weight else None, "soft_topk": 3}
    tr = FrameDataset(feats, soft, utts=tr_utts, **kw)  # type: ignore[arg-type]
    cv = FrameDataset(feats, soft, utts=cv_utts, **kw)  # type: ignore[arg-type]
    cfg = TrainConfig(loss="kl", temperature=2.0, hard_weight=hard_weight, lr=3e-3,
                      batch_size=64, max_epochs=3)
    hist = train(_dnn(), tr, cv, cfg, tmp_path)
    best = hist.epochs[hist.best_epoch]
    assert best.cv_acc > 0.95  # argmax agreement with the teacher
    assert best.cv_loss < hist.epochs[0].cv_loss
    assert (best.cv_hard_acc is not None) == bool(hard_weight)


def test_training_checks_targets(corpus: tuple, tmp_path: Path) -> None:
    tr, cv = _frame_sets(corpus)
    with pytest.raises(ValueError, match="soft targets"):
        train(_dnn(), tr, cv, TrainConfig(loss="kl"), tmp_path)
    with pytest.raises(ValueError, match="context"):
        train(_dnn(context=3), tr, cv, TrainConfig(), tmp_path)
    chunks = ChunkDataset(corpus[0], corpus[1], chunk=ChunkConfig(8, 2, 2))
    with pytest.raises(ValueError, match="ChunkDataset needs a Blstm"):
        train(_dnn(), chunks, chunks, TrainConfig(), tmp_path)
    with pytest.raises(ValueError):
        TrainConfig(hard_weight=1.5)


def test_resume_continues_from_last_epoch(corpus: tuple, tmp_path: Path) -> None:
    tr, cv = _frame_sets(corpus)
    cfg = TrainConfig(lr=1e-3, batch_size=64, max_epochs=2, start_halving_impr=0.0,
                      end_halving_impr=-1.0)  # never halve/stop: run all epochs
    train(_dnn(), tr, cv, cfg, tmp_path)
    epoch2 = (tmp_path / "epoch-2.pt").stat().st_mtime_ns
    epochs_run: set[int] = set()
    longer = TrainConfig(**{**cfg.__dict__, "max_epochs": 4})
    model = _dnn()
    hist = train(model, tr, cv, longer, tmp_path, on_progress=lambda e, *_: epochs_run.add(e))
    assert epochs_run == {3, 4} and [e.epoch for e in hist.epochs] == [0, 1, 2, 3, 4]
    assert (tmp_path / "epoch-2.pt").stat().st_mtime_ns == epoch2
    # the same run straight through gives the same result (deterministic per-epoch seeds)
    straight = train(_dnn(), tr, cv, longer, tmp_path / "straight")
    assert [e.cv_loss for e in straight.epochs] == pytest.approx(
        [e.cv_loss for e in hist.epochs], rel=1e-5)
    # a finished run returns at once
    epochs_run.clear()
    again = train(_dnn(), tr, cv, longer, tmp_path, on_progress=lambda e, *_: epochs_run.add(e))
    assert not epochs_run and again.epochs == hist.epochs
    with pytest.raises(InputError, match="epoch-4.pt.*lr"):
        train(_dnn(), tr, cv, TrainConfig(**{**longer.__dict__, "lr": 0.1}), tmp_path)
    with pytest.raises(InputError, match="epoch-4.pt: holds 4 epochs, more than max_epochs=2"):
        train(_dnn(), tr, cv, cfg, tmp_path)  # a 4-epoch run is not a 2-epoch one
    fresh = train(_dnn(), tr, cv, cfg, tmp_path, resume=False)
    assert len(fresh.epochs) == 3 and not (tmp_path / "epoch-3.pt").exists()


def test_newbob_halving_in_training(corpus: tuple, tmp_path: Path) -> None:
    tr, cv = _frame_sets(corpus)
    cfg = TrainConfig(lr=1e-3, batch_size=64, max_epochs=6, start_halving_impr=1.0,
                      end_halving_impr=-1.0)  # halve after every epoch, never stop
    hist = train(_dnn(), tr, cv, cfg, tmp_path)
    assert [e.lr for e in hist.epochs] == pytest.approx([0, 1e-3, 5e-4, 2.5e-4, 1.25e-4,
                                                         6.25e-5, 3.125e-5])
    assert hist.stop_reason == "max_epochs"
    cfg = TrainConfig(lr=1e-3, batch_size=64, max_epochs=6, start_halving_impr=1.0,
                      end_halving_impr=1.0)  # halving after epoch 1, stop after epoch 2
    hist = train(_dnn(), tr, cv, cfg, tmp_path / "stop")
    assert [e.epoch for e in hist.epochs] == [0, 1, 2] and hist.stop_reason == "converged"


def test_rejected_epoch_reverts_to_best(corpus: tuple, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tr, cv = _frame_sets(corpus)
    scripted = iter([0.1, 0.5, 0.3, 0.4])  # epoch 2 and 3 worse than epoch 1
    monkeypatch.setattr(train_mod, "evaluate",
                        lambda *a: EvalStats(1.0 - (acc := next(scripted)), acc, None, 1))
    model = _dnn()
    cfg = TrainConfig(lr=1e-3, batch_size=64, max_epochs=3, end_halving_impr=-1.0)
    hist = train(model, tr, cv, cfg, tmp_path)
    assert [e.accepted for e in hist.epochs] == [True, True, False, False]
    assert hist.best_epoch == 1 and [e.lr for e in hist.epochs] == [0, 1e-3, 1e-3, 5e-4]
    best_sd = load_checkpoint(tmp_path / "epoch-1.pt")["state_dict"]
    rejected_sd = load_checkpoint(tmp_path / "epoch-3.pt")["state_dict"]
    final_sd = load_checkpoint(tmp_path / "final.pt")["state_dict"]
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, best_sd[name]) and torch.equal(final_sd[name], best_sd[name])
    assert any(not torch.equal(best_sd[n], rejected_sd[n]) for n in best_sd)


def test_decaying_schedule_keeps_every_epoch_and_ends_on_the_best(
        corpus: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tr, cv = _frame_sets(corpus)
    scripted = iter([0.1, 0.5, 0.3, 0.4])  # epoch 1 best, epochs 2 and 3 worse
    monkeypatch.setattr(train_mod, "evaluate",
                        lambda *a: EvalStats(1.0 - (acc := next(scripted)), acc, None, 1))
    lrs: list[float] = []
    real_step = train_mod.train_step

    def spy_step(model, batch, config, optimizer, world):  # type: ignore[no-untyped-def]
        lrs.append(optimizer.param_groups[0]["lr"])
        return real_step(model, batch, config, optimizer, world)

    monkeypatch.setattr(train_mod, "train_step", spy_step)
    model = _dnn()
    cfg = TrainConfig(lr=1e-3, final_lr=1e-4, batch_size=64, max_epochs=3)
    hist = train(model, tr, cv, cfg, tmp_path)
    assert [e.accepted for e in hist.epochs] == [True] * 4 and hist.stop_reason == "max_epochs"
    assert [e.lr for e in hist.epochs] == pytest.approx([0, 1e-3, 1e-3 * 0.1 ** (1 / 3),
                                                         1e-3 * 0.1 ** (2 / 3)])
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] < 1e-3 * 0.1 ** (2 / 3)
    assert lrs[-1] > 1e-4 and all(np.diff(lrs) < 0)  # decays update by update
    assert hist.best_epoch == 1
    best_sd = load_checkpoint(tmp_path / "epoch-1.pt")["state_dict"]
    final_sd = load_checkpoint(tmp_path / "final.pt")["state_dict"]
    assert all(torch.equal(final_sd[n], best_sd[n]) for n in best_sd)


def test_decaying_schedule_resumes_from_last_epoch_not_longer(corpus: tuple,
                                                                tmp_path: Path) -> None:
    tr, cv = _frame_sets(corpus)
    cfg = TrainConfig(lr=1e-3, final_lr=1e-4, batch_size=64, max_epochs=2)
    straight = train(_dnn(), tr, cv, cfg, tmp_path / "straight")
    half = TrainConfig(**{**cfg.__dict__})
    train(_dnn(), tr, cv, half, tmp_path / "halves")
    (tmp_path / "halves" / "epoch-2.pt").unlink()  # as if stopped after epoch 1
    resumed = train(_dnn(), tr, cv, cfg, tmp_path / "halves")
    assert [e.cv_loss for e in resumed.epochs] == pytest.approx(
        [e.cv_loss for e in straight.epochs], rel=1e-5)
    with pytest.raises(InputError, match="max_epochs"):  # the decay's length is its shape
        train(_dnn(), tr, cv, TrainConfig(**{**cfg.__dict__, "max_epochs": 4}),
              tmp_path / "straight")


def test_final_lr_checked() -> None:
    with pytest.raises(ValueError, match="final_lr"):
        TrainConfig(lr=1e-3, final_lr=1e-2)
