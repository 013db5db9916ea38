import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import write_tone_wav

from pykaldi_distill import audio, features
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.errors import InputError


def conf(tmp_path: Path, kind: str, text: str) -> features.FeatureConfig:
    p = tmp_path / f"{kind}.conf"
    p.write_text(text)
    return features.read_conf(p, kind)


def test_read_conf_and_dims(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(scale=1000, size=16000).astype(np.float32)
    fb = features.compute_features(x, conf(tmp_path, "fbank", "--num-mel-bins=40 # comment\n"))
    assert fb.shape == (98, 40)
    mf = features.compute_features(x, conf(tmp_path, "mfcc", "--num-ceps=13\n"))
    assert mf.shape == (98, 13)
    assert np.isfinite(fb).all() and np.isfinite(mf).all()


def test_conf_errors_name_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="fbank.conf.*unknown fbank option --num-ceps"):
        conf(tmp_path, "fbank", "--num-ceps=13\n")
    with pytest.raises(InputError, match="expected --name=value"):
        conf(tmp_path, "fbank", "num-mel-bins 40\n")
    with pytest.raises(InputError, match="does not exist"):
        features.read_conf(tmp_path / "missing.conf", "fbank")


def test_audio_resampled_from_other_rates(tmp_path: Path) -> None:
    wav8k = write_tone_wav(tmp_path / "a8k.wav", seconds=1.0, rate=8000)
    x = audio.read_audio(str(wav8k), 16000)
    assert abs(len(x) - 16000) <= 2
    flac = tmp_path / "a.flac"
    subprocess.run(["sox", str(wav8k), "-r", "44100", str(flac)], check=True)
    y = audio.read_audio(str(flac), 16000)
    assert abs(len(y) - 16000) <= 2
    piped = audio.read_audio(f"sox {wav8k} -t wav - |", 16000)
    assert abs(len(piped) - 16000) <= 2
    assert np.abs(x).max() > 5000  # int16 scale, like Kaldi


def test_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        audio.read_audio(str(tmp_path / "nope.wav"), 16000)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    with pytest.raises(InputError, match="cannot read audio"):
        audio.read_audio(str(bad), 16000, scp=tmp_path / "wav.scp")
    with pytest.raises(InputError, match="command failed"):
        audio.read_audio("false |", 16000)


def test_cmvn_deltas_splice() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(3, 2, (50, 4)).astype(np.float32), rng.normal(3, 2, (30, 4))
    stats = features.speaker_cmvn_stats({"a": a, "b": b.astype(np.float32)}, {"s": ["a", "b"]})
    assert stats["s"].shape == (2, 5) and stats["s"][0, -1] == 80
    normed = features.apply_cmvn(np.concatenate([a, b]).astype(np.float32), stats["s"], False)
    np.testing.assert_allclose(normed.mean(axis=0), 0, atol=1e-4)
    assert features.add_deltas(a, 2).shape == (50, 12)
    spliced = features.splice(a, 2)
    assert spliced.shape == (50, 20)
    np.testing.assert_array_equal(spliced[0, :4], a[0])  # left edge replicated
    np.testing.assert_array_equal(spliced[49, 16:], a[49])
    np.testing.assert_array_equal(spliced[10, 8:12], a[10])


def test_feature_pipeline_over_data_dir(tiny_data_dir: Path, tmp_path: Path) -> None:
    from pykaldi_distill.formats.io import write_matrices

    data = load_data_dir(tiny_data_dir)
    cfg = conf(tmp_path, "fbank", "--num-mel-bins=23\n")
    feats = dict(features.compute_data_features(data, cfg))
    write_matrices(tmp_path / "f.ark", tiny_data_dir / "feats.scp", sorted(feats.items()))
    stats = features.speaker_cmvn_stats(feats, data.spk2utt)
    write_matrices(tmp_path / "c.ark", tiny_data_dir / "cmvn.scp", sorted(stats.items()),
                   dtype="float64")
    data = load_data_dir(tiny_data_dir)
    out = dict(features.load_features(data, features.FeaturePipeline(delta_order=2)))
    assert out["spkA-001"].shape == (feats["spkA-001"].shape[0], 69)
    (tiny_data_dir / "cmvn.scp").unlink()
    with pytest.raises(InputError, match="cmvn.scp"):
        list(features.load_features(load_data_dir(tiny_data_dir), features.FeaturePipeline()))
    with pytest.raises(InputError, match="feature dim 23"):
        features.check_feature_dim(feats["spkA-001"], 40, tiny_data_dir / "feats.scp")


def test_apply_transform_linear_and_affine() -> None:
    from pykaldi_distill.features import apply_transform

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    m = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(apply_transform(x, m), x @ m.T)
    affine = np.hstack([m, [[1.0], [-1.0]]])
    np.testing.assert_allclose(apply_transform(x, affine), x @ m.T + [1.0, -1.0])
    assert apply_transform(x, None) is x
    with pytest.raises(ValueError, match="does not fit"):
        apply_transform(x, np.ones((2, 5)))


@pytest.mark.parametrize("frames", [3, 9, 40])
def test_delta_matrix_over_splice_is_add_deltas(frames: int) -> None:
    """final.mat of an MLLT-on-deltas system: splice 4 | transform == add-deltas, at the
    edges too (both replicate edge frames), even for utterances shorter than the filter."""
    x = np.random.default_rng(frames).normal(size=(frames, 13)).astype(np.float32)
    m = features.delta_matrix(13)
    assert m.shape == (39, 13 * 9)
    np.testing.assert_allclose(features.apply_transform(features.splice(x, 4), m),
                               features.add_deltas(x, 2), atol=1e-5)
    np.testing.assert_array_equal(m[:13, 4 * 13:5 * 13], np.eye(13))  # statics: centre frame
