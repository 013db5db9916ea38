"""The Free Spoken Digit Dataset (FSDD, github.com/Jakobovski/free-spoken-digit-dataset) as
Kaldi data dirs, with whole speakers held out in a leave-one-speaker-out rotation.

The corpus dir holds `recordings/<digit>_<speaker>_<index>.wav` (8 kHz mono 16-bit, trimmed
isolated digits). Nothing is copied: the data dirs' wav.scp point at the user's files. For
each fold (one held-out test speaker; the next speaker in name order is dev; the rest train):
  <out>/<test-speaker>/train, dev, test       isolated digits
  <out>/<test-speaker>/{dev,test}_connected  3-7 digit strings spliced from the dev / test
                                             speaker's recordings (wavs in <out>/wav/<spk>/)
  <out>/lm_text                              digit strings for a digit-loop LM
  <out>/corpus.json                          the options, written last (complete when it matches)
Connected digits: the recordings are trimmed, so silence between words is made from the
same speaker's own background: the quietest 10 ms frames of their recordings, strung
together in random order with short cross-fades (a real room's noise floor, not digital
silence).
"""

from __future__ import annotations

import json
import random
import re
import wave
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..audio import read_audio, write_wav
from ..data import DataDir, load_data_dir
from ..errors import InputError
from ..formats.io import write_text_atomic
from .common import STAMP, clear, derive_seed, stamp_matches, write_split

WORDS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")
FILE_PATTERN = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")
PATTERN_TEXT = "recordings/<digit>_<speaker>_<index>.wav, e.g. recordings/0_george_0.wav"
RATE = 8000
MIN_SPEAKERS = 3  # train, dev and test each need one
FRAME = RATE // 100  # 10 ms
QUIET_FRACTION = 0.1  # of a speaker's frames, the quietest, make its pauses
FADE = RATE // 200  # 5 ms cross-fades between noise frames and words
PAUSE_SECONDS = (0.15, 0.6)  # between words; twice that before the first and after the last
CONNECTED_DIGITS = (3, 7)
LM_TEXT = "lm_text"  # Kaldi text of the digit-loop LM, beside the folds
LM_SENTENCES = 2000


@dataclass(frozen=True)
class Recording:
    digit: int
    speaker: str
    index: int
    path: Path  # absolute

    @property
    def utt_id(self) -> str:
        return f"{self.speaker}-{self.digit}-{self.index:03d}"


@dataclass(frozen=True)
class Fold:
    test: str
    dev: str
    train: tuple[str, ...]


def scan_corpus(corpus: Path) -> list[Recording]:
    """The recordings of an FSDD checkout, checked to be complete: every speaker has every
    digit, at least MIN_SPEAKERS speakers, 8 kHz mono 16-bit PCM (headers only)."""
    recordings_dir = corpus / "recordings"
    fix = (f"pass the FSDD checkout (the directory holding recordings/); expected "
           f"{PATTERN_TEXT}")
    if not recordings_dir.is_dir():
        found = sorted(p.name for p in corpus.iterdir())[:5] if corpus.is_dir() else []
        what = f"has no recordings/ directory (found: {', '.join(found) or 'nothing'})" \
            if corpus.is_dir() else "does not exist"
        raise InputError(corpus, what, fix)
    names = sorted(p.name for p in recordings_dir.iterdir() if p.suffix == ".wav")
    recordings = [Recording(int(m[1]), m[2], int(m[3]), (recordings_dir / n).resolve())
                  for n in names if (m := FILE_PATTERN.match(n))]
    if not recordings:
        raise InputError(recordings_dir, f"holds no file named like {PATTERN_TEXT} "
                         f"(found {len(names)} .wav files: {', '.join(names[:3]) or 'none'})",
                         fix)
    _check_complete(recordings_dir, recordings)
    for rec in recordings:
        _check_format(rec.path)
    return recordings


def _check_complete(recordings_dir: Path, recordings: Sequence[Recording]) -> None:
    digits_of: dict[str, set[int]] = {}
    for rec in recordings:
        digits_of.setdefault(rec.speaker, set()).add(rec.digit)
    for speaker, digits in sorted(digits_of.items()):
        missing = sorted(set(range(10)) - digits)
        if missing:
            raise InputError(recordings_dir, f"speaker '{speaker}' has no recording of digit(s) "
                             f"{', '.join(map(str, missing))} (expected "
                             f"{', '.join(f'{d}_{speaker}_<index>.wav' for d in missing)})",
                             "check that the checkout is complete (git status, git lfs pull)")
    if len(digits_of) < MIN_SPEAKERS:
        raise InputError(recordings_dir, f"has {len(digits_of)} speaker(s) "
                         f"({', '.join(sorted(digits_of))}); holding out dev and test speakers "
                         f"needs at least {MIN_SPEAKERS}", "pass the full dataset")


