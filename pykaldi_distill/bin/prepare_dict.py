"""Make a Kaldi dict dir from CMUdict for the words of Kaldi `text` files:
`prepare_dict.py [--extra-lexicon FILE] <text> [<text> ...] <dict-dir>`.
A word in neither CMUdict nor the extra lexicon is an error naming its text file, or with
--oov-list, listed there and left out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..errors import InputError
from ..lexicon import make_dict_dir, words_from_text_files


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare_dict", description=__doc__)
    p.add_argument("--extra-lexicon", type=Path, default=None,
                   help="lexicon for words CMUdict lacks ('WORD PH1 PH2 ...'); "
                   "its entries replace CMUdict's")
    p.add_argument("--oov-list", type=Path, default=None,
                   help="write words no lexicon has here ('WORD FILE' lines) and leave them "
                   "out, instead of stopping (they train as <UNK>, as in Kaldi)")
    p.add_argument("texts", type=Path, nargs="+", help="Kaldi text files (utt-id words...)")
    p.add_argument("dict_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    sources = words_from_text_files(args.texts)
    if not sources:
        raise InputError(args.texts[0], "no words in the text file(s)",
                         "give Kaldi text files ('utt-id word1 word2 ...')")
    lexicon = make_dict_dir(sources, args.dict_dir, args.extra_lexicon, args.oov_list)
    num_prons = sum(len(prons) for prons in lexicon.values())
    log(f"{args.dict_dir}: {len(lexicon)} words, {num_prons} pronunciations")
    if args.oov_list is not None:
        oovs = args.oov_list.read_text(encoding="utf-8").splitlines()
        log(f"{args.oov_list}: {len(oovs)} words in no lexicon, left out"
            + (f" (e.g. {' '.join(line.split()[0] for line in oovs[:10])})" if oovs else ""))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
