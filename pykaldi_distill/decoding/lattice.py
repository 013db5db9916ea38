"""Kaldi lattices with the k2-fsa wheels: generation, text archives, scoring, oracle, posteriors.

What the wheels provide (kaldi-decoder 0.2.11, kaldifst 1.7.17, kaldi-hmm-gmm 1.1.4):
- `kaldi_decoder.LatticeSimpleDecoder(hclg, LatticeSimpleDecoderConfig)`: `.decode(decodable)`
  -> bool, `.get_raw_lattice()` -> (ok, kaldifst.Lattice) (state-level: ilabel transition-id,
  olabel word, LatticeWeight(graph, acoustic) with acoustics as scaled by the decodable),
  `.get_best_path()` -> (ok, Lattice). Its config has beam/lattice_beam/prune_interval but no
  max_active: the beam is the only bound. Decodables: `kaldi_decoder.DecodableCtc(matrix)`
  (column = transition-id - 1); kaldi_hmm_gmm decodables are not accepted by it.
- kaldi_hmm_gmm's LatticeFasterDecoder/LatticeSimpleDecoder expose no lattice accessors
  (`decode_utterance_lattice_*` return only the best path) and there is no lattice
  determinization (DeterminizeLatticePhonePrunedOptions is a bare options struct).
- kaldifst: `Lattice`, `LatticeWeight(graph, acoustic)`, `LatticeArc`, `scale_lattice`,
  `lattice_scale`, `shortest_path`, `convert_nbest_to_vector`, `lattice_to_nbest`,
  `get_linear_symbol_sequence`; rmepsilon/determinize/connect exist only for StdVectorFst.

So epsilon removal, word-level determinization and pruning are written here, in the
LatticeWeight semiring (Plus keeps the path with the lower graph + acoustic cost, Times adds
both parts), over acyclic lattices. The word lattices carry no transition-id alignments.
"""

from __future__ import annotations

import gzip
import heapq
import io
import math
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import kaldi_decoder
import kaldifst
import numpy as np

from ..errors import InputError, require_file
from ..formats.fst_binary import (
    FST_MAGIC_BYTES,
    INT32,
    INT64,
    Cursor,
    fst_to_bytes,
    gather_arc_records,
    read_fst_header,
    walk_states,
)
from ..formats.io import Posterior, atomic_path

INF = math.inf


@dataclass
class LatticeConfig:
    """gmm-latgen-faster-like options (LatticeSimpleDecoder has no max_active)."""

    beam: float = 13.0
    lattice_beam: float = 6.0
    acwt: float = 0.1
    prune_interval: int = 25
    delta: float = 1e-3  # quantization when merging determinized states


class Arc(NamedTuple):  # a tuple: lattices have ~10^4 arcs per utterance
    ilabel: int
    olabel: int
    graph: float
    acoustic: float
    nextstate: int


@dataclass
class LatGraph:
    """A lattice as plain Python data: arcs per state, final (graph, acoustic) costs."""

    start: int
    arcs: list[list[Arc]]
    finals: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def num_states(self) -> int:
        return len(self.arcs)


@dataclass
class OracleResult:
    words: list[int]
    errors: int


# ---------------------------------------------------------------- kaldifst.Lattice conversion


def from_kaldifst(lat: kaldifst.Lattice, acoustic_scale: float = 1.0) -> LatGraph:
    """The lattice as a LatGraph, acoustic costs (arcs and finals) times `acoustic_scale`.
    Read from the wheel's binary serialisation (it has no other bulk access; arc by arc
    through the binding costs about three times as much on decoder lattices)."""
    data = lattice_to_fst_bytes(lat)
    g, _ = _read_lattice4(Cursor(data, 0, "<lattice>", "lattice"), acoustic_scale)
    return g


def _read_lattice4(c: Cursor, acoustic_scale: float = 1.0) -> tuple[LatGraph, int]:
    """A "lattice4" FST at the cursor, parsed with numpy; the graph and the offset past it."""
    arc_type, start, num_states = read_fst_header(c, _LATTICE_WEIGHTS, "Kaldi (compact) lattice")
    if arc_type != "lattice4":
        raise c.fail(f"arc type {arc_type!r}, expected 'lattice4'")
    layout = walk_states(c, num_states, 2, _LATTICE4_ARC.itemsize)
    finals = {s: (gc, ac * acoustic_scale) for s, (gc, ac) in enumerate(layout.finals.tolist())
              if math.isfinite(gc)}
    records = gather_arc_records(c.data, layout.offsets, layout.counts, _LATTICE4_ARC)
    nexts = records["nextstate"]
    if nexts.size and (nexts.min() < 0 or nexts.max() >= num_states):
        raise c.fail(f"an arc goes to a state outside 0..{num_states - 1}")
    arcs = list(map(Arc, records["ilabel"].tolist(), records["olabel"].tolist(),
                    records["graph"].astype(np.float64).tolist(),
                    (records["acoustic"].astype(np.float64) * acoustic_scale).tolist(),
                    nexts.tolist()))
    bounds = np.concatenate([[0], np.cumsum(layout.counts)]).tolist()
    graph = LatGraph(start if num_states else -1,
                     [arcs[bounds[s]:bounds[s + 1]] for s in range(num_states)], finals)
    return graph, c.pos


