"""Speaker adaptive training on fMLLR-adapted features (Kaldi steps/train_sat.sh):
`train_sat.py [options] <data-dir> <lang-dir> <ali-dir> <exp-dir>`. The features are the
alignment system's (e.g. tri2's LDA+MLLT, final.mat is copied); writes final.mdl,
final.alimdl (speaker-independent, for first-pass decoding), trans.1 (the training
speakers' fMLLR transforms), tree, ali.1.gz, num_jobs, cmvn_opts, splice_opts, final.mat
and the resolved config.json."""

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
from ..expdir import load_gmm_source, read_pipeline, write_gmm_exp_dir
from ..features import load_features
from ..formats.io import write_matrix_ark
from ..formats.model_io import write_gmm_model
from ..gmm.sat import SatConfig, train_sat
from ..gmm.triphone import fit_schedule, read_phone_sets


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_sat", description=__doc__)
    d = SatConfig()
    add_tree_trainer_arguments(p, d)
    p.add_argument("--fmllr-iters", default=" ".join(map(str, d.fmllr_iters)))
    p.add_argument("--silence-weight", type=float, default=d.silence_weight,
                   help="weight of silence frames in the fMLLR statistics")
    return p


def main_args(args: argparse.Namespace) -> None:
    config = SatConfig(num_leaves=args.num_leaves, totgauss=args.totgauss,
                       num_iters=args.num_iters, boost_silence=args.boost_silence,
                       seed=args.seed,
                       fmllr_iters=[int(x) for x in args.fmllr_iters.split()],
                       silence_weight=args.silence_weight)
    fit_schedule(config)
    config.fmllr_iters = [i for i in config.fmllr_iters if i < config.num_iters]
    log_config(config)
    data, lang, source, alignments = load_gmm_source(args.data_dir, args.lang_dir, args.ali_dir)
    pipeline = read_pipeline(args.ali_dir)
    si_feats = dict(load_features(data, pipeline))

    def on_fmllr(it: int, gain: float) -> None:
        when = "initial transforms" if it < 0 else f"iter {it}"
        log(f"{when}: fMLLR objective improvement {gain:.4f} per frame")

    files, resume = iteration_files(args.exp_dir, args.stage, config.num_iters)
    result = train_sat(source, alignments, si_feats, data.utt2spk, lang.topo,
                       read_phone_sets(args.lang_dir), lang.silence_phone_ids,
                       training_graphs(lang, data), config, log_stats, on_fmllr,
                       resume, files.save)
    system = result.system
    log(f"tree: {system.tm.num_pdfs} leaves, {system.am.num_gauss} Gaussians; "
        f"aligned {len(result.alignments)} of {len(si_feats)} utts; "
        f"{len(result.transforms)} speaker transforms")
    exp = args.exp_dir
    write_matrix_ark(exp / "trans.1", sorted(result.transforms.items()))
    write_gmm_model(exp / "final.alimdl", system.tm, result.alimdl)
    write_gmm_exp_dir(exp, system.tm, system.tree, system.am, result.alignments, pipeline,
                      data.path, config)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
