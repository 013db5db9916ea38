"""Write a recipe's RESULTS.md from its decode dirs:
`make_results.py [--title T] [--baseline NAME] <out.md> "name=exp/x/decode_test" ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..errors import PkdError
from ..io import write_text_atomic
from ..results import collect, results_markdown


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_results", description=__doc__)
    p.add_argument("--title", default="results")
    p.add_argument("--baseline", default=None, help="system name for the relative change")
    p.add_argument("out", type=Path)
    p.add_argument("systems", nargs="+",
                   help="name=test-decode-dir[,dev-decode-dir]: with a dev decode dir the test "
                   "WER is read at the setting that was best on dev")
    return p


def main_args(args: argparse.Namespace) -> None:
    results = []
    for spec in args.systems:
        if "=" not in spec:
            raise PkdError(f"system '{spec}' must be given as name=decode-dir")
        name, paths = spec.split("=", 1)
        test, _, dev = paths.partition(",")
        results.append(collect(name, Path(test), Path(dev) if dev else None))
    write_text_atomic(args.out, results_markdown(args.title, results, args.baseline))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
