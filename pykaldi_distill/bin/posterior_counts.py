"""`posterior_counts.py [--max-utts N] <data-dir> <model-dir> <counts-out>`: pdf counts
from a hybrid network's own posteriors, summed over a data dir's frames (at most N
utterances, evenly spaced), written like `ali_train_pdf.counts`. Decoding with them
(`decode.sh --class-frame-counts <counts-out>`) divides by the priors the network actually
learnt, as Kaldi nnet2/nnet3 do when they adjust priors by averaging posteriors, instead of
the training targets' frame counts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..cli import log, run
from ..data import evenly_spaced, load_data_dir, subset
from ..errors import PkdError
from ..expdir import check_feat_type
from ..features import load_features
from ..nnet.hybrid import load_hybrid_model, write_pdf_counts
from ..nnet.infer import compute_pdf_counts


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="posterior_counts", description=__doc__)
    p.add_argument("--max-utts", type=int, default=1000,
                   help="utterances to average over (evenly spaced; default %(default)s)")
    p.add_argument("data_dir", type=Path, help="usually the network's training data dir")
    p.add_argument("model_dir", type=Path)
    p.add_argument("counts_out", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    if args.max_utts < 1:
        raise PkdError(f"--max-utts must be >= 1, got {args.max_utts}")
    check_feat_type(args.model_dir, args.data_dir)
    model = load_hybrid_model(args.model_dir)
    full = load_data_dir(args.data_dir)
    data = subset(full, evenly_spaced(full.utts, args.max_utts), full.path)
    posteriors = (np.exp(model.log_posteriors(x)) for _, x in load_features(data, model.pipeline))
    counts = compute_pdf_counts(posteriors, int(model.log_priors.shape[0]))
    write_pdf_counts(args.counts_out, counts)
    log(f"{len(data.utts)} utterances, {counts.sum():.0f} frames; "
        f"{int((counts < 1.0).sum())} of {counts.size} pdfs below one frame")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
