"""Kaldi data dirs of the Free Spoken Digit Dataset with whole speakers held out:
`make_fsdd_data.py [options] <fsdd-dir> <out-dir>` writes, for each fold (one test speaker),
<out-dir>/<speaker>/{train,dev,test,dev_connected,test_connected}, the digit-loop LM text
<out-dir>/lm_text and <out-dir>/corpus.json last. The recordings stay where they are (wav.scp
points at them); connected-digit utterances are spliced from the dev and test speakers'
recordings into <out-dir>/wav/. Does nothing when a complete set of the same options exists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..corpus.common import audio_seconds
from ..corpus.fsdd import FsddConfig, prepare_fsdd
from ..errors import PkdError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_fsdd_data", description=__doc__)
    p.add_argument("--per-digit", type=int, default=None,
                   help="recordings per speaker and digit (default: all)")
    p.add_argument("--connected", type=int, default=FsddConfig.connected,
                   help="connected-digit test utterances per test speaker")
    p.add_argument("--test-speakers", default="",
                   help="space-separated test speakers of the folds to make (default: all)")
    p.add_argument("--seed", type=int, default=FsddConfig.seed)
    p.add_argument("fsdd_dir", type=Path, help="FSDD checkout (holding recordings/)")
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    try:
        config = FsddConfig(args.per_digit, args.connected, tuple(args.test_speakers.split()),
                            args.seed)
    except ValueError as err:
        raise PkdError(f"--per-digit/--connected: {err}") from None
    log_config(config)
    folds = prepare_fsdd(args.fsdd_dir, args.out_dir, config)
    for test, dirs in folds.items():
        sizes = ", ".join(f"{name} {len(d.utts)} utts / {len(d.spk2utt)} spk / "
                          f"{audio_seconds(d) / 60:.1f} min" for name, d in dirs.items())
        log(f"make_fsdd_data: fold {test}: {sizes}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
