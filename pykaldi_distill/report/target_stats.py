"""How soft are a teacher's soft targets, and how far are they from an alignment.

A student on soft targets can only learn more than one on hard labels where the teacher's
posteriors on the *training* frames put mass beyond their argmax (Hinton et al. 2015's "dark
knowledge"). A teacher that has fit its training data gives nearly one-hot targets there,
whatever it does on unseen voices; these numbers show which case a run is in:

- top-1 mass: the mean largest posterior of a frame;
- entropy: nats per frame;
- support: how many pdfs hold 90 % of a frame's mass;
- agreement: frames whose argmax is the alignment's pdf (teacher vs GMM labels), and the
  mean posterior the teacher gives the aligned pdf.

Targets are taken as training sees them: optionally cut to the top k per frame, renormalised,
then softened by each temperature (`distill.temperature_soften`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..nnet.distill import temperature_soften, topk

SUPPORT_MASS = 0.9


@dataclass(frozen=True)
class SoftTargetStats:
    temperature: float
    frames: int
    top1: float  # mean largest posterior per frame
    entropy: float  # mean nats per frame
    support: float  # mean number of pdfs holding SUPPORT_MASS of a frame
    agreement: float | None  # fraction of frames whose argmax is the aligned pdf
    aligned_mass: float | None  # mean posterior of the aligned pdf


@dataclass
class _Sums:
    frames: int = 0
    top1: float = 0.0
    entropy: float = 0.0
    support: float = 0.0
    aligned_frames: int = 0
    agree: float = 0.0
    aligned_mass: float = 0.0


def keep_topk(post: np.ndarray, k: int | None) -> np.ndarray:
    """(frames, pdfs) -> the same with all but each row's k largest set to 0, renormalised."""
    p = np.asarray(post, dtype=np.float64)  # (frames, pdfs)
    if k is not None and k < p.shape[1]:
        return topk(p, k).dense(p.shape[1]).astype(np.float64)
    return p / p.sum(axis=1, keepdims=True)


def frame_entropy(p: np.ndarray) -> np.ndarray:
    """(frames, pdfs) rows summing to 1 -> (frames,) entropy in nats."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)


def frame_support(p: np.ndarray, mass: float = SUPPORT_MASS) -> np.ndarray:
    """(frames, pdfs) -> (frames,) the fewest pdfs whose posteriors sum to >= mass."""
    cum = np.cumsum(-np.sort(-p, axis=1), axis=1)  # (frames, pdfs), descending mass
    return (cum < mass - 1e-6).sum(axis=1) + 1  # float32 targets: 0.9 is 0.89999998


def _add(s: _Sums, p: np.ndarray, pdfs: np.ndarray | None) -> None:
    s.frames += p.shape[0]
    s.top1 += float(p.max(axis=1).sum())
    s.entropy += float(frame_entropy(p).sum())
    s.support += float(frame_support(p).sum())
    if pdfs is not None:
        rows = np.arange(p.shape[0])
        s.aligned_frames += p.shape[0]
        s.agree += float((p.argmax(axis=1) == pdfs).sum())
        s.aligned_mass += float(p[rows, pdfs].sum())


def soft_target_stats(targets: Iterable[tuple[str, np.ndarray]], temperatures: Sequence[float],
                      alignments: Mapping[str, np.ndarray] | None = None,
                      topk: int | None = None) -> list[SoftTargetStats]:
    """Statistics of (utt, (frames, pdfs) posteriors) per temperature.

    alignments: utt -> (frames,) pdf ids; utterances without one (or of another length) only
    count towards the alignment-free statistics.
    """
    sums = {t: _Sums() for t in temperatures}
    for utt, post in targets:
        base = keep_topk(post, topk)  # (frames, pdfs)
        pdfs = None if alignments is None else alignments.get(utt)
        if pdfs is not None and len(pdfs) != base.shape[0]:
            pdfs = None
        for t in temperatures:
            p = base if t == 1.0 else temperature_soften(base, t).astype(np.float64)
            _add(sums[t], p, pdfs)
    return [_finish(t, s) for t, s in sums.items()]


def _finish(t: float, s: _Sums) -> SoftTargetStats:
    n = max(s.frames, 1)
    aligned = s.aligned_frames > 0
    return SoftTargetStats(
        temperature=t, frames=s.frames, top1=s.top1 / n, entropy=s.entropy / n,
        support=s.support / n,
        agreement=s.agree / s.aligned_frames if aligned else None,
        aligned_mass=s.aligned_mass / s.aligned_frames if aligned else None)


def soft_target_stats_markdown(stats: Sequence[SoftTargetStats], topk: int | None = None,
                               alignment_name: str | None = None) -> str:
    cut = f"top-{topk}, renormalised, " if topk else ""
    lines = ["## How soft the soft targets are", "",
             f"Teacher posteriors on the training frames ({cut}softened by T as in training).",
             f"Support: pdfs holding {SUPPORT_MASS:.0%} of a frame's mass."]
    with_ali = any(s.agreement is not None for s in stats)
    header = "| T | frames | top-1 mass | entropy (nats) | support |"
    rule = "|---:|---:|---:|---:|---:|"
    if with_ali:
        who = alignment_name or "the alignment"
        lines.append(f"Agreement: frames whose argmax is {who}'s pdf; aligned mass: the "
                     "mean posterior of that pdf.")
        header += " agreement | aligned mass |"
        rule += "---:|---:|"
    lines += ["", header, rule]
    for s in stats:
        row = (f"| {s.temperature:g} | {s.frames:,} | {s.top1:.3f} | {s.entropy:.3f} | "
               f"{s.support:.2f} |")
        if with_ali:
            row += f" {_pct(s.agreement)} | {_opt(s.aligned_mass)} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f} %"


def _opt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"
