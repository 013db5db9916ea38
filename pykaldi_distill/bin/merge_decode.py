"""Merge the per-job outputs of decode.py: `merge_decode.py <decode-dir> <nj>` turns
<decode-dir>/tmp.JOB/penalty_<wip>/<lmwt>.txt into scoring_kaldi/penalty_<wip>/<lmwt>.txt,
tmp.JOB/oracle.txt into scoring_kaldi/oracle.txt, tmp.JOB/lat.gz into lat.JOB.gz,
tmp.JOB/trans.ark (fMLLR) into trans.JOB, tmp.JOB/words.ctm (Vosk's word times) into
words.ctm, and sums the jobs' rtf.json."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..cli import run
from ..errors import InputError, require_file
from ..formats.io import read_table, write_table, write_text_atomic


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="merge_decode", description=__doc__)
    p.add_argument("--keep-tmp", action="store_true")
    p.add_argument("decode_dir", type=Path)
    p.add_argument("nj", type=int)
    return p


def merge_tables(jobs: list[Path], name: str, out: Path) -> None:
    merged: dict[str, str] = {}
    for job in jobs:
        merged.update(read_table(require_file(job / name, "a decode job failed; see log/")))
    write_table(out, merged)


def main_args(args: argparse.Namespace) -> None:
    out = args.decode_dir
    jobs = [out / f"tmp.{j}" for j in range(1, args.nj + 1)]
    names = sorted(str(p.relative_to(jobs[0])) for p in jobs[0].glob("penalty_*/*.txt"))
    if not names:
        raise InputError(jobs[0], "no hypotheses from decode job 1", "see log/decode.1.log")
    for name in names:
        merge_tables(jobs, name, out / "scoring_kaldi" / name)
    if (jobs[0] / "oracle.txt").is_file():
        merge_tables(jobs, "oracle.txt", out / "scoring_kaldi" / "oracle.txt")
    if (jobs[0] / "words.ctm").is_file():  # a recogniser's word times
        write_text_atomic(out / "words.ctm", "".join(
            require_file(job / "words.ctm", "a decode job failed; see log/").read_text()
            for job in jobs))
    for n, job in enumerate(jobs, 1):
        if (job / "lat.gz").is_file():
            shutil.move(job / "lat.gz", out / f"lat.{n}.gz")
        if (job / "trans.ark").is_file():
            shutil.move(job / "trans.ark", out / f"trans.{n}")
    totals = {"frames": 0, "decode_seconds": 0.0, "cpu_seconds": 0.0, "audio_seconds": 0.0,
              "failed": 0}
    job_stats = [json.loads(require_file(job / "rtf.json").read_text()) for job in jobs]
    if not all("cpu_seconds" in stats for stats in job_stats):  # jobs of an older decode.py
        del totals["cpu_seconds"]
    for key in set(job_stats[0]) - set(totals) - {"rtf", "rtf_cpu"}:  # a recogniser's own sums
        if all(key in stats for stats in job_stats):
            totals[key] = 0
    for stats in job_stats:
        for key in totals:
            totals[key] += stats[key]
    audio = max(totals["audio_seconds"], 1e-9)
    totals["rtf"] = totals["decode_seconds"] / audio
    if "cpu_seconds" in totals:
        totals["rtf_cpu"] = totals["cpu_seconds"] / audio
    write_text_atomic(out / "rtf.json", json.dumps(totals, indent=1) + "\n")
    if not args.keep_tmp:
        for job in jobs:
            shutil.rmtree(job)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
