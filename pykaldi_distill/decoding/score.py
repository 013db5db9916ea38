"""Word error rate scoring the way Kaldi does it (compute-wer, best_wer.sh, wer_details).

Alignments come from `kaldialign.align` (Levenshtein with unit ins/del/sub costs, like
Kaldi's LevenshteinEditDistance). Output files and lines reproduce Kaldi's formats:

* `format_wer`: compute-wer's `%WER` / `%SER` / `Scored ...` lines;
* `best_wer`: utils/best_wer.sh's `%WER ... <wer-file>` line (lowest WER, ties -> first);
* `format_per_utt` / `format_per_spk`: utils/scoring/wer_per_{utt,spk}_details.pl tables.

Decode directory layout written by `score_decode_dir` (steps/scoring/score_kaldi_wer.sh):

    <decode-dir>/wer_<lmwt>_<wip>                            compute-wer output per setting
    <decode-dir>/scoring_kaldi/test_filt.txt                 the (filtered) reference text
    <decode-dir>/scoring_kaldi/penalty_<wip>/<lmwt>.txt      the hypotheses, as decoded
    <decode-dir>/scoring_kaldi/best_wer                      the best_wer.sh line
    <decode-dir>/scoring_kaldi/wer_details/{lmwt,wip,per_utt,per_spk}   for the best setting

A "setting" is named `<lmwt>_<wip>`, e.g. `10_0.0` for LM weight 10 and word insertion
penalty 0.0, exactly the suffix of Kaldi's `wer_10_0.0` files.

No text normalisation happens unless asked for: Kaldi scores words as given. Pass a
`filter_regex` (e.g. `NOISE_REGEX`) to drop whole tokens that match it from references and
hypotheses, as the `sed 's:<UNK>::g'`-style filters of wsj's score.sh do. Unlike Kaldi,
the penalty_<wip>/<lmwt>.txt files keep the unfiltered words: here the decoder writes them
(they are its output, not a scoring by-product); `score_decode_dir` writes the hypotheses
it is given and leaves an identical existing file untouched. test_filt.txt holds the
filtered references, as in Kaldi.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import kaldialign
import numpy as np

from ..errors import InputError, PkdError, require_file
from ..formats.io import write_text_atomic

Mode = Literal["present", "all", "strict"]
MODES: tuple[str, ...] = ("present", "all", "strict")
Pair = tuple[str | None, str | None]  # (ref word, hyp word); None is the empty word

EPS = "***"  # how score_kaldi_wer.sh renders the empty word in wer_details/per_utt
# Tokens that are not words: <UNK>, <sil>, <NOISE>, [noise], [laughter], !SIL ...
NOISE_REGEX = r"<[^<>\s]+>|\[[^\[\]\s]+\]|!SIL"

_WER_LINE = re.compile(r"%WER\s+(\S+)")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# --------------------------------------------------------------------------- statistics


def _kaldi_percent(num: int, den: int) -> float:
    """100 * num / den as compute-wer computes it: in double, then stored as a float32."""
    if den == 0:
        return math.nan if num == 0 else math.inf
    return float(np.float32(100.0 * num / den))


@dataclass(frozen=True)
class WerStats:
    """Corpus-level error counts, as summed by compute-wer."""

    errors: int = 0
    ref_words: int = 0
    ins: int = 0
    dels: int = 0
    subs: int = 0
    num_sents: int = 0
    sent_errors: int = 0
    num_absent: int = 0  # reference utterances without a hypothesis

    @property
    def wer(self) -> float:
        """Word error rate in % (nan when there are no reference words and no errors)."""
        return _kaldi_percent(self.errors, self.ref_words)

    @property
    def ser(self) -> float:
        """Sentence error rate in %."""
        return _kaldi_percent(self.sent_errors, self.num_sents)

    def __add__(self, other: WerStats) -> WerStats:
        return WerStats(
            errors=self.errors + other.errors,
            ref_words=self.ref_words + other.ref_words,
            ins=self.ins + other.ins,
            dels=self.dels + other.dels,
            subs=self.subs + other.subs,
            num_sents=self.num_sents + other.num_sents,
            sent_errors=self.sent_errors + other.sent_errors,
            num_absent=self.num_absent + other.num_absent,
        )


@dataclass(frozen=True)
class Alignment:
    """The word alignment of one utterance; None on one side is an insertion/deletion."""

    utt: str
    pairs: tuple[Pair, ...]

    @property
    def ops(self) -> list[str]:
        """Kaldi's edit operations per pair: C(orrect), S(ub), I(ns), D(el)."""
        return [_op(ref, hyp) for ref, hyp in self.pairs]

    def counts(self) -> dict[str, int]:
        ops = self.ops
        return {op: ops.count(op) for op in "CSID"}

    def stats(self) -> WerStats:
        c = self.counts()
        errors = c["S"] + c["I"] + c["D"]
        return WerStats(errors=errors, ref_words=c["C"] + c["S"] + c["D"], ins=c["I"],
                        dels=c["D"], subs=c["S"], num_sents=1, sent_errors=int(errors > 0))


