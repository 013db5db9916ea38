"""`held_out_utts.py <exp-dir> [<exp-dir> ...]` prints, one per line, the utterances of the
first network's training data dir that none of the networks trained on (each one's cv part,
and utterances it had no targets for), recomputed from their config.json: a set on which
networks trained on the same voices can be compared without favouring any of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..errors import PkdError
from ..nnet.options import held_out_by_all, load_resolved_config


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="held_out_utts", description=__doc__)
    p.add_argument("exp_dirs", type=Path, nargs="+", help="trained networks' exp dirs")
    return p


def main_args(args: argparse.Namespace) -> None:
    utts = held_out_by_all([load_resolved_config(d) for d in args.exp_dirs])
    if not utts:
        raise PkdError("every utterance was trained on by one of "
                       f"{' '.join(map(str, args.exp_dirs))}; train them with a cv fraction")
    print("\n".join(utts))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
