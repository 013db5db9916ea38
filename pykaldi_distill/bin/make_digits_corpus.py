"""Make the synthetic connected-digits corpus offline (espeak-ng, flite and festival voices
plus light sox perturbation): `make_digits_corpus.py [--size tiny|small|demo] [--seed N]
[--nj N] <out-dir>` writes <out-dir>/wav/, <out-dir>/data/{train,test} and
<out-dir>/corpus.json. Does nothing when a complete corpus of the same size and seed exists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, positive_int, run
from ..corpus.common import audio_seconds
from ..corpus.digits import PUBLIC_SIZES, find_complete_corpus, make_digits_corpus


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_digits_corpus", description=__doc__)
    p.add_argument("--size", choices=PUBLIC_SIZES, default="tiny",
                   help="tiny: ~4 min of training audio (CI), small: ~15 min, demo: ~55 min")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nj", type=positive_int, default=2, help="parallel synthesis jobs")
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if find_complete_corpus(args.out_dir, args.size, args.seed) is not None:
        log(f"make_digits_corpus: {args.out_dir} already holds the {args.size} corpus of "
            f"seed {args.seed}; nothing to do")
    dirs = make_digits_corpus(args.out_dir, args.size, args.seed, args.nj)
    for data in dirs.values():
        log(f"make_digits_corpus: {data.path}: {len(data.utts)} utterances, "
            f"{len(data.spk2utt)} speakers, {audio_seconds(data) / 60:.1f} min of audio")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
