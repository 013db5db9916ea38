"""Kaldi lang directories: utils/prepare_lang.sh in Python, and a typed loader.

prepare_lang() reproduces prepare_lang.sh's default path (no silprobs, no unk-fst, no
extra disambiguation symbols, share_silence_phones=false, share_state_roots=true):
word-position-dependent phones, add_lex_disambig.pl, make_lexicon_fst.py with
--sil-prob (and --sil-disambig for L_disambig.fst), fstaddselfloops with #0, gen_topo.pl.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldifst

from .errors import InputError, require_dir, require_file
from .formats.io import atomic_path, write_text_atomic

Pron = tuple[str, ...]
LexiconEntry = tuple[str, float, Pron]  # word, pron-prob, phones
Arc = tuple[int, int, int, int, float]  # src, dest, ilabel, olabel, cost

POSITION_SUFFIXES = ("_B", "_E", "_I", "_S")
NUM_EXTRA_PHONE_DISAMBIG = 1  # prepare_lang.sh: one more for the optional silence
WORD_DISAMBIG = "#0"
EPS = "<eps>"
BOS, EOS = "<s>", "</s>"
LANG_FIX = "make the lang dir with local/prepare_lang.sh"
PHONE_LISTS = ("silence", "nonsilence", "optional_silence", "disambig", "context_indep")
REQUIRED_LANG_FILES = (
    "phones.txt", "words.txt", "topo", "oov.int", "L.fst", "L_disambig.fst",
    "phones/silence.int", "phones/nonsilence.int", "phones/optional_silence.int",
    "phones/disambig.int", "phones/sets.int",
)


# --------------------------------------------------------------------------- dict dir


@dataclass(frozen=True)
class DictDir:
    """A Kaldi dict dir (data/local/dict), validated like utils/validate_dict_dir.pl."""

    path: Path
    lexiconp: list[LexiconEntry]
    silence: list[list[str]]  # lines of silence_phones.txt (variants of one base phone)
    nonsilence: list[list[str]]
    optional_silence: str
    extra_questions: list[list[str]]


def _read_phone_lines(path: Path, optional: bool = False) -> list[list[str]]:
    if optional and not path.is_file():
        return []
    text = require_file(path, "see kaldi-asr.org/doc/data_prep.html").read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.strip()]


def _read_lexiconp(dict_dir: Path) -> list[LexiconEntry]:
    """lexiconp.txt when present (as prepare_lang.sh does), else lexicon.txt with prob 1.0."""
    has_probs = (dict_dir / "lexiconp.txt").is_file()
    path = dict_dir / ("lexiconp.txt" if has_probs else "lexicon.txt")
    require_file(path, "write lexicon.txt ('word phone1 phone2 ...' per line)")
    entries: list[LexiconEntry] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        word, rest = fields[0], fields[1:]
        prob = 1.0
        if has_probs:
            try:
                prob = float(rest.pop(0))
            except (IndexError, ValueError):
                prob = math.nan
            if not 0.0 < prob <= 1.0:
                raise InputError(path, f"line {lineno}: expected a pron-prob in (0, 1] "
                                 "after the word", "write 'word prob phone1 phone2 ...'")
        if not rest:
            raise InputError(path, f"line {lineno}: '{word}' has an empty pronunciation",
                             "give every word at least one phone")
        entries.append((word, prob, tuple(rest)))
    if not entries:
        raise InputError(path, "no pronunciations")
    return entries


def _check_dict_dir(d: DictDir) -> None:
    for name, lines in [("silence_phones.txt", d.silence), ("nonsilence_phones.txt", d.nonsilence)]:
        if not lines:
            raise InputError(d.path / name, "no phones", "list one base phone per line")
    phones = [p for line in d.silence + d.nonsilence for p in line]
    dup = [p for p, n in Counter(phones).items() if n > 1]
    if dup:
        raise InputError(d.path / "nonsilence_phones.txt", f"phone(s) listed twice: {dup}",
                         "list each phone once in silence_phones.txt/nonsilence_phones.txt")
    bad = [p for p in phones if p == EPS or p.startswith("#")]
    if bad:
        raise InputError(d.path / "nonsilence_phones.txt", f"reserved phone name(s) {bad}")
    if d.optional_silence not in set(p for line in d.silence for p in line):
        raise InputError(d.path / "optional_silence.txt",
                         f"'{d.optional_silence}' is not in silence_phones.txt")
    lex_path = d.path / "lexicon.txt"
    known = set(phones)
    for word, _prob, pron in d.lexiconp:
        if word in (EPS, BOS, EOS, WORD_DISAMBIG):
            raise InputError(lex_path, f"reserved word '{word}' in the lexicon",
                             "remove it; <eps>, <s>, </s> and #0 are added by prepare_lang")
        unknown = [p for p in pron if p not in known]
        if unknown:
            raise InputError(lex_path, f"'{word}' uses phone(s) {unknown} that are in "
                             "neither silence_phones.txt nor nonsilence_phones.txt")
    dups = [e for e, n in Counter((w, p) for w, _, p in d.lexiconp).items() if n > 1]
    if dups:
        raise InputError(lex_path, f"duplicate entries, e.g. {dups[0][0]} {' '.join(dups[0][1])}",
                         "keep each (word, pronunciation) once")
    bad_q = [p for line in d.extra_questions for p in line if p not in known]
    if bad_q:
        raise InputError(d.path / "extra_questions.txt", f"unknown phone(s) {bad_q}")


def read_dict_dir(dict_dir: str | Path) -> DictDir:
    root = require_dir(dict_dir, "make it with local/prepare_dict.sh")
    opt = _read_phone_lines(root / "optional_silence.txt")
    if len(opt) != 1 or len(opt[0]) != 1:
        raise InputError(root / "optional_silence.txt", "expected exactly one phone")
    d = DictDir(
        path=root,
        lexiconp=_read_lexiconp(root),
        silence=_read_phone_lines(root / "silence_phones.txt"),
        nonsilence=_read_phone_lines(root / "nonsilence_phones.txt"),
        optional_silence=opt[0][0],
        extra_questions=_read_phone_lines(root / "extra_questions.txt", optional=True),
    )
    _check_dict_dir(d)
    return d


# --------------------------------------------------------------------------- lexicon


def add_word_positions(pron: Pron) -> Pron:
    """_S for a one-phone word, else _B, _I..., _E."""
    if len(pron) == 1:
        return (pron[0] + "_S",)
    return (pron[0] + "_B", *(p + "_I" for p in pron[1:-1]), pron[-1] + "_E")


def make_phone_map(d: DictDir, position_dependent: bool) -> dict[str, list[str]]:
    """Each phone -> its variants. Silence keeps its bare form too, for optional silence."""
    phone_map: dict[str, list[str]] = {}
    for line in d.silence:
        for p in line:
            phone_map[p] = [p] + [p + s for s in POSITION_SUFFIXES] if position_dependent else [p]
    for line in d.nonsilence:
        for p in line:
            phone_map[p] = [p + s for s in POSITION_SUFFIXES] if position_dependent else [p]
    return phone_map


def apply_map(phones: Iterable[str], phone_map: dict[str, list[str]]) -> list[str]:
    return [v for p in phones for v in phone_map[p]]


def add_lex_disambig(entries: Sequence[LexiconEntry]) -> tuple[list[LexiconEntry], int]:
    """add_lex_disambig.pl: append #1, #2 ... to prons that are shared by several entries
    or are a prefix of another pron. Returns (entries, highest disambig index used)."""
    count = Counter(pron for _, _, pron in entries)
    prefixes = {pron[:n] for _, _, pron in entries for n in range(len(pron))}
    last_used: dict[Pron, int] = {}
    result: list[LexiconEntry] = []
    max_disambig = 0
    for word, prob, pron in entries:
        if pron in prefixes or count[pron] > 1:
            last_used[pron] = last_used.get(pron, 0) + 1
            max_disambig = max(max_disambig, last_used[pron])
            pron = (*pron, f"#{last_used[pron]}")
        result.append((word, prob, pron))
    return result, max_disambig


# --------------------------------------------------------------------------- FSTs


def lexicon_fst_arcs(lexicon: Sequence[tuple[int, float, Sequence[int]]], sil_prob: float,
                     sil_phone: int, sil_disambig: int | None = None
                     ) -> tuple[list[Arc], int]:
    """make_lexicon_fst.py on integer labels: (arcs, final state). With sil_prob > 0 the
    start state 0 leads to the loop state 1 directly or through silence (state 2)."""
    arcs: list[Arc] = []
    if sil_prob == 0.0:
        loop, next_state = 0, 1
    else:
        sil_cost, no_sil_cost = -math.log(sil_prob), -math.log(1.0 - sil_prob)
        start, loop, sil_state, next_state = 0, 1, 2, 3
        arcs += [(start, loop, 0, 0, no_sil_cost), (start, sil_state, 0, 0, sil_cost)]
        if sil_disambig is None:
            arcs.append((sil_state, loop, sil_phone, 0, 0.0))
        else:
            arcs += [(sil_state, next_state, sil_phone, 0, 0.0),
                     (next_state, loop, sil_disambig, 0, 0.0)]
            next_state += 1
    for word, prob, pron in lexicon:
        pron_cost = -math.log(prob) if prob != 1.0 else 0.0
        cur = loop
        for i, phone in enumerate(pron[:-1]):
            arcs.append((cur, next_state, phone, word if i == 0 else 0,
                         pron_cost if i == 0 else 0.0))
            cur, next_state = next_state, next_state + 1
        last_olabel, last_cost = (word, pron_cost) if len(pron) == 1 else (0, 0.0)
        if sil_prob == 0.0:
            arcs.append((cur, loop, pron[-1], last_olabel, last_cost))
        else:
            arcs += [(cur, loop, pron[-1], last_olabel, no_sil_cost + last_cost),
                     (cur, sil_state, pron[-1], last_olabel, sil_cost + last_cost)]
    return arcs, loop


def compile_fst(arcs: Sequence[Arc], final_state: int) -> kaldifst.StdVectorFst:
    """fstcompile of the arcs (the first arc's source is the start state)."""
    lines = [f"{s}\t{d}\t{i}\t{o}\t{c!r}" for s, d, i, o, c in arcs]
    lines.append(f"{final_state}\t0")
    return kaldifst.compile("\n".join(lines) + "\n", keep_state_numbering=True)


def write_fst(fst: kaldifst.StdVectorFst, path: str | Path) -> None:
    """Write a binary FST atomically (kaldifst's write returns False instead of raising)."""
    with atomic_path(path) as tmp:
        if not fst.write(str(tmp)):
            raise OSError(f"cannot write FST to {tmp}")


# --------------------------------------------------------------------------- topology


def topo_text(nonsil_phones: Sequence[int], sil_phones: Sequence[int],
              num_nonsil_states: int = 3, num_sil_states: int = 5) -> str:
    """utils/gen_topo.pl: left-to-right non-silence HMMs; silence HMMs whose first state
    reaches all but the last emitting state and whose middle states are fully connected."""
    if num_nonsil_states < 1 or not (num_sil_states == 1 or num_sil_states >= 3):
        raise ValueError("need num_nonsil_states >= 1 and num_sil_states == 1 or >= 3")
    lines = ["<Topology>", "<TopologyEntry>", "<ForPhones>", " ".join(map(str, nonsil_phones)),
             "</ForPhones>"]
    for s in range(num_nonsil_states):
        lines.append(f"<State> {s} <PdfClass> {s} <Transition> {s} 0.75 "
                     f"<Transition> {s + 1} 0.25 </State>")
    lines += [f"<State> {num_nonsil_states} </State>", "</TopologyEntry>",
              "<TopologyEntry>", "<ForPhones>", " ".join(map(str, sil_phones)), "</ForPhones>"]
    n = num_sil_states
    if n == 1:
        lines.append("<State> 0 <PdfClass> 0 <Transition> 0 0.75 <Transition> 1 0.25 </State>")
    else:
        transp = f"{1.0 / (n - 1):.15g}"  # perl's number formatting
        lines.append("<State> 0 <PdfClass> 0 "
                     + "".join(f"<Transition> {k} {transp} " for k in range(n - 1)) + "</State>")
        for s in range(1, n - 1):
            lines.append(f"<State> {s} <PdfClass> {s} "
                         + "".join(f"<Transition> {k} {transp} " for k in range(1, n))
                         + "</State>")
        lines.append(f"<State> {n - 1} <PdfClass> {n - 1} <Transition> {n - 1} 0.75 "
                     f"<Transition> {n} 0.25 </State>")
    lines += [f"<State> {n} </State>", "</TopologyEntry>", "</Topology>"]
    return "\n".join(lines) + "\n"


def read_topo(path: str | Path) -> khg.HmmTopology:
    p = require_file(path, LANG_FIX)
    topo = khg.HmmTopology()
    try:
        topo.read(p.read_text(encoding="utf-8"))
    except RuntimeError as err:
        raise InputError(p, f"not a Kaldi HMM topology: {str(err).splitlines()[-1]}") from err
    return topo


# --------------------------------------------------------------------------- writing


def symbol_table_text(symbols: Sequence[str]) -> str:
    return "".join(f"{s} {i}\n" for i, s in enumerate(symbols))


def _lines(rows: Iterable[Sequence[object]]) -> str:
    return "".join(" ".join(map(str, row)) + "\n" for row in rows)


@dataclass
class _LangWriter:
    """Writes lang-dir files atomically and keeps the phone symbol table at hand."""

    root: Path
    phones: dict[str, int] = field(default_factory=dict)

    def text(self, name: str, content: str) -> None:
        write_text_atomic(self.root / name, content)

    def phone_list(self, name: str, phones: Sequence[str]) -> None:
        """phones/NAME.{txt,int,csl}."""
        ids = [self.phones[p] for p in phones]
        self.text(f"phones/{name}.txt", _lines([p] for p in phones))
        self.text(f"phones/{name}.int", _lines([i] for i in ids))
        self.text(f"phones/{name}.csl", ":".join(map(str, ids)) + "\n")

    def phone_sets(self, name: str, rows: Sequence[Sequence[str]], skip: int = 0) -> None:
        """phones/NAME.{txt,int}; the first `skip` fields of each row stay as text."""
        self.text(f"phones/{name}.txt", _lines(rows))
        self.text(f"phones/{name}.int", _lines(
            [*row[:skip], *(self.phones[p] for p in row[skip:])] for row in rows))

    def fst(self, name: str, fst: kaldifst.StdVectorFst) -> None:
        write_fst(fst, self.root / name)


def _extra_questions(d: DictDir, phone_map: dict[str, list[str]],
                     position_dependent: bool) -> list[list[str]]:
    questions = [apply_map(line, phone_map) for line in d.extra_questions]
    if position_dependent:
        nonsil = [p for line in d.nonsilence for p in line]
        sil = [p for line in d.silence for p in line]
        questions += [[p + s for p in nonsil] for s in POSITION_SUFFIXES]
        questions += [[p + s for p in sil] for s in ("", *POSITION_SUFFIXES)]
    return questions


def _word_boundary(phones: Sequence[str]) -> list[tuple[str, str]]:
    kinds = {"_B": "begin", "_E": "end", "_I": "internal", "_S": "singleton"}
    return [(p, kinds.get(p[-2:], "nonword")) for p in phones]


def _words_table(entries: Sequence[LexiconEntry]) -> list[str]:
    return [EPS, *sorted({w for w, _, _ in entries}), WORD_DISAMBIG, BOS, EOS]


def _lexicon_fst(entries: Sequence[LexiconEntry], phones: dict[str, int],
                 words: dict[str, int], sil_prob: float, sil_phone: str,
                 sil_disambig: str | None) -> kaldifst.StdVectorFst:
    lexicon = [(words[w], prob, [phones[p] for p in pron]) for w, prob, pron in entries]
    arcs, final = lexicon_fst_arcs(lexicon, sil_prob, phones[sil_phone],
                                   phones[sil_disambig] if sil_disambig else None)
    return compile_fst(arcs, final)


def _lexiconp_text(entries: Sequence[LexiconEntry]) -> str:
    return "".join(f"{w}\t{p!r}\t{' '.join(pron)}\n" for w, p, pron in entries)


def prepare_lang(dict_dir: str | Path, oov_word: str, lang_dir: str | Path,
                 position_dependent: bool = True, sil_prob: float = 0.5,
                 num_sil_states: int = 5, num_nonsil_states: int = 3,
                 tmp_dir: str | Path | None = None) -> Lang:
    """utils/prepare_lang.sh <dict-dir> <oov-word> <tmp-dir> <lang-dir>. Intermediate
    files (lexiconp.txt with positions, lexiconp_disambig.txt, phone_map.txt,
    lex_ndisambig, align_lexicon.txt) go to `tmp_dir` (default: <lang-dir>/tmp)."""
    if not 0.0 <= sil_prob < 1.0:
        raise ValueError(f"sil_prob must be in [0, 1), got {sil_prob}")
    d = read_dict_dir(dict_dir)
    out = _LangWriter(Path(lang_dir))
    tmp = Path(tmp_dir) if tmp_dir is not None else out.root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)

    entries = [(w, p, add_word_positions(pron) if position_dependent else pron)
               for w, p, pron in d.lexiconp]
    phone_map = make_phone_map(d, position_dependent)
    disambig_entries, max_disambig = add_lex_disambig(entries)
    ndisambig = max_disambig + NUM_EXTRA_PHONE_DISAMBIG
    write_text_atomic(tmp / "lexiconp.txt", _lexiconp_text(entries))
    write_text_atomic(tmp / "lexiconp_disambig.txt", _lexiconp_text(disambig_entries))
    write_text_atomic(tmp / "phone_map.txt", _lines([p, *v] for p, v in phone_map.items()))
    write_text_atomic(tmp / "lex_ndisambig", f"{ndisambig}\n")

    sets = [apply_map(line, phone_map) for line in d.silence + d.nonsilence]
    silence = apply_map((p for line in d.silence for p in line), phone_map)
    nonsilence = apply_map((p for line in d.nonsilence for p in line), phone_map)
    disambig = [f"#{i}" for i in range(ndisambig + 1)]
    phone_symbols = [EPS, *silence, *nonsilence, *disambig]
    out.phones = {p: i for i, p in enumerate(phone_symbols)}
    word_symbols = _words_table(entries)
    words = {w: i for i, w in enumerate(word_symbols)}
    if oov_word not in words:
        raise InputError(d.path / "lexicon.txt", f"the OOV word '{oov_word}' is not in the "
                         "lexicon", f"add e.g. '{oov_word} SPN' to the lexicon")

    (out.root / "phones").mkdir(parents=True, exist_ok=True)  # the lang dir, once it can be made
    out.text("phones.txt", symbol_table_text(phone_symbols))
    out.text("words.txt", symbol_table_text(word_symbols))
    out.text("oov.txt", f"{oov_word}\n")
    out.text("oov.int", f"{words[oov_word]}\n")
    for name, phones in zip(PHONE_LISTS, (silence, nonsilence, [d.optional_silence], disambig,
                                          silence), strict=True):
        out.phone_list(name, phones)
    out.phone_sets("sets", sets)
    out.phone_sets("roots", [["shared", "split", *s] for s in sets], skip=2)
    out.phone_sets("extra_questions", _extra_questions(d, phone_map, position_dependent))
    out.text("phones/wdisambig.txt", f"{WORD_DISAMBIG}\n")
    out.text("phones/wdisambig_phones.int", f"{out.phones[WORD_DISAMBIG]}\n")
    out.text("phones/wdisambig_words.int", f"{words[WORD_DISAMBIG]}\n")
    _write_word_boundary(out, d, silence + nonsilence, position_dependent)
    _write_align_lexicon(out, tmp, entries, d.optional_silence, words)
    out.text("topo", topo_text([out.phones[p] for p in nonsilence],
                               [out.phones[p] for p in silence],
                               num_nonsil_states, num_sil_states))

    lex = _lexicon_fst(entries, out.phones, words, sil_prob, d.optional_silence, None)
    kaldifst.arcsort(lex, sort_type="olabel")
    out.fst("L.fst", lex)
    lex_disambig = _lexicon_fst(disambig_entries, out.phones, words, sil_prob,
                                d.optional_silence, f"#{ndisambig}")
    kaldifst.add_self_loops(lex_disambig, isyms=[out.phones[WORD_DISAMBIG]],
                            osyms=[words[WORD_DISAMBIG]])
    kaldifst.arcsort(lex_disambig, sort_type="olabel")
    out.fst("L_disambig.fst", lex_disambig)  # last: the step script's completion marker
    return load_lang(out.root)


