"""fMLLR-adapted features as a network's input (Kaldi steps/nnet/make_fmllr_feats.sh): a
GMM system's own feature pipeline (CMVN, splice, LDA+MLLT final.mat) followed by each
speaker's fMLLR transform from a transform dir (an alignment dir of align_fmllr.sh for
training data, a decode dir of decode_fmllr.sh for test data, both holding `trans.*`).

local/make_fmllr_feats.sh records in the data dir's `fmllr.conf` where the features came from
(--gmm-dir, --transform-dir); it travels with `feat_type` into the exp dirs of the models
trained on them, so that local/decode_data.sh knows which GMM system must first decode new
data to estimate its transforms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from ..data import DataDir
from ..errors import InputError, require_dir
from ..features import FeaturePipeline, apply_transform, load_features
from ..formats.io import read_matrix_ark

_TRANS_FILE = re.compile(r"trans\.\d+")


def transform_files(transform_dir: Path) -> list[Path]:
    """trans.1, trans.2, ... of an alignment or decode dir, in job order."""
    d = require_dir(transform_dir, "pass the align_fmllr.sh or decode_fmllr.sh dir")
    files = sorted((p for p in d.iterdir() if _TRANS_FILE.fullmatch(p.name)),
                   key=lambda p: int(p.suffix[1:]))
    if not files:
        raise InputError(d, "holds no trans.JOB files (per-speaker fMLLR transforms)",
                         "align with local/align_fmllr.sh or decode with local/decode_fmllr.sh")
    return files


def read_speaker_transforms(transform_dir: Path) -> dict[str, np.ndarray]:
    """Every speaker's transform (out_dim, in_dim + 1) from the dir's trans.JOB archives."""
    transforms: dict[str, np.ndarray] = {}
    for path in transform_files(transform_dir):
        for spk, matrix in read_matrix_ark(path).items():
            if spk in transforms:
                raise InputError(path, f"speaker '{spk}' has a transform in two trans files",
                                 "re-run the alignment or decode into a fresh dir")
            transforms[spk] = matrix
    return transforms


def fmllr_features(data: DataDir, pipeline: FeaturePipeline,
                   transforms: Mapping[str, np.ndarray], transform_dir: Path
                   ) -> Iterator[tuple[str, np.ndarray]]:
    """transform-feats --utt2spk: (utt, (frames, out_dim)) for every utterance of `data`.
    Unlike Kaldi, which skips utterances of speakers without a transform with a warning, a
    missing speaker is an error: a network's training or test set would silently shrink."""
    missing = sorted(set(data.utt2spk.values()) - set(transforms))
    if missing:
        raise InputError(transform_dir, f"no fMLLR transform for {len(missing)} speaker(s) of "
                         f"{data.path}, e.g. '{missing[0]}'",
                         "pass the transform dir made from this data dir (its align_fmllr.sh "
                         "or decode_fmllr.sh dir)")
    for utt, feats in load_features(data, pipeline):
        matrix = transforms[data.utt2spk[utt]]
        if matrix.shape[1] != feats.shape[1] + 1:
            raise InputError(transform_dir, f"transform of shape {matrix.shape} does not fit "
                             f"the GMM pipeline's {feats.shape[1]}-dim features",
                             "use the transforms of the same GMM system")
        yield utt, apply_transform(feats, matrix)
