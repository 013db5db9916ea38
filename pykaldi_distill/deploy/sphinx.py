"""PocketSphinx (CMU, pip `pocketsphinx`) as a peer recogniser on Kaldi data dirs: its packaged
US-English model with a JSGF grammar over the task's words (a word loop, or one word per
utterance), so that its WER and speed sit beside ours on the same recordings.

The packaged model is wideband (16 kHz); audio at other rates is resampled to it, as a user of
PocketSphinx would. Words are looked up in the packaged dictionary in lower case and written
back in the data dir's spelling.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

GRAMMAR_NAME = "task"


@dataclass(frozen=True)
class SphinxConfig:
    rate: int = 16000  # the packaged en-us model's sample rate; audio is resampled to it
    loop: bool = True  # one or more words per utterance; False: exactly one


@dataclass(frozen=True)
class SphinxUtterance:
    words: list[str]
    cpu_seconds: float  # PocketSphinx's feature extraction and search
    wall_seconds: float
    audio_seconds: float


def grammar(words: Sequence[str], loop: bool) -> str:
    """A JSGF grammar whose sentences are the words (lower case), looped with `loop`."""
    body = " | ".join(w.lower() for w in words)
    return (f"#JSGF V1.0;\ngrammar {GRAMMAR_NAME};\n"
            f"public <utterance> = ( {body} ){'+' if loop else ''} ;\n")


def task_words(words: Iterable[str]) -> list[str]:
    """The words of a Kaldi words.txt or word list: first column, without <eps>, <s>, </s>,
    #0, <UNK> and other non-words."""
    out = []
    for w in words:
        if w and not w.startswith(("<", "#", "!", "[")):
            out.append(w)
    return out


def make_decoder(words: Sequence[str], config: SphinxConfig, source: Path):  # -> Decoder
    """A PocketSphinx decoder for the grammar over `words`. Every word must be in the packaged
    dictionary; `source` (the user's word list) is named when one is not."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=config.rate, loglevel="FATAL")
    missing = [w for w in words if decoder.lookup_word(w.lower()) is None]
    if missing:
        raise InputError(source, f"not in PocketSphinx's en-us dictionary: {' '.join(missing)}",
                         "give only words it knows (its dictionary is cmudict-en-us.dict)")
    decoder.add_jsgf_string(GRAMMAR_NAME, grammar(words, config.loop))
    decoder.activate_search(GRAMMAR_NAME)
    return decoder


def decode_samples(decoder, samples: np.ndarray, rate: int,  # samples: (n,) int16 scale
                   spelling: dict[str, str]) -> SphinxUtterance:
    pcm = np.clip(np.round(samples), -32768, 32767).astype(np.int16).tobytes()
    wall, cpu = time.perf_counter(), time.process_time()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    hyp = decoder.hyp()
    found = hyp.hypstr.split() if hyp is not None else []
    words = [spelling.get(w.split("(")[0], w) for w in found]  # "zero(2)": a variant
    return SphinxUtterance(words, cpu, wall, len(samples) / rate)
