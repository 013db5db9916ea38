"""Pronunciations for a word list from a trained G2P (Kaldi's
steps/dict/apply_g2p_phonetisaurus.sh): `apply_g2p.py [--nbest 1] [--pmass 1.0] [--thresh 5]
<word-list> <g2p-dir> <out-dir>` writes <out-dir>/lexicon.lex (`word<TAB>prob<TAB>phones`,
most likely first) and <out-dir>/lexicon.failed (words with letters the model never saw,
each with those letters)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, positive_int, probability_mass, run
from ..errors import InputError, PkdError, require_file
from ..formats.io import write_text_atomic
from ..g2p import G2p, write_scored_lexicon


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="apply_g2p", description=__doc__)
    p.add_argument("--nbest", type=positive_int, default=1, help="pronunciations per word, at most")
    p.add_argument("--pmass", type=probability_mass, default=1.0,
                   help="keep the fewest pronunciations whose probabilities reach this")
    p.add_argument("--thresh", type=float, default=5.0,
                   help="prune paths this far (-log prob) behind the best")
    p.add_argument("word_list", type=Path, help="one word per line (the first field is used)")
    p.add_argument("g2p_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def read_word_list(path: Path) -> list[str]:
    words: list[str] = []
    for line in require_file(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] not in words:
            words.append(fields[0])
    if not words:
        raise InputError(path, "no words in it", "give one word per line")
    return words


def main_args(args: argparse.Namespace) -> None:
    if not args.thresh > 0:
        raise PkdError(f"--thresh must be > 0, got {args.thresh}")
    words = read_word_list(args.word_list)
    g2p = G2p(args.g2p_dir)
    lexicon, failed = g2p.lexicon(words, args.nbest, args.pmass, args.thresh)
    write_scored_lexicon(args.out_dir / "lexicon.lex", lexicon)
    write_text_atomic(args.out_dir / "lexicon.failed",
                      "".join(f"{w} {''.join(g2p.unknown_letters(w))}\n" for w in failed))
    num_prons = sum(len(p) for p in lexicon.values())
    log(f"{args.out_dir}/lexicon.lex: {num_prons} pronunciations of {len(lexicon)} words")
    if failed:
        log(f"WARNING: {len(failed)} word(s) have letters {args.g2p_dir} never saw, no "
            f"pronunciation: {' '.join(failed[:10])} (listed in {args.out_dir}/lexicon.failed)")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