def to_kaldifst(g: LatGraph) -> kaldifst.Lattice:
    lat = kaldifst.Lattice()
    for _ in range(g.num_states):
        lat.add_state()
    if g.start >= 0:
        lat.start = g.start
    for s, arcs in enumerate(g.arcs):
        for a in arcs:
            w = kaldifst.LatticeWeight(a.graph, a.acoustic)
            lat.add_arc(s, kaldifst.LatticeArc(a.ilabel, a.olabel, w, a.nextstate))
    for s, (gc, ac) in g.finals.items():
        lat.set_final(s, kaldifst.LatticeWeight(gc, ac))
    return lat


def scaled(g: LatGraph, graph_scale: float, acoustic_scale: float,
           word_penalty: float = 0.0) -> LatGraph:
    """lattice-scale (diagonal) then lattice-add-penalty (penalty on word arcs' graph cost)."""
    def arc(a: Arc) -> Arc:
        pen = word_penalty if a.olabel != 0 else 0.0
        return Arc(a.ilabel, a.olabel, a.graph * graph_scale + pen, a.acoustic * acoustic_scale,
                   a.nextstate)
    finals = {s: (gc * graph_scale, ac * acoustic_scale) for s, (gc, ac) in g.finals.items()}
    return LatGraph(g.start, [[arc(a) for a in arcs] for arcs in g.arcs], finals)


# ---------------------------------------------------------------- graph algorithms


def topo_order(g: LatGraph) -> list[int]:
    """States reachable from the start in topological order; ValueError if the lattice has
    a cycle (decoder lattices never do)."""
    reach = _reachable(g)
    indeg = dict.fromkeys(reach, 0)
    for s in reach:
        for a in g.arcs[s]:
            indeg[a.nextstate] += 1
    stack = [s for s in reach if indeg[s] == 0]
    order: list[int] = []
    while stack:
        s = stack.pop()
        order.append(s)
        for a in g.arcs[s]:
            indeg[a.nextstate] -= 1
            if indeg[a.nextstate] == 0:
                stack.append(a.nextstate)
    if len(order) != len(reach):
        raise ValueError("lattice is cyclic")
    return order


def _reachable(g: LatGraph) -> set[int]:
    if g.start < 0:
        return set()
    seen, stack = {g.start}, [g.start]
    while stack:
        for a in g.arcs[stack.pop()]:
            if a.nextstate not in seen:
                seen.add(a.nextstate)
                stack.append(a.nextstate)
    return seen


def _forward_backward_min(g: LatGraph, order: list[int]
                          ) -> tuple[dict[int, float], dict[int, float]]:
    """Tropical alpha/beta over cost graph + acoustic."""
    alpha = dict.fromkeys(order, INF)
    alpha[g.start] = 0.0
    for s in order:
        for a in g.arcs[s]:
            alpha[a.nextstate] = min(alpha[a.nextstate], alpha[s] + a.graph + a.acoustic)
    beta = {s: sum(g.finals[s]) if s in g.finals else INF for s in order}
    for s in reversed(order):
        for a in g.arcs[s]:
            beta[s] = min(beta[s], a.graph + a.acoustic + beta[a.nextstate])
    return alpha, beta


def prune(g: LatGraph, beam: float) -> LatGraph:
    """Keep arcs and finals on paths within `beam` of the best (cost = graph + acoustic as
    stored, so scale first), then renumber states in topological order."""
    order = topo_order(g)
    alpha, beta = _forward_backward_min(g, order)
    best = beta.get(g.start, INF)
    if not math.isfinite(best):
        return LatGraph(-1, [], {})
    limit = best + beam
    keep = [s for s in order if alpha[s] + beta[s] <= limit]
    index = {s: i for i, s in enumerate(keep)}
    arcs = [[Arc(a.ilabel, a.olabel, a.graph, a.acoustic, index[a.nextstate])
             for a in g.arcs[s] if a.nextstate in index
             and alpha[s] + a.graph + a.acoustic + beta[a.nextstate] <= limit] for s in keep]
    finals = {index[s]: f for s, f in g.finals.items()
              if s in index and alpha[s] + sum(f) <= limit}
    return LatGraph(index[g.start], arcs, finals)


