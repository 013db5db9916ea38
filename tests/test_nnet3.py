"""nnet3 export: the folded network equals the student; Kaldi's own nnet3 (in pip vosk)
loads our binary and text final.mdl and its per-frame decisions equal ours; the export and
Vosk decoding CLIs, and what they refuse."""

from __future__ import annotations

import json
from pathlib import Path

import kaldifst
import numpy as np
import pytest
import torch
from test_cli_errors import world  # noqa: F401  (module-scoped fixture)

from pykaldi_distill.bin import decode_vosk, export_nnet3, mkgraph, train_nnet
from pykaldi_distill.deploy.nnet3 import config_lines, export_student, forward, write_nnet3_model
from pykaldi_distill.deploy.vosk_model import recognise, write_feature_conf
from pykaldi_distill.errors import InputError
from pykaldi_distill.features import compute_features, read_conf
from pykaldi_distill.nnet.hybrid import load_hmm_info
from pykaldi_distill.nnet.student import Dnn, DnnConfig


def random_student(num_pdfs: int, input_dim: int = 23, norm: str = "batchnorm",
                   activation: str = "relu") -> Dnn:
    """A student with non-trivial input stats and BatchNorm running stats, in eval mode."""
    torch.manual_seed(0)
    model = Dnn(DnnConfig(input_dim, num_pdfs, context=2, hidden=24, num_layers=2,
                          activation=activation, norm=norm, dropout=0.1))  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    model.input_norm.set_stats(rng.normal(10, 2, input_dim), rng.uniform(0.5, 3, input_dim))
    for bn in (m for m in model.layers if isinstance(m, torch.nn.BatchNorm1d)):
        bn.running_mean.normal_(0, 0.5)  # type: ignore[union-attr]
        bn.running_var.uniform_(0.5, 2)  # type: ignore[union-attr]
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.normal_(0, 0.2)
    return model.eval()


@pytest.mark.parametrize("norm,activation", [("batchnorm", "relu"), ("none", "sigmoid")])
def test_folded_network_equals_the_student(norm: str, activation: str) -> None:
    model = random_student(7, norm=norm, activation=activation)
    feats = np.random.default_rng(1).normal(10, 3, (30, 23)).astype(np.float32)  # (frames, dim)
    with torch.no_grad():
        ours = torch.log_softmax(model(torch.from_numpy(feats)[None]), -1)[0].numpy()
    student = export_student(model, np.arange(1, 8, dtype=float))
    np.testing.assert_allclose(forward(student, feats), ours, atol=1e-4)
    assert student.unseen_pdfs == 0 and student.priors.sum() == pytest.approx(1.0)
    assert config_lines(student)[1] == ("component-node name=tdnn1.affine component=tdnn1.affine"
                                        " input=Append(Offset(input, -2), Offset(input, -1), "
                                        "input, Offset(input, 1), Offset(input, 2))")


def test_unseen_pdfs_are_impossible_and_bad_inputs_refused(tmp_path: Path,
                                                           world: dict[str, Path]) -> None:  # noqa: F811
    model = random_student(5, norm="none")
    student = export_student(model, np.array([3.0, 0.0, 1.0, 1.0, 5.0]))
    assert student.unseen_pdfs == 1 and student.priors[1] == 1.0
    feats = np.zeros((4, 23), dtype=np.float32)
    assert (forward(student, feats).argmax(1) != 1).all()
    assert forward(student, feats)[:, 1].max() < -1e9
    with pytest.raises(ValueError, match="3 pdf counts for a network with 5 outputs"):
        export_student(model, np.ones(3))
    with pytest.raises(ValueError, match="layernorm"):
        export_student(random_student(5, norm="layernorm"), np.ones(5))
    tm = load_hmm_info(world["mono"]).tm
    with pytest.raises(InputError, match=f"has {tm.num_pdfs} pdfs but the network 5 outputs"):
        write_nnet3_model(tmp_path / "final.mdl", tm, student)
    assert not (tmp_path / "final.mdl").exists()


