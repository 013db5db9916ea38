"""Kaldi nnet3-style chunks for the BLSTM teacher: training samples and chunked inference.

A sample (Kaldi: an eg of steps/nnet3/train_rnn.py) is `chunk_width` frames that carry
the loss, with `chunk_left_context` frames before and `chunk_right_context` after whose
outputs carry none. Every sample has the same length
T = chunk_left_context + chunk_width + chunk_right_context, so a minibatch is one dense
(B, T, dim) tensor: no packing, no padding.

The chunk plan of an utterance of n frames (`plan_chunks`), the same for training,
cv and inference:
  * chunks start at frames 0, W, 2W, ... (W = chunk width); when n is not a multiple of
    W, the last chunk is shifted back to end at frame n, so it stays W frames wide, and
    its frames that the previous chunk already covers carry no loss (and give no output):
    every frame is scored exactly once (Kaldi's UtteranceSplitter overlaps chunks too,
    sharing the weight of the overlapped frames between them);
  * an utterance shorter than W is one chunk whose frames past the end carry no loss.
Frames outside the utterance (the context at its edges, the tail of a short utterance)
are copies of its first/last frame, as Kaldi's nnet3-get-egs and its decodables pad.

Inference (`chunked_logits`) runs an utterance as such chunks of `frames_per_chunk`
output frames with `extra_left_context` / `extra_right_context` frames (Kaldi's
nnet3-latgen-faster options), batched, and stitches the outputs back to n frames; the
defaults are the training settings (`InferenceChunking.of_training`), so decoding sees
what training saw. frames_per_chunk 0 runs the whole utterance as one chunk (with
extra context 0: the plain whole-sequence forward).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .teacher import Blstm

DEFAULT_CHUNKS_PER_BATCH = 64  # Kaldi's --trainer.rnn.num-chunk-per-minibatch in BLSTM recipes
_MAX_INFERENCE_CHUNKS = 256  # chunks per forward call when decoding a long utterance


@dataclass(frozen=True)
class ChunkConfig:
    """The shape of the teacher's training samples (Kaldi's --egs.chunk-* options)."""

    chunk_width: int = 40  # frames per sample that carry the loss
    chunk_left_context: int = 40  # frames before them, without loss
    chunk_right_context: int = 40  # frames after them, without loss

    def __post_init__(self) -> None:
        if self.chunk_width < 1:
            raise ValueError(f"chunk_width must be >= 1, got {self.chunk_width}")
        if self.chunk_left_context < 0 or self.chunk_right_context < 0:
            raise ValueError("chunk_left_context and chunk_right_context must be >= 0, got "
                             f"{self.chunk_left_context}, {self.chunk_right_context}")

    @property
    def sample_frames(self) -> int:
        """T: frames of one sample, context included."""
        return self.chunk_left_context + self.chunk_width + self.chunk_right_context


@dataclass(frozen=True)
class InferenceChunking:
    """How a BLSTM is run over an utterance (Kaldi's --frames-per-chunk,
    --extra-left-context, --extra-right-context)."""

    frames_per_chunk: int = 0  # output frames per chunk; 0: the whole utterance
    extra_left_context: int = 0
    extra_right_context: int = 0

    def __post_init__(self) -> None:
        for name in ("frames_per_chunk", "extra_left_context", "extra_right_context"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def of_training(cls, chunk: ChunkConfig | None) -> InferenceChunking:
        """The training samples' shape; None (a model trained before chunk settings were
        recorded, or a DNN): whole utterances."""
        if chunk is None:
            return cls()
        return cls(chunk.chunk_width, chunk.chunk_left_context, chunk.chunk_right_context)

    @classmethod
    def of_checkpoint(cls, extra: Mapping[str, Any]) -> InferenceChunking:
        """From a checkpoint's `extra` dict (its "chunk" entry, written by nnet.train)."""
        chunk = extra.get("chunk")
        return cls.of_training(None if chunk is None else ChunkConfig(**chunk))


