"""Decoding graphs: Kaldi's utils/mkgraph.sh with kaldifst/kaldi-hmm-gmm.

HCLG = self-loops ∘ min(rmepslocal(rmsymbols(det(Ha ∘ min(det(C ∘ det(L ∘ G))))))).
The wheels lack fstrmsymbols and fstrmepslocal; the disambiguation transition-ids are
mapped to epsilon here and epsilons removed with OpenFst's RmEpsilon.
"""

from __future__ import annotations

from dataclasses import dataclass

import kaldi_hmm_gmm as khg
import kaldifst


@dataclass
class GraphConfig:
    transition_scale: float = 1.0
    self_loop_scale: float = 0.1


def compose_lg(l_disambig: kaldifst.StdVectorFst, g: kaldifst.StdVectorFst
               ) -> kaldifst.StdVectorFst:
    """fsttablecompose L_disambig G | fstdeterminizestar --use-log | fstminimizeencoded."""
    lex = l_disambig.copy()
    kaldifst.arcsort(lex, sort_type="olabel")
    grammar = g.copy()
    kaldifst.arcsort(grammar, sort_type="ilabel")
    lg = kaldifst.compose(lex, grammar)
    kaldifst.determinize_star(lg, use_log=True)  # returns False on success (sic)
    kaldifst.minimize_encoded(lg)
    return lg


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
