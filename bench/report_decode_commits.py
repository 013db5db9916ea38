"""Writes the report of bench_decode_commits.sh from its decode dirs
<work>/<model>/{before,after}.<round>/{rtf.json,scoring_kaldi/best_wer}."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path

import torch


def git_head(checkout: str) -> str:
    out = subprocess.run(["git", "-C", checkout, "log", "-1", "--format=%h %s"],
                         capture_output=True, text=True, check=False).stdout.strip()
    return out[:90] or "(not a git checkout)"


def best_round(model_dir: Path, side: str) -> tuple[dict, str, list[float]]:
    rounds = sorted(model_dir.glob(f"{side}.*"))
    rtfs = [json.loads((d / "rtf.json").read_text()) for d in rounds]
    best = min(range(len(rtfs)), key=lambda i: rtfs[i]["rtf_cpu"])
    wer = (rounds[best] / "scoring_kaldi" / "best_wer").read_text().split()[1]
    return rtfs[best], wer, [r["rtf_cpu"] for r in rtfs]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, required=True)
    p.add_argument("--nj", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("graph")
    p.add_argument("data")
    p.add_argument("work", type=Path)
    p.add_argument("models", nargs="+")
    a = p.parse_args()
    lines = [
        "# Decoding before and after the lattice-path redesign",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"torch {torch.__version__}; load average at the end "
        f"{os.getloadavg()[0]:.1f}. Run time {a.seconds} s "
        "(`bench/bench_decode_commits.sh`).",
        "",
        f"- before: `{a.before}` at {git_head(a.before)}",
        f"- after: `{a.after}` at {git_head(a.after)}",
        "",
        f"`local/decode.sh --nj {a.nj} --lattices true` (lattice search, determinisation, "
        f"the LMWT x WIP sweep and the oracle, as the recipes decode networks) on "
        f"`{a.data}` with `{a.graph}`. CPU RTF = CPU seconds of the decode jobs / audio "
        "seconds (best round; every round listed); wall RTF of the same round.",
        "",
        "| model | checkout | CPU RTF | wall RTF | rounds (CPU RTF) | WER | change in CPU RTF |",
        "|---|---|---:|---:|---|---|---:|",
    ]
    for model in a.models:
        name = Path(model).name
        rows = {side: best_round(a.work / name, side) for side in ("before", "after")}
        base = rows["before"][0]["rtf_cpu"]
        for side, (rtf, wer, all_rounds) in rows.items():
            change = "" if side == "before" else f"{100 * (rtf['rtf_cpu'] / base - 1):+.1f} %"
            lines.append(f"| {name} | {side} | {rtf['rtf_cpu']:.4f} | {rtf['rtf']:.4f} | "
                         f"{', '.join(f'{r:.4f}' for r in all_rounds)} | {wer} | {change} |")
    a.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
