"""Write a recipe's RESULTS.md from its decode dirs:
`make_results.py [--title T] [--baseline NAME] <out.md> "name=exp/x/decode_test" ...`;
several runs of one system (seeds): "name=exp/s1/decode_test,exp/s1/decode_dev;exp/s2/..."."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cli import run
from ..errors import InputError, PkdError, require_file
from ..io import write_text_atomic
from ..results import (
    collect_runs,
    results_markdown,
    soft_target_markdown,
    soft_target_size,
)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_results", description=__doc__)
    p.add_argument("--title", default="results")
    p.add_argument("--baseline", default=None, help="system name for the relative change")
    p.add_argument("--corpus-info", type=Path, default=None,
                   help="corpus.json of a synthetic corpus: adds a corpus section")
    p.add_argument("--soft-targets", type=Path, default=None,
                   help="a make_soft_targets.sh dir: adds its disk size per frame")
    p.add_argument("--topk", type=int, default=None, help="the k of its top-k Posteriors")
    p.add_argument("out", type=Path)
    p.add_argument("systems", nargs="+",
                   help="name=test-decode-dir[,dev-decode-dir][;test2[,dev2]...]: with a dev "
                   "decode dir the test WER is read at the setting that was best on dev; "
                   "several ';'-separated runs (seeds) give mean ± std")
    return p


def main_args(args: argparse.Namespace) -> None:
    results = []
    for spec in args.systems:
        if "=" not in spec:
            raise PkdError(f"system '{spec}' must be given as name=decode-dir")
        name, paths = spec.rsplit("=", 1)  # names may hold '=' (T=2); paths do not
        runs = []
        for run_spec in paths.split(";"):
            test, _, dev = run_spec.partition(",")
            runs.append((Path(test), Path(dev) if dev else None))
        results.append(collect_runs(name, runs))
    corpus = None
    if args.corpus_info is not None:
        path = require_file(args.corpus_info, "pass the corpus.json the corpus step wrote")
        try:
            corpus = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise InputError(path, f"not JSON ({e})", "re-run the corpus stage") from e
    extra = ""
    if args.soft_targets is not None:
        extra = soft_target_markdown(soft_target_size(args.soft_targets), args.topk)
    write_text_atomic(args.out, results_markdown(args.title, results, args.baseline, corpus,
                                                 extra))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
