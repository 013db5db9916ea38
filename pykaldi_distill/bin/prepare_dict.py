"""Make a Kaldi dict dir from CMUdict for the words of Kaldi `text` files:
`prepare_dict.py [--extra-lexicon FILE] <text> [<text> ...] <dict-dir>`.
A word in neither CMUdict nor the extra lexicon gets the pronunciations of --g2p-dir's G2P
(also in <dict-dir>/lexicon_g2p.lex, Kaldi's `word<TAB>prob<TAB>phones`; lexiconp.txt
carries their probabilities); without one it is an error naming its text file, or with
--oov-list, listed there and left out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, positive_int, probability_mass, run
from ..errors import InputError
from ..g2p import G2p, write_scored_lexicon
from ..lexicon import (
    ScoredLexicon,
    lang_phone_inventory,
    make_dict_dir,
    read_extra_lexicon,
    split_known_words,
    words_from_text_files,
)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare_dict", description=__doc__)
    p.add_argument("--extra-lexicon", type=Path, default=None,
                   help="lexicon for words CMUdict lacks ('WORD PH1 PH2 ...'); "
                   "its entries replace CMUdict's")
    p.add_argument("--oov-list", type=Path, default=None,
                   help="write words no lexicon has here ('WORD FILE' lines) and leave them "
                   "out, instead of stopping (they train as <UNK>, as in Kaldi)")
    p.add_argument("--g2p-dir", type=Path, default=None,
                   help="a G2P model (local/train_g2p.sh) for words no lexicon has")
    p.add_argument("--nbest", type=positive_int, default=1,
                   help="with --g2p-dir: pronunciations per guessed word, at most")
    p.add_argument("--pmass", type=probability_mass, default=1.0,
                   help="with --g2p-dir: the fewest pronunciations whose probabilities reach this")
    p.add_argument("--phones-from", type=Path, default=None,
                   help="an existing model's lang dir: its phones make the phone files (the "
                   "new lang's phones.txt is then the model's); a word with another phone is "
                   "an error")
    p.add_argument("texts", type=Path, nargs="+", help="Kaldi text files (utt-id words...)")
    p.add_argument("dict_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    sources = words_from_text_files(args.texts)
    if not sources:
        raise InputError(args.texts[0], "no words in the text file(s)",
                         "give Kaldi text files ('utt-id word1 word2 ...')")
    guessed = _guess(args, sources) if args.g2p_dir is not None else None
    if guessed is None:
        (args.dict_dir / "lexicon_g2p.lex").unlink(missing_ok=True)  # an earlier run's
    inventory = lang_phone_inventory(args.phones_from) if args.phones_from else None
    lexicon = make_dict_dir(sources, args.dict_dir, args.extra_lexicon, args.oov_list, guessed,
                            inventory)
    num_prons = sum(len(prons) for prons in lexicon.values())
    log(f"{args.dict_dir}: {len(lexicon)} words, {num_prons} pronunciations")
    if args.oov_list is not None:
        oovs = args.oov_list.read_text(encoding="utf-8").splitlines()
        log(f"{args.oov_list}: {len(oovs)} words in no lexicon, left out"
            + (f" (e.g. {' '.join(line.split()[0] for line in oovs[:10])})" if oovs else ""))


def _guess(args: argparse.Namespace, sources: dict[str, Path]) -> ScoredLexicon:
    """The G2P's pronunciations of the words no lexicon has, written to lexicon_g2p.lex."""
    extra = read_extra_lexicon(args.extra_lexicon) if args.extra_lexicon is not None else None
    _known, missing = split_known_words(sources, extra)
    g2p = G2p(args.g2p_dir)
    guessed, failed = g2p.lexicon(missing, args.nbest, args.pmass)
    write_scored_lexicon(args.dict_dir / "lexicon_g2p.lex", guessed)
    log(f"{args.g2p_dir}: pronunciations for {len(guessed)} word(s) no lexicon has"
        + (f" (e.g. {' '.join(list(guessed)[:10])})" if guessed else ""))
    for word in failed:
        log(f"{sources[word]}: '{word}' has letters {args.g2p_dir} never saw: "
            f"{' '.join(g2p.unknown_letters(word))}")
    return guessed


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