def argmax_model_dir(out: Path, tm: object, student: object, binary: bool,
                     fbank_conf: Path) -> Path:
    """A Vosk model dir whose graph is one state with a loop per transition-id, emitting the
    word `p<pdf>`: Vosk's best path is then the per-frame argmax of its log-likelihoods."""
    write_nnet3_model(out / "am" / "final.mdl", tm, student, binary=binary)  # type: ignore[arg-type]
    write_feature_conf(fbank_conf, "fbank", out)
    (out / "conf" / "model.conf").write_text("--acoustic-scale=1.0\n--beam=30\n"
                                             "--lattice-beam=0.1\n--endpoint.silence-phones=1\n")
    fst = kaldifst.StdVectorFst()
    state = fst.add_state()
    fst.start = state
    fst.set_final(state, 0.0)
    tid2pdf = tm.transition_id_to_pdf_array()  # type: ignore[attr-defined]
    for tid in range(1, tm.num_transition_ids + 1):  # type: ignore[attr-defined]
        fst.add_arc(state, kaldifst.StdArc(tid, int(tid2pdf[tid]) + 1, 0.0, state))
    (out / "graph").mkdir()
    fst.write(str(out / "graph" / "HCLG.fst"))
    (out / "graph" / "words.txt").write_text(
        "<eps> 0\n" + "".join(f"p{p} {p + 1}\n" for p in range(tm.num_pdfs)))  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("binary", [True, False])
def test_kaldi_nnet3_in_vosk_decides_as_we_do(world: dict[str, Path], tmp_path: Path,  # noqa: F811
                                              binary: bool) -> None:
    import vosk

    from pykaldi_distill.audio import read_audio

    tm = load_hmm_info(world["mono"]).tm
    conf = world["fbank"] / "fbank.conf"
    model = random_student(tm.num_pdfs, norm="batchnorm")
    counts = np.random.default_rng(2).uniform(1, 10, tm.num_pdfs)
    student = export_student(model, counts)
    vosk.SetLogLevel(-1)
    kaldi = vosk.Model(str(argmax_model_dir(tmp_path / "m", tm, student, binary, conf)))
    frames = 0
    for line in (world["fbank"] / "wav.scp").read_text().splitlines():
        samples = read_audio(line.split()[1], 16000)
        feats = compute_features(samples, read_conf(conf, "fbank"))
        ours = (forward(student, feats) - np.log(student.priors)).argmax(1)  # (frames,)
        theirs = [int(w[1:]) for w in recognise(kaldi, samples, 16000).words]
        assert theirs == ours.tolist()
        frames += len(ours)
    assert frames > 100


