"""Benchmark: a student streamed through Vosk (Kaldi's online nnet3 decoder, one thread) in
chunks of several sizes: CPU real-time factor, latency (seconds from the last chunk fed to the
final result: what a user waits after they stop speaking, when audio arrives in real time and
the recogniser keeps up), and WER on the data dir's text. Writes bench/REPORT_vosk_stream.md.

    PYTHONPATH=. .venv/bin/python bench/bench_vosk_stream.py [--chunks "0.1 0.2 0.5"] \\
        [--utts 100] [--out bench/REPORT_vosk_stream.md] <vosk-model-dir> <data-dir>

Use a dev set: the WER column is there to show that the chunk size does not change it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np

from pykaldi_distill.cli import run
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.decoding.score import compute_wer
from pykaldi_distill.deploy.vosk_model import load_vosk_model, recognise
from pykaldi_distill.features import utterance_audio


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_vosk_stream", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", default="0.1 0.2 0.5", help="chunk sizes in seconds")
    p.add_argument("--utts", type=int, default=100, help="first N utterances of the data dir")
    p.add_argument("--out", type=Path, default=Path("bench/REPORT_vosk_stream.md"))
    p.add_argument("model_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    model, rate = load_vosk_model(args.model_dir)
    data = load_data_dir(args.data_dir)
    utts = data.utts[:args.utts]
    audio = {u: utterance_audio(data, u, rate) for u in utts}
    rows = []
    for chunk in (float(x) for x in args.chunks.split()):
        results = {u: recognise(model, audio[u], rate, chunk) for u in utts}
        seconds = sum(r.audio_seconds for r in results.values())
        latency = np.array([r.final_latency for r in results.values()])  # (utts,)
        wer = compute_wer({u: data.text[u].split() for u in utts},
                          {u: r.words for u, r in results.items()}).wer
        rows.append(f"| {chunk:g} | {sum(r.cpu_seconds for r in results.values()) / seconds:.4f}"
                    f" | {1000 * latency.mean():.0f} | {1000 * np.percentile(latency, 95):.0f}"
                    f" | {np.mean([r.partials for r in results.values()]):.1f} | {wer:.2f} |")
    size = (args.model_dir / "am" / "final.mdl").stat().st_size
    report = [
        "# Streaming through Vosk (Kaldi's online nnet3 decoder)", "",
        f"Model `{args.model_dir}` (am/final.mdl {size / 1e6:.2f} MB), data `{args.data_dir}`, "
        f"{len(utts)} utterances, {sum(len(a) for a in audio.values()) / rate:.0f} s of audio; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, one decoding "
        "thread. Latency: from the last chunk fed to the final result (MBR included).", "",
        "| chunk (s) | CPU RTF | mean latency (ms) | p95 latency (ms) | partial results per "
        "utt. | WER % |", "|---:|---:|---:|---:|---:|---:|", *rows, ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(report))
    print("\n".join(report))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
