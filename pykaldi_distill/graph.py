"""Decoding graphs: Kaldi's utils/mkgraph.sh with kaldifst/kaldi-hmm-gmm.

HCLG = self-loops ∘ min(rmepslocal(rmsymbols(det(Ha ∘ min(det(C ∘ push(min(det(L ∘ G))))))))).
The wheels lack fstrmsymbols, fstrmepslocal and fstpushspecial; the disambiguation
transition-ids are mapped to epsilon here, epsilons removed with OpenFst's RmEpsilon, and
LG's weights pushed towards the start in the tropical semiring (`push_weights`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np

from .fst_binary import StdFstBytes, fst_to_bytes


@dataclass
class GraphConfig:
    transition_scale: float = 1.0
    self_loop_scale: float = 0.1
    push_weights: bool = True  # push LG's weights (mkgraph's fstpushspecial); off: compare


def compose_lg(l_disambig: kaldifst.StdVectorFst, g: kaldifst.StdVectorFst,
               push: bool = True) -> kaldifst.StdVectorFst:
    """fsttablecompose L_disambig G | fstdeterminizestar --use-log | fstminimizeencoded
    | fstpushspecial (here: tropical pushing, see `push_weights`)."""
    lex = l_disambig.copy()
    kaldifst.arcsort(lex, sort_type="olabel")
    grammar = g.copy()
    kaldifst.arcsort(grammar, sort_type="ilabel")
    lg = kaldifst.compose(lex, grammar)
    kaldifst.determinize_star(lg, use_log=True)  # returns False on success (sic)
    kaldifst.minimize_encoded(lg)
    return push_weights(lg) if push else lg


def distance_to_final(sources: np.ndarray, nextstates: np.ndarray, weights: np.ndarray,
                      finals: np.ndarray, max_iters: int = 100_000) -> np.ndarray:
    """Tropical shortest distance from each state to a final state, (states,) float64, inf
    where none is reachable; arcs are (arcs,) arrays, finals (states,) final weights (inf:
    not final). Bellman-Ford over all arcs at once; FSTs from an LM have no negative-cost
    cycles."""
    dist = np.asarray(finals, np.float64).copy()
    order = np.argsort(sources, kind="stable")  # arcs grouped by source state
    with_arcs, first_arc = np.unique(np.asarray(sources)[order], return_index=True)
    weights = np.asarray(weights, np.float64)[order]
    nextstates = np.asarray(nextstates)[order]
    if len(order) == 0:
        return dist
    for _ in range(max_iters):
        via_arcs = np.minimum.reduceat(weights + dist[nextstates], first_arc)  # (with_arcs,)
        relaxed = dist.copy()
        relaxed[with_arcs] = np.minimum(dist[with_arcs], via_arcs)
        if np.array_equal(relaxed, dist):
            return dist
        dist = relaxed
    raise ValueError("distance_to_final did not converge (negative-cost cycle?)")


def push_weights(fst: kaldifst.StdVectorFst) -> kaldifst.StdVectorFst:
    """fstpush --push_weights (tropical): every arc gets w + d(next) - d(state), every final
    weight f - d(state), with d the shortest distance to a final state, so the cheapest way
    on from any state costs 0 and the beam search sees a path's graph cost as early as
    possible. Each complete path's cost changes by the same constant -d(start), which no
    decision depends on. States that reach no final state keep their weights."""
    with tempfile.TemporaryDirectory() as d:
        scratch = Path(d) / "fst"
        binary = StdFstBytes.of(fst_to_bytes(fst, scratch))
        arcs, finals = binary.arcs, binary.states.finals[:, 0].astype(np.float64)
        sources = binary.sources()
        dist = distance_to_final(sources, arcs["nextstate"], arcs["weight"], finals)
        reach = np.isfinite(dist)
        potential = np.where(reach, dist, 0.0)  # unreachable states keep their weights
        moved = reach[sources] & reach[arcs["nextstate"]]
        arc_weights = arcs["weight"] + np.where(
            moved, potential[arcs["nextstate"]] - potential[sources], 0.0)
        final_weights = finals - potential
        binary.set_weights(arc_weights, final_weights)
        scratch.write_bytes(binary.data)
        pushed = kaldifst.StdVectorFst.read(str(scratch))
    if pushed is None:
        raise RuntimeError("kaldifst could not read back the weight-pushed FST")
    return pushed


def map_input_labels_to_epsilon(fst: kaldifst.StdVectorFst, labels: set[int]) -> None:
    """fstrmsymbols: replace the given input labels by epsilon, in place."""
    for state in kaldifst.StateIterator(fst):
        arcs = [(a.ilabel, a.olabel, a.weight.value, a.nextstate)
                for a in kaldifst.ArcIterator(fst, state)]
        if not any(ilabel in labels for ilabel, _, _, _ in arcs):
            continue
        fst.delete_arcs(state, len(arcs))
        for ilabel, olabel, weight, nextstate in arcs:
            ilabel = 0 if ilabel in labels else ilabel
            fst.add_arc(state, kaldifst.StdArc(ilabel, olabel, weight, nextstate))


def make_hclg(lg: kaldifst.StdVectorFst, tree: khg.ContextDependency,
              tm: khg.TransitionModel, disambig_phone_ids: list[int],
              config: GraphConfig) -> kaldifst.StdVectorFst:
    """The rest of mkgraph.sh from LG: CLG, Ha, HCLGa, self-loops."""
    clg, ilabel_info = kaldifst.compose_context(
        disambig_syms=disambig_phone_ids, context_width=tree.context_width,
        central_position=tree.central_position, ifst=lg)
    kaldifst.arcsort(clg, sort_type="ilabel")
    ha, disambig_tids = khg.get_h_transducer(
        ilabel_info=ilabel_info, ctx_dep=tree, trans_model=tm,
        config=khg.HTransducerConfig(transition_scale=config.transition_scale))
    kaldifst.arcsort(ha, sort_type="olabel")
    hclga = kaldifst.compose(ha, clg)
    kaldifst.determinize_star(hclga, use_log=True)
    map_input_labels_to_epsilon(hclga, set(disambig_tids))
    kaldifst.rmepsilon(hclga)
    kaldifst.minimize_encoded(hclga)
    hclg = khg.add_self_loops(self_loop_scale=config.self_loop_scale, disambig_syms=[],
                              reorder=True, trans_model=tm, ifst=hclga)
    kaldifst.arcsort(hclg, sort_type="ilabel")
    return hclg


def max_input_label(fst: kaldifst.StdVectorFst) -> int:
    return max((a.ilabel for s in kaldifst.StateIterator(fst)
                for a in kaldifst.ArcIterator(fst, s)), default=0)
