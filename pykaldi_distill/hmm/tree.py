"""Triphone decision trees, Kaldi-compatible: acc-tree-stats, cluster-phones, build-tree
(greedy likelihood-gain splitting of diagonal-Gaussian stats) and convert-ali.

Events are Kaldi EventTypes: sorted tuples of (key, value) pairs, key `PDF_CLASS_KEY` (-1)
-> pdf-class and keys 0..N-1 -> the phones of the context window (0 outside the utterance).
The built tree is written in Kaldi's binary `tree` format (ContextDependency with TE/SE/CE
EventMap nodes) and loaded into a `kaldi_hmm_gmm.ContextDependency`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import struct
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import kaldi_hmm_gmm as khg
import numpy as np

from ..formats.kaldi_format import BINARY_HEADER, KaldiWriter
from .transitions import TidInfo

PDF_CLASS_KEY = -1  # Kaldi's kPdfClass
Event = tuple[tuple[int, int], ...]
LOG_2PI = math.log(2.0 * math.pi)


# ---- Gaussian stats ---------------------------------------------------------------------

@dataclass
class Stats:
    """Diagonal-Gaussian sufficient statistics (Kaldi's GaussClusterable without var floor)."""

    count: float
    sum: np.ndarray  # (dim,) float64
    sumsq: np.ndarray  # (dim,) float64

    @classmethod
    def zeros(cls, dim: int) -> Stats:
        return cls(0.0, np.zeros(dim), np.zeros(dim))

    def add_frames(self, x: np.ndarray) -> None:
        """x: (frames, dim)."""
        x = np.asarray(x, dtype=np.float64)
        self.count += float(x.shape[0])
        self.sum += x.sum(axis=0)
        self.sumsq += (x * x).sum(axis=0)

    def objf(self, var_floor: float = 0.01) -> float:
        return float(gauss_objf(np.array(self.count), self.sum, self.sumsq, var_floor))


def gauss_objf(count: np.ndarray, x: np.ndarray, x2: np.ndarray,
               var_floor: float = 0.01) -> np.ndarray:
    """Kaldi's GaussClusterable::Objf, vectorised: count (...,), x/x2 (..., dim) -> (...,).
    -0.5 * count * (dim * (1 + log 2pi) + sum_d log max(var_d, var_floor)); 0 if count <= 0."""
    count = np.asarray(count, dtype=np.float64)
    safe = np.where(count > 0, count, 1.0)[..., None]  # (..., 1)
    mean = x / safe
    var = np.maximum(x2 / safe - mean * mean, var_floor)  # (..., dim)
    dim = x.shape[-1]
    objf = -0.5 * count * (dim * (1.0 + LOG_2PI) + np.log(var).sum(axis=-1))
    return np.where(count > 0, objf, 0.0)


# ---- alignments -------------------------------------------------------------------------


def _is_reordered(info: TidInfo, ali: Sequence[int]) -> bool:
    """Kaldi's IsReordered (hmm-utils.cc)."""
    for a, b in itertools.pairwise(ali):
        if info.tstate[a] != info.tstate[b]:
            if info.self_loop[a]:
                return True
            if info.self_loop[b]:
                return False
    return bool(ali) and info.self_loop[ali[0]] and not info.self_loop[ali[-1]]


def split_to_phones(info: TidInfo, ali: Sequence[int]) -> list[list[int]]:
    """Kaldi's SplitToPhones: the alignment cut into phone instances."""
    reordered = _is_reordered(info, ali)
    ends: list[int] = []
    i = 0
    while i < len(ali):
        tid = ali[i]
        if info.final[tid]:
            while reordered and i + 1 < len(ali) and info.self_loop[ali[i + 1]]:
                i += 1
            ends.append(i + 1)
        elif i + 1 == len(ali) or info.phone[tid] != info.phone[ali[i + 1]]:
            ends.append(i + 1)  # malformed alignment: cut anyway, as Kaldi does
        i += 1
    return [list(ali[s:e]) for s, e in zip([0, *ends[:-1]], ends, strict=True)]


def context_windows(phones: Sequence[int], context_width: int, central_position: int,
                    ci_phones: Collection[int] = ()) -> list[list[int]]:
    """The N-phone window around each phone (0 beyond the edges; all 0 but the centre for
    context-independent phones)."""
    padded = [0] * central_position + list(phones) + [0] * (context_width - central_position - 1)
    windows = []
    for i, phone in enumerate(phones):
        window = padded[i:i + context_width]
        if phone in ci_phones:
            window = [0] * context_width
            window[central_position] = phone
        windows.append(window)
    return windows


def make_event(window: Sequence[int], pdf_class: int) -> Event:
    return ((PDF_CLASS_KEY, pdf_class), *enumerate(window))


def accumulate_tree_stats(tm: khg.TransitionModel, alignments: Mapping[str, Sequence[int]],
                          feats: Mapping[str, np.ndarray], context_width: int = 3,
                          central_position: int = 1, ci_phones: Collection[int] = ()
                          ) -> dict[Event, Stats]:
    """acc-tree-stats: Gaussian stats per (context window, pdf-class) event."""
    info = TidInfo.of(tm)
    stats: dict[Event, Stats] = {}
    for utt, ali in alignments.items():
        x = np.asarray(feats[utt], dtype=np.float64)  # (frames, dim)
        pieces = split_to_phones(info, ali)
        windows = context_windows([info.phone[p[0]] for p in pieces], context_width,
                                  central_position, ci_phones)
        frames: dict[Event, list[int]] = {}
        t = 0
        for piece, window in zip(pieces, windows, strict=True):
            for tid in piece:
                frames.setdefault(make_event(window, info.pdf_class(tid)), []).append(t)
                t += 1
        for event, rows in frames.items():
            stats.setdefault(event, Stats.zeros(x.shape[1])).add_frames(x[rows])
    return stats


# ---- the tree ---------------------------------------------------------------------------

@dataclass
class Leaf:
    pdf: int


@dataclass
class Split:
    key: int
    yes_set: tuple[int, ...]  # sorted
    yes: Node
    no: Node


@dataclass
class Table:
    key: int
    children: list[Node | None]  # indexed by the key's value


Node = Leaf | Split | Table


@dataclass
class Tree:
    root: Node
    num_pdfs: int
    context_width: int = 3
    central_position: int = 1

    def map(self, event: Event) -> int | None:
        """EventMap::Map: the pdf of `event`, None if undefined."""
        values = dict(event)
        node: Node | None = self.root
        while node is not None and not isinstance(node, Leaf):
            value = values.get(node.key)
            if value is None:
                return None
            if isinstance(node, Split):
                node = node.yes if value in node.yes_set else node.no
            else:
                node = node.children[value] if 0 <= value < len(node.children) else None
        return None if node is None else node.pdf


def _write_node(w: KaldiWriter, node: Node | None) -> None:
    """EventMap::Write (event-map.cc), binary."""
    if node is None:
        w.token("NULL")
    elif isinstance(node, Leaf):
        w.token("CE")
        w.int32(node.pdf)
    elif isinstance(node, Split):
        w.token("SE")
        w.int32(node.key)
        w.int_vector(list(node.yes_set))
        w.token("{")
        _write_node(w, node.yes)
        _write_node(w, node.no)
        w.token("}")
    else:
        w.token("TE")
        w.int32(node.key)
        w.chunks.append(b"\xfc" + struct.pack("<I", len(node.children)))  # uint32: size -4
        w.token("(")
        for child in node.children:
            _write_node(w, child)
        w.token(")")


def tree_to_kaldi_bytes(tree: Tree) -> bytes:
    """The bytes of a binary Kaldi `tree` file (ContextDependency::Write, with header)."""
    w = KaldiWriter(binary=True)
    w.header()
    w.token("ContextDependency")
    w.int32(tree.context_width)
    w.int32(tree.central_position)
    w.token("ToPdf")
    _write_node(w, tree.root)
    w.token("EndContextDependency")
    return w.getvalue()


def make_context_dependency(tree: Tree) -> khg.ContextDependency:
    data = tree_to_kaldi_bytes(tree)[len(BINARY_HEADER):]
    ctx_dep = khg.ContextDependency.__new__(khg.ContextDependency)
    ctx_dep.__setstate__((np.frombuffer(data, dtype=np.int8).tolist(),))
    return ctx_dep


# ---- building ---------------------------------------------------------------------------

@dataclass
class TreeConfig:
    """build-tree options. `thresh` is the minimum likelihood gain of a split (Kaldi: 300)."""

    num_leaves: int
    thresh: float = 300.0
    min_count: float = 0.0
    var_floor: float = 0.01
    split_pdf_class_first: bool = True


@dataclass
class _StatsTable:
    """All events as arrays: keys (K,), values (E, K), stats (E, 1 + 2 dim)."""

    keys: list[int]
    values: np.ndarray
    stats: np.ndarray

    @classmethod
    def of(cls, stats: Mapping[Event, Stats]) -> _StatsTable:
        events = list(stats)
        keys = sorted({k for e in events for k, _ in e})
        values = np.array([[dict(e).get(k, 0) for k in keys] for e in events],
                          dtype=np.int64).reshape(len(events), len(keys))
        rows = [np.concatenate([[s.count], s.sum, s.sumsq]) for s in stats.values()]
        return cls(keys, values, np.array(rows, dtype=np.float64))

    def objf(self, rows: np.ndarray, var_floor: float) -> np.ndarray:
        """rows: (..., 1 + 2 dim) summed stats -> (...,) log-likelihood."""
        dim = (self.stats.shape[1] - 1) // 2
        return gauss_objf(rows[..., 0], rows[..., 1:1 + dim], rows[..., 1 + dim:], var_floor)


@dataclass
class _Grow:
    """A node while growing: a leaf with its event indices, or a split."""

    idx: np.ndarray  # (events,) int
    key: int = 0
    yes_set: tuple[int, ...] = ()
    yes: _Grow | None = None
    no: _Grow | None = None
    table: list[_Grow | None] | None = None  # a stub table on `key`, a child per value


@dataclass(order=True)
class _Candidate:
    neg_gain: float
    order: int
    leaf: _Grow = field(compare=False)
    key: int = field(compare=False)
    yes_set: tuple[int, ...] = field(compare=False)


def _best_split(table: _StatsTable, leaf: _Grow, questions: Mapping[int, list[np.ndarray]],
                config: TreeConfig) -> tuple[float, int, tuple[int, ...]]:
    """(gain, key, yes set) of the best question for a leaf; gain -inf if none allowed."""
    best = (-math.inf, 0, ())
    if leaf.idx.size == 0:
        return best
    stats = table.stats[leaf.idx]  # (n, S)
    total = stats.sum(axis=0)  # (S,)
    parent = float(table.objf(total, config.var_floor))
    for col, key in enumerate(table.keys):
        qs = questions.get(key, [])
        if not qs:
            continue
        uniq, inv = np.unique(table.values[leaf.idx, col], return_inverse=True)
        if uniq.size < 2:
            continue
        per_value = np.zeros((uniq.size, stats.shape[1]))  # (values, S)
        np.add.at(per_value, inv.reshape(-1), stats)
        member = np.array([np.isin(uniq, q) for q in qs], dtype=np.float64)  # (Q, values)
        yes = member @ per_value  # (Q, S)
        no = total[None, :] - yes
        gain = table.objf(yes, config.var_floor) + table.objf(no, config.var_floor) - parent
        ok = (np.minimum(yes[:, 0], no[:, 0]) >= config.min_count) & (yes[:, 0] > 0) \
            & (no[:, 0] > 0)
        gain = np.where(ok, gain, -np.inf)
        q = int(np.argmax(gain))
        if gain[q] > best[0]:
            best = (float(gain[q]), key, tuple(int(v) for v in qs[q]))
    return best


def _stub(roots: Sequence[Sequence[int]], table: _StatsTable,
          phone2num_pdf_classes: Sequence[int], central_position: int,
          split_pdf_class_first: bool, leaves: list[_Grow]) -> _Grow:
    """Kaldi's GetStubMap: binary splits on the central phone down to one root each; per root
    one leaf, or (split_pdf_class_first) a table on the pdf-class with one leaf each.
    Single-phone roots get a table on the central phone instead (undefined for other phones)."""
    if len(roots) > 1 and all(len(r) == 1 for r in roots):
        by_phone = {r[0]: r for r in roots}
        return _Grow(np.zeros(0, np.int64), central_position, table=[
            _stub([by_phone[p]], table, phone2num_pdf_classes, central_position,
                  split_pdf_class_first, leaves) if p in by_phone else None
            for p in range(max(by_phone) + 1)])
    if len(roots) > 1:
        half = len(roots) // 2
        yes_set = tuple(sorted(p for r in roots[:half] for p in r))
        return _Grow(np.zeros(0, np.int64), central_position, yes_set,
                     _stub(roots[:half], table, phone2num_pdf_classes, central_position,
                           split_pdf_class_first, leaves),
                     _stub(roots[half:], table, phone2num_pdf_classes, central_position,
                           split_pdf_class_first, leaves))
    col = {k: i for i, k in enumerate(table.keys)}
    in_root = np.isin(table.values[:, col[central_position]], list(roots[0]))  # (E,)
    if not split_pdf_class_first:
        leaves.append(_Grow(np.flatnonzero(in_root)))
        return leaves[-1]
    pdf_class = table.values[:, col[PDF_CLASS_KEY]]
    num_pdf_classes = max(phone2num_pdf_classes[p] for p in roots[0])
    children = [_Grow(np.flatnonzero(in_root & (pdf_class == c))) for c in range(num_pdf_classes)]
    leaves.extend(children)
    return _Grow(np.zeros(0, np.int64), PDF_CLASS_KEY, table=children)


def _make_questions(table: _StatsTable, phone_questions: Iterable[Collection[int]],
                    context_width: int, with_pdf_class: bool) -> dict[int, list[np.ndarray]]:
    sets = sorted({tuple(sorted(q)) for q in phone_questions if q})
    phone_qs = [np.array(s, dtype=np.int64) for s in sets]
    questions: dict[int, list[np.ndarray]] = {k: phone_qs for k in range(context_width)}
    if with_pdf_class and PDF_CLASS_KEY in table.keys:
        classes = np.unique(table.values[:, table.keys.index(PDF_CLASS_KEY)])
        questions[PDF_CLASS_KEY] = [classes[:i] for i in range(1, classes.size)] + \
            [classes[i:i + 1] for i in range(classes.size)]
    return questions


def _finish(node: _Grow, counter: Iterator[int]) -> Node:
    """Replace growing nodes by Leaf/Split/Table, numbering leaves in depth-first order."""
    if node.table is not None:
        return Table(node.key, [None if c is None else _finish(c, counter)
                                for c in node.table])
    if node.yes is None or node.no is None:
        return Leaf(next(counter))
    return Split(node.key, node.yes_set, _finish(node.yes, counter), _finish(node.no, counter))


def build_tree(stats: Mapping[Event, Stats], questions: Iterable[Collection[int]],
               roots: Sequence[Sequence[int]], phone2num_pdf_classes: Sequence[int],
               config: TreeConfig, context_width: int = 3, central_position: int = 1) -> Tree:
    """build-tree: stub tree over `roots` (phone sets sharing a root), then repeatedly split
    the leaf with the best likelihood gain by a phone-set question on a context position (or
    a pdf-class question) until `config.num_leaves` leaves or no gain >= `config.thresh`."""
    table = _StatsTable.of(stats)
    leaves: list[_Grow] = []
    root = _stub(roots, table, phone2num_pdf_classes, central_position,
                 config.split_pdf_class_first, leaves)
    qs = _make_questions(table, questions, context_width, not config.split_pdf_class_first)
    order = itertools.count()
    heap: list[_Candidate] = []

    def push(leaf: _Grow) -> None:
        gain, key, yes_set = _best_split(table, leaf, qs, config)
        if gain >= config.thresh:
            heapq.heappush(heap, _Candidate(-gain, next(order), leaf, key, yes_set))

    for leaf in leaves:
        push(leaf)
    num_leaves = len(leaves)
    while heap and num_leaves < config.num_leaves:
        cand = heapq.heappop(heap)
        leaf = cand.leaf
        col = table.keys.index(cand.key)
        is_yes = np.isin(table.values[leaf.idx, col], cand.yes_set)
        leaf.key, leaf.yes_set = cand.key, cand.yes_set
        leaf.yes, leaf.no = _Grow(leaf.idx[is_yes]), _Grow(leaf.idx[~is_yes])
        num_leaves += 1
        push(leaf.yes)
        push(leaf.no)
    counter = itertools.count()
    return Tree(_finish(root, counter), num_leaves, context_width, central_position)


def tree_objf(tree: Tree, stats: Mapping[Event, Stats], var_floor: float = 0.01) -> float:
    """Sum over the tree's leaves of the Gaussian log-likelihood of their pooled stats."""
    pooled: dict[int, Stats] = {}
    for event, s in stats.items():
        pdf = tree.map(event)
        if pdf is None:
            continue
        acc = pooled.setdefault(pdf, Stats.zeros(s.sum.size))
        acc.count += s.count
        acc.sum = acc.sum + s.sum
        acc.sumsq = acc.sumsq + s.sumsq
    return sum(s.objf(var_floor) for s in pooled.values())


# ---- questions --------------------------------------------------------------------------

def cluster_phones(stats: Mapping[Event, Stats], phone_sets: Sequence[Collection[int]],
                   central_position: int = 1, var_floor: float = 0.01
                   ) -> list[frozenset[int]]:
    """Questions by bottom-up clustering of the central-phone stats (cf. cluster-phones):
    start from `phone_sets`, repeatedly merge the pair losing least likelihood; every initial
    and merged set (except the set of all phones) is a question."""
    dim = next(iter(stats.values())).sum.size
    central = {}
    for event, s in stats.items():
        phone = dict(event)[central_position]
        central.setdefault(phone, []).append(np.concatenate([[s.count], s.sum, s.sumsq]))
    rows = [sum((r for p in ps for r in central.get(p, [])), np.zeros(1 + 2 * dim))
            for ps in phone_sets]
    clusters = [frozenset(ps) for ps in phone_sets]
    questions = list(clusters)
    acc = np.array(rows).reshape(len(rows), 1 + 2 * dim)  # (C, S)

    def objf(a: np.ndarray) -> np.ndarray:
        return gauss_objf(a[..., 0], a[..., 1:1 + dim], a[..., 1 + dim:], var_floor)

    while len(clusters) > 2:
        merged = acc[:, None, :] + acc[None, :, :]  # (C, C, S)
        loss = objf(acc)[:, None] + objf(acc)[None, :] - objf(merged)  # (C, C)
        loss[np.tril_indices(len(clusters))] = np.inf
        i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
        new = clusters[i] | clusters[j]
        questions.append(new)
        keep = [k for k in range(len(clusters)) if k not in (i, j)]
        clusters = [clusters[k] for k in keep] + [new]
        acc = np.concatenate([acc[keep], merged[i, j][None, :]])
    return list(dict.fromkeys(questions))


# ---- convert-ali ------------------------------------------------------------------------

def convert_alignment(old_tm: khg.TransitionModel, new_tm: khg.TransitionModel,
                      new_tree: khg.ContextDependency, ali: Sequence[int]) -> list[int]:
    """Kaldi's ConvertAlignment (same topology, no subsampling): each phone instance keeps
    its HMM-state / transition-index sequence; pdfs come from `new_tree` with context."""
    return convert_alignments(old_tm, new_tm, new_tree, {"": ali})[""]


def convert_alignments(old_tm: khg.TransitionModel, new_tm: khg.TransitionModel,
                       new_tree: khg.ContextDependency, alis: Mapping[str, Sequence[int]]
                       ) -> dict[str, list[int]]:
    """convert-ali over many utterances; the models' transition tables are built once."""
    old = TidInfo.of(old_tm)
    new_tstate = {tuple(t.__getstate__()): i for i, t in enumerate(new_tm.tuples, 1)}
    state2id = list(new_tm.state2id)
    return {utt: _convert_one(old, new_tstate, state2id, new_tree, ali)
            for utt, ali in alis.items()}


def _convert_one(old: TidInfo, new_tstate: Mapping[tuple, int], state2id: Sequence[int],
                 new_tree: khg.ContextDependency, ali: Sequence[int]) -> list[int]:
    pieces = split_to_phones(old, ali)
    windows = context_windows([old.phone[p[0]] for p in pieces], new_tree.context_width,
                              new_tree.central_position)
    out: list[int] = []
    for piece, window in zip(pieces, windows, strict=True):
        for tid in piece:
            phone, hmm_state = old.phone[tid], old.hmm_state[tid]
            state = old.topo.entry_for_phone(phone)[hmm_state]
            fwd = _pdf(new_tree, window, state.forward_pdf_class)
            loop = _pdf(new_tree, window, state.self_loop_pdf_class)
            tstate = new_tstate.get((phone, hmm_state, fwd, loop))
            if tstate is None:
                raise ValueError(f"new model has no transition state for phone {phone}, "
                                 f"HMM state {hmm_state}, pdfs {fwd}/{loop}")
            out.append(state2id[tstate] + old.trans_index[tid])
    return out


def _pdf(tree: khg.ContextDependency, window: list[int], pdf_class: int) -> int:
    ok, pdf = tree.compute(phone_seq=window, pdf_class=pdf_class)
    if not ok:
        raise ValueError(f"tree has no pdf for context {window}, pdf-class {pdf_class}")
    return int(pdf)
