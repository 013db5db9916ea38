"""The step-script options (train_teacher.sh / train_student.sh / train_nnet) that
reproduce the shape and budget of a resolved training config (an exp dir's config.json),
so a follow-up run — a teacher trained longer, a student on other targets — matches the
original without repeating its options by hand. Target options (temperature, hard
weight) are left out, and the seed unless asked for: they are what a follow-up run changes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..expdir import read_alignments
from ..formats.io import read_table
from .data import split_train_cv

_MODEL_OPTIONS = {
    "blstm": ("num_layers", "hidden", "projection", "dnn_dim", "dropout"),
    "dnn": ("num_layers", "hidden", "context", "dropout"),
}
_TRAIN_OPTIONS = ("lr", "final_lr", "batch_size", "max_epochs", "min_epochs")


def _flag(name: str, value: Any) -> list[str]:
    return [] if value is None else ["--" + name.replace("_", "-"), str(value)]


def training_options(resolved: Mapping[str, Any], with_seed: bool = False) -> list[str]:
    """["--num-layers", "2", ...] for a config.json dict written by train_nnet."""
    kind = resolved["model_kind"]
    model, train = resolved["model"], resolved["train"]
    opts: list[str] = []
    for name in _MODEL_OPTIONS[kind]:
        opts += _flag(name, model[name])
    for name in _TRAIN_OPTIONS:
        opts += _flag(name, train.get(name))  # final_lr: absent before 2026-12-06
    opts += _flag("cv_fraction", resolved["cv_fraction"])
    if kind == "blstm":
        for name, value in _chunk_settings(resolved).items():
            opts += _flag(name, value)
    if with_seed:
        opts += _flag("seed", train["seed"])
    return opts


def _chunk_settings(resolved: Mapping[str, Any]) -> dict[str, int]:
    """A blstm run's training chunks: "chunk" (ChunkConfig's fields, named as the options);
    older runs recorded "chunk_frames" (chunks of that many frames without context, which
    these options reproduce but for the last chunk of an utterance, now full width)."""
    if "chunk" in resolved:
        return dict(resolved["chunk"])
    if resolved.get("chunk_frames") is not None:
        return {"chunk_width": resolved["chunk_frames"], "chunk_left_context": 0,
                "chunk_right_context": 0}
    return {}


def load_resolved_config(exp_dir: Path) -> dict[str, Any]:
    """An exp dir's config.json (or the file itself), checked to be a train_nnet config."""
    path = exp_dir / "config.json" if exp_dir.is_dir() else exp_dir
    try:
        resolved = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, "does not exist", "train the network first "
                         "(local/train_teacher.sh or local/train_student.sh)") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"is not JSON ({e})") from None
    if not isinstance(resolved, dict) or resolved.get("model_kind") not in _MODEL_OPTIONS \
            or not {"model", "train", "cv_fraction", "targets", "data"} <= resolved.keys():
        raise InputError(path, "is not a config.json written by train_nnet")
    return resolved


def run_split(resolved: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(train, cv) utterances of a run, recomputed as train_nnet chose them: the data dir's
    utterances that have targets, split by `split_train_cv` with the run's seed and method."""
    data, targets = Path(resolved["data"]), Path(resolved["targets"])
    feats = read_table(data / "feats.scp", "the data dir the network was trained on")
    scps = [targets / "targets.scp", targets / "post.scp"]  # soft targets: the same utts
    scp = next((s for s in scps if s.is_file()), None)
    keys = set(read_table(scp)) if scp else {u for u, _ in read_alignments(targets)}
    utts = sorted(u for u in feats if u in keys)
    return split_train_cv(utts, resolved["cv_fraction"], resolved["train"]["seed"],
                          resolved.get("cv_split", "permutation"))


def held_out_by_all(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The utterances of the first run's data dir that no run trained on (sorted)."""
    feats = read_table(Path(runs[0]["data"]) / "feats.scp")
    trained = {u for resolved in runs for u in run_split(resolved)[0]}
    return sorted(u for u in feats if u not in trained)