def _op(ref: str | None, hyp: str | None) -> str:
    if hyp is None:
        return "D"
    if ref is None:
        return "I"
    return "C" if ref == hyp else "S"


def align_words(ref: Sequence[str], hyp: Sequence[str]) -> tuple[Pair, ...]:
    """Minimum-edit-distance alignment of two word sequences (None marks the empty word).

    Words are mapped to integers first, so no real word can collide with the epsilon.
    """
    vocab: dict[str, int] = {}
    ref_ids = [vocab.setdefault(w, len(vocab)) for w in ref]
    hyp_ids = [vocab.setdefault(w, len(vocab)) for w in hyp]
    words = list(vocab)
    return tuple(
        (None if r < 0 else words[r], None if h < 0 else words[h])
        for r, h in kaldialign.align(ref_ids, hyp_ids, -1)
    )


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise PkdError(f"invalid scoring mode '{mode}' (use one of {', '.join(MODES)})")


def align_utterances(refs: Mapping[str, Sequence[str]], hyps: Mapping[str, Sequence[str]],
                     mode: Mode = "present") -> tuple[list[Alignment], int]:
    """Align each reference with its hypothesis; return (alignments, number of absent hyps).

    Kaldi compute-wer modes: "present" skips references without a hypothesis, "all"
    scores them against an empty hypothesis, "strict" raises PkdError. Hypotheses without
    a reference are ignored in every mode.
    """
    _check_mode(mode)
    alignments: list[Alignment] = []
    absent = 0
    for utt, ref in refs.items():
        hyp = hyps.get(utt)
        if hyp is None:
            if mode == "strict":
                raise PkdError(f"no hypothesis for utterance '{utt}' (mode=strict)")
            absent += 1
            if mode == "present":
                continue
            hyp = []
        alignments.append(Alignment(utt, align_words(ref, hyp)))
    return alignments, absent


def compute_wer(refs: Mapping[str, Sequence[str]], hyps: Mapping[str, Sequence[str]],
                mode: Mode = "present") -> WerStats:
    """Corpus WER like Kaldi's `compute-wer --mode=<mode>` (see `align_utterances`)."""
    alignments, absent = align_utterances(refs, hyps, mode)
    total = sum((a.stats() for a in alignments), WerStats())
    return replace(total, num_absent=absent)


def format_wer(stats: WerStats) -> str:
    """compute-wer's three output lines (newline-terminated), 2 decimals like Kaldi."""
    partial = " [PARTIAL]" if stats.num_absent else ""
    return (
        f"%WER {stats.wer:.2f} [ {stats.errors} / {stats.ref_words}, {stats.ins} ins, "
        f"{stats.dels} del, {stats.subs} sub ]{partial}\n"
        f"%SER {stats.ser:.2f} [ {stats.sent_errors} / {stats.num_sents} ]\n"
        f"Scored {stats.num_sents} sentences, {stats.num_absent} not present in hyp.\n"
    )


# --------------------------------------------------------------------------- details


def _center(text: str, width: int) -> str:
    """wer_per_utt_details.pl's cjustify: the odd padding space goes to the left."""
    right = (width - len(text)) // 2
    return " " * (width - len(text) - right) + text + " " * right


