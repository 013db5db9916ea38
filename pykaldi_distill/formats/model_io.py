"""Kaldi model files: `final.mdl` (TransitionModel + AmDiagGmm), `tree`, HMM topology.

The wheels can build these objects but not write/read Kaldi's files (except the tree), so
the serialisation is ours, byte-compatible with Kaldi's TransitionModel::Write and
AmDiagGmm::Write, binary (Kaldi's default) or text.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import _kaldi_hmm_gmm  # TransitionModelTuple is not re-exported by kaldi_hmm_gmm
import kaldi_hmm_gmm as khg
import numpy as np

from ..errors import InputError, require_file
from .io import atomic_path
from .kaldi_format import FormatError, KaldiReader, KaldiWriter

NO_PDF = -1


@dataclass
class HmmState:
    forward_pdf_class: int
    self_loop_pdf_class: int
    transitions: list[tuple[int, float]]


@dataclass
class Topology:
    """Kaldi HmmTopology contents: entry i applies to phones `phone_sets[i]`."""

    phone_sets: list[list[int]]
    entries: list[list[HmmState]]

    @property
    def is_hmm(self) -> bool:
        return all(s.forward_pdf_class == s.self_loop_pdf_class
                   for entry in self.entries for s in entry)

    def entry_for_phone(self, phone: int) -> list[HmmState]:
        for phones, entry in zip(self.phone_sets, self.entries, strict=True):
            if phone in phones:
                return entry
        raise KeyError(phone)


def parse_topology_text(text: str) -> Topology:
    tokens = text.split()
    pos = 0

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    if take() != "<Topology>":
        raise FormatError("expected <Topology>")
    topo = Topology([], [])
    while (tok := take()) != "</Topology>":
        if tok != "<TopologyEntry>" or take() != "<ForPhones>":
            raise FormatError(f"unexpected token {tok} in topology")
        phones = []
        while (t := take()) != "</ForPhones>":
            phones.append(int(t))
        entry: list[HmmState] = []
        while (t := take()) != "</TopologyEntry>":
            if t != "<State>" or int(take()) != len(entry):
                raise FormatError("states must be numbered 0, 1, ... in order")
            entry.append(_parse_state(take))
        topo.phone_sets.append(phones)
        topo.entries.append(entry)
    return topo


def _parse_state(take: Callable[[], str]) -> HmmState:
    state = HmmState(NO_PDF, NO_PDF, [])
    while (t := take()) != "</State>":
        if t == "<PdfClass>":
            state.forward_pdf_class = state.self_loop_pdf_class = int(take())
        elif t == "<ForwardPdfClass>":
            state.forward_pdf_class = int(take())
        elif t == "<SelfLoopPdfClass>":
            state.self_loop_pdf_class = int(take())
        elif t == "<Transition>":
            state.transitions.append((int(take()), float(take())))
        elif t == "<Final>":
            take()
        else:
            raise FormatError(f"unexpected token {t} in a topology state")
    return state


def topology_text(topo: Topology) -> str:
    lines = ["<Topology>"]
    for phones, entry in zip(topo.phone_sets, topo.entries, strict=True):
        lines += ["<TopologyEntry>", "<ForPhones>", " ".join(map(str, phones)), "</ForPhones>"]
        for i, s in enumerate(entry):
            parts = [f"<State> {i}"]
            if s.forward_pdf_class != NO_PDF:
                if topo.is_hmm:
                    parts.append(f"<PdfClass> {s.forward_pdf_class}")
                else:
                    parts.append(f"<ForwardPdfClass> {s.forward_pdf_class} "
                                 f"<SelfLoopPdfClass> {s.self_loop_pdf_class}")
            parts += [f"<Transition> {d} {p:.9g}" for d, p in s.transitions]
            lines.append(" ".join(parts + ["</State>"]))
        lines.append("</TopologyEntry>")
    return "\n".join(lines + ["</Topology>"]) + "\n"


def to_khg_topology(topo: Topology) -> khg.HmmTopology:
    result = khg.HmmTopology()
    result.read(topology_text(topo))
    return result


def read_topology_file(path: str | Path) -> khg.HmmTopology:
    p = require_file(path, "the lang dir's topo is written by local/prepare_lang.sh")
    try:
        return to_khg_topology(parse_topology_text(p.read_text()))
    except (FormatError, ValueError, IndexError, RuntimeError) as err:
        raise InputError(p, f"not a Kaldi HMM topology: {err}") from err


def _write_topology(w: KaldiWriter, topo: Topology) -> None:
    if not w.binary:
        w.raw_text(topology_text(topo))
        return
    w.token("<Topology>")
    phones = sorted(p for s in topo.phone_sets for p in s)
    phone2idx = [-1] * (max(phones) + 1)
    for i, s in enumerate(topo.phone_sets):
        for p in s:
            phone2idx[p] = i
    w.int_vector(phones)
    w.int_vector(phone2idx)
    if not topo.is_hmm:
        w.int32(-1)
    w.int32(len(topo.entries))
    for entry in topo.entries:
        w.int32(len(entry))
        for s in entry:
            w.int32(s.forward_pdf_class)
            if not topo.is_hmm:
                w.int32(s.self_loop_pdf_class)
            w.int32(len(s.transitions))
            for dest, prob in s.transitions:
                w.int32(dest)
                w.float32(prob)
    w.token("</Topology>")


def _read_topology(r: KaldiReader) -> Topology:
    if not r.binary:
        words = []
        while (t := r.token()) != "</Topology>":
            words.append(t)
        return parse_topology_text(" ".join(words + ["</Topology>"]))
    r.expect("<Topology>")
    phones = r.int_vector()
    phone2idx = r.int_vector()
    n = r.int32()
    is_hmm = n != -1
    if not is_hmm:
        n = r.int32()
    entries = []
    for _ in range(n):
        entry = []
        for _ in range(r.int32()):
            fwd = r.int32()
            loop = fwd if is_hmm else r.int32()
            trans = [(r.int32(), r.float32()) for _ in range(r.int32())]
            entry.append(HmmState(fwd, loop, trans))
        entries.append(entry)
    r.expect("</Topology>")
    sets: list[list[int]] = [[] for _ in entries]
    for p in phones:
        sets[phone2idx[p]].append(p)
    return Topology(sets, entries)


# ---- TransitionModel -------------------------------------------------------------------

def _tuples(tm: khg.TransitionModel) -> list[tuple[int, int, int, int]]:
    return [tuple(t.__getstate__()) for t in tm.tuples]


def write_transition_model(w: KaldiWriter, tm: khg.TransitionModel) -> None:
    topo = parse_topology_text(str(tm.topo))
    w.token("<TransitionModel>")
    w.newline()
    _write_topology(w, topo)
    tag = "Triples" if topo.is_hmm else "Tuples"
    tuples = _tuples(tm)
    w.token(f"<{tag}>")
    w.int32(len(tuples))
    w.newline()
    for phone, hmm_state, fwd, loop in tuples:
        for v in (phone, hmm_state, fwd) if topo.is_hmm else (phone, hmm_state, fwd, loop):
            w.int32(v)
        w.newline()
    w.token(f"</{tag}>")
    w.newline()
    w.token("<LogProbs>")
    w.newline()
    w.vector(np.asarray(tm.log_probs, dtype=np.float32))
    w.token("</LogProbs>")
    w.newline()
    w.token("</TransitionModel>")
    w.newline()


def read_transition_model(r: KaldiReader) -> khg.TransitionModel:
    r.expect("<TransitionModel>")
    topo = _read_topology(r)
    tag = r.token()
    if tag not in ("<Triples>", "<Tuples>"):
        raise FormatError(f"expected <Triples> or <Tuples>, got {tag}")
    tuples = []
    for _ in range(r.int32()):
        phone, hmm_state, fwd = r.int32(), r.int32(), r.int32()
        loop = fwd if tag == "<Triples>" else r.int32()
        tuples.append((phone, hmm_state, fwd, loop))
    r.expect(tag.replace("<", "</"))
    r.expect("<LogProbs>")
    log_probs = r.vector()
    r.expect("</LogProbs>")
    r.expect("</TransitionModel>")
    return build_transition_model(topo, tuples, log_probs)


def build_transition_model(topo: Topology, tuples: list[tuple[int, int, int, int]],
                           log_probs: np.ndarray) -> khg.TransitionModel:
    """Kaldi's TransitionModel::ComputeDerived + ComputeDerivedOfProbs, then construct."""
    state2id = [0]
    id2state, id2pdf, self_loop_tid = [0], [0], [0] * (len(tuples) + 1)
    tid = 1
    num_pdfs = 0
    for tstate, (phone, hmm_state, fwd, loop) in enumerate(tuples, 1):
        state2id.append(tid)
        num_pdfs = max(num_pdfs, fwd + 1, loop + 1)
        for dest, _ in topo.entry_for_phone(phone)[hmm_state].transitions:
            id2state.append(tstate)
            id2pdf.append(loop if dest == hmm_state else fwd)
            if dest == hmm_state:
                self_loop_tid[tstate] = tid
            tid += 1
    state2id.append(tid)
    if len(log_probs) != tid:
        raise FormatError(f"<LogProbs> has {len(log_probs)} entries, expected {tid}")
    non_self_loop = [0.0]
    for tstate in range(1, len(tuples) + 1):
        t = self_loop_tid[tstate]
        p = 1.0 - math.exp(float(log_probs[t])) if t else 1.0
        non_self_loop.append(math.log(p if p > 0 else 1e-10))
    tm = khg.TransitionModel.__new__(khg.TransitionModel)
    tm.__setstate__((
        [_make_tuple(*t) for t in tuples],
        to_khg_topology(topo), state2id, id2state, id2pdf, num_pdfs,
        [float(x) for x in log_probs], non_self_loop,
    ))
    return tm


