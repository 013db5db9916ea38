"""Models, splicing, cost counting, checkpoints and inference helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pykaldi_distill.errors import InputError
from pykaldi_distill.nnet import (
    Blstm,
    BlstmConfig,
    Dnn,
    DnnConfig,
    compute_pdf_counts,
    count_params,
    load_model,
    log_posteriors,
    log_priors_from_counts,
    mflops_per_frame,
    pseudo_log_likelihoods,
    save_checkpoint,
    splice,
)
from pykaldi_distill.nnet.chunking import InferenceChunking, chunked_logits
from pykaldi_distill.nnet.infer import UNSEEN_LOG_PRIOR
from pykaldi_distill.nnet.teacher import blstm_mflops_parts

DIM, PDFS = 5, 7


def _blstm(**kw: object) -> Blstm:
    torch.manual_seed(0)
    cfg = BlstmConfig(DIM, PDFS, **{"num_layers": 2, "hidden": 8, "dnn_dim": 12, **kw})
    return Blstm(cfg).eval()


def _dnn(**kw: object) -> Dnn:
    torch.manual_seed(0)
    return Dnn(DnnConfig(DIM, PDFS, **{"context": 2, "hidden": 16, "num_layers": 2, **kw})).eval()


def _manual_splice(x: np.ndarray, c: int) -> np.ndarray:
    """Kaldi splice-feats: frame t gets [x[t-c] .. x[t+c]], indices clamped to the edges."""
    n = len(x)
    return np.stack([np.concatenate([x[min(max(t + o, 0), n - 1)] for o in range(-c, c + 1)])
                     for t in range(n)])


@pytest.mark.parametrize("kw", [{}, {"projection": 4}, {"dnn_before": 0, "dnn_after": 0},
                                {"dnn_before": 2, "dnn_after": 2, "dropout": 0.1}])
def test_blstm_shapes(kw: dict) -> None:
    model = _blstm(**kw)
    out = model(torch.randn(3, 9, DIM), torch.tensor([9, 5, 1]))
    assert out.shape == (3, 9, PDFS)
    assert model(torch.randn(2, 4, DIM)).shape == (2, 4, PDFS)


@pytest.mark.parametrize("kw", [{}, {"projection": 4}])
def test_blstm_padding_does_not_leak(kw: dict) -> None:
    model = _blstm(**kw)
    a, b = torch.randn(11, DIM), torch.randn(6, DIM)
    batch = torch.full((2, 11, DIM), 1e3)  # garbage padding
    batch[0], batch[1, :6] = a, b
    with torch.no_grad():
        out = model(batch, torch.tensor([11, 6]))
        alone_a, alone_b = model(a[None])[0], model(b[None])[0]
    torch.testing.assert_close(out[0], alone_a, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[1, :6], alone_b, atol=1e-5, rtol=1e-5)


def test_forward_chunks_is_the_middle_of_forward() -> None:
    model = _blstm()
    x = torch.randn(3, 17, DIM)
    with torch.no_grad():
        torch.testing.assert_close(model.forward_chunks(x, 5, 8), model(x)[:, 5:13],
                                   atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("frames", [1, 6, 7, 50, 161])
def test_chunked_inference_with_large_context_equals_whole_utterance(frames: int) -> None:
    model = _blstm()
    x = torch.randn(frames, DIM)
    with torch.inference_mode():
        whole = model(x[None])[0]  # (frames, pdfs), no padding
        padded = chunked_logits(model, x, InferenceChunking(0, 40, 40))  # one chunk + context
        chunked = chunked_logits(model, x, InferenceChunking(7, 40, 40))
        no_context = chunked_logits(model, x, InferenceChunking(7, 0, 0))
    assert chunked.shape == padded.shape == no_context.shape == (frames, PDFS)
    torch.testing.assert_close(chunked, padded, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(chunked_logits(model, x, InferenceChunking()), whole)
    # Away from the edges (whose context is replicated frames) it is the whole utterance.
    inner = slice(20, max(20, frames - 20))
    torch.testing.assert_close(chunked[inner], whole[inner], atol=1e-5, rtol=1e-5)
    if frames > 20:  # a chunk without context sees less than the whole utterance
        assert not torch.allclose(no_context[inner], whole[inner], atol=1e-3)


def test_log_posteriors_run_the_blstm_in_chunks() -> None:
    model = _blstm()
    feats = np.random.default_rng(2).normal(size=(30, DIM)).astype(np.float32)
    chunked = log_posteriors(model, feats, InferenceChunking(4, 2, 3))
    with torch.inference_mode():
        ref = torch.log_softmax(chunked_logits(model, torch.from_numpy(feats),
                                               InferenceChunking(4, 2, 3)), -1).numpy()
    np.testing.assert_allclose(chunked, ref, atol=1e-6)
    assert not np.allclose(chunked, log_posteriors(model, feats), atol=1e-4)
    dnn = _dnn()  # a DNN ignores the chunking
    np.testing.assert_array_equal(log_posteriors(dnn, feats, InferenceChunking(4, 2, 3)),
                                  log_posteriors(dnn, feats))


def test_inference_chunking_defaults_and_checks() -> None:
    assert InferenceChunking.of_checkpoint({}) == InferenceChunking(0, 0, 0)
    extra = {"chunk": {"chunk_width": 20, "chunk_left_context": 30, "chunk_right_context": 10}}
    assert InferenceChunking.of_checkpoint(extra) == InferenceChunking(20, 30, 10)
    with pytest.raises(ValueError, match="extra_left_context"):
        InferenceChunking(20, -1, 0)


def test_splice_matches_manual_splicing_at_edges() -> None:
    x = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    for c in (0, 1, 4, 8):  # 8 > frames: everything replicated from the edges
        got = splice(torch.from_numpy(x)[None], c)[0].numpy()
        np.testing.assert_array_equal(got, _manual_splice(x, c))


def test_splice_with_lengths_uses_only_real_frames() -> None:
    x = torch.randn(2, 6, 3)
    got = splice(x, 2, torch.tensor([6, 3]))
    np.testing.assert_array_equal(got[1, :3].numpy(), _manual_splice(x[1, :3].numpy(), 2))


@pytest.mark.parametrize("norm", ["none", "batchnorm", "layernorm"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_dnn_sequence_and_frame_paths_agree(norm: str, activation: str) -> None:
    model = _dnn(norm=norm, activation=activation)
    model.input_norm.set_stats(np.full(DIM, 0.5), np.full(DIM, 2.0))
    x = torch.randn(2, 8, DIM)
    with torch.no_grad():
        seq = model(x, torch.tensor([8, 5]))
        assert seq.shape == (2, 8, PDFS)
        frames = model.forward_spliced(torch.from_numpy(_manual_splice(x[0].numpy(), 2)))
        short = model(x[1:2, :5])[0]
    torch.testing.assert_close(seq[0], frames, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(seq[1, :5], short, atol=1e-5, rtol=1e-5)


def test_count_params_and_mflops() -> None:
    dnn = _dnn()
    spliced = 5 * DIM
    assert count_params(dnn) == (spliced * 16 + 16) + (16 * 16 + 16) + (16 * PDFS + PDFS)
    macs = spliced * 16 + 16 * 16 + 16 * PDFS
    assert mflops_per_frame(dnn) == pytest.approx(2 * macs / 1e6)
    assert mflops_per_frame(dnn.config) == mflops_per_frame(dnn)

    cfg = BlstmConfig(DIM, PDFS, num_layers=2, hidden=8, projection=4, dnn_dim=12)
    macs = DIM * 12  # input affine
    macs += 2 * (4 * 8 * (12 + 4) + 8 * 4)  # layer 1, both directions, gates + projection
    macs += 2 * (4 * 8 * (8 + 4) + 8 * 4)  # layer 2 input = 2 * projection
    macs += 8 * 12 + 12 * PDFS  # post affine + output
    assert mflops_per_frame(cfg) == pytest.approx(2 * macs / 1e6)
    assert blstm_mflops_parts(cfg)[1] == pytest.approx(2 * (8 * 12 + 12 * PDFS) / 1e6)
    assert sum(blstm_mflops_parts(cfg)) == pytest.approx(mflops_per_frame(cfg))
    lstm = Blstm(cfg).lstm
    lstm_weights = sum(p.numel() for n, p in lstm.named_parameters() if "weight" in n)
    assert 2 * macs == 2 * (DIM * 12 + lstm_weights + 8 * 12 + 12 * PDFS)
    with pytest.raises(TypeError):
        mflops_per_frame(torch.nn.Linear(2, 2))


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        DnnConfig(DIM, PDFS, activation="tanh")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DnnConfig(DIM, PDFS, norm="groupnorm")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        BlstmConfig(DIM, PDFS, hidden=8, projection=8)


@pytest.mark.parametrize("kind", ["blstm", "dnn"])
def test_checkpoint_round_trip(tmp_path: Path, kind: str) -> None:
    model = _blstm(projection=4) if kind == "blstm" else _dnn(norm="batchnorm")
    model.input_norm.set_stats(np.arange(DIM, dtype=np.float32), np.full(DIM, 3.0))
    if kind == "dnn":  # non-trivial BatchNorm running stats
        model.train()
        model.forward_spliced(torch.randn(32, 5 * DIM) * 4 + 1)
        model.eval()
    path = tmp_path / "m" / "final.pt"
    cmvn = np.ones((2, DIM + 1))
    save_checkpoint(path, model, kind, model.config, {"epoch": 3, "cmvn": cmvn, "feat": "fbank"})
    loaded, ckpt = load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert not loaded.training
    assert ckpt["extra"]["epoch"] == 3 and ckpt["extra"]["feat"] == "fbank"
    np.testing.assert_array_equal(ckpt["extra"]["cmvn"].numpy(), cmvn)
    x = torch.randn(2, 10, DIM)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), atol=0, rtol=0)
    assert [p.name for p in path.parent.iterdir()] == ["final.pt"]  # no temp files left


def test_checkpoint_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pt"
    with pytest.raises(InputError, match="nope.pt"):
        load_model(missing)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="corrupt.pt"):
        load_model(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(InputError, match="foreign.pt"):
        load_model(foreign)
    truncated = tmp_path / "trunc.pt"
    model = _dnn()
    save_checkpoint(truncated, model, "dnn", model.config, {})
    truncated.write_bytes(truncated.read_bytes()[:200])
    with pytest.raises(InputError, match="trunc.pt"):
        load_model(truncated)
    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "x.pt", model, "blstm", model.config, {})


@pytest.mark.parametrize("kind", ["blstm", "dnn"])
def test_log_posteriors(kind: str) -> None:
    model = _blstm() if kind == "blstm" else _dnn()
    model.train()
    feats = np.random.default_rng(1).normal(size=(13, DIM)).astype(np.float32)
    lp = log_posteriors(model, feats)
    assert lp.shape == (13, PDFS) and lp.dtype == np.float32
    np.testing.assert_allclose(np.exp(lp).sum(1), 1.0, rtol=1e-5)
    assert model.training  # mode restored
    with torch.no_grad():
        model.eval()
        ref = torch.log_softmax(model(torch.from_numpy(feats)[None])[0], -1).numpy()
    np.testing.assert_allclose(lp, ref, atol=1e-6)
    assert log_posteriors(model, np.zeros((0, DIM), np.float32)).shape == (0, PDFS)


def test_priors_and_pseudo_log_likelihoods() -> None:
    hard = {"a": np.array([0, 0, 1, 3]), "b": np.array([1, 0])}
    counts = compute_pdf_counts(hard, 4)
    np.testing.assert_array_equal(counts, [3, 2, 0, 1])
    soft = [np.array([[0.5, 0.5, 0, 0], [0, 1, 0, 0]], np.float32)]
    np.testing.assert_allclose(compute_pdf_counts(soft, 4), [0.5, 1.5, 0, 0])
    unnormalised = [np.array([[1.0, 1.0, 0, 0], [0, 3, 0, 0]], np.float32)]  # as the loss sees
    np.testing.assert_allclose(compute_pdf_counts(unnormalised, 4), [0.5, 1.5, 0, 0])
    with pytest.raises(ValueError):
        compute_pdf_counts({"a": np.array([4])}, 4)

    log_priors = log_priors_from_counts(counts)
    np.testing.assert_allclose(log_priors[[0, 1, 3]], np.log([0.5, 2 / 6, 1 / 6]), rtol=1e-6)
    assert log_priors[2] == np.float32(UNSEEN_LOG_PRIOR)

    log_post = np.log(np.full((2, 4), 0.25, np.float32))
    ll = pseudo_log_likelihoods(log_post, log_priors)
    assert ll.dtype == np.float32 and np.isfinite(ll).all()
    np.testing.assert_allclose(ll[:, 0], np.log(0.25) - np.log(0.5), rtol=1e-6)
    assert (ll[:, 2] < -1e18).all()  # unseen pdf: impossible but finite
    scaled = pseudo_log_likelihoods(log_post, log_priors, prior_scale=0.5)
    np.testing.assert_allclose(scaled[:, 0], np.log(0.25) - 0.5 * np.log(0.5), rtol=1e-6)
    assert (scaled[:, 2] < -1e18).all()
    # -inf priors from elsewhere + prior_floor: also impossible, never NaN/+inf
    with np.errstate(divide="ignore"):
        raw = np.log(np.array([0.5, 0.5, 0.0, 1e-12]))
    ll2 = pseudo_log_likelihoods(log_post, raw, prior_floor=1e-10)
    assert np.isfinite(ll2).all() and (ll2[:, 2:] < -1e18).all()
