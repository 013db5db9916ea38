"""Hybrid NN-HMM model dirs: a torch acoustic model (`final.pt`) next to the Kaldi files
that tie it to HMM states, as Kaldi's nnet1 lays them out: `final.mdl` (its TransitionModel),
`tree`, `ali_train_pdf.counts` (priors), `cmvn_opts`, `feat_type` + conf."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np
import torch

from ..errors import InputError, require_file
from ..expdir import read_alignments, read_pipeline
from ..features import FeaturePipeline
from ..formats.io import atomic_path
from ..formats.kaldi_format import FormatError, KaldiReader, KaldiWriter
from ..formats.model_io import read_transition_model_file, read_tree
from ..gmm.system import MonoConfig, align_decodable
from ..hmm.transitions import pdf_of_tid, pdf_representative_tids, transition_id_matrix
from .checkpoint import load_model
from .chunking import InferenceChunking
from .infer import log_posteriors, log_priors_from_counts, pseudo_log_likelihoods


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
    tid2pdf = pdf_of_tid(hmm.tm)
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
    tree: khg.ContextDependency
    prior_scale: float = 1.0  # nnet-forward's --prior-scale
    # How a BLSTM runs over an utterance; default: as it was trained (its checkpoint's
    # chunk settings; whole utterances for checkpoints without them).
    chunking: InferenceChunking = field(default_factory=InferenceChunking)
    # Another runtime of the same network (embedded.py: ONNX Runtime fp32/int8 or PyTorch
    # int8), used in place of `model` when set.
    scorer: Any = None

    def pseudo_loglikes(self, feats: np.ndarray) -> np.ndarray:
        """(frames, dim) -> (frames, pdfs) log p(s|x) - prior_scale * log p(s)."""
        return pseudo_log_likelihoods(self.log_posteriors(feats), self.log_priors,
                                      prior_scale=self.prior_scale)

    def log_posteriors(self, feats: np.ndarray) -> np.ndarray:
        """(frames, dim) -> (frames, pdfs) float32 log p(s|x)."""
        if self.scorer is not None:
            return self.scorer.log_posteriors(feats)
        return log_posteriors(self.model, feats, self.chunking)


def load_hybrid_model(model_dir: Path, class_frame_counts: Path | None = None,
                      prior_scale: float = 1.0) -> HybridModel:
    """The model dir's network and HMM; priors from `class_frame_counts` (nnet1 decode.sh's
    option; default the dir's ali_train_pdf.counts), scaled by `prior_scale`; a BLSTM runs
    in the chunks it was trained on (change `.chunking` to run it otherwise)."""
    model, ckpt = load_model(model_dir / "final.pt")
    hmm = load_hmm_info(model_dir)
    counts_path = class_frame_counts or model_dir / "ali_train_pdf.counts"
    counts = read_pdf_counts(counts_path)
    num_pdfs = model.config.num_pdfs
    if num_pdfs != hmm.num_pdfs or counts.size != num_pdfs:
        raise InputError(counts_path, f"network has {num_pdfs} outputs, final.mdl "
                         f"{hmm.num_pdfs} pdfs, {counts_path.name} {counts.size} entries",
                         "the network, final.mdl and the counts must come from the same "
                         "training run")
    return HybridModel(model, hmm.tm, log_priors_from_counts(counts), read_pipeline(model_dir),
                       model.config.input_dim, hmm.tree, prior_scale,
                       InferenceChunking.of_checkpoint(ckpt["extra"]))


def argmax_alignment(tm: khg.TransitionModel, log_post: np.ndarray) -> list[int]:
    """Frame-wise argmax of (frames, pdfs) posteriors as transition-ids (ali-to-pdf gives the
    argmax pdfs back; the phone/HMM-state path is not a valid HMM path)."""
    return pdf_representative_tids(tm)[np.argmax(log_post, axis=1)].tolist()


def viterbi_alignment(model: HybridModel, graph: kaldifst.StdVectorFst, feats: np.ndarray,
                      config: MonoConfig, utt: str = "utt") -> list[int] | None:
    """nnet3-align-compiled: forced alignment through the utterance's training graph with the
    network's pseudo-log-likelihoods at `config.acoustic_scale`; None if the beam fails."""
    loglikes = model.pseudo_loglikes(feats)  # (frames, pdfs)
    decodable = khg.DecodableCtc(transition_id_matrix(loglikes * config.acoustic_scale, model.tm))
    ali, _ = align_decodable(model.tm, graph, decodable, feats.shape[0], config, utt)
    return ali
