"""Paired bootstrap confidence intervals for a relative WER change, resampling speakers
(Bisani & Ney, "Bootstrap estimates for confidence intervals in ASR performance
evaluation", ICASSP 2004).

The unit of resampling is the speaker, since errors within one speaker are correlated: a
draw picks as many speakers as there are, with replacement, and uses the SAME draw for
both systems (the pairing), so a difference that every speaker shows is not drowned by
how much the speakers differ from each other. The WER of a draw is the sum of its
speakers' errors over the sum of their reference words (a speaker drawn twice counts
twice); the relative change of a draw is (WER_sys - WER_base) / WER_base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..decoding.score import SpkStats

DRAWS = 2000
SEED = 0


@dataclass(frozen=True)
class SpeakerCounts:
    """Errors and reference words per speaker of one system on one set."""

    speakers: tuple[str, ...]  # sorted
    errors: np.ndarray  # (speakers,) int64: substitutions + insertions + deletions
    words: np.ndarray  # (speakers,) int64: reference words

    @property
    def wer(self) -> float:
        """WER % of all speakers pooled (nan without reference words)."""
        words = int(self.words.sum())
        return 100.0 * int(self.errors.sum()) / words if words else float("nan")

    @classmethod
    def from_stats(cls, stats: Mapping[str, SpkStats]) -> SpeakerCounts:
        speakers = tuple(sorted(stats))
        return cls(speakers, np.array([stats[s].errors for s in speakers], dtype=np.int64),
                   np.array([stats[s].words for s in speakers], dtype=np.int64))


def _check_speakers(a: SpeakerCounts, b: SpeakerCounts, name_a: str, name_b: str) -> None:
    if a.speakers == b.speakers:
        return
    only_a = sorted(set(a.speakers) - set(b.speakers))
    only_b = sorted(set(b.speakers) - set(a.speakers))
    raise ValueError(f"the speakers differ: only in {name_a}: {', '.join(only_a) or '-'}; "
                     f"only in {name_b}: {', '.join(only_b) or '-'}")


def sum_runs(runs: Sequence[SpeakerCounts]) -> SpeakerCounts:
    """The counts of several runs of one system pooled. Runs over the same speakers (seeds)
    are summed per speaker: the WER of all runs' hypotheses pooled, which is the mean of the
    runs' WERs when each run scored the same words, and a bootstrap draw keeps a speaker's
    runs together. Runs over disjoint speakers (the folds of a rotation, each holding other
    speakers out) are joined. Any other mix is a ValueError."""
    if not runs:
        raise ValueError("no runs to sum")
    if all(run.speakers == runs[0].speakers for run in runs[1:]):
        return SpeakerCounts(runs[0].speakers, sum(r.errors for r in runs),
                             sum(r.words for r in runs))
    speakers = [spk for run in runs for spk in run.speakers]
    if len(set(speakers)) < len(speakers):  # overlapping but not equal: name the difference
        for n, run in enumerate(runs[1:], 2):
            _check_speakers(runs[0], run, "run 1", f"run {n}")
    order = np.argsort(speakers, kind="stable")
    return SpeakerCounts(tuple(speakers[i] for i in order),
                         np.concatenate([r.errors for r in runs])[order],
                         np.concatenate([r.words for r in runs])[order])


@dataclass(frozen=True)
class PairedBootstrap:
    """The relative WER change of a system vs a baseline on the same speakers. Changes are
    fractions (-0.05 = 5 % fewer errors); nan when the baseline has no errors."""

    base_wer: float  # WER % of the baseline, speakers pooled
    sys_wer: float  # WER % of the system, speakers pooled
    rel: float  # (sys_wer - base_wer) / base_wer
    low: float  # 2.5 percentile of the draws' relative changes
    high: float  # 97.5 percentile
    p_better: float  # fraction of draws in which the system's WER is below the baseline's
    draws: int
    speakers: int

    @property
    def real(self) -> bool:
        """Does the 95 % interval exclude 0 (a difference, not noise)?"""
        return bool(self.high < 0 or self.low > 0)


def _rel(errors: np.ndarray, words: np.ndarray, base_errors: np.ndarray,
         base_words: np.ndarray) -> np.ndarray:
    """Relative changes of counts summed over the last axis; nan where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sys_wer, base_wer = errors / words, base_errors / base_words
        return np.where(base_wer > 0, sys_wer / base_wer - 1.0, np.nan)


def paired_bootstrap(system: SpeakerCounts, baseline: SpeakerCounts, draws: int = DRAWS,
                     seed: int = SEED) -> PairedBootstrap:
    """Relative change of `system` vs `baseline` with its 95 % paired bootstrap interval over
    speakers. `np.random.default_rng(seed)` draws a (draws, speakers) matrix of how often each
    speaker is picked; both systems use that one matrix, and the same seed gives the same
    matrix for every pair with that many speakers. Draws in which the baseline makes no error
    are left out of the interval. ValueError when the speakers differ or there are fewer than
    two (one speaker cannot be resampled)."""
    _check_speakers(system, baseline, "the system", "the baseline")
    n = len(system.speakers)
    if n < 2:
        raise ValueError(f"a bootstrap over speakers needs at least two, got {n}")
    picks = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=draws)
    # (draws, speakers) int64 -> (draws,) int64 summed counts per draw, for each system
    errors, words = picks @ system.errors, picks @ system.words
    base_errors, base_words = picks @ baseline.errors, picks @ baseline.words
    rel = _rel(errors, words, base_errors, base_words)  # (draws,) float64
    finite = rel[np.isfinite(rel)]
    low, high = np.percentile(finite, [2.5, 97.5]) if finite.size else (np.nan, np.nan)
    point = _rel(system.errors.sum(), system.words.sum(), baseline.errors.sum(),
                 baseline.words.sum())
    better = errors * base_words < base_errors * words  # (draws,) WER_sys < WER_base, exactly
    return PairedBootstrap(baseline.wer, system.wer, float(point), float(low), float(high),
                           float(better.mean()), draws, n)
