"""Count what an alignment step left out: `check_alignments.py [--max-unaligned F] <data-dir>
<ali-dir> <nj>` reads <ali-dir>/ali.{1..nj}.gz, prints how many of the data dir's utterances
have an alignment, lists the others in <ali-dir>/unaligned_utts, and fails when more than
--max-unaligned of them are missing (a wrong transcript, lexicon or model, not a few hard
utterances). The aligners run it before writing num_jobs, so a failure leaves the dir
marked incomplete."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..data import load_data_dir
from ..errors import InputError, require_file
from ..formats.io import read_int_vectors, write_text_atomic


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="check_alignments", description=__doc__)
    p.add_argument("--max-unaligned", type=float, default=0.1,
                   help="largest fraction of utterances allowed to have no alignment")
    p.add_argument("data_dir", type=Path)
    p.add_argument("ali_dir", type=Path)
    p.add_argument("nj", type=int)
    return p


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.data_dir)
    aligned: set[str] = set()
    for n in range(1, args.nj + 1):
        path = require_file(args.ali_dir / f"ali.{n}.gz", "an alignment job failed; see log/")
        aligned.update(utt for utt, _ in read_int_vectors(path))
    missing = [u for u in data.utts if u not in aligned]
    listing = args.ali_dir / "unaligned_utts"
    write_text_atomic(listing, "".join(u + "\n" for u in missing))
    total = len(data.utts)
    log(f"aligned {total - len(missing)} of {total} utterances of {data.path}"
        + (f"; the {len(missing)} others are listed in {listing}" if missing else ""))
    if len(missing) > args.max_unaligned * total:
        raise InputError(listing, f"{len(missing)} of {total} utterances could not be aligned "
                         f"(more than --max-unaligned={args.max_unaligned}), e.g. {missing[0]}",
                         "check their transcripts against the lexicon, and the model and "
                         "features given")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
