"""Lattice generation, Kaldi text archives, LMWT/WIP best path, oracle and posteriors on the
toy two-word task."""

import gzip
from dataclasses import dataclass
from pathlib import Path

import kaldifst
import pytest
import toy_system as toy

from pykaldi_distill.decoding import decode, graph, score
from pykaldi_distill.decoding import lattice as lt
from pykaldi_distill.errors import InputError
from pykaldi_distill.gmm import system as gmm
from pykaldi_distill.hmm import transitions

ACWT = 0.1


@dataclass
class Utt:
    words: list[int]
    ref: list[int]
    raw: kaldifst.Lattice  # the decoder's state-level lattice
    lat: lt.LatGraph  # the word lattice


@pytest.fixture(scope="module")
def decoded() -> dict[str, Utt]:
    feats, texts = toy.corpus(30, seed=0)
    compile_graph = gmm.graph_compiler_fn(toy.lexicon_fst(), [toy.DISAMBIG], texts)
    config = gmm.MonoConfig(num_iters=12, max_iter_inc=6, totgauss=30,
                            realign_iters=[1, 2, 3, 4, 6, 8, 10])
    system, _ = gmm.train_mono(toy.topology(), [[toy.SIL], [toy.A], [toy.B]], [toy.SIL],
                               feats, compile_graph, config, lambda _: None)
    lg = graph.compose_lg(toy.lexicon_fst(with_disambig=True), toy.grammar_fst())
    hclg = graph.make_hclg(lg, system.tree, system.tm, [toy.DISAMBIG], graph.GraphConfig())
    dconf = decode.DecoderConfig()
    decoder = decode.make_decoder(hclg, dconf)
    lconf = lt.LatticeConfig(acwt=ACWT)
    out = {}
    test_feats, test_texts = toy.corpus(8, seed=11)
    for utt, x in test_feats.items():
        r = decode.decode_gmm(decoder, system.tm, system.am, x, ACWT, dconf)
        loglikes = decode.pdf_loglikes_from_gmm(system.am, x)
        mat = transitions.transition_id_matrix(loglikes * ACWT, system.tm)
        raw = lt.decode_raw_lattice(hclg, lt.decodable_from_matrix(mat), lconf)
        lat = lt.decode_lattice(hclg, lt.decodable_from_matrix(mat), lconf)
        assert lt.format_lattice(utt, lat) == lt.format_lattice(utt, lt.word_lattice(raw, lconf))
        out[utt] = Utt(r.words, test_texts[utt], raw, lat)
    return out


def test_one_best_matches_decoder(decoded: dict[str, Utt]) -> None:
    for u in decoded.values():
        assert lt.best_path(u.lat, lmwt=1 / ACWT) == u.words
        assert lt.best_path(lt.from_kaldifst(u.raw), lmwt=1 / ACWT) == u.words


def test_best_paths_equal_best_path_per_setting(decoded: dict[str, Utt]) -> None:
    settings = [(lmwt, wip) for wip in (-5.0, 0.0, 0.5, 1.0, 5.0)
                for lmwt in (1.0, 7.0, 10.0, 17.0)]
    for u in decoded.values():
        for lat in (u.lat, lt.from_kaldifst(u.raw)):
            assert lt.best_paths(lat, settings) == [lt.best_path(lat, m, w) for m, w in settings]
    assert lt.best_paths(lt.LatGraph(-1, [], {}), [(10.0, 0.0)]) == [[]]
    assert lt.best_paths(u.lat, []) == []


def test_word_lattice_is_deterministic_and_epsilon_free(decoded: dict[str, Utt]) -> None:
    for u in decoded.values():
        g = u.lat
        assert g.num_states < lt.from_kaldifst(u.raw).num_states
        for arcs in g.arcs:
            labels = [a.olabel for a in arcs]
            assert 0 not in labels and len(labels) == len(set(labels))
        seqs = lt.nbest(u.lat, 20)
        assert len(seqs) == len({tuple(s) for s in seqs})  # one path per word sequence
        assert seqs[0] == u.words


def _wer(refs: dict[str, list[int]], hyps: dict[str, list[int]]) -> float:
    stats = score.compute_wer({k: list(map(str, v)) for k, v in refs.items()},
                              {k: list(map(str, v)) for k, v in hyps.items()})
    return stats.errors


