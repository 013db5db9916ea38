"""Decode a data dir with PocketSphinx, one job's share, as a peer of our systems:
`decode_pocketsphinx.py [options] <words> <data-dir> <out-dir>`.

<words> is a Kaldi words.txt or a word list (first column; <eps>, <UNK>, #0 ... are
skipped): the grammar's vocabulary. Hypotheses go to `<out-dir>/penalty_0.0/1.txt` (one
scoring setting: PocketSphinx has no LM weight to sweep here) and CPU time per second of
audio to `<out-dir>/rtf.json`, the layout decode.py writes, so merge_decode.py and score.py
finish the job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..data import load_data_dir
from ..decoding.decode import write_single_setting
from ..deploy.sphinx import SphinxConfig, decode_samples, make_decoder, task_words
from ..errors import InputError, require_file
from ..features import utterance_audio


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="decode_pocketsphinx", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=int, default=SphinxConfig.rate,
                   help="sample rate the audio is resampled to (the model's)")
    p.add_argument("--single-word", action="store_true",
                   help="exactly one word per utterance (default: a loop of words)")
    p.add_argument("words", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def read_words(path: Path) -> list[str]:
    lines = require_file(path, "give the lang dir's words.txt or a word list").read_text()
    words = task_words(line.split()[0] for line in lines.splitlines() if line.strip())
    if not words:
        raise InputError(path, "no words in it", "give the lang dir's words.txt or a word list")
    return words


def main_args(args: argparse.Namespace) -> None:
    config = SphinxConfig(rate=args.rate, loop=not args.single_word)
    log_config(config)
    words = read_words(args.words)
    decoder = make_decoder(words, config, args.words)
    spelling = {w.lower(): w for w in words}
    data = load_data_dir(args.data_dir)
    hyps: dict[str, str] = {}
    cpu = wall = audio = 0.0
    for utt in data.utts:
        result = decode_samples(decoder, utterance_audio(data, utt, config.rate), config.rate,
                                spelling)
        hyps[utt] = " ".join(result.words)
        cpu += result.cpu_seconds
        wall += result.wall_seconds
        audio += result.audio_seconds
    if not audio:
        raise InputError(data.path, "no audio to decode")
    stats = write_single_setting(args.out_dir, hyps, cpu, wall, audio)
    log(f"decoded {len(hyps)} utterances, RTF (CPU) {stats['rtf_cpu']:.3f}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