def _make_tuple(phone: int, hmm_state: int, fwd: int, loop: int) -> object:
    return _kaldi_hmm_gmm.TransitionModelTuple(phone, hmm_state, fwd, loop)


# ---- AmDiagGmm --------------------------------------------------------------------------

def write_am_diag_gmm(w: KaldiWriter, am: khg.AmDiagGmm) -> None:
    w.token("<DIMENSION>")
    w.int32(am.dim)
    w.token("<NUMPDFS>")
    w.int32(am.num_pdfs)
    for i in range(am.num_pdfs):
        gmm = am.get_pdf(i)
        w.token("<DiagGMM>")
        w.newline()
        w.token("<GCONSTS>")
        w.vector(np.asarray(gmm.gconsts))
        w.token("<WEIGHTS>")
        w.vector(np.asarray(gmm.weights))
        w.token("<MEANS_INVVARS>")
        w.matrix(np.asarray(gmm.means_invvars))
        w.token("<INV_VARS>")
        w.matrix(np.asarray(gmm.inv_vars))
        w.token("</DiagGMM>")
        w.newline()


def read_am_diag_gmm(r: KaldiReader) -> khg.AmDiagGmm:
    r.expect("<DIMENSION>")
    dim = r.int32()
    r.expect("<NUMPDFS>")
    num_pdfs = r.int32()
    state = []
    for _ in range(num_pdfs):
        r.expect("<DiagGMM>")
        tok = r.token()
        if tok == "<GCONSTS>":
            r.vector()
            tok = r.token()
        if tok != "<WEIGHTS>":
            raise FormatError(f"expected <WEIGHTS>, got {tok}")
        weights = r.vector()
        r.expect("<MEANS_INVVARS>")
        means_invvars = r.matrix()
        r.expect("<INV_VARS>")
        inv_vars = r.matrix()
        r.expect("</DiagGMM>")
        if means_invvars.shape[1] != dim:
            raise FormatError(f"GMM dim {means_invvars.shape[1]} != <DIMENSION> {dim}")
        state += [weights, inv_vars, means_invvars]
    am = khg.AmDiagGmm.__new__(khg.AmDiagGmm)
    am.__setstate__(tuple(state))
    am.compute_gconsts()
    return am


