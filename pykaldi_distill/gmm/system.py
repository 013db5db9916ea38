"""GMM-HMM training with kaldi-hmm-gmm: the steps of Kaldi's train_mono.sh
(gmm-init-mono, compile-train-graphs, align-equal-compiled, gmm-acc-stats-ali, gmm-est
with mixing up, gmm-align-compiled with boosted silence)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np

from ..errors import PkdError
from ..hmm.transitions import pdf_of_tid
from ..lang import Lang, TranscriptIds

Alignment = list[int]  # transition-ids, one per frame


def default_realign_iters() -> list[int]:
    return [*range(1, 11), *range(12, 40, 2)]


@dataclass
class MonoConfig:
    """Defaults of Kaldi's steps/train_mono.sh."""

    num_iters: int = 40
    max_iter_inc: int = 30
    totgauss: int = 1000
    realign_iters: list[int] = field(default_factory=default_realign_iters)
    power: float = 0.25
    min_gaussian_occupancy: float = 3.0
    boost_silence: float = 1.0
    beam: float = 6.0
    retry_beam: float = 40.0
    acoustic_scale: float = 0.1
    transition_scale: float = 1.0
    self_loop_scale: float = 0.1
    seed: int = 0


@dataclass
class AlignConfig:
    """Defaults of Kaldi's steps/align_si.sh (training uses MonoConfig's narrower beam)."""

    beam: float = 10.0
    retry_beam: float = 40.0
    boost_silence: float = 1.0


@dataclass
class GmmSystem:
    tm: khg.TransitionModel
    tree: khg.ContextDependency
    am: khg.AmDiagGmm


@dataclass
class IterState:
    """What training iteration `iteration` starts from (Kaldi's <iteration>.mdl and what goes
    with it): the model, the alignments in use, and the features' transforms."""

    iteration: int
    system: GmmSystem
    alignments: Mapping[str, Alignment]
    transform: np.ndarray | None = None  # LDA+MLLT's (dim, spliced dim), float32 values
    speaker_transforms: Mapping[str, np.ndarray] | None = None  # SAT's speaker -> (D, D+1)


Checkpoint = Callable[[IterState], None]


def as_stored(matrix: np.ndarray) -> np.ndarray:
    """A transform as a Kaldi float matrix file holds it (float64 with float32 values), so a
    run resumed from its iteration files computes exactly what the uninterrupted run did."""
    return np.asarray(matrix, dtype=np.float32).astype(np.float64)


@dataclass
class IterStats:
    iteration: int
    avg_loglike: float
    frames: int
    num_gauss: int
    num_failed: int

    def __str__(self) -> str:
        return (f"iter {self.iteration}: avg loglike/frame {self.avg_loglike:.3f} over "
                f"{self.frames} frames, {self.num_gauss} Gaussians, "
                f"{self.num_failed} utts failed to align")


def init_mono(topo: khg.HmmTopology, shared_phones: list[list[int]],
              feats: list[np.ndarray]) -> GmmSystem:
    """gmm-init-mono: one Gaussian per pdf at the global mean/variance of `feats`."""
    stacked = np.concatenate(feats)  # (frames, dim)
    mean = stacked.mean(axis=0)
    var = np.maximum(stacked.var(axis=0), 1e-3)
    tree = khg.monophone_context_dependency_shared(
        phone_classes=shared_phones, phone2num_pdf_classes=topo.get_phone_to_num_pdf_classes())
    am = khg.AmDiagGmm()
    for _ in range(tree.num_pdfs):
        gmm = khg.DiagGmm(nmix=1, dim=stacked.shape[1])
        gmm.set_weights(np.ones(1, np.float32))
        gmm.set_means(mean[None, :].astype(np.float32))
        gmm.set_invvars((1.0 / var)[None, :].astype(np.float32))
        gmm.compute_gconsts()
        am.add_pdf(gmm)
    return GmmSystem(khg.TransitionModel(ctx_dep=tree, hmm_topo=topo), tree, am)


