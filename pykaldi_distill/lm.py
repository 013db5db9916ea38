"""N-gram language models: training (interpolated Witten-Bell) to ARPA, relative-entropy
pruning (SRILM's `ngram -prune`), G.fst via kaldilm.arpa2fst, and format_lm (Kaldi's
utils/format_lm.sh).

The ARPA model is a proper back-off model: for a listed history h,
P(w|h) = p(h w) if `h w` is listed, else bow(h) * P(w|h minus its first word), and every
history's distribution sums to one over the vocabulary (all unigrams except <s>).
"""

from __future__ import annotations

import contextlib
import gzip
import math
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import kaldifst

from .errors import InputError, require_file
from .formats.io import atomic_path
from .lang import EPS, WORD_DISAMBIG, Lang, load_lang, write_fst
from .lexicon import SIL_WORD, UNK_WORD

BOS, EOS = "<s>", "</s>"
LOG10_ZERO = -99.0  # ARPA's probability for <s>, which is never predicted
Ngram = tuple[str, ...]


@dataclass
class NgramLm:
    """A back-off n-gram model as in an ARPA file; `ngrams[n - 1]` maps each n-gram to
    (log10 prob, log10 back-off weight or None when the n-gram is no history)."""

    order: int
    ngrams: list[dict[Ngram, tuple[float, float | None]]] = field(default_factory=list)

    @property
    def vocab(self) -> list[str]:
        """The words the model predicts (unigrams except <s>)."""
        return [g[0] for g in self.ngrams[0] if g[0] != BOS]

    def log10_prob(self, word: str, history: Sequence[str]) -> float:
        """log10 P(word | history) with ARPA back-off; -inf for a word outside the vocab."""
        hist = tuple(history)[-(self.order - 1):] if self.order > 1 else ()
        backoff = 0.0
        while True:
            entry = self.ngrams[len(hist)].get((*hist, word))
            if entry is not None:
                return backoff + entry[0]
            if not hist:
                return -math.inf
            hist_entry = self.ngrams[len(hist) - 1].get(hist)
            if hist_entry is not None and hist_entry[1] is not None:
                backoff += hist_entry[1]
            hist = hist[1:]


# --------------------------------------------------------------------------- training


def count_ngrams(sentences: Iterable[Sequence[str]], order: int) -> list[Counter[Ngram]]:
    """Counts of every n-gram (n = 1..order) predicting a token of `<s> words </s>`."""
    counts: list[Counter[Ngram]] = [Counter() for _ in range(order)]
    for sentence in sentences:
        tokens = (BOS, *sentence, EOS)
        for i in range(1, len(tokens)):
            for n in range(1, min(order, i + 1) + 1):
                counts[n - 1][tokens[i - n + 1:i + 1]] += 1
    return counts


def _history_stats(counts: Counter[Ngram]) -> tuple[Counter[Ngram], Counter[Ngram]]:
    """Per history: total count c(h) and number of distinct following words T(h)."""
    total: Counter[Ngram] = Counter()
    types: Counter[Ngram] = Counter()
    for gram, c in counts.items():
        total[gram[:-1]] += c
        types[gram[:-1]] += 1
    return total, types


def train_witten_bell(sentences: Iterable[Sequence[str]], order: int,
                      vocab: Iterable[str] = ()) -> NgramLm:
    """Interpolated Witten-Bell n-gram model:
    P(w|h) = (c(h w) + T(h) P(w|h')) / (c(h) + T(h)), interpolating the unigram with a
    uniform distribution over the vocabulary (seen words, </s> and `vocab`), so words of
    `vocab` that the text lacks still get a probability."""
    if not 1 <= order <= 3:
        raise ValueError(f"order must be 1, 2 or 3, got {order}")
    counts = count_ngrams(sentences, order)
    words = sorted(({g[0] for g in counts[0]} | {EOS} | set(vocab)) - {BOS})
    lm = NgramLm(order=order, ngrams=[{} for _ in range(order)])
    total, types = sum(counts[0].values()), len(counts[0])
    for w in words:
        lm.ngrams[0][(w,)] = (math.log10((counts[0][(w,)] + types / len(words))
                                         / (total + types)), None)
    lm.ngrams[0][(BOS,)] = (LOG10_ZERO, None)
    for n in range(2, order + 1):
        hist_total, hist_types = _history_stats(counts[n - 1])
        for gram, c in sorted(counts[n - 1].items()):
            h = gram[:-1]
            lower = 10.0 ** lm.log10_prob(gram[-1], h[1:])
            prob = (c + hist_types[h] * lower) / (hist_total[h] + hist_types[h])
            lm.ngrams[n - 1][gram] = (math.log10(prob), None)
        for h, t in hist_types.items():
            prob, _ = lm.ngrams[n - 2][h]
            lm.ngrams[n - 2][h] = (prob, math.log10(t / (hist_total[h] + t)))
    return lm