def test_oracle_no_worse_than_one_best(decoded: dict[str, Utt]) -> None:
    refs = {k: u.ref for k, u in decoded.items()}
    oracle = {k: lt.oracle_wer_path(u.lat, u.ref) for k, u in decoded.items()}
    one_best = {k: u.words for k, u in decoded.items()}
    assert _wer(refs, {k: o.words for k, o in oracle.items()}) <= _wer(refs, one_best)
    for k, o in oracle.items():
        assert o.errors == _wer({k: refs[k]}, {k: o.words})
        assert o.errors <= min(_wer({k: refs[k]}, {k: s}) for s in lt.nbest(decoded[k].lat, 50))


def test_oracle_exact_on_hand_lattice() -> None:
    g = lt.LatGraph(0, [[lt.Arc(1, 1, 0.0, 1.0, 1), lt.Arc(2, 2, 0.0, 5.0, 1)],
                        [lt.Arc(0, 0, 0.0, 0.0, 2)], [lt.Arc(2, 2, 0.0, 1.0, 3)], []],
                    {3: (0.0, 0.0)})
    lat = g
    assert lt.best_path(lat, 1.0) == [1, 2]
    assert lt.oracle_wer_path(lat, [2, 2]) == lt.OracleResult([2, 2], 0)
    assert lt.oracle_wer_path(lat, [2, 2, 2]).errors == 1
    assert lt.oracle_wer_path(lat, []).errors == 2


def test_determinize_words_on_hand_lattice() -> None:
    A = lt.Arc
    # Word 7 ends after one or two frames of epsilon arcs (two timings, two weights), then
    # word 8; or word 9 alone. State-level arcs carry transition-ids as ilabels.
    g = lt.LatGraph(0, [
        [A(3, 7, 1.0, 2.0, 1), A(4, 9, 0.5, 9.0, 5)],
        [A(3, 0, 0.0, 1.0, 2), A(3, 0, 0.0, 0.5, 3)],
        [A(5, 8, 1.0, 1.0, 4)],
        [A(3, 0, 0.0, 1.0, 2), A(5, 8, 2.0, 1.0, 4)],
        [], []], {4: (0.0, 0.5), 5: (0.25, 0.0)})
    det = lt.determinize_words(g)
    paths = {}

    def walk(s: int, words: tuple, gc: float, ac: float) -> None:
        if s in det.finals:
            paths[words] = (gc + det.finals[s][0], ac + det.finals[s][1])
        for a in det.arcs[s]:
            assert a.ilabel == a.olabel != 0
            walk(a.nextstate, (*words, a.olabel), gc + a.graph, ac + a.acoustic)

    walk(det.start, (), 0.0, 0.0)
    # 7 8: via 1->2 (cost 1+2+1+2+0.5 = 6.5) or 1->3->2 (6.5 + 0.5, worse) or 1->3->4
    # (1+2+0.5+2+1+0.5 = 7): the best keeps its own graph/acoustic split (2, 4.5).
    assert paths == {(7, 8): (2.0, 4.5), (9,): (0.75, 9.0)}
    for arcs in det.arcs:
        assert len({a.olabel for a in arcs}) == len(arcs)


def test_higher_wip_gives_fewer_words(decoded: dict[str, Utt]) -> None:
    for u in decoded.values():
        counts = [len(lt.best_path(u.lat, 10.0, wip)) for wip in (-5.0, 0.0, 0.5, 1.0, 5.0)]
        assert counts == sorted(counts, reverse=True)
    many = sum(len(lt.best_path(u.lat, 10.0, -50.0)) for u in decoded.values())
    few = sum(len(lt.best_path(u.lat, 10.0, 50.0)) for u in decoded.values())
    assert few < many


def _arcs(g: lt.LatGraph) -> tuple[list, dict]:
    arcs = sorted((s, a.nextstate, a.ilabel, a.olabel, a.graph, a.acoustic)
                  for s, out in enumerate(g.arcs) for a in out)
    return arcs, g.finals


