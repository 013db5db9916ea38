"""fst_binary: OpenFst's binary layout read and patched with numpy."""

from __future__ import annotations

import kaldifst
import numpy as np
import pytest

from pykaldi_distill.errors import InputError
from pykaldi_distill.fst_binary import StdFstBytes, fst_to_bytes


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


def test_reads_what_the_binding_sees() -> None:
    binary = StdFstBytes.of(fst_to_bytes(three_state_fst()))
    assert binary.start == 0
    assert binary.states.counts.tolist() == [2, 1, 0]
    assert binary.sources().tolist() == [0, 0, 1]
    assert binary.arcs["ilabel"].tolist() == [1, 2, 3]
    assert binary.arcs["olabel"].tolist() == [10, 20, 30]
    assert binary.arcs["nextstate"].tolist() == [1, 2, 2]
    np.testing.assert_allclose(binary.arcs["weight"], [0.5, 1.5, 2.5])
    assert binary.states.finals[:, 0].tolist() == [np.inf, np.inf, 0.25]


def test_set_weights_round_trips_through_kaldifst(tmp_path) -> None:  # noqa: ANN001
    binary = StdFstBytes.of(fst_to_bytes(three_state_fst()))
    binary.set_weights(np.array([7.0, 8.0, 9.0]), np.array([np.inf, 3.0, 4.0]))
    (tmp_path / "x.fst").write_bytes(binary.data)
    fst = kaldifst.StdVectorFst.read(str(tmp_path / "x.fst"))
    weights = [a.weight.value for s in kaldifst.StateIterator(fst)
               for a in kaldifst.ArcIterator(fst, s)]
    assert weights == [7.0, 8.0, 9.0]
    assert [fst.final(s).value for s in range(3)] == [np.inf, 3.0, 4.0]


def test_rejects_a_lattice_and_truncation() -> None:
    lattice = kaldifst.Lattice()
    lattice.start = lattice.add_state()
    with pytest.raises(InputError, match="lattice4"):
        StdFstBytes.of(fst_to_bytes(lattice))
    with pytest.raises(InputError, match="truncated"):
        StdFstBytes.of(fst_to_bytes(three_state_fst())[:-5])
