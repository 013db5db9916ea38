"""utils/split_data.sh: `split_data.py [--per-utt] <data-dir> <num-splits>` writes
<data-dir>/split<N>/{1..N}, by speaker when there are enough speakers; with --per-utt,
<data-dir>/split<N>utt/{1..N}, utterances dealt out in turn (balanced decoding jobs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import load_data_dir, split_data


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="split_data", description=__doc__)
    p.add_argument("--per-utt", action="store_true",
                   help="split by utterance, not speaker (split<N>utt)")
    p.add_argument("data_dir", type=Path)
    p.add_argument("num_splits", type=int)
    return p


def main_args(args: argparse.Namespace) -> None:
    split_data(load_data_dir(args.data_dir), args.num_splits, per_utt=args.per_utt)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
