"""Triphone trees: likelihood-gain splitting, Kaldi tree bytes, acc-tree-stats, convert-ali."""

from __future__ import annotations

import math

import kaldi_hmm_gmm as khg
import numpy as np
import pytest
import toy_system as toy

from pykaldi_distill.formats import model_io
from pykaldi_distill.hmm.transitions import TidInfo
from pykaldi_distill.hmm.tree import (
    Leaf,
    Stats,
    Table,
    Tree,
    TreeConfig,
    accumulate_tree_stats,
    build_tree,
    cluster_phones,
    convert_alignment,
    convert_alignments,
    make_context_dependency,
    make_event,
    split_to_phones,
    tree_objf,
    tree_to_kaldi_bytes,
)

NUM_CLASSES = [0, 1, 3, 3]  # toy topology: phone 1 (SIL) one state, phones 2 and 3 three


def gauss(count: float, mean: list[float], var: list[float]) -> Stats:
    m, v = np.array(mean), np.array(var)
    return Stats(count, count * m, count * (v + m * m))


def two_context_stats() -> dict:
    """Phone 2, pdf-class 0: left context 1 ~ N(0, 1), left context 3 ~ N(10, 4)."""
    return {make_event([1, 2, 0], 0): gauss(50, [0.0], [1.0]),
            make_event([3, 2, 0], 0): gauss(30, [10.0], [4.0])}


def stub_objf(stats: dict) -> float:
    stub = Tree(Leaf(0), 1)
    return tree_objf(stub, stats)


def test_split_gain_matches_formula() -> None:
    stats = two_context_stats()
    tree = build_tree(stats, [{1}, {3}], [[2]], [0, 1, 1, 1],
                      TreeConfig(num_leaves=2, thresh=0.0))
    assert tree.num_pdfs == 2
    assert tree.map(make_event([1, 2, 0], 0)) != tree.map(make_event([3, 2, 0], 0))

    def loglike(n: float, var: float) -> float:  # 1-dim ML Gaussian
        return -0.5 * n * (1 + math.log(2 * math.pi) + math.log(var))

    pooled_mean = (50 * 0.0 + 30 * 10.0) / 80
    pooled_var = (50 * 1.0 + 30 * (4.0 + 100.0)) / 80 - pooled_mean ** 2
    gain = loglike(50, 1.0) + loglike(30, 4.0) - loglike(80, pooled_var)
    assert gain > 0
    assert tree_objf(tree, stats) - stub_objf(stats) == pytest.approx(gain, rel=1e-9)


def test_threshold_stops_splitting() -> None:
    tree = build_tree(two_context_stats(), [{1}, {3}], [[2]], [0, 1, 1, 1],
                      TreeConfig(num_leaves=10, thresh=1e6))
    assert tree.num_pdfs == 1


def many_context_stats() -> dict:
    return {make_event([left, 2, 0], 0): gauss(40, [3.0 * left], [1.0])
            for left in range(1, 9)}


def test_num_leaves_respected() -> None:
    stats = many_context_stats()
    questions = [{p} for p in range(1, 9)] + [set(range(1, 5)), set(range(5, 9))]
    for n in (1, 3, 5):
        tree = build_tree(stats, questions, [[2]], [1] * 9, TreeConfig(num_leaves=n, thresh=0))
        assert tree.num_pdfs == n
        assert {tree.map(e) for e in stats} == set(range(n))
    full = build_tree(stats, questions, [[2]], [1] * 9, TreeConfig(num_leaves=100, thresh=0))
    assert full.num_pdfs == 8  # every context alone: nothing left to split


