"""compute-fbank-feats / compute-mfcc-feats for a data dir:
`compute_feats.py --kind fbank --config conf/fbank.conf <data-dir> <out.ark> <out.scp>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import load_data_dir
from ..features import compute_data_features, read_conf
from ..formats.io import write_matrices


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compute_feats", description=__doc__)
    p.add_argument("--kind", choices=["fbank", "mfcc"], required=True)
    p.add_argument("--config", type=Path, required=True, help="Kaldi-style option file")
    p.add_argument("data_dir", type=Path)
    p.add_argument("ark", type=Path)
    p.add_argument("scp", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    config = read_conf(args.config, args.kind)
    data = load_data_dir(args.data_dir)
    write_matrices(args.ark, args.scp, compute_data_features(data, config))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