def lm_vocabulary(words_txt: str | Path) -> set[str]:
    """The words of a lang's words.txt an LM may predict (no <eps>, #0, <s>, </s>, !SIL)."""
    p = require_file(words_txt, "make the lang dir with local/prepare_lang.sh")
    fields = (line.split() for line in p.read_text(encoding="utf-8").splitlines())
    return {f[0] for f in fields if f and f[0] not in (EPS, BOS, EOS, SIL_WORD)
            and not f[0].startswith("#")}


def read_lm_text(paths: Iterable[str | Path], vocab: set[str] | None = None,
                 oov: str = UNK_WORD, has_utt_ids: bool = True) -> list[list[str]]:
    """Sentences of Kaldi `text` files (utterance id dropped); with `vocab`, other words
    become `oov`."""
    sentences: list[list[str]] = []
    paths = list(paths)
    for path in paths:
        p = require_file(path)
        for line in p.read_text(encoding="utf-8").splitlines():
            words = line.split()[1:] if has_utt_ids else line.split()
            if vocab is not None:
                words = [w if w in vocab else oov for w in words]
            sentences.append(words)
    if not any(sentences):
        raise InputError(", ".join(map(str, paths)), "no words to train a language model on")
    return sentences


# --------------------------------------------------------------------------- pruning

_PROB_EPSILON = 3e-6  # SRILM's Prob_Epsilon: slack for rounding in back-off weight sums
_LN10 = math.log(10.0)


def ngram_counts(lm: NgramLm) -> list[int]:
    """How many n-grams of each order the model lists (index 0: unigrams)."""
    return [len(grams) for grams in lm.ngrams]


def format_ngram_counts(counts: Sequence[int]) -> str:
    return ", ".join(f"{c} {n + 1}-grams" for n, c in enumerate(counts))


def _group_by_history(grams: dict[Ngram, tuple[float, float | None]]
                      ) -> dict[Ngram, list[tuple[str, float]]]:
    """history -> [(word, log10 prob)] of the explicitly listed n-grams."""
    groups: dict[Ngram, list[tuple[str, float]]] = {}
    for gram, (prob, _) in grams.items():
        groups.setdefault(gram[:-1], []).append((gram[-1], prob))
    return groups


def _backoff_sums(lm: NgramLm, hist: Ngram, children: list[tuple[str, float]]
                  ) -> tuple[float, float, list[float]] | None:
    """For a history with explicit words W: the numerator 1 - sum_W P(w|h) and denominator
    1 - sum_W P(w|h') of its back-off weight (h' = h minus its first word), and
    log10 P(w|h') per explicit word; None when the sums are improper (as SRILM's
    computeBOW, a history whose back-off distribution has no mass left)."""
    lower_hist = hist[1:]
    lower = [lm.log10_prob(w, lower_hist) for w, _ in children]
    num = 1.0 - math.fsum(10.0 ** p for _, p in children)
    den = 1.0 - math.fsum(10.0 ** q for q in lower)
    if -_PROB_EPSILON < num < 0.0:
        num = 0.0
    if -_PROB_EPSILON < den < 0.0:
        den = 0.0
    if num < 0.0 or (den <= 0.0 and num > _PROB_EPSILON):
        return None
    if den <= 0.0:
        num = den = 0.0
    return num, den, lower


def _log10_bow(num: float, den: float) -> float:
    if den == 0.0:
        return 0.0  # every word is explicit: no back-off mass either way
    return math.log10(num) - math.log10(den) if num > 0.0 else LOG10_ZERO


