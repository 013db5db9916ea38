"""Read-speech sentences from public-domain text available offline: the King James Bible
of the Debian package `bible-kjv` (`apt-get install bible-kjv`), whose `bible` program
prints every verse from its compressed /usr/lib/bible.data. A plain text file with one
verse (or paragraph) per line can be given instead; a leading `Book1:2` reference is
ignored.

Normalisation: verses are split into sentences at . ? ! ; and : (the KJV's clause marks),
hyphens become spaces, other punctuation is removed (apostrophes inside words are kept),
words are uppercased. Sentences holding a numeral are dropped (the KJV spells numbers
out, so none are), as are sentences outside 5-20 words and, with `cmudict_only`, sentences
with a word not in CMUdict (by default a G2P pronounces those: local/train_g2p.sh).
Duplicate sentences are kept once.

Selection (`select_sentences`) is a pure function of the sentences, the vocabulary size
and the seed: the vocabulary is the `vocab_size` most frequent words of the usable
sentences, the pool is the sentences using only those words, and dev/test sentences are
drawn from the pool so that every one of their words still occurs in at least
`MIN_LM_COUNT` pool sentences left for training. `lm_text` is every pool sentence that
is not a dev or test sentence; train sentences are drawn from it.
"""

from __future__ import annotations

import functools
import random
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, require_file
from ..lexicon import cmudict_lexicon

BIBLE_PACKAGE = "bible-kjv"
BIBLE_RANGE = "gen1:1-rev22:21"  # the whole book, one verse per line with -f
MIN_WORDS, MAX_WORDS = 5, 20
MIN_LM_COUNT = 2  # a dev/test word occurs in at least this many LM sentences

Sentence = tuple[str, ...]

_REFERENCE = re.compile(r"^[1-3]?[A-Za-z]+\d+:\d+\s+")
_SENTENCE_END = re.compile(r"[.?!;:]+")
_DIGIT = re.compile(r"\d")
_NOT_WORD = re.compile(r"[^A-Z'\s]")


@dataclass(frozen=True)
class TextStats:
    """How many sentences each filter removed (in the order they are applied)."""

    lines: int
    sentences: int  # before filtering
    numeral: int
    length: int
    oov: int  # a word not in the vocabulary (CMUdict, with cmudict_only)
    duplicate: int
    kept: int


def kjv_verses(bible: str = "bible") -> list[str]:
    """Every verse of the KJV, one string each (reference first), from `bible-kjv`."""
    if shutil.which(bible) is None:
        raise InputError(bible, "not found on PATH (the KJV text comes from it)",
                         f"apt-get install {BIBLE_PACKAGE}")
    proc = subprocess.run([bible, "-f", BIBLE_RANGE], capture_output=True, check=False,
                          stdin=subprocess.DEVNULL)
    lines = proc.stdout.decode("utf-8", errors="replace").splitlines()
    if proc.returncode != 0 or len(lines) < 1000:
        raise InputError(bible, f"printed {len(lines)} verses (exit {proc.returncode}): "
                         f"{proc.stderr.decode(errors='replace').strip()[-300:]}",
                         f"apt-get install --reinstall {BIBLE_PACKAGE} bible-kjv-text")
    return lines


def read_lines(path: str | Path) -> list[str]:
    return require_file(path).read_text(encoding="utf-8").splitlines()


def split_sentences(line: str) -> list[str]:
    """The raw sentences of one verse (its reference removed)."""
    body = _REFERENCE.sub("", line.strip())
    return [s.strip() for s in _SENTENCE_END.split(body) if s.strip()]


def normalise(sentence: str) -> Sentence:
    """Uppercase words without punctuation (apostrophes inside words kept)."""
    text = _NOT_WORD.sub(" ", sentence.upper().replace("-", " "))
    words = (w.strip("'") for w in text.split())
    return tuple(w for w in words if w)


