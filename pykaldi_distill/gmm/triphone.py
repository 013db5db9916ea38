"""Triphone GMM-HMM training (Kaldi steps/train_deltas.sh and steps/train_lda_mllt.sh): tree
statistics from the source alignments, phone-clustering questions, build-tree,
gmm-init-model, convert-ali, then the usual realign / re-estimate / mix-up loop; for
LDA+MLLT also acc-lda/est-lda before the tree and gmm-acc-mllt/est-mllt on `mllt_iters`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np

from ..features import apply_transform, delta_matrix
from ..hmm.transitions import pdf_and_weight_tables
from ..hmm.tree import (
    Event,
    Stats,
    Tree,
    TreeConfig,
    accumulate_tree_stats,
    build_tree,
    cluster_phones,
    convert_alignments,
    make_context_dependency,
)
from ..lang import read_int_lines, read_ints
from .lda_mllt import LdaStats, MlltStats, estimate_lda, estimate_mllt, transform_means
from .system import (
    Alignment,
    Checkpoint,
    GmmSystem,
    IterState,
    IterStats,
    MonoConfig,
    as_stored,
    saving_state,
    train_iterations,
)


@dataclass
class TriConfig(MonoConfig):
    """Defaults of Kaldi's steps/train_deltas.sh."""

    num_leaves: int = 2000
    totgauss: int = 10000
    num_iters: int = 35
    max_iter_inc: int = 25
    realign_iters: list[int] = field(default_factory=lambda: [10, 20, 30])
    beam: float = 10.0
    tree_thresh: float = 300.0
    context_width: int = 3
    central_position: int = 1


@dataclass
class LdaMlltConfig(TriConfig):
    """Defaults of Kaldi's steps/train_lda_mllt.sh (splice_opts, --dim, mllt_iters)."""

    splice: int = 3
    lda_dim: int = 40
    mllt_iters: list[int] = field(default_factory=lambda: [2, 4, 6, 12])
    # The transform MLLT starts from: "lda" (est-lda), or "deltas": add-deltas (order 2,
    # window 2) written as a matrix over splice 4, i.e. a semi-tied covariance system on the
    # tri1 features (lda_dim = 3 x the base dim); Kaldi's splice | transform-feats reads both.
    init_transform: str = "lda"


@dataclass
class PhoneSets:
    """What build-tree needs from a lang dir's phones/: sets.int, extra_questions.int,
    roots.int (phone ids per line) and the context-independent phones."""

    sets: list[list[int]]
    extra_questions: list[list[int]]
    roots: list[list[int]]
    ci_phones: list[int]


def read_phone_sets(lang_dir: Path) -> PhoneSets:
    """The tree-building phone sets of a lang dir (phones/{sets,extra_questions,roots,
    context_indep}.int)."""
    phones = lang_dir / "phones"
    return PhoneSets(sets=read_int_lines(phones / "sets.int"),
                     extra_questions=read_int_lines(phones / "extra_questions.int"),
                     roots=read_int_lines(phones / "roots.int", skip_words=2),
                     ci_phones=read_ints(phones / "context_indep.int"))


def fit_schedule(config: TriConfig) -> None:
    """Shorter runs (--num-iters): mix up until 10 iterations before the end, realign only
    on iterations that exist."""
    config.max_iter_inc = min(config.max_iter_inc, max(1, config.num_iters - 10))
    config.realign_iters = [i for i in config.realign_iters if i < config.num_iters]


def init_from_tree_stats(tree: Tree, stats: Mapping[Event, Stats], dim: int,
                         var_floor: float = 0.01) -> khg.AmDiagGmm:
    """gmm-init-model: one Gaussian per leaf from the pooled stats of its events."""
    count = np.zeros(tree.num_pdfs)
    sums = np.zeros((tree.num_pdfs, dim))
    sumsq = np.zeros((tree.num_pdfs, dim))
    for event, s in stats.items():
        pdf = tree.map(event)
        if pdf is not None:
            count[pdf] += s.count
            sums[pdf] += s.sum
            sumsq[pdf] += s.sumsq
    total = max(count.sum(), 1e-10)
    global_mean, global_sq = sums.sum(axis=0) / total, sumsq.sum(axis=0) / total
    am = khg.AmDiagGmm()
    for pdf in range(tree.num_pdfs):
        n = count[pdf]
        mean = sums[pdf] / n if n > 0 else global_mean
        var = (sumsq[pdf] / n if n > 0 else global_sq) - mean**2
        gmm = khg.DiagGmm(nmix=1, dim=dim)
        gmm.set_weights(np.ones(1, np.float32))
        gmm.set_means(mean[None, :].astype(np.float32))
        gmm.set_invvars((1.0 / np.maximum(var, var_floor))[None, :].astype(np.float32))
        gmm.compute_gconsts()
        am.add_pdf(gmm)
    return am


