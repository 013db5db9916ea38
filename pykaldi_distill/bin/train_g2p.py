"""Train a Phonetisaurus G2P model (Kaldi's steps/dict/train_g2p_phonetisaurus.sh):
`train_g2p.py [--ngram-order 7] [--held-out-every 20] [--train-every 1]
<lexicon.txt|cmudict> <g2p-dir>`.
Every Nth word (by a hash of its spelling) is held out and scored: <g2p-dir>/results.txt
has its word and phone error rates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..errors import InputError
from ..g2p import G2pConfig, train_g2p
from ..lexicon import cmudict_lexicon, read_lexicon

CMUDICT = "cmudict"


def get_parser() -> argparse.ArgumentParser:
    d = G2pConfig()
    p = argparse.ArgumentParser(prog="train_g2p", description=__doc__)
    p.add_argument("--ngram-order", type=int, default=d.ngram_order,
                   help="order of the joint letter/phone n-gram")
    p.add_argument("--held-out-every", type=int, default=d.held_out_every,
                   help="hold out and score every Nth word (0: none)")
    p.add_argument("--train-every", type=int, default=d.train_every,
                   help="train on every Nth of the other words: a quicker, smaller model")
    p.add_argument("lexicon", help=f"a Kaldi lexicon.txt ('WORD PH1 PH2 ...'), or '{CMUDICT}' "
                   "(CMUdict without stress, the recipes' phones)")
    p.add_argument("g2p_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    try:
        config = G2pConfig(ngram_order=args.ngram_order, held_out_every=args.held_out_every,
                           train_every=args.train_every)
    except ValueError as e:
        raise InputError(args.g2p_dir, str(e), "see --help for the ranges") from e
    log_config(config)
    lexicon = dict(cmudict_lexicon()) if args.lexicon == CMUDICT else read_lexicon(args.lexicon)
    log(f"{args.lexicon}: {len(lexicon)} words; training {args.g2p_dir}")
    score = train_g2p(lexicon, args.g2p_dir, config)
    if score is not None:
        log((args.g2p_dir / "results.txt").read_text(encoding="utf-8").strip())


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
