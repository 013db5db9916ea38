"""Figures a recipe writes next to its results (PNG through matplotlib's Agg backend):
WER against LM weight per insertion penalty."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402

from .io import atomic_path  # noqa: E402


def plot_wer_vs_lmwt(wers: Mapping[tuple[float, float], float], path: str | Path,
                     title: str = "") -> None:
    """wers: {(lmwt, wip): WER %} -> a line per WIP over LMWT, the best setting marked."""
    if not wers:
        raise ValueError("no WERs to plot")
    fig, ax = plt.subplots(figsize=(6, 4))
    for wip in sorted({w for _, w in wers}):
        lmwts = sorted(lm for lm, w in wers if w == wip)
        ax.plot(lmwts, [wers[(lm, wip)] for lm in lmwts], marker="o", label=f"WIP {wip:g}")
    (best_lm, best_wip), best = min(wers.items(), key=lambda kv: (kv[1], kv[0][1], kv[0][0]))
    ax.scatter([best_lm], [best], s=120, facecolors="none", edgecolors="k",
               label=f"best {best:.2f} (LMWT {best_lm:g}, WIP {best_wip:g})")
    ax.set_xlabel("LM weight")
    ax.set_ylabel("WER %")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
