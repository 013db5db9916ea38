"""Binary Kaldi lattice archives: `<utt> ` + OpenFst binary VectorFst (arc type lattice4)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import kaldifst
import pytest

from pykaldi_distill.decoding import lattice as lt
from pykaldi_distill.errors import InputError

A = lt.Arc
MAGIC = struct.pack("<i", 2125659606)


def _graphs() -> dict[str, lt.LatGraph]:
    return {
        # epsilon arcs, several arcs per state, parallel arcs, weighted finals
        "utt-a": lt.LatGraph(0, [
            [A(3, 1, 1.5, 2.25, 1), A(0, 0, 0.0, 0.0, 2), A(4, 2, -0.5, 7.0, 1)],
            [A(5, 0, 0.25, 0.125, 3), A(5, 0, 0.75, 0.0, 3)],
            [A(0, 3, 1.0, -2.5, 3)],
            [],
        ], {3: (0.5, 0.0), 2: (10.0, 3.75)}),
        "utt-b": lt.LatGraph(1, [[], [A(7, 7, 0.0, 1.0, 0)]], {0: (0.0, 0.0)}),
        "one-final": lt.LatGraph(0, [[]], {0: (0.0, 0.0)}),
        "one-state": lt.LatGraph(0, [[]], {}),  # no final: text cannot represent it
        "empty": lt.LatGraph(-1, [], {}),
    }




@pytest.mark.parametrize("name", ["lat.1.gz", "lat.ark"])
def test_binary_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    lt.write_lattices(path, _graphs().items(), binary=True)
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" if name.endswith(".gz") else raw.startswith(b"utt-a " + MAGIC)
    back = lt.read_lattices(path)
    assert list(back) == list(_graphs())
    for k, g in _graphs().items():
        assert back[k] == g


def test_entries_load_with_the_wheels_reader(tmp_path: Path) -> None:
    """Our lattice4 writer's entries are what the wheel's (OpenFst's) reader loads, and the
    same FST the wheel writes but for the properties word (we claim none we did not check)."""
    path = tmp_path / "lat.ark"
    lats = _graphs()
    lt.write_lattices(path, lats.items(), binary=True)
    data = path.read_bytes()
    pos = 0
    for k, g in lats.items():
        assert data.startswith(k.encode() + b" ", pos)
        start = pos + len(k) + 1
        _, end = lt.read_binary_fst(data, start)
        entry = tmp_path / f"{k}.fst"
        entry.write_bytes(data[start:end])
        loaded = kaldifst.Lattice.read(str(entry))
        assert loaded is not None and loaded.type == "vector"
        assert lt.from_kaldifst(loaded) == g
        assert lt.from_kaldifst(lt.fst_bytes_to_lattice(data[start:end])) == g
        wheel = lt.lattice_to_fst_bytes(lt.to_kaldifst(g))
        props = 4 + 4 + 6 + 4 + 8 + 4 + 4  # magic, "vector", "lattice4", version, flags
        ours = data[start:end]
        assert ours[:props] + ours[props + 8:] == wheel[:props] + wheel[props + 8:]
        pos = end
    assert pos == len(data)


def test_text_and_binary_archives_read_back_equal(tmp_path: Path) -> None:
    lats = {k: v for k, v in _graphs().items() if k != "one-state"}
    lt.write_lattices(tmp_path / "t.gz", lats.items())
    lt.write_lattices(tmp_path / "b.gz", lats.items(), binary=True)
    text, binary = lt.read_lattices(tmp_path / "t.gz"), lt.read_lattices(tmp_path / "b.gz")
    assert list(text) == list(binary) == list(lats)
    for k in lats:
        assert text[k] == binary[k]


@pytest.mark.parametrize("cut", [3, 8, 30, 80, 100, -30, -4, -1])
@pytest.mark.parametrize("gz", [False, True])
def test_truncated_binary_raises_input_error(tmp_path: Path, cut: int, gz: bool) -> None:
    full = tmp_path / "full.ark"
    lt.write_lattices(full, _graphs().items(), binary=True)
    data = full.read_bytes()
    data = data[:cut] if cut > 0 else data[:len(data) + cut]
    path = tmp_path / ("lat.7.gz" if gz else "lat.7.ark")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(InputError, match="lat.7"):
        lt.read_lattices(path)
    if gz:  # a cut-off gzip stream is an error too
        path.write_bytes(gzip.compress(full.read_bytes())[:-20])
        with pytest.raises(InputError, match="lat.7"):
            lt.read_lattices(path)


def test_malformed_binary_raises_input_error(tmp_path: Path) -> None:
    good = lt.format_binary_lattice("u1", _graphs()["utt-a"])
    bad_arc_type = good.replace(b"lattice4", b"standard")
    bad_next = bytearray(good)
    struct.pack_into("<i", bad_next, len(good) - 16 - 4, 99)  # state 2's arc -> 99
    for i, blob in enumerate([bad_arc_type, bytes(bad_next), good + b"u2 junk"]):
        path = tmp_path / f"bad{i}.ark"
        path.write_bytes(blob)
        with pytest.raises(InputError, match=f"bad{i}.ark"):
            lt.read_lattices(path)
    with pytest.raises(ValueError):
        lt.format_binary_lattice("two words", _graphs()["empty"])


def _compact44(words_weights: list[tuple[int, float, float, list[int], int]],
               final: tuple[float, float, list[int]]) -> bytes:
    """A hand-built 2-state compactlattice44 FST (arcs from state 0, state 1 final)."""
    def s(x: bytes) -> bytes:
        return struct.pack("<i", len(x)) + x

    def w(g: float, a: float, ali: list[int]) -> bytes:
        return struct.pack(f"<ffi{len(ali)}i", g, a, len(ali), *ali)

    out = MAGIC + s(b"vector") + s(b"compactlattice44")
    out += struct.pack("<iiQqqq", 2, 0, 0, 0, 2, 0)
    out += w(float("inf"), float("inf"), []) + struct.pack("<q", len(words_weights))
    for word, g, a, ali, nxt in words_weights:
        out += struct.pack("<ii", word, word) + w(g, a, ali) + struct.pack("<i", nxt)
    return out + w(*final) + struct.pack("<q", 0)


def test_reads_compact_lattices_mixed_text_and_b_marker(tmp_path: Path) -> None:
    fst = _compact44([(7, 1.0, 2.0, [3, 3, 4], 1), (0, 0.5, 0.0, [], 1)], (0.5, 0.25, [9]))
    text = lt.format_lattice("t1", _graphs()["utt-b"]).encode()
    path = tmp_path / "lat.1.gz"
    path.write_bytes(gzip.compress(b"c1 " + fst + text + b"c2 \0B" + fst))
    back = lt.read_lattices(path)
    assert list(back) == ["c1", "t1", "c2"]
    want = lt.LatGraph(0, [[A(7, 7, 1.0, 2.0, 1), A(0, 0, 0.5, 0.0, 1)], []], {1: (0.5, 0.25)})
    assert back["c1"] == want == back["c2"]
    assert back["t1"] == _graphs()["utt-b"]


def test_symbol_tables_are_skipped(tmp_path: Path) -> None:
    lat = lt.to_kaldifst(_graphs()["utt-a"])
    syms = kaldifst.SymbolTable()
    for word in ["<eps>", "a", "b"]:
        syms.add_symbol(word)
    lat.input_symbols = syms
    lat.output_symbols = syms
    entry = lt.lattice_to_fst_bytes(lat)  # the wheel writes the tables into the FST
    (tmp_path / "lat.ark").write_bytes(b"u " + entry + b"v " + entry)
    back = lt.read_lattices(tmp_path / "lat.ark")
    assert [back[k] for k in "uv"] == [_graphs()["utt-a"]] * 2
