"""compute-cmvn-stats --spk2utt: per-speaker stats of a data dir's feats.scp:
`compute_cmvn_stats.py <data-dir> <out.ark> <out.scp>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import load_data_dir
from ..errors import InputError
from ..features import speaker_cmvn_stats
from ..formats.io import load_scp, write_matrices


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compute_cmvn_stats", description=__doc__)
    p.add_argument("data_dir", type=Path)
    p.add_argument("ark", type=Path)
    p.add_argument("scp", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.data_dir)
    if not data.feats_scp:
        raise InputError(data.path / "feats.scp", "file does not exist",
                         "make features first (local/make_feats.sh)")
    stats = speaker_cmvn_stats(load_scp(data.path / "feats.scp"), data.spk2utt)
    write_matrices(args.ark, args.scp, sorted(stats.items()), dtype="float64")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