# ---- files -----------------------------------------------------------------------------

def write_gmm_model(path: str | Path, tm: khg.TransitionModel, am: khg.AmDiagGmm,
                    binary: bool = True) -> None:
    """Write `final.mdl` as gmm-init-mono/gmm-est do (binary by default)."""
    w = KaldiWriter(binary)
    w.header()
    write_transition_model(w, tm)
    write_am_diag_gmm(w, am)
    with atomic_path(path) as tmp:
        tmp.write_bytes(w.getvalue())


def read_gmm_model(path: str | Path) -> tuple[khg.TransitionModel, khg.AmDiagGmm]:
    p = require_file(path, "train the GMM first (local/train_mono.sh)")
    try:
        r = KaldiReader(p.read_bytes())
        tm = read_transition_model(r)
        am = read_am_diag_gmm(r)
    except (FormatError, ValueError, IndexError, KeyError, RuntimeError) as err:
        raise InputError(p, f"not a Kaldi GMM model (TransitionModel + AmDiagGmm): {err}",
                         "pass the final.mdl of a GMM system") from err
    return tm, am


def read_transition_model_file(path: str | Path) -> khg.TransitionModel:
    """The TransitionModel at the start of any Kaldi final.mdl (GMM or nnet)."""
    p = require_file(path, "the alignment dir must contain final.mdl")
    try:
        return read_transition_model(KaldiReader(p.read_bytes()))
    except (FormatError, ValueError, IndexError, KeyError, RuntimeError) as err:
        raise InputError(p, f"no Kaldi TransitionModel at the start: {err}") from err


def write_tree(path: str | Path, tree: khg.ContextDependency) -> None:
    with atomic_path(path) as tmp:
        tree.write(binary=True, filename=str(tmp))


def read_tree(path: str | Path) -> khg.ContextDependency:
    """Read a binary Kaldi `tree` file (what build-tree and our tree code write)."""
    p = require_file(path, "the model dir must contain the tree it was trained with")
    data = p.read_bytes()
    if not data.startswith(b"\x00B"):
        raise InputError(p, "text-format tree files are not supported",
                         "convert it with Kaldi's copy-tree --binary=true")
    tree = khg.ContextDependency.__new__(khg.ContextDependency)
    try:
        tree.__setstate__((np.frombuffer(data[2:], dtype=np.int8).tolist(),))
    except RuntimeError as err:
        raise InputError(p, f"not a Kaldi tree: {err}") from err
    return tree
