"""Training data for the teacher (equal-length chunks with context, Kaldi nnet3 RNN egs: see
nnet/chunking.py) and the student (shuffled spliced frames).

Both datasets are built from in-memory mappings keyed by utterance id:
    feats:   Mapping[str, np.ndarray]  # (frames, dim) float32
    targets: Mapping[str, np.ndarray]  # hard: (frames,) int pdf ids; soft: (frames, pdfs)
                                       # or io.TopkPosteriors (a post.scp's top-k)
and keep one concatenated copy of the features (and targets), so batches are plain gathers.
Soft targets may be kept as top-k (`soft_topk`, renormalised) to bound memory at frames x k
instead of frames x pdfs; batches always carry dense (.., pdfs) soft targets.

Feature/target length mismatches of up to `LENGTH_TOLERANCE` frames are trimmed (Kaldi's
tolerance for alignments vs features); larger ones raise InputError naming the utterance.
Utterances without targets are skipped and listed in `dataset.skipped`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from ..errors import InputError
from ..formats.io import TopkPosteriors
from .chunking import ChunkConfig, loss_mask, plan_chunks, window_rows
from .distill import topk

LENGTH_TOLERANCE = 2
IGNORE_INDEX = -100  # hard-target value of frames without loss (torch's default ignore_index)
_STATS_CHUNK = 1 << 16


@dataclass
class Batch:
    """Chunk batch (teacher) or frame batch (student); targets present as available."""

    x: torch.Tensor  # (B, T, dim) chunks with context | (N, (2c+1)*dim) spliced frames
    hard: torch.Tensor | None  # (B, W) int64, IGNORE_INDEX where no loss | (N,) int64
    soft: torch.Tensor | None  # (B, W, pdfs) float32, 0 where no loss | (N, pdfs) float32
    num_frames: int  # frames that carry loss
    loss_mask: torch.Tensor | None = None  # (B, W) bool for chunk batches; None for frames
    left_context: int = 0  # chunk batches: frames of x before the W frames with loss

    def to(self, device: str) -> Batch:
        """The batch on `device` (itself on the CPU)."""
        if device == "cpu":
            return self
        def move(x: torch.Tensor | None) -> torch.Tensor | None:
            return None if x is None else x.to(device, non_blocking=True)
        return Batch(self.x.to(device), move(self.hard), move(self.soft), self.num_frames,
                     move(self.loss_mask), self.left_context)

    def rows(self, part: slice) -> Batch:
        """The batch's chunks (or frames) `part`, e.g. one process's share."""
        mask = self.loss_mask[part] if self.loss_mask is not None else None
        x = self.x[part]
        frames = int(mask.sum()) if mask is not None else x.shape[0]
        return Batch(x, None if self.hard is None else self.hard[part],
                     None if self.soft is None else self.soft[part], frames, mask,
                     self.left_context)


CvSplit = Literal["hash", "permutation"]
CV_SPLIT: CvSplit = "hash"  # what train_nnet uses; config.json records it


def split_train_cv(utts: Sequence[str], cv_fraction: float, seed: int = 0,
                   method: CvSplit = CV_SPLIT) -> tuple[list[str], list[str]]:
    """Random utterance-level split -> (train, cv), each sorted; deterministic in `seed`.

    "hash": an utterance is held out when a hash of (seed, utterance id) falls below
    `cv_fraction`, so whether it is does not depend on the other utterances: networks whose
    targets cover slightly different utterances (a teacher re-alignment that lost a few)
    still hold out the same ones. "permutation": the first n of a seeded permutation (runs
    from before 2026-11-29 used it; their config.json has no "cv_split").
    With cv_fraction > 0 and at least 2 utterances, cv gets at least one and train keeps at
    least one utterance.
    """
    if not 0.0 <= cv_fraction < 1.0:
        raise ValueError(f"cv_fraction must be in [0, 1), got {cv_fraction}")
    ordered = sorted(set(utts))
    if method == "permutation":
        cv_set = _permutation_cv(ordered, cv_fraction, seed)
    elif method == "hash":
        cv_set = _hash_cv(ordered, cv_fraction, seed)
    else:
        raise ValueError(f"unknown cv split method '{method}'")
    return [u for u in ordered if u not in cv_set], sorted(cv_set)


def _permutation_cv(ordered: list[str], cv_fraction: float, seed: int) -> set[str]:
    n_cv = int(round(cv_fraction * len(ordered)))
    if cv_fraction > 0 and len(ordered) >= 2:
        n_cv = min(max(n_cv, 1), len(ordered) - 1)
    perm = np.random.default_rng(seed).permutation(len(ordered))
    return {ordered[i] for i in perm[:n_cv]}


def _unit_hash(seed: int, utt: str) -> float:
    digest = hashlib.blake2b(f"{seed}\t{utt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _hash_cv(ordered: list[str], cv_fraction: float, seed: int) -> set[str]:
    if cv_fraction == 0 or not ordered:
        return set()
    scores = {u: _unit_hash(seed, u) for u in ordered}
    cv_set = {u for u, h in scores.items() if h < cv_fraction}
    if len(ordered) >= 2 and not cv_set:
        cv_set = {min(ordered, key=scores.__getitem__)}
    if len(ordered) >= 2 and len(cv_set) == len(ordered):
        cv_set.discard(max(ordered, key=scores.__getitem__))
    return cv_set


class _Corpus:
    """Concatenated features and targets of a list of utterances."""

    def __init__(
        self,
        feats: Mapping[str, np.ndarray],
        targets: Mapping[str, np.ndarray],
        *,
        hard_targets: Mapping[str, np.ndarray] | None = None,
        utts: Sequence[str] | None = None,
        num_pdfs: int | None = None,
        soft_topk: int | None = None,
        source: str = "targets",
    ) -> None:
        self.source = source
        self.soft_topk = soft_topk
        if soft_topk is not None and soft_topk < 1:
            raise ValueError("soft_topk must be >= 1 or None")
        soft_map, hard_map = _classify_targets(targets, hard_targets, source)
        self.skipped: list[str] = []
        self.utts: list[str] = []
        self.feats_dim_seen: int | None = None
        feat_list: list[np.ndarray] = []
        hard_list: list[np.ndarray] = []
        soft_list: list[tuple[np.ndarray, np.ndarray] | np.ndarray] = []
        self.num_pdfs = num_pdfs
        for utt in sorted(feats) if utts is None else list(utts):
            if utt not in feats or (soft_map is not None and utt not in soft_map) or (
                    hard_map is not None and utt not in hard_map):
                self.skipped.append(utt)
                continue
            x, hard, soft = self._load_utt(utt, feats[utt], hard_map, soft_map)
            if len(x) == 0:
                self.skipped.append(utt)
                continue
            self.utts.append(utt)
            feat_list.append(x)
            if hard is not None:
                hard_list.append(hard)
            if soft is not None:
                soft_list.append(self._store_soft(soft))
        if not self.utts:
            raise InputError(source, "no utterance has both features and targets",
                             "check that features and targets use the same utterance ids")
        self.lengths = np.array([len(x) for x in feat_list], dtype=np.int64)  # (utts,)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])  # (utts,) int64
        self.feats = np.concatenate(feat_list)  # (frames, dim) float32
        del feat_list
        self.hard = np.concatenate(hard_list) if hard_map is not None else None  # (frames,)
        self._init_soft(soft_list if soft_map is not None else None)
        if self.num_pdfs is None:  # hard targets only
            self.num_pdfs = int(self.hard.max()) + 1  # type: ignore[union-attr]
        self._check_hard_range()

    # -- properties -------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return int(self.feats.shape[0])

    @property
    def feat_dim(self) -> int:
        return int(self.feats.shape[1])

    @property
    def has_hard(self) -> bool:
        return self.hard is not None

    @property
    def has_soft(self) -> bool:
        return self._soft_dense is not None or self._soft_idx is not None

    def feature_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Global per-dimension (mean, std) of the features, (dim,) float32 each."""
        total = np.zeros(self.feat_dim)
        total_sq = np.zeros(self.feat_dim)
        for start in range(0, self.num_frames, _STATS_CHUNK):
            chunk = self.feats[start:start + _STATS_CHUNK].astype(np.float64)
            total += chunk.sum(axis=0)
            total_sq += np.square(chunk).sum(axis=0)
        mean = total / self.num_frames
        var = np.maximum(total_sq / self.num_frames - mean**2, 0.0)
        return mean.astype(np.float32), np.sqrt(var).astype(np.float32)

    # -- loading ----------------------------------------------------------------------------
    def _load_utt(self, utt: str, feat: np.ndarray, hard_map: Mapping[str, np.ndarray] | None,
                  soft_map: Mapping[str, np.ndarray] | None
                  ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        x = np.asarray(feat, dtype=np.float32)  # (frames, dim)
        if x.ndim != 2:
            raise InputError(self.source, f"utterance '{utt}': features must be 2-D")
        if self.feats_dim_seen is not None and x.shape[1] != self.feats_dim_seen:
            raise InputError(self.source, f"utterance '{utt}': feature dim {x.shape[1]} "
                             f"differs from {self.feats_dim_seen} of earlier utterances")
        self.feats_dim_seen = x.shape[1]
        hard = None if hard_map is None else np.asarray(hard_map[utt]).astype(np.int64)
        soft = None if soft_map is None else _soft_of(soft_map[utt])
        if hard is not None and hard.ndim != 1:
            raise InputError(self.source, f"utterance '{utt}': hard targets must be 1-D")
        if soft is not None:
            self._check_soft(utt, soft)
        lens = {"features": len(x)}
        if hard is not None:
            lens["hard targets"] = len(hard)
        if soft is not None:
            lens["soft targets"] = len(soft)
        n = min(lens.values())
        if max(lens.values()) - n > LENGTH_TOLERANCE:
            detail = ", ".join(f"{v} {k} frames" for k, v in lens.items())
            raise InputError(self.source, f"utterance '{utt}': {detail} (differ by more than "
                             f"{LENGTH_TOLERANCE})", "recompute the targets from these features")
        return x[:n], None if hard is None else hard[:n], None if soft is None else soft[:n]

    def _check_soft(self, utt: str, soft: np.ndarray | TopkPosteriors) -> None:
        if isinstance(soft, TopkPosteriors):
            self._check_topk(utt, soft)
            return
        if soft.ndim != 2:
            raise InputError(self.source, f"utterance '{utt}': soft targets must be 2-D")
        if self.num_pdfs is None:
            self.num_pdfs = int(soft.shape[1])
        if soft.shape[1] != self.num_pdfs:
            raise InputError(self.source, f"utterance '{utt}': {soft.shape[1]} soft-target "
                             f"columns, expected {self.num_pdfs} pdfs")
        if soft.size and (not np.isfinite(soft).all() or soft.min() < 0
                          or (soft.sum(axis=1) <= 0).any()):
            raise InputError(self.source, f"utterance '{utt}': soft targets must be finite, "
                             "non-negative, with positive row sums")

    def _check_topk(self, utt: str, soft: TopkPosteriors) -> None:
        if self.num_pdfs is None:
            raise ValueError("top-k soft targets need num_pdfs")
        w = soft.weights
        if soft.ids.size and (soft.ids.min() < 0 or soft.ids.max() >= self.num_pdfs):
            raise InputError(self.source, f"utterance '{utt}': soft-target pdf ids outside "
                             f"[0, {self.num_pdfs})", "use targets from the same tree/model")
        if w.size and (not np.isfinite(w).all() or w.min() < 0 or (w.sum(axis=1) <= 0).any()):
            raise InputError(self.source, f"utterance '{utt}': soft targets must be finite, "
                             "non-negative, with positive row sums")

    def _store_soft(self, soft: np.ndarray | TopkPosteriors
                    ) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        """Dense (frames, pdfs), or (ids, weights) (frames, k) x2 of the top-k."""
        if isinstance(soft, TopkPosteriors):
            if self.soft_topk is not None and self.soft_topk < soft.ids.shape[1]:
                order = np.argsort(-soft.weights, axis=1, kind="stable")[:, :self.soft_topk]
                soft = TopkPosteriors(np.take_along_axis(soft.ids, order, axis=1),
                                      np.take_along_axis(soft.weights, order, axis=1))
            return soft.ids, soft.weights
        if self.soft_topk is None or self.soft_topk >= soft.shape[1]:
            return soft
        top = topk(soft, self.soft_topk)
        return top.ids, top.weights

    def _init_soft(self, soft_list: list | None) -> None:
        self._soft_dense: np.ndarray | None = None  # (frames, pdfs) float32
        self._soft_idx: np.ndarray | None = None  # (frames, k) int32
        self._soft_val: np.ndarray | None = None  # (frames, k) float32
        if soft_list is None:
            return
        if isinstance(soft_list[0], tuple):
            width = max(s[0].shape[1] for s in soft_list)  # post.scp frames may hold fewer
            self._soft_idx = np.concatenate([_pad(s[0], width) for s in soft_list])
            self._soft_val = np.concatenate([_pad(s[1], width) for s in soft_list])
        else:
            self._soft_dense = np.concatenate(soft_list)

    def _check_hard_range(self) -> None:
        if self.hard is None:
            return
        bad = (self.hard < 0) | (self.hard >= self.num_pdfs)  # type: ignore[operator]
        if bad.any():
            utt_i = int(np.searchsorted(self.starts, int(np.argmax(bad)), side="right")) - 1
            raise InputError(self.source, f"utterance '{self.utts[utt_i]}': pdf id outside "
                             f"[0, {self.num_pdfs})", "use targets from the same tree/model")

    # -- batch pieces -----------------------------------------------------------------------
    def _soft_rows(self, rows: np.ndarray) -> np.ndarray:
        """Dense soft targets for global frame indices rows (any shape) -> rows.shape + (P,)."""
        if self._soft_dense is not None:
            return self._soft_dense[rows]
        assert self._soft_idx is not None and self._soft_val is not None
        flat = rows.reshape(-1)
        dense = np.zeros((len(flat), self.num_pdfs), dtype=np.float32)  # (n, pdfs)
        cols = self._soft_idx[flat].astype(np.int64)  # (n, k)
        # add, not put: padding (id 0, weight 0) may repeat a frame's real id
        np.add.at(dense, (np.arange(len(flat))[:, None], cols), self._soft_val[flat])
        return dense.reshape(*rows.shape, self.num_pdfs)


def _soft_of(target: np.ndarray | TopkPosteriors) -> np.ndarray | TopkPosteriors:
    if isinstance(target, TopkPosteriors):
        return target
    return np.asarray(target, dtype=np.float32)


def _pad(a: np.ndarray, width: int) -> np.ndarray:
    """(frames, k) -> (frames, width) with zeros appended (weight 0 adds no mass)."""
    return a if a.shape[1] == width else np.pad(a, ((0, 0), (0, width - a.shape[1])))


def _classify_targets(
    targets: Mapping[str, np.ndarray], hard_targets: Mapping[str, np.ndarray] | None, source: str
) -> tuple[Mapping[str, np.ndarray] | None, Mapping[str, np.ndarray] | None]:
    """-> (soft mapping or None, hard mapping or None), by the ndim of the first target."""
    first = next(iter(targets.values()), None)
    if first is None:
        raise InputError(source, "no targets given")
    if isinstance(first, TopkPosteriors):
        return targets, hard_targets
    if np.ndim(first) == 1:
        if hard_targets is not None:
            raise ValueError("hard_targets is only for soft `targets`")
        return None, targets
    if np.ndim(first) == 2:
        return targets, hard_targets
    raise InputError(source, "targets must be (frames,) pdf ids or (frames, pdfs) posteriors")


class ChunkDataset(_Corpus):
    """Teacher data: every utterance cut into chunks of `chunk.chunk_width` frames with
    loss, each with its left/right context (edges replicated), planned by
    `chunking.plan_chunks`: every frame carries loss in exactly one chunk. Batches are
    dense (B, T, dim) gathers from the one concatenated feature matrix."""

    def __init__(
        self,
        feats: Mapping[str, np.ndarray],
        targets: Mapping[str, np.ndarray],
        *,
        chunk: ChunkConfig | None = None,
        hard_targets: Mapping[str, np.ndarray] | None = None,
        utts: Sequence[str] | None = None,
        num_pdfs: int | None = None,
        soft_topk: int | None = None,
        source: str = "targets",
    ) -> None:
        super().__init__(feats, targets, hard_targets=hard_targets, utts=utts,
                         num_pdfs=num_pdfs, soft_topk=soft_topk, source=source)
        self.chunk = chunk or ChunkConfig()
        self.plan = plan_chunks(self.starts, self.lengths, self.chunk.chunk_width)

    @property
    def num_chunks(self) -> int:
        return len(self.plan)

    def num_batches(self, batch_size: int) -> int:
        return -(-self.num_chunks // batch_size)

    def iter_batches(self, batch_size: int,
                     rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Chunks in shuffled (rng) or corpus order, `batch_size` chunks per batch."""
        n = self.num_chunks
        order = rng.permutation(n) if rng is not None else np.arange(n)
        for i in range(0, n, batch_size):
            yield self._batch(order[i:i + batch_size])

    def _batch(self, ids: np.ndarray) -> Batch:
        left, width = self.chunk.chunk_left_context, self.chunk.chunk_width
        rows = window_rows(self.plan, ids, self.chunk)  # (B, T) global frames
        mask = loss_mask(self.plan, ids, width)  # (B, W)
        scored = rows[:, left:left + width]  # (B, W) frames whose outputs carry loss
        hard = soft = None
        if self.hard is not None:
            hard_np = self.hard[scored]  # (B, W)
            hard_np[~mask] = IGNORE_INDEX
            hard = torch.from_numpy(hard_np)
        if self.has_soft:
            soft_np = self._soft_rows(scored)  # (B, W, pdfs)
            soft_np[~mask] = 0.0
            soft = torch.from_numpy(soft_np)
        return Batch(torch.from_numpy(self.feats[rows]), hard, soft, int(mask.sum()),
                     torch.from_numpy(mask), left)


class FrameDataset(_Corpus):
    """Student data: single frames spliced with ±context neighbours (edges replicated within
    each utterance), in shuffled minibatches.

    Splicing is a per-minibatch gather from the one concatenated feature matrix, so memory
    stays at frames x dim (not frames x (2c+1)dim) and every epoch sees a fresh shuffle.
    """

    def __init__(
        self,
        feats: Mapping[str, np.ndarray],
        targets: Mapping[str, np.ndarray],
        *,
        context: int = 5,
        hard_targets: Mapping[str, np.ndarray] | None = None,
        utts: Sequence[str] | None = None,
        num_pdfs: int | None = None,
        soft_topk: int | None = None,
        source: str = "targets",
    ) -> None:
        super().__init__(feats, targets, hard_targets=hard_targets, utts=utts,
                         num_pdfs=num_pdfs, soft_topk=soft_topk, source=source)
        if context < 0:
            raise ValueError("context must be >= 0")
        self.context = context
        self._offsets = np.arange(-context, context + 1)  # (2c+1,)
        utt_of_frame = np.repeat(np.arange(len(self.utts), dtype=np.int32), self.lengths)
        self._first = self.starts[utt_of_frame].astype(np.int64)  # (frames,)
        self._last = (self.starts + self.lengths - 1)[utt_of_frame].astype(np.int64)  # (frames,)

    def num_batches(self, batch_size: int) -> int:
        return -(-self.num_frames // batch_size)

    def iter_batches(self, batch_size: int,
                     rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Frames in shuffled (rng) or corpus order, `batch_size` frames per batch."""
        order = rng.permutation(self.num_frames) if rng is not None else None
        for i in range(0, self.num_frames, batch_size):
            rows = order[i:i + batch_size] if order is not None else np.arange(
                i, min(i + batch_size, self.num_frames))
            yield self._batch(rows)

    def spliced(self, rows: np.ndarray) -> np.ndarray:
        """(n,) global frame indices -> (n, (2c+1)*dim) float32 spliced features."""
        idx = rows[:, None] + self._offsets[None, :]  # (n, 2c+1)
        idx = np.clip(idx, self._first[rows][:, None], self._last[rows][:, None])
        return self.feats[idx].reshape(len(rows), -1)

    def _batch(self, rows: np.ndarray) -> Batch:
        x = torch.from_numpy(self.spliced(rows))  # (n, (2c+1)*dim)
        hard = torch.from_numpy(self.hard[rows]) if self.hard is not None else None
        soft = torch.from_numpy(self._soft_rows(rows)) if self.has_soft else None
        return Batch(x, hard, soft, len(rows))