def make_graph_compiler(system: GmmSystem, lexicon_fst: kaldifst.StdVectorFst,
                        disambig_phone_ids: list[int]) -> khg.TrainingGraphCompiler:
    """compile-train-graphs' compiler; `lexicon_fst` is the lang's L.fst."""
    lex = lexicon_fst.copy()
    kaldifst.arcsort(lex, sort_type="olabel")
    # As compile-train-graphs: no transition probabilities in the graphs; alignment adds
    # them with the current model (align() -> add_transition_probs), so they count once.
    opts = khg.TrainingGraphCompilerOptions()
    opts.transition_scale = 0.0
    opts.self_loop_scale = 0.0
    return khg.TrainingGraphCompiler(
        trans_model=system.tm, ctx_dep=system.tree, lex_fst=lex,
        disambig_syms=disambig_phone_ids, opts=opts)


def equal_align(graph: kaldifst.StdVectorFst, num_frames: int, seed: int) -> Alignment | None:
    """align-equal-compiled: spread the frames evenly along a random path of the graph."""
    ok, path = kaldifst.equal_align(ifst=graph, length=num_frames, rand_seed=seed,
                                    num_retries=10)
    if not ok:
        return None
    ok, ali, _, _ = kaldifst.get_linear_symbol_sequence(path)
    return list(ali) if ok and len(ali) == num_frames else None


def accumulate(system: GmmSystem, feats: Mapping[str, np.ndarray],
               alignments: Mapping[str, Alignment]
               ) -> tuple[khg.AccumAmDiagGmm, np.ndarray, float, int]:
    """gmm-acc-stats-ali: GMM stats and transition counts from alignments.
    Returns (gmm_accs, transition_counts (num_tids + 1,) float64, total loglike, frames)."""
    accs = khg.AccumAmDiagGmm()
    accs.init(model=system.am, flags=khg.GmmUpdateFlags.kGmmAll)
    tid2pdf = pdf_of_tid(system.tm)
    trans_counts = np.zeros(system.tm.num_transition_ids + 1, dtype=np.float64)
    loglike, frames = 0.0, 0
    for utt, ali in alignments.items():
        x = feats[utt]
        tids = np.asarray(ali, dtype=np.int64)
        trans_counts += np.bincount(tids, minlength=trans_counts.size)
        for t, pdf in enumerate(tid2pdf[tids]):
            loglike += accs.accumulate_for_gmm(model=system.am, data=x[t], gmm_index=int(pdf),
                                               weight=1.0)
        frames += len(tids)
    return accs, trans_counts, loglike, frames


def update(system: GmmSystem, accs: khg.AccumAmDiagGmm, trans_counts: np.ndarray,
           num_gauss: int, config: MonoConfig) -> None:
    """gmm-est --mix-up: MLE update of transitions and GMMs, then split Gaussians."""
    system.tm.mle_update(trans_counts, khg.MleTransitionUpdateConfig())
    opts = khg.MleDiagGmmOptions()
    opts.min_gaussian_occupancy = config.min_gaussian_occupancy
    khg.mle_am_diag_gmm_update(config=opts, amdiag_gmm_acc=accs,
                               flags=khg.str_to_gmm_flags("mvw"), am_gmm=system.am)
    occs = np.array([accs.get_acc(i).occupancy.sum() for i in range(accs.num_accs)],
                    dtype=np.float32)
    if num_gauss > system.am.num_gauss:
        # Seeded by the Gaussian count before the split, which grows every mix-up iteration.
        rng = np.random.default_rng([config.seed, system.am.num_gauss])
        split_by_count(system.am, occs, num_gauss, config.power, rng)


