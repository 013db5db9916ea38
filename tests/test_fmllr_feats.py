"""fmllr_feats / bin.make_fmllr_feats: a GMM dir's pipeline + per-speaker fMLLR transforms as
a network's input features; expdir.check_feat_type; split_data keeps feat_type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pykaldi_distill import features
from pykaldi_distill.bin import make_fmllr_feats as cli
from pykaldi_distill.data import load_data_dir, split_data
from pykaldi_distill.errors import InputError
from pykaldi_distill.expdir import check_feat_type, read_pipeline, write_pipeline
from pykaldi_distill.formats.io import load_scp, write_matrices, write_matrix_ark
from pykaldi_distill.gmm.fmllr_feats import fmllr_features, read_speaker_transforms, transform_files

RAW_DIM, SPLICE, LDA_DIM = 5, 1, 4


@pytest.fixture
def setup(tiny_data_dir: Path, tmp_path: Path) -> dict:
    """tiny_data_dir with random 5-dim features and CMVN stats, a GMM dir whose pipeline is
    CMN, splice +-1 and a (4, 15) final.mat, and a transform dir with one affine (4, 5)
    transform per speaker in trans.1 (spkA) and trans.2 (spkB)."""
    rng = np.random.default_rng(0)
    data = load_data_dir(tiny_data_dir)
    feats = {u: rng.normal(size=(20 + 3 * i, RAW_DIM)).astype(np.float32)
             for i, u in enumerate(data.utts)}
    write_matrices(tmp_path / "f.ark", tiny_data_dir / "feats.scp", sorted(feats.items()))
    write_matrices(tmp_path / "c.ark", tiny_data_dir / "cmvn.scp",
                   sorted(features.speaker_cmvn_stats(feats, data.spk2utt).items()),
                   dtype="float64")
    gmm = tmp_path / "exp" / "tri3"
    gmm.mkdir(parents=True)
    lda = rng.normal(size=(LDA_DIM, RAW_DIM * (2 * SPLICE + 1)))
    write_pipeline(gmm, features.FeaturePipeline(splice=SPLICE, transform=lda))
    trans = tmp_path / "exp" / "tri3_ali"
    trans.mkdir()
    transforms = {s: rng.normal(size=(LDA_DIM, LDA_DIM + 1)) for s in ["spkA", "spkB"]}
    write_matrix_ark(trans / "trans.1", [("spkA", transforms["spkA"])])
    write_matrix_ark(trans / "trans.2", [("spkB", transforms["spkB"])])
    return {"data": tiny_data_dir, "gmm": gmm, "trans": trans, "transforms": transforms}


def expected_features(s: dict) -> dict[str, np.ndarray]:
    data = load_data_dir(s["data"])
    pipeline = read_pipeline(s["gmm"])
    return {utt: features.apply_transform(x, s["transforms"][data.utt2spk[utt]].astype(np.float32))
            for utt, x in features.load_features(data, pipeline)}


def test_each_speaker_gets_its_own_transform_after_the_gmm_pipeline(setup: dict) -> None:
    data = load_data_dir(setup["data"])
    transforms = read_speaker_transforms(setup["trans"])
    assert set(transforms) == {"spkA", "spkB"}
    out = dict(fmllr_features(data, read_pipeline(setup["gmm"]), transforms, setup["trans"]))
    want = expected_features(setup)
    assert set(out) == set(data.utts)
    for utt, x in out.items():
        assert x.shape == (want[utt].shape[0], LDA_DIM)
        np.testing.assert_allclose(x, want[utt], rtol=1e-5, atol=1e-5)
    # A speaker's transform really matters: spkB's utterance differs under spkA's.
    spliced = dict(features.load_features(data, read_pipeline(setup["gmm"])))
    other = features.apply_transform(spliced["spkB-001"], transforms["spkA"])
    assert not np.allclose(other, out["spkB-001"])


def test_transform_files_in_job_order(tmp_path: Path) -> None:
    for n in [10, 2, 1]:
        write_matrix_ark(tmp_path / f"trans.{n}", [(f"s{n}", np.eye(2, 3))])
    (tmp_path / "trans.ark").write_text("")  # not a job's file
    assert [p.name for p in transform_files(tmp_path)] == ["trans.1", "trans.2", "trans.10"]


def test_transform_dir_errors_name_the_dir_and_fix(setup: dict, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty.*no trans.JOB.*align_fmllr.sh"):
        read_speaker_transforms(empty)
    with pytest.raises(InputError, match="directory does not exist"):
        read_speaker_transforms(tmp_path / "missing")
    write_matrix_ark(setup["trans"] / "trans.3", [("spkA", np.eye(LDA_DIM, LDA_DIM + 1))])
    with pytest.raises(InputError, match="trans.3.*'spkA' has a transform in two"):
        read_speaker_transforms(setup["trans"])


def test_missing_speaker_or_wrong_shape_is_an_error(setup: dict) -> None:
    data = load_data_dir(setup["data"])
    pipeline = read_pipeline(setup["gmm"])
    with pytest.raises(InputError, match="no fMLLR transform for 1 speaker.*'spkB'"):
        list(fmllr_features(data, pipeline, {"spkA": setup["transforms"]["spkA"]},
                            setup["trans"]))
    wrong = {s: np.eye(LDA_DIM + 1, LDA_DIM + 2) for s in ["spkA", "spkB"]}
    with pytest.raises(InputError, match="does not fit the GMM pipeline's 4-dim"):
        list(fmllr_features(data, pipeline, wrong, setup["trans"]))


def test_cli_writes_ark_scp_and_fails_clearly(setup: dict, tmp_path: Path, capsys) -> None:
    ark, scp = tmp_path / "out" / "fmllr.1.ark", tmp_path / "out" / "fmllr.1.scp"
    ark.parent.mkdir()
    args = [str(setup["data"]), str(setup["gmm"]), str(setup["trans"]), str(ark), str(scp)]
    assert cli.main(args) == 0
    written = load_scp(scp)
    want = expected_features(setup)
    assert set(written) == set(want)
    for utt, x in want.items():
        np.testing.assert_allclose(written[utt], x, rtol=1e-5, atol=1e-5)
    capsys.readouterr()
    assert cli.main([args[0], args[1], str(tmp_path / "nope"), *args[3:]]) == 1
    assert "nope: directory does not exist" in capsys.readouterr().err
    (setup["gmm"] / "final.mat").unlink()
    assert cli.main(args) == 1
    assert "final.mat: file does not exist" in capsys.readouterr().err


def test_check_feat_type_refuses_other_features(tmp_path: Path) -> None:
    model, data = tmp_path / "exp" / "student", tmp_path / "data" / "dev_fbank"
    model.mkdir(parents=True)
    data.mkdir(parents=True)
    check_feat_type(model, data)  # nothing recorded: nothing to check
    (model / "feat_type").write_text("fmllr\n")
    check_feat_type(model, data)
    (data / "feat_type").write_text("fbank\n")
    with pytest.raises(InputError, match="'fbank' features, but .*'fmllr'.*make_fmllr_feats"):
        check_feat_type(model, data)
    (model / "feat_type").write_text("mfcc\n")
    with pytest.raises(InputError, match="make_feats.sh --feat-type mfcc"):
        check_feat_type(model, data)
    (data / "feat_type").write_text("mfcc\n")
    check_feat_type(model, data)


def test_split_parts_keep_the_feature_type(setup: dict) -> None:
    (setup["data"] / "feat_type").write_text("fmllr\n")
    parts = split_data(load_data_dir(setup["data"]), 2)
    assert [(p.path / "feat_type").read_text() for p in parts] == ["fmllr\n"] * 2
