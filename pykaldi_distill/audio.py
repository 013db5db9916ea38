"""Audio reading for wav.scp entries: files in any format sox reads, or `cmd |` pipes,
resampled to the rate the features need (real recordings come at 8/22.05/44.1/48 kHz)."""

from __future__ import annotations

import shlex
import subprocess
import wave
from pathlib import Path

import numpy as np

from .errors import InputError
from .formats.io import atomic_path

SOX_TO_RAW = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1"]


def _read_plain_wav(path: Path, rate: int, scp: Path | None) -> np.ndarray | None:
    """Fast path: a 16-bit wav already at `rate` (mono, or first channel); None for other
    wavs, which go to sox. A wav shorter than its header says is an error naming it (Kaldi's
    wav reader refuses it too), not silently fewer samples."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, expected = w.getsampwidth(), w.getnchannels(), w.getnframes()
            file_rate = w.getframerate()
            raw = w.readframes(expected)
    except (wave.Error, EOFError):
        return None
    got = len(raw) // (width * channels)
    if got < expected:
        raise InputError(scp or path, f"{path} is truncated: its header says {expected} "
                         f"samples, the file holds {got}", "re-copy or re-record it")
    if width != 2 or file_rate != rate:
        return None
    data = np.frombuffer(raw, dtype=np.int16)
    return data.reshape(-1, channels)[:, 0].astype(np.float32)


def _sox_convert(args: list[str], rate: int, stdin: bytes | None, what: str,
                 scp: Path | None) -> np.ndarray:
    cmd = ["sox", "-V1", *args, *SOX_TO_RAW, "-", "rate", "-v", str(rate)]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        where = scp if scp is not None else Path(what)
        raise InputError(where, f"cannot read audio '{what}': {proc.stderr.decode().strip()}",
                         "check the path/format in wav.scp (sox must be able to read it)")
    return np.frombuffer(proc.stdout, dtype=np.int16).astype(np.float32)


def read_audio(spec: str, rate: int, scp: Path | None = None) -> np.ndarray:
    """Samples of a wav.scp entry at `rate` Hz, int16 scale like Kaldi.  # (samples,) float32"""
    spec = spec.strip()
    if spec.endswith("|"):
        command = spec[:-1]
        proc = subprocess.run(["bash", "-c", command], capture_output=True, check=False)
        if proc.returncode != 0 or not proc.stdout:
            raise InputError(scp or Path(command), f"command failed: {command}: "
                             f"{proc.stderr.decode().strip()}", "fix the pipe in wav.scp")
        return _sox_convert(["-t", "wav", "-"], rate, proc.stdout, command, scp)
    path = Path(shlex.split(spec)[0])
    if not path.is_file():
        raise InputError(scp or path, f"audio file not found: {path}", "fix the path in wav.scp")
    samples = _read_plain_wav(path, rate, scp) if path.suffix.lower() == ".wav" else None
    if samples is None:
        samples = _sox_convert([str(path)], rate, None, str(path), scp)
    return samples


def cut_segment(samples: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    """Samples between `start` and `end` seconds (Kaldi segments).  # (samples,) float32"""
    return samples[int(round(start * rate)):int(round(end * rate))]


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Samples (int16 scale, like `read_audio`'s) as 16-bit mono PCM, written atomically."""
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2")
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