def _write_word_boundary(out: _LangWriter, d: DictDir, phones: Sequence[str],
                         position_dependent: bool) -> None:
    rows: list[Sequence[str]] = []
    if position_dependent:
        rows = _word_boundary(phones)
    elif (d.path / "word_boundary.txt").is_file():  # made by another tool; copied as is
        text = (d.path / "word_boundary.txt").read_text(encoding="utf-8")
        rows = [line.split()[:2] for line in text.splitlines() if line.strip()]
    for suffix in ("txt", "int"):
        (out.root / f"phones/word_boundary.{suffix}").unlink(missing_ok=True)
    if rows:
        out.text("phones/word_boundary.txt", _lines(rows))
        out.text("phones/word_boundary.int", _lines((out.phones[p], k) for p, k in rows))


def _write_align_lexicon(out: _LangWriter, tmp: Path, entries: Sequence[LexiconEntry],
                         optional_silence: str, words: dict[str, int]) -> None:
    """phones/align_lexicon.{txt,int}: `word word phones...`, sorted and unique; the
    optional silence appears as `<eps> <eps> SIL`."""
    rows = [(w, *pron) for w, _, pron in entries] + [(EPS, optional_silence)]
    write_text_atomic(tmp / "align_lexicon.txt", _lines(rows))
    lines = sorted({" ".join((row[0], *row)) for row in rows})
    out.text("phones/align_lexicon.txt", "".join(line + "\n" for line in lines))
    int_rows = []
    for line in lines:
        w1, w2, *pron = line.split()
        int_rows.append([words[w1], words[w2], *(out.phones[p] for p in pron)])
    out.text("phones/align_lexicon.int", _lines(int_rows))


