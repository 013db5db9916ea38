"""Plumbing shared by the synthetic corpora: the planned utterance and its data dirs,
per-utterance seeds, parallel rendering of TTS plus perturbation, atomic data-dir writing
and the completion stamp."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import wave
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir, load_data_dir, write_data_dir
from ..errors import PkdError
from ..formats.io import write_text_atomic
from . import perturb
from .perturb import PerturbParams
from .tts import Voice, synthesize_many

STAMP = "corpus.json"
TMP = ".tmp"
CHUNK = 20  # utterances per worker task (festival starts once per task)

# (text given to the TTS engine, final wav, perturbation)
RenderItem = tuple[str, Path, PerturbParams]


@dataclass(frozen=True)
class Utterance:
    """One planned recording: who reads which words into which split, perturbed how."""

    utt_id: str
    spk: str
    split: str
    words: tuple[str, ...]
    perturb: PerturbParams

    @property
    def text(self) -> str:
        return " ".join(self.words)


def wav_path(out_dir: Path, utt: Utterance) -> Path:
    return out_dir / "wav" / utt.split / utt.spk / f"{utt.utt_id}.wav"


def data_dir_for(out_dir: Path, split: str, utts: Iterable[Utterance]) -> DataDir:
    """The data dir <out_dir>/data/<split> of the planned utterances of that split."""
    mine = [u for u in utts if u.split == split]
    return DataDir(
        path=out_dir / "data" / split,
        wav_scp={u.utt_id: str(wav_path(out_dir, u)) for u in mine},
        utt2spk={u.utt_id: u.spk for u in mine},
        text={u.utt_id: u.text for u in mine},
    )


def load_planned(out_dir: Path, splits: Iterable[str], utts: list[Utterance]
                 ) -> dict[str, DataDir] | None:
    """The data dirs of `splits` as on disk, if they hold exactly the planned utterances."""
    dirs = {}
    for split in splits:
        want = data_dir_for(out_dir, split, utts)
        try:
            have = load_data_dir(want.path, need_text=True)
        except PkdError:
            return None
        if (have.text, have.wav_scp, have.utt2spk) != (want.text, want.wav_scp, want.utt2spk):
            return None
        dirs[split] = have
    return dirs


def render_utterances(out_dir: Path, utts: Iterable[Utterance], voice_of: Callable[[str], Voice],
                      work_dir: Path, nj: int) -> None:
    """Render each utterance's wav (wav_path) with its speaker's voice, `nj` at a time."""
    by_voice: dict[Voice, list[RenderItem]] = {}
    for u in utts:
        by_voice.setdefault(voice_of(u.spk), []).append(
            (u.text.lower(), wav_path(out_dir, u), u.perturb))
    render_all(render_tasks(by_voice, work_dir), nj)


def write_corpus(out_dir: Path, splits: Iterable[str], utts: list[Utterance],
                 stamp: dict[str, object]) -> dict[str, DataDir]:
    """Write the splits' data dirs, then the stamp (with each split's minutes of audio),
    which marks the corpus complete."""
    dirs = {split: data_dir_for(out_dir, split, utts) for split in splits}
    for data in dirs.values():
        write_split(data)
    minutes = {split: round(audio_seconds(d) / 60, 2) for split, d in dirs.items()}
    write_text_atomic(out_dir / STAMP,
                      json.dumps({**stamp, "minutes": minutes}, indent=2, sort_keys=True) + "\n")
    return dirs


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