def _less(xg: float, xa: float, yg: float, ya: float) -> bool:
    """LatticeWeight natural order: lower graph + acoustic, ties broken on graph - acoustic."""
    x, y = xg + xa, yg + ya
    return x < y or (x == y and xg - xa < yg - ya)


Subset = dict[int, tuple[float, float]]
_Adj = dict[int, list[tuple[int, float, float, int]]]  # state -> [(olabel, graph, ac, next)]


def _subset_key(subset: Subset, delta: float) -> tuple:
    return tuple(sorted((s, round(w[0] / delta), round(w[1] / delta))
                        for s, w in subset.items()))


def determinize_words(g: LatGraph, delta: float = 1e-3) -> LatGraph:
    """Word-level determinization of an acyclic lattice (lattice-determinize on the word
    labels): olabel-0 arcs are epsilons, removed inside the weighted subset construction
    (each subset's epsilon closure is found once, not once per word-arc end). The result is
    an acceptor, ilabel = olabel = word, one path per word sequence carrying the (graph,
    acoustic) split of that sequence's best path."""
    if g.start < 0:
        return LatGraph(-1, [], {})
    order = topo_order(g)
    rank = {s: i for i, s in enumerate(order)}
    eps: _Adj = {s: [] for s in order}
    words: _Adj = {s: [] for s in order}
    for s in order:
        for a in g.arcs[s]:
            (words if a.olabel else eps)[s].append((a.olabel, a.graph, a.acoustic, a.nextstate))
    subsets: list[Subset] = [{g.start: (0.0, 0.0)}]
    ids = {_subset_key(subsets[0], delta): 0}
    arcs: list[list[Arc]] = []
    finals: dict[int, tuple[float, float]] = {}
    i = 0
    while i < len(subsets):
        closure = _eps_closure(subsets[i], eps, rank)
        final = _closure_final(g, closure)
        if final is not None:
            finals[i] = final
        out = []
        for label, (best, residual) in _word_successors(closure, words).items():
            key = _subset_key(residual, delta)
            if key not in ids:
                ids[key] = len(subsets)
                subsets.append(residual)
            out.append(Arc(label, label, best[0], best[1], ids[key]))
        arcs.append(out)
        i += 1
    return LatGraph(0, arcs, finals)


def _eps_closure(seeds: Subset, eps: _Adj, rank: Mapping[int, int]) -> Subset:
    """Best LatticeWeight to every state reachable over epsilon arcs (acyclic: popped in
    topological order, each state is final when popped)."""
    best = dict(seeds)
    heap = [(rank[s], s) for s in best]
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        _, s = heapq.heappop(heap)
        if s in done:
            continue
        done.add(s)
        wg, wa = best[s]
        for _, ag, aa, nxt in eps[s]:
            old = best.get(nxt)
            if old is None:
                heapq.heappush(heap, (rank[nxt], nxt))
            if old is None or _less(wg + ag, wa + aa, *old):
                best[nxt] = (wg + ag, wa + aa)
    return best


def _closure_final(g: LatGraph, closure: Subset) -> tuple[float, float] | None:
    best = None
    for s, (wg, wa) in closure.items():
        f = g.finals.get(s)
        if f is not None and (best is None or _less(wg + f[0], wa + f[1], *best)):
            best = (wg + f[0], wa + f[1])
    return best


def _word_successors(closure: Subset, words: _Adj
                     ) -> dict[int, tuple[tuple[float, float], Subset]]:
    """label -> (best weight, destination subset with weights relative to it)."""
    by_label: dict[int, Subset] = {}
    for s, (wg, wa) in closure.items():
        for label, ag, aa, nxt in words[s]:
            dest = by_label.setdefault(label, {})
            old = dest.get(nxt)
            if old is None or _less(wg + ag, wa + aa, *old):
                dest[nxt] = (wg + ag, wa + aa)
    result = {}
    for label in sorted(by_label):
        dest = by_label[label]
        best = min(dest.values(), key=lambda w: (w[0] + w[1], w[0] - w[1]))
        result[label] = (best, {s: (w[0] - best[0], w[1] - best[1]) for s, w in dest.items()})
    return result


# ---------------------------------------------------------------- decoding


def decodable_from_matrix(tid_loglikes: np.ndarray) -> kaldi_decoder.DecodableCtc:
    """(frames, num_transition_ids) scaled log-likelihoods (decode.transition_id_matrix)."""
    return kaldi_decoder.DecodableCtc(np.ascontiguousarray(tid_loglikes, dtype=np.float32))