def build_triphone_system(source: GmmSystem, alignments: Mapping[str, Alignment],
                          feats: Mapping[str, np.ndarray], topo: khg.HmmTopology,
                          phone_sets: PhoneSets, config: TriConfig) -> tuple[GmmSystem, Tree]:
    """acc-tree-stats, cluster-phones, build-tree and gmm-init-model."""
    stats = accumulate_tree_stats(source.tm, alignments, feats, config.context_width,
                                  config.central_position, phone_sets.ci_phones)
    questions: list[Collection[int]] = [
        *cluster_phones(stats, phone_sets.sets, config.central_position),
        *phone_sets.extra_questions]
    tree = build_tree(stats, questions, phone_sets.roots, topo.get_phone_to_num_pdf_classes(),
                      TreeConfig(num_leaves=config.num_leaves, thresh=config.tree_thresh),
                      config.context_width, config.central_position)
    ctx = make_context_dependency(tree)
    dim = next(iter(feats.values())).shape[1]
    am = init_from_tree_stats(tree, stats, dim)
    return GmmSystem(khg.TransitionModel(ctx_dep=ctx, hmm_topo=topo), ctx, am), tree


def start_from_source(source: GmmSystem, usable: Mapping[str, Alignment],
                      feats: Mapping[str, np.ndarray], topo: khg.HmmTopology,
                      phone_sets: PhoneSets, config: TriConfig,
                      compile_graph: Callable[[GmmSystem, str], kaldifst.StdVectorFst],
                      resume: IterState | None = None
                      ) -> tuple[GmmSystem, dict[str, Alignment],
                                 dict[str, kaldifst.StdVectorFst]]:
    """The new triphone system on `feats`, the source alignments converted to its tree
    (convert-ali) and every utterance's training graph; or, resuming, the saved system and
    alignments with their graphs."""
    if resume is None:
        system, _ = build_triphone_system(source, usable, feats, topo, phone_sets, config)
        alignments = convert_alignments(source.tm, system.tm, system.tree, usable)
    else:
        system, alignments = resume.system, dict(resume.alignments)
    return system, alignments, {u: compile_graph(system, u) for u in sorted(feats)}


def usable_alignments(source_alignments: Mapping[str, Alignment],
                      feats: Mapping[str, np.ndarray]) -> dict[str, Alignment]:
    """The source alignments of utterances that have features, in utterance order."""
    return {u: a for u, a in sorted(source_alignments.items()) if u in feats}


def train_deltas(source: GmmSystem, source_alignments: Mapping[str, Alignment],
                 feats: Mapping[str, np.ndarray], topo: khg.HmmTopology,
                 phone_sets: PhoneSets, silence_phones: Sequence[int],
                 compile_graph: Callable[[GmmSystem, str], kaldifst.StdVectorFst],
                 config: TriConfig, on_iter: Callable[[IterStats], None] | None = None,
                 resume: IterState | None = None, checkpoint: Checkpoint | None = None
                 ) -> tuple[GmmSystem, dict[str, Alignment]]:
    """Kaldi's train_deltas.sh from a source system's alignments (e.g. exp/mono_ali), from
    the start or from `resume`; `checkpoint` sees the state every iteration starts from."""
    usable = usable_alignments(source_alignments, feats)
    system, alignments, graphs = start_from_source(source, usable, feats, topo, phone_sets,
                                                   config, compile_graph, resume)
    return system, train_iterations(system, graphs, feats, alignments, config,
                                    list(silence_phones), on_iter,
                                    start=0 if resume is None else resume.iteration,
                                    on_start=saving_state(checkpoint, system))


