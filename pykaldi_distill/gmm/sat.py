"""Speaker adaptive training on fMLLR-adapted LDA+MLLT features (Kaldi steps/train_sat.sh)
and the speaker-independent alignment model (final.alimdl) that first-pass decoding uses
(steps/decode_fmllr.sh). Per-speaker transforms are fmllr.estimate_fmllr's [A b] matrices."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np

from ..decoding.decode import DecoderConfig, decode_gmm, make_decoder
from ..features import apply_transform
from ..hmm.transitions import pdf_and_weight_tables, pdf_of_tid
from .fmllr import FmllrStats, estimate_fmllr
from .system import (
    Alignment,
    Checkpoint,
    GmmSystem,
    IterState,
    IterStats,
    MonoConfig,
    align_all,
    as_stored,
    saving_state,
    train_iterations,
)
from .triphone import (
    PhoneSets,
    TriConfig,
    stack_aligned,
    start_from_source,
    usable_alignments,
)

Transforms = dict[str, np.ndarray]  # speaker -> (D, D+1)


@dataclass
class SatConfig(TriConfig):
    """Defaults of Kaldi's steps/train_sat.sh (and gmm-est-fmllr's --fmllr-min-count)."""

    fmllr_iters: list[int] = field(default_factory=lambda: [2, 4, 6, 12])
    silence_weight: float = 0.0
    fmllr_min_count: float = 50.0
    fmllr_num_iters: int = 40


def estimate_transforms(am: khg.AmDiagGmm, tm: khg.TransitionModel,
                        si_feats: Mapping[str, np.ndarray],
                        alignments: Mapping[str, Alignment], utt2spk: Mapping[str, str],
                        silence_phones: Collection[int], silence_weight: float,
                        start: Mapping[str, np.ndarray] | None = None,
                        posterior_feats: Mapping[str, np.ndarray] | None = None,
                        min_count: float = 50.0, num_iters: int = 40
                        ) -> tuple[Transforms, float]:
    """ali-to-post | weight-silence-post | gmm-est-fmllr --spk2utt: one transform per speaker
    with aligned utterances, from `start` (default identity); Gaussian posteriors from the
    model on `posterior_feats` (default the unadapted features). Returns the transforms and
    the mean objective gain per frame."""
    tid2pdf, tid2weight = pdf_and_weight_tables(tm, silence_phones, silence_weight)
    spk2utts: dict[str, list[str]] = {}
    for utt in alignments:
        if utt in si_feats:
            spk2utts.setdefault(utt2spk[utt], []).append(utt)
    stats: dict[str, FmllrStats] = {}
    for spk, utts in spk2utts.items():
        # One accumulation per speaker: per utterance, the per-pdf model lookups and the
        # (D+1)^2 products of every dimension would be repeated for each utterance.
        tids, x = stack_aligned(utts, alignments, si_feats)
        post_x = (None if posterior_feats is None
                  else stack_aligned(utts, alignments, posterior_feats)[1])
        stats[spk] = FmllrStats.zeros(am.dim)
        stats[spk].accumulate(am, x, tid2pdf[tids], tid2weight[tids], post_x)
    transforms, gain, frames = {}, 0.0, 0.0
    for spk, s in sorted(stats.items()):
        first = None if start is None else start.get(spk)
        transforms[spk], spk_gain = estimate_fmllr(s, first, num_iters, min_count)
        gain += spk_gain * s.beta
        frames += s.beta
    return transforms, gain / max(frames, 1e-10)


def adapt(si_feats: Mapping[str, np.ndarray], transforms: Mapping[str, np.ndarray],
          utt2spk: Mapping[str, str]) -> dict[str, np.ndarray]:
    """transform-feats --utt2spk: speakers without a transform keep their features."""
    return {utt: apply_transform(x, transforms.get(utt2spk[utt])) for utt, x in si_feats.items()}


def estimate_alimdl(system: GmmSystem, adapted: Mapping[str, np.ndarray],
                    si_feats: Mapping[str, np.ndarray], alignments: Mapping[str, Alignment]
                    ) -> khg.AmDiagGmm:
    """gmm-acc-stats-twofeats + gmm-est --update-flags=mv: the SAT model's Gaussians
    re-estimated on unadapted features with the adapted model's posteriors (final.alimdl)."""
    accs = khg.AccumAmDiagGmm()
    accs.init(model=system.am, flags=khg.GmmUpdateFlags.kGmmAll)
    tid2pdf = pdf_of_tid(system.tm)
    for utt, ali in alignments.items():
        x, x_si = adapted[utt], si_feats[utt]
        for t, pdf in enumerate(tid2pdf[np.asarray(ali, dtype=np.int64)]):
            accs.accumulate_for_gmm_two_feats(model=system.am, data1=x[t], data2=x_si[t],
                                              gmm_index=int(pdf), weight=1.0)
    alimdl = khg.AmDiagGmm()
    alimdl.copy_from_am_diag_gmm(system.am)
    opts = khg.MleDiagGmmOptions()
    opts.remove_low_count_gaussians = False
    khg.mle_am_diag_gmm_update(config=opts, amdiag_gmm_acc=accs,
                               flags=khg.str_to_gmm_flags("mv"), am_gmm=alimdl)
    return alimdl


