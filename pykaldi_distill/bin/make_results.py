"""Write a recipe's RESULTS.md from its decode dirs:
`make_results.py [--title T] [--baseline NAME] <out.md> "name=exp/x/decode_test" ...`;
several runs of one system (seeds): "name=exp/s1/decode_test,exp/s1/decode_dev;exp/s2/...".
With --test-data the relative changes carry paired bootstrap 95 % intervals over speakers
and the WER per voice goes to its own file beside <out.md>."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..cli import run
from ..errors import InputError, PkdError, require_file
from ..formats.io import read_table, write_text_atomic
from ..nnet.distill import read_soft_targets
from ..nnet.hybrid import load_hmm_info, pdf_alignments
from ..report.bootstrap import DRAWS, SEED
from ..report.results import (
    Change,
    SystemResult,
    SystemSpeakers,
    check_order,
    collect,
    combine_runs,
    lexicon_markdown,
    order_changes,
    order_markdown,
    per_speaker_markdown,
    read_stage_times,
    relative_change,
    results_markdown,
    run_speaker_stats,
    soft_target_markdown,
    soft_target_size,
    stage_times_markdown,
)
from ..report.target_stats import soft_target_stats, soft_target_stats_markdown


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_results", description=__doc__)
    p.add_argument("--title", default="results")
    p.add_argument("--baseline", default=None, help="system name for the relative change")
    p.add_argument("--corpus-info", type=Path, default=None,
                   help="corpus.json of a synthetic corpus: adds a corpus section")
    p.add_argument("--dict-dir", type=Path, default=None,
                   help="the recipe's dict dir: adds a lexicon section (words, G2P words)")
    p.add_argument("--g2p-dir", type=Path, default=None,
                   help="with --dict-dir: the G2P that pronounced the words CMUdict lacks")
    p.add_argument("--soft-targets", type=Path, default=None,
                   help="a make_soft_targets.sh dir: adds its disk size per frame")
    p.add_argument("--topk", type=int, default=None, help="the k of its top-k Posteriors")
    p.add_argument("--target-temperatures", default=None,
                   help="comma-separated temperatures: adds how soft the soft targets are "
                   "(top-1 mass, entropy) at each, after --topk as in training")
    p.add_argument("--target-ali", type=Path, default=None,
                   help="an alignment dir (e.g. the GMM's) to compare the targets' argmax with")
    p.add_argument("--test-data", type=Path, default=None,
                   help="the test data dir (its utt2spk): adds paired bootstrap intervals over "
                   "speakers to the relative changes and a table of WER per test (and dev) "
                   "speaker in its own file (--per-speaker-out)")
    p.add_argument("--dev-data", type=Path, default=None,
                   help="the dev data dir, for the dev speakers of that table")
    p.add_argument("--per-speaker-out", type=Path, default=None,
                   help="where the WER per voice goes (default: <out stem>_per_speaker.md "
                   "beside out); needs --test-data")
    p.add_argument("--bootstrap-draws", type=int, default=DRAWS,
                   help="draws of the paired bootstrap over speakers")
    p.add_argument("--bootstrap-seed", type=int, default=SEED,
                   help="seed of the bootstrap draws (the same draws for every comparison)")
    p.add_argument("--stage-times", type=Path, default=None,
                   help="a recipe's exp/stage_times.tsv: adds its wall-clock time per stage")
    p.add_argument("--order", default=None,
                   help="comma-separated system names, worst expected first: adds in how "
                   "many runs their WERs fall in that order, on dev and test, and (with "
                   "--test-data) each consecutive pair on pooled speakers with its interval")
    p.add_argument("out", type=Path)
    p.add_argument("systems", nargs="+",
                   help="name=test-decode-dir[,dev-decode-dir][;test2[,dev2]...]: with a dev "
                   "decode dir the test WER is read at the setting that was best on dev; "
                   "several ';'-separated runs (seeds) give mean ± std")
    return p


def parse_system(spec: str) -> tuple[str, list[tuple[Path, Path | None]]]:
    """name=test[,dev][;test2[,dev2]...] -> (name, [(test, dev or None), ...])."""
    if "=" not in spec:
        raise PkdError(f"system '{spec}' must be given as name=decode-dir")
    name, paths = spec.rsplit("=", 1)  # names may hold '=' (T=2); paths do not
    runs = []
    for run_spec in paths.split(";"):
        test, _, dev = run_spec.partition(",")
        runs.append((Path(test), Path(dev) if dev else None))
    return name, runs


def speaker_counts(systems: list[tuple[str, list[tuple[Path, Path | None]]]],
                   test_data: Path, dev_data: Path | None) -> dict[str, SystemSpeakers]:
    fix = "pass the data dir the decode used"
    test_spk = read_table(test_data / "utt2spk", fix)
    dev_spk = None if dev_data is None else read_table(dev_data / "utt2spk", fix)
    return {name: run_speaker_stats(runs, test_spk, dev_spk) for name, runs in systems}


def speaker_error(what: str, e: ValueError, args: argparse.Namespace) -> PkdError:
    data = [str(d / "utt2spk") for d in (args.test_data, args.dev_data) if d is not None]
    return PkdError(f"{what}: {e} (decode the same data with every system: compare their "
                    f"scoring_kaldi/test_filt.txt and {' / '.join(data)})")


def compare(system: str, baseline: str, speakers: dict[str, SystemSpeakers],
            args: argparse.Namespace) -> Change:
    try:
        return relative_change(speakers[system], speakers[baseline], args.bootstrap_draws,
                               args.bootstrap_seed)
    except ValueError as e:
        raise speaker_error(f"'{system}' vs baseline '{baseline}'", e, args) from e


def baseline_changes(speakers: dict[str, SystemSpeakers] | None,
                     args: argparse.Namespace) -> dict[str, Change]:
    if speakers is None or args.baseline not in speakers:
        return {}
    return {name: compare(name, args.baseline, speakers, args) for name in speakers
            if name != args.baseline}


def per_speaker_out(args: argparse.Namespace) -> Path:
    if args.per_speaker_out is not None:
        return args.per_speaker_out
    return args.out.with_name(f"{args.out.stem}_per_speaker.md")


def order_section(run_rows: dict[str, list[SystemResult]], order: str,
                  speakers: dict[str, SystemSpeakers] | None, args: argparse.Namespace) -> str:
    """`run_rows[name]`: the system's rows, one per run."""
    names = [n.strip() for n in order.split(",")]
    unknown = [n for n in names if n not in run_rows]
    if unknown:
        raise PkdError(f"--order names {unknown[0]!r}, which is not among the systems "
                       f"({', '.join(run_rows)})")
    try:
        check = check_order([run_rows[n] for n in names])
    except ValueError as e:
        raise PkdError(f"--order: {e}") from e
    pairs = None
    if speakers is not None:
        try:
            pairs = order_changes(names, speakers, args.bootstrap_draws, args.bootstrap_seed)
        except ValueError as e:
            raise speaker_error("--order", e, args) from e
    return order_markdown(check, pairs)