def split_targets(occs: np.ndarray, target_components: int, power: float,
                  min_count: float = 20.0) -> np.ndarray:
    """Kaldi's GetSplitTargets: Gaussians per pdf (num_pdfs,), at least 1 each, handed out
    one at a time to the pdf with the highest occ^power per Gaussian; a pdf stops growing
    once another Gaussian would leave it fewer than `min_count` frames each."""
    targets = np.ones(len(occs), dtype=np.int64)
    # max-heap on occ^power / Gaussians; ties go to the lower pdf id
    heap = [(-(float(occ) ** power), pdf) for pdf, occ in enumerate(np.asarray(occs, float))]
    heapq.heapify(heap)
    total = len(occs)
    while total < target_components and heap:
        _, pdf = heapq.heappop(heap)
        if (targets[pdf] + 1) * min_count >= occs[pdf]:
            continue  # min-count reached: this pdf gets no more Gaussians
        targets[pdf] += 1
        total += 1
        heapq.heappush(heap, (-(float(occs[pdf]) ** power) / targets[pdf], pdf))
    return targets


def split_gmm(gmm: khg.DiagGmm, target_components: int, perturb_factor: float,
              rng: np.random.Generator) -> None:
    """DiagGmm::Split with a seeded generator: repeatedly halve the heaviest component into
    two whose means move apart by +-perturb_factor standard deviations along a random
    direction. (The wheel's own split draws from std::random_device, so two runs on the
    same data end with different models.)"""
    weights = np.asarray(gmm.weights, np.float64).copy()  # (C,)
    inv_vars = np.asarray(gmm.inv_vars, np.float64).copy()  # (C, D)
    means = np.asarray(gmm.means, np.float64).copy()  # (C, D)
    while weights.size < target_components:
        top = int(np.argmax(weights))
        weights[top] /= 2
        shift = perturb_factor * rng.standard_normal(means.shape[1]) / np.sqrt(inv_vars[top])
        weights = np.append(weights, weights[top])
        inv_vars = np.vstack([inv_vars, inv_vars[top]])
        means = np.vstack([means, means[top] + shift])
        means[top] -= shift
    gmm.resize(weights.size, means.shape[1])
    gmm.set_weights(weights.astype(np.float32))
    gmm.set_invvars_and_means(inv_vars.astype(np.float32), means.astype(np.float32))
    gmm.compute_gconsts()


def split_by_count(am: khg.AmDiagGmm, occs: np.ndarray, target_components: int, power: float,
                   rng: np.random.Generator, perturb_factor: float = 0.01,
                   min_count: float = 20.0) -> None:
    """AmDiagGmm::SplitByCount (gmm-est --mix-up) with a seeded generator."""
    for pdf, target in enumerate(split_targets(occs, target_components, power, min_count)):
        gmm = am.get_pdf(pdf)
        if gmm.num_gauss < target:
            split_gmm(gmm, int(target), perturb_factor, rng)


def boost_silence(system: GmmSystem, silence_phones: list[int], boost: float) -> khg.AmDiagGmm:
    """gmm-boost-silence: a copy of the model with silence pdf weights scaled by `boost`."""
    am = khg.AmDiagGmm()
    am.copy_from_am_diag_gmm(system.am)
    if boost == 1.0:
        return am
    _, pdfs = khg.get_pdfs_for_phones(system.tm, sorted(silence_phones))
    for pdf in pdfs:
        gmm = am.get_pdf(pdf)
        gmm.set_weights(np.asarray(gmm.weights, np.float32) * boost)
        gmm.compute_gconsts()
    return am


def align(system: GmmSystem, am: khg.AmDiagGmm, graph: kaldifst.StdVectorFst,
          feats: np.ndarray, config: MonoConfig, utt: str = "utt"
          ) -> tuple[Alignment | None, float]:
    """gmm-align-compiled for one utterance; (None, 0) when even the retry beam fails."""
    decodable = khg.DecodableAmDiagGmmScaled(am=am, tm=system.tm, feats=feats,
                                             scale=config.acoustic_scale)
    return align_decodable(system.tm, graph, decodable, feats.shape[0], config, utt)