def _context_log10_prob(lm: NgramLm, hist: Ngram, memo: dict[Ngram, float]) -> float:
    """log10 P(h) by the chain rule over the model's own lower-order probabilities, a
    leading <s> scored as </s> (its unigram probability is zero), as SRILM's contextProb."""
    cached = memo.get(hist)
    if cached is not None:
        return cached
    if len(hist) == 1:
        prob = lm.log10_prob(EOS if hist[0] == BOS else hist[0], ())
    else:
        prob = _context_log10_prob(lm, hist[:-1], memo) + lm.log10_prob(hist[-1], hist[:-1])
    memo[hist] = prob
    return prob


def _recompute_backoff_weights(lm: NgramLm, hists: Iterable[Ngram],
                               groups: dict[Ngram, list[tuple[str, float]]]) -> None:
    """Set each history's back-off weight so that its distribution sums to one, given its
    explicit n-grams `groups[h]` (no entry: it is no history any more, no weight)."""
    for hist in hists:
        entry = lm.ngrams[len(hist) - 1].get(hist)
        if entry is None:
            continue
        children = groups.get(hist)
        if not children:
            lm.ngrams[len(hist) - 1][hist] = (entry[0], None)
            continue
        sums = _backoff_sums(lm, hist, children)
        if sums is not None:  # an improper history keeps its weight
            lm.ngrams[len(hist) - 1][hist] = (entry[0], _log10_bow(sums[0], sums[1]))


def _prune_order(lm: NgramLm, n: int, threshold: float) -> set[Ngram]:
    """Remove the prunable n-grams of order `n` in place; return their histories."""
    grams = lm.ngrams[n - 1]
    hist_entries = lm.ngrams[n - 2]
    # An n-gram that is the history of a kept (n+1)-gram stays: the ARPA file needs it.
    needed = {g[:-1] for g in lm.ngrams[n]} if n < lm.order else set()
    memo: dict[Ngram, float] = {}
    doomed: list[Ngram] = []
    for hist, children in _group_by_history(grams).items():
        sums = _backoff_sums(lm, hist, children)
        if sums is None:
            continue
        num, den, lower = sums
        bow = hist_entries[hist][1] or 0.0
        p_hist = 10.0 ** _context_log10_prob(lm, hist, memo)
        candidates = list(zip(children, lower, strict=True))
        # When h lists every word (no back-off mass), removing any one n-gram alone costs
        # nothing (backing off gives it its probability back), so there the removals are
        # scored one after another against the model without the ones already removed,
        # least divergent first. Elsewhere each is scored alone against the full model,
        # as SRILM does.
        sequential = den == 0.0
        if sequential:
            candidates.sort(key=lambda c: 10.0 ** c[0][1] * (c[0][1] - c[1]))
        for (word, log_p), log_q in candidates:
            gram = (*hist, word)
            if gram in needed:
                continue
            p, q = 10.0 ** log_p, 10.0 ** log_q
            # Back-off weight of h without this n-gram, then the change of
            # P(h) * D(P(.|h) || P'(.|h)): the n-gram's own term plus the re-scaled
            # back-off mass (the numerator) of the words h already backs off for.
            new_bow = math.log10(num + p) - math.log10(den + q)
            delta = -p_hist * (p * (log_q + new_bow - log_p) + num * (new_bow - bow))
            if math.expm1(delta * _LN10) < threshold:  # relative change of perplexity
                doomed.append(gram)
                if sequential:
                    num, den, bow = num + p, den + q, new_bow
    for gram in doomed:
        del grams[gram]
    return {g[:-1] for g in doomed}