@dataclass(frozen=True)
class ChunkPlan:
    """Chunks of one or more utterances, as global frame indices into their concatenation."""

    starts: np.ndarray  # (chunks,) int64: first frame of each chunk's W frames
    first: np.ndarray  # (chunks,) int64: first frame of the chunk's utterance
    last: np.ndarray  # (chunks,) int64: last frame of the chunk's utterance
    loss_begin: np.ndarray  # (chunks,) int64: offset in [0, W) of its first scored frame
    loss_end: np.ndarray  # (chunks,) int64: offset in (0, W] past its last scored frame

    def __len__(self) -> int:
        return len(self.starts)


def plan_chunks(utt_starts: np.ndarray, utt_lengths: np.ndarray, width: int) -> ChunkPlan:
    """utt_starts, utt_lengths: (utts,) int64 (lengths >= 1) -> the chunks of every
    utterance, in utterance order (see the module doc)."""
    lengths = np.asarray(utt_lengths, dtype=np.int64)  # (utts,)
    if lengths.size and lengths.min() < 1:
        raise ValueError("every utterance needs at least one frame")
    counts = np.maximum(1, -(-lengths // width))  # (utts,) chunks per utterance
    utt = np.repeat(np.arange(len(lengths)), counts)  # (chunks,)
    index = np.arange(len(utt)) - np.repeat(np.cumsum(counts) - counts, counts)  # (chunks,)
    n = lengths[utt]  # (chunks,)
    offsets = index * width
    shifted = (index == counts[utt] - 1) & (n > width) & (n % width != 0)
    offsets[shifted] = n[shifted] - width
    loss_begin = np.where(shifted, counts[utt] * width - n, 0)
    loss_end = np.minimum(n, width)
    first = np.asarray(utt_starts, dtype=np.int64)[utt]
    return ChunkPlan(first + offsets, first, first + n - 1, loss_begin, loss_end)


def window_rows(plan: ChunkPlan, ids: np.ndarray, config: ChunkConfig) -> np.ndarray:
    """(B,) chunk ids -> (B, T) global frame indices of their samples, context included;
    indices outside a chunk's utterance are clamped to its first/last frame."""
    steps = np.arange(-config.chunk_left_context,
                      config.chunk_width + config.chunk_right_context)  # (T,)
    rows = plan.starts[ids, None] + steps[None, :]  # (B, T)
    return np.clip(rows, plan.first[ids, None], plan.last[ids, None])


def loss_mask(plan: ChunkPlan, ids: np.ndarray, width: int) -> np.ndarray:
    """(B,) chunk ids -> (B, W) bool: which of each chunk's W frames carry loss/output."""
    offsets = np.arange(width)[None, :]  # (1, W)
    return (offsets >= plan.loss_begin[ids, None]) & (offsets < plan.loss_end[ids, None])


def chunked_logits(model: Blstm, x: torch.Tensor, chunking: InferenceChunking) -> torch.Tensor:
    """One utterance x (frames, dim) float32 -> logits (frames, pdfs), run as chunks of
    `chunking.frames_per_chunk` output frames with extra context (see the module doc).
    Call it under no_grad/inference_mode in eval mode."""
    frames = int(x.shape[0])
    width = chunking.frames_per_chunk or frames
    config = ChunkConfig(width, chunking.extra_left_context, chunking.extra_right_context)
    plan = plan_chunks(np.zeros(1, dtype=np.int64), np.array([frames]), width)
    outputs: list[torch.Tensor] = []
    for begin in range(0, len(plan), _MAX_INFERENCE_CHUNKS):
        ids = np.arange(begin, min(begin + _MAX_INFERENCE_CHUNKS, len(plan)))
        rows = torch.from_numpy(window_rows(plan, ids, config))  # (C, T)
        logits = model.forward_chunks(x[rows], config.chunk_left_context, width)  # (C, W, P)
        outputs.append(logits[torch.from_numpy(loss_mask(plan, ids, width))])  # (n_i, P)
    return torch.cat(outputs)  # (frames, pdfs), chunks and their frames in time order
