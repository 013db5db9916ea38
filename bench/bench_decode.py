"""Benchmark: lattice-decoding cost and search errors against the decoding beam. For each
beam, the real-time factor of each stage (LatticeSimpleDecoder, word-lattice determinization
+ pruning, the LMWT x WIP best-path sweep), how many of the sweep's 1-best hypotheses
(LMWT 7..17 x WIP 0, 0.5, 1 per utterance) differ from those at the widest beam, taken as
the search-error-free reference, and, when the data dir has a text file, the sweep's best
and mean WER (graphs built differently are compared by running this once per graph dir;
use dev data, never test). Acoustic scale
1/default LMWT (12 for GMMs, 10 for neural models); acoustic scoring is not timed.
Writes bench/out/decode_beam.md.

    PYTHONPATH=. .venv/bin/python bench/bench_decode.py [--beams "9 10 11 13"] [--utts 30] \\
        [--lattice-beam 6.0] [--out bench/out/decode_beam.md] <model-dir> <graph-dir> <data-dir>
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import kaldifst
import numpy as np

from pykaldi_distill.acoustic import load_acoustic_model
from pykaldi_distill.cli import run
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.decoding import lattice
from pykaldi_distill.decoding.score import compute_wer
from pykaldi_distill.errors import InputError, require_dir, require_file
from pykaldi_distill.features import check_feature_dim, load_features
from pykaldi_distill.formats.io import read_table, write_text_atomic
from pykaldi_distill.hmm.transitions import transition_id_matrix

FRAMES_PER_SECOND = 100
SETTINGS = [(float(lmwt), wip) for wip in (0.0, 0.5, 1.0) for lmwt in range(7, 18)]


@dataclass
class BeamStats:
    """Seconds spent per stage, summed over utterances, and the hypotheses' differences."""

    decoder: float = 0.0
    word_lattice: float = 0.0
    best_paths: float = 0.0
    failed: int = 0  # utterances without a lattice (all their hypotheses count as empty)
    differing: int = 0
    hyps: list[dict[str, list[str]]] = field(  # per SETTINGS entry: utt -> words
        default_factory=lambda: [{} for _ in SETTINGS])

    def wers(self, refs: dict[str, list[str]]) -> list[float]:
        """WER % of each sweep setting over the decoded utterances that have a reference."""
        return [compute_wer({u: refs[u] for u in h if u in refs}, h).wer for h in self.hyps]


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_decode", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beams", default="9 10 11 13",
                   help="decoding beams; the widest is the reference for search errors")
    p.add_argument("--utts", type=int, default=30, help="decode the first N utterances")
    p.add_argument("--lattice-beam", type=float, default=6.0)
    p.add_argument("--out", type=Path, default=Path("bench/out/decode_beam.md"))
    p.add_argument("model_dir", type=Path)
    p.add_argument("graph_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    return p


def parse_beams(text: str) -> list[float]:
    try:
        beams = sorted({float(b) for b in text.split()})
    except ValueError as err:
        raise InputError("--beams", f"not a list of numbers: {text!r}", 'e.g. "9 11 13"') from err
    if not beams:
        raise InputError("--beams", "no beam given", 'e.g. "9 11 13"')
    return beams


def decode_one(hclg: kaldifst.StdVectorFst, tid_loglikes: np.ndarray,
               config: lattice.LatticeConfig, stats: BeamStats) -> list[list[int]]:
    """One utterance at one beam: the sweep's 1-best word ids, one list per SETTINGS entry;
    each stage's seconds are added to `stats`."""
    decodable = lattice.decodable_from_matrix(tid_loglikes)
    start = time.perf_counter()
    try:
        raw = lattice.decode_raw_lattice(hclg, decodable, config)
    except RuntimeError:  # no lattice: decode.py counts the utterance as failed
        stats.decoder += time.perf_counter() - start
        stats.failed += 1
        return [[] for _ in SETTINGS]
    decoded = time.perf_counter()
    word_lat = lattice.word_lattice(raw, config)
    determinized = time.perf_counter()
    hyps = lattice.best_paths(word_lat, SETTINGS)
    done = time.perf_counter()
    stats.decoder += decoded - start
    stats.word_lattice += determinized - decoded
    stats.best_paths += done - determinized
    return hyps


def check_not_sat(model_dir: Path) -> None:
    """A SAT final.mdl needs fMLLR-adapted features, which this benchmark does not make."""
    if (model_dir / "final.alimdl").is_file():
        raise InputError(model_dir / "final.alimdl", "this is a speaker-adapted (SAT) model: "
                         "its final.mdl needs fMLLR-adapted features",
                         "benchmark a speaker-independent model dir (e.g. tri1, tri2b)")


def run_beams(args: argparse.Namespace, beams: list[float]
              ) -> tuple[dict[float, BeamStats], int, int, dict[str, list[str]]]:
    """(stats per beam, utterances decoded, frames decoded, reference words per utterance)."""
    require_dir(args.model_dir, "pass a trained model dir (exp/<system>)")
    model = load_acoustic_model(args.model_dir)
    tm, pipeline, scorer, input_dim, default_lmwt = (model.tm, model.pipeline, model.scorer,
                                                     model.input_dim, model.default_lmwt)
    check_not_sat(args.model_dir)
    hclg_path = require_file(args.graph_dir / "HCLG.fst", "build it with local/mkgraph.sh")
    data = load_data_dir(args.data_dir)
    hclg = kaldifst.StdVectorFst.read(str(hclg_path))
    acwt = 1.0 / default_lmwt
    configs = {b: lattice.LatticeConfig(beam=b, lattice_beam=args.lattice_beam, acwt=acwt)
               for b in beams}
    stats = {b: BeamStats() for b in beams}
    id2word = {int(i): w for w, i in read_table(args.graph_dir / "words.txt").items()}
    utts = frames = 0
    for utt, feats in load_features(data, pipeline):
        if utts >= args.utts:
            break
        check_feature_dim(feats, input_dim, data.path / "feats.scp")
        tid_loglikes = transition_id_matrix(scorer(feats) * acwt, tm)
        hyps = {b: decode_one(hclg, tid_loglikes, configs[b], stats[b]) for b in beams}
        for b in beams:
            stats[b].differing += sum(h != r for h, r in zip(hyps[b], hyps[beams[-1]],
                                                             strict=True))
            for table, words in zip(stats[b].hyps, hyps[b], strict=True):
                table[utt] = [id2word[w] for w in words]
        utts, frames = utts + 1, frames + feats.shape[0]
    if not frames:
        raise InputError(data.path, "no utterance to decode", "pass --utts >= 1")
    return stats, utts, frames, {u: t.split() for u, t in data.text.items()}


def report(args: argparse.Namespace, beams: list[float], stats: dict[float, BeamStats],
           utts: int, frames: int, refs: dict[str, list[str]]) -> str:
    audio = frames / FRAMES_PER_SECOND
    lines = ["# Lattice decoding: cost and search errors against the beam", "",
             f"Model {args.model_dir}, graph {args.graph_dir / 'HCLG.fst'}, data {args.data_dir}: "
             f"{utts} utterances, {frames} frames ({audio:.1f} s); lattice beam "
             f"{args.lattice_beam}; {os.cpu_count()} CPUs, {platform.platform()}, "
             f"Python {platform.python_version()}.", "",
             f"RTF = seconds / seconds of audio. Differing: 1-best hypotheses of the LMWT 7..17 "
             f"x WIP {{0, 0.5, 1}} sweep that differ from those at beam {beams[-1]:g} "
             f"(the reference), out of {utts} x {len(SETTINGS)}. WER: the sweep's best and "
             "mean over its settings (n/a without a text file).", "",
             "| beam | decoder RTF | word_lattice RTF | best_paths RTF | total RTF | "
             "no lattice | differing | best WER | mean WER |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in beams:
        s = stats[b]
        total = s.decoder + s.word_lattice + s.best_paths
        wers = s.wers(refs) if refs else []
        wer_cells = f"{min(wers):.2f} | {np.mean(wers):.2f}" if wers else "n/a | n/a"
        lines.append(f"| {b:g} | {s.decoder / audio:.3f} | {s.word_lattice / audio:.3f} | "
                     f"{s.best_paths / audio:.3f} | {total / audio:.3f} | {s.failed} | "
                     f"{s.differing} / {utts * len(SETTINGS)} | {wer_cells} |")
    return "\n".join(lines) + "\n"


def main_args(args: argparse.Namespace) -> None:
    beams = parse_beams(args.beams)
    stats, utts, frames, refs = run_beams(args, beams)
    write_text_atomic(args.out, report(args, beams, stats, utts, frames, refs))
    print(args.out.read_text() + f"\nwrote {args.out}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
