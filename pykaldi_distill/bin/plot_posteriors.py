"""Plot a teacher's soft targets of one utterance against a GMM alignment:
`plot_posteriors.py [--utt UTT] [--max-pdfs N] <soft-targets-dir> <ali-dir> <out.png>`;
soft-targets-dir holds targets.scp (frames x pdfs posteriors), ali-dir final.mdl, tree and
ali.*.gz. The default utterance is the first (sorted) one present in both."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..cli import log, run
from ..errors import InputError, PkdError, require_dir
from ..nnet.distill import read_soft_targets, soft_target_scp
from ..nnet.hybrid import load_hmm_info, pdf_alignments
from ..report.plots import plot_posteriors_vs_alignment


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plot_posteriors", description=__doc__)
    p.add_argument("--utt", default=None, help="utterance to plot (default: first in both)")
    p.add_argument("--max-pdfs", type=int, default=40, help="at most this many pdf rows")
    p.add_argument("targets_dir", type=Path, help="soft-targets dir with targets.scp")
    p.add_argument("ali_dir", type=Path, help="alignment dir with final.mdl, tree, ali.*.gz")
    p.add_argument("out", type=Path, help="output PNG")
    return p


def main_args(args: argparse.Namespace) -> None:
    if args.max_pdfs < 1:
        raise PkdError(f"--max-pdfs must be at least 1, got {args.max_pdfs}")
    require_dir(args.targets_dir, "run the soft-target stage (make_soft_targets.py) first")
    scp = soft_target_scp(args.targets_dir)
    hmm = load_hmm_info(args.ali_dir)
    alis_name = args.ali_dir / "ali.*.gz"
    targets = dict(read_soft_targets(args.targets_dir))
    alignments = dict(pdf_alignments(args.ali_dir, hmm))
    if args.utt is not None:
        utt = args.utt
        if utt not in targets:
            raise InputError(scp, f"no utterance '{utt}'", "pick one with soft targets")
        if utt not in alignments:
            raise InputError(alis_name, f"no alignment of '{utt}'", "pick an aligned utterance")
    else:
        common = sorted(set(targets) & set(alignments))
        if not common:
            raise InputError(scp, f"no utterance in common with {alis_name}",
                             "use targets and alignments of the same data")
        utt = common[0]
    try:
        post = np.asarray(targets[utt], dtype=np.float32)
    except (OSError, ValueError) as e:
        raise InputError(scp, f"cannot read the matrix of '{utt}': {e}") from e
    ali = alignments[utt]
    if post.ndim != 2:
        raise InputError(scp, f"'{utt}' is not a matrix (shape {post.shape})")
    if post.shape[1] != hmm.num_pdfs:
        raise InputError(scp, f"has {post.shape[1]} pdf columns but {args.ali_dir / 'final.mdl'} "
                         f"has {hmm.num_pdfs} pdfs",
                         "use an alignment dir of the tree the teacher was trained on")
    if post.shape[0] != ali.shape[0]:
        raise InputError(scp, f"'{utt}' has {post.shape[0]} frames but its alignment in "
                         f"{alis_name} has {ali.shape[0]}",
                         "use targets and alignments made with the same frame rate/features")
    title = (f"{utt}: {args.targets_dir.name} posteriors ({post.shape[0]} frames, "
             f"{post.shape[1]} pdfs) vs {args.ali_dir.name} alignment")
    plot_posteriors_vs_alignment(post, ali, args.out, title, args.max_pdfs)
    log(f"wrote {args.out} ({utt})")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