@dataclass
class SatResult:
    system: GmmSystem
    alignments: dict[str, Alignment]
    transforms: Transforms  # trans.* of the training speakers
    alimdl: khg.AmDiagGmm


def train_sat(source: GmmSystem, source_alignments: Mapping[str, Alignment],
              si_feats: Mapping[str, np.ndarray], utt2spk: Mapping[str, str],
              topo: khg.HmmTopology, phone_sets: PhoneSets, silence_phones: Sequence[int],
              compile_graph: Callable[[GmmSystem, str], kaldifst.StdVectorFst],
              config: SatConfig, on_iter: Callable[[IterStats], None] | None = None,
              on_fmllr: Callable[[int, float], None] | None = None,
              resume: IterState | None = None, checkpoint: Checkpoint | None = None
              ) -> SatResult:
    """Kaldi's train_sat.sh, from the start or from `resume` (which holds the speaker
    transforms). `si_feats`: the source system's (LDA+MLLT) features; the first transforms
    come from the source model and alignments, then the tree and model are built on adapted
    features and the transforms re-estimated on `config.fmllr_iters`."""
    usable = usable_alignments(source_alignments, si_feats)

    def transforms_of(system: GmmSystem, alis: Mapping[str, Alignment],
                      start: Transforms | None, post: Mapping[str, np.ndarray] | None
                      ) -> tuple[Transforms, float]:
        transforms, gain = estimate_transforms(
            system.am, system.tm, si_feats, alis, utt2spk, silence_phones,
            config.silence_weight, start, post, config.fmllr_min_count, config.fmllr_num_iters)
        return {spk: as_stored(w) for spk, w in transforms.items()}, gain

    if resume is None:
        transforms, gain = transforms_of(source, usable, None, None)
        if on_fmllr:
            on_fmllr(-1, gain)
    elif resume.speaker_transforms is None:
        raise ValueError("resuming SAT training needs the speaker transforms in use")
    else:
        transforms = {spk: as_stored(w) for spk, w in resume.speaker_transforms.items()}
    feats = adapt(si_feats, transforms, utt2spk)
    system, alignments, graphs = start_from_source(source, usable, feats, topo, phone_sets,
                                                   config, compile_graph, resume)

    def update_features(it: int, alis: Mapping[str, Alignment]
                        ) -> Mapping[str, np.ndarray] | None:
        nonlocal transforms, feats
        if it not in config.fmllr_iters:
            return None
        transforms, it_gain = transforms_of(system, alis, transforms, feats)
        feats = adapt(si_feats, transforms, utt2spk)
        if on_fmllr:
            on_fmllr(it, it_gain)
        return feats

    final = train_iterations(system, graphs, feats, alignments, config, list(silence_phones),
                             on_iter, update_features,
                             start=0 if resume is None else resume.iteration,
                             on_start=saving_state(checkpoint, system,
                                                   speaker_transforms=lambda: transforms))
    alimdl = estimate_alimdl(system, feats, si_feats, final)
    return SatResult(system, final, transforms, alimdl)


