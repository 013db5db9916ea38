"""Triphone GMM-HMM training on delta features (Kaldi steps/train_deltas.sh):
`train_deltas.py [options] <data-dir> <lang-dir> <ali-dir> <exp-dir>` writes final.mdl, tree,
ali.1.gz, num_jobs, cmvn_opts, delta_opts and the resolved config.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..data import DataDir, load_data_dir
from ..expdir import read_alignments, read_cmvn_opts, write_gmm_exp_dir
from ..features import FeaturePipeline, load_features, parse_cmvn_opts
from ..gmm import GmmSystem, IterStats, transcript_graph_compiler
from ..lang import Lang, load_lang, read_int_lines, read_ints
from ..model_io import read_gmm_model, read_tree
from ..triphone import PhoneSets, TriConfig, train_deltas


def add_triphone_arguments(p: argparse.ArgumentParser, d: TriConfig) -> None:
    """The options and arguments every triphone trainer takes (train_deltas/lda_mllt/sat)."""
    p.add_argument("--num-leaves", type=int, default=d.num_leaves)
    p.add_argument("--totgauss", type=int, default=d.totgauss)
    p.add_argument("--num-iters", type=int, default=d.num_iters)
    p.add_argument("--boost-silence", type=float, default=d.boost_silence)
    p.add_argument("--seed", type=int, default=d.seed,
                   help="seed of the Gaussian splitting (mixing up)")
    p.add_argument("--cmvn-opts", default="",
                   help="apply-cmvn options, e.g. '--norm-vars=true' (default: the ali dir's "
                   "cmvn_opts, as Kaldi's steps/train_deltas.sh)")
    p.add_argument("data_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("ali_dir", type=Path)
    p.add_argument("exp_dir", type=Path)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_deltas", description=__doc__)
    add_triphone_arguments(p, TriConfig())
    return p


def read_phone_sets(lang_dir: Path) -> PhoneSets:
    phones = lang_dir / "phones"
    return PhoneSets(sets=read_int_lines(phones / "sets.int"),
                     extra_questions=read_int_lines(phones / "extra_questions.int"),
                     roots=read_int_lines(phones / "roots.int", skip_words=2),
                     ci_phones=read_ints(phones / "context_indep.int"))


def fit_schedule(config: TriConfig) -> None:
    """Shorter runs (--num-iters): mix up until 10 iterations before the end, realign only
    on iterations that exist."""
    config.max_iter_inc = min(config.max_iter_inc, max(1, config.num_iters - 10))
    config.realign_iters = [i for i in config.realign_iters if i < config.num_iters]


def load_source(args: argparse.Namespace) -> tuple[DataDir, Lang, GmmSystem,
                                                   dict[str, list[int]]]:
    """The training data dir, lang dir, and the source system with its alignments."""
    data = load_data_dir(args.data_dir, need_text=True)
    lang = load_lang(args.lang_dir)
    tm, am = read_gmm_model(args.ali_dir / "final.mdl")
    source = GmmSystem(tm, read_tree(args.ali_dir / "tree"), am)
    return data, lang, source, dict(read_alignments(args.ali_dir))


def cmvn_settings(args: argparse.Namespace) -> tuple[bool, bool]:
    """(norm_means, norm_vars) from --cmvn-opts, else as the source system applied them."""
    if not args.cmvn_opts:
        return read_cmvn_opts(args.ali_dir)
    return parse_cmvn_opts(args.cmvn_opts)


def log_iter(stats: IterStats) -> None:
    log(str(stats))


def main_args(args: argparse.Namespace) -> None:
    config = TriConfig(num_leaves=args.num_leaves, totgauss=args.totgauss,
                       num_iters=args.num_iters, boost_silence=args.boost_silence,
                       seed=args.seed)
    fit_schedule(config)
    log_config(config)
    data, lang, source, alignments = load_source(args)
    norm_means, norm_vars = cmvn_settings(args)
    pipeline = FeaturePipeline(norm_means=norm_means, norm_vars=norm_vars, delta_order=2)
    feats = dict(load_features(data, pipeline))
    system, final_alis = train_deltas(source, alignments, feats, lang.topo,
                                      read_phone_sets(args.lang_dir), lang.silence_phone_ids,
                                      transcript_graph_compiler(lang, data), config, log_iter)
    log(f"tree: {system.tm.num_pdfs} leaves; aligned {len(final_alis)} of {len(feats)} utts")
    write_gmm_exp_dir(args.exp_dir, system.tm, system.tree, system.am, final_alis, pipeline,
                      data.path, config)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
