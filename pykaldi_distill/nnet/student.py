"""The student: a feed-forward DNN on spliced frames, plus model size/cost helpers.

Splicing (±context frames, edges replicated like Kaldi's splice-feats) happens inside the
model, so it has the teacher's sequence API; `forward_spliced` is the frame-level path for
training on shuffled frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import nn

from .teacher import Blstm, BlstmConfig, InputNorm, blstm_mflops_per_frame

Activation = Literal["relu", "sigmoid"]
Norm = Literal["none", "batchnorm", "layernorm"]


@dataclass
class DnnConfig:
    input_dim: int  # per-frame feature dim (before splicing)
    num_pdfs: int
    context: int = 5  # frames spliced on each side
    hidden: int = 512
    num_layers: int = 4  # hidden layers
    activation: Activation = "relu"
    norm: Norm = "none"  # normalisation after each hidden affine, before the activation
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("input_dim", "num_pdfs", "hidden", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"DnnConfig.{name} must be >= 1")
        if self.context < 0:
            raise ValueError("DnnConfig.context must be >= 0")
        if self.activation not in ("relu", "sigmoid"):
            raise ValueError(f"DnnConfig.activation: unknown '{self.activation}'")
        if self.norm not in ("none", "batchnorm", "layernorm"):
            raise ValueError(f"DnnConfig.norm: unknown '{self.norm}'")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("DnnConfig.dropout must be in [0, 1)")

    @property
    def window(self) -> int:
        return 2 * self.context + 1

    @property
    def spliced_dim(self) -> int:
        return self.window * self.input_dim


def splice_indices(frames: int, context: int, lengths: torch.Tensor | None = None,
                   batch: int = 1) -> torch.Tensor:
    """Source frame of each (utt, frame, offset) with edge replication: (batch, frames, 2c+1).

    With lengths, frames at or past an utterance's length are never used as context.
    """
    offsets = torch.arange(-context, context + 1)
    idx = torch.arange(frames)[:, None] + offsets[None, :]  # (frames, 2c+1)
    idx = idx.clamp(min=0)[None].expand(batch, -1, -1)  # (batch, frames, 2c+1)
    if lengths is None:
        return idx.clamp(max=max(frames - 1, 0))
    last = (lengths.to(torch.int64) - 1).clamp(min=0)[:, None, None]  # (batch, 1, 1)
    return torch.minimum(idx, last)


def splice(x: torch.Tensor, context: int, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """(batch, frames, dim) -> (batch, frames, (2c+1)*dim), ordered [t-c, ..., t+c]."""
    batch, frames, dim = x.shape
    idx = splice_indices(frames, context, lengths, batch)  # (batch, frames, 2c+1)
    rows = torch.arange(batch)[:, None, None]
    return x[rows, idx].reshape(batch, frames, (2 * context + 1) * dim)


class Dnn(nn.Module):
    """(batch, frames, input_dim) [+ lengths] -> logits (batch, frames, num_pdfs)."""

    kind: ClassVar[str] = "dnn"

    def __init__(self, config: DnnConfig) -> None:
        super().__init__()
        self.config = config
        self.input_norm = InputNorm(config.input_dim)
        layers: list[nn.Module] = []
        in_dim = config.spliced_dim
        for _ in range(config.num_layers):
            layers.append(nn.Linear(in_dim, config.hidden))
            if config.norm == "batchnorm":
                layers.append(nn.BatchNorm1d(config.hidden))
            elif config.norm == "layernorm":
                layers.append(nn.LayerNorm(config.hidden))
            layers.append(nn.ReLU() if config.activation == "relu" else nn.Sigmoid())
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            in_dim = config.hidden
        layers.append(nn.Linear(in_dim, config.num_pdfs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x: (batch, frames, input_dim); lengths: (batch,) int64 or None (all full)."""
        batch, frames, _ = x.shape
        spliced = splice(self.input_norm(x), self.config.context, lengths)
        logits = self.layers(spliced.reshape(batch * frames, -1))  # (batch*frames, pdfs)
        return logits.reshape(batch, frames, self.config.num_pdfs)

    def forward_spliced(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, (2c+1)*input_dim) raw spliced frames -> logits (N, num_pdfs)."""
        n = x.shape[0]
        normed = self.input_norm(x.reshape(n, self.config.window, self.config.input_dim))
        return self.layers(normed.reshape(n, self.config.spliced_dim))


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def dnn_mflops_per_frame(config: DnnConfig) -> float:
    """Multiply-adds x2 / 1e6 of the affine layers for one output frame."""
    macs = config.spliced_dim * config.hidden
    macs += (config.num_layers - 1) * config.hidden**2 + config.hidden * config.num_pdfs
    return 2 * macs / 1e6


def mflops_per_frame(model_or_config: nn.Module | DnnConfig | BlstmConfig) -> float:
    """MFLOPs (2 x multiply-adds / 1e6) to compute one output frame; for the BLSTM this
    counts the LSTM gate matmuls of both directions (see `blstm_mflops_per_frame`)."""
    cfg = model_or_config
    if isinstance(cfg, (Dnn, Blstm)):
        cfg = cfg.config
    if isinstance(cfg, DnnConfig):
        return dnn_mflops_per_frame(cfg)
    if isinstance(cfg, BlstmConfig):
        return blstm_mflops_per_frame(cfg)
    raise TypeError(f"not a Dnn/Blstm model or config: {type(model_or_config).__name__}")
