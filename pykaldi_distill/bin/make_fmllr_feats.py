"""fMLLR-adapted features of a data dir, one job's share (Kaldi steps/nnet/make_fmllr_feats.sh):
`make_fmllr_feats.py <data-dir> <gmm-dir> <transform-dir> <out.ark> <out.scp>` applies the
GMM dir's pipeline (cmvn_opts, splice_opts, final.mat) and each speaker's transform from the
transform dir's trans.JOB files (align_fmllr.sh or decode_fmllr.sh output)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..data import load_data_dir
from ..errors import InputError, require_dir
from ..expdir import read_pipeline
from ..formats.io import write_matrices
from ..gmm.fmllr_feats import fmllr_features, read_speaker_transforms


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_fmllr_feats", description=__doc__)
    p.add_argument("data_dir", type=Path)
    p.add_argument("gmm_dir", type=Path)
    p.add_argument("transform_dir", type=Path)
    p.add_argument("ark", type=Path)
    p.add_argument("scp", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    gmm_dir = require_dir(args.gmm_dir, "pass the SAT system's exp dir, e.g. exp/tri3")
    if not (gmm_dir / "final.mat").is_file():
        raise InputError(gmm_dir / "final.mat", "file does not exist: fMLLR features need an "
                         "LDA+MLLT system", "pass an LDA+MLLT or SAT exp dir (exp/tri3)")
    pipeline = read_pipeline(gmm_dir)
    transforms = read_speaker_transforms(args.transform_dir)
    data = load_data_dir(args.data_dir)
    write_matrices(args.ark, args.scp,
                   fmllr_features(data, pipeline, transforms, args.transform_dir))
    log(f"fMLLR features for {len(data.utts)} utterances of "
        f"{len(data.spk2utt)} speakers")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
