"""Shared fixtures: tiny Kaldi data dirs made in code."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest


def write_tone_wav(path: Path, seconds: float = 0.5, rate: int = 16000,
                   freq: float = 440.0) -> Path:
    """A 16-bit mono wav with a tone (enough for feature/IO tests)."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    samples = (0.3 * 32767 * np.sin(2 * math.pi * freq * t)).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


@pytest.fixture
def tiny_data_dir(tmp_path: Path) -> Path:
    """Two speakers, three utterances, real wav files."""
    d = tmp_path / "data" / "train"
    d.mkdir(parents=True)
    utts = {"spkA-001": "ONE TWO", "spkA-002": "THREE", "spkB-001": "OH FOUR"}
    wav_lines, text_lines, u2s_lines = [], [], []
    for i, (utt, words) in enumerate(sorted(utts.items())):
        wav = write_tone_wav(tmp_path / "wav" / f"{utt}.wav", freq=300 + 100 * i)
        wav_lines.append(f"{utt} {wav}")
        text_lines.append(f"{utt} {words}")
        u2s_lines.append(f"{utt} {utt.split('-')[0]}")
    (d / "wav.scp").write_text("\n".join(wav_lines) + "\n")
    (d / "text").write_text("\n".join(text_lines) + "\n")
    (d / "utt2spk").write_text("\n".join(u2s_lines) + "\n")
    (d / "spk2utt").write_text("spkA spkA-001 spkA-002\nspkB spkB-001\n")
    return d


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--studies", action="store_true",
                     help="also run the study scripts' tests (`make test-studies`)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The synth recipe's run (by far the longest test) first and the other recipe runs last:
    `make test`'s two workers (pytest-xdist --dist worksteal) each take half of this order,
    so one runs synth while the other runs the rest of the recipes after its unit tests."""
    def order(item: pytest.Item) -> int:
        if item.get_closest_marker("slow") is None:
            return 1
        return 0 if "synth_recipe" in item.name else 2
    items.sort(key=order)
    if not config.getoption("--studies"):
        skip = pytest.mark.skip(reason="study scripts: run them with `make test-studies`")
        for item in items:
            if item.get_closest_marker("studies") is not None:
                item.add_marker(skip)
