"""Triphone GMM-HMM on LDA+MLLT features (Kaldi steps/train_lda_mllt.sh):
`train_lda_mllt.py [options] <data-dir> <lang-dir> <ali-dir> <exp-dir>` writes final.mdl,
final.mat, tree, ali.1.gz, num_jobs, cmvn_opts, splice_opts and the resolved config.json."""

from __future__ import annotations

import argparse
import dataclasses
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
from ..errors import InputError
from ..expdir import cmvn_settings, load_gmm_source, write_gmm_exp_dir
from ..features import FeaturePipeline, load_features
from ..gmm.triphone import (
    LdaMlltConfig,
    check_start_transform,
    fit_schedule,
    read_phone_sets,
    train_lda_mllt,
)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_lda_mllt", description=__doc__)
    d = LdaMlltConfig()
    add_tree_trainer_arguments(p, d)
    p.add_argument("--splice", type=int, default=d.splice,
                   help="frames of context on each side before LDA (splice_opts)")
    p.add_argument("--dim", type=int, default=d.lda_dim, help="LDA output dimension")
    p.add_argument("--mllt-iters", default=" ".join(map(str, d.mllt_iters)))
    p.add_argument("--init-transform", choices=["lda", "deltas"], default=d.init_transform,
                   help="what MLLT starts from: LDA, or add-deltas as a matrix over splice 4 "
                   "(with --splice 4 --dim 3 x the feature dim: MLLT on tri1's features)")
    return p


def main_args(args: argparse.Namespace) -> None:
    config = LdaMlltConfig(num_leaves=args.num_leaves, totgauss=args.totgauss,
                           num_iters=args.num_iters, boost_silence=args.boost_silence,
                           seed=args.seed,
                           splice=args.splice, lda_dim=args.dim,
                           mllt_iters=[int(x) for x in args.mllt_iters.split()],
                           init_transform=args.init_transform)
    fit_schedule(config)
    log_config(config)
    data, lang, source, alignments = load_gmm_source(args.data_dir, args.lang_dir, args.ali_dir)
    norm_means, norm_vars = cmvn_settings(args.cmvn_opts, args.ali_dir)
    spliced_pipeline = FeaturePipeline(norm_means=norm_means, norm_vars=norm_vars,
                                       splice=config.splice)
    spliced = dict(load_features(data, spliced_pipeline))
    try:  # before any statistics are gathered
        check_start_transform(config, next(iter(spliced.values())).shape[1])
    except ValueError as err:
        raise InputError(data.path / "feats.scp", str(err), "change --splice / --dim") from err

    def on_mllt(it: int, gain: float) -> None:
        log(f"iter {it}: MLLT objective improvement {gain:.4f} per frame")

    files, resume = iteration_files(args.exp_dir, args.stage, config.num_iters)
    system, final_alis, transform = train_lda_mllt(
        source, alignments, spliced, lang.topo, read_phone_sets(args.lang_dir),
        lang.silence_phone_ids, training_graphs(lang, data), config, log_stats, on_mllt,
        resume, files.save)
    log(f"tree: {system.tm.num_pdfs} leaves, {system.am.num_gauss} Gaussians; "
        f"aligned {len(final_alis)} of {len(spliced)} utts")
    pipeline = dataclasses.replace(spliced_pipeline, transform=transform)
    write_gmm_exp_dir(args.exp_dir, system.tm, system.tree, system.am, final_alis, pipeline,
                      data.path, config)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
