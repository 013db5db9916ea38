"""Monophone GMM-HMM training (Kaldi steps/train_mono.sh):
`train_mono.py [options] <data-dir> <lang-dir> <exp-dir>` writes final.mdl, tree, ali.1.gz,
num_jobs, cmvn_opts, delta_opts and the resolved config.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import (
    add_stage_argument,
    iteration_files,
    log,
    log_config,
    log_stats,
    run,
    training_graphs,
)
from ..data import load_data_dir
from ..expdir import write_gmm_exp_dir
from ..features import FeaturePipeline, load_features, parse_cmvn_opts
from ..gmm.system import MonoConfig, train_mono
from ..lang import load_lang, read_int_lines


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_mono", description=__doc__)
    d = MonoConfig()
    p.add_argument("--num-iters", type=int, default=d.num_iters)
    p.add_argument("--totgauss", type=int, default=d.totgauss)
    p.add_argument("--boost-silence", type=float, default=d.boost_silence)
    p.add_argument("--cmvn-opts", default="",
                   help="apply-cmvn options, e.g. '--norm-vars=true' (default: means only)")
    p.add_argument("--seed", type=int, default=d.seed)
    add_stage_argument(p)
    p.add_argument("data_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("exp_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    config = MonoConfig(num_iters=args.num_iters, totgauss=args.totgauss,
                        boost_silence=args.boost_silence, seed=args.seed)
    config.max_iter_inc = min(config.max_iter_inc, max(1, config.num_iters - 10))
    config.realign_iters = [i for i in config.realign_iters if i < config.num_iters]
    log_config(config)
    data = load_data_dir(args.data_dir, need_text=True)
    lang = load_lang(args.lang_dir)
    norm_means, norm_vars = parse_cmvn_opts(args.cmvn_opts)
    pipeline = FeaturePipeline(norm_means=norm_means, norm_vars=norm_vars, delta_order=2)
    feats = dict(load_features(data, pipeline))
    compile_graph = training_graphs(lang, data)

    files, resume = iteration_files(args.exp_dir, args.stage, config.num_iters)
    system, alignments = train_mono(lang.topo, read_int_lines(lang.path / "phones" / "sets.int"),
                                    lang.silence_phone_ids, feats, compile_graph, config, log_stats,
                                    resume, files.save)
    log(f"aligned {len(alignments)} of {len(feats)} utterances")
    write_gmm_exp_dir(args.exp_dir, system.tm, system.tree, system.am, alignments, pipeline,
                      data.path, config)

def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
