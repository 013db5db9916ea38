"""Figures a recipe writes next to its results (PNG through matplotlib's Agg backend):
WER against LM weight per insertion penalty; training curves (loss and frame accuracy per
epoch, from history.json); a teacher's posteriors of one utterance against the GMM alignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ..formats.io import atomic_path  # noqa: E402


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


def _series(epochs: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """One per-epoch value as floats, NaN where missing/None (train stats of epoch 0)."""
    return np.array([np.nan if e.get(key) is None else float(e[key]) for e in epochs])


def _sparse_log_label(value: float, _pos: int) -> str:
    """Minor tick labels of a log axis: plain numbers at 2x and 5x a power of ten only."""
    if value <= 0:
        return ""
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if round(mantissa) in (2, 5) else ""


def plot_learning_curves(histories: Mapping[str, Sequence[Mapping[str, Any]]],
                         path: str | Path, title: str = "") -> None:
    """histories: {model name: history.json "epochs" entries} -> two panels (loss, frame
    accuracy) over epochs; per model train solid, cv dashed (and cv accuracy against the
    hard targets dotted where it is recorded and differs from cv_acc, i.e. soft-target
    students), rejected (newbob) epochs crossed, the best (last accepted) epoch starred."""
    if not histories:
        raise ValueError("no training histories to plot")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    any_rejected = False
    for i, (name, epochs) in enumerate(histories.items()):
        if not epochs:
            raise ValueError(f"history of '{name}' has no epochs")
        color = colors[i % len(colors)]
        x = np.array([int(e["epoch"]) for e in epochs])
        accepted = np.array([bool(e.get("accepted", True)) for e in epochs])
        best = int(np.flatnonzero(accepted)[-1]) if accepted.any() else None
        for ax, key, scale in ((ax_loss, "loss", 1.0), (ax_acc, "acc", 100.0)):
            train = _series(epochs, f"train_{key}") * scale
            cv = _series(epochs, f"cv_{key}") * scale
            ax.plot(x, train, color=color, ls="-", marker=".", label=f"{name} train")
            ax.plot(x, cv, color=color, ls="--", marker=".", label=f"{name} cv")
            if key == "acc":
                hard = _series(epochs, "cv_hard_acc") * scale
                if np.isfinite(hard).any() and not np.allclose(hard, cv, equal_nan=True):
                    ax.plot(x, hard, color=color, ls=":", label=f"{name} cv (hard targets)")
            if (~accepted).any():
                any_rejected = True
                ax.scatter(x[~accepted], cv[~accepted], marker="x", s=60, color="red",
                           zorder=3)
            if best is not None:
                ax.scatter([x[best]], [cv[best]], marker="*", s=140, color=color,
                           edgecolors="k", zorder=4)
    for ax in (ax_loss, ax_acc):
        if any_rejected:  # one legend entry for the red crosses of all models
            ax.scatter([], [], marker="x", color="red", label="rejected epoch (newbob)")
        ax.scatter([], [], marker="*", s=140, color="w", edgecolors="k",
                   label="best epoch (cv)")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_loss.set_ylabel("loss (CE or KL)")
    ax_loss.set_yscale("log")  # epoch 0 (untrained) sits far above the rest
    ax_loss.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax_loss.yaxis.set_minor_formatter(FuncFormatter(_sparse_log_label))
    ax_loss.set_title("loss per epoch")
    ax_acc.set_ylabel("frame accuracy %")
    ax_acc.set_title("frame accuracy per epoch")
    ax_acc.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def _select_pdfs(posteriors: np.ndarray, alignment_pdfs: np.ndarray, max_pdfs: int) -> np.ndarray:
    """The pdfs worth a row: aligned ones (most frames first), then those with the most
    posterior mass, at most max_pdfs; ordered by when they first matter (aligned: first
    aligned frame; others: frame of their peak) so the alignment reads as a staircase."""
    aligned, counts = np.unique(alignment_pdfs, return_counts=True)
    chosen = list(aligned[np.argsort(-counts, kind="stable")][:max_pdfs])
    taken = set(chosen)
    for pdf in np.argsort(-posteriors.sum(axis=0), kind="stable"):
        if len(chosen) >= max_pdfs:
            break
        if int(pdf) not in taken:
            chosen.append(int(pdf))
            taken.add(int(pdf))

    def first_frame(pdf: int) -> tuple[int, int]:
        hits = np.flatnonzero(alignment_pdfs == pdf)
        return (int(hits[0]) if hits.size else int(np.argmax(posteriors[:, pdf])), pdf)

    return np.array(sorted(chosen, key=first_frame), dtype=np.int64)


def plot_posteriors_vs_alignment(posteriors: np.ndarray, alignment_pdfs: np.ndarray,
                                 path: str | Path, title: str = "", max_pdfs: int = 40) -> None:
    """posteriors (frames, pdfs) of one utterance and its alignment (frames,) as pdf ids ->
    upper panel: the posteriors of the pdfs that matter (aligned + top mass, <= max_pdfs rows,
    log colour scale) with the aligned pdf per frame overlaid; lower panel: the posterior of
    the aligned pdf and the frame's max posterior."""
    post = np.asarray(posteriors, dtype=np.float64)
    ali = np.asarray(alignment_pdfs, dtype=np.int64)
    if post.ndim != 2 or post.shape[0] == 0 or post.shape[1] == 0:
        raise ValueError(f"posteriors must be a non-empty (frames, pdfs) matrix, got {post.shape}")
    if ali.shape != (post.shape[0],):
        raise ValueError(f"alignment has shape {ali.shape} but the posteriors have "
                         f"{post.shape[0]} frames")
    if ali.min() < 0 or ali.max() >= post.shape[1]:
        raise ValueError(f"alignment pdf ids must lie in 0..{post.shape[1] - 1}")
    if max_pdfs < 1:
        raise ValueError("max_pdfs must be at least 1")
    frames = np.arange(post.shape[0])
    rows = _select_pdfs(post, ali, max_pdfs)
    row_of = {int(pdf): r for r, pdf in enumerate(rows)}
    aligned_set = set(ali.tolist())

    fig = plt.figure(figsize=(11, 7))
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 1], width_ratios=[60, 1], hspace=0.08,
                            wspace=0.02)
    ax_img = fig.add_subplot(grid[0, 0])
    ax_line = fig.add_subplot(grid[1, 0], sharex=ax_img)
    cax = fig.add_subplot(grid[0, 1])
    shown = np.clip(post[:, rows].T, 1e-4, 1.0)
    im = ax_img.imshow(shown, aspect="auto", origin="lower", interpolation="nearest",
                       cmap="viridis", norm=LogNorm(vmin=1e-4, vmax=1.0),
                       extent=(-0.5, post.shape[0] - 0.5, -0.5, len(rows) - 0.5))
    fig.colorbar(im, cax=cax, label="posterior (log scale)")
    ali_rows = np.array([row_of.get(int(p), np.nan) for p in ali], dtype=np.float64)
    ax_img.step(frames, ali_rows, where="mid", color="red", lw=1.0, alpha=0.8)
    ax_img.scatter(frames, ali_rows, s=8, color="red", label="GMM alignment")
    ax_img.set_yticks(np.arange(len(rows)))
    ax_img.set_yticklabels([str(p) for p in rows], fontsize=max(4, min(8, 300 // len(rows))))
    for label, pdf in zip(ax_img.get_yticklabels(), rows, strict=True):
        if int(pdf) not in aligned_set:
            label.set_color("grey")  # shown for its posterior mass only
    ax_img.set_ylabel("pdf id (grey: not in the alignment)")
    ax_img.legend(loc="upper left", fontsize=8, framealpha=0.8)
    ax_img.tick_params(labelbottom=False)
    ax_img.set_title(title or f"posteriors of {post.shape[0]} frames over "
                     f"{post.shape[1]} pdfs ({len(rows)} shown)")

    p_aligned = post[frames, ali]
    agree = float(np.mean(post.argmax(axis=1) == ali)) * 100
    ax_line.plot(frames, p_aligned, color="red", lw=3, alpha=0.5,
                 label="posterior of the aligned pdf")
    ax_line.plot(frames, post.max(axis=1), color="k", ls="--", lw=1.0,
                 label=f"max posterior (argmax = aligned pdf on {agree:.0f}% of frames)")
    ax_line.set_ylim(-0.02, 1.05)
    ax_line.set_xlim(-0.5, post.shape[0] - 0.5)
    ax_line.set_xlabel("frame")
    ax_line.set_ylabel("posterior")
    ax_line.grid(alpha=0.3)
    ax_line.legend(fontsize=7, loc="lower left", framealpha=0.8)
    fig.subplots_adjust(left=0.08, right=0.93, top=0.94, bottom=0.08)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