# --------------------------------------------------------------------------- loading


@dataclass
class Lang:
    """A loaded lang dir (phones.txt, words.txt, phones/*.int, topo)."""

    path: Path
    phones: dict[str, int]
    words: dict[str, int]
    id2word: dict[int, str]
    id2phone: dict[int, str]
    disambig_phone_ids: list[int]
    silence_phone_ids: list[int]
    nonsilence_phone_ids: list[int]
    optional_silence_id: int
    oov_id: int
    word_disambig_id: int
    topo: khg.HmmTopology = field(repr=False)

    @property
    def oov_word(self) -> str:
        return self.id2word[self.oov_id]

    def load_fst(self, name: str) -> kaldifst.StdVectorFst:
        """L.fst, L_disambig.fst or G.fst of this lang dir."""
        p = require_file(self.path / name, LANG_FIX if name != "G.fst"
                         else "add G.fst with local/format_lm.sh")
        return read_fst(p)


def read_fst(path: str | Path) -> kaldifst.StdVectorFst:
    p = require_file(path)
    fst = kaldifst.StdVectorFst.read(str(p))  # None (no exception) on a bad file
    if fst is None:
        raise InputError(p, "not a binary OpenFst StdVectorFst (vector, standard arcs)")
    return fst


def read_symbol_table(path: str | Path) -> dict[str, int]:
    """An OpenFst text symbol table (`symbol id` per line)."""
    p = require_file(path, LANG_FIX)
    table: dict[str, int] = {}
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or not fields[1].isdigit():
            raise InputError(p, f"line {lineno}: expected 'symbol integer-id', got '{line}'")
        if fields[0] in table:
            raise InputError(p, f"line {lineno}: symbol '{fields[0]}' appears twice")
        table[fields[0]] = int(fields[1])
    return table


