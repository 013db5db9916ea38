"""Plumbing shared by the synthetic corpora: per-utterance seeds, parallel rendering of
TTS plus perturbation, atomic data-dir writing and the completion stamp."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import wave
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir, write_data_dir
from . import perturb
from .perturb import PerturbParams
from .tts import Voice, synthesize_many

STAMP = "corpus.json"
TMP = ".tmp"
CHUNK = 20  # utterances per worker task (festival starts once per task)

# (text given to the TTS engine, final wav, perturbation)
RenderItem = tuple[str, Path, PerturbParams]


def derive_seed(seed: int, purpose: str, key: str) -> int:
    """A seed for one utterance's draws, independent of the order utterances are made in."""
    digest = hashlib.sha256(f"{seed}/{purpose}/{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class RenderTask:
    voice: Voice
    items: tuple[RenderItem, ...]
    work_dir: Path


def render_tasks(by_voice: Mapping[Voice, list[RenderItem]], work_dir: Path
                 ) -> Iterator[RenderTask]:
    """Chunks of CHUNK utterances of one voice each."""
    for voice, items in by_voice.items():
        for start in range(0, len(items), CHUNK):
            yield RenderTask(voice, tuple(items[start:start + CHUNK]), work_dir)


def render(task: RenderTask) -> None:
    with tempfile.TemporaryDirectory(prefix=f"{task.voice.name}.", dir=task.work_dir) as tmp:
        clean = [Path(tmp) / f"{i}.wav" for i in range(len(task.items))]
        synthesize_many(task.voice, [(text, c) for (text, _, _), c in
                                     zip(task.items, clean, strict=True)], Path(tmp))
        for (_, out, params), c in zip(task.items, clean, strict=True):
            out.parent.mkdir(parents=True, exist_ok=True)
            perturb.apply(c, out, params)


def render_all(tasks: Iterable[RenderTask], nj: int) -> None:
    # The work runs in child processes (TTS engine, sox), so threads give nj parallel
    # pipelines without multiprocessing's pickling, fork-safety and __main__-guard issues.
    with ThreadPoolExecutor(nj) as pool:
        futures = [pool.submit(render, task) for task in tasks]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def write_split(data: DataDir) -> None:
    """Write the data dir beside its final place, then rename it in."""
    tmp = data.path.parent / f".{data.path.name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    write_data_dir(data, tmp)
    if data.path.exists():
        shutil.rmtree(data.path)
    tmp.rename(data.path)


def audio_seconds(data: DataDir) -> float:
    """Total duration of the (plain wav) recordings of a data dir."""
    total = 0.0
    for spec in data.wav_scp.values():
        with wave.open(spec.split()[0], "rb") as w:
            total += w.getnframes() / w.getframerate()
    return total


def read_stamp(out_dir: Path) -> dict[str, object] | None:
    try:
        return json.loads((out_dir / STAMP).read_text())
    except (OSError, ValueError):
        return None


def stamp_matches(out_dir: Path, stamp: dict[str, object]) -> bool:
    old = read_stamp(out_dir)
    return old is not None and all(old.get(k) == v for k, v in stamp.items())


def clear(out_dir: Path, paths: Iterable[Path]) -> None:
    """Remove a previous (possibly partial) corpus, stamp first so it never looks complete."""
    (out_dir / STAMP).unlink(missing_ok=True)
    for path in [out_dir / TMP, *paths]:
        if path.exists():
            shutil.rmtree(path)
