"""Soft alignments from a teacher (one job's share): per-utterance frame posteriors over
pdfs, written as dense float matrices (Kaldi ark/scp, the `--targets-scp` layout of nnet3
dense targets) and/or as sparse top-k Kaldi Posteriors:

  make_soft_targets.py [--topk K --post-ark P.ark --post-scp P.scp] \\
      <data-dir> <teacher-dir> [<targets.ark> <targets.scp>]

Without <targets.ark> <targets.scp> only the top-k Posteriors are written (their size does
not grow with the number of pdfs).

Posteriors are written at temperature 1; a temperature is applied when a student trains on
them (p_T ∝ p^(1/T), the same as softmax(logits/T) of the teacher).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from ..cli import log, run
from ..data import load_data_dir
from ..errors import PkdError
from ..expdir import check_feat_type
from ..features import check_feature_dim, load_features
from ..formats.io import write_matrices, write_posteriors
from ..nnet.distill import topk_posterior
from ..nnet.hybrid import load_hybrid_model


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_soft_targets", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--topk", type=int, default=0, help="also write top-k Posteriors (0: no)")
    p.add_argument("--post-ark", type=Path, default=None)
    p.add_argument("--post-scp", type=Path, default=None)
    p.add_argument("--num-threads", type=int, default=1)
    p.add_argument("data_dir", type=Path)
    p.add_argument("teacher_dir", type=Path)
    p.add_argument("ark", type=Path, nargs="?", help="dense targets (optional with --topk)")
    p.add_argument("scp", type=Path, nargs="?")
    return p


def main_args(args: argparse.Namespace) -> None:
    if args.topk < 0 or args.num_threads < 1:
        raise PkdError(f"--topk must be >= 0 (0: no Posteriors) and --num-threads >= 1, got "
                       f"{args.topk} and {args.num_threads}")
    torch.set_num_threads(args.num_threads)
    if args.topk and not (args.post_ark and args.post_scp):
        raise PkdError("--topk needs --post-ark and --post-scp")
    if (args.ark is None) != (args.scp is None) or (args.ark is None and not args.topk):
        raise PkdError("give both <targets.ark> <targets.scp> (dense targets), or --topk with "
                       "--post-ark and --post-scp, or both")
    teacher = load_hybrid_model(args.teacher_dir)
    data = load_data_dir(args.data_dir)
    check_feat_type(args.teacher_dir, data.path)
    sparse: dict[str, list] = {}

    def teacher_posteriors() -> Iterator[tuple[str, np.ndarray]]:
        for utt, feats in load_features(data, teacher.pipeline):
            check_feature_dim(feats, teacher.input_dim, data.path / "feats.scp")
            post = np.exp(teacher.log_posteriors(feats))  # (frames, pdfs) float32
            if args.topk:
                sparse[utt] = topk_posterior(post, args.topk)
            yield utt, post

    if args.ark is not None:
        write_matrices(args.ark, args.scp, teacher_posteriors())
    else:
        for _ in teacher_posteriors():  # only their top-k are kept
            pass
    if args.topk:
        write_posteriors(args.post_ark, args.post_scp, sorted(sparse.items()))
    log(f"wrote soft targets for {len(data.utts)} utterances")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