def read_int_lines(path: str | Path, skip_words: int = 0) -> list[list[int]]:
    """Phone-set files (sets.int, extra_questions.int, roots.int with skip_words=2 for
    `shared split`): one list of ints per non-empty line."""
    p = require_file(path, LANG_FIX)
    try:
        return [[int(x) for x in line.split()[skip_words:]]
                for line in p.read_text().splitlines() if line.strip()]
    except ValueError as err:
        raise InputError(p, f"expected integers: {err}", LANG_FIX) from err


def read_ints(path: str | Path) -> list[int]:
    p = require_file(path, LANG_FIX)
    try:
        return [int(x) for x in p.read_text().split()]
    except ValueError as err:
        raise InputError(p, f"expected integers: {err}", LANG_FIX) from err


def _single_int(path: Path) -> int:
    values = read_ints(path)
    if len(values) != 1:
        raise InputError(path, f"expected one integer, found {len(values)}", LANG_FIX)
    return values[0]


def load_lang(lang_dir: str | Path) -> Lang:
    """Read a lang dir; InputError names the first missing or malformed file."""
    root = require_dir(lang_dir, LANG_FIX)
    for name in REQUIRED_LANG_FILES:
        require_file(root / name, f"the lang dir is incomplete; {LANG_FIX}")
    phones = read_symbol_table(root / "phones.txt")
    words = read_symbol_table(root / "words.txt")
    if WORD_DISAMBIG not in words:
        raise InputError(root / "words.txt", f"no {WORD_DISAMBIG} symbol", LANG_FIX)
    lang = Lang(
        path=root, phones=phones, words=words,
        id2word={i: w for w, i in words.items()}, id2phone={i: p for p, i in phones.items()},
        disambig_phone_ids=read_ints(root / "phones/disambig.int"),
        silence_phone_ids=read_ints(root / "phones/silence.int"),
        nonsilence_phone_ids=read_ints(root / "phones/nonsilence.int"),
        optional_silence_id=_single_int(root / "phones/optional_silence.int"),
        oov_id=_single_int(root / "oov.int"),
        word_disambig_id=words[WORD_DISAMBIG],
        topo=read_topo(root / "topo"),
    )
    if lang.oov_id not in lang.id2word:
        raise InputError(root / "oov.int", f"word id {lang.oov_id} is not in words.txt", LANG_FIX)
    return lang