def format_per_utt(alignments: Iterable[Alignment], eps: str = EPS) -> str:
    """wer_details/per_utt: `ref`, `hyp`, `op` rows (columns centred) and `#csid` counts."""
    lines: list[str] = []
    for a in alignments:
        refs = [eps if r is None else r for r, _ in a.pairs]
        hyps = [eps if h is None else h for _, h in a.pairs]
        ops = a.ops
        widths = [max(len(r), len(h), len(o)) for r, h, o in zip(refs, hyps, ops, strict=True)]
        for tag, row in (("ref  ", refs), ("hyp  ", hyps), ("op   ", ops)):
            cells = [_center(t, w) for t, w in zip(row, widths, strict=True)]
            lines.append(f"{a.utt} {tag}" + "  ".join(cells))
        c = a.counts()
        lines.append(f"{a.utt} #csid {c['C']} {c['S']} {c['I']} {c['D']}")
    return "".join(line + "\n" for line in lines)


@dataclass
class SpkStats:
    """Per-speaker sums of wer_per_spk_details.pl."""

    sents: int = 0
    corr: int = 0
    subs: int = 0
    ins: int = 0
    dels: int = 0
    sent_errors: int = 0

    @property
    def words(self) -> int:
        return self.corr + self.subs + self.dels

    @property
    def errors(self) -> int:
        return self.subs + self.ins + self.dels

    @property
    def wer(self) -> float:
        """Word error rate in %, as compute-wer computes it (nan/inf without words)."""
        return _kaldi_percent(self.errors, self.words)

    def add(self, a: Alignment) -> None:
        c = a.counts()
        self.sents += 1
        self.corr += c["C"]
        self.subs += c["S"]
        self.ins += c["I"]
        self.dels += c["D"]
        self.sent_errors += int(c["S"] + c["I"] + c["D"] > 0)


def per_spk_stats(alignments: Iterable[Alignment],
                  utt2spk: Mapping[str, str]) -> dict[str, SpkStats]:
    """Sum alignment counts per speaker, sorted by speaker id."""
    by_spk: dict[str, SpkStats] = {}
    for a in alignments:
        if a.utt not in utt2spk:
            raise PkdError(f"utterance '{a.utt}' has no speaker in utt2spk")
        by_spk.setdefault(utt2spk[a.utt], SpkStats()).add(a)
    return dict(sorted(by_spk.items()))


def _spk_rows(name: str, s: SpkStats, spk_width: int) -> list[str]:
    raw = [s.sents, s.words, s.corr, s.subs, s.ins, s.dels, s.errors, s.sent_errors]
    rows = [f"{name:<{spk_width}} raw " + " ".join(f"{x:10d}" for x in raw)]
    if s.words:
        w = float(s.words)
        pct = [s.corr, s.subs, s.ins, s.dels, s.errors]
        sys = [f"{s.sents:10d}", f"{s.words:10d}"] + [f"{100 * x / w:10.2f}" for x in pct]
        sys.append(f"{100.0 * s.sent_errors / s.sents:10.2f}")
        rows.append(f"{name:<{spk_width}} sys " + " ".join(sys))
    return rows


def format_per_spk(alignments: Iterable[Alignment], utt2spk: Mapping[str, str]) -> str:
    """wer_details/per_spk: `raw` counts and `sys` percentages per speaker, then SUM."""
    spk_width = max([15, *(len(s) for s in utt2spk.values())])
    heads = ["#SENT", "#WORD", "Corr", "Sub", "Ins", "Del", "Err", "S.Err"]
    lines = [f"{'SPEAKER':<{spk_width}} id  " + " ".join(f"{h:>10}" for h in heads)]
    total = SpkStats()
    for spk, s in per_spk_stats(alignments, utt2spk).items():
        lines += _spk_rows(spk, s, spk_width)
        for name in ("sents", "corr", "subs", "ins", "dels", "sent_errors"):
            setattr(total, name, getattr(total, name) + getattr(s, name))
    lines += _spk_rows("SUM", total, spk_width)
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- best_wer


def _wer_value(text: str) -> tuple[float, str] | None:
    """(WER value, `%WER ...` line) of the first %WER line in a compute-wer output."""
    for line in text.splitlines():
        m = _WER_LINE.search(line)
        if m is None:
            continue
        try:
            value = float(m.group(1))  # also "nan", "-nan", "inf" as Kaldi prints them
        except ValueError:
            continue
        return value, " ".join(line[m.start():].split())
    return None


