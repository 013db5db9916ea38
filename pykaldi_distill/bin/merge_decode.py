"""Merge the per-job outputs of decode.py: `merge_decode.py <decode-dir> <nj>` turns
<decode-dir>/tmp.JOB/<lmwt>.txt into scoring_kaldi/penalty_0.0/<lmwt>.txt and sums rtf.json."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..cli import run
from ..errors import InputError, require_file
from ..io import read_table, write_table, write_text_atomic


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="merge_decode", description=__doc__)
    p.add_argument("--keep-tmp", action="store_true")
    p.add_argument("decode_dir", type=Path)
    p.add_argument("nj", type=int)
    return p


def main_args(args: argparse.Namespace) -> None:
    jobs = [args.decode_dir / f"tmp.{j}" for j in range(1, args.nj + 1)]
    names = sorted(p.name for p in jobs[0].glob("*.txt")) if jobs[0].is_dir() else []
    if not names:
        raise InputError(jobs[0], "no hypotheses from decode job 1", "see log/decode.1.log")
    totals = {"frames": 0, "decode_seconds": 0.0, "audio_seconds": 0.0, "failed": 0}
    for name in names:
        merged: dict[str, str] = {}
        for job in jobs:
            merged.update(read_table(require_file(job / name, "a decode job failed; see log/")))
        write_table(args.decode_dir / "scoring_kaldi" / "penalty_0.0" / name, merged)
    for job in jobs:
        stats = json.loads(require_file(job / "rtf.json").read_text())
        for key in totals:
            totals[key] += stats[key]
    totals["rtf"] = totals["decode_seconds"] / max(totals["audio_seconds"], 1e-9)
    write_text_atomic(args.decode_dir / "rtf.json", json.dumps(totals, indent=1) + "\n")
    if not args.keep_tmp:
        for job in jobs:
            shutil.rmtree(job)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
