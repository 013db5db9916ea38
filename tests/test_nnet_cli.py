"""train_nnet / make_soft_targets / decode CLIs on a tiny world: hard CE, soft KL with
temperature and hard-weight interpolation, soft targets readable by Kaldi table readers."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import kaldi_native_io as knio
import numpy as np
import pytest
from test_cli_errors import world  # noqa: F401  (module-scoped fixture)

from pykaldi_distill.bin import (
    decode,
    frame_accuracy,
    held_out_utts,
    make_soft_targets,
    mkgraph,
    posterior_counts,
    subset_data_dir,
    train_nnet,
)
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.decoding.lattice import read_lattices
from pykaldi_distill.formats.io import read_table, write_int_vectors_gz
from pykaldi_distill.nnet.chunking import DEFAULT_CHUNKS_PER_BATCH, InferenceChunking
from pykaldi_distill.nnet.data import split_train_cv
from pykaldi_distill.nnet.options import load_resolved_config, run_split

SMALL = ["--hidden", "16", "--num-layers", "1", "--max-epochs", "2", "--cv-fraction", "0.34"]
CHUNKS = ["--chunk-width", "10", "--chunk-left-context", "5", "--chunk-right-context", "3"]


@pytest.fixture(scope="module")
def ali_dir(world: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The mono dir stands in for an alignment dir (it has ali.1.gz, final.mdl, tree)."""
    return world["mono"]


@pytest.fixture(scope="module")
def teacher(world: dict[str, Path], ali_dir: Path,  # noqa: F811
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    exp = tmp_path_factory.mktemp("teacher")
    assert train_nnet.main(["--model", "blstm", "--dnn-dim", "16", *SMALL, *CHUNKS,
                            str(world["fbank"]), str(ali_dir), str(exp)]) == 0
    return exp


def test_teacher_dir_is_complete(teacher: Path) -> None:
    for f in ["final.pt", "final.mdl", "tree", "ali_train_pdf.counts", "cmvn_opts",
              "config.json", "history.json", "feat_type", "fbank.conf"]:
        assert (teacher / f).is_file(), f
    config = json.loads((teacher / "config.json").read_text())
    assert config["model_kind"] == "blstm" and config["targets_kind"] == "hard"
    assert config["chunk"] == {"chunk_width": 10, "chunk_left_context": 5,
                               "chunk_right_context": 3}
    assert config["train"]["batch_size"] == DEFAULT_CHUNKS_PER_BATCH


def test_teacher_decodes_in_its_training_chunks(world: dict[str, Path], teacher: Path,  # noqa: F811
                                                tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.nnet.hybrid import load_hybrid_model

    assert load_hybrid_model(teacher).chunking == InferenceChunking(10, 5, 3)
    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(teacher), str(graph)]) == 0
    capsys.readouterr()
    assert decode.main(["--lmwts", "10", "--frames-per-chunk", "0", str(graph),
                        str(world["fbank"]), str(teacher), str(tmp_path / "whole")]) == 0
    assert "InferenceChunking(frames_per_chunk=0, extra_left_context=5" in capsys.readouterr().err
    assert decode.main(["--extra-left-context", "-3", str(graph), str(world["fbank"]),
                        str(teacher), str(tmp_path / "bad")]) == 1
    assert "extra_left_context must be >= 0" in capsys.readouterr().err
    assert decode.main(["--frames-per-chunk", "20", str(graph), str(world["data"]),
                        str(world["mono"]), str(tmp_path / "gmm")]) == 1
    assert "neural models" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--chunk-left-context", "-1"], ["--chunk-width", "0"]])
def test_bad_chunk_options_fail_cleanly(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                        tmp_path: Path, bad: list[str], capsys) -> None:  # noqa: ANN001
    assert train_nnet.main(["--model", "blstm", *bad, str(world["fbank"]), str(ali_dir),
                            str(tmp_path / "exp")]) == 1
    err = capsys.readouterr().err
    assert "ERROR (train_nnet): --chunk-width" in err and "must be >=" in err
    assert not (tmp_path / "exp").exists()