def align_fmllr(system: GmmSystem, alimdl: khg.AmDiagGmm | None,
                graphs: Mapping[str, kaldifst.StdVectorFst], si_feats: Mapping[str, np.ndarray],
                utt2spk: Mapping[str, str], silence_phones: Sequence[int], config: MonoConfig,
                silence_weight: float = 0.0, min_count: float = 50.0, num_iters: int = 40
                ) -> tuple[dict[str, Alignment], Transforms]:
    """Kaldi's align_fmllr.sh: align the unadapted features with final.alimdl (final.mdl
    when there is none), estimate each speaker's transform from those alignments, then align
    the adapted features with final.mdl. Returns the alignments and the transforms."""
    first_system = system if alimdl is None else GmmSystem(system.tm, system.tree, alimdl)
    first = align_all(first_system, graphs, si_feats, config, list(silence_phones))
    transforms, _ = estimate_transforms(system.am, system.tm, si_feats, first, utt2spk,
                                        silence_phones, silence_weight, None, None,
                                        min_count, num_iters)
    adapted = adapt(si_feats, transforms, utt2spk)
    return align_all(system, graphs, adapted, config, list(silence_phones)), transforms


@dataclass
class FmllrDecodeConfig:
    """steps/decode_fmllr.sh: the first, speaker-independent pass (final.alimdl) and the
    weight of silence frames in the fMLLR statistics."""

    first_beam: float = 10.0
    first_max_active: int = 2000
    acwt: float = 1.0 / 12
    silence_weight: float = 0.01
    min_count: float = 50.0
    num_iters: int = 40


def _best_path_alignments(decoder: khg.LatticeFasterDecoder, decoder_config: DecoderConfig,
                          tm: khg.TransitionModel, am: khg.AmDiagGmm,
                          feats: Mapping[str, np.ndarray], acwt: float
                          ) -> dict[str, Alignment]:
    alignments = {}
    for utt, x in feats.items():
        result = decode_gmm(decoder, tm, am, x, acwt, decoder_config, utt)
        if result.ok and len(result.alignment) == x.shape[0]:
            alignments[utt] = result.alignment
    return alignments


def decode_transforms(hclg: kaldifst.StdVectorFst, tm: khg.TransitionModel,
                      am: khg.AmDiagGmm, alimdl: khg.AmDiagGmm,
                      si_feats: Mapping[str, np.ndarray], utt2spk: Mapping[str, str],
                      silence_phones: Collection[int], config: FmllrDecodeConfig
                      ) -> Transforms:
    """The speaker transforms decode_fmllr.sh estimates before its final pass: a best path
    with the SI model on unadapted features gives the first transforms (final.mdl's
    statistics), a best path with final.mdl on the adapted features refines them."""
    decoder_config = DecoderConfig(beam=config.first_beam, max_active=config.first_max_active)
    decoder = make_decoder(hclg, decoder_config)

    def best_paths(model: khg.AmDiagGmm, feats: Mapping[str, np.ndarray]
                   ) -> dict[str, Alignment]:
        return _best_path_alignments(decoder, decoder_config, tm, model, feats, config.acwt)

    def estimate(alis: Mapping[str, Alignment], start: Transforms | None,
                 post: Mapping[str, np.ndarray] | None) -> Transforms:
        transforms, _ = estimate_transforms(am, tm, si_feats, alis, utt2spk, silence_phones,
                                            config.silence_weight, start, post,
                                            config.min_count, config.num_iters)
        return transforms

    first = estimate(best_paths(alimdl, si_feats), None, None)
    adapted = adapt(si_feats, first, utt2spk)
    return estimate(best_paths(am, adapted), first, adapted)