def _pick_best(wer_files: Sequence[str | Path]) -> tuple[int, str]:
    best: tuple[int, float, str] | None = None
    for index, path in enumerate(wer_files):
        found = _wer_value(require_file(path).read_text(encoding="utf-8"))
        if found is None:
            continue
        value, line = found
        value = math.inf if math.isnan(value) else value
        if best is None or value < best[1]:
            best = (index, value, f"{line} {path}")
    if best is None:
        names = ", ".join(str(p) for p in wer_files) or "(no files)"
        raise PkdError(f"no %WER line in any of: {names}")
    return best[0], best[2]


def best_wer(wer_files: Sequence[str | Path]) -> str:
    """utils/best_wer.sh: the `%WER ... <file>` line with the lowest WER.

    WERs are compared as printed (2 decimals); on a tie the earlier file wins; a nan WER
    (no reference words) never beats a number. Files without a %WER line are skipped; if
    none has one, PkdError.
    """
    return _pick_best(wer_files)[1]


# --------------------------------------------------------------------------- text files


def parse_text(lines: Iterable[str], source: str | Path) -> dict[str, list[str]]:
    """Parse Kaldi `text` lines (`utt-id word word ...`); an id alone is an empty text."""
    texts: dict[str, list[str]] = {}
    for lineno, line in enumerate(lines, 1):
        words = line.split()
        if not words:
            continue
        if words[0] in texts:
            raise InputError(source, f"line {lineno}: duplicate utterance '{words[0]}'",
                             "keep one line per utterance")
        texts[words[0]] = words[1:]
    return texts


def read_text(path: str | Path) -> dict[str, list[str]]:
    """Read a Kaldi `text` file into {utt: words}."""
    p = require_file(path)
    return parse_text(p.read_text(encoding="utf-8").splitlines(), p)


def format_text(texts: Mapping[str, Sequence[str]]) -> str:
    """Kaldi `text` format, sorted by utterance id (C order)."""
    return "".join(" ".join([utt, *texts[utt]]) + "\n" for utt in sorted(texts))


def filter_words(words: Sequence[str], regex: str | re.Pattern[str]) -> list[str]:
    """Drop the tokens that match `regex` in full (e.g. NOISE_REGEX drops <UNK>, [noise])."""
    pattern = re.compile(regex) if isinstance(regex, str) else regex
    return [w for w in words if not pattern.fullmatch(w)]


def filter_texts(texts: Mapping[str, Sequence[str]],
                 regex: str | None) -> dict[str, list[str]]:
    """`filter_words` on every utterance; `regex=None` leaves the words as they are."""
    if not regex:
        return {utt: list(words) for utt, words in texts.items()}
    pattern = re.compile(regex)
    return {utt: filter_words(words, pattern) for utt, words in texts.items()}


def map_texts(texts: Mapping[str, Sequence[str]],
              word_map: Mapping[str, str] | None) -> dict[str, list[str]]:
    """Each word through `word_map` (e.g. OH -> ZERO when a model's task reads 0 as "oh"
    but the references never do; Kaldi recipes do this with a wer_output_filter)."""
    if not word_map:
        return {utt: list(words) for utt, words in texts.items()}
    return {utt: [word_map.get(w, w) for w in words] for utt, words in texts.items()}


