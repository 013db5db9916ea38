"""utils/subset_data_dir.sh --utt-list: `subset_data_dir.py --utt-list <file> <src> <dest>`
writes the part of a data dir holding the listed utterances (features and the cmvn.scp
entries of their speakers included), e.g. to decode a network's held-out utterances."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import load_data_dir, subset, validate, write_data_dir
from ..errors import InputError, require_file
from ..expdir import copy_feature_config


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="subset_data_dir", description=__doc__)
    p.add_argument("--utt-list", type=Path, required=True,
                   help="utterance ids, the first field of each line")
    p.add_argument("src", type=Path)
    p.add_argument("dest", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.src)
    listed = require_file(args.utt_list)
    utts = [line.split()[0] for line in listed.read_text().splitlines() if line.strip()]
    if not utts:
        raise InputError(listed, "lists no utterances")
    missing = [u for u in utts if u not in data.utt2spk]
    if missing:
        raise InputError(listed, f"{len(missing)} utterances are not in {args.src} (first: "
                         f"'{missing[0]}')", "list utterances of the source data dir")
    part = subset(data, utts, args.dest)
    validate(part)
    write_data_dir(part, args.dest)
    copy_feature_config(args.src, args.dest)  # models check the features' kind


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