@pytest.fixture(scope="module")
def stream_student(world: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """A DNN student without per-speaker CMVN (the one that streams), and its graph."""
    exp = tmp_path_factory.mktemp("stream")
    assert train_nnet.main(["--model", "dnn", "--hidden", "16", "--num-layers", "1",
                            "--max-epochs", "2", "--cv-fraction", "0.34", "--context", "2",
                            "--cmvn-opts=--norm-means=false", str(world["fbank"]),
                            str(world["mono"]), str(exp / "student")]) == 0
    assert mkgraph.main([str(world["lang_test"]), str(world["mono"]), str(exp / "graph")]) == 0
    return exp


def test_export_and_decode_through_vosk(world: dict[str, Path], stream_student: Path,  # noqa: F811
                                        tmp_path: Path, capsys) -> None:  # noqa: ANN001
    exp, graph = stream_student / "student", stream_student / "graph"
    assert (exp / "cmvn_opts").read_text().strip() == "--norm-means=false --norm-vars=false"
    out = tmp_path / "vosk"
    assert export_nnet3.main(["--acoustic-scale", "0.2", str(exp), str(graph), str(out)]) == 0
    assert "WARNING" not in capsys.readouterr().err  # nothing Vosk cannot reproduce
    for f in ["am/final.mdl", "am/tree", "conf/fbank.conf", "graph/HCLG.fst", "graph/words.txt",
              "graph/phones/word_boundary.int"]:
        assert (out / f).is_file(), f
    assert not (out / "am" / "global_cmvn.stats").exists()
    assert (out / "conf" / "fbank.conf").read_text() == "--num-mel-bins=23\n--dither=0\n"
    model_conf = (out / "conf" / "model.conf").read_text()
    assert "--acoustic-scale=0.2" in model_conf and "--endpoint.silence-phones=1" in model_conf
    dec = tmp_path / "dec"
    assert decode_vosk.main([str(world["data"]), str(out), str(dec)]) == 0
    hyps = (dec / "penalty_0.0" / "1.txt").read_text().splitlines()
    assert sorted(h.split()[0] for h in hyps) == sorted(
        line.split()[0] for line in (world["data"] / "utt2spk").read_text().splitlines())
    stats = json.loads((dec / "rtf.json").read_text())
    assert stats["utterances"] == 3 and stats["audio_seconds"] == pytest.approx(1.5)
    for line in (dec / "words.ctm").read_text().splitlines():
        utt, _, start, dur, word = line.split()
        assert 0 <= float(start) <= 0.5 and float(dur) >= 0 and word in hyps[0] + "".join(hyps)


def test_export_refuses_what_vosk_cannot_run(world: dict[str, Path], stream_student: Path,  # noqa: F811
                                             tmp_path: Path, capsys) -> None:  # noqa: ANN001
    exp, graph = stream_student / "student", stream_student / "graph"
    other = tmp_path / "graph"
    other.mkdir()
    for f in graph.iterdir():
        if f.is_file():
            (other / f.name).write_bytes(f.read_bytes())
    (other / "num_pdfs").write_text("999\n")
    assert export_nnet3.main([str(exp), str(other), str(tmp_path / "o1")]) == 1
    assert f"{other / 'num_pdfs'}: the graph is for 999 pdfs" in capsys.readouterr().err
    assert export_nnet3.main([str(world["mono"]), str(graph), str(tmp_path / "o2")]) == 1
    assert f"{world['mono'] / 'final.pt'}" in capsys.readouterr().err
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert decode_vosk.main([str(world["data"]), str(tmp_path / "o1"), str(tmp_path / "d")]) == 1
    assert f"{tmp_path / 'o1' / 'am' / 'final.mdl'}" in capsys.readouterr().err


def test_mean_normalised_student_gets_the_global_mean(world: dict[str, Path],  # noqa: F811
                                                      stream_student: Path, tmp_path: Path,
                                                      capsys) -> None:  # noqa: ANN001
    """Vosk has no per-speaker CMVN: the export warns and ships the training data's global
    mean, which Vosk subtracts from fbank (am/global_cmvn.stats, Kaldi text)."""
    exp = tmp_path / "cmvn_student"
    assert train_nnet.main(["--model", "dnn", "--hidden", "8", "--num-layers", "1",
                            "--max-epochs", "1", "--cv-fraction", "0.34", "--context", "1",
                            str(world["fbank"]), str(world["mono"]), str(exp)]) == 0
    capsys.readouterr()
    out = tmp_path / "vosk"
    assert export_nnet3.main([str(exp), str(stream_student / "graph"), str(out)]) == 0
    assert "per-speaker mean normalisation; Vosk subtracts one global mean" in \
        capsys.readouterr().err
    from pykaldi_distill.formats.kaldi_format import read_kaldi_matrix

    stats = read_kaldi_matrix(out / "am" / "global_cmvn.stats")  # (2, dim+1)
    assert stats.shape == (2, 24) and stats[0, -1] > 100  # the frames of all speakers


def test_embedded_exports_score_as_the_student(tmp_path: Path) -> None:
    """float32 ONNX equals the folded network; ONNX and PyTorch int8 keep most per-frame
    decisions, ONNX int8 at under half the size (PyTorch's zip container outweighs this tiny
    network; the recipe test compares sizes on a real student)."""
    from pykaldi_distill.deploy.embedded import (
        OnnxScorer,
        TorchInt8Scorer,
        quantize_int8,
        write_onnx,
        write_torch_int8,
    )

    student = export_student(random_student(40, norm="batchnorm"), np.arange(1.0, 41.0))
    write_onnx(tmp_path / "s.onnx", student)
    quantize_int8(tmp_path / "s.onnx", tmp_path / "s.int8.onnx")
    feats = np.random.default_rng(3).normal(10, 3, (200, 23)).astype(np.float32)  # (frames, dim)
    reference = forward(student, feats)  # (frames, pdfs)
    np.testing.assert_allclose(OnnxScorer(tmp_path / "s.onnx").log_posteriors(feats), reference,
                               atol=1e-4)
    write_torch_int8(tmp_path / "s.int8.pt", student)
    for int8 in [OnnxScorer(tmp_path / "s.int8.onnx"), TorchInt8Scorer(tmp_path / "s.int8.pt")]:
        decisions = int8.log_posteriors(feats).argmax(1)
        assert (decisions == reference.argmax(1)).mean() > 0.8
    assert (tmp_path / "s.int8.onnx").stat().st_size < 0.5 * (tmp_path / "s.onnx").stat().st_size


def test_decode_with_the_embedded_exports(world: dict[str, Path], stream_student: Path,  # noqa: F811
                                          tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.bin import decode, export_embedded

    exp, graph = stream_student / "student", stream_student / "graph"
    assert export_embedded.main([str(exp), str(tmp_path / "out")]) == 0
    hyps = {}
    for name, extra in [("torch", []), ("onnx", ["--exported", str(tmp_path / "out/student.onnx")]),
                        ("int8", ["--exported", str(tmp_path / "out/student.int8.pt")])]:
        assert decode.main(["--lmwts", "10", *extra, str(graph), str(world["fbank"]), str(exp),
                            str(tmp_path / name)]) == 0
        hyps[name] = (tmp_path / name / "penalty_0.0" / "10.txt").read_text()
    assert hyps["onnx"] == hyps["torch"]
    assert hyps["int8"].count("\n") == hyps["torch"].count("\n")
    from pykaldi_distill.deploy.embedded import write_onnx, write_torch_int8

    other = export_student(random_student(5, norm="none"), np.ones(5))
    write_onnx(tmp_path / "other.onnx", other)
    write_torch_int8(tmp_path / "other.int8.pt", other)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    for bad, says in [("other.onnx", "has 5 outputs"), ("other.int8.pt", "has 5 outputs"),
                      ("junk.pt", "not a PyTorch int8 student"),
                      ("other.txt", "is neither an .onnx")]:
        (tmp_path / "other.txt").write_text("x")
        capsys.readouterr()
        assert decode.main(["--exported", str(tmp_path / bad), str(graph), str(world["fbank"]),
                            str(exp), str(tmp_path / "bad")]) == 1
        assert f"{tmp_path / bad}: {says}" in capsys.readouterr().err


def test_stream_one_recording(world: dict[str, Path], stream_student: Path,  # noqa: F811
                              tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.bin import stream_vosk

    out = tmp_path / "vosk"
    assert export_nnet3.main([str(stream_student / "student"), str(stream_student / "graph"),
                              str(out)]) == 0
    wav = (world["data"] / "wav.scp").read_text().split()[1]
    capsys.readouterr()
    assert stream_vosk.main(["--chunk-seconds", "0.1", str(out), wav]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2].startswith("  0.50 s  final:") and printed[-1].startswith("latency ")
    assert stream_vosk.main([str(tmp_path / "none"), wav]) == 1
    assert f"{tmp_path / 'none' / 'am' / 'final.mdl'}" in capsys.readouterr().err