def prune_relative_entropy(lm: NgramLm, threshold: float) -> NgramLm:
    """Stolcke (1998) relative-entropy pruning, as SRILM's `ngram -prune threshold`.

    For each order from the highest down to bigrams, every n-gram h w is scored by the
    model change its removal alone would cause: P(h) * D(P(.|h) || P'(.|h)) with P(h)
    from the model itself (chain rule over lower orders) and P' backing off for w with a
    re-normalised back-off weight; it is removed when the relative perplexity change
    10**D - 1 (log10 units, as SRILM) is below `threshold`. Unigrams and n-grams that
    are the history of a kept higher-order n-gram always stay; then the back-off weights
    of the histories that lost n-grams, and of the longer histories backing off to them,
    are recomputed: bow(h) = (1 - sum_w P(w|h)) / (1 - sum_w P(w|h')) over h's explicit
    words. Threshold 0 keeps everything. Returns a new model; `lm` is left unchanged.

    One departure from SRILM: in a history that lists every word (no back-off mass),
    each removal alone is free, so SRILM would remove all its n-grams at once; here they
    are scored one after another instead (see _prune_order)."""
    if not math.isfinite(threshold) or threshold < 0.0:
        raise ValueError(f"the pruning threshold must be finite and >= 0, got {threshold}")
    pruned = NgramLm(order=lm.order, ngrams=[dict(grams) for grams in lm.ngrams])
    if threshold == 0.0:
        return pruned
    for n in range(lm.order, 1, -1):
        changed = _prune_order(pruned, n, threshold)  # histories whose distribution changed
        _recompute_backoff_weights(pruned, changed, _group_by_history(pruned.ngrams[n - 1]))
        # Longer histories back off (maybe through unlisted ones) to a changed distribution.
        for k in range(n, lm.order):
            groups = _group_by_history(pruned.ngrams[k])
            stale = [h for h in groups if any(h[j:] in changed for j in range(1, k))]
            _recompute_backoff_weights(pruned, stale, groups)
            changed.update(stale)
    return pruned


# --------------------------------------------------------------------------- ARPA


def _fmt(x: float) -> str:
    return f"{x:.7f}"


def arpa_text(lm: NgramLm) -> str:
    lines = ["", "\\data\\"] + [f"ngram {n + 1}={len(g)}" for n, g in enumerate(lm.ngrams)]
    for n, grams in enumerate(lm.ngrams):
        lines += ["", f"\\{n + 1}-grams:"]
        for gram, (prob, bow) in sorted(grams.items()):
            fields = [_fmt(prob), " ".join(gram)] + ([] if bow is None else [_fmt(bow)])
            lines.append("\t".join(fields))
    lines += ["", "\\end\\"]
    return "\n".join(lines) + "\n"


def write_arpa(lm: NgramLm, path: str | Path) -> None:
    """Write ARPA text, gzipped when `path` ends in .gz, atomically."""
    data = arpa_text(lm).encode("utf-8")
    with atomic_path(path) as tmp:
        if str(path).endswith(".gz"):
            with gzip.open(tmp, "wb") as f:
                f.write(data)
        else:
            tmp.write_bytes(data)


def _read_text_maybe_gz(p: Path) -> str:
    if p.suffix == ".gz":
        try:
            with gzip.open(p, "rt", encoding="utf-8") as f:
                return f.read()
        except (OSError, EOFError) as err:
            raise InputError(p, f"cannot gunzip: {err}") from err
    return p.read_text(encoding="utf-8")


def _parse_ngram_line(p: Path, lineno: int, line: str, n: int
                      ) -> tuple[Ngram, tuple[float, float | None]]:
    fields = line.split()
    if len(fields) not in (n + 1, n + 2):
        raise InputError(p, f"line {lineno}: expected 'log10-prob {n} word(s) [bow]'")
    try:
        prob = float(fields[0])
        bow = float(fields[n + 1]) if len(fields) == n + 2 else None
    except ValueError as err:
        raise InputError(p, f"line {lineno}: {err}") from err
    return tuple(fields[1:n + 1]), (prob, bow)


def read_arpa(path: str | Path) -> NgramLm:
    """Read and check an ARPA file (plain or .gz): sections, declared counts, and that
    every n-gram's history is listed (kaldilm aborts the process on broken files)."""
    p = require_file(path, "train one with local/train_lm.sh")
    lines = _read_text_maybe_gz(p).splitlines()
    declared: list[int] = []
    section = 0  # 0: before \data\; -1: in \data\; n: in \n-grams:
    lm = NgramLm(order=0)
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line == "\\data\\":
            section = -1
        elif line == "\\end\\":
            break
        elif section == -1 and line.startswith("ngram "):
            count = line.partition("=")[2].strip()
            if not count.isdigit():
                raise InputError(p, f"line {lineno}: bad header line '{line}'")
            declared.append(int(count))
        elif line.startswith("\\") and line.endswith("-grams:"):
            section = int(line[1:-len("-grams:")])
            if section != len(lm.ngrams) + 1 or section > len(declared):
                raise InputError(p, f"line {lineno}: unexpected section {line}")
            lm.ngrams.append({})
        elif section > 0:
            gram, entry = _parse_ngram_line(p, lineno, line, section)
            lm.ngrams[section - 1][gram] = entry
        else:
            raise InputError(p, f"line {lineno}: unexpected line '{line}'", "is it ARPA?")
    else:
        raise InputError(p, "no \\end\\ line", "the ARPA file is truncated")
    lm.order = len(lm.ngrams)
    found = [len(g) for g in lm.ngrams]
    if not declared or found != declared:
        raise InputError(p, f"n-gram counts {found} differ from the header's {declared}")
    for n in range(1, lm.order):
        missing = next((g for g in lm.ngrams[n] if g[:-1] not in lm.ngrams[n - 1]), None)
        if missing is not None:
            raise InputError(p, f"the history of n-gram '{' '.join(missing)}' is not listed")
    return lm