def sentences_from_lines(lines: Iterable[str], vocabulary: Iterable[str] | None = None,
                         min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
                         ) -> tuple[list[Sentence], TextStats]:
    """Usable sentences of `lines` in order of first occurrence, and the filter counts.
    `vocabulary` (default: any word) holds the words a sentence may use."""
    vocab = None if vocabulary is None else set(vocabulary)
    counts = Counter[str]()
    kept: dict[Sentence, None] = {}
    n_lines = 0
    for line in lines:
        n_lines += 1
        for raw in split_sentences(line):
            counts["sentences"] += 1
            if _DIGIT.search(raw):
                counts["numeral"] += 1
                continue
            words = normalise(raw)
            if not min_words <= len(words) <= max_words:
                counts["length"] += 1
            elif vocab is not None and not all(w in vocab for w in words):
                counts["oov"] += 1
            elif words in kept:
                counts["duplicate"] += 1
            else:
                kept[words] = None
    stats = TextStats(n_lines, counts["sentences"], counts["numeral"], counts["length"],
                      counts["oov"], counts["duplicate"], len(kept))
    return list(kept), stats


@functools.lru_cache(maxsize=4)
def kjv_sentences(source: Path | None = None, cmudict_only: bool = False
                  ) -> tuple[tuple[Sentence, ...], TextStats]:
    """The usable KJV sentences (from `bible-kjv`, or a text file `source`); with
    `cmudict_only`, only those whose every word is in CMUdict."""
    lines = kjv_verses() if source is None else read_lines(source)
    sentences, stats = sentences_from_lines(lines, cmudict_lexicon() if cmudict_only else None)
    return tuple(sentences), stats


@dataclass(frozen=True)
class Selection:
    vocab: tuple[str, ...]  # sorted; the words of the pool
    train: tuple[Sentence, ...]
    dev: tuple[Sentence, ...]
    test: tuple[Sentence, ...]
    lm: tuple[Sentence, ...]  # the pool without dev and test, in pool order

    def split(self, name: str) -> tuple[Sentence, ...]:
        return {"train": self.train, "dev": self.dev, "test": self.test}[name]


def top_words(sentences: Sequence[Sentence], vocab_size: int) -> set[str]:
    """The `vocab_size` most frequent words (ties broken alphabetically)."""
    freq = Counter(w for s in sentences for w in s)
    return set(sorted(freq, key=lambda w: (-freq[w], w))[:vocab_size])


def _held_out(pool: list[Sentence], n: int, rng: random.Random,
              left: Counter[str]) -> list[Sentence]:
    """Draw `n` sentences of `pool` whose every word keeps MIN_LM_COUNT sentences in
    `left` (sentence counts per word, updated)."""
    chosen: list[Sentence] = []
    for s in rng.sample(pool, len(pool)):
        if len(chosen) == n:
            break
        words = set(s)
        if all(left[w] - 1 >= MIN_LM_COUNT for w in words):
            left.subtract(words)
            chosen.append(s)
    if len(chosen) < n:
        raise ValueError(f"only {len(chosen)} of {n} held-out sentences can be drawn; "
                         "use a larger vocabulary")
    return chosen


def select_sentences(sentences: Sequence[Sentence], vocab_size: int, n_train: int,
                     n_dev: int, n_test: int, seed: int) -> Selection:
    """Seeded vocabulary and disjoint train/dev/test sentences (see the module doc).
    Train sentences are distinct while the LM text has enough, then repeat."""
    vocab = top_words(sentences, vocab_size)
    pool = [s for s in sentences if all(w in vocab for w in s)]
    left = Counter(w for s in pool for w in set(s))
    rng = random.Random(f"select/{seed}/{vocab_size}")
    dev = _held_out(pool, n_dev, rng, left)
    test = _held_out([s for s in pool if s not in set(dev)], n_test, rng, left)
    held = set(dev) | set(test)
    lm = [s for s in pool if s not in held]
    if not lm:
        raise ValueError("no sentences are left for training")
    train: list[Sentence] = []
    while len(train) < n_train:
        train += rng.sample(lm, min(len(lm), n_train - len(train)))
    return Selection(tuple(sorted({w for s in pool for w in s})), tuple(train), tuple(dev),
                     tuple(test), tuple(lm))


def lm_text(selection: Selection) -> list[str]:
    """The sentences a language model may be trained on (never a dev or test one)."""
    return [" ".join(s) for s in selection.lm]
