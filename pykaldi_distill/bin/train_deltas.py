"""Triphone GMM-HMM training on delta features (Kaldi steps/train_deltas.sh):
`train_deltas.py [options] <data-dir> <lang-dir> <ali-dir> <exp-dir>` writes final.mdl, tree,
ali.1.gz, num_jobs, cmvn_opts, delta_opts and the resolved config.json."""

from __future__ import annotations

import argparse
import sys

from ..cli import (
    add_tree_trainer_arguments,
    iteration_files,
    log,
    log_config,
    log_stats,
    run,
    training_graphs,
)
from ..expdir import cmvn_settings, load_gmm_source, write_gmm_exp_dir
from ..features import FeaturePipeline, load_features
from ..gmm.triphone import TriConfig, fit_schedule, read_phone_sets, train_deltas


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_deltas", description=__doc__)
    add_tree_trainer_arguments(p, TriConfig())
    return p


def main_args(args: argparse.Namespace) -> None:
    config = TriConfig(num_leaves=args.num_leaves, totgauss=args.totgauss,
                       num_iters=args.num_iters, boost_silence=args.boost_silence,
                       seed=args.seed)
    fit_schedule(config)
    log_config(config)
    data, lang, source, alignments = load_gmm_source(args.data_dir, args.lang_dir, args.ali_dir)
    norm_means, norm_vars = cmvn_settings(args.cmvn_opts, args.ali_dir)
    pipeline = FeaturePipeline(norm_means=norm_means, norm_vars=norm_vars, delta_order=2)
    feats = dict(load_features(data, pipeline))
    files, resume = iteration_files(args.exp_dir, args.stage, config.num_iters)
    system, final_alis = train_deltas(source, alignments, feats, lang.topo,
                                      read_phone_sets(args.lang_dir), lang.silence_phone_ids,
                                      training_graphs(lang, data), config, log_stats,
                                      resume, files.save)
    log(f"tree: {system.tm.num_pdfs} leaves; aligned {len(final_alis)} of {len(feats)} utts")
    write_gmm_exp_dir(args.exp_dir, system.tm, system.tree, system.am, final_alis, pipeline,
                      data.path, config)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
