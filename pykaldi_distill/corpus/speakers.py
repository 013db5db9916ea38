"""A many-speaker roster for the synthetic read-speech corpus.

A speaker is a base voice of one TTS engine (an espeak-ng accent with a voice variant, a
flite voice, a festival voice) with its own speaking rate and pitch, plus a vocal-tract
warp applied to the engine's output (sox `pitch`: formants and F0 scaled together, the
duration kept). Held-out (dev, test) speakers are new draws from the same families as the
training speakers: every held-out speaker's base voice is read by training speakers too
(for espeak-ng: its accent and its variant each, never the pair), with other settings.
The roster is a pure function of its seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .tts import Voice

ESPEAK_ACCENTS = ("en-us", "en", "en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-rp",
                  "en-gb-x-gbclan", "en-gb-x-gbcwmd")
# Human-sounding variants only (no whisper, croak or robots).
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
                   "klatt", "klatt2", "klatt3", "Andy", "Annie")
FLITE_VOICES = ("kal16", "awb", "slt", "rms")
FLITE_F0_SHIFT = frozenset({"kal16", "awb", "slt"})  # rms ignores f0_shift
FESTIVAL_VOICES = (("kal_diphone", "festvox-kallpc16k"), ("ked_diphone", "festvox-kdlpc16k"))
SPLITS = ("train", "dev", "test")
WARP_RANGE = (0.9, 1.12)  # vocal-tract warp factor, drawn uniformly in log


@dataclass(frozen=True)
class RosterSize:
    """Speakers per split: espeak-ng ones, and per flite / festival base voice (the first
    `flite_voices` / `festival_voices` of them) the training speakers; each such voice also
    gets one held-out speaker, dealt to dev or test."""

    espeak: tuple[int, int, int]  # (train, dev, test)
    per_flite_voice: int
    per_festival_voice: int
    flite_voices: int = len(FLITE_VOICES)
    festival_voices: int = len(FESTIVAL_VOICES)


# 60 training, 12 dev and 12 test speakers (dev/test split per engine by the seed's draw).
DEFAULT_ROSTER = RosterSize(espeak=(42, 9, 9), per_flite_voice=3, per_festival_voice=3)


@dataclass(frozen=True)
class Speaker:
    voice: Voice  # voice.name is the speaker id
    split: str
    family: str  # the base voice: "espeak-ng:<accent>+<variant>", "flite:<voice>", ...
    warp: float  # vocal-tract warp of the engine's output (1.0: none)

    @property
    def name(self) -> str:
        return self.voice.name

    def recipe(self) -> list[str]:
        """How the speaker is made, as recorded in corpus.json."""
        return [self.voice.engine, *self.voice.args, f"warp={self.warp}"]


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 3)


def _espeak(rng: random.Random, name: str, accent: str, variant: str) -> Voice:
    speed, pitch = rng.randint(135, 185), rng.randint(25, 75)
    return Voice(name, "espeak-ng", ("-v", f"{accent}+{variant}", "-s", str(speed),
                                     "-p", str(pitch)))


def _flite(rng: random.Random, name: str, voice: str) -> Voice:
    args = ["-voice", voice, "--setf", f"duration_stretch={rng.uniform(0.9, 1.15):.2f}"]
    if voice in FLITE_F0_SHIFT:
        args += ["--setf", f"f0_shift={_log_uniform(rng, 0.85, 1.2)}"]
    return Voice(name, "flite", tuple(args))


def _festival(rng: random.Random, name: str, voice: str, package: str) -> Voice:
    # Diphone voices take their pitch from int_lr_params (mean/std of the target F0).
    f0 = rng.randint(90, 160)
    return Voice(name, "festival", (
        f"(voice_{voice})",
        f"(set! int_lr_params '((target_f0_mean {f0}) (target_f0_std {round(f0 * 0.15)}) "
        "(model_f0_mean 170) (model_f0_std 34)))",
        f"(Parameter.set 'Duration_Stretch {rng.uniform(0.9, 1.15):.2f})"), package)


def _espeak_pairs(size: RosterSize, rng: random.Random) -> list[tuple[str, str]]:
    """(accent, variant) per espeak speaker, training speakers first: speaker i gets accent
    i mod 8 and variant i mod 17 of seeded orders, so no pair repeats within 136 speakers
    and the training speakers (at least 17 of them) read every accent and variant."""
    accents, variants = list(ESPEAK_ACCENTS), list(ESPEAK_VARIANTS)
    rng.shuffle(accents)
    rng.shuffle(variants)
    total = sum(size.espeak)
    if total > len(accents) * len(variants):
        raise ValueError("too many espeak-ng speakers for distinct accent/variant pairs")
    return [(accents[i % len(accents)], variants[i % len(variants)]) for i in range(total)]


def _held_out_splits(count: int, rng: random.Random) -> list[str]:
    """dev/test for `count` held-out speakers of one engine: halves, the odd one by draw."""
    splits = ["dev", "test"] * (count // 2) + ([rng.choice(["dev", "test"])] if count % 2 else [])
    rng.shuffle(splits)
    return splits


def make_roster(seed: int, size: RosterSize = DEFAULT_ROSTER) -> list[Speaker]:
    """Every speaker of the corpus, sorted by id (esp01.., fest01.., flite01..)."""
    rng = random.Random(f"roster/{seed}")
    speakers: list[Speaker] = []
    splits = [s for s, n in zip(SPLITS, size.espeak, strict=True) for _ in range(n)]
    for i, ((accent, variant), split) in enumerate(zip(_espeak_pairs(size, rng), splits,
                                                       strict=True), 1):
        voice = _espeak(rng, f"esp{i:02d}", accent, variant)
        speakers.append(Speaker(voice, split, f"espeak-ng:{accent}+{variant}",
                                _log_uniform(rng, *WARP_RANGE)))
    speakers += _engine_speakers(rng, "flite", [(v, "") for v in FLITE_VOICES[:size.flite_voices]],
                                 size.per_flite_voice)
    speakers += _engine_speakers(rng, "fest", FESTIVAL_VOICES[:size.festival_voices],
                                 size.per_festival_voice)
    return sorted(speakers, key=lambda s: s.name)


def _engine_speakers(rng: random.Random, tag: str, voices: Sequence[tuple[str, str]],
                     per_voice: int) -> list[Speaker]:
    """per_voice training speakers of each base voice, and one held-out one each."""
    held_out = _held_out_splits(len(voices), rng)
    speakers = []
    n = 0
    for k, (voice, package) in enumerate(voices):
        for split in ["train"] * per_voice + held_out[k:k + 1]:
            n += 1
            name = f"{tag}{n:02d}"
            if tag == "flite":
                made = _flite(rng, name, voice)
                family = f"flite:{voice}"
            else:
                made = _festival(rng, name, voice, package)
                family = f"festival:{voice}"
            speakers.append(Speaker(made, split, family, _log_uniform(rng, *WARP_RANGE)))
    return speakers


def by_split(roster: Sequence[Speaker]) -> dict[str, list[Speaker]]:
    return {split: [s for s in roster if s.split == split] for split in SPLITS}
