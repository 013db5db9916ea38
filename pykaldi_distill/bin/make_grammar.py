"""A lang dir with the grammar of a word list or of a list of phrases as its G.fst (no LM):
`make_grammar.py --grammar words|phrases <lang-dir> <list> <lang-out-dir>`. words: an
utterance is any sequence of the list's words; phrases: it is exactly one of its lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..errors import require_file
from ..grammar import phrase_grammar, read_phrases, word_loop_grammar
from ..lang import load_lang
from ..lm import add_grammar


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_grammar", description=__doc__)
    p.add_argument("--grammar", choices=("words", "phrases"), default="words")
    p.add_argument("lang_dir", type=Path)
    p.add_argument("list", type=Path, help="one word (words) or phrase (phrases) per line")
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    lang = load_lang(args.lang_dir)
    phrases = read_phrases(require_file(args.list))
    if args.grammar == "words":
        words = [w for phrase in phrases for w in phrase]
        grammar = word_loop_grammar(words, lang, args.list)
    else:
        grammar = phrase_grammar(phrases, lang, args.list)
    add_grammar(lang, grammar, args.out_dir)
    log(f"{args.out_dir}/G.fst: {args.grammar} grammar over {len(phrases)} line(s) of "
        f"{args.list}, {grammar.num_states} states")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