# --------------------------------------------------------------------------- G.fst


@contextlib.contextmanager
def _plain_file(p: Path) -> Iterator[Path]:
    if p.suffix != ".gz":
        yield p
        return
    with tempfile.TemporaryDirectory(prefix="pkd_arpa_") as tmp:
        plain = Path(tmp) / p.stem
        with gzip.open(p, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield plain


def arpa_oovs(lm: NgramLm, lang: Lang) -> list[str]:
    """Unigrams of the LM missing from words.txt (arpa2fst drops n-grams containing them)."""
    return [g[0] for g in lm.ngrams[0] if g[0] not in lang.words]


# kaldilm runs in a child process: once kaldilm is imported, importing kaldifst,
# kaldi_hmm_gmm or kaldi_decoder hangs, and a malformed ARPA file aborts the process.
_ARPA2FST = """
import sys, kaldilm
sys.stdout.write(kaldilm.arpa2fst(sys.argv[1], disambig_symbol=sys.argv[2],
                                  read_symbol_table=sys.argv[3]))
"""


def arpa2fst_text(arpa_path: Path, words_txt: Path) -> str:
    """`arpa2fst --disambig-symbol=#0 --read-symbol-table=words.txt` as FST text."""
    with _plain_file(arpa_path) as plain:
        proc = subprocess.run(
            [sys.executable, "-c", _ARPA2FST, str(plain), WORD_DISAMBIG, str(words_txt)],
            capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("[E]")]
        detail = errors[-1] if errors else proc.stderr.strip()[-300:]
        raise InputError(arpa_path, f"arpa2fst failed (exit {proc.returncode}): {detail}")
    return proc.stdout


def make_grammar_fst(arpa_path: str | Path, lang: Lang) -> kaldifst.StdVectorFst:
    """G.fst like Kaldi's `arpa2fst --disambig-symbol=#0 --read-symbol-table=words.txt`:
    <s>/</s> become epsilon, back-off arcs take #0, n-grams with words missing from
    words.txt are dropped (as in Kaldi). Ilabel-sorted."""
    p = require_file(arpa_path, "train one with local/train_lm.sh")
    lm = read_arpa(p)
    for symbol in (BOS, EOS, WORD_DISAMBIG):
        if symbol not in lang.words:
            raise InputError(lang.path / "words.txt", f"no '{symbol}' symbol",
                             "make the lang dir with local/prepare_lang.sh")
    if len(arpa_oovs(lm, lang)) == len(lm.vocab):
        raise InputError(p, f"no word of the LM is in {lang.path / 'words.txt'}")
    grammar = kaldifst.compile(arpa2fst_text(p, lang.path / "words.txt"),
                               keep_state_numbering=True)
    kaldifst.arcsort(grammar, sort_type="ilabel")
    return grammar


def format_lm(lang_dir: str | Path, arpa: str | Path, out_dir: str | Path) -> Lang:
    """utils/format_lm.sh: copy the lang dir to `out_dir` and add G.fst (written last)."""
    lang = load_lang(lang_dir)
    return add_grammar(lang, make_grammar_fst(arpa, lang), out_dir)


def add_grammar(lang: Lang, grammar: kaldifst.StdVectorFst, out_dir: str | Path) -> Lang:
    """A copy of `lang` in `out_dir` with `grammar` as its G.fst (written last)."""
    out = Path(out_dir)
    if out.resolve() != lang.path.resolve():
        shutil.copytree(lang.path, out, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("G.fst", "tmp"))
    write_fst(grammar, out / "G.fst")
    return load_lang(out)