def test_final_lr_above_lr_fails_before_reading_data(world: dict[str, Path],  # noqa: F811
                                                     ali_dir: Path, tmp_path: Path,  # noqa: F811
                                                     capsys) -> None:  # noqa: ANN001
    assert train_nnet.main(["--model", "dnn", "--lr", "0.001", "--final-lr", "0.01",
                            str(world["fbank"]), str(ali_dir), str(tmp_path / "exp")]) == 1
    assert "ERROR (train_nnet): --final-lr must be in (0, --lr=0.001]" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()


def test_valid_uttlist_is_the_cv_split_and_can_be_recomputed(world: dict[str, Path],  # noqa: F811
                                                             teacher: Path, tmp_path: Path,
                                                             capsys) -> None:  # noqa: ANN001
    listed = (teacher / "valid_uttlist").read_text().split()
    assert 1 <= len(listed) <= 2  # 3 utterances, cv fraction 0.34, at least one trained on
    config = load_resolved_config(teacher)
    assert config["cv_split"] == "hash" and run_split(config)[1] == listed
    assert held_out_utts.main([str(teacher), str(teacher)]) == 0
    assert capsys.readouterr().out.split() == listed
    assert frame_accuracy.main([str(world["fbank"]), str(world["mono"]), f"t={teacher}"]) == 0
    assert "| t | " in capsys.readouterr().out
    assert frame_accuracy.main([str(world["fbank"]), str(world["mono"]), str(teacher)]) == 1
    assert "name=model-dir" in capsys.readouterr().err
    legacy = {k: v for k, v in config.items() if k != "cv_split"}  # runs before 2026-11-29
    assert run_split(legacy) == split_train_cv(sorted(read_table(world["fbank"] / "feats.scp")),
                                               0.34, config["train"]["seed"], "permutation")
    assert subset_data_dir.main(["--utt-list", str(teacher / "valid_uttlist"),
                                 str(world["fbank"]), str(tmp_path / "cv")]) == 0
    cv = load_data_dir(tmp_path / "cv")
    assert cv.utts == listed and set(cv.feats_scp) == set(listed)
    assert (tmp_path / "cv" / "feat_type").read_text().strip() == "fbank"
    bad = tmp_path / "bad_list"
    bad.write_text("no-such-utt\n")
    assert subset_data_dir.main(["--utt-list", str(bad), str(world["fbank"]),
                                 str(tmp_path / "cv2")]) == 1
    assert "bad_list" in capsys.readouterr().err and not (tmp_path / "cv2").exists()
    assert subset_data_dir.main(["--num-utts", "2", str(world["fbank"]),
                                 str(tmp_path / "two")]) == 0
    assert load_data_dir(tmp_path / "two").utts == ["spkA-001", "spkB-001"]  # evenly spaced
    assert subset_data_dir.main(["--num-utts", "4", str(world["fbank"]),
                                 str(tmp_path / "four")]) == 1
    assert "cannot take 4" in capsys.readouterr().err and not (tmp_path / "four").exists()


