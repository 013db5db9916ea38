"""fst_binary: OpenFst's binary layout read with numpy."""

from __future__ import annotations

import kaldifst
import numpy as np
import pytest

from pykaldi_distill.errors import InputError
from pykaldi_distill.formats.fst_binary import (
    Cursor,
    fst_to_bytes,
    gather_arc_records,
    read_fst_header,
    walk_states,
)

ARC = np.dtype([("ilabel", "<i4"), ("olabel", "<i4"), ("weight", "<f4"), ("nextstate", "<i4")])


def three_state_fst() -> kaldifst.StdVectorFst:
    fst = kaldifst.StdVectorFst()
    for _ in range(3):
        fst.add_state()
    fst.start = 0
    fst.add_arc(0, kaldifst.StdArc(1, 10, 0.5, 1))
    fst.add_arc(0, kaldifst.StdArc(2, 20, 1.5, 2))
    fst.add_arc(1, kaldifst.StdArc(3, 30, 2.5, 2))
    fst.set_final(2, 0.25)
    return fst


def test_states_and_arcs_as_the_binding_sees_them() -> None:
    c = Cursor(fst_to_bytes(three_state_fst()), 0, "<fst>", "FST")
    arc_type, start, num_states = read_fst_header(c, ("standard",), "tropical FST")
    assert (arc_type, start, num_states) == ("standard", 0, 3)
    states = walk_states(c, num_states, 1, ARC.itemsize)
    assert c.pos == len(c.data)
    assert states.counts.tolist() == [2, 1, 0]
    assert states.finals[:, 0].tolist() == [np.inf, np.inf, 0.25]
    arcs = gather_arc_records(c.data, states.offsets, states.counts, ARC)
    assert arcs["ilabel"].tolist() == [1, 2, 3]
    assert arcs["olabel"].tolist() == [10, 20, 30]
    assert arcs["nextstate"].tolist() == [1, 2, 2]
    np.testing.assert_allclose(arcs["weight"], [0.5, 1.5, 2.5])


def test_wrong_arc_type_and_truncation_are_input_errors() -> None:
    data = fst_to_bytes(three_state_fst())
    with pytest.raises(InputError, match="not a Kaldi lattice type"):
        read_fst_header(Cursor(data, 0, "x.fst", "FST"), ("lattice4",), "Kaldi lattice")
    c = Cursor(data[:-5], 0, "x.fst", "FST")
    _, _, num_states = read_fst_header(c, ("standard",), "tropical FST")
    with pytest.raises(InputError, match="truncated"):
        walk_states(c, num_states, 1, ARC.itemsize)


def test_fst_bytes_are_the_same_without_memfd(monkeypatch: pytest.MonkeyPatch) -> None:
    in_memory = fst_to_bytes(three_state_fst())
    monkeypatch.delattr("os.memfd_create")
    assert fst_to_bytes(three_state_fst()) == in_memory
