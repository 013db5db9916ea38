"""Kaldi data dirs of a LibriSpeech-layout corpus (LibriSpeech, mini-LibriSpeech):
`prepare_librispeech.py [--train-part P] [--held-out-part P] <corpus-dir> <out-dir>` writes
<out-dir>/{train,dev,test}: the training part, and the held-out part split into dev and test
halves of whole readers. wav.scp decodes each flac with `flac -c -d -s <file> |`, as Kaldi's
recipe does; the recordings stay where they are."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..cli import log, run
from ..corpus.librispeech import prepare_librispeech
from ..errors import PkdError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare_librispeech", description=__doc__)
    p.add_argument("--train-part", default="train-clean-5")
    p.add_argument("--held-out-part", default="dev-clean-2")
    p.add_argument("corpus_dir", type=Path,
                   help="the directory holding LibriSpeech/ (or LibriSpeech/ itself)")
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if shutil.which("flac") is None:
        raise PkdError("the flac program is missing (wav.scp decodes the corpus with it); "
                       "install it: apt-get install flac (make install does)")
    dirs = prepare_librispeech(args.corpus_dir, args.out_dir, args.train_part,
                               args.held_out_part)
    for name, data in dirs.items():
        log(f"prepare_librispeech: {name}: {len(data.utts)} utterances, "
            f"{len(data.spk2utt)} speakers (chapters)")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