def _check_format(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as w:
            fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth())
            frames = w.getnframes()
    except (wave.Error, EOFError) as err:
        raise InputError(path, f"is not a readable wav file ({err})",
                         "restore it from the dataset") from None
    if fmt != (RATE, 1, 2) or frames == 0:
        raise InputError(path, f"is {fmt[0]} Hz, {fmt[1]} channel(s), {8 * fmt[2]}-bit, "
                         f"{frames} samples; FSDD files are {RATE} Hz mono 16-bit",
                         "restore it from the dataset")


def speakers_of(recordings: Sequence[Recording]) -> list[str]:
    return sorted({rec.speaker for rec in recordings})


def rotation(speakers: Sequence[str]) -> list[Fold]:
    """Leave-one-speaker-out: each speaker is test once, the next one (cyclically) dev."""
    ordered = sorted(speakers)
    folds = []
    for i, test in enumerate(ordered):
        dev = ordered[(i + 1) % len(ordered)]
        folds.append(Fold(test, dev, tuple(s for s in ordered if s not in (test, dev))))
    return folds


def select(recordings: Sequence[Recording], per_digit: int | None) -> list[Recording]:
    """The first `per_digit` recordings (by index) of each speaker and digit; None: all."""
    if per_digit is None:
        return list(recordings)
    kept = sorted(recordings, key=lambda r: (r.speaker, r.digit, r.index))
    counts: dict[tuple[str, int], int] = {}
    out = []
    for rec in kept:
        key = (rec.speaker, rec.digit)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= per_digit:
            out.append(rec)
    return out


def isolated_data_dir(path: Path, recordings: Sequence[Recording]) -> DataDir:
    """One utterance per recording; speaker = FSDD's speaker name."""
    return DataDir(path=path,
                   wav_scp={r.utt_id: str(r.path) for r in recordings},
                   utt2spk={r.utt_id: r.speaker for r in recordings},
                   text={r.utt_id: WORDS[r.digit] for r in recordings})


