"""nnet.options / bin.nnet_options: the printed options reproduce a run's config.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pykaldi_distill.bin import nnet_options as cli
from pykaldi_distill.bin.train_nnet import get_parser, model_config, resolve_config, train_config
from pykaldi_distill.errors import InputError
from pykaldi_distill.features import FeaturePipeline
from pykaldi_distill.nnet.options import load_resolved_config, training_options

ROOT = Path(__file__).resolve().parents[1]
POSITIONAL = ["data/train_fbank", "exp/tri2_ali", "exp/x"]


def resolved_of(argv: list[str], kind: str = "hard") -> dict[str, object]:
    args = get_parser().parse_args(argv + POSITIONAL)
    return resolve_config(args, kind, model_config(args, 40, 450), train_config(args, kind),
                          FeaturePipeline(norm_means=True, norm_vars=False))


@pytest.mark.parametrize("argv", [
    ["--model", "blstm", "--num-layers", "2", "--hidden", "192", "--dnn-dim", "256",
     "--dropout", "0.1", "--max-epochs", "4", "--chunk-width", "20", "--chunk-left-context",
     "30", "--chunk-right-context", "0", "--projection", "96"],
    ["--model", "blstm"],
    ["--model", "dnn", "--num-layers", "3", "--hidden", "256", "--context", "7", "--lr",
     "0.0005", "--final-lr", "0.00005", "--batch-size", "128", "--min-epochs", "2",
     "--cv-fraction", "0.2"],
])
def test_options_reproduce_the_resolved_config(argv: list[str]) -> None:
    original = resolved_of(argv + ["--seed", "3"])
    opts = training_options(original)
    model = ["--model", str(original["model_kind"])]
    assert resolved_of(model + opts + ["--seed", "3"]) == original
    assert "--seed" not in opts and "--temperature" not in opts
    assert resolved_of(model + training_options(original, with_seed=True)) == original


def test_soft_target_options_are_left_out() -> None:
    soft = resolved_of(["--model", "dnn", "--temperature", "2", "--hard-weight", "0.5"], "soft")
    opts = training_options(soft)
    assert "--temperature" not in opts and "--hard-weight" not in opts
    assert opts[opts.index("--context") + 1] == "5"


def test_config_of_older_runs_prints_their_chunks() -> None:
    resolved = resolved_of(["--model", "blstm"])
    del resolved["chunk"]
    resolved["chunk_frames"] = 200  # config.json of runs whose chunks had no context
    opts = training_options(resolved)
    assert opts[opts.index("--chunk-width"):][:6] == [
        "--chunk-width", "200", "--chunk-left-context", "0", "--chunk-right-context", "0"]
    del resolved["chunk_frames"]  # runs before any chunk setting was recorded
    assert not [o for o in training_options(resolved) if o.startswith("--chunk")]


@pytest.mark.parametrize("script,kind", [("train_teacher.sh", "blstm"),
                                         ("train_student.sh", "dnn")])
def test_every_option_is_a_step_script_option(script: str, kind: str) -> None:
    text = (ROOT / "local" / script).read_text()
    config_block = text.split("# Begin configuration section.")[1].split("# End")[0]
    names = set(re.findall(r"^(\w+)=", config_block, re.M))
    opts = training_options(resolved_of(["--model", kind, "--projection", "64"]
                                        if kind == "blstm" else ["--model", kind]))
    flags = {o[2:].replace("-", "_") for o in opts if o.startswith("--")}
    assert flags <= names, flags - names


def test_load_resolved_config_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config.json.*does not exist"):
        load_resolved_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        load_resolved_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_kind": "gmm"}))
    with pytest.raises(InputError, match="not a config.json written by train_nnet"):
        load_resolved_config(tmp_path / "config.json")


def test_cli_prints_options_and_fails_on_bad_input(tmp_path: Path, capsys) -> None:
    resolved = resolved_of(["--model", "dnn", "--hidden", "64"])
    (tmp_path / "config.json").write_text(json.dumps(resolved))
    assert cli.main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[:4] == ["--num-layers", "4", "--hidden", "64"]
    assert cli.main(["--with-seed", str(tmp_path / "config.json")]) == 0
    assert capsys.readouterr().out.split()[-2:] == ["--seed", "0"]
    assert cli.main(["--targets", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "exp/tri2_ali"
    assert cli.main(["--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "data/train_fbank"
    assert cli.main([str(tmp_path / "missing")]) != 0
    assert "missing" in capsys.readouterr().err