def check_model_phones(phones_txt: Path, tm: khg.TransitionModel, model: str,
                       fix: str) -> None:
    """The phones of a lang or graph dir's phones.txt (without <eps> and the #n
    disambiguation symbols) are those of the model's transition model, `model` (Kaldi's
    check_phones_compatible.sh): a graph of another lang otherwise builds and decodes into
    nonsense, and alignment stops with a traceback."""
    phones = {i for p, i in read_symbol_table(phones_txt).items()
              if p != EPS and not p.startswith("#")}
    if phones != set(tm.phones):
        raise InputError(phones_txt, f"its {len(phones)} phones are not the "
                         f"{len(set(tm.phones))} of {model}", fix)


@dataclass(frozen=True)
class TranscriptIds:
    """A data dir's transcripts as word ids, words missing from words.txt mapped to the
    lang's OOV word (Kaldi's `sym2int.pl --map-oov` in its trainers and aligners)."""

    word_ids: dict[str, list[int]]  # utt -> ids
    tokens: int
    oov_tokens: int
    oov_words: dict[str, int]  # word -> count, most frequent first

    def oov_share(self) -> str:
        """e.g. '12 of 3400 words (0.35 %, 9 distinct: ZEBRA (3), ...)'."""
        first = ", ".join(f"{w} ({n})" for w, n in list(self.oov_words.items())[:8])
        return (f"{self.oov_tokens} of {self.tokens} words "
                f"({100 * self.oov_tokens / max(self.tokens, 1):.2f} %, "
                f"{len(self.oov_words)} distinct: {first})")


