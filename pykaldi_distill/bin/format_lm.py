"""Copy a lang dir and add G.fst made from an ARPA LM (utils/format_lm.sh):
`format_lm.py <lang-dir> <arpa[.gz]> <lang-test-dir>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..lang import load_lang
from ..lm import arpa_oovs, format_lm, read_arpa


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="format_lm", description=__doc__)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("arpa", type=Path)
    p.add_argument("lang_test_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    oovs = arpa_oovs(read_arpa(args.arpa), load_lang(args.lang_dir))
    if oovs:
        log(f"warning: {len(oovs)} LM words are not in {args.lang_dir}/words.txt; their "
            f"n-grams are dropped: {' '.join(oovs[:10])}{' ...' if len(oovs) > 10 else ''}")
    lang = format_lm(args.lang_dir, args.arpa, args.lang_test_dir)
    grammar = lang.load_fst("G.fst")
    log(f"{lang.path}/G.fst: {grammar.num_states} states")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
