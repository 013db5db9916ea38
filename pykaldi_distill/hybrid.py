"""Hybrid NN-HMM model dirs: a torch acoustic model (`final.pt`) next to the Kaldi files
that tie it to HMM states, as Kaldi's nnet1 lays them out: `final.mdl` (its TransitionModel),
`tree`, `ali_train_pdf.counts` (priors), `cmvn_opts`, `feat_type` + conf."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kaldi_hmm_gmm as khg
import numpy as np
import torch

from .errors import InputError, require_file
from .expdir import read_alignments, read_pipeline
from .features import FeaturePipeline
from .io import atomic_path
from .kaldi_format import FormatError, KaldiReader, KaldiWriter
from .model_io import read_transition_model_file, read_tree
from .nnet.checkpoint import load_model
from .nnet.infer import log_posteriors, log_priors_from_counts, pseudo_log_likelihoods


def write_pdf_counts(path: Path, counts: np.ndarray) -> None:
    """`ali_train_pdf.counts` as analyze-counts --binary=false writes it: ` [ c0 c1 ... ]`."""
    w = KaldiWriter(binary=False)
    w.vector(counts)
    with atomic_path(path) as tmp:
        tmp.write_bytes(w.getvalue())


def read_pdf_counts(path: Path) -> np.ndarray:
    """(pdfs,) float64 from a Kaldi vector (text or binary)."""
    p = require_file(path, "train the model with local/train_student.sh/train_teacher.sh")
    try:
        return KaldiReader(p.read_bytes()).vector().astype(np.float64)
    except (FormatError, ValueError) as err:
        raise InputError(p, f"not a Kaldi vector of pdf counts: {err}") from err


@dataclass
class HmmInfo:
    """The HMM side of a model dir: transition model and tree."""

    tm: khg.TransitionModel
    tree: khg.ContextDependency
    source: Path

    @property
    def num_pdfs(self) -> int:
        return int(self.tm.num_pdfs)


def load_hmm_info(model_dir: Path) -> HmmInfo:
    tm = read_transition_model_file(model_dir / "final.mdl")
    tree = read_tree(model_dir / "tree")
    if tree.num_pdfs != tm.num_pdfs:
        raise InputError(model_dir / "tree", f"has {tree.num_pdfs} pdfs but final.mdl has "
                         f"{tm.num_pdfs}", "use the tree and model of the same system")
    return HmmInfo(tm, tree, model_dir)


def pdf_alignments(ali_dir: Path, hmm: HmmInfo) -> Iterator[tuple[str, np.ndarray]]:
    """ali.*.gz transition-ids -> (utt, (frames,) int64 pdf ids), like ali-to-pdf."""
    tid2pdf = np.asarray(hmm.tm.transition_id_to_pdf_array(), dtype=np.int64)
    for utt, ali in read_alignments(ali_dir):
        tids = np.asarray(ali, dtype=np.int64)
        if tids.size and (tids.min() < 1 or tids.max() >= tid2pdf.size):
            raise InputError(ali_dir, f"alignment of '{utt}' has transition-ids outside "
                             f"1..{tid2pdf.size - 1}", "use the final.mdl the alignments "
                             "were made with")
        yield utt, tid2pdf[tids]


@dataclass
class HybridModel:
    model: torch.nn.Module
    tm: khg.TransitionModel
    log_priors: np.ndarray  # (pdfs,) float32
    pipeline: FeaturePipeline
    input_dim: int

    def pseudo_loglikes(self, feats: np.ndarray) -> np.ndarray:
        """(frames, dim) -> (frames, pdfs) log p(s|x) - log p(s)."""
        return pseudo_log_likelihoods(log_posteriors(self.model, feats), self.log_priors)

    def log_posteriors(self, feats: np.ndarray) -> np.ndarray:
        return log_posteriors(self.model, feats)


def load_hybrid_model(model_dir: Path) -> HybridModel:
    model, _ = load_model(model_dir / "final.pt")
    hmm = load_hmm_info(model_dir)
    counts = read_pdf_counts(model_dir / "ali_train_pdf.counts")
    num_pdfs = model.config.num_pdfs
    if num_pdfs != hmm.num_pdfs or counts.size != num_pdfs:
        raise InputError(model_dir / "final.pt", f"network has {num_pdfs} outputs, final.mdl "
                         f"{hmm.num_pdfs} pdfs, ali_train_pdf.counts {counts.size} entries",
                         "these must come from the same training run")
    return HybridModel(model, hmm.tm, log_priors_from_counts(counts), read_pipeline(model_dir),
                       model.config.input_dim)
