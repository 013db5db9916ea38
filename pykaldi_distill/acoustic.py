"""The acoustic scorer of any model dir, as decoders and benchmarks use it: a GMM's
log-likelihoods (gmm-latgen-faster) or a network's pseudo-log-likelihoods, log p(s|x) - log p(s)
(nnet-forward | latgen-faster-mapped), with the feature pipeline it takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import kaldi_hmm_gmm as khg
import numpy as np

from .decoding.decode import GmmTables
from .errors import InputError, PkdError
from .expdir import read_pipeline
from .features import FeaturePipeline
from .formats.model_io import read_gmm_model

Scorer = Callable[[np.ndarray], np.ndarray]  # (frames, dim) -> (frames, pdfs)


@dataclass
class NeuralOptions:
    """How to score with a network (decode.sh's neural options); GMMs take none of them."""

    class_frame_counts: Path | None = None  # priors (default: the dir's ali_train_pdf.counts)
    prior_scale: float = 1.0
    exported: Path | None = None  # an embedded export (.onnx, .int8.pt) of the dir's network
    chunking: dict[str, int] = field(default_factory=dict)  # BLSTMs: InferenceChunking fields

    @property
    def given(self) -> bool:
        return (self.class_frame_counts is not None or self.prior_scale != 1.0
                or self.exported is not None or bool(self.chunking))


@dataclass
class AcousticModel:
    tm: khg.TransitionModel
    pipeline: FeaturePipeline
    scorer: Scorer
    input_dim: int
    default_lmwt: float  # Kaldi's: 12 for GMMs, 10 for networks
    # LM weights scored on lattices: Kaldi's local/score.sh scores GMMs over 7..17,
    # steps/nnet/decode.sh networks over 4..15 (their scaled likelihoods want a larger
    # acoustic scale)
    lmwt_range: tuple[int, int]
    description: str


def load_acoustic_model(model_dir: Path, options: NeuralOptions | None = None
                        ) -> AcousticModel:
    """The model dir's scorer: its network (final.pt) if it has one, else its GMM."""
    options = options or NeuralOptions()
    if (model_dir / "final.pt").is_file():
        return _neural(model_dir, options)
    if options.given:
        raise PkdError(f"--class-frame-counts, --prior-scale, --exported and the chunk options "
                       f"are for neural models; {model_dir} holds a GMM (decode it without them)")
    tm, am = read_gmm_model(model_dir / "final.mdl")
    return AcousticModel(tm, read_pipeline(model_dir), GmmTables.of(am).loglikes, am.dim, 12.0,
                         (7, 17), "GMM")


def _neural(model_dir: Path, options: NeuralOptions) -> AcousticModel:
    from .nnet.hybrid import load_hybrid_model

    hybrid = load_hybrid_model(model_dir, options.class_frame_counts, options.prior_scale)
    try:
        hybrid.chunking = replace(hybrid.chunking, **options.chunking)
    except ValueError as err:
        raise PkdError(f"--frames-per-chunk/--extra-left-context/--extra-right-context: {err}") \
            from None
    if options.exported is not None:
        hybrid.scorer = checked_scorer(options.exported, hybrid.log_priors.size,
                                       hybrid.input_dim)
    return AcousticModel(hybrid.tm, hybrid.pipeline, hybrid.pseudo_loglikes, hybrid.input_dim,
                         10.0, (4, 15), f"neural model; BLSTMs run as {hybrid.chunking}")


def checked_scorer(path: Path, num_pdfs: int, input_dim: int) -> object:
    """The scorer of an export of the model dir's network, checked against its shape."""
    from .deploy.embedded import exported_scorer

    scorer = exported_scorer(path)
    if (scorer.num_pdfs, scorer.input_dim) != (num_pdfs, input_dim):
        raise InputError(path, f"has {scorer.num_pdfs} outputs for {scorer.input_dim}-dim "
                         f"frames; the model dir's network has {num_pdfs} for {input_dim}-dim "
                         "frames",
                         "export the model dir's own network with local/export_embedded.sh")
    return scorer
