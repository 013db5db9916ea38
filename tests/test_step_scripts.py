"""Every step script prints its Usage and exits non-zero when called without arguments, and
stops naming the missing input file."""

import re
import subprocess
from pathlib import Path

import pytest

LOCAL = Path(__file__).resolve().parents[1] / "local"
STEPS = sorted(p.name for p in LOCAL.glob("*.sh")
               if p.name not in {"parse_options.sh", "pkd_env.sh", "nnet_train_common.sh",
                                 "tree_train_common.sh", "background.sh", "stage_times.sh",
                                 "gmm_recipe.sh", "nnet_recipe.sh", "kd_recipe.sh"})
# (those are sourced, not steps)


@pytest.mark.parametrize("script", STEPS)
def test_usage_without_arguments(script: str) -> None:
    proc = subprocess.run(["bash", str(LOCAL / script)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Usage" in proc.stdout + proc.stderr


def test_stage_times_records_each_ended_stage(tmp_path: Path) -> None:
    script = (f". {LOCAL / 'stage_times.sh'}; stage_begin 0 'first'; "
              "stage_begin 1 'second stage'; stage_end; stage_end")
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "== stage 0: first\n== stage 1: second stage\n"
    lines = (tmp_path / "exp" / "stage_times.tsv").read_text().splitlines()
    assert [line.split("\t")[::2] for line in lines] == [["0", "first"], ["1", "second stage"]]


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


def test_failing_parallel_job_names_its_log(tiny_data_dir: Path, tmp_path: Path) -> None:
    """One of two feature jobs reads a corrupt wav: the step fails, names the job's log and
    writes no feats.scp."""
    wavs = dict(line.split() for line in (tiny_data_dir / "wav.scp").read_text().splitlines())
    Path(wavs["spkB-001"]).write_bytes(b"RIFF-not-really-audio")
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    proc = subprocess.run(["bash", str(LOCAL / "make_feats.sh"), "--nj", "2", "--feat-config",
                           str(conf), str(tiny_data_dir), str(tmp_path / "log"),
                           str(tmp_path / "fbank")], capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "1 / 2 failed, log is in" in out and str(tmp_path / "log") in out
    assert not (tiny_data_dir / "feats.scp").exists()
    assert not (tiny_data_dir / "split2").exists()  # nothing left in the user's data dir
    wav_scp = tiny_data_dir / "wav.scp"  # the user's file, not the job's split of it
    assert f"run.pl: ERROR (compute_feats): {wav_scp}: cannot read audio" in proc.stderr
    failed_log = next((tmp_path / "log").glob("make_fbank_train.*.log"))
    assert failed_log.is_file()


@pytest.mark.parametrize("recipe", sorted(p.parent.parent.name for p in
                                          (LOCAL.parent / "egs").glob("*/s5/run.sh")))
def test_recipe_help_lists_every_option_with_its_default(recipe: str) -> None:
    run_sh = LOCAL.parent / "egs" / recipe / "s5" / "run.sh"
    proc = subprocess.run(["bash", "run.sh", "--help"], cwd=run_sh.parent, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    block = run_sh.read_text().split("# Begin configuration section.")[1].split("# End")[0]
    for name, default in re.findall(r"^(\w+)=(\S*)", block, re.M):
        option = "--" + name.replace("_", "-")
        assert re.search(rf"^  {option} +\({re.escape(default.strip(chr(34)))}", proc.stderr,
                         re.M), option


def test_console_entry_points_are_the_clis() -> None:
    """pyproject.toml names every CLI as pkd-<name>, each pointing at that module's main,
    and its pins are requirements.txt's."""
    import importlib

    import tomllib

    root = LOCAL.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    clis = sorted(p.stem for p in (root / "pykaldi_distill" / "bin").glob("*.py")
                  if p.stem != "__init__")
    scripts = project["scripts"]
    assert sorted(scripts) == sorted(f"pkd-{name.replace('_', '-')}" for name in clis)
    for target in scripts.values():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func))
    pins = {line.strip() for line in (root / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    assert set(project["dependencies"]) <= pins


def _config_block(script: str) -> dict[str, str]:
    text = (LOCAL / script).read_text()
    block = text.split("# Begin configuration section.")[1].split("# End configuration section.")[0]
    return {k: v.strip('"') for k, v in re.findall(r'^([a-z_]+)=("[^"]*"|\S*)', block, re.M)}


def _same(script_value: str, default: object) -> bool:
    if default is None or script_value == "":
        return script_value == "" and default in (None, "")
    try:
        return float(script_value) == float(default)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return script_value == str(default)


@pytest.mark.parametrize("script,cli,model", [
    ("train_teacher.sh", "train_nnet", "blstm"), ("train_student.sh", "train_nnet", "dnn"),
    ("align_si.sh", "align_si", None), ("align_nnet.sh", "align_nnet", None),
    ("decode.sh", "decode", None), ("train_mono.sh", "train_mono", None),
    ("train_deltas.sh", "train_deltas", None), ("train_lda_mllt.sh", "train_lda_mllt", None),
    ("train_sat.sh", "train_sat", None), ("make_soft_targets.sh", "make_soft_targets", None),
])
def test_step_script_defaults_are_the_clis(script: str, cli: str, model: str | None) -> None:
    """A step script's config block gives each option the default its CLI resolves to (the
    model's and its trainer's config dataclasses for train_nnet), so running a step and
    calling its CLI directly train the same thing."""
    import dataclasses
    import importlib

    from pykaldi_distill.nnet.chunking import ChunkConfig
    from pykaldi_distill.nnet.student import DnnConfig
    from pykaldi_distill.nnet.teacher import BlstmConfig
    from pykaldi_distill.nnet.train import TeacherTrainConfig, TrainConfig

    parser = importlib.import_module(f"pykaldi_distill.bin.{cli}").get_parser()
    defaults = {a.dest: a.default for a in parser._actions}
    configs = {"blstm": [BlstmConfig(1, 1), TeacherTrainConfig(), ChunkConfig()],
               "dnn": [DnnConfig(1, 1), TrainConfig()]}.get(model, [])
    for config in configs:
        for f in dataclasses.fields(config):
            if defaults.get(f.name, 0) is None:
                defaults[f.name] = getattr(config, f.name)
    checked = 0
    for name, value in _config_block(script).items():
        if name in defaults and not isinstance(defaults[name], bool):
            assert _same(value, defaults[name]), \
                f"{script}: {name}={value!r}, {cli}: {defaults[name]!r}"
            checked += 1
    assert checked


@pytest.mark.parametrize("opts,says", [
    (["--dense", "false"], "--dense false keeps only the top-k posteriors: give --topk"),
    (["--dense", "maybe", "--topk", "5"], 'expected "true" or "false": --dense maybe'),
])
def test_soft_targets_options_fail_before_any_work(tmp_path: Path, opts: list[str],
                                                   says: str) -> None:
    dirs = [str(tmp_path / name) for name in ("data", "teacher", "out")]
    proc = subprocess.run(["bash", str(LOCAL / "make_soft_targets.sh"), *opts, *dirs],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and says in proc.stderr
    assert not (tmp_path / "out").exists()
