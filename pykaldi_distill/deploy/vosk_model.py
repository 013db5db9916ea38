"""A Vosk model directory (Kaldi's online nnet3 decoder, pip `vosk`) around an exported
student, and decoding audio through it. Layout and options: docs/nnet3-vosk-format.md §4–5.

    am/final.mdl              TransitionModel + nnet3 AmNnetSimple (nnet3.py)
    am/tree, am/cmvn_opts     for Kaldi users (nnet3-latgen-faster, online2-wav-nnet3-...)
    am/global_cmvn.stats      only for a student trained with mean normalisation: Vosk has no
                              per-speaker CMVN and, with fbank, subtracts this global mean
    conf/fbank.conf           the training features' options (or conf/mfcc.conf)
    conf/model.conf           decoder options: acoustic scale, beams, endpointing
    graph/HCLG.fst, graph/words.txt, graph/phones/word_boundary.int
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, require_file
from ..features import read_conf
from ..formats.io import write_text_atomic


@dataclass
class VoskDecoderConfig:
    """conf/model.conf: Kaldi's online decoder and decodable options."""

    acoustic_scale: float = 0.1  # 1 / the LM weight chosen on dev
    beam: float = 13.0
    max_active: int = 7000
    min_active: int = 200
    lattice_beam: float = 6.0

    def lines(self, silence_phones: list[int]) -> list[str]:
        return [f"--acoustic-scale={self.acoustic_scale:g}", "--frame-subsampling-factor=1",
                f"--beam={self.beam:g}", f"--max-active={self.max_active}",
                f"--min-active={self.min_active}", f"--lattice-beam={self.lattice_beam:g}",
                "--endpoint.silence-phones=" + ":".join(map(str, silence_phones))]


def write_feature_conf(conf: Path, kind: str, out_dir: Path) -> None:
    """conf/<kind>.conf with dither 0 unless training used dither (Kaldi's online default
    is 1.0; ours is 0)."""
    lines = [line for line in require_file(conf).read_text().splitlines()
             if line.split("#", 1)[0].strip()]
    if not any(line.startswith("--dither=") for line in lines):
        lines.append("--dither=0")
    write_text_atomic(out_dir / "conf" / f"{kind}.conf", "".join(f"{x}\n" for x in lines))


def global_cmvn_stats(speaker_stats: list[np.ndarray]) -> np.ndarray:
    """Sum of per-speaker Kaldi CMVN stats, each (2, dim+1): the training set's global mean
    and count, as Vosk's am/global_cmvn.stats holds them."""
    if not speaker_stats:
        raise ValueError("no CMVN stats to sum")
    return np.sum(np.stack(speaker_stats), axis=0)  # (2, dim+1)


def copy_graph(graph: Path, out_dir: Path) -> None:
    dest = out_dir / "graph"
    (dest / "phones").mkdir(parents=True, exist_ok=True)
    for name in ["HCLG.fst", "words.txt", "phones.txt"]:
        shutil.copyfile(require_file(graph / name, "make the graph with local/mkgraph.sh"),
                        dest / name)
    boundary = graph / "phones" / "word_boundary.int"
    if boundary.is_file():  # without it Vosk runs MBR on an unaligned lattice (no word times)
        shutil.copyfile(boundary, dest / "phones" / "word_boundary.int")


def load_vosk_model(model_dir: Path) -> tuple[object, int]:
    """The vosk.Model and the sample rate its features expect."""
    import vosk

    for name in ["am/final.mdl", "conf/model.conf", "graph/HCLG.fst", "graph/words.txt"]:
        require_file(model_dir / name, "make the model dir with local/export_nnet3.sh")
    kind = "mfcc" if (model_dir / "conf" / "mfcc.conf").is_file() else "fbank"  # Vosk's order
    rate = read_conf(model_dir / "conf" / f"{kind}.conf", kind).sample_rate
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(model_dir)), rate
    except Exception as err:  # vosk raises a bare Exception when Kaldi refuses a file
        raise InputError(model_dir / "am" / "final.mdl", f"Vosk cannot load the model: {err}",
                         "re-export it with local/export_nnet3.sh") from None


@dataclass
class Recognised:
    words: list[str]
    times: list[tuple[float, float]]  # (start, end) seconds of each word
    partials: int  # partial results seen while streaming
    cpu_seconds: float
    audio_seconds: float
    final_latency: float  # seconds from the last chunk to the final result


# Vosk 0.3.45 reports word times in units of 3 frames (30 ms, its chain models' output rate);
# our networks output every 10 ms frame.
VOSK_TIME_SCALE = 1.0 / 3.0


def recognise(model: object, samples: np.ndarray, rate: int, chunk_seconds: float = 0.2,
              on_partial: Callable[[float, str], None] | None = None) -> Recognised:
    """Feed int16-scale samples (n,) to a vosk.KaldiRecognizer in chunks, as a stream;
    `on_partial(seconds fed, partial text)` after each chunk whose partial result is not
    empty."""
    import vosk

    rec = vosk.KaldiRecognizer(model, rate)
    rec.SetWords(True)
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
    step = max(2, int(chunk_seconds * rate) * 2)
    partials = 0
    start = time.process_time()
    last = time.perf_counter()
    for i in range(0, len(pcm), step):
        rec.AcceptWaveform(pcm[i:i + step])
        partial = json.loads(rec.PartialResult()).get("partial", "")
        last = time.perf_counter()
        if partial:
            partials += 1
            if on_partial is not None:
                on_partial(min(i + step, len(pcm)) / 2 / rate, partial)
    result = json.loads(rec.FinalResult())
    latency = time.perf_counter() - last
    items = result.get("result", [])
    return Recognised(words=result.get("text", "").split(),
                      times=[(w["start"] * VOSK_TIME_SCALE, w["end"] * VOSK_TIME_SCALE)
                             for w in items],
                      partials=partials, cpu_seconds=time.process_time() - start,
                      audio_seconds=len(samples) / rate, final_latency=latency)
