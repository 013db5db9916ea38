"""Train a Witten-Bell n-gram LM in ARPA format from Kaldi `text` files (utterance ids
are dropped): `make_lm.py [--order 3] [--words words.txt] [--prune 1e-8] <text> [<text> ...]
<out.arpa[.gz]>`. With --words, words missing from words.txt become --oov (default <UNK>)
and every word of words.txt gets a unigram. With --prune, n-grams (bigrams and up) whose
removal changes the model's perplexity by a relative amount below the threshold are
removed, as SRILM's `ngram -prune` (relative-entropy pruning, e.g. for a smaller graph)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..cli import log, run
from ..errors import PkdError
from ..lexicon import UNK_WORD
from ..lm import (
    format_ngram_counts,
    lm_vocabulary,
    ngram_counts,
    prune_relative_entropy,
    read_lm_text,
    train_witten_bell,
    write_arpa,
)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_lm", description=__doc__)
    p.add_argument("--order", type=int, default=3, help="n-gram order, 1 to 3")
    p.add_argument("--words", type=Path, default=None, help="a lang dir's words.txt")
    p.add_argument("--oov", default=UNK_WORD, help="word for words not in --words")
    p.add_argument("--prune", type=float, default=0.0,
                   help="relative-entropy pruning threshold as SRILM's ngram -prune, "
                        "e.g. 1e-8 (default 0: no pruning)")
    p.add_argument("texts", type=Path, nargs="+")
    p.add_argument("arpa", type=Path, help="output; gzipped when it ends in .gz")
    return p


def main_args(args: argparse.Namespace) -> None:
    if not 1 <= args.order <= 3:
        raise PkdError(f"--order must be 1, 2 or 3, got {args.order}")
    if not math.isfinite(args.prune) or args.prune < 0:
        raise PkdError(f"--prune must be a threshold >= 0 (0: no pruning), got {args.prune}")
    vocab = lm_vocabulary(args.words) if args.words is not None else None
    sentences = read_lm_text(args.texts, vocab=vocab, oov=args.oov)
    if vocab is not None:
        num_oov = sum(w == args.oov for s in sentences for w in s)
        log(f"{num_oov} running words not in {args.words} mapped to {args.oov}")
    lm = train_witten_bell(sentences, args.order, vocab=vocab or ())
    if args.prune > 0:
        before = ngram_counts(lm)
        lm = prune_relative_entropy(lm, args.prune)
        after = ngram_counts(lm)
        log(f"pruning with threshold {args.prune:g}: {format_ngram_counts(before)} -> "
            f"{format_ngram_counts(after)} ({sum(before) - sum(after)} n-grams removed)")
    write_arpa(lm, args.arpa)
    log(f"{args.arpa}: {len(sentences)} sentences; {format_ngram_counts(ngram_counts(lm))}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
