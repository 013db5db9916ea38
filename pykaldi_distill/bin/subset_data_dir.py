"""utils/subset_data_dir.sh: `subset_data_dir.py (--utt-list <file> | --num-utts N) <src>
<dest>` writes the part of a data dir holding the listed utterances, or N utterances evenly
spaced over the sorted list as Kaldi's subset_scp.pl picks them (features and the cmvn.scp
entries of their speakers included), e.g. to decode a network's held-out utterances or to
train on part of the data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import DataDir, evenly_spaced, load_data_dir, subset, validate, write_data_dir
from ..errors import InputError, require_file
from ..expdir import copy_feature_config


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="subset_data_dir", description=__doc__)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--utt-list", type=Path,
                       help="utterance ids, the first field of each line")
    which.add_argument("--num-utts", type=int, help="this many utterances, evenly spaced")
    p.add_argument("src", type=Path)
    p.add_argument("dest", type=Path)
    return p


def listed_utts(args: argparse.Namespace, data: DataDir) -> list[str]:
    if args.utt_list is None:
        if not 0 < args.num_utts <= len(data.utts):
            raise InputError(args.src / "utt2spk", f"has {len(data.utts)} utterances; cannot "
                             f"take {args.num_utts}", "ask for 1 to that many")
        return evenly_spaced(data.utts, args.num_utts)
    listed = require_file(args.utt_list)
    utts = [line.split()[0] for line in listed.read_text().splitlines() if line.strip()]
    if not utts:
        raise InputError(listed, "lists no utterances")
    missing = [u for u in utts if u not in data.utt2spk]
    if missing:
        raise InputError(listed, f"{len(missing)} utterances are not in {args.src} (first: "
                         f"'{missing[0]}')", "list utterances of the source data dir")
    return utts


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.src)
    part = subset(data, listed_utts(args, data), args.dest)
    validate(part)
    write_data_dir(part, args.dest)
    copy_feature_config(args.src, args.dest)  # models check the features' kind


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
