"""Nothing wrong passes silently (issue 23's catalogue, growing): "up to date" means the same
inputs and options, outputs are complete or absent, and errors name the user's file.
Each case states the exit code expected, what the message must name, and what is left."""

import subprocess
from pathlib import Path

import kaldiio
import pytest
from test_cli_errors import world  # noqa: F401  (module-scoped fixture)

from pykaldi_distill.errors import InputError

LOCAL = Path(__file__).resolve().parents[1] / "local"


def step(script: str, *argv: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(LOCAL / script), *map(str, argv)], capture_output=True,
                          text=True)


def feature_dim(data: Path) -> int:
    with kaldiio.ReadHelper(f"scp:{data / 'feats.scp'}") as reader:
        return next(iter(reader))[1].shape[1]


def test_features_redone_when_the_config_changes(tiny_data_dir: Path, tmp_path: Path) -> None:
    """make_feats.sh with another --feat-config into the same data dir: exit 0, says what
    changed, the new dimension; CMVN stats follow; a third identical run skips."""
    confs = {bins: tmp_path / f"fbank{bins}.conf" for bins in (23, 40)}
    for bins, conf in confs.items():
        conf.write_text(f"--num-mel-bins={bins}\n")

    def make(conf: Path) -> subprocess.CompletedProcess:
        proc = step("make_feats.sh", "--nj", "1", "--feat-config", conf, tiny_data_dir,
                    tmp_path / "log", tmp_path / "fbank")
        assert proc.returncode == 0, proc.stderr
        cmvn = step("compute_cmvn_stats.sh", tiny_data_dir, tmp_path / "log", tmp_path / "fbank")
        assert cmvn.returncode == 0, cmvn.stderr
        return proc

    make(confs[23])
    assert feature_dim(tiny_data_dir) == 23
    proc = make(confs[40])
    assert "feats.scp is out of date, redoing it" in proc.stdout
    assert f"now: input: {confs[40]}" in proc.stdout
    assert feature_dim(tiny_data_dir) == 40
    again = make(confs[40])
    assert "feats.scp is up to date (same inputs and options" in again.stdout
    confs[40].write_text("--num-mel-bins=40\n--dither=0\n")  # same path, new content
    assert "out of date" in make(confs[40]).stdout


def test_cmvn_redone_when_features_change(tiny_data_dir: Path, tmp_path: Path) -> None:
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    args = ["--nj", "1", "--feat-config", conf, tiny_data_dir, tmp_path / "log", tmp_path / "f"]
    assert step("make_feats.sh", *args).returncode == 0
    cmvn_args = [tiny_data_dir, tmp_path / "log", tmp_path / "f"]
    assert step("compute_cmvn_stats.sh", *cmvn_args).returncode == 0
    assert "up to date" in step("compute_cmvn_stats.sh", *cmvn_args).stdout
    (tiny_data_dir / "feats.fingerprint").unlink()  # force the features to be redone
    assert step("make_feats.sh", *args).returncode == 0
    assert not (tiny_data_dir / "cmvn.scp").exists()  # stale stats are removed with the feats
    proc = step("compute_cmvn_stats.sh", *cmvn_args)
    assert proc.returncode == 0 and "up to date" not in proc.stdout


def make_fbank(data: Path, tmp_path: Path) -> None:
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    proc = step("make_feats.sh", "--nj", "1", "--feat-config", conf, data, tmp_path / "log",
                tmp_path / "fbank")
    assert proc.returncode == 0, proc.stderr


def poison(data: Path, utt: str, tmp_path: Path) -> None:
    """Rewrite `utt`'s features with one NaN frame (a bad front end or a corrupt file)."""
    with kaldiio.ReadHelper(f"scp:{data / 'feats.scp'}") as reader:
        feats = dict(reader)
    feats[utt] = feats[utt].copy()
    feats[utt][3, 0] = float("nan")
    kaldiio.save_ark(str(tmp_path / "bad.ark"), feats, scp=str(data / "feats.scp"))


def test_nan_in_features_stops_cmvn_naming_the_utterance(tiny_data_dir: Path,
                                                         tmp_path: Path) -> None:
    """Case 1 of the issue: one NaN frame. CMVN exits 1, the console names feats.scp, the
    utterance and the row; no cmvn.scp is written."""
    make_fbank(tiny_data_dir, tmp_path)
    poison(tiny_data_dir, "spkA-002", tmp_path)
    proc = step("compute_cmvn_stats.sh", tiny_data_dir, tmp_path / "log", tmp_path / "fbank")
    assert proc.returncode == 1
    assert f"{tiny_data_dir / 'feats.scp'}: 'spkA-002' holds NaN or inf (first in row 3" \
        in proc.stderr
    assert not (tiny_data_dir / "cmvn.scp").exists()