def target_stats_section(args: argparse.Namespace) -> str:
    try:
        temps = [float(t) for t in args.target_temperatures.split(",")]
    except ValueError as e:
        raise PkdError(f"--target-temperatures must be comma-separated numbers: {e}") from e
    alignments = None
    if args.target_ali is not None:
        alignments = dict(pdf_alignments(args.target_ali, load_hmm_info(args.target_ali)))
    stats = soft_target_stats(read_soft_targets(args.soft_targets), temps, alignments,
                              args.topk)
    ali_name = None if args.target_ali is None else str(args.target_ali)
    return soft_target_stats_markdown(stats, args.topk, ali_name)


def read_corpus_info(path: Path) -> dict:
    path = require_file(path, "pass the corpus.json the corpus step wrote")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(path, f"not JSON ({e})", "re-run the corpus stage") from e


def main_args(args: argparse.Namespace) -> None:
    if args.per_speaker_out is not None and args.test_data is None:
        raise PkdError("--per-speaker-out needs --test-data (the speakers come from its utt2spk)")
    if args.bootstrap_draws < 1:
        raise PkdError(f"--bootstrap-draws must be positive, got {args.bootstrap_draws}")
    systems = [parse_system(spec) for spec in args.systems]
    run_rows = {name: [collect(name, test, dev) for test, dev in runs] for name, runs in systems}
    results = [combine_runs(name, rows) for name, rows in run_rows.items()]
    corpus = None if args.corpus_info is None else read_corpus_info(args.corpus_info)
    speakers = (None if args.test_data is None
                else speaker_counts(systems, args.test_data, args.dev_data))
    changes = baseline_changes(speakers, args)
    extra = ""
    if args.dict_dir is not None:
        extra += lexicon_markdown(args.dict_dir, args.g2p_dir) + "\n"
    if args.soft_targets is not None:
        extra += soft_target_markdown(soft_target_size(args.soft_targets), args.topk)
        if args.target_temperatures is not None:
            extra += "\n" + target_stats_section(args)
    if args.order is not None:
        extra += ("\n" if extra else "") + order_section(run_rows, args.order, speakers, args)
    if args.stage_times is not None:
        extra += ("\n" if extra else "") + stage_times_markdown(read_stage_times(args.stage_times))
    link = None
    if speakers is not None:
        page = per_speaker_markdown([(name, s.mean_wers()) for name, s in speakers.items()],
                                    args.title)
        path = per_speaker_out(args)
        link = os.path.relpath(path, args.out.parent)
        write_text_atomic(path, page)
    write_text_atomic(args.out, results_markdown(args.title, results, args.baseline, corpus,
                                                 extra, changes, link))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
