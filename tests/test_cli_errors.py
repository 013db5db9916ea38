"""Bad input stops each CLI with exit 1, a message naming the file, and no half-written
output: missing wav, utt in text but not wav.scp, unknown word, wrong feature dim, missing
alignment dir, pdf-count mismatch between targets and tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pykaldi_distill.bin import (
    compute_cmvn_stats,
    compute_feats,
    decode,
    mkgraph,
    train_mono,
    train_nnet,
    validate_data_dir,
)
from pykaldi_distill.formats.io import read_int_vectors, write_int_vectors_gz, write_matrices
from pykaldi_distill.lang import prepare_lang
from pykaldi_distill.lexicon import make_dict_dir
from pykaldi_distill.lm import format_lm, train_witten_bell, write_arpa


def make_feats(data: Path, tmp: Path, kind: str, conf_text: str) -> None:
    conf = tmp / f"{kind}.conf"
    conf.write_text(conf_text)
    assert compute_feats.main(["--kind", kind, "--config", str(conf), str(data),
                               str(tmp / f"{kind}_{data.name}.ark"), str(data / "feats.scp")]) == 0
    assert compute_cmvn_stats.main([str(data), str(tmp / f"cmvn_{data.name}.ark"),
                                    str(data / "cmvn.scp")]) == 0
    shutil.copy(conf, data / f"{kind}.conf")  # what local/make_feats.sh records
    (data / "feat_type").write_text(kind + "\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A lang dir, MFCC and fbank copies of a 3-utterance data dir, and a 1-iteration mono."""
    import conftest

    tmp = tmp_path_factory.mktemp("world")
    data = conftest.tiny_data_dir.__wrapped__(tmp)  # type: ignore[attr-defined]
    make_dict_dir(["ONE", "TWO", "THREE", "OH", "FOUR"], tmp / "dict")
    prepare_lang(tmp / "dict", "<UNK>", tmp / "lang", tmp_dir=tmp / "lang_tmp")
    write_arpa(train_witten_bell([["ONE", "TWO"], ["THREE"], ["OH", "FOUR"]], 2), tmp / "lm.arpa")
    format_lm(tmp / "lang", tmp / "lm.arpa", tmp / "lang_test")
    fbank = tmp / "fbank"
    shutil.copytree(data, fbank)
    make_feats(data, tmp, "mfcc", "--num-ceps=13\n")
    make_feats(fbank, tmp, "fbank", "--num-mel-bins=23\n")
    # One pass: on these pure tones later passes lose an utterance to the alignment beam.
    assert train_mono.main(["--num-iters", "1", "--totgauss", "40", str(data), str(tmp / "lang"),
                            str(tmp / "mono")]) == 0
    return {"tmp": tmp, "data": data, "fbank": fbank, "lang": tmp / "lang",
            "lang_test": tmp / "lang_test", "mono": tmp / "mono"}