def stack_aligned(utts: Sequence[str], alignments: Mapping[str, Alignment],
                  feats: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The utterances' transition-ids (T,) and features (T, D), concatenated in `utts` order,
    so statistics over a group of utterances are accumulated in one call."""
    tids = np.concatenate([np.asarray(alignments[u], dtype=np.int64) for u in utts])
    return tids, np.concatenate([feats[u] for u in utts])


def estimate_lda_transform(tm: khg.TransitionModel, alignments: Mapping[str, Alignment],
                           spliced: Mapping[str, np.ndarray], silence_phones: Collection[int],
                           dim: int) -> np.ndarray:
    """acc-lda (pdf classes of the source model, silence excluded) + est-lda: (dim, D)."""
    tid2pdf, tid2weight = pdf_and_weight_tables(tm, silence_phones)
    stats = LdaStats.zeros(tm.num_pdfs, next(iter(spliced.values())).shape[1])
    for utt, ali in alignments.items():
        tids = np.asarray(ali, dtype=np.int64)
        stats.accumulate(spliced[utt], tid2pdf[tids], tid2weight[tids])
    return estimate_lda(stats, dim)


def initial_transform(tm: khg.TransitionModel, alignments: Mapping[str, Alignment],
                      spliced: Mapping[str, np.ndarray], silence_phones: Collection[int],
                      config: LdaMlltConfig) -> np.ndarray:
    """The (lda_dim, D) matrix MLLT starts from (config.init_transform), as stored."""
    spliced_dim = next(iter(spliced.values())).shape[1]
    check_start_transform(config, spliced_dim)
    if config.init_transform == "lda":
        return as_stored(estimate_lda_transform(tm, alignments, spliced, silence_phones,
                                                config.lda_dim))
    return as_stored(delta_matrix(spliced_dim // (2 * config.splice + 1)))


def check_start_transform(config: LdaMlltConfig, spliced_dim: int) -> None:
    """ValueError when config's start transform cannot be built on spliced features of
    `spliced_dim` (base dim x (2 splice + 1))."""
    if config.init_transform not in ("lda", "deltas"):
        raise ValueError(f"init_transform must be 'lda' or 'deltas', got "
                         f"{config.init_transform!r}")
    if config.lda_dim > spliced_dim:
        raise ValueError(f"lda_dim (--dim) {config.lda_dim} is larger than the spliced "
                         f"feature dimension {spliced_dim}; lower it or raise the splice")
    base_dim = spliced_dim // (2 * config.splice + 1)
    if config.init_transform == "deltas" and (config.splice, config.lda_dim) != (4, 3 * base_dim):
        raise ValueError(f"init_transform 'deltas' needs splice 4 and lda_dim {3 * base_dim} "
                         f"(3 x the base dim {base_dim}), got splice {config.splice} and "
                         f"lda_dim {config.lda_dim}")


def estimate_mllt_update(system: GmmSystem, alignments: Mapping[str, Alignment],
                         feats: Mapping[str, np.ndarray], silence_phones: Collection[int]
                         ) -> tuple[np.ndarray, float]:
    """gmm-acc-mllt + est-mllt: the MLLT matrix A (D, D) and the objective gain per frame."""
    tid2pdf, tid2weight = pdf_and_weight_tables(system.tm, silence_phones)
    # One accumulation over all frames: per utterance, the per-pdf work (model lookups,
    # the scatter -> G product) would be repeated for every utterance the pdf occurs in.
    tids, x = stack_aligned(list(alignments), alignments, feats)
    stats = MlltStats.zeros(system.am.dim)
    stats.accumulate(system.am, x, tid2pdf[tids], tid2weight[tids])
    return estimate_mllt(stats)


def train_lda_mllt(source: GmmSystem, source_alignments: Mapping[str, Alignment],
                   spliced: Mapping[str, np.ndarray], topo: khg.HmmTopology,
                   phone_sets: PhoneSets, silence_phones: Sequence[int],
                   compile_graph: Callable[[GmmSystem, str], kaldifst.StdVectorFst],
                   config: LdaMlltConfig, on_iter: Callable[[IterStats], None] | None = None,
                   on_mllt: Callable[[int, float], None] | None = None,
                   resume: IterState | None = None, checkpoint: Checkpoint | None = None
                   ) -> tuple[GmmSystem, dict[str, Alignment], np.ndarray]:
    """Kaldi's train_lda_mllt.sh, from the start or from `resume` (which holds the
    transform). `spliced`: CMVN'd features spliced by `config.splice`. Returns (system,
    final alignments, final.mat (lda_dim, D))."""
    usable = usable_alignments(source_alignments, spliced)
    if resume is None:
        transform = initial_transform(source.tm, usable, spliced, silence_phones, config)
    elif resume.transform is None:
        raise ValueError("resuming LDA+MLLT training needs the transform in use")
    else:
        transform = as_stored(resume.transform)
    feats = {u: apply_transform(x, transform) for u, x in spliced.items()}
    system, alignments, graphs = start_from_source(source, usable, feats, topo, phone_sets,
                                                   config, compile_graph, resume)

    def update_features(it: int, alis: Mapping[str, Alignment]
                        ) -> Mapping[str, np.ndarray] | None:
        nonlocal transform, feats
        if it not in config.mllt_iters:
            return None
        mllt, gain = estimate_mllt_update(system, alis, feats, silence_phones)
        transform_means(system.am, mllt)
        transform = as_stored(mllt @ transform)  # compose-transforms
        feats = {u: apply_transform(x, transform) for u, x in spliced.items()}
        if on_mllt:
            on_mllt(it, gain)
        return feats

    final = train_iterations(system, graphs, feats, alignments, config, list(silence_phones),
                             on_iter, update_features,
                             start=0 if resume is None else resume.iteration,
                             on_start=saving_state(checkpoint, system,
                                                   transform=lambda: transform))
    return system, final, transform
