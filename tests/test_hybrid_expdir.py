from pathlib import Path

import numpy as np
import pytest
import torch
from test_model_io import make_model

from pykaldi_distill import expdir
from pykaldi_distill.errors import InputError
from pykaldi_distill.features import FeaturePipeline
from pykaldi_distill.formats import model_io
from pykaldi_distill.formats.io import write_int_vectors_gz
from pykaldi_distill.nnet import hybrid
from pykaldi_distill.nnet.checkpoint import save_checkpoint
from pykaldi_distill.nnet.student import Dnn, DnnConfig


def model_dir(tmp_path: Path) -> Path:
    tm, am, tree = make_model()
    d = tmp_path / "exp"
    d.mkdir()
    model_io.write_gmm_model(d / "final.mdl", tm, am)
    model_io.write_tree(d / "tree", tree)
    return d


def test_pdf_counts_round_trip(tmp_path: Path) -> None:
    counts = np.array([3.0, 0.0, 10.5])
    hybrid.write_pdf_counts(tmp_path / "c", counts)
    assert (tmp_path / "c").read_text().startswith(" [ 3 0 10.5 ]")
    np.testing.assert_allclose(hybrid.read_pdf_counts(tmp_path / "c"), counts)
    (tmp_path / "bad").write_text("hello")
    with pytest.raises(InputError, match="bad"):
        hybrid.read_pdf_counts(tmp_path / "bad")


def test_pdf_alignments_like_ali_to_pdf(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    info = hybrid.load_hmm_info(d)
    tids = list(range(1, info.tm.num_transition_ids + 1))
    write_int_vectors_gz(d / "ali.1.gz", [("u1", tids)])
    (d / "num_jobs").write_text("1\n")
    (utt, pdfs), = hybrid.pdf_alignments(d, info)
    assert utt == "u1"
    assert list(pdfs) == [info.tm.transition_id_to_pdf(t) for t in tids]
    write_int_vectors_gz(d / "ali.1.gz", [("u1", [999])])
    with pytest.raises(InputError, match="transition-ids outside"):
        list(hybrid.pdf_alignments(d, info))


def test_missing_alignments_name_dir(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="num_jobs"):
        list(expdir.read_alignments(model_dir(tmp_path)))
    with pytest.raises(InputError, match="does not exist"):
        list(expdir.read_alignments(tmp_path / "nowhere"))


def test_pipeline_files_round_trip(tmp_path: Path) -> None:
    p = FeaturePipeline(norm_means=True, norm_vars=True, delta_order=2, splice=3)
    expdir.write_pipeline(tmp_path, p)
    assert (tmp_path / "cmvn_opts").read_text() == "--norm-means=true --norm-vars=true\n"
    assert expdir.read_pipeline(tmp_path) == p
    assert expdir.read_pipeline(tmp_path / "empty") == FeaturePipeline()


def test_cmvn_opts_parsed_as_kaldi_does(tmp_path: Path) -> None:
    from pykaldi_distill.errors import PkdError
    from pykaldi_distill.features import parse_cmvn_opts

    assert parse_cmvn_opts("") == (True, False)
    assert parse_cmvn_opts("--norm-vars") == (True, True)
    assert parse_cmvn_opts("--norm-means=false --norm-vars=false") == (False, False)
    with pytest.raises(PkdError, match="--center=true"):
        parse_cmvn_opts("--norm-vars=true --center=true")
    (tmp_path / "cmvn_opts").write_text("--norm-vars=maybe\n")
    with pytest.raises(InputError, match="cmvn_opts"):
        expdir.read_pipeline(tmp_path)


def test_pipeline_with_transform_round_trip(tmp_path: Path) -> None:
    """An LDA+MLLT dir: final.mat + splice_opts; delta_opts is ignored as in Kaldi."""
    mat = np.arange(6 * 39, dtype=np.float32).reshape(6, 39) / 100
    p = FeaturePipeline(norm_means=True, splice=1, transform=mat)
    expdir.write_pipeline(tmp_path, p)
    (tmp_path / "delta_opts").write_text("--delta-order=2\n")
    back = expdir.read_pipeline(tmp_path)
    assert back == p and back != FeaturePipeline(norm_means=True, splice=1)
    (tmp_path / "splice_opts").write_text("--left-context=1 --right-context=2\n")
    with pytest.raises(InputError, match="splice_opts"):
        expdir.read_pipeline(tmp_path)


def test_hybrid_model_loads_and_scores(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    info = hybrid.load_hmm_info(d)
    config = DnnConfig(input_dim=3, num_pdfs=info.num_pdfs, context=1, hidden=8, num_layers=1)
    torch.manual_seed(0)
    save_checkpoint(d / "final.pt", Dnn(config), "dnn", config)
    hybrid.write_pdf_counts(d / "ali_train_pdf.counts", np.arange(1, info.num_pdfs + 1))
    model = hybrid.load_hybrid_model(d)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    ll = model.pseudo_loglikes(x)
    assert ll.shape == (5, info.num_pdfs)
    priors = np.log(np.arange(1, info.num_pdfs + 1) / np.arange(1, info.num_pdfs + 1).sum())
    np.testing.assert_allclose(ll, model.log_posteriors(x) - priors, rtol=1e-4, atol=1e-4)
    hybrid.write_pdf_counts(d / "ali_train_pdf.counts", np.ones(info.num_pdfs + 1))
    with pytest.raises(InputError, match="same training run"):
        hybrid.load_hybrid_model(d)


def test_hybrid_model_takes_other_counts_and_a_prior_scale(tmp_path: Path) -> None:
    d = model_dir(tmp_path)
    info = hybrid.load_hmm_info(d)
    config = DnnConfig(input_dim=3, num_pdfs=info.num_pdfs, context=1, hidden=8, num_layers=1)
    save_checkpoint(d / "final.pt", Dnn(config), "dnn", config)
    hybrid.write_pdf_counts(d / "ali_train_pdf.counts", np.ones(info.num_pdfs))
    other = tmp_path / "posterior.counts"
    counts = np.arange(1, info.num_pdfs + 1, dtype=np.float64)
    hybrid.write_pdf_counts(other, counts)
    model = hybrid.load_hybrid_model(d, class_frame_counts=other, prior_scale=0.5)
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    expected = model.log_posteriors(x) - 0.5 * np.log(counts / counts.sum())
    np.testing.assert_allclose(model.pseudo_loglikes(x), expected, rtol=1e-4, atol=1e-4)
    hybrid.write_pdf_counts(other, np.ones(info.num_pdfs + 2))
    with pytest.raises(InputError, match="posterior.counts"):
        hybrid.load_hybrid_model(d, class_frame_counts=other)