def test_soft_targets_and_students(world: dict[str, Path], ali_dir: Path, teacher: Path,  # noqa: F811
                                   tmp_path: Path, capsys) -> None:  # noqa: ANN001
    targets = tmp_path / "targets"
    targets.mkdir()
    assert make_soft_targets.main(["--topk", "3", "--post-ark", str(targets / "post.ark"),
                                   "--post-scp", str(targets / "post.scp"), str(world["fbank"]),
                                   str(teacher), str(targets / "t.ark"),
                                   str(targets / "targets.scp")]) == 0
    for f in ["final.mdl", "tree"]:
        (targets / f).write_bytes((teacher / f).read_bytes())
    dense = knio.RandomAccessFloatMatrixReader(f"scp:{targets / 'targets.scp'}")
    mat = dense["spkA-001"]
    np.testing.assert_allclose(mat.sum(axis=1), 1.0, rtol=1e-4)
    post = knio.RandomAccessPosteriorReader(f"scp:{targets / 'post.scp'}")["spkA-001"]
    assert len(post) == mat.shape[0] and all(len(frame) <= 3 for frame in post)

    soft = tmp_path / "student_soft"
    assert train_nnet.main(["--model", "dnn", *SMALL, "--temperature", "2", "--hard-weight",
                            "0.3", "--hard-ali-dir", str(ali_dir), str(world["fbank"]),
                            str(targets), str(soft)]) == 0
    config = json.loads((soft / "config.json").read_text())
    assert config["train"]["loss"] == "kl" and config["train"]["temperature"] == 2.0
    assert config["train"]["hard_weight"] == 0.3
    check_students_of_topk_posteriors(world, targets, teacher, tmp_path, capsys)

    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(soft), str(graph)]) == 0
    out = tmp_path / "decode"
    assert decode.main(["--lmwts", "8 10", str(graph), str(world["fbank"]), str(soft),
                        str(out)]) == 0
    assert (out / "penalty_0.0" / "8.txt").is_file() and (out / "penalty_0.0" / "10.txt").is_file()
    rtf = json.loads((out / "rtf.json").read_text())
    assert rtf["frames"] > 0
    assert 0 < rtf["cpu_seconds"] <= 2 * rtf["decode_seconds"] + 1

    lat_out = tmp_path / "decode_lat"
    assert decode.main(["--lattices", "--min-lmwt", "9", "--max-lmwt", "11", "--wips", "0.0 1.0",
                        str(graph), str(world["fbank"]), str(soft), str(lat_out)]) == 0
    lats = read_lattices(lat_out / "lat.gz")  # binary entries load through kaldifst.Lattice.read
    assert set(lats) == {"spkA-001", "spkA-002", "spkB-001"}
    with gzip.open(lat_out / "lat.gz", "rb") as f:
        assert f.read(10) == b"spkA-001 \xd6"  # Kaldi binary: key, space, OpenFst magic
    assert sorted(p.name for p in (lat_out / "penalty_1.0").iterdir()) == ["10.txt", "11.txt",
                                                                          "9.txt"]
    assert set(read_table(lat_out / "oracle.txt")) == set(lats)


def check_students_of_topk_posteriors(world: dict[str, Path], targets: Path,  # noqa: F811
                                      teacher: Path, tmp_path: Path,
                                      capsys) -> None:  # noqa: ANN001
    """--soft-topk reads post.scp when it holds that many posteriors a frame; a dir of only
    top-k Posteriors (make_soft_targets without dense outputs) trains, reports its size and
    statistics, and asking it for more than it holds is an error naming it."""
    from pykaldi_distill.nnet.distill import read_soft_targets
    from pykaldi_distill.report.results import soft_target_size

    topk_only = tmp_path / "topk_only"
    topk_only.mkdir()
    assert make_soft_targets.main(["--topk", "3", "--post-ark", str(topk_only / "post.ark"),
                                   "--post-scp", str(topk_only / "post.scp"),
                                   str(world["fbank"]), str(teacher)]) == 0
    for f in ["final.mdl", "tree"]:
        shutil.copy(teacher / f, topk_only / f)
    assert [f.name for f in topk_only.glob("*.ark")] == ["post.ark"]  # no dense targets
    dense = dict(read_soft_targets(topk_only))  # (frames, pdfs) with 3 non-zeros a frame
    assert all(((m > 0).sum(axis=1) <= 3).all() for m in dense.values())
    size = soft_target_size(topk_only)
    assert size.frames == sum(len(m) for m in dense.values()) and size.dense_bytes == 0
    for dir_, topk, read in [(targets, "3", "post.scp"), (targets, "5", "targets.scp"),
                             (topk_only, "3", "post.scp")]:
        out = tmp_path / f"student_{dir_.name}_{topk}"
        capsys.readouterr()
        assert train_nnet.main(["--model", "dnn", *SMALL, "--soft-topk", topk,
                                str(world["fbank"]), str(dir_), str(out)]) == 0
        assert f"soft targets from {dir_ / read}" in capsys.readouterr().err
    assert train_nnet.main(["--model", "dnn", *SMALL, "--soft-topk", "5", str(world["fbank"]),
                            str(topk_only), str(tmp_path / "too_many")]) == 1
    assert f"{topk_only / 'post.scp'}: holds the top 3" in capsys.readouterr().err


