"""Writes bench_torchrun.sh's report from the history.json of each run."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--opts", default="")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("data")
    p.add_argument("runs", nargs="+", help="<procs>x<threads>=<exp-dir>")
    a = p.parse_args()
    rows = []
    for run in a.runs:
        setting, exp = run.split("=", 1)
        epochs = json.loads((Path(exp) / "history.json").read_text())["epochs"][1:]
        fps = sum(e["frames_per_sec"] for e in epochs) / len(epochs)
        seconds = sum(e["seconds"] for e in epochs) / len(epochs)
        rows.append((setting, fps, seconds, epochs[-1]["cv_loss"]))
    base = rows[0][1]
    lines = [
        "# Data-parallel training under torchrun on one machine",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"torch {torch.__version__}; load average at the end {os.getloadavg()[0]:.1f}. "
        f"Run time {a.seconds} s (`bench/bench_torchrun.sh`).",
        "",
        f"`local/{a.script} {a.opts}` on `{a.data}`, {len(epochs)} epoch(s) each. "
        "Processes x threads: `--procs-per-node` x `--num-threads`; 2 x 1 runs under "
        "torchrun (gloo), each minibatch split between the processes and their gradients "
        "summed, so every update is the single process's up to the order of float sums and "
        "the dropout masks (each process draws its own).",
        "",
        "| processes x threads | training frames/s | s per epoch (incl. cv) | cv loss | "
        "speed-up vs 1 x 2 |",
        "|---|---:|---:|---:|---:|",
    ]
    for setting, fps, seconds, cv in rows:
        lines.append(f"| {setting.replace('x', ' x ')} | {fps:,.0f} | {seconds:.1f} | "
                     f"{cv:.4f} | {fps / base:.2f} |")
    a.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
