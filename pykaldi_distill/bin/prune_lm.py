"""Prune an ARPA LM by relative entropy, as SRILM's `ngram -prune <threshold>` (Kaldi's WSJ
recipe makes its tgpr LM so with 1e-7): `prune_lm.py --threshold T <in.arpa[.gz]>
<out.arpa[.gz]>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..errors import PkdError
from ..lm import format_ngram_counts, ngram_counts, prune_relative_entropy, read_arpa, write_arpa


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prune_lm", description=__doc__)
    p.add_argument("--threshold", type=float, required=True, help="e.g. 1e-7")
    p.add_argument("arpa_in", type=Path)
    p.add_argument("arpa_out", type=Path, help="gzipped when it ends in .gz")
    return p


def main_args(args: argparse.Namespace) -> None:
    if not args.threshold > 0:
        raise PkdError(f"--threshold must be > 0, got {args.threshold}")
    lm = read_arpa(args.arpa_in)
    pruned = prune_relative_entropy(lm, args.threshold)
    write_arpa(pruned, args.arpa_out)
    log(f"prune_lm: {format_ngram_counts(ngram_counts(lm))} -> "
        f"{format_ngram_counts(ngram_counts(pruned))} n-grams")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
