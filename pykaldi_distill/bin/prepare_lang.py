"""Make a Kaldi lang dir from a dict dir (utils/prepare_lang.sh):
`prepare_lang.py [options] <dict-dir> <oov-word> <tmp-dir> <lang-dir>`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..errors import PkdError
from ..lang import prepare_lang


def str2bool(value: str) -> bool:
    if value not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got '{value}'")
    return value == "true"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare_lang", description=__doc__)
    p.add_argument("--position-dependent-phones", type=str2bool, default=True,
                   metavar="true|false", help="word-position markers _B _E _I _S on phones")
    p.add_argument("--sil-prob", type=float, default=0.5,
                   help="probability of optional silence between words, in [0, 1)")
    p.add_argument("--num-sil-states", type=int, default=5)
    p.add_argument("--num-nonsil-states", type=int, default=3)
    p.add_argument("dict_dir", type=Path)
    p.add_argument("oov_word")
    p.add_argument("tmp_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if not 0.0 <= args.sil_prob < 1.0:
        raise PkdError(f"--sil-prob must be in [0, 1), got {args.sil_prob}")
    if args.num_nonsil_states < 1 or not (args.num_sil_states == 1 or args.num_sil_states >= 3):
        raise PkdError("need --num-nonsil-states >= 1 and --num-sil-states 1 or >= 3")
    lang = prepare_lang(args.dict_dir, args.oov_word, args.lang_dir,
                        position_dependent=args.position_dependent_phones,
                        sil_prob=args.sil_prob, num_sil_states=args.num_sil_states,
                        num_nonsil_states=args.num_nonsil_states, tmp_dir=args.tmp_dir)
    num_real = len(lang.phones) - len(lang.disambig_phone_ids) - 1
    log(f"{lang.path}: {num_real} phones, {len(lang.disambig_phone_ids)} disambiguation "
        f"symbols, {len(lang.words)} words.txt entries")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