def _assert_same(a: lt.LatGraph, b: lt.LatGraph) -> None:
    (arcs_a, fin_a), (arcs_b, fin_b) = _arcs(a), _arcs(b)
    assert a.start == b.start
    assert [x[:4] for x in arcs_a] == [x[:4] for x in arcs_b]
    for x, y in zip(arcs_a, arcs_b, strict=True):
        assert x[4:] == pytest.approx(y[4:], abs=1e-4)
    assert fin_a.keys() == fin_b.keys()
    for s in fin_a:
        assert fin_a[s] == pytest.approx(fin_b[s], abs=1e-4)


def test_text_archive_round_trip(decoded: dict[str, Utt], tmp_path: Path) -> None:
    path = tmp_path / "lat.1.gz"
    lats = {k: u.lat for k, u in decoded.items()} | {
        "raw": lt.from_kaldifst(next(iter(decoded.values())).raw)}
    lt.write_lattices(path, lats.items())
    back = lt.read_lattices(path)
    assert list(back) == list(lats)
    for k in lats:
        _assert_same(lats[k], back[k])
        assert lt.best_path(back[k], 10.0) == lt.best_path(lats[k], 10.0)


def test_text_format_is_kaldis() -> None:
    g = lt.LatGraph(0, [[lt.Arc(3, 1, 1.5, 2.25, 1), lt.Arc(4, 0, 0.0, 0.0, 1)], []],
                    {1: (0.5, 0.0)})
    text = lt.format_lattice("utt1", g)
    assert text == "utt1 \n0\t1\t3\t1\t1.5,2.25\n0\t1\t4\t0\n1\t0.5,0\n\n"
    compact = ["utt2", "0\t1\t7\t1,2,3_3_4", "1\t0.5,0.25,", ""]
    (utt, lat), = lt.parse_lattices([line + "\n" for line in compact], "x")
    assert utt == "utt2" and _arcs(lat) == ([(0, 1, 7, 7, 1.0, 2.0)], {1: (0.5, 0.25)})


@pytest.mark.parametrize("content", ["utt1 \n0\t1\t3\t1\tabc\n\n", "utt1\n0 x 1 1\n\n",
                                     "utt1\n0\t1\t3\t1\t1,2\n", "a b c\n"])
def test_garbage_raises_input_error_naming_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "lat.1.gz"
    path.write_bytes(gzip.compress(content.encode()))
    with pytest.raises(InputError, match="lat.1.gz"):
        lt.read_lattices(path)


def test_not_gzip_raises_input_error(tmp_path: Path) -> None:
    path = tmp_path / "lat.2.gz"
    path.write_bytes(b"\x00\xffnot gzip")
    with pytest.raises(InputError, match="lat.2.gz"):
        lt.read_lattices(path)
    with pytest.raises(InputError, match="lat.3.gz"):
        lt.read_lattices(tmp_path / "lat.3.gz")


def test_frame_posteriors_sum_to_one(decoded: dict[str, Utt]) -> None:
    u = next(iter(decoded.values()))
    post = lt.lattice_to_post(u.raw, ACWT)
    assert len(post) > 10
    for frame in post:
        assert sum(p for _, p in frame) == pytest.approx(1.0, abs=1e-3)


def test_from_kaldifst_reads_every_arc_and_scales_acoustics(decoded: dict[str, Utt]) -> None:
    """The binary-serialisation reader agrees with arc-by-arc access through the binding."""
    import _kaldifst
    import kaldifst

    def arcs_of(lat: kaldifst.Lattice, s: int) -> list:
        it, out = _kaldifst._ArcIteratorLattice(lat, s), []
        while not it.done:
            out.append(it.value)
            it.next()
        return out

    for u in decoded.values():
        g = lt.from_kaldifst(u.raw, acoustic_scale=0.5)
        assert g.start == u.raw.start and g.num_states == u.raw.num_states
        for s in range(u.raw.num_states):
            expect = [(a.ilabel, a.olabel, a.weight.value1, a.weight.value2 * 0.5, a.nextstate)
                      for a in arcs_of(u.raw, s)]
            assert [tuple(a) for a in g.arcs[s]] == expect
            final = u.raw.final(s)
            assert g.finals.get(s) == ((final.value1, final.value2 * 0.5)
                                       if final.value1 != float("inf") else None)
    assert lt.from_kaldifst(kaldifst.Lattice()).start == -1
