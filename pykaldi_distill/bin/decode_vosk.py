"""Decode a data dir through Vosk (Kaldi's online nnet3 decoder) with a model dir from
export_nnet3.py, one job's share, streaming each utterance in chunks:
`decode_vosk.py [options] <data-dir> <vosk-model-dir> <out-dir>`.

Hypotheses go to `<out-dir>/penalty_0.0/1.txt` (one setting: the model's conf/model.conf
fixes the acoustic scale), word times to `<out-dir>/words.ctm` (utt 1 start duration word),
and time per second of audio plus the streaming latency (seconds from the last chunk to the
final result, summed) to `<out-dir>/rtf.json`, so merge_decode.py and score.py finish the job.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..cli import log, run
from ..data import load_data_dir
from ..decoding.decode import write_single_setting
from ..deploy.vosk_model import load_vosk_model, recognise
from ..errors import InputError
from ..features import utterance_audio
from ..formats.io import write_text_atomic


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="decode_vosk", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunk-seconds", type=float, default=0.2,
                   help="audio fed to the recogniser at a time")
    p.add_argument("data_dir", type=Path)
    p.add_argument("model_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if args.chunk_seconds <= 0:
        raise InputError(args.model_dir, "--chunk-seconds must be positive")
    start = time.perf_counter()
    model, rate = load_vosk_model(args.model_dir)
    data = load_data_dir(args.data_dir)
    hyps: dict[str, str] = {}
    ctm: list[str] = []
    cpu = audio = latency = 0.0
    for utt in data.utts:
        result = recognise(model, utterance_audio(data, utt, rate), rate, args.chunk_seconds)
        hyps[utt] = " ".join(result.words)
        ctm += [f"{utt} 1 {b:.2f} {e - b:.2f} {w}\n"
                for w, (b, e) in zip(result.words, result.times, strict=True)]
        cpu += result.cpu_seconds
        audio += result.audio_seconds
        latency += result.final_latency
    if not audio:
        raise InputError(data.path, "no audio to decode")
    write_text_atomic(args.out_dir / "words.ctm", "".join(ctm))
    stats = write_single_setting(args.out_dir, hyps, cpu, time.perf_counter() - start, audio,
                                 {"utterances": len(hyps), "latency_seconds": latency})
    log(f"decoded {len(hyps)} utterances, RTF (CPU) {stats['rtf_cpu']:.3f}, mean latency "
        f"{latency / len(hyps) * 1000:.0f} ms after the last chunk")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