def test_min_count_respected() -> None:
    stats = {make_event([1, 2, 0], 0): gauss(100, [0.0], [1.0]),
             make_event([3, 2, 0], 0): gauss(100, [0.1], [1.0]),
             make_event([4, 2, 0], 0): gauss(5, [50.0], [1.0])}
    questions = [{1}, {3}, {4}]
    free = build_tree(stats, questions, [[2]], [1] * 5, TreeConfig(num_leaves=2, thresh=0))
    assert free.map(make_event([4, 2, 0], 0)) != free.map(make_event([3, 2, 0], 0))
    limited = build_tree(stats, questions, [[2]], [1] * 5,
                         TreeConfig(num_leaves=2, thresh=0, min_count=10))
    assert limited.num_pdfs == 2
    counts: dict[int, float] = {}
    for event, s in stats.items():
        pdf = limited.map(event)
        counts[pdf] = counts.get(pdf, 0.0) + s.count
    assert min(counts.values()) >= 10


def triphone_stats(rng: np.random.Generator) -> dict:
    """Phones 2 and 3 whose pdf-class 1 depends on the left context; SIL (1) context-free."""
    stats = {make_event([0, 1, 0], 0): gauss(200, [0.0, 0.0], [1.0, 1.0])}
    for phone in (2, 3):
        for left in (0, 1, 2, 3):
            for right in (0, 1, 2, 3):
                for pc in range(3):
                    shift = 6.0 * (left == 1) if pc == 1 else 0.0
                    mean = [phone * 4.0 + shift + rng.normal(0, 0.01), float(pc)]
                    stats[make_event([left, phone, right], pc)] = gauss(30, mean, [1.0, 1.0])
    return stats


def test_tree_loads_as_context_dependency(tmp_path) -> None:
    stats = triphone_stats(np.random.default_rng(0))
    questions = cluster_phones(stats, [[1], [2], [3]])
    assert frozenset({2, 3}) in questions
    tree = build_tree(stats, questions + [{0}], [[1], [2], [3]], NUM_CLASSES,
                      TreeConfig(num_leaves=9, thresh=10.0))
    assert tree.num_pdfs == 9  # 7 stub leaves + left-context split of class 1 of 2 and 3
    ctx = make_context_dependency(tree)
    assert (ctx.context_width, ctx.central_position, ctx.num_pdfs) == (3, 1, 9)
    for event in stats:
        d = dict(event)
        ok, pdf = ctx.compute(phone_seq=[d[0], d[1], d[2]], pdf_class=d[-1])
        assert ok and pdf == tree.map(event)
    ok1, left1 = ctx.compute(phone_seq=[1, 2, 3], pdf_class=1)
    ok2, left3 = ctx.compute(phone_seq=[3, 2, 3], pdf_class=1)
    assert ok1 and ok2 and left1 != left3
    assert not ctx.compute(phone_seq=[1, 7, 3], pdf_class=0)[0]  # phone 7 has no root

    path = tmp_path / "tree"
    path.write_bytes(tree_to_kaldi_bytes(tree))
    assert str(model_io.read_tree(path)) == str(ctx)
    tm = khg.TransitionModel(ctx_dep=ctx, hmm_topo=toy.topology())
    assert tm.num_pdfs == 9


def test_pdf_class_questions_when_roots_shared() -> None:
    stats = {make_event([0, 2, 0], pc): gauss(50, [10.0 * pc], [1.0]) for pc in range(3)}
    tree = build_tree(stats, [], [[2]], NUM_CLASSES,
                      TreeConfig(num_leaves=3, thresh=0, split_pdf_class_first=False))
    assert not isinstance(tree.root, Table)
    assert len({tree.map(e) for e in stats}) == 3
    assert make_context_dependency(tree).num_pdfs == 3


def mono_alignment(tm: khg.TransitionModel, phones: list[int], frames_per_state: int,
                   reordered: bool = False) -> list[int]:
    """Per HMM state: self-loops then the forward transition (reordered: the other way)."""
    tuples = [tuple(t.__getstate__()) for t in tm.tuples]
    state2id = list(tm.state2id)
    ali = []
    for phone in phones:
        for tstate, (p, _, _, _) in enumerate(tuples, 1):
            if p == phone:
                loops, fwd = [state2id[tstate]] * (frames_per_state - 1), [state2id[tstate] + 1]
                ali += fwd + loops if reordered else loops + fwd
    return ali


