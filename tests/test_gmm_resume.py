"""--stage N of the GMM trainers (Kaldi's): training resumed at an iteration from
<exp-dir>/iters/ ends with the model of the uninterrupted run, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_cli_errors import world  # noqa: F401  (the module's fixture)

from pykaldi_distill.bin import train_deltas, train_lda_mllt, train_mono, train_sat

SMALL = ["--num-leaves", "30", "--totgauss", "60", "--num-iters", "4"]
TRAINERS = {
    "mono": (train_mono, ["--num-iters", "4", "--totgauss", "40"], False),
    "deltas": (train_deltas, SMALL, True),
    "lda_mllt": (train_lda_mllt, [*SMALL, "--splice", "1", "--dim", "6", "--mllt-iters", "1 2"],
                 True),
    "sat": (train_sat, [*SMALL, "--fmllr-iters", "1 2"], True),
}


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_resume_at_every_iteration(name: str, world: dict[str, Path],  # noqa: F811
                                   tmp_path: Path) -> None:
    cli, options, from_ali = TRAINERS[name]
    inputs = [str(world["data"]), str(world["lang"])] + ([str(world["mono"])] if from_ali else [])
    exp = tmp_path / "exp"
    assert cli.main([*options, *inputs, str(exp)]) == 0
    final = (exp / "final.mdl").read_bytes()
    iters = sorted(p.name for p in (exp / "iters").iterdir())
    assert {"0.mdl", "4.mdl", "ali.0.gz", "tree"} <= set(iters), iters
    for stage in ["1", "2", "3", "4"]:
        (exp / "final.mdl").unlink()
        assert cli.main([*options, "--stage", stage, *inputs, str(exp)]) == 0
        assert (exp / "final.mdl").read_bytes() == final, f"--stage {stage}"


def test_resume_errors(world: dict[str, Path], tmp_path: Path,  # noqa: F811
                       capsys: pytest.CaptureFixture[str]) -> None:
    """--stage past the iterations, or at one the run never reached: exit 1, naming the
    file or option."""
    args = [str(world["data"]), str(world["lang"]), str(world["mono"])]
    exp = tmp_path / "tri1"
    assert train_deltas.main([*SMALL, *args, str(exp)]) == 0
    assert train_deltas.main([*SMALL, "--stage", "5", *args, str(exp)]) == 1
    assert "--stage 5 is past the last iteration (--num-iters 4)" in capsys.readouterr().err
    for n in [3, 4]:
        (exp / "iters" / f"{n}.mdl").unlink()
    assert train_deltas.main([*SMALL, "--stage", "3", *args, str(exp)]) == 1
    err = capsys.readouterr().err
    assert "iters/3.mdl: missing: training never reached iteration 3 (the last one there " \
        "is 2.mdl)" in err, err
    shutil.rmtree(exp / "iters")
    assert train_deltas.main([*SMALL, "--stage", "1", *args, str(exp)]) == 1
    assert "iters/1.mdl: missing" in capsys.readouterr().err