def decode_raw_lattice(hclg: kaldifst.StdVectorFst, decodable: kaldi_decoder.DecodableInterface,
                       config: LatticeConfig) -> kaldifst.Lattice:
    """State-level lattice (ilabel transition-id, olabel word), acoustic costs divided by
    acwt as in Kaldi's lattices. Raises RuntimeError if no lattice was produced."""
    opts = kaldi_decoder.LatticeSimpleDecoderConfig(
        beam=config.beam, lattice_beam=config.lattice_beam,
        prune_interval=config.prune_interval)
    decoder = kaldi_decoder.LatticeSimpleDecoder(hclg, opts)
    decoder.decode(decodable)
    ok, raw = decoder.get_raw_lattice(use_final_probs=True)
    if not ok or raw.num_states == 0:
        ok, raw = decoder.get_raw_lattice(use_final_probs=False)  # allow partial
    if not ok or raw.num_states == 0:
        raise RuntimeError("decoder produced no lattice")
    kaldifst.scale_lattice(kaldifst.lattice_scale(lmwt=1.0, acwt=1.0 / config.acwt), raw)
    return raw


def word_lattice(raw: kaldifst.Lattice, config: LatticeConfig) -> LatGraph:
    """Raw lattice -> pruned, epsilon-free, word-determinized lattice. Pruning and
    determinization happen at the decoding acoustic scale; the result is unscaled. From here
    on a lattice stays a LatGraph: best paths, oracle and archives all read it."""
    # The decoder has already pruned to lattice_beam, so determinizing first loses nothing:
    # word sequences outside the beam are pruned afterwards.
    g = determinize_words(from_kaldifst(raw, config.acwt), config.delta)
    g = prune(g, config.lattice_beam)
    return scaled(g, 1.0, 1.0 / config.acwt)


def decode_lattice(hclg: kaldifst.StdVectorFst, decodable: kaldi_decoder.DecodableInterface,
                   config: LatticeConfig) -> LatGraph:
    """gmm-latgen-faster / latgen-faster-mapped for one utterance: a word lattice with
    LatticeWeight(graph cost, acoustic cost) and acoustics unscaled. The decodable must
    already include acwt (e.g. decode.transition_id_matrix(loglikes * acwt, tm))."""
    return word_lattice(decode_raw_lattice(hclg, decodable, config), config)


# ---------------------------------------------------------------- scoring


def best_path(lattice: LatGraph, lmwt: float, wip: float = 0.0) -> list[int]:
    """lattice-scale --inv-acoustic-scale=LMWT | lattice-add-penalty --word-ins-penalty=WIP |
    lattice-best-path: the words of the path minimising graph + wip * #words + acoustic/lmwt
    (OpenFst's shortest path: the reference best_paths is tested against)."""
    g = scaled(lattice, 1.0, 1.0 / lmwt, wip)
    if g.start < 0:
        return []
    path = kaldifst.shortest_path(to_kaldifst(g), n=1)
    ok, _, words, _ = kaldifst.get_linear_symbol_sequence(path)
    return list(words) if ok else []


def best_paths(g: LatGraph, settings: Sequence[tuple[float, float]]) -> list[list[int]]:
    """best_path for every (lmwt, wip) in settings, in one pass over the (acyclic) lattice:
    the scoring sweep reads each lattice once instead of once per setting."""
    if g.start < 0 or not settings:
        return [[] for _ in settings]
    inv_lmwt = np.array([1.0 / lmwt for lmwt, _ in settings])  # (K,)
    wip = np.array([w for _, w in settings])  # (K,)
    cost = np.full((g.num_states, len(settings)), INF)  # best cost from the start
    came_by: list[list[tuple[int, int] | None]] = [[None] * len(settings)
                                                   for _ in range(g.num_states)]
    cost[g.start] = 0.0
    for s in topo_order(g):
        for a in g.arcs[s]:
            c = cost[s] + a.graph + a.acoustic * inv_lmwt + (wip if a.olabel else 0.0)
            for k in np.flatnonzero(c < cost[a.nextstate]):
                cost[a.nextstate, k] = c[k]
                came_by[a.nextstate][k] = (s, a.olabel)
    finals = list(g.finals.items())
    if not finals:
        return [[] for _ in settings]
    total = np.stack([cost[s] + gc + ac * inv_lmwt for s, (gc, ac) in finals])  # (F, K)
    best_final = np.argmin(total, axis=0)
    paths = []
    for k, f in enumerate(best_final):
        state, words = finals[f][0], []
        if not math.isfinite(total[f, k]):
            paths.append([])
            continue
        while (step := came_by[state][k]) is not None:
            state, word = step
            if word:
                words.append(word)
        paths.append(words[::-1])
    return paths