def read_word_map(path: str | Path) -> dict[str, str]:
    """A word map file: one `FROM TO` pair per line."""
    pairs: dict[str, str] = {}
    for n, line in enumerate(require_file(path).read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise InputError(path, f"line {n}: expected 'FROM TO', got '{line}'")
        pairs[fields[0]] = fields[1]
    return pairs


# --------------------------------------------------------------------------- decode dirs


@dataclass(frozen=True)
class Setting:
    """One scoring setting: LM weight and word insertion penalty, as written in names."""

    lmwt: str
    wip: str

    @property
    def name(self) -> str:
        return f"{self.lmwt}_{self.wip}"

    @classmethod
    def parse(cls, name: str) -> Setting:
        lmwt, sep, wip = name.rpartition("_")
        if not (sep and _NUMBER.fullmatch(lmwt) and _NUMBER.fullmatch(wip)):
            raise PkdError(f"bad scoring setting '{name}' (expected <lmwt>_<wip>, e.g. 10_0.0)")
        return cls(lmwt, wip)

    def sort_key(self) -> tuple[float, float]:
        """score_kaldi_wer.sh's loop order: WIP outer, LMWT inner, both ascending."""
        return float(self.wip), float(self.lmwt)


@dataclass(frozen=True)
class ScoreResult:
    best: Setting
    best_line: str  # the best_wer line, as written to scoring_kaldi/best_wer
    stats: dict[str, WerStats] = field(default_factory=dict)  # by setting name


def hyp_path(decode_dir: str | Path, setting: Setting) -> Path:
    """Where the hypotheses of one setting live: scoring_kaldi/penalty_<wip>/<lmwt>.txt."""
    return Path(decode_dir) / "scoring_kaldi" / f"penalty_{setting.wip}" / f"{setting.lmwt}.txt"


def find_hyp_files(decode_dir: str | Path) -> dict[str, Path]:
    """{setting name: path} of `<decode_dir>/scoring_kaldi/penalty_<wip>/<lmwt>.txt`."""
    found: dict[str, Path] = {}
    for path in sorted(Path(decode_dir).glob("scoring_kaldi/penalty_*/[0-9]*.txt")):
        name = f"{path.stem}_{path.parent.name.removeprefix('penalty_')}"
        if _NUMBER.fullmatch(path.stem) and _NUMBER.fullmatch(name.rpartition("_")[2]):
            found[name] = path
    return found


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, leaving an identical existing file (e.g. the decoder's) untouched."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    write_text_atomic(path, text)


def score_decode_dir(
    decode_dir: str | Path,
    ref_text: Mapping[str, Sequence[str]],
    hyps_by_setting: Mapping[str, Mapping[str, Sequence[str]]],
    utt2spk: Mapping[str, str],
    *,
    filter_regex: str | None = None,
    word_map: Mapping[str, str] | None = None,
    mode: Mode = "present",
) -> ScoreResult:
    """Score every setting into `decode_dir` like steps/scoring/score_kaldi_wer.sh.

    Writes the files listed in the module docstring, all atomically. The best setting is
    chosen by `best_wer` over the wer files in Kaldi's loop order (ties -> smallest WIP,
    then smallest LMWT).
    """
    decode_dir = Path(decode_dir)
    if not hyps_by_setting:
        raise PkdError(f"{decode_dir}: no hypotheses to score")
    settings = sorted((Setting.parse(n) for n in hyps_by_setting), key=Setting.sort_key)
    refs = map_texts(filter_texts(ref_text, filter_regex), word_map)
    scoring = decode_dir / "scoring_kaldi"
    write_text_atomic(scoring / "test_filt.txt", format_text(refs))
    stats: dict[str, WerStats] = {}
    hyps_used: list[dict[str, list[str]]] = []
    wer_files: list[Path] = []
    for s in settings:
        _write_if_changed(hyp_path(decode_dir, s), format_text(hyps_by_setting[s.name]))
        hyps = map_texts(filter_texts(hyps_by_setting[s.name], filter_regex), word_map)
        stats[s.name] = compute_wer(refs, hyps, mode)
        wer_files.append(decode_dir / f"wer_{s.name}")
        write_text_atomic(wer_files[-1], format_wer(stats[s.name]))
        hyps_used.append(hyps)
    index, line = _pick_best(wer_files)
    write_text_atomic(scoring / "best_wer", line + "\n")
    _write_details(scoring / "wer_details", settings[index], refs, hyps_used[index], utt2spk)
    return ScoreResult(best=settings[index], best_line=line, stats=stats)


def _write_details(details: Path, best: Setting, refs: Mapping[str, Sequence[str]],
                   hyps: Mapping[str, Sequence[str]], utt2spk: Mapping[str, str]) -> None:
    # align-text only aligns utterances present in both, whatever the scoring mode.
    alignments, _ = align_utterances(refs, hyps, "present")
    per_spk = format_per_spk(alignments, utt2spk)  # validates utt2spk before any write
    write_text_atomic(details / "lmwt", best.lmwt + "\n")
    write_text_atomic(details / "wip", best.wip + "\n")
    write_text_atomic(details / "per_utt", format_per_utt(alignments))
    write_text_atomic(details / "per_spk", per_spk)