def quiet_frames(signals: Sequence[np.ndarray]) -> np.ndarray:
    """(n, FRAME) float32: the quietest QUIET_FRACTION of the 10 ms frames of `signals`
    (at least one frame)."""
    frames = [s[:len(s) // FRAME * FRAME].reshape(-1, FRAME) for s in signals]
    stacked = np.concatenate([f for f in frames if len(f)])  # (frames, FRAME)
    energy = (stacked.astype(np.float64) ** 2).mean(axis=1)  # (frames,)
    keep = max(1, int(len(stacked) * QUIET_FRACTION))
    return stacked[np.argsort(energy, kind="stable")[:keep]]


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a then b with a FADE-sample linear cross-fade (shorter pieces: plain concatenation)."""
    n = min(FADE, len(a), len(b))
    if n == 0:
        return np.concatenate([a, b])
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    mixed = a[-n:] * (1 - ramp) + b[:n] * ramp
    return np.concatenate([a[:-n], mixed, b[n:]])


def pause(noise: np.ndarray, seconds: float, rng: random.Random) -> np.ndarray:
    """`seconds` of the speaker's background: random quiet frames (noise: (n, FRAME)),
    cross-faded."""
    out = np.zeros(0, dtype=np.float32)
    while len(out) < int(seconds * RATE):
        out = _join(out, noise[rng.randrange(len(noise))])
    return out[:int(seconds * RATE)]


def splice(words: Sequence[np.ndarray], noise: np.ndarray, rng: random.Random) -> np.ndarray:
    """(samples,) float32: pause, word, pause, ..., word, pause."""
    low, high = PAUSE_SECONDS
    out = pause(noise, 2 * rng.uniform(low, high), rng)
    for word in words:
        out = _join(_join(out, word), pause(noise, rng.uniform(low, high), rng))
    return _join(out, pause(noise, rng.uniform(low, high), rng))


def connected_plan(recordings: Sequence[Recording], count: int, seed: int
                   ) -> list[list[Recording]]:
    """`count` digit strings of CONNECTED_DIGITS[0]..[1] recordings of one speaker, drawn
    with a seed of their own (the same strings whatever else the corpus holds)."""
    speaker = recordings[0].speaker
    rng = random.Random(derive_seed(seed, "fsdd-connected", speaker))
    pool = sorted(recordings, key=lambda r: (r.digit, r.index))
    return [rng.sample(pool, rng.randint(*CONNECTED_DIGITS)) for _ in range(count)]


def connected_data_dir(wav_dir: Path, recordings: Sequence[Recording], count: int,
                       seed: int) -> DataDir:
    """`count` spliced connected-digit utterances of the one speaker of `recordings`; their
    wavs go to `wav_dir` (the DataDir's path too, until it is placed)."""
    speaker = recordings[0].speaker
    samples = {r: read_audio(str(r.path), RATE) for r in recordings}  # (n,) float32 each
    noise = quiet_frames(list(samples.values()))
    rng = random.Random(derive_seed(seed, "fsdd-pauses", speaker))
    wav_dir.mkdir(parents=True, exist_ok=True)
    data = DataDir(path=wav_dir, wav_scp={}, utt2spk={}, text={})
    for i, words in enumerate(connected_plan(recordings, count, seed)):
        utt = f"{speaker}-c{i:03d}"
        wav = wav_dir / f"{utt}.wav"
        write_wav(wav, splice([samples[r] for r in words], noise, rng), RATE)
        data.wav_scp[utt] = str(wav.resolve())
        data.utt2spk[utt] = speaker
        data.text[utt] = " ".join(WORDS[r.digit] for r in words)
    return data


STAMP_VERSION = 1


@dataclass(frozen=True)
class FsddConfig:
    per_digit: int | None = None  # recordings per speaker and digit (first by index); None: all
    connected: int = 100  # connected-digit utterances per test speaker
    test_speakers: tuple[str, ...] = ()  # folds to make; (): every speaker once
    seed: int = 1

    def __post_init__(self) -> None:
        if self.per_digit is not None and self.per_digit < 1:
            raise ValueError(f"per_digit must be >= 1, got {self.per_digit}")
        if self.connected < 0:
            raise ValueError(f"connected must be >= 0, got {self.connected}")


def _stamp(corpus: Path, config: FsddConfig, folds: Sequence[Fold],
           recordings: Sequence[Recording]) -> dict[str, object]:
    return {"version": STAMP_VERSION, "corpus": str(corpus), "per_digit": config.per_digit,
            "connected": config.connected, "seed": config.seed,
            "folds": {f.test: {"dev": f.dev, "train": list(f.train)} for f in folds},
            "recordings": len(recordings)}


def choose_folds(speakers: Sequence[str], test_speakers: Sequence[str],
                 recordings_dir: Path) -> list[Fold]:
    folds = rotation(speakers)
    if not test_speakers:
        return folds
    unknown = sorted(set(test_speakers) - set(speakers))
    if unknown:
        raise InputError(recordings_dir, f"has no speaker {', '.join(unknown)} (speakers: "
                         f"{', '.join(speakers)})", "name test speakers from that list")
    return [f for f in folds if f.test in test_speakers]


def prepare_fsdd(corpus: Path, out_dir: Path, config: FsddConfig
                 ) -> dict[str, dict[str, DataDir]]:
    """The data dirs of every fold, {test speaker: {"train"|"dev"|"test"|"test_connected":
    DataDir}}, written under `out_dir` (see the module doc); already complete: not redone."""
    corpus, out_dir = corpus.resolve(), out_dir.resolve()
    recordings = select(scan_corpus(corpus), config.per_digit)
    folds = choose_folds(speakers_of(recordings), config.test_speakers,
                         corpus / "recordings")
    stamp = _stamp(corpus, config, folds, recordings)
    by_speaker: dict[str, list[Recording]] = {}
    for rec in recordings:
        by_speaker.setdefault(rec.speaker, []).append(rec)
    dirs = {}
    for fold in folds:
        base = out_dir / fold.test
        dirs[fold.test] = {
            "train": isolated_data_dir(base / "train", [r for s in fold.train
                                                        for r in by_speaker[s]]),
            "dev": isolated_data_dir(base / "dev", by_speaker[fold.dev]),
            "test": isolated_data_dir(base / "test", by_speaker[fold.test])}
    if stamp_matches(out_dir, stamp):
        return _with_connected(dirs, out_dir)
    clear(out_dir, [out_dir / f.test for f in folds] + [out_dir / "wav"])
    # Each held-out speaker's strings are made once (dev in one fold, test in another).
    held_out = sorted({s for f in folds for s in (f.test, f.dev)} if config.connected else [])
    connected = {s: connected_data_dir(out_dir / "wav" / s, by_speaker[s], config.connected,
                                       config.seed) for s in held_out}
    for fold in folds:
        if config.connected:
            for split, speaker in [("dev", fold.dev), ("test", fold.test)]:
                dirs[fold.test][f"{split}_connected"] = replace(
                    connected[speaker], path=out_dir / fold.test / f"{split}_connected")
        for data in dirs[fold.test].values():
            write_split(data)
    write_text_atomic(out_dir / LM_TEXT, "".join(f"{k} {v}\n" for k, v in
                                                 digit_strings(LM_SENTENCES, config.seed).items()))
    write_text_atomic(out_dir / STAMP, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    return dirs


def digit_strings(count: int, seed: int) -> dict[str, str]:
    """{id: text} of `count` strings of 1-CONNECTED_DIGITS[1] uniformly drawn digits: the
    text of a digit-loop LM (every digit equally likely, any length)."""
    rng = random.Random(derive_seed(seed, "fsdd-lm", "text"))
    return {f"lm-{i:05d}": " ".join(rng.choice(WORDS) for _ in range(
        rng.randint(1, CONNECTED_DIGITS[1]))) for i in range(count)}


def _with_connected(dirs: dict[str, dict[str, DataDir]], out_dir: Path
                    ) -> dict[str, dict[str, DataDir]]:
    for test, fold_dirs in dirs.items():
        for split in ["dev_connected", "test_connected"]:
            path = out_dir / test / split
            if path.is_dir():
                fold_dirs[split] = load_data_dir(path, need_text=True)
    return dirs