def nbest(lattice: LatGraph, n: int, lmwt: float = 10.0) -> list[list[int]]:
    """Word sequences of the n best paths (distinct sequences for a determinized lattice)."""
    paths = kaldifst.lattice_to_nbest(to_kaldifst(lattice), acoustic_scale=1.0 / lmwt, n=n)
    return [list(kaldifst.get_linear_symbol_sequence(p)[2]) for p in paths]


def oracle_wer_path(g: LatGraph, ref_words: list[int]) -> OracleResult:
    """lattice-oracle: exact minimum-edit-distance path (DP over lattice states x reference
    positions; olabel-0 arcs are free moves). Ties go to the lower graph + acoustic cost."""
    if g.start < 0:
        return OracleResult([], len(ref_words))
    n = len(ref_words)
    cost: dict[tuple[int, int], tuple[int, float]] = {(g.start, 0): (0, 0.0)}
    back: dict[tuple[int, int], tuple[tuple[int, int], int]] = {}
    for s in topo_order(g):
        for i in range(n + 1):
            if (s, i) in cost:
                _oracle_expand(g, ref_words, s, i, cost, back)
    ends = [((cost[(s, n)][0], cost[(s, n)][1] + sum(f)), (s, n)) for s, f in g.finals.items()
            if (s, n) in cost]
    if not ends:
        return OracleResult([], len(ref_words))
    (errors, _), node = min(ends)
    return OracleResult(_oracle_words(node, back), errors)


def _oracle_expand(g: LatGraph, ref: list[int], s: int, i: int,
                   cost: dict[tuple[int, int], tuple[int, float]],
                   back: dict[tuple[int, int], tuple[tuple[int, int], int]]) -> None:
    def relax(node: tuple[int, int], errs: int, lat_cost: float, word: int) -> None:
        new = (cost[(s, i)][0] + errs, cost[(s, i)][1] + lat_cost)
        if node not in cost or new < cost[node]:
            cost[node] = new
            back[node] = ((s, i), word)

    if i < len(ref):
        relax((s, i + 1), 1, 0.0, 0)  # deletion
    for a in g.arcs[s]:
        c = a.graph + a.acoustic
        if a.olabel == 0:
            relax((a.nextstate, i), 0, c, 0)
            continue
        relax((a.nextstate, i), 1, c, a.olabel)  # insertion
        if i < len(ref):
            relax((a.nextstate, i + 1), int(a.olabel != ref[i]), c, a.olabel)


def _oracle_words(node: tuple[int, int],
                  back: dict[tuple[int, int], tuple[tuple[int, int], int]]) -> list[int]:
    words = []
    while node in back:
        node, word = back[node]
        if word:
            words.append(word)
    return words[::-1]


# ---------------------------------------------------------------- posteriors


def lattice_to_post(raw: kaldifst.Lattice, acwt: float) -> Posterior:
    """lattice-to-post --acoustic-scale=ACWT on a state-level (raw) lattice: per frame,
    [(transition-id, posterior)], from log-semiring forward-backward over
    graph + acwt * acoustic."""
    g = scaled(from_kaldifst(raw), 1.0, acwt)
    order = topo_order(g)
    alpha = {s: -INF for s in order}
    alpha[g.start] = 0.0
    times = {g.start: 0}
    for s in order:
        for a in g.arcs[s]:
            alpha[a.nextstate] = np.logaddexp(alpha[a.nextstate], alpha[s] - a.graph - a.acoustic)
            times[a.nextstate] = times[s] + (a.ilabel != 0)
    beta = {s: -sum(g.finals[s]) if s in g.finals else -INF for s in order}
    for s in reversed(order):
        for a in g.arcs[s]:
            beta[s] = np.logaddexp(beta[s], beta[a.nextstate] - a.graph - a.acoustic)
    total = beta[g.start]
    num_frames = max(times[s] for s in g.finals) if g.finals else 0
    post: list[dict[int, float]] = [{} for _ in range(num_frames)]
    for s in order:
        for a in g.arcs[s]:
            if a.ilabel == 0 or times[s] >= num_frames:
                continue
            p = math.exp(alpha[s] - a.graph - a.acoustic + beta[a.nextstate] - total)
            frame = post[times[s]]
            frame[a.ilabel] = frame.get(a.ilabel, 0.0) + p
    return [sorted(f.items()) for f in post]


# ---------------------------------------------------------------- text archives


