"""`frame_accuracy.py [--out section.md] <data-dir> <ali-dir> <name=model-dir> ...`: each
hybrid network's frame accuracy and mean log posterior of the aligned pdf on a data dir's
utterances, against one alignment dir (e.g. a GMM's exp/tri3_ali), as a markdown table
(printed, or appended to --out)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..data import load_data_dir
from ..errors import PkdError
from ..expdir import check_feat_type
from ..features import load_features
from ..nnet.hybrid import load_hmm_info, load_hybrid_model, pdf_alignments
from ..report.frame_accuracy import frame_accuracy, frame_accuracy_markdown


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="frame_accuracy", description=__doc__)
    p.add_argument("--out", type=Path, default=None, help="append the table to this file")
    p.add_argument("data_dir", type=Path)
    p.add_argument("ali_dir", type=Path)
    p.add_argument("models", nargs="+", help="name=model-dir")
    return p


def main_args(args: argparse.Namespace) -> None:
    data = load_data_dir(args.data_dir)
    alignments = dict(pdf_alignments(args.ali_dir, load_hmm_info(args.ali_dir)))
    rows = []
    for spec in args.models:
        name, sep, model_dir = spec.rpartition("=")
        if not sep:
            raise PkdError(f"model '{spec}' must be given as name=model-dir")
        check_feat_type(Path(model_dir), args.data_dir)
        model = load_hybrid_model(Path(model_dir))
        feats = load_features(data, model.pipeline)
        rows.append((name, frame_accuracy(((u, model.log_posteriors(x)) for u, x in feats),
                                          alignments)))
    table = frame_accuracy_markdown(rows, str(args.ali_dir))
    if args.out is None:
        print(table, end="")
    else:
        with open(args.out, "a") as f:
            f.write("\n" + table)


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
