"""Monophone GMM-HMM training (Kaldi steps/train_mono.sh):
`train_mono.py [options] <data-dir> <lang-dir> <exp-dir>` writes final.mdl, tree, ali.1.gz,
num_jobs, cmvn_opts, delta_opts and the resolved config.json."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..data import load_data_dir
from ..expdir import copy_feature_config, write_pipeline
from ..features import FeaturePipeline, load_features
from ..gmm import IterStats, MonoConfig, graph_compiler_fn, train_mono
from ..io import write_int_vectors_gz, write_text_atomic
from ..lang import load_lang, words_to_ids
from ..model_io import write_gmm_model, write_tree


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_mono", description=__doc__)
    d = MonoConfig()
    p.add_argument("--num-iters", type=int, default=d.num_iters)
    p.add_argument("--totgauss", type=int, default=d.totgauss)
    p.add_argument("--boost-silence", type=float, default=d.boost_silence)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("data_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("exp_dir", type=Path)
    return p


def read_shared_phones(lang_dir: Path) -> list[list[int]]:
    lines = (lang_dir / "phones" / "sets.int").read_text().splitlines()
    return [[int(x) for x in line.split()] for line in lines if line.strip()]


def main_args(args: argparse.Namespace) -> None:
    config = MonoConfig(num_iters=args.num_iters, totgauss=args.totgauss,
                        boost_silence=args.boost_silence, seed=args.seed)
    config.max_iter_inc = min(config.max_iter_inc, max(1, config.num_iters - 10))
    config.realign_iters = [i for i in config.realign_iters if i < config.num_iters]
    log_config(config)
    data = load_data_dir(args.data_dir, need_text=True)
    lang = load_lang(args.lang_dir)
    pipeline = FeaturePipeline(norm_means=True, norm_vars=False, delta_order=2)
    word_ids = {u: words_to_ids(lang, data.text[u].split(), data.path / "text") for u in data.utts}
    feats = dict(load_features(data, pipeline))
    compile_graph = graph_compiler_fn(lang.load_fst("L.fst"), lang.disambig_phone_ids, word_ids)

    def on_iter(stats: IterStats) -> None:
        log(f"iter {stats.iteration}: avg loglike/frame {stats.avg_loglike:.3f} over "
            f"{stats.frames} frames, {stats.num_gauss} Gaussians, "
            f"{stats.num_failed} utts failed to align")

    system, alignments = train_mono(lang.topo, read_shared_phones(lang.path),
                                    lang.silence_phone_ids, feats, compile_graph, config, on_iter)
    log(f"aligned {len(alignments)} of {len(feats)} utterances")
    exp = args.exp_dir
    exp.mkdir(parents=True, exist_ok=True)
    write_tree(exp / "tree", system.tree)
    write_int_vectors_gz(exp / "ali.1.gz", sorted(alignments.items()))
    write_text_atomic(exp / "num_jobs", "1\n")
    write_pipeline(exp, pipeline)
    copy_feature_config(data.path, exp)
    write_text_atomic(exp / "config.json",
                      json.dumps(dataclasses.asdict(config), indent=1, sort_keys=True) + "\n")
    write_gmm_model(exp / "final.mdl", system.tm, system.am)  # last: marks the dir complete

def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
