"""Check a Kaldi data dir like utils/validate_data_dir.sh:
`validate_data_dir.py [--no-text] [--no-feats] <data-dir>`; exit 1 naming the bad file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..data import load_data_dir
from ..errors import InputError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="validate_data_dir", description=__doc__)
    p.add_argument("--no-text", action="store_true", help="text is optional")
    p.add_argument("--no-feats", action="store_true", help="feats.scp is optional")
    p.add_argument("data_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.data_dir, need_text=not args.no_text)
    if not args.no_feats and not data.feats_scp:
        raise InputError(data.path / "feats.scp", "file does not exist",
                         "make features first, or pass --no-feats")
    log(f"{data.path}: {len(data.utts)} utterances, {len(data.spk2utt)} speakers: ok")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
