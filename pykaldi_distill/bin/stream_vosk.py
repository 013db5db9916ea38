"""Stream one recording through a Vosk model dir (export_nnet3.py) as a live microphone
would feed it: `stream_vosk.py [--chunk-seconds 0.2] <vosk-model-dir> <audio>`. Prints each
partial result as audio arrives, then the final result with each word's start and end
time, and the latency from the last chunk to the final result. <audio> is any file sox
reads (resampled to the model's rate) or a `cmd |` pipe, as in wav.scp.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..audio import read_audio
from ..cli import run
from ..deploy.vosk_model import load_vosk_model, recognise
from ..errors import InputError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stream_vosk", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunk-seconds", type=float, default=0.2)
    p.add_argument("model_dir", type=Path)
    p.add_argument("audio")
    return p


def main_args(args: argparse.Namespace) -> None:
    if args.chunk_seconds <= 0:
        raise InputError(args.model_dir, "--chunk-seconds must be positive")
    model, rate = load_vosk_model(args.model_dir)
    samples = read_audio(args.audio, rate)
    result = recognise(model, samples, rate, args.chunk_seconds,
                       lambda seconds, text: print(f"{seconds:6.2f} s  partial: {text}",
                                                   flush=True))
    words = " ".join(f"{w} ({b:.2f}-{e:.2f})"
                     for w, (b, e) in zip(result.words, result.times, strict=True))
    print(f"{result.audio_seconds:6.2f} s  final: {words}")
    print(f"latency {1000 * result.final_latency:.0f} ms after the last chunk; "
          f"CPU RTF {result.cpu_seconds / result.audio_seconds:.3f}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
