"""A deterministic synthetic connected-digits corpus (TIDIGITS-like), made offline with
TTS voices plus light perturbation. Each voice is one speaker; the test set holds only
voices unseen in training.

Layout under the output dir:
  wav/<split>/<spk>/<utt>.wav     16 kHz mono 16-bit PCM
  data/{train,test}/              Kaldi data dirs (wav.scp, text, utt2spk, spk2utt)
  corpus.json                     stamp written last: a run is complete only when it matches
  .tmp/                           engine output before perturbation, while a run is going
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir
from ..errors import InputError
from . import perturb
from .common import (
    TMP,
    Utterance,
    clear,
    derive_seed,
    load_planned,
    render_utterances,
    stamp_matches,
    write_corpus,
)
from .tts import VOICES, check_engines

DIGIT_WORDS = {"1": "ONE", "2": "TWO", "3": "THREE", "4": "FOUR", "5": "FIVE", "6": "SIX",
               "7": "SEVEN", "8": "EIGHT", "9": "NINE"}
ZERO_WORDS = ("ZERO", "OH")
WORDS = tuple(sorted([*DIGIT_WORDS.values(), *ZERO_WORDS]))
MIN_DIGITS, MAX_DIGITS = 1, 7

TRAIN_VOICES = ("esp_usm3", "esp_gbf2", "esp_scotm1", "esp_caribk",
                "flite_kal", "flite_awb", "flite_slt", "fest_kal", "fest_kalhi")
TEST_VOICES = ("esp_nycf3", "flite_rms", "fest_ked")
SPLITS = {"train": TRAIN_VOICES, "test": TEST_VOICES}
STAMP_VERSION = 1


@dataclass(frozen=True)
class Size:
    train_per_voice: int
    test_per_voice: int


SIZES: dict[str, Size] = {
    "unit": Size(2, 1),  # for unit tests only
    "tiny": Size(16, 10),
    "small": Size(65, 30),
    "demo": Size(220, 80),
}
PUBLIC_SIZES = ("tiny", "small", "demo")


def digit_words(rng: random.Random) -> tuple[str, ...]:
    """A random digit string of 1-7 digits as words; 0 is read ZERO or OH."""
    digits = [rng.choice("0123456789") for _ in range(rng.randint(MIN_DIGITS, MAX_DIGITS))]
    return tuple(rng.choice(ZERO_WORDS) if d == "0" else DIGIT_WORDS[d] for d in digits)


def make_utterance(seed: int, spk: str, split: str, index: int) -> Utterance:
    utt_id = f"{spk}-{index:04d}"
    words = digit_words(random.Random(derive_seed(seed, "text", utt_id)))
    params = perturb.sample_params(random.Random(derive_seed(seed, "perturb", utt_id)))
    return Utterance(utt_id, spk, split, words, params)


def plan_corpus(size: str, seed: int) -> list[Utterance]:
    """Every utterance of the corpus, sorted by id (a pure function of size and seed)."""
    if size not in SIZES:
        raise ValueError(f"unknown corpus size {size!r}; use one of {PUBLIC_SIZES}")
    spec = SIZES[size]
    counts = {"train": spec.train_per_voice, "test": spec.test_per_voice}
    utts = [make_utterance(seed, spk, split, i)
            for split, voices in SPLITS.items() for spk in voices
            for i in range(1, counts[split] + 1)]
    return sorted(utts, key=lambda u: u.utt_id)


def _stamp(size: str, seed: int, utts: list[Utterance]) -> dict[str, object]:
    return {
        "version": STAMP_VERSION,
        "size": size,
        "seed": seed,
        "voices": {split: {v: [VOICES[v].engine, *VOICES[v].args] for v in voices}
                   for split, voices in SPLITS.items()},
        "utterances": {split: sum(u.split == split for u in utts) for split in SPLITS},
    }


def find_complete_corpus(out_dir: Path, size: str, seed: int) -> dict[str, DataDir] | None:
    """The data dirs of a finished corpus of this size and seed in `out_dir`, else None."""
    out_dir = Path(out_dir).resolve()
    utts = plan_corpus(size, seed)
    stamp = _stamp(size, seed, utts)
    if not stamp_matches(out_dir, stamp):
        return None
    return load_planned(out_dir, SPLITS, utts)


def make_digits_corpus(out_dir: Path, size: str = "tiny", seed: int = 1,
                       nj: int = 2) -> dict[str, DataDir]:
    """Generate (or find already complete) the corpus; returns {"train": ..., "test": ...}."""
    if nj < 1:
        raise InputError(out_dir, f"--nj must be at least 1, got {nj}")
    out_dir = Path(out_dir).resolve()
    done = find_complete_corpus(out_dir, size, seed)
    if done is not None:
        return done
    utts = plan_corpus(size, seed)
    stamp = _stamp(size, seed, utts)
    check_engines([VOICES[v] for voices in SPLITS.values() for v in voices])
    clear(out_dir, [out_dir / d / split for split in SPLITS for d in ["data", "wav"]])
    (out_dir / TMP).mkdir(parents=True)
    render_utterances(out_dir, utts, VOICES.__getitem__, out_dir / TMP, nj)
    (out_dir / TMP).rmdir()
    return write_corpus(out_dir, SPLITS, utts, stamp)