def align_decodable(tm: khg.TransitionModel, graph: kaldifst.StdVectorFst,
                    decodable: khg.DecodableInterface, num_frames: int, config: MonoConfig,
                    utt: str = "utt") -> tuple[Alignment | None, float]:
    """AlignUtteranceWrapper on a training graph with transition probabilities added (as
    gmm-align-compiled / nnet3-align-compiled); the decodable already includes the acoustic
    scale. (None, 0) when even the retry beam fails."""
    fst = graph.copy()
    khg.add_transition_probs(trans_model=tm, transition_scale=config.transition_scale,
                             self_loop_scale=config.self_loop_scale, fst=fst)
    align_config = khg.AlignConfig(beam=config.beam, retry_beam=config.retry_beam)
    num_done, _, _, like, _, ali, _ = khg.align_utterance_wrapper(
        config=align_config, utt=utt, acoustic_scale=config.acoustic_scale, fst=fst,
        decodable=decodable, num_done=0, num_error=0, num_retried=0, tot_like=0.0,
        frame_count=0)
    if num_done == 0 or len(ali) != num_frames:
        return None, 0.0
    return list(ali), like


def align_all(system: GmmSystem, graphs: Mapping[str, kaldifst.StdVectorFst],
              feats: Mapping[str, np.ndarray], config: MonoConfig,
              silence_phones: list[int]) -> dict[str, Alignment]:
    am = boost_silence(system, silence_phones, config.boost_silence)
    result = {}
    for utt, graph in graphs.items():
        ali, _ = align(system, am, graph, feats[utt], config, utt)
        if ali is not None:
            result[utt] = ali
    return result


FeatureUpdate = Callable[[int, Mapping[str, Alignment]], Mapping[str, np.ndarray] | None]
IterationStart = Callable[[int, Mapping[str, Alignment]], None]