MAX_OOV_FRACTION = 0.05  # above this, a lexicon for another text, not a few rare words


def transcript_ids(lang: Lang, texts: Mapping[str, str], source_path: str | Path,
                   max_oov_fraction: float = MAX_OOV_FRACTION) -> TranscriptIds:
    """Word ids of every transcript in `texts` (utt -> words), unknown words as the OOV
    word; more than `max_oov_fraction` of the tokens unknown is an error naming the text."""
    ids = {utt: [lang.words.get(w, lang.oov_id) for w in text.split()]
           for utt, text in texts.items()}
    oov = Counter(w for text in texts.values() for w in text.split() if w not in lang.words)
    oov_tokens = sum(oov.values())
    result = TranscriptIds(ids, sum(len(i) for i in ids.values()), oov_tokens,
                           dict(sorted(oov.items(), key=lambda kv: (-kv[1], kv[0]))))
    if oov_tokens > max_oov_fraction * result.tokens:
        raise InputError(source_path, f"{result.oov_share()} are not in "
                         f"{lang.path / 'words.txt'} (at most {100 * max_oov_fraction:g} % "
                         "may train as the OOV word)",
                         "make the lexicon cover the text (local/prepare_dict.sh "
                         "--extra-lexicon) and rerun local/prepare_lang.sh")
    return result
