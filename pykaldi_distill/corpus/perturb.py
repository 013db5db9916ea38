"""Light, seeded perturbation of a clean 16 kHz utterance: a speaker's vocal-tract warp
(sox `pitch`, which scales formants and F0 together and keeps the duration), speed (sox
`speed`, which shifts pitch too, as in Kaldi's speed perturbation), reverb on some utterances, peak
level, and additive white or pink noise at a set SNR. Optionally (`telephone`, never drawn
by `sample_params`) a telephone channel: 300-3400 Hz band-pass, down to 8 kHz and back."""

from __future__ import annotations

import math
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import audio
from .tts import RATE, SynthesisError

REVERB_FRACTION = 0.25
FRAME = RATE // 40  # 25 ms frames for measuring speech power
TELEPHONE_BAND = "300-3400"
TELEPHONE_RATE = 8000


@dataclass(frozen=True)
class Reverb:
    reverberance: int  # sox reverb arguments, each in %
    hf_damping: int
    room_scale: int


@dataclass(frozen=True)
class PerturbParams:
    speed: float
    peak_db: float  # level of the loudest sample, dBFS, before the noise is added
    snr_db: float  # speech power over noise power
    noise: str  # "white" | "pink"
    noise_seed: int
    reverb: Reverb | None = None
    telephone: bool = False  # band-limit to 300-3400 Hz and resample through 8 kHz
    warp: float = 1.0  # the speaker's vocal-tract warp factor (never drawn by sample_params)


def sample_params(rng: random.Random) -> PerturbParams:
    speed = round(rng.uniform(0.9, 1.1), 3)
    peak_db = round(rng.uniform(-12.0, -1.0), 1)
    snr_db = round(rng.uniform(15.0, 30.0), 1)
    noise = rng.choice(["white", "pink"])
    noise_seed = rng.randrange(2**31)
    reverb = None
    if rng.random() < REVERB_FRACTION:
        reverb = Reverb(rng.randint(20, 60), rng.randint(30, 70), rng.randint(30, 80))
    return PerturbParams(speed, peak_db, snr_db, noise, noise_seed, reverb)


def _sox_effects(params: PerturbParams) -> list[str]:
    effects = []
    if params.warp != 1.0:
        effects += ["pitch", f"{1200 * math.log2(params.warp):.1f}"]
    effects += ["speed", f"{params.speed:.3f}", "rate", "-h", str(RATE)]
    if params.reverb is not None:
        r = params.reverb
        effects += ["reverb", str(r.reverberance), str(r.hf_damping), str(r.room_scale)]
    if params.telephone:
        effects += ["sinc", TELEPHONE_BAND, "rate", "-h", str(TELEPHONE_RATE),
                    "rate", "-h", str(RATE)]
    return [*effects, "gain", "-n", f"{params.peak_db:.1f}"]


def _sox_float(in_wav: Path, params: PerturbParams) -> np.ndarray:
    cmd = ["sox", "-V1", "-D", str(in_wav), "-t", "raw", "-e", "floating-point", "-b", "32",
           "-c", "1", "-r", str(RATE), "-", *_sox_effects(params)]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise SynthesisError(f"sox perturbation of {in_wav} failed: "
                             f"{proc.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(proc.stdout, dtype=np.float32).astype(np.float64)


def speech_power(x: np.ndarray) -> float:
    """Mean power of the frames within 30 dB of the loudest, so leading/trailing silence
    does not lower the reference for the SNR."""
    n = max(1, len(x) // FRAME)
    frames = np.resize(x, n * FRAME).reshape(n, FRAME) if len(x) >= FRAME else x[None, :]
    power = np.mean(frames**2, axis=1)
    return float(np.mean(power[power >= power.max() * 1e-3]))


def make_noise(kind: str, n: int, seed: int) -> np.ndarray:
    """Unit-power white or pink (1/f power) noise."""
    white = np.random.default_rng(seed).standard_normal(n)
    if kind == "pink":
        spectrum = np.fft.rfft(white)
        freqs = np.arange(len(spectrum), dtype=np.float64)
        freqs[0] = 1.0
        white = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return white / np.sqrt(np.mean(white**2))


def add_noise(x: np.ndarray, kind: str, snr_db: float, seed: int) -> np.ndarray:
    noise_power = speech_power(x) / 10 ** (snr_db / 10)
    return x + make_noise(kind, len(x), seed) * np.sqrt(noise_power)


def write_wav(path: Path, x: np.ndarray) -> None:
    """Write float samples in [-1, 1] as 16-bit mono PCM at RATE, atomically."""
    audio.write_wav(path, x * 32767, RATE)


def apply(in_wav: Path, out_wav: Path, params: PerturbParams) -> None:
    """Perturb `in_wav` into `out_wav` (16 kHz mono 16-bit PCM)."""
    x = _sox_float(in_wav, params)
    write_wav(out_wav, add_noise(x, params.noise, params.snr_db, params.noise_seed))
