"""Kaldi job tools in local/: run.pl, parse_options.sh, slurm.pl and queue.pl (--dry-run and
with stand-in sbatch/qsub commands, since there is no cluster here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LOCAL = REPO / "local"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False,
                          env=env, input=stdin, timeout=60)


def run_pl(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([str(LOCAL / "run.pl"), *args], tmp_path)


# --------------------------------------------------------------------------- run.pl


def test_run_pl_job_array_writes_logs(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "JOB=1:3", "exp/log/deep/echo.JOB.log",
                  "echo", "job JOB of 3", "|", "tr", "a-z", "A-Z")
    assert proc.returncode == 0, proc.stderr
    for i in (1, 2, 3):
        lines = (tmp_path / f"exp/log/deep/echo.{i}.log").read_text().splitlines()
        assert lines[0] == f'# echo "job {i} of 3" | tr a-z A-Z'
        assert re.fullmatch(r"# Started at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d .+", lines[1])
        assert f"JOB {i} OF 3" in lines
        assert re.fullmatch(r"# Accounting: time=\d+ threads=1", lines[-2])
        assert re.fullmatch(r"# Ended \(code 0\) at .+, elapsed time \d+ seconds", lines[-1])


def test_run_pl_single_job_and_ignored_grid_options(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "--mem", "2G", "--num-threads", "4", "--gpu", "0", "--config",
                  "conf/queue.conf", "log/one.log", "echo", "hello", ">", "out.txt")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.txt").read_text() == "hello\n"
    assert (tmp_path / "log/one.log").read_text().startswith("# echo hello > out.txt\n")


def test_run_pl_any_job_name_and_option_after_range(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "LMWT=7:9", "--max-jobs-run", "1", "log/score.LMWT.log",
                  "echo", "lmwt=LMWT")
    assert proc.returncode == 0, proc.stderr
    assert "lmwt=8\n" in (tmp_path / "log/score.8.log").read_text()


def test_run_pl_failure_names_first_failed_log(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "JOB=1:4", "log/fail.JOB.log",
                  "[", "JOB", "-lt", "3", "]", "||", "exit", "JOB")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "run.pl: 2 / 4 failed, log is in log/fail.3.log"
    assert (tmp_path / "log/fail.4.log").read_text().splitlines()[-1].startswith(
        "# Ended (code 4) at ")
    assert "# Ended (code 0)" in (tmp_path / "log/fail.1.log").read_text()


def test_run_pl_failure_shows_the_jobs_error_line(tmp_path: Path) -> None:
    """The console shows the failed job's first ERROR line (the user's file and the fix), or
    failing that its last line, not only where the log is."""
    proc = run_pl(tmp_path, "JOB=1:2", "log/e.JOB.log", "echo", "working", ";", "echo",
                  "ERROR (x): data/train/wav.scp: no such file (fix: fix it)", ";", "exit", "1")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[1] == \
        "run.pl: ERROR (x): data/train/wav.scp: no such file (fix: fix it)"
    proc = run_pl(tmp_path, "log/t.log", "echo", "ValueError: bad", ";", "false")
    assert proc.stderr.splitlines() == ["run.pl: job failed, log is in log/t.log",
                                        "run.pl: ValueError: bad"]


def test_run_pl_single_failure_and_signal(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "log/false.log", "false")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "run.pl: job failed, log is in log/false.log"
    proc = run_pl(tmp_path, "log/kill.log", "kill", "-9", "$$")
    assert proc.returncode == 1
    assert "# Ended (code 0; signal 9) at " in (tmp_path / "log/kill.log").read_text()


def test_run_pl_usage_errors(tmp_path: Path) -> None:
    proc = run_pl(tmp_path, "JOB=1:2", "log/same.log", "true")
    assert proc.returncode == 1
    assert "just one log file" in proc.stderr
    assert run_pl(tmp_path, "JOB=3:2", "log/x.JOB.log", "true").returncode == 1
    assert run_pl(tmp_path, "--max-jobs-run", "0", "log/x.log", "true").returncode == 1
    assert run_pl(tmp_path, "log/x.log").returncode == 1


def intervals(tmp_path: Path, n: int) -> list[tuple[float, float]]:
    out = []
    for i in range(1, n + 1):
        nums = re.findall(r"^T (\S+)$", (tmp_path / f"log/t.{i}.log").read_text(), re.M)
        out.append((float(nums[0]), float(nums[1])))
    return out


def max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("limit", [1, 2])
def test_run_pl_respects_max_jobs_run(tmp_path: Path, limit: int) -> None:
    proc = run_pl(tmp_path, "--max-jobs-run", str(limit), "JOB=1:4", "log/t.JOB.log",
                  "echo", "T", "$(date +%s.%N)", ";", "sleep", "0.3", ";",
                  "echo", "T", "$(date +%s.%N)")
    assert proc.returncode == 0, proc.stderr
    assert max_overlap(intervals(tmp_path, 4)) == limit


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_run_pl_runs_jobs_in_parallel_under_path_sh_thread_limits(tmp_path: Path) -> None:
    # path.sh exports OMP_NUM_THREADS=1, which GNU nproc also obeys: the default job limit
    # must still be the number of CPUs, not 1.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
    proc = run([str(LOCAL / "run.pl"), "JOB=1:2", "log/t.JOB.log",
                "echo", "T", "$(date +%s.%N)", ";", "sleep", "0.5", ";",
                "echo", "T", "$(date +%s.%N)"], tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert max_overlap(intervals(tmp_path, 2)) == 2


# --------------------------------------------------------------------------- parse_options.sh

SCRIPT = """#!/usr/bin/env bash
# Usage: opts.sh [options] <in> <out>
# A test script.
set -euo pipefail
nj=4
use_gpu=false
cmd=run.pl
feat_type="mfcc"
empty=
{help}
. {po}
echo "nj=$nj use_gpu=$use_gpu cmd=$cmd feat_type=$feat_type empty=$empty"
echo "n=$#"
for a in "$@"; do echo "arg=$a"; done
"""


@pytest.fixture
def opts_script(tmp_path: Path):
    def make(help_message: str = "") -> Path:
        path = tmp_path / "opts.sh"
        help_line = f'help_message="{help_message}"' if help_message else ""
        path.write_text(SCRIPT.format(help=help_line, po=LOCAL / "parse_options.sh"))
        return path
    return make


def test_parse_options_sets_existing_variables(opts_script, tmp_path: Path) -> None:
    proc = run(["bash", str(opts_script()), "--nj", "8", "--use-gpu", "true",
                "--feat-type=fbank", "--cmd", "slurm.pl --mem 2G", "--empty", "x y",
                "in dir", "out", "--nj", "2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "nj=8 use_gpu=true cmd=slurm.pl --mem 2G feat_type=fbank empty=x y",
        "n=4", "arg=in dir", "arg=out", "arg=--nj", "arg=2"]


def test_parse_options_double_dash_ends_options(opts_script, tmp_path: Path) -> None:
    proc = run(["bash", str(opts_script()), "--nj", "1", "--", "--nj", "3"], tmp_path)
    assert proc.stdout.splitlines()[:3] == [
        "nj=1 use_gpu=false cmd=run.pl feat_type=mfcc empty=", "n=2", "arg=--nj"]


@pytest.mark.parametrize("args, message", [
    (["--bogus", "1", "a"], "invalid option --bogus"),
    (["--bogus=1"], "invalid option --bogus"),
    (["--use-gpu", "yes"], 'expected "true" or "false": --use-gpu yes'),
    (["--nj"], "option --nj needs a value"),
    (["--cmd", ""], "empty argument to --cmd option"),
    (["--config", "missing.conf"], "cannot read config file 'missing.conf'"),
    (["--a.b", "1"], "invalid option --a.b"),
])
def test_parse_options_rejects(opts_script, tmp_path: Path, args: list[str],
                               message: str) -> None:
    script = opts_script()
    proc = run(["bash", str(script), *args], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"{script}: {message}"
    assert proc.stdout == ""


def test_parse_options_config_file_then_command_line(opts_script, tmp_path: Path) -> None:
    (tmp_path / "my.conf").write_text('nj=16\ncmd="queue.pl -l arch=*64"\n')
    proc = run(["bash", str(opts_script()), "--nj", "2", "--config", "my.conf", "a"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "nj=2 use_gpu=false cmd=queue.pl -l arch=*64 feat_type=mfcc empty=")


def test_parse_options_help(opts_script, tmp_path: Path) -> None:
    proc = run(["bash", str(opts_script("Usage: opts.sh <in> <out>")), "--help"], tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == "Usage: opts.sh <in> <out>\n"
    # Without help_message: the script's leading comment block.
    proc = run(["bash", str(opts_script()), "--nj", "3", "-h"], tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == "Usage: opts.sh [options] <in> <out>\nA test script.\n"


# --------------------------------------------------------------------------- slurm.pl / queue.pl


def dry_run(tool: str, tmp_path: Path, *args: str) -> tuple[str, str]:
    proc = run([str(LOCAL / tool), "--dry-run", *args], tmp_path)
    assert proc.returncode == 0, proc.stderr
    submit, _, script = proc.stdout.partition("\n")
    assert not (tmp_path / "exp").exists()  # a dry run writes nothing
    return submit, script


def test_slurm_dry_run_array_and_resources(tmp_path: Path) -> None:
    submit, script = dry_run("slurm.pl", tmp_path, "--mem", "4G", "--num-threads", "2",
                             "--gpu", "1", "--max-jobs-run", "3", "JOB=1:10",
                             "exp/log/decode.JOB.log", "decode", "--opt", "a b", "JOB")
    assert submit.startswith("# sbatch ")
    for flag in ["--array=1-10%3", "--wait", "--mem=4G", "--cpus-per-task=2", "--gres=gpu:1",
                 "--job-name=decode", "--output=exp/log/q/decode.%a.out",
                 "exp/log/q/decode.sh"]:
        assert f" {flag}" in submit
    assert script.startswith("#!/bin/bash\n")
    assert "${SLURM_ARRAY_TASK_ID" in script
    assert "threads=2" in script


def test_slurm_dry_run_without_gpu_or_array(tmp_path: Path) -> None:
    submit, script = dry_run("slurm.pl", tmp_path, "exp/log/train.log", "train", "x")
    assert "--array" not in submit and "--gres" not in submit and "--mem" not in submit
    assert "--output=exp/log/q/train.%j.out" in submit
    assert "TASK_ID" not in script


def test_slurm_dry_run_on_several_nodes(tmp_path: Path) -> None:
    """--num-nodes N: one allocation of N nodes, the command started on each with srun (as
    torchrun.sh needs); queue.pl cannot, and says so."""
    submit, script = dry_run("slurm.pl", tmp_path, "--num-nodes", "2", "exp/log/train.log",
                             "steps_kd/torchrun.sh", "--nnodes", "2")
    assert " --nodes=2 --ntasks-per-node=1 " in submit
    assert 'srun --nodes=2 --ntasks-per-node=1 bash -c "$cmd"' in script
    single = dry_run("slurm.pl", tmp_path, "exp/log/train.log", "train")[1]
    assert "srun" not in single and "\nbash -c " in single
    proc = run([str(LOCAL / "queue.pl"), "--dry-run", "--num-nodes", "2", "log/x.log", "true"],
               tmp_path)
    assert proc.returncode == 1 and "runs a task on one node; use slurm.pl" in proc.stderr


def test_queue_dry_run_array_and_resources(tmp_path: Path) -> None:
    submit, script = dry_run("queue.pl", tmp_path, "--mem", "4G", "--num-threads", "2",
                             "--gpu", "1", "-tc", "5", "-l", "arch=*64", "JOB=1:10",
                             "exp/log/decode.JOB.log", "decode", "JOB")
    assert submit.startswith("# qsub ")
    for flag in ["-sync y", "-t 1:10", "-tc 5", "-l mem_free=4G,ram_free=4G", "-pe smp 2",
                 "-l gpu=1 -q g.q", "-l 'arch=*64'"]:
        assert f" {flag}" in submit
    assert "${SGE_TASK_ID" in script


def test_grid_unknown_option_and_custom_config(tmp_path: Path) -> None:
    proc = run([str(LOCAL / "slurm.pl"), "--dry-run", "--bogus", "1", "log/x.log", "true"],
               tmp_path)
    assert proc.returncode == 1
    assert "unknown option --bogus" in proc.stderr
    (tmp_path / "slurm.conf").write_text(
        "command sbatch --export=PATH --partition=cpu\n"
        "option mem=* --mem-per-cpu=$0\n"
        "option gpu=* -p gpu --gres=gpu:$0  # comment\n"
        "option gpu=0\n"
        "default gpu=0\n")
    submit, _ = dry_run("slurm.pl", tmp_path, "--config", "slurm.conf", "--mem", "1G",
                        "log/x.log", "true")
    assert submit.startswith("# sbatch --export=PATH --partition=cpu --mem-per-cpu=1G ")


def test_grid_script_runs_a_task_like_run_pl(tmp_path: Path) -> None:
    _, script = dry_run("slurm.pl", tmp_path, "JOB=1:3", "exp/log/t.JOB.log",
                        "echo", "task JOB", "|", "tr", "a-z", "A-Z")
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "2"}
    proc = run(["bash", "-c", script], tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "exp/log/t.2.log").read_text().splitlines()
    assert lines[0] == '# echo "task 2" | tr a-z A-Z'
    assert "TASK 2" in lines
    assert re.fullmatch(r"# Ended \(code 0\) at .+", lines[-1])


FAKE_SBATCH = r"""#!/usr/bin/env bash
# Stand-in for `sbatch --array=S-E[%L] --wait ... script`: runs the tasks here.
script=${!#}
range=1-1
for a in "$@"; do case $a in --array=*) range=${a#--array=}; range=${range%%%*} ;; esac; done
echo "$*" > sbatch.args
ret=0
for ((i=${range%-*}; i<=${range#*-}; i++)); do
  SLURM_ARRAY_TASK_ID=$i bash "$script" || ret=$?
done
exit $ret
"""

FAKE_QSUB = r"""#!/usr/bin/env bash
# Stand-in for `qsub ... -t S:E ... -sync y script`: runs the tasks here.
script=${!#}
range=1:1
prev=
for a in "$@"; do [ "$prev" = -t ] && range=$a; prev=$a; done
echo "$*" > qsub.args
ret=0
for ((i=${range%:*}; i<=${range#*:}; i++)); do SGE_TASK_ID=$i bash "$script" || ret=$?; done
exit $ret
"""


@pytest.fixture
def fake_grid(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("qsub", FAKE_QSUB)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_slurm_submits_and_collects(tmp_path: Path, fake_grid: dict[str, str]) -> None:
    proc = run([str(LOCAL / "slurm.pl"), "--max-jobs-run", "2", "JOB=1:3", "log/ok.JOB.log",
                "echo", "JOB"], tmp_path, env=fake_grid)
    assert proc.returncode == 0, proc.stderr
    assert "--array=1-3%2 --wait log/q/ok.sh" in (tmp_path / "sbatch.args").read_text()
    assert "\n3\n" in (tmp_path / "log/ok.3.log").read_text()
    proc = run([str(LOCAL / "slurm.pl"), "JOB=1:3", "log/bad.JOB.log",
                "[", "JOB", "-ne", "2", "]"], tmp_path, env=fake_grid)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "slurm.pl: 1 / 3 failed, log is in log/bad.2.log"


def test_queue_submits_and_collects(tmp_path: Path, fake_grid: dict[str, str]) -> None:
    proc = run([str(LOCAL / "queue.pl"), "JOB=1:2", "log/q.JOB.log", "exit", "JOB"],
               tmp_path, env=fake_grid)
    assert proc.returncode == 1
    assert "-t 1:2 -sync y log/q/q.sh" in (tmp_path / "qsub.args").read_text()
    assert proc.stderr.strip() == "queue.pl: 2 / 2 failed, log is in log/q.1.log"
    proc = run([str(LOCAL / "queue.pl"), "log/one.log", "true"], tmp_path, env=fake_grid)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------- lint


def _shell_scripts() -> list[str]:
    patterns = ("local/*.sh", "egs/*/s5/*.sh", "egs/*/s5/local/*.sh", "tools/*.sh")
    return sorted(str(p.relative_to(REPO)) for pat in patterns for p in REPO.glob(pat))


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shell_scripts_are_shellcheck_clean() -> None:
    scripts = _shell_scripts()
    assert "local/decode.sh" in scripts and "egs/synth/s5/run.sh" in scripts
    proc = run(["shellcheck", "-x", *scripts], REPO)
    assert proc.returncode == 0, proc.stdout


def test_python_is_ruff_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    proc = run([str(ruff), "check", "pykaldi_distill", "tests", "bench"], REPO)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("tool", ["run.pl", "slurm.pl", "queue.pl"])
def test_perl_tools_compile(tool: str) -> None:
    proc = run(["perl", "-c", str(LOCAL / tool)], REPO)
    assert proc.returncode == 0, proc.stderr


def background_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "recipe.sh"
    script.write_text("#!/usr/bin/env bash\nset -euo pipefail\n"
                      f". {REPO}/local/background.sh\n{body}\n")
    script.chmod(0o755)
    return script


def test_background_jobs_report_results_and_failures(tmp_path: Path) -> None:
    script = background_script(tmp_path, """
ok_job() { echo "%WER 12.50 [ 1 / 8 ]"; }
bad_job() { false; echo "not reached"; }
in_background logs/ok.log ok_job
in_background logs/bad.log bad_job
wait_background
echo "after the wait"
""")
    proc = run([str(script)], tmp_path)
    assert proc.returncode != 0
    assert "%WER 12.50" in proc.stdout  # a finished decode's WER is shown
    assert "see logs/bad.log" in proc.stderr
    assert "after the wait" not in proc.stdout
    assert "not reached" not in (tmp_path / "logs" / "bad.log").read_text()  # set -e inside


def test_background_jobs_stop_with_a_failing_recipe(tmp_path: Path) -> None:
    script = background_script(tmp_path, f"""
in_background logs/slow.log bash -c 'sleep 30; touch {tmp_path}/finished'
false
""")
    proc = run([str(script)], tmp_path)
    assert proc.returncode != 0
    subprocess.run(["sleep", "1"], check=True)
    leftovers = subprocess.run(["pgrep", "-f", f"touch {tmp_path}/finished"],
                               capture_output=True, text=True)
    assert leftovers.stdout == ""  # the job (and its sleep) was killed at exit
    assert not (tmp_path / "finished").exists()