def _num(x: float) -> str:
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    text = str(np.float32(x))
    return text[:-2] if text.endswith(".0") else text  # C++ ostream style: 0, 1.5


def _weight(gc: float, ac: float) -> str:
    return f"{_num(gc)},{_num(ac)}"


def format_lattice(utt: str, g: LatGraph) -> str:
    """One entry of a Kaldi text Lattice archive (lattice-copy --write-compact=false ark,t:),
    tab-separated as Kaldi's FstPrinter, weight (0,0) omitted, blank line terminator."""
    lines = [f"{utt} "]
    for s in (topo_order(g) if g.start >= 0 else []):
        for a in g.arcs[s]:
            fields = [str(s), str(a.nextstate), str(a.ilabel), str(a.olabel)]
            if (a.graph, a.acoustic) != (0.0, 0.0):
                fields.append(_weight(a.graph, a.acoustic))
            lines.append("\t".join(fields))
        if s in g.finals:
            f = g.finals[s]
            lines.append(str(s) if f == (0.0, 0.0) else f"{s}\t{_weight(*f)}")
    return "\n".join(lines) + "\n\n"


def write_lattices(path: str | Path, lattices: Iterable[tuple[str, LatGraph]],
                   binary: bool = False) -> None:
    """Write a text archive (or with `binary`, a binary one: see write_binary_lattices);
    gzipped if `path` ends in .gz (lat.N.gz), atomically."""
    if binary:
        write_binary_lattices(path, lattices)
        return
    with atomic_path(path) as tmp:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8") as out:
            for utt, lattice in lattices:
                out.write(format_lattice(utt, lattice))


def read_lattices(path: str | Path) -> dict[str, LatGraph]:
    """Read a (gzipped) text or binary archive of Lattices or CompactLattices (strings
    dropped). Binary entries (`<utt> ` then an OpenFst binary FST) are detected by the FST
    magic number, which never occurs in UTF-8 text, so text archives read as before."""
    p = require_file(path)
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as fb:
            data = fb.read()
        if FST_MAGIC_BYTES in data:
            return dict(parse_binary_archive(data, p))
        with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8") as f:
            return dict(parse_lattices(f, p))
    except (OSError, UnicodeDecodeError, EOFError) as e:
        raise InputError(p, f"cannot read lattice archive: {e}") from e


def parse_lattices(lines: Iterable[str], source: str | Path
                   ) -> Iterator[tuple[str, LatGraph]]:
    utt: str | None = None
    body: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(lines, 1):
        tokens = line.split()
        if utt is None:
            if not tokens:
                continue
            if len(tokens) != 1:
                raise InputError(source, f"line {lineno}: expected an utterance id, got {line!r}")
            utt, body = tokens[0], []
        elif tokens:
            body.append((lineno, tokens))
        else:
            yield utt, _parse_body(body, source)
            utt = None
    if utt is not None:
        raise InputError(source, f"lattice {utt!r} is not terminated by a blank line")


def _parse_weight(token: str, lineno: int, source: str | Path) -> tuple[float, float]:
    parts = token.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError(token)
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(source, f"line {lineno}: bad lattice weight {token!r}") from None


def _parse_body(body: list[tuple[int, list[str]]], source: str | Path) -> LatGraph:
    arcs: dict[int, list[Arc]] = {}
    finals: dict[int, tuple[float, float]] = {}
    first = -1
    for lineno, tokens in body:
        has_w = "," in tokens[-1]
        w = _parse_weight(tokens[-1], lineno, source) if has_w else (0.0, 0.0)
        ints = tokens[:-1] if has_w else tokens
        try:
            nums = [int(t) for t in ints]
        except ValueError:
            raise InputError(source, f"line {lineno}: bad lattice line {' '.join(tokens)!r}"
                             ) from None
        if len(nums) == 1:
            finals[nums[0]] = w
        elif len(nums) in (3, 4):  # CompactLattice arc (src dst word) or Lattice arc
            arcs.setdefault(nums[0], []).append(Arc(nums[2], nums[-1], w[0], w[1], nums[1]))
        else:
            raise InputError(source, f"line {lineno}: bad lattice line {' '.join(tokens)!r}")
        first = nums[0] if first < 0 else first
    return _graph_from_parts(arcs, finals, first)


def _graph_from_parts(arcs: dict[int, list[Arc]], finals: dict[int, tuple[float, float]],
                      start: int) -> LatGraph:
    states = set(arcs) | set(finals) | {a.nextstate for out in arcs.values() for a in out}
    n = max(states, default=-1) + 1
    return LatGraph(start, [arcs.get(s, []) for s in range(n)], finals)


