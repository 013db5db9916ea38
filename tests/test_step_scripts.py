"""Every step script prints its Usage and exits non-zero when called without arguments, and
stops naming the missing input file."""

import subprocess
from pathlib import Path

import pytest

LOCAL = Path(__file__).resolve().parents[1] / "local"
STEPS = sorted(p.name for p in LOCAL.glob("*.sh")
               if p.name not in {"parse_options.sh", "pkd_env.sh", "nnet_train_common.sh"})


@pytest.mark.parametrize("script", STEPS)
def test_usage_without_arguments(script: str) -> None:
    proc = subprocess.run(["bash", str(LOCAL / script)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Usage" in proc.stdout + proc.stderr


@pytest.mark.parametrize("script,args", [
    ("train_mono.sh", ["{t}/data", "{t}/lang", "{t}/exp"]),
    ("train_student.sh", ["{t}/data", "{t}/lang", "{t}/ali", "{t}/exp"]),
    ("train_teacher.sh", ["{t}/data", "{t}/lang", "{t}/ali", "{t}/exp"]),
    ("decode.sh", ["{t}/graph", "{t}/data", "{t}/exp/decode"]),
    ("make_soft_targets.sh", ["{t}/data", "{t}/teacher", "{t}/out"]),
])
def test_missing_inputs_are_named(script: str, args: list[str], tmp_path: Path) -> None:
    argv = [a.format(t=tmp_path) for a in args]
    proc = subprocess.run(["bash", str(LOCAL / script), *argv], capture_output=True, text=True)
    assert proc.returncode != 0
    assert f"expected file {tmp_path}" in proc.stderr
    assert not (tmp_path / "exp").exists()
