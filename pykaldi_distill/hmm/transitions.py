"""Transition-id tables of a Kaldi TransitionModel (Kaldi's src/hmm/transition-model.h): what
each transition-id is (its pdf, phone, HMM state, whether it is a self-loop), as lookup
tables built once per model. Transition-ids start at 1: index 0 of a per-tid table is unused.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import kaldi_hmm_gmm as khg
import numpy as np

from ..formats.model_io import Topology, parse_topology_text


def pdf_of_tid(tm: khg.TransitionModel) -> np.ndarray:
    """(tids + 1,) int64: the pdf of each transition-id (ali-to-pdf's table)."""
    return np.asarray(tm.transition_id_to_pdf_array(), dtype=np.int64)


def transition_id_matrix(pdf_loglikes: np.ndarray, tm: khg.TransitionModel) -> np.ndarray:
    """(frames, pdfs) -> (frames, num_transition_ids): column j holds transition-id j + 1,
    the layout kaldi-hmm-gmm's DecodableCtc reads (index - 1)."""
    tid2pdf = pdf_of_tid(tm)[1:]
    return np.ascontiguousarray(pdf_loglikes[:, tid2pdf], dtype=np.float32)


def pdf_and_weight_tables(tm: khg.TransitionModel, silence_phones: Collection[int],
                          silence_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """ali-to-post | weight-silence-post <silence_weight> as lookup tables over
    transition-ids, computed once per model: (pdf of each tid, weight of each tid:
    `silence_weight` for silence phones, else 1), each (tids+1,)."""
    tid2pdf = pdf_of_tid(tm)
    silent = np.isin(np.asarray(TidInfo.of(tm).phone), list(silence_phones))
    return tid2pdf, np.where(silent, silence_weight, 1.0)


def pdf_representative_tids(tm: khg.TransitionModel) -> np.ndarray:
    """(pdfs,) int64: one transition-id per pdf (its first self-loop, else its first
    transition), so a pdf sequence can be written as ali.*.gz and read back by ali-to-pdf."""
    tid2pdf = pdf_of_tid(tm)
    table = np.zeros(tm.num_pdfs, dtype=np.int64)
    for tid in range(tm.num_transition_ids, 0, -1):  # descending: the first tid wins
        table[tid2pdf[tid]] = tid
    for tid in range(tm.num_transition_ids, 0, -1):
        if tm.is_self_loop(tid):
            table[tid2pdf[tid]] = tid
    return table


@dataclass
class TidInfo:
    """Per-transition-id facts of a TransitionModel (index 0 unused)."""

    topo: Topology
    phone: list[int]
    hmm_state: list[int]
    tstate: list[int]
    trans_index: list[int]
    self_loop: list[bool]
    final: list[bool]

    @classmethod
    def of(cls, tm: khg.TransitionModel) -> TidInfo:
        tuples = [tuple(t.__getstate__()) for t in tm.tuples]
        state2id, id2state = list(tm.state2id), list(tm.id2state)
        n = tm.num_transition_ids + 1
        tstate = [int(s) for s in id2state]
        info = cls(parse_topology_text(str(tm.topo)), [0] * n, [0] * n, tstate, [0] * n,
                   [False] * n, [False] * n)
        for tid in range(1, n):
            phone, hmm_state = tuples[tstate[tid] - 1][:2]
            info.phone[tid], info.hmm_state[tid] = phone, hmm_state
            info.trans_index[tid] = tid - state2id[tstate[tid]]
            info.self_loop[tid] = tm.is_self_loop(tid)
            info.final[tid] = tm.is_final(tid)
        return info

    def pdf_class(self, tid: int) -> int:
        state = self.topo.entry_for_phone(self.phone[tid])[self.hmm_state[tid]]
        return state.self_loop_pdf_class if self.self_loop[tid] else state.forward_pdf_class