# ---------------------------------------------------------------- binary archives
#
# Kaldi's LatticeHolder/CompactLatticeHolder write `<utt> ` and then the FST exactly as
# OpenFst's Fst::Write(os, FstWriteOptions()) does, *without* the "\0B" marker other Kaldi
# objects carry (kaldi-lattice.h: "we don't include the binary-mode header when writing this
# object to disk; this ensures that if we write to single files, the result can be read by
# OpenFst"); their Read() tells binary from text by the first byte, 214 (the FST magic) or
# whitespace, and rejects anything else. The FST layout is in fst_binary.py; lattice weights:
# lattice4 = float32 graph, float32 acoustic; lattice8 = two float64; compactlattice44/84 =
# that, then int32 n and n x int32 (the transition-id string, dropped here as in the text
# reader).

_LATTICE_WEIGHTS = {"lattice4": ("ff", False), "lattice8": ("dd", False),
                    "compactlattice44": ("ff", True), "compactlattice84": ("dd", True)}
_ARCHIVE_KEY = re.compile(rb"\s*(\S+)")
_TEXT_ENTRY_END = re.compile(rb"\n[ \t\r\f\v]*\n")


def read_binary_fst(data: bytes | memoryview, pos: int = 0, source: str | Path = "<bytes>",
                    what: str = "binary lattice") -> tuple[LatGraph, int]:
    """Parse one OpenFst binary VectorFst of Kaldi Lattice or CompactLattice arcs starting at
    data[pos]; return it (compact weights' strings dropped) and the offset just past it."""
    c = Cursor(data, pos, source, what)
    arc_type, start, num_states = read_fst_header(c, _LATTICE_WEIGHTS, "Kaldi (compact) lattice")
    wfmt, compact = _LATTICE_WEIGHTS[arc_type]
    final = struct.Struct(f"<{wfmt}" + ("i" if compact else "q"))
    arcs: list[list[Arc]] = []
    finals: dict[int, tuple[float, float]] = {}
    for s in range(num_states):
        gc, ac, n = c.unpack(final)
        if compact:
            c.take(4 * n)
            (n,) = c.unpack(INT64)
        if math.isfinite(gc):
            finals[s] = (gc, ac)
        if n < 0:
            raise c.fail(f"state {s} has a negative arc count")
        out = _read_arcs(c, n, wfmt, compact)
        if any(not 0 <= a.nextstate < num_states for a in out):
            raise c.fail(f"state {s} has an arc to a state outside 0..{num_states - 1}")
        arcs.append(out)
    return LatGraph(start if num_states else -1, arcs, finals), c.pos


_LATTICE4_ARC = np.dtype([("ilabel", "<i4"), ("olabel", "<i4"), ("graph", "<f4"),
                          ("acoustic", "<f4"), ("nextstate", "<i4")])


def _read_binary_lattice(data: bytes, pos: int, source: str | Path, what: str
                         ) -> tuple[LatGraph, int]:
    """One binary lattice at data[pos] and the offset past it: a plain "lattice4" FST (what
    Kaldi's lattice-copy --write-compact=false and write_lattices(binary=True) write) with
    numpy, other arc types state by state."""
    c = Cursor(data, pos, source, what)
    arc_type, _start, _num_states = read_fst_header(c, _LATTICE_WEIGHTS,
                                                    "Kaldi (compact) lattice")
    if arc_type != "lattice4":
        return read_binary_fst(data, pos, source, what)
    return _read_lattice4(Cursor(data, pos, source, what))


def _read_arcs(c: Cursor, n: int, wfmt: str, compact: bool) -> list[Arc]:
    if not compact:
        rec = struct.Struct(f"<ii{wfmt}i")
        return [Arc(*r) for r in rec.iter_unpack(c.take(n * rec.size))]
    head = struct.Struct(f"<ii{wfmt}i")
    out = []
    for _ in range(n):
        ilabel, olabel, gc, ac, m = c.unpack(head)
        c.take(4 * m)
        (nextstate,) = c.unpack(INT32)
        out.append(Arc(ilabel, olabel, gc, ac, nextstate))
    return out


def lattice_to_fst_bytes(lattice: kaldifst.Lattice) -> bytes:
    """The OpenFst binary form of a kaldifst `lattice` ("vector", arc type "lattice4"), as the
    wheel's Lattice.write emits it (its only bulk way out for a decoder's raw lattice)."""
    return fst_to_bytes(lattice)


def fst_bytes_to_lattice(data: bytes, source: str | Path = "<bytes>") -> kaldifst.Lattice:
    """A kaldifst Lattice of a binary Kaldi (compact) lattice FST."""
    g, end = read_binary_fst(data, 0, source)
    if end != len(data):
        raise InputError(source, f"{len(data) - end} bytes after the end of the FST")
    return to_kaldifst(g)