def copy_data(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def test_missing_wav(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    data = copy_data(world["data"], tmp_path / "d")
    (data / "wav.scp").write_text((data / "wav.scp").read_text().replace(".wav", "_gone.wav"))
    assert validate_data_dir.main([str(data)]) == 1
    assert f"{data / 'wav.scp'}" in capsys.readouterr().err


def test_text_utt_not_in_wav_scp(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    data = copy_data(world["data"], tmp_path / "d")
    with open(data / "text", "a") as f:
        f.write("zz-extra ONE\n")
    assert train_mono.main([str(data), str(world["lang"]), str(tmp_path / "exp")]) == 1
    assert f"{data / 'text'}" in capsys.readouterr().err
    assert not (tmp_path / "exp" / "final.mdl").exists()


def test_unknown_word(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    data = copy_data(world["data"], tmp_path / "d")
    (data / "text").write_text((data / "text").read_text().replace("THREE", "ELEVEN"))
    assert train_mono.main([str(data), str(world["lang"]), str(tmp_path / "exp")]) == 1
    err = capsys.readouterr().err
    assert "ELEVEN" in err and str(data / "text") in err
    assert not (tmp_path / "exp").exists() or not list((tmp_path / "exp").iterdir())


def test_mono_outputs_are_kaldi_files(world: dict[str, Path]) -> None:
    from pykaldi_distill.formats.model_io import read_gmm_model, read_tree

    mono = world["mono"]
    tm, am = read_gmm_model(mono / "final.mdl")
    assert read_tree(mono / "tree").num_pdfs == tm.num_pdfs == am.num_pdfs
    alis = dict(read_int_vectors(mono / "ali.1.gz"))
    assert set(alis) <= {"spkA-001", "spkA-002", "spkB-001"} and alis
    assert (mono / "num_jobs").read_text() == "1\n"
    assert (mono / "cmvn_opts").is_file() and (mono / "feat_type").read_text() == "mfcc\n"


def test_decode_wrong_feature_dim(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(world["mono"]), str(graph)]) == 0
    capsys.readouterr()
    out = tmp_path / "decode"
    # fbank (23 dims, 69 with deltas) into a model trained on MFCC (13, 39 with deltas):
    # the recorded feature types differ, and without them the dimensions do.
    assert decode.main([str(graph), str(world["fbank"]), str(world["mono"]), str(out)]) == 1
    err = capsys.readouterr().err
    assert "feat_type: 'fbank' features, but" in err and "--feat-type mfcc" in err
    unlabelled = tmp_path / "fbank"
    shutil.copytree(world["fbank"], unlabelled)
    (unlabelled / "feat_type").unlink()
    assert decode.main([str(graph), str(unlabelled), str(world["mono"]), str(out)]) == 1
    err = capsys.readouterr().err
    assert "feats.scp" in err and "feature dim 69" in err
    assert not list(out.glob("*.txt"))


def test_missing_alignment_dir(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    missing = tmp_path / "mono_ali"
    assert train_nnet.main(["--model", "dnn", str(world["fbank"]), str(missing),
                            str(tmp_path / "exp")]) == 1
    assert str(missing) in capsys.readouterr().err
    ali_dir = tmp_path / "ali_no_files"
    ali_dir.mkdir()
    for f in ["final.mdl", "tree"]:
        shutil.copy(world["mono"] / f, ali_dir / f)
    assert train_nnet.main(["--model", "dnn", str(world["fbank"]), str(ali_dir),
                            str(tmp_path / "exp")]) == 1
    assert "num_jobs: the alignment dir has no num_jobs" in capsys.readouterr().err
    assert not (tmp_path / "exp" / "final.pt").exists()


def test_half_written_alignment_dir(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """One align job of two failed: its ali.2.gz is there, num_jobs (written last) is not.
    Training on it would use part of the frames; it is refused, naming what is missing."""
    ali_dir = tmp_path / "ali"
    ali_dir.mkdir()
    for f in ["final.mdl", "tree", "ali.1.gz"]:
        shutil.copy(world["mono"] / f, ali_dir / f)
    (ali_dir / "ali.1.gz").rename(ali_dir / "ali.2.gz")
    argv = ["--model", "dnn", str(world["fbank"]), str(ali_dir), str(tmp_path / "exp")]
    assert train_nnet.main(argv) == 1
    err = capsys.readouterr().err
    assert f"{ali_dir}/num_jobs: the alignment dir has ali.2.gz but no num_jobs" in err
    assert "incomplete" in err and "re-run the step that made it" in err
    (ali_dir / "num_jobs").write_text("2\n")
    assert train_nnet.main(argv) == 1
    assert "num_jobs is 2 but ali.1.gz is missing" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()


def test_soft_targets_pdf_mismatch(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    targets = tmp_path / "targets"
    targets.mkdir()
    for f in ["final.mdl", "tree"]:
        shutil.copy(world["mono"] / f, targets / f)
    wrong = {u: np.full((5, 3), 1 / 3, np.float32) for u in ["spkA-001", "spkA-002"]}
    write_matrices(targets / "targets.ark", targets / "targets.scp", wrong.items())
    assert train_nnet.main(["--model", "dnn", str(world["fbank"]), str(targets),
                            str(tmp_path / "exp")]) == 1
    err = capsys.readouterr().err
    assert "targets.scp" in err and "3 columns" in err
    assert not (tmp_path / "exp" / "final.pt").exists()


def test_train_deltas_cli(world: dict[str, Path], tmp_path: Path) -> None:
    from pykaldi_distill.bin import train_deltas
    from pykaldi_distill.formats.model_io import read_gmm_model, read_tree

    exp = tmp_path / "tri1"
    assert train_deltas.main(["--num-leaves", "30", "--totgauss", "60", "--num-iters", "3",
                              str(world["data"]), str(world["lang"]), str(world["mono"]),
                              str(exp)]) == 0
    tm, am = read_gmm_model(exp / "final.mdl")
    tree = read_tree(exp / "tree")
    assert tree.context_width == 3 and tree.num_pdfs == tm.num_pdfs == am.num_pdfs
    assert train_deltas.main([str(world["data"]), str(world["lang"]), str(tmp_path / "none"),
                              str(tmp_path / "tri2")]) == 1
    assert not (tmp_path / "tri2" / "final.mdl").exists()


def test_train_deltas_cmvn_opts(world: dict[str, Path], tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """--cmvn-opts reaches cmvn_opts (which align/decode read back); without it the ali
    dir's cmvn_opts is kept, as Kaldi's train_deltas.sh does; a bad option exits 1."""
    from pykaldi_distill.bin import train_deltas

    small = ["--num-leaves", "30", "--totgauss", "60", "--num-iters", "2"]
    args = [str(world["data"]), str(world["lang"]), str(world["mono"])]
    assert train_deltas.main([*small, "--cmvn-opts=--norm-vars=true", *args,
                              str(tmp_path / "nv")]) == 0
    assert (tmp_path / "nv" / "cmvn_opts").read_text() == "--norm-means=true --norm-vars=true\n"
    assert train_deltas.main([*small, str(world["data"]), str(world["lang"]),
                              str(tmp_path / "nv"), str(tmp_path / "inherit")]) == 0
    assert (tmp_path / "inherit" / "cmvn_opts").read_text() == \
        "--norm-means=true --norm-vars=true\n"
    assert train_deltas.main([*small, "--cmvn-opts=--norm-vars=yes", *args,
                              str(tmp_path / "bad")]) == 1
    assert "--norm-vars=yes" in capsys.readouterr().err
    assert not (tmp_path / "bad" / "final.mdl").exists()


def test_train_lda_mllt_cli(world: dict[str, Path], tmp_path: Path) -> None:
    """tri2: final.mat (LDA+MLLT) next to the model; align and decode read it back."""
    from pykaldi_distill.bin import align_si, train_lda_mllt
    from pykaldi_distill.expdir import read_pipeline
    from pykaldi_distill.formats.kaldi_format import read_kaldi_matrix
    from pykaldi_distill.formats.model_io import read_gmm_model

    exp = tmp_path / "tri2"
    assert train_lda_mllt.main(["--num-leaves", "30", "--totgauss", "60", "--num-iters", "4",
                                "--splice", "1", "--dim", "6", "--mllt-iters", "1 2",
                                str(world["data"]), str(world["lang"]), str(world["mono"]),
                                str(exp)]) == 0
    _, am = read_gmm_model(exp / "final.mdl")
    mat = read_kaldi_matrix(exp / "final.mat")
    assert mat.shape == (6, 13 * 3) and am.dim == 6
    pipeline = read_pipeline(exp)
    assert pipeline.splice == 1 and pipeline.delta_order == 0 and pipeline.transform is not None
    assert (exp / "splice_opts").read_text().split() == ["--left-context=1", "--right-context=1"]
    ali = tmp_path / "tri2_ali"
    assert align_si.main([str(world["data"]), str(world["lang"]), str(exp), str(ali)]) == 0
    assert (ali / "ali.1.gz").is_file()
    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(exp), str(graph)]) == 0
    assert decode.main(["--lmwts", "10", str(graph), str(world["data"]), str(exp),
                        str(tmp_path / "decode")]) == 0
    # --dim larger than the spliced dimension fails before training, naming the option
    assert train_lda_mllt.main(["--splice", "0", "--dim", "40", str(world["data"]),
                                str(world["lang"]), str(world["mono"]),
                                str(tmp_path / "bad")]) == 1
    assert not (tmp_path / "bad" / "final.mdl").exists()


def test_train_lda_mllt_cli_from_deltas(world: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """--init-transform deltas: MLLT starts from add-deltas as a matrix over splice 4, so
    before MLLT the system sees tri1's features; a splice/dim that cannot hold them fails."""
    from pykaldi_distill.bin import train_lda_mllt
    from pykaldi_distill.features import delta_matrix
    from pykaldi_distill.formats.kaldi_format import read_kaldi_matrix

    args = ["--num-leaves", "30", "--totgauss", "60", "--num-iters", "4",
            "--init-transform", "deltas", "--splice", "4", "--dim", "39"]
    no_mllt, with_mllt = tmp_path / "no_mllt", tmp_path / "mllt"
    assert train_lda_mllt.main([*args, "--mllt-iters", "", str(world["data"]),
                                str(world["lang"]), str(world["mono"]), str(no_mllt)]) == 0
    np.testing.assert_allclose(read_kaldi_matrix(no_mllt / "final.mat"), delta_matrix(13),
                               atol=1e-6)
    assert train_lda_mllt.main([*args, "--mllt-iters", "1 2", str(world["data"]),
                                str(world["lang"]), str(world["mono"]), str(with_mllt)]) == 0
    mat = read_kaldi_matrix(with_mllt / "final.mat")
    assert mat.shape == (39, 13 * 9) and not np.allclose(mat, delta_matrix(13), atol=1e-3)
    capsys.readouterr()
    assert train_lda_mllt.main(["--init-transform", "deltas", str(world["data"]),
                                str(world["lang"]), str(world["mono"]),
                                str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err
    assert "feats.scp" in err and "needs splice 4 and lda_dim 39" in err, err
    assert not (tmp_path / "bad" / "final.mdl").exists()


def test_train_sat_cli_and_fmllr_decoding(world: dict[str, Path], tmp_path: Path) -> None:
    """tri3 (SAT) on tri2: trans.1 per training speaker and final.alimdl next to final.mdl;
    decode --fmllr writes the test speakers' transforms; plain decoding of a SAT model and
    --fmllr on a model without final.alimdl fail, naming the file."""
    from pykaldi_distill.bin import merge_decode, train_sat
    from pykaldi_distill.data import load_data_dir
    from pykaldi_distill.formats.io import read_matrix_ark
    from pykaldi_distill.formats.model_io import read_gmm_model

    # On the world's three pure-tone utterances MLLT degenerates; SAT starts from mono here.
    tri3 = tmp_path / "tri3"
    assert train_sat.main(["--num-leaves", "30", "--totgauss", "60", "--num-iters", "3",
                           "--fmllr-iters", "1 2", str(world["data"]), str(world["lang"]),
                           str(world["mono"]), str(tri3)]) == 0
    speakers = set(load_data_dir(world["data"]).utt2spk.values())
    trans = read_matrix_ark(tri3 / "trans.1")
    _, am = read_gmm_model(tri3 / "final.mdl")
    _, alimdl = read_gmm_model(tri3 / "final.alimdl")
    assert set(trans) == speakers
    assert all(w.shape == (am.dim, am.dim + 1) for w in trans.values())
    assert alimdl.num_gauss == am.num_gauss
    assert (tri3 / "cmvn_opts").read_text() == (world["mono"] / "cmvn_opts").read_text()
    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(tri3), str(graph)]) == 0
    out = tmp_path / "decode" / "tmp.1"
    assert decode.main(["--fmllr", "--lattices", str(graph), str(world["data"]), str(tri3),
                        str(out)]) == 0
    assert set(read_matrix_ark(out / "trans.ark")) == speakers
    assert merge_decode.main([str(tmp_path / "decode"), "1"]) == 0
    assert (tmp_path / "decode" / "trans.1").is_file()
    assert decode.main([str(graph), str(world["data"]), str(tri3), str(tmp_path / "si")]) == 1
    assert not (tmp_path / "si" / "rtf.json").exists()
    assert decode.main(["--fmllr", str(graph), str(world["data"]), str(world["mono"]),
                        str(tmp_path / "no_alimdl")]) == 1
    assert train_sat.main([str(world["data"]), str(world["lang"]), str(tmp_path / "none"),
                           str(tmp_path / "bad")]) == 1
    assert not (tmp_path / "bad" / "final.mdl").exists()
    # align_fmllr.sh's job: adapted alignments and the speakers' transforms; align_si
    # refuses a SAT system without --fmllr, and --fmllr needs final.alimdl.
    from pykaldi_distill.bin import align_si
    from pykaldi_distill.formats.io import read_int_vectors

    ali = tmp_path / "tri3_ali"
    ali.mkdir()
    assert align_si.main(["--fmllr", "--ali-name", "ali.1.gz", "--trans-name", "trans.1",
                          str(world["data"]), str(world["lang"]), str(tri3), str(ali)]) == 0
    assert set(read_matrix_ark(ali / "trans.1")) <= speakers
    aligned = set(dict(read_int_vectors(ali / "ali.1.gz")))
    assert aligned and aligned <= set(load_data_dir(world["data"]).utts)
    assert align_si.main([str(world["data"]), str(world["lang"]), str(tri3),
                          str(tmp_path / "si_ali")]) == 1
    assert align_si.main(["--fmllr", str(world["data"]), str(world["lang"]), str(world["mono"]),
                          str(tmp_path / "no_alimdl_ali")]) == 1
    assert not (tmp_path / "si_ali" / "ali.1.gz").exists()


@pytest.mark.parametrize("cpu_in_job2", [True, False])
def test_merge_decode_sums_wall_and_cpu_time(tmp_path: Path, cpu_in_job2: bool) -> None:
    """rtf.json of the decode dir: the jobs' sums; CPU time only when every job has it."""
    from pykaldi_distill.bin import merge_decode

    for job, cpu in ((1, 3.0), (2, 1.0 if cpu_in_job2 else None)):
        d = tmp_path / f"tmp.{job}"
        (d / "penalty_0.0").mkdir(parents=True)
        (d / "penalty_0.0" / "10.txt").write_text(f"u{job} A\n")
        stats = {"frames": 100, "decode_seconds": 4.0, "audio_seconds": 1.0, "failed": 0}
        if cpu is not None:
            stats["cpu_seconds"] = cpu
        (d / "rtf.json").write_text(json.dumps(stats))
    assert merge_decode.main([str(tmp_path), "2"]) == 0
    totals = json.loads((tmp_path / "rtf.json").read_text())
    assert totals["rtf"] == 4.0
    assert totals.get("rtf_cpu") == (2.0 if cpu_in_job2 else None)


def test_utterances_without_targets_are_counted(world: dict[str, Path], tmp_path: Path,
                                                capsys) -> None:  # noqa: ANN001
    """Before, an utterance missing from the targets was dropped uncounted. Now it is counted
    on the console and listed; past --max-missing, training stops naming the targets dir."""
    ali_dir = tmp_path / "ali"
    ali_dir.mkdir()
    for f in ["final.mdl", "tree", "num_jobs"]:
        shutil.copy(world["mono"] / f, ali_dir / f)
    alis = sorted(read_int_vectors(world["mono"] / "ali.1.gz"))
    write_int_vectors_gz(ali_dir / "ali.1.gz", alis[1:])
    exp = tmp_path / "exp"
    argv = ["--model", "dnn", "--hidden", "8", "--num-layers", "1", "--max-epochs", "1",
            "--cv-fraction", "0.34", str(world["fbank"]), str(ali_dir), str(exp)]
    assert train_nnet.main(argv) == 1
    err = capsys.readouterr().err
    assert f"1 of 3 utterances have no targets in {ali_dir}" in err
    assert f"more than --max-missing=0.1); the first: {alis[0][0]}" in err
    assert (exp / "utts_without_targets").read_text() == alis[0][0] + "\n"
    assert not (exp / "final.pt").exists()
    assert train_nnet.main(["--max-missing", "0.5", *argv]) == 0
