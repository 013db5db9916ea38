"""Frame-level agreement of hybrid networks with an alignment (Kaldi's frame accuracy, as
nnet-train-frmshuff reports it on cv data): the fraction of frames whose most likely pdf is
the aligned one, and the mean log posterior of the aligned pdf (minus the cross-entropy).
Several networks scored on the same frames against the same labels can be compared with
each other, unlike each one's training log, which counts against its own targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameAccuracy:
    frames: int
    accuracy: float  # fraction of frames whose argmax is the aligned pdf
    mean_log_post: float  # mean log posterior of the aligned pdf
    skipped_utts: int  # utterances without an alignment of their length


def frame_accuracy(log_posts: Iterable[tuple[str, np.ndarray]],
                   alignments: Mapping[str, np.ndarray]) -> FrameAccuracy:
    """(utt, (frames, pdfs) log posteriors) against utt -> (frames,) pdf ids."""
    frames, correct, log_post, skipped = 0, 0, 0.0, 0
    for utt, lp in log_posts:
        pdfs = alignments.get(utt)
        if pdfs is None or len(pdfs) != lp.shape[0]:
            skipped += 1
            continue
        frames += len(pdfs)
        correct += int((lp.argmax(axis=1) == pdfs).sum())
        log_post += float(lp[np.arange(len(pdfs)), pdfs].sum())
    n = max(frames, 1)
    return FrameAccuracy(frames, correct / n, log_post / n, skipped)


def frame_accuracy_markdown(rows: Iterable[tuple[str, FrameAccuracy]], ali_name: str) -> str:
    lines = [f"## Frame accuracy against {ali_name}", "",
             "Fraction of frames whose most likely pdf is the aligned one, and the mean log "
             "posterior of that pdf, every network on the same frames.", "",
             "| network | frames | frame accuracy | mean log posterior |",
             "|---|---:|---:|---:|"]
    for name, acc in rows:
        lines.append(f"| {name} | {acc.frames:,} | {acc.accuracy:.4f} | "
                     f"{acc.mean_log_post:.3f} |")
    return "\n".join(lines) + "\n"