# OpenFst's kExpanded | kMutable: a VectorFst claims no other property it has not computed,
# so readers (OpenFst, Kaldi) compute what they need.
_PROPERTIES = 0x3
_LATTICE4_HEAD = (FST_MAGIC_BYTES + struct.pack("<i", 6) + b"vector" + struct.pack("<i", 8)
                  + b"lattice4")
_FINAL4 = struct.Struct("<ffq")


def lattice4_bytes(g: LatGraph) -> bytes:
    """The OpenFst binary form of `g` as a VectorFst of Kaldi Lattice arcs ("lattice4": float32
    graph and acoustic costs), which Kaldi's lattice readers and kaldifst.Lattice.read load."""
    parts = [_LATTICE4_HEAD, struct.pack("<iiQqqq", 2, 0, _PROPERTIES, g.start,
                                         g.num_states, 0)]
    flat = np.array([a for arcs in g.arcs for a in arcs], dtype=np.float64).reshape(-1, 5)
    records = np.empty(len(flat), dtype=_LATTICE4_ARC)  # (arcs,) in state order
    for column, name in enumerate(Arc._fields):  # the same names as the record's fields
        records[name] = flat[:, column]
    body = records.tobytes()
    pos = 0
    for s, arcs in enumerate(g.arcs):
        gc, ac = g.finals.get(s, (INF, INF))
        end = pos + len(arcs) * _LATTICE4_ARC.itemsize
        parts += [_FINAL4.pack(gc, ac, len(arcs)), body[pos:end]]
        pos = end
    return b"".join(parts)


def format_binary_lattice(utt: str, g: LatGraph) -> bytes:
    """One entry of a Kaldi binary Lattice archive (lattice-copy --write-compact=false ark:):
    `<utt> ` then the FST, with no "\\0B" (Kaldi's lattice holders neither write nor accept
    one)."""
    if not utt or any(ch.isspace() for ch in utt):
        raise ValueError(f"utterance id {utt!r} is empty or contains whitespace")
    return utt.encode("utf-8") + b" " + lattice4_bytes(g)


def write_binary_lattices(path: str | Path, lattices: Iterable[tuple[str, LatGraph]]) -> None:
    """Write a binary archive; gzipped if `path` ends in .gz, atomically."""
    with atomic_path(path) as tmp:
        opener = gzip.open if str(path).endswith(".gz") else open
        level = {"compresslevel": 6} if opener is gzip.open else {}  # as `gzip -c`; 9 is slow
        with opener(tmp, "wb", **level) as out:
            for utt, g in lattices:
                out.write(format_binary_lattice(utt, g))


def parse_binary_archive(data: bytes, source: str | Path) -> Iterator[tuple[str, LatGraph]]:
    """Entries of an archive holding binary entries (text entries may be mixed in, as Kaldi's
    readers allow). A "\\0B" before the FST magic is tolerated."""
    pos = 0
    while m := _ARCHIVE_KEY.match(data, pos):
        try:
            utt = m.group(1).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(source, f"byte {m.start(1)}: utterance id is not UTF-8 text "
                             "(garbage between lattices?)") from None
        p = m.end()
        sep = data[p:p + 1]
        if sep in (b" ", b"\t"):
            p += 1
        elif sep != b"\n":
            raise InputError(source, f"byte {p}: no lattice after utterance id {utt!r}"
                             + (" (file truncated)" if not sep else ""))
        if data.startswith(b"\0B", p) and data.startswith(FST_MAGIC_BYTES, p + 2):
            p += 2
        if data.startswith(FST_MAGIC_BYTES, p):
            lattice, pos = _read_binary_lattice(data, p, source, f"binary lattice {utt!r}")
            yield utt, lattice
        elif data[p:p + 1].isspace():
            end_m = _TEXT_ENTRY_END.search(data, p)
            pos = end_m.end() if end_m else len(data)
            yield _parse_text_entry(data[m.start(1):pos], source, m.start(1))
        else:
            raise InputError(source, f"byte {p}: lattice {utt!r} is neither text nor an "
                             "OpenFst binary FST")


def _parse_text_entry(chunk: bytes, source: str | Path, offset: int
                      ) -> tuple[str, LatGraph]:
    try:
        with io.TextIOWrapper(io.BytesIO(chunk), encoding="utf-8") as f:
            (entry,) = parse_lattices(f, source)
        return entry
    except InputError as e:
        problem = str(e).removeprefix(f"{source}: ")
        raise InputError(source, f"text lattice at byte {offset}: {problem}") from None
