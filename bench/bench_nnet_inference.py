"""Benchmark: inference cost of the teacher BLSTM vs the student DNN (the paper's point is
that the student needs a fraction of the teacher's compute). Writes bench/out/nnet_inference.md.

    PYTHONPATH=. .venv/bin/python bench/bench_nnet_inference.py [--frames 3000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from pykaldi_distill.nnet.checkpoint import build_model
from pykaldi_distill.nnet.infer import log_posteriors
from pykaldi_distill.nnet.student import count_params, mflops_per_frame

SYSTEMS = {
    "teacher BLSTM 2x192 (digits recipe)": ("blstm", dict(num_layers=2, hidden=192, dnn_dim=256)),
    "teacher BLSTM 3x256 (default)": ("blstm", dict(num_layers=3, hidden=256)),
    "student DNN 3x256, ±5 frames (digits recipe)": ("dnn", dict(num_layers=3, hidden=256)),
    "student DNN 4x512, ±5 frames (default)": ("dnn", dict(num_layers=4, hidden=512)),
}


def frames_per_second(model: torch.nn.Module, feats: np.ndarray, repeats: int) -> float:
    log_posteriors(model, feats)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        log_posteriors(model, feats)
    return repeats * feats.shape[0] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/out/nnet_inference.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    feats = np.random.default_rng(0).normal(size=(args.frames, 40)).astype(np.float32)
    lines = ["# Neural model inference cost (1 thread, CPU)", "",
             f"{args.frames} frames of 40-dim fbank, {args.pdfs} pdfs, {args.repeats} repeats.", "",
             "| model | params | MFLOPs/frame | frames/s | real-time factor |",
             "|---|---:|---:|---:|---:|"]
    for name, (kind, opts) in SYSTEMS.items():
        model = build_model(kind, {"input_dim": 40, "num_pdfs": args.pdfs, **opts})
        fps = frames_per_second(model, feats, args.repeats)
        lines.append(f"| {name} | {count_params(model):,} | {mflops_per_frame(model):.2f} | "
                     f"{fps:,.0f} | {100 / fps:.4f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
