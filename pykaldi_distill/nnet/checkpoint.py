"""Self-contained model checkpoints: architecture args + weights + caller extras, in one file.

Layout (a torch.save dict, loaded with weights_only=True):
    {"format": FORMAT, "model_kind": "blstm"|"dnn", "model_args": {...config...},
     "state_dict": {...}, "extra": {...}}
numpy arrays in `extra` are stored as torch tensors (and come back as tensors); Paths as str.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import InputError
from ..formats.io import atomic_path
from .student import Dnn, DnnConfig
from .teacher import Blstm, BlstmConfig

FORMAT = "pykaldi_distill.nnet/1"
MODEL_KINDS: dict[str, tuple[type, type[nn.Module]]] = {
    "blstm": (BlstmConfig, Blstm),
    "dnn": (DnnConfig, Dnn),
}
Model = Blstm | Dnn


def model_kind(model: nn.Module) -> str:
    kind = getattr(model, "kind", None)
    if kind not in MODEL_KINDS:
        raise TypeError(f"not a Blstm/Dnn model: {type(model).__name__}")
    return str(kind)


def build_model(kind: str, model_args: dict[str, Any]) -> Model:
    """Instantiate a model from its kind and config dict (as stored in checkpoints)."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind '{kind}' (expected one of {sorted(MODEL_KINDS)})")
    config_cls, model_cls = MODEL_KINDS[kind]
    return model_cls(config_cls(**model_args))  # type: ignore[return-value]


def save_checkpoint(path: str | Path, model: nn.Module, model_kind: str,
                    config: Any, extra: dict[str, Any] | None = None) -> None:
    """Write `path` atomically; `config` is the model's BlstmConfig/DnnConfig."""
    if model_kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind '{model_kind}'")
    config_cls, model_cls = MODEL_KINDS[model_kind]
    if not isinstance(model, model_cls) or not isinstance(config, config_cls):
        raise TypeError(f"model_kind '{model_kind}' needs a {model_cls.__name__} and a "
                        f"{config_cls.__name__}")
    ckpt = {
        "format": FORMAT,
        "model_kind": model_kind,
        "model_args": dataclasses.asdict(config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "extra": _to_storable(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(ckpt, tmp)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict; InputError naming the file if missing or not a checkpoint."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "model checkpoint does not exist", "train the model first")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for truncated/foreign files
        raise InputError(p, f"cannot read model checkpoint: {err}",
                         "re-run the training step that writes it") from err
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise InputError(p, "not a pykaldi_distill model checkpoint",
                         "re-run the training step that writes it")
    return ckpt


def load_model(path: str | Path) -> tuple[Model, dict[str, Any]]:
    """Rebuild the model (eval mode, CPU) from the file alone; returns (model, ckpt dict)."""
    ckpt = load_checkpoint(path)
    try:
        model = build_model(ckpt["model_kind"], ckpt["model_args"])
        model.load_state_dict(ckpt["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise InputError(path, f"corrupt model checkpoint: {err}",
                         "re-run the training step that writes it") from err
    model.eval()
    return model, ckpt


def _to_storable(value: Any) -> Any:
    """Make `value` loadable with weights_only=True."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, Path) else k: _to_storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_storable(v) for v in value)
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value)).clone()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _to_storable(dataclasses.asdict(value))
    return value
