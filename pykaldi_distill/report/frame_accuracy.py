"""Frame-level agreement of hybrid networks with an alignment (Kaldi's frame accuracy, as
nnet-train-frmshuff reports it on cv data): the fraction of frames whose most likely pdf is
the aligned one, the mean log posterior of the aligned pdf (minus the cross-entropy), how
sharp the posteriors are (mean entropy) and how often the aligned pdf is all but excluded
(posterior below CONFIDENT_MISS), which costs a decoding path far more than a soft miss.
Several networks scored on the same frames against the same labels can be compared with
each other, unlike each one's training log, which counts against its own targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

CONFIDENT_MISS = 1e-3  # an aligned pdf's posterior below this counts as confidently missed


@dataclass(frozen=True)
class FrameAccuracy:
    frames: int
    accuracy: float  # fraction of frames whose argmax is the aligned pdf
    mean_log_post: float  # mean log posterior of the aligned pdf
    skipped_utts: int  # utterances without an alignment of their length
    mean_entropy: float = 0.0  # nats, of each frame's posterior
    confident_misses: float = 0.0  # fraction of frames: aligned pdf's posterior < CONFIDENT_MISS


def frame_accuracy(log_posts: Iterable[tuple[str, np.ndarray]],
                   alignments: Mapping[str, np.ndarray]) -> FrameAccuracy:
    """(utt, (frames, pdfs) log posteriors) against utt -> (frames,) pdf ids."""
    frames, correct, log_post, skipped, entropy, misses = 0, 0, 0.0, 0, 0.0, 0
    for utt, lp in log_posts:
        pdfs = alignments.get(utt)
        if pdfs is None or len(pdfs) != lp.shape[0]:
            skipped += 1
            continue
        frames += len(pdfs)
        correct += int((lp.argmax(axis=1) == pdfs).sum())
        aligned = lp[np.arange(len(pdfs)), pdfs]  # (frames,)
        log_post += float(aligned.sum())
        misses += int((aligned < np.log(CONFIDENT_MISS)).sum())
        entropy += float(-(np.exp(lp) * np.where(np.isfinite(lp), lp, 0.0)).sum())
    n = max(frames, 1)
    return FrameAccuracy(frames, correct / n, log_post / n, skipped, entropy / n, misses / n)


def frame_accuracy_markdown(rows: Iterable[tuple[str, FrameAccuracy]], ali_name: str) -> str:
    lines = [f"## Frame accuracy against {ali_name}", "",
             "Fraction of frames whose most likely pdf is the aligned one, the mean log "
             "posterior of that pdf, the mean entropy of the frames' posteriors (nats) and "
             f"the fraction of frames that give the aligned pdf less than {CONFIDENT_MISS:g}, "
             "every network on the same frames.", "",
             "| network | frames | frame accuracy | mean log posterior | mean entropy | "
             f"aligned pdf < {CONFIDENT_MISS:g} |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, acc in rows:
        lines.append(f"| {name} | {acc.frames:,} | {acc.accuracy:.4f} | "
                     f"{acc.mean_log_post:.3f} | {acc.mean_entropy:.3f} | "
                     f"{acc.confident_misses:.4f} |")
    return "\n".join(lines) + "\n"