def test_truncated_ark_is_an_error_naming_it(tiny_data_dir: Path, tmp_path: Path) -> None:
    make_fbank(tiny_data_dir, tmp_path)
    ark = Path((tiny_data_dir / "feats.scp").read_text().split()[1].rsplit(":", 1)[0])
    ark.write_bytes(ark.read_bytes()[: ark.stat().st_size // 2])
    proc = step("compute_cmvn_stats.sh", tiny_data_dir, tmp_path / "log", tmp_path / "fbank")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"ERROR (compute_cmvn_stats): {tiny_data_dir / 'feats.scp'}: cannot read the " \
        "matrix of 'spk" in proc.stderr
    assert "its ark may be truncated" in proc.stderr


def test_bad_job_count_and_cv_fraction_are_errors_not_tracebacks(tiny_data_dir: Path,
                                                                 tmp_path: Path) -> None:
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    proc = step("make_feats.sh", "--nj", "0", "--feat-config", conf, tiny_data_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{tiny_data_dir}: cannot split into 0 jobs (fix: give --nj 1 or more)" in proc.stderr
    assert not list(tiny_data_dir.glob("split*"))
    from pykaldi_distill.bin import train_nnet

    assert train_nnet.main(["--model", "dnn", "--cv-fraction", "1.5", str(tiny_data_dir),
                            str(tmp_path / "ali"),
                            str(tmp_path / "exp")]) == 1
    assert not (tmp_path / "exp").exists()


def test_truncated_wav_is_an_error_naming_it(tiny_data_dir: Path, tmp_path: Path) -> None:
    """A wav cut short (even or odd byte count): before, even gave fewer frames silently and
    odd a traceback naming no file. Both: exit 1 naming wav.scp and the file; no feats.scp."""
    from pykaldi_distill.audio import read_audio

    wavs = dict(line.split() for line in (tiny_data_dir / "wav.scp").read_text().splitlines())
    wav = Path(wavs["spkA-002"])
    whole = wav.read_bytes()
    for cut in (len(whole) // 2, len(whole) // 2 + 1):
        wav.write_bytes(whole[:cut])
        conf = tmp_path / "fbank.conf"
        conf.write_text("--num-mel-bins=23\n")
        proc = step("make_feats.sh", "--nj", "1", "--feat-config", conf, tiny_data_dir,
                    tmp_path / "log", tmp_path / "fbank")
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert f"{tiny_data_dir / 'wav.scp'}: {wav} is truncated: its header says 8000 " \
            "samples" in proc.stderr
        assert not (tiny_data_dir / "feats.scp").exists()
    for rate in (16000, 8000):  # the fast path and the sox path
        with pytest.raises(InputError, match="is truncated"):
            read_audio(str(wav), rate)


def test_unaligned_utterances_counted_and_limited(tiny_data_dir: Path, tmp_path: Path,
                                                  capsys) -> None:  # noqa: ANN001
    """An utterance the aligner gave up on was reported only in a job log. The aligners now
    count them on the console, list them, and fail past --max-unaligned."""
    from pykaldi_distill.bin import check_alignments
    from pykaldi_distill.formats.io import write_int_vectors_gz

    ali = tmp_path / "ali"
    write_int_vectors_gz(ali / "ali.1.gz", [("spkA-001", [1, 2])])
    write_int_vectors_gz(ali / "ali.2.gz", [("spkB-001", [3])])
    argv = [str(tiny_data_dir), str(ali), "2"]
    assert check_alignments.main(argv) == 1
    err = capsys.readouterr().err
    assert f"aligned 2 of 3 utterances of {tiny_data_dir}; the 1 others are listed in " in err
    assert "more than --max-unaligned=0.1), e.g. spkA-002" in err
    assert (ali / "unaligned_utts").read_text() == "spkA-002\n"
    assert check_alignments.main(["--max-unaligned", "0.5", *argv]) == 0
    assert check_alignments.main([str(tiny_data_dir), str(ali), "3"]) == 1
    assert "ali.3.gz" in capsys.readouterr().err


def test_concurrent_steps_on_one_dir_refused(tiny_data_dir: Path, tmp_path: Path) -> None:
    """A second step writing the same dir stops at once (exit 1, naming the dir and its
    lock) instead of interleaving its files with the first one's; once the first has ended,
    the step runs."""
    import fcntl

    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    argv = ["--nj", "1", "--feat-config", conf, tiny_data_dir, tmp_path / "log", tmp_path / "f"]
    with open(tiny_data_dir / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a running step's lock
        proc = step("make_feats.sh", *argv)
        assert proc.returncode == 1
        assert f"another step is writing {tiny_data_dir} (it holds {tiny_data_dir}/.lock)" \
            in proc.stderr
        assert not (tiny_data_dir / "feats.scp").exists()
    assert step("make_feats.sh", *argv).returncode == 0


def test_unwritable_output_is_an_error_not_a_traceback(tiny_data_dir: Path, tmp_path: Path,
                                                       capsys) -> None:  # noqa: ANN001
    """An output path that cannot be written (here under a plain file, which fails for root
    too; a read-only dir fails the same way) names the path and the fix."""
    from pykaldi_distill.bin import compute_feats

    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    assert compute_feats.main(["--kind", "fbank", "--config", str(conf), str(tiny_data_dir),
                               str(blocker / "feats.ark"), str(blocker / "feats.scp")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{blocker}" in err
    assert "check that the directory is writable and the disk has space" in err


def test_missing_venv_named_with_the_fix(tmp_path: Path) -> None:
    """A checkout without .venv and a python3 without the packages: the step says so and
    how to install them, instead of a ModuleNotFoundError traceback."""
    if subprocess.run(["/usr/bin/python3", "-c", "import kaldi_native_io"]).returncode == 0:
        pytest.skip("this machine's python3 has the packages outside a .venv")
    root = tmp_path / "checkout"
    (root / "local").mkdir(parents=True)
    for name in ["pkd_env.sh", "parse_options.sh", "train_mono.sh"]:
        (root / "local" / name).write_text((LOCAL / name).read_text())
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to("/usr/bin/python3")  # the system's, without our packages
    env = {"PATH": f"{bare}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", str(root / "local" / "train_mono.sh"), "d", "l", "e"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert f"{root}/.venv is missing" in proc.stderr and f"make -C {root} install" in \
        proc.stderr


def run_killed(cmd: list[str], marker: Path) -> None:
    """Start a step, SIGKILL its whole process group once `marker` exists (or it ended)."""
    import os
    import signal
    import time

    job = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and job.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    if job.poll() is None:
        os.killpg(job.pid, signal.SIGKILL)
    job.wait()


def wait_unlocked(dir_: Path) -> None:
    """A killed step's jobs may still be running (run.pl's, as Kaldi's, outlive it) and
    hold the dir's lock; a rerun is refused until they end."""
    import fcntl
    import time

    deadline = time.monotonic() + 120
    with open(dir_ / ".lock", "a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                assert time.monotonic() < deadline
                time.sleep(0.05)


def test_killed_decode_and_alignment_rerun_to_the_same_result(world: dict[str, Path],  # noqa: F811
                                                              tmp_path: Path) -> None:
    """kill -9 in the middle of align_si.sh and decode.sh, then the same command: the rerun
    does the work again (no fingerprint was written) and gives what an uninterrupted run
    gives, never "up to date" on half the outputs."""
    graph = tmp_path / "graph"
    assert step("mkgraph.sh", world["lang_test"], world["mono"], graph).returncode == 0
    runs = {"align_si.sh": (["--nj", "2", world["data"], world["lang"], world["mono"]],
                            "log/align.1.log", ["num_jobs"]),
            "decode.sh": (["--nj", "2", "--beam", "8", "--model-dir", world["mono"], graph,
                           world["data"]],
                          "log/decode.1.log", ["scoring_kaldi/best_wer"])}
    for script, (args, marker, outputs) in runs.items():
        whole, killed = tmp_path / f"whole_{script}", tmp_path / f"killed_{script}"
        assert step(script, *args, whole).returncode == 0
        run_killed(["bash", str(LOCAL / script), *map(str, args), str(killed)], killed / marker)
        assert not (killed / "fingerprint").exists()
        wait_unlocked(killed)
        again = step(script, *args, killed)
        assert again.returncode == 0 and "up to date" not in again.stdout, again.stdout
        for out in outputs:
            assert (killed / out).read_text().replace(str(killed), "") == \
                (whole / out).read_text().replace(str(whole), "")