def gauss_target(num_pdfs: int, iteration: int, config: MonoConfig) -> int:
    """The Gaussian count gmm-est --mix-up aims at in `iteration`: every trainer starts from
    one Gaussian per pdf (gmm-init-mono, gmm-init-model) and adds an equal share towards
    `totgauss` in each of the first `max_iter_inc` iterations."""
    inc_gauss = max(0, (config.totgauss - num_pdfs) // max(config.max_iter_inc, 1))
    return num_pdfs + inc_gauss * min(iteration, config.max_iter_inc)


def train_iterations(system: GmmSystem, graphs: Mapping[str, kaldifst.StdVectorFst],
                     feats: Mapping[str, np.ndarray], alignments: dict[str, Alignment],
                     config: MonoConfig, silence_phones: list[int],
                     on_iter: Callable[[IterStats], None] | None = None,
                     update_features: FeatureUpdate | None = None, start: int = 0,
                     on_start: IterationStart | None = None) -> dict[str, Alignment]:
    """The shared loop of train_mono.sh/train_deltas.sh/train_lda_mllt.sh, from iteration
    `start`: realign on `realign_iters`, optionally re-estimate a feature transform
    (`update_features(iter, alignments)` returns the new features, or None to keep them),
    accumulate, re-estimate, mix up towards `totgauss`. `on_start(iter, alignments)` sees
    the state each iteration starts from, and the final one (iter = num_iters). Returns the
    final alignments."""
    alignments = dict(sorted(alignments.items()))  # the order statistics are summed in
    for it in range(start, config.num_iters):
        if on_start:
            on_start(it, alignments)
        if it > 0 and it in config.realign_iters:
            alignments = align_all(system, graphs, feats, config, silence_phones)
        if not alignments:
            raise RuntimeError("no utterance could be aligned")
        if update_features is not None:
            feats = update_features(it, alignments) or feats
        accs, counts, loglike, frames = accumulate(system, feats, alignments)
        update(system, accs, counts, gauss_target(system.am.num_pdfs, it, config), config)
        if on_iter:
            on_iter(IterStats(it, loglike / max(frames, 1), frames, system.am.num_gauss,
                              len(graphs) - len(alignments)))
    if on_start:
        on_start(config.num_iters, alignments)
    return align_all(system, graphs, feats, config, silence_phones)


def saving_state(checkpoint: Checkpoint | None, system: GmmSystem,
                 **transforms: object) -> Callable[[int, Mapping[str, Alignment]], None]:
    """train_iterations' on_start for a trainer: hand `checkpoint` each iteration's state;
    `transforms` are zero-argument callables giving the current transforms."""
    def on_start(it: int, alignments: Mapping[str, Alignment]) -> None:
        if checkpoint:
            checkpoint(IterState(it, system, alignments,
                                 **{k: get() for k, get in transforms.items()}))
    return on_start


def train_mono(topo: khg.HmmTopology, shared_phones: list[list[int]],
               silence_phones: list[int], feats: Mapping[str, np.ndarray],
               compile_graph: Callable[[GmmSystem, str], kaldifst.StdVectorFst],
               config: MonoConfig, on_iter: Callable[[IterStats], None] | None = None,
               resume: IterState | None = None, checkpoint: Checkpoint | None = None
               ) -> tuple[GmmSystem, dict[str, Alignment]]:
    """Kaldi's train_mono.sh, from the start or from `resume` (an iteration's saved state).
    `compile_graph(system, utt)` gives the utterance's training graph; `checkpoint` sees
    the state every iteration starts from. Returns the final system and its last
    alignments."""
    utts = sorted(feats)
    if resume is None:
        subset = [feats[u] for u in utts[: max(10, len(utts) // 10)]]
        system = init_mono(topo, shared_phones, subset)
    else:
        system = resume.system
    graphs = {u: compile_graph(system, u) for u in utts}
    if resume is None:
        alignments = {}
        for i, u in enumerate(utts):
            ali = equal_align(graphs[u], feats[u].shape[0], config.seed + i)
            if ali is not None:
                alignments[u] = ali
    else:
        alignments = dict(resume.alignments)

    alignments = train_iterations(system, graphs, feats, alignments, config, silence_phones,
                                  on_iter, start=0 if resume is None else resume.iteration,
                                  on_start=saving_state(checkpoint, system))
    return system, alignments


def graph_compiler_fn(lexicon_fst: kaldifst.StdVectorFst, disambig_phone_ids: list[int],
                      word_ids: Mapping[str, list[int]]
                      ) -> Callable[[GmmSystem, str], kaldifst.StdVectorFst]:
    """A `compile_graph(system, utt)` for train_mono/align_all that reuses one compiler
    while the system's transition model and tree stay the same objects."""
    # The wheel's compiler holds C++ references to tm and tree without keeping the Python
    # objects alive, so the cache keeps them itself; keying on id() alone reused a compiler
    # of a freed system whose id a new system got (a segfault in CI).
    cache: list[tuple[object, object, khg.TrainingGraphCompiler]] = []

    def compile_graph(system: GmmSystem, utt: str) -> kaldifst.StdVectorFst:
        if not cache or cache[0][0] is not system.tm or cache[0][1] is not system.tree:
            cache[:] = [(system.tm, system.tree,
                         make_graph_compiler(system, lexicon_fst, disambig_phone_ids))]
        return cache[0][2].compile_graph_from_text(word_ids[utt])

    return compile_graph


def check_align_beams(beam: float, retry_beam: float) -> None:
    """Kaldi's aligner refuses these with a traceback ("Beams do not make sense")."""
    if not beam > 0 or not (retry_beam == 0 or retry_beam > beam):
        raise PkdError(f"--beam must be > 0 and --retry-beam 0 (no retry) or above --beam, "
                       f"got --beam {beam} --retry-beam {retry_beam}")


def transcript_graph_compiler(lang: Lang, transcripts: TranscriptIds
                              ) -> Callable[[GmmSystem, str], kaldifst.StdVectorFst]:
    """compile-train-graphs over transcripts (lang.transcript_ids) with the lang's L.fst."""
    word_ids = transcripts.word_ids
    return graph_compiler_fn(lang.load_fst("L.fst"), lang.disambig_phone_ids, word_ids)
