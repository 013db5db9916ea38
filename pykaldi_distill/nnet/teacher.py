"""The teacher: a deep bidirectional LSTM acoustic model with feed-forward layers around it.

input -> InputNorm -> [affine+ReLU] x dnn_before -> BLSTM(P) x num_layers
      -> [affine+ReLU] x dnn_after -> affine -> logits over pdfs
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class InputNorm(nn.Module):
    """Per-dimension global mean/variance normalisation (Kaldi nnet1's feature_transform
    rescaling), kept as buffers so checkpoints carry it. Identity until `set_stats`."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))  # (dim,)
        self.register_buffer("inv_std", torch.ones(dim))  # (dim,)

    def set_stats(self, mean: np.ndarray, std: np.ndarray, floor: float = 1e-5) -> None:
        """mean, std: (dim,) statistics of the training features."""
        mean_t = torch.as_tensor(np.asarray(mean), dtype=torch.float32)
        std_t = torch.as_tensor(np.asarray(std), dtype=torch.float32).clamp_min(floor)
        if mean_t.shape != self.mean.shape or std_t.shape != self.mean.shape:
            raise ValueError(f"stats must have shape {tuple(self.mean.shape)}")
        self.mean.copy_(mean_t)
        self.inv_std.copy_(1.0 / std_t)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., dim) -> (..., dim)
        return (x - self.mean) * self.inv_std


@dataclass
class BlstmConfig:
    input_dim: int
    num_pdfs: int
    num_layers: int = 3
    hidden: int = 256  # LSTM cells per direction
    projection: int | None = None  # LSTMP recurrent projection per direction
    dnn_before: int = 1  # affine+ReLU layers between the input and the BLSTM
    dnn_after: int = 1  # affine+ReLU layers between the BLSTM and the output affine
    dnn_dim: int = 512  # width of those feed-forward layers
    dropout: float = 0.1  # after feed-forward layers and between LSTM layers

    def __post_init__(self) -> None:
        for name in ("input_dim", "num_pdfs", "num_layers", "hidden", "dnn_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"BlstmConfig.{name} must be >= 1")
        if self.projection is not None and not 0 < self.projection < self.hidden:
            raise ValueError("BlstmConfig.projection must be in (0, hidden)")
        if self.dnn_before < 0 or self.dnn_after < 0:
            raise ValueError("BlstmConfig.dnn_before/dnn_after must be >= 0")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("BlstmConfig.dropout must be in [0, 1)")

    @property
    def lstm_out_dim(self) -> int:
        """Width of the BLSTM output (both directions)."""
        return 2 * (self.projection or self.hidden)


def _ff_stack(in_dim: int, dim: int, count: int, dropout: float) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for _ in range(count):
        layers += [nn.Linear(in_dim, dim), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_dim = dim
    return nn.Sequential(*layers), in_dim


class Blstm(nn.Module):
    """(batch, frames, input_dim) + lengths -> logits (batch, frames, num_pdfs).

    Padded sequences are packed, so frames beyond an utterance's length never influence its
    outputs (in either direction); logits at padded positions are meaningless. Training
    and decoding use `forward_chunks` on equal-length chunks (see nnet/chunking.py).
    """

    kind: ClassVar[str] = "blstm"

    def __init__(self, config: BlstmConfig) -> None:
        super().__init__()
        self.config = config
        self.input_norm = InputNorm(config.input_dim)
        self.pre, lstm_in = _ff_stack(config.input_dim, config.dnn_dim, config.dnn_before,
                                      config.dropout)
        self.lstm = nn.LSTM(
            lstm_in,
            config.hidden,
            num_layers=config.num_layers,
            batch_first=True,
            bidirectional=True,
            proj_size=config.projection or 0,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.post, out_in = _ff_stack(config.lstm_out_dim, config.dnn_dim, config.dnn_after,
                                      config.dropout)
        self.output = nn.Linear(out_in, config.num_pdfs)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x: (batch, frames, input_dim) float32; lengths: (batch,) int64 or None (all full)."""
        h = self.pre(self.input_norm(x))  # (batch, frames, lstm_in)
        frames = h.shape[1]
        if lengths is not None and bool((lengths < frames).any()):
            packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True,
                                          enforce_sorted=False)
            out, _ = self.lstm(packed)
            h, _ = pad_packed_sequence(out, batch_first=True, total_length=frames)
        else:
            h, _ = self.lstm(h)  # (batch, frames, lstm_out_dim)
        return self.output(self.post(h))  # (batch, frames, num_pdfs)

    def forward_chunks(self, x: torch.Tensor, left_context: int, width: int) -> torch.Tensor:
        """Equal-length chunks x (batch, T, input_dim) float32 -> logits (batch, width,
        num_pdfs) of frames [left_context, left_context + width): the layers after the BLSTM
        run on those frames only (the context frames' outputs carry no loss)."""
        h, _ = self.lstm(self.pre(self.input_norm(x)))  # (batch, T, lstm_out_dim)
        return self.output(self.post(h[:, left_context:left_context + width]))


def blstm_mflops_per_frame(config: BlstmConfig) -> float:
    """Multiply-adds x2 / 1e6 for one output frame: affines plus the LSTM gate (and
    projection) matmuls of both directions; element-wise ops and biases are ignored."""
    return sum(blstm_mflops_parts(config))


def blstm_mflops_parts(config: BlstmConfig) -> tuple[float, float]:
    """`blstm_mflops_per_frame` split into (the layers up to and including the BLSTM, run
    on every input frame of a chunk; the layers after it, run on its output frames only:
    see `Blstm.forward_chunks`)."""
    sequence = 2 * _sequence_macs(config) / 1e6
    return sequence, 2 * _output_macs(config) / 1e6


def _sequence_macs(config: BlstmConfig) -> int:
    macs = 0
    in_dim = config.input_dim
    if config.dnn_before:
        macs += in_dim * config.dnn_dim + (config.dnn_before - 1) * config.dnn_dim**2
        in_dim = config.dnn_dim
    rec = config.projection or config.hidden
    for _ in range(config.num_layers):
        per_dir = 4 * config.hidden * (in_dim + rec)
        if config.projection:
            per_dir += config.hidden * config.projection
        macs += 2 * per_dir
        in_dim = config.lstm_out_dim
    return macs


def _output_macs(config: BlstmConfig) -> int:
    macs, in_dim = 0, config.lstm_out_dim
    if config.dnn_after:
        macs += in_dim * config.dnn_dim + (config.dnn_after - 1) * config.dnn_dim**2
        in_dim = config.dnn_dim
    return macs + in_dim * config.num_pdfs
