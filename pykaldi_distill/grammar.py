"""Grammars for your own words without an LM: G.fst for a word list (any sequence of its
words) or for a list of phrases (an utterance is one of them, as a JSGF rule
`<command> = phrase one | phrase two | ...;`). Both are deterministic and stochastic:
every path's probabilities sum to one, each word of a loop (and stopping) equally likely,
each phrase equally likely."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import kaldifst

from .errors import InputError
from .lang import Lang


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    ends: int = 0  # phrases ending here
    through: int = 0  # phrases passing through or ending here


def read_phrases(path: Path) -> list[tuple[str, ...]]:
    """Non-empty lines as word tuples, duplicates dropped (order kept)."""
    text = path.read_text(encoding="utf-8")
    phrases = list(dict.fromkeys(tuple(line.split()) for line in text.splitlines() if line.split()))
    if not phrases:
        raise InputError(path, "no words in it", "give one word or phrase per line")
    return phrases


def _ids(words: Sequence[str], lang: Lang, source: Path) -> list[int]:
    missing = [w for w in words if w not in lang.words]
    if missing:
        raise InputError(source, f"word(s) not in {lang.path / 'words.txt'}: "
                         f"{' '.join(missing[:10])}", "make the lang dir from the same list")
    return [lang.words[w] for w in words]


def _cost(p: float) -> str:
    return repr(-math.log(p))


def word_loop_grammar(words: Sequence[str], lang: Lang, source: Path) -> kaldifst.StdVectorFst:
    """One or more of `words` in any order: state 0 -> 1 on a word (1/N each); state 1 loops
    on a word or stops (1/(N+1) each)."""
    ids = _ids(list(dict.fromkeys(words)), lang, source)
    lines = [f"0\t1\t{i}\t{i}\t{_cost(1 / len(ids))}" for i in ids]
    lines += [f"1\t1\t{i}\t{i}\t{_cost(1 / (len(ids) + 1))}" for i in ids]
    lines.append(f"1\t{_cost(1 / (len(ids) + 1))}")
    return _compile(lines)


def phrase_grammar(phrases: Sequence[Sequence[str]], lang: Lang,
                   source: Path) -> kaldifst.StdVectorFst:
    """Exactly one of `phrases`, each equally likely: their prefix tree, each arc weighted
    by the share of the phrases through its source that continue along it."""
    root = _Node()
    for phrase in dict.fromkeys(tuple(p) for p in phrases):
        _ids(phrase, lang, source)
        node = root
        node.through += 1
        for word in phrase:
            node = node.children.setdefault(word, _Node())
            node.through += 1
        node.ends += 1
    lines: list[str] = []
    finals: list[str] = []
    stack = [(root, 0)]
    num_states = 1
    while stack:
        node, state = stack.pop()
        if node.ends:
            finals.append(f"{state}\t{_cost(node.ends / node.through)}")
        for word, child in node.children.items():
            word_id = lang.words[word]
            lines.append(f"{state}\t{num_states}\t{word_id}\t{word_id}\t"
                         f"{_cost(child.through / node.through)}")
            stack.append((child, num_states))
            num_states += 1
    return _compile(lines + finals)


def _compile(lines: list[str]) -> kaldifst.StdVectorFst:
    grammar = kaldifst.compile("\n".join(lines) + "\n", keep_state_numbering=True)
    kaldifst.arcsort(grammar, sort_type="ilabel")
    return grammar