def test_acc_stats_and_convert_alignment() -> None:
    topo = toy.topology()
    mono_tree = khg.monophone_context_dependency(
        phones=topo.phones, phone2num_pdf_classes=topo.get_phone_to_num_pdf_classes())
    mono_tm = khg.TransitionModel(ctx_dep=mono_tree, hmm_topo=topo)
    rng = np.random.default_rng(1)
    phone_seqs = {"u1": [1, 2, 3, 1], "u2": [1, 3, 2, 2, 1], "u3": [1, 2, 1, 3, 1]}
    alignments = {u: mono_alignment(mono_tm, ps, 4) for u, ps in phone_seqs.items()}
    feats = {u: rng.normal(size=(len(a), 3)) + 3.0 * np.array(
        [mono_tm.transition_id_to_phone(t) for t in a])[:, None] for u, a in alignments.items()}

    info = TidInfo.of(mono_tm)
    assert [info.phone[p[0]] for p in split_to_phones(info, alignments["u2"])] == [1, 3, 2, 2, 1]
    reordered = mono_alignment(mono_tm, phone_seqs["u2"], 3, reordered=True)
    pieces = split_to_phones(info, reordered)
    assert [len(p) for p in pieces] == [3, 9, 9, 9, 3]
    assert [info.phone[p[0]] for p in pieces] == [1, 3, 2, 2, 1]
    stats = accumulate_tree_stats(mono_tm, alignments, feats, ci_phones={1})
    assert sum(s.count for s in stats.values()) == sum(len(a) for a in alignments.values())
    assert {e for e in stats if dict(e)[1] == 1} == {make_event([0, 1, 0], 0)}
    assert make_event([1, 3, 2], 2) in stats and make_event([2, 2, 1], 1) in stats

    questions = cluster_phones(stats, [[1], [2], [3]])
    tree = build_tree(stats, questions, [[1], [2], [3]], NUM_CLASSES,
                      TreeConfig(num_leaves=12, thresh=0))
    ctx = make_context_dependency(tree)
    new_tm = khg.TransitionModel(ctx_dep=ctx, hmm_topo=topo)
    for utt, ali in alignments.items():
        new = convert_alignment(mono_tm, new_tm, ctx, ali)
        assert len(new) == len(ali)
        assert [new_tm.transition_id_to_phone(t) for t in new] == \
            [mono_tm.transition_id_to_phone(t) for t in ali]
        assert [new_tm.is_self_loop(t) for t in new] == [mono_tm.is_self_loop(t) for t in ali]
        padded = [0, *phone_seqs[utt], 0]
        expected = []
        for i, phone in enumerate(phone_seqs[utt]):
            for pdf_class in range(NUM_CLASSES[phone]):
                ok, pdf = ctx.compute(phone_seq=padded[i:i + 3], pdf_class=pdf_class)
                assert ok
                expected += [pdf] * 4
        assert [new_tm.transition_id_to_pdf(t) for t in new] == expected
    assert convert_alignments(mono_tm, new_tm, ctx, alignments) == {
        utt: convert_alignment(mono_tm, new_tm, ctx, ali) for utt, ali in alignments.items()}


def test_multi_phone_roots_use_split_stubs() -> None:
    stats = triphone_stats(np.random.default_rng(2))
    tree = build_tree(stats, [{1}, {2}, {3}], [[1], [2, 3]], NUM_CLASSES,
                      TreeConfig(num_leaves=6, thresh=10.0))
    ctx = make_context_dependency(tree)
    assert ctx.num_pdfs == 6  # 1 + 3 stub leaves, then the two best splits
    for event in stats:
        d = dict(event)
        assert ctx.compute(phone_seq=[d[0], d[1], d[2]], pdf_class=d[-1]) == \
            (True, tree.map(event))
    assert khg.TransitionModel(ctx_dep=ctx, hmm_topo=toy.topology()).num_pdfs == 6