def test_hard_options_rejected_for_alignments(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                              tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert train_nnet.main(["--model", "dnn", "--temperature", "2", str(world["fbank"]),
                            str(ali_dir), str(tmp_path / "x")]) == 1
    assert "soft targets" in capsys.readouterr().err


def test_kaldi_written_alignments_are_accepted(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                               tmp_path: Path) -> None:
    """An alignment dir as real Kaldi writes it: several ali.N.gz jobs, binary final.mdl."""
    from pykaldi_distill.formats.io import read_int_vectors

    kaldi_ali = tmp_path / "tri_ali"
    kaldi_ali.mkdir()
    alis = sorted(read_int_vectors(ali_dir / "ali.1.gz"))
    for n, chunk in enumerate([alis[:1], alis[1:]], 1):
        write_int_vectors_gz(kaldi_ali / f"ali.{n}.gz", chunk)
    for f in ["final.mdl", "tree"]:
        (kaldi_ali / f).write_bytes((ali_dir / f).read_bytes())
    (kaldi_ali / "num_jobs").write_text("2\n")
    assert train_nnet.main(["--model", "dnn", *SMALL, str(world["fbank"]), str(kaldi_ali),
                            str(tmp_path / "student")]) == 0


def test_resumed_run_keeps_the_cv_split_it_started_with(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                                        teacher: Path, tmp_path: Path) -> None:
    import shutil

    legacy = tmp_path / "legacy_teacher"
    shutil.copytree(teacher, legacy)
    config = json.loads((legacy / "config.json").read_text())
    del config["cv_split"]  # a run from before the hash split
    (legacy / "config.json").write_text(json.dumps(config))
    assert train_nnet.main(["--model", "blstm", "--dnn-dim", "16", *SMALL, *CHUNKS,
                            "--max-epochs", "3", str(world["fbank"]), str(ali_dir),
                            str(legacy)]) == 0
    resumed = load_resolved_config(legacy)
    assert resumed["cv_split"] == "permutation"
    utts = sorted(read_table(world["fbank"] / "feats.scp"))
    cv = split_train_cv(utts, 0.34, config["train"]["seed"], "permutation")[1]
    assert (legacy / "valid_uttlist").read_text().split() == cv


def test_resume_on_other_inputs_starts_over(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                            teacher: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """A longer run into a finished dir resumes its epochs on the same data; on another
    data dir it starts over (saying why) instead of mixing two problems in one model."""
    import shutil

    exp = tmp_path / "teacher"
    shutil.copytree(teacher, exp)
    argv = ["--model", "blstm", "--dnn-dim", "16", *SMALL, *CHUNKS, "--max-epochs", "3"]
    capsys.readouterr()
    assert train_nnet.main([*argv, str(world["fbank"]), str(ali_dir), str(exp)]) == 0
    err = capsys.readouterr().err
    assert "starting over" not in err and "epoch 1 [" not in err  # resumed (it had converged)
    other = tmp_path / "other_fbank"
    shutil.copytree(world["fbank"], other)
    assert train_nnet.main([*argv, str(other), str(ali_dir), str(exp)]) == 0
    err = capsys.readouterr().err
    assert f"{exp}: its saved epochs were trained on other inputs (changed: " in err
    assert f"{other}/feats.scp" in err and "starting over" in err and "epoch 1 [" in err
    assert load_resolved_config(exp)["data"] == str(other)


def test_posterior_counts_decode_with_the_networks_own_priors(
        world: dict[str, Path], teacher: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001, F811
    from pykaldi_distill.features import load_features
    from pykaldi_distill.nnet.hybrid import load_hybrid_model, read_pdf_counts

    pipeline = load_hybrid_model(teacher).pipeline
    num_frames = sum(x.shape[0] for _, x in load_features(load_data_dir(world["fbank"]),
                                                          pipeline))
    counts_file = tmp_path / "post.counts"
    assert posterior_counts.main([str(world["fbank"]), str(teacher), str(counts_file)]) == 0
    counts = read_pdf_counts(counts_file)
    assert counts.shape == read_pdf_counts(teacher / "ali_train_pdf.counts").shape
    assert np.all(counts > 0)
    # Every utterance of the data dir: each frame's posteriors sum to one.
    np.testing.assert_allclose(counts.sum(), num_frames, rtol=1e-4)
    assert posterior_counts.main(["--max-utts", "1", str(world["fbank"]), str(teacher),
                                  str(tmp_path / "one.counts")]) == 0
    assert read_pdf_counts(tmp_path / "one.counts").sum() < counts.sum()
    capsys.readouterr()
    assert posterior_counts.main(["--max-utts", "0", str(world["fbank"]), str(teacher),
                                  str(tmp_path / "none.counts")]) == 1
    assert "--max-utts" in capsys.readouterr().err and not (tmp_path / "none.counts").exists()

    graph = tmp_path / "graph"
    assert mkgraph.main([str(world["lang_test"]), str(teacher), str(graph)]) == 0
    out = tmp_path / "decode"
    assert decode.main(["--lmwts", "10", "--class-frame-counts", str(counts_file),
                        "--prior-scale", "0.5", str(graph), str(world["fbank"]), str(teacher),
                        str(out)]) == 0
    assert (out / "penalty_0.0" / "10.txt").is_file()
    capsys.readouterr()
    assert decode.main(["--prior-scale", "0.5", str(graph), str(world["data"]),
                        str(world["mono"]), str(tmp_path / "gmm")]) == 1
    assert "neural models" in capsys.readouterr().err


def test_teacher_alignments(world: dict[str, Path], teacher: Path, tmp_path: Path) -> None:  # noqa: F811
    """Teacher hard alignments: Viterbi through the training graphs is a valid HMM path of
    the teacher's transition model; argmax gives the frame-wise best pdf via ali-to-pdf."""
    from pykaldi_distill.bin import align_nnet
    from pykaldi_distill.data import load_data_dir
    from pykaldi_distill.features import load_features
    from pykaldi_distill.formats.io import read_int_vectors
    from pykaldi_distill.nnet.hybrid import load_hybrid_model

    model = load_hybrid_model(teacher)
    tid2pdf = np.asarray(model.tm.transition_id_to_pdf_array())
    frames = {u: f.shape[0] for u, f in load_features(load_data_dir(world["fbank"]),
                                                       model.pipeline)}
    for mode in ("viterbi", "argmax"):
        out = tmp_path / mode
        assert align_nnet.main(["--mode", mode, str(world["fbank"]), str(world["lang"]),
                                str(teacher), str(out)]) == 0
        alis = dict(read_int_vectors(out / "ali.1.gz"))
        # The toy teacher never saw some pdfs (Kaldi's nnet1 prior makes them impossible),
        # so not every transcript can be force-aligned; argmax covers every utterance.
        assert alis and set(alis) <= set(frames)
        assert mode == "viterbi" or set(alis) == set(frames)
        assert all(len(a) == frames[u] for u, a in alis.items())
    viterbi = dict(read_int_vectors(tmp_path / "viterbi" / "ali.1.gz"))
    assert all(model.tm.transition_id_to_phone(a[0]) > 0 for a in viterbi.values())
    feats = dict(load_features(load_data_dir(world["fbank"]), model.pipeline))
    for utt, ali in read_int_vectors(tmp_path / "argmax" / "ali.1.gz"):
        best = np.argmax(model.log_posteriors(feats[utt]), axis=1)
        np.testing.assert_array_equal(tid2pdf[np.asarray(ali)], best)
    assert align_nnet.main([str(world["fbank"]), str(world["lang"]), str(tmp_path / "none"),
                            str(tmp_path / "bad")]) == 1
    assert not (tmp_path / "bad" / "ali.1.gz").exists()


def test_student_step_shows_progress_and_skips_only_the_same_run(
        world: dict[str, Path], ali_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    """train_student.sh: per-epoch progress on the console (not only in the log); a re-run
    with the same inputs and options is skipped; another architecture into the same dir is
    refused naming the checkpoint, and the finished model is left as it was."""
    import subprocess

    script = Path(__file__).resolve().parents[1] / "local" / "train_student.sh"
    exp = tmp_path / "student"

    def student(*opts: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(script), "--hidden", "16", "--num-layers", "1",
                               "--max-epochs", "2", "--cv-fraction", "0.34", *opts,
                               str(world["fbank"]), str(world["lang"]), str(ali_dir), str(exp)],
                              capture_output=True, text=True)

    proc = student()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "epoch 1/2: lr " in proc.stdout and "to go" in proc.stdout, proc.stdout
    assert "best epoch" in proc.stdout and "dnn: " in proc.stdout
    assert "is up to date (same inputs and options" in student().stdout
    final = (exp / "final.pt").read_bytes()
    changed = student("--hidden", "24")
    assert changed.returncode == 1
    assert "was written for a different model architecture" in changed.stdout + changed.stderr
    assert (exp / "final.pt").read_bytes() == final


def test_killed_training_resumes_to_the_same_model(world: dict[str, Path], ali_dir: Path,  # noqa: F811
                                                   tmp_path: Path) -> None:
    """kill -9 during training, then the same command again: it resumes from the last saved
    epoch and ends with the very model an uninterrupted run makes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import torch

    def command(exp: Path) -> list[str]:
        return [sys.executable, "-m", "pykaldi_distill.bin.train_nnet", "--model", "dnn",
                "--hidden", "32", "--num-layers", "2", "--max-epochs", "6", "--final-lr",
                "0.0001", "--cv-fraction", "0.34", str(world["fbank"]), str(ali_dir), str(exp)]

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert subprocess.run(command(whole), env=env, capture_output=True).returncode == 0
    job = subprocess.Popen(command(killed), env=env, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 120
    while not (killed / "epoch-1.pt").exists() and job.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    proc = subprocess.run(command(killed), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    a, b = (torch.load(d / "final.pt", weights_only=False)["state_dict"] for d in (whole, killed))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_two_processes_on_torchrun_train_what_one_does(world: dict[str, Path],  # noqa: F811
                                                        ali_dir: Path, tmp_path: Path) -> None:
    """train_student.sh --procs-per-node 2 trains under torchrun (gloo, localhost), each
    minibatch split between two processes (test_distributed checks that the update is one
    process's): the same numbers epoch by epoch; rank 0 alone writes the files and reports
    progress; several nodes with run.pl are refused before any work."""
    import subprocess

    script = Path(__file__).resolve().parents[1] / "local" / "train_student.sh"

    def student(exp: Path, *opts: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(script), "--hidden", "16", "--num-layers", "1",
                               "--max-epochs", "2", "--cv-fraction", "0.34", "--num-threads",
                               "1", *opts, str(world["fbank"]), str(world["lang"]),
                               str(ali_dir), str(exp)], capture_output=True, text=True)

    one, two = tmp_path / "one", tmp_path / "two"
    assert student(one).returncode == 0
    proc = student(two, "--procs-per-node", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = (two / "log/train.log").read_text()
    assert "local/torchrun.sh --nnodes 1 --nproc-per-node 2" in log
    assert "process 0 of 2 (torch.distributed, gloo)" in log and "process 1 of 2" in log
    assert proc.stdout.count("epoch 1/2: lr ") == 1  # rank 0 reports
    runs = [json.loads((d / "history.json").read_text())["epochs"] for d in (one, two)]
    assert len(runs[0]) == len(runs[1]) == 3
    for a, b in zip(runs[0], runs[1], strict=True):
        assert a["cv_loss"] == pytest.approx(b["cv_loss"], rel=1e-5)
        assert (a["train_loss"] is None) == (b["train_loss"] is None)
        if a["train_loss"] is not None:
            assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)
    assert sorted(p.name for p in two.glob("epoch-*.pt")) == ["epoch-0.pt", "epoch-1.pt",
                                                               "epoch-2.pt"]
    assert "nodes=1 procs_per_node=2" in (two / "fingerprint").read_text()
    refused = student(tmp_path / "three", "--num-nodes", "2")
    assert refused.returncode == 1 and "run.pl runs on this machine only" in refused.stderr
    assert not (tmp_path / "three/log").exists()
