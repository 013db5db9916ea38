from pathlib import Path

import kaldi_hmm_gmm as khg
import numpy as np
import pytest
from toy_system import TOPO_TEXT

from pykaldi_distill.errors import InputError
from pykaldi_distill.formats import model_io

TOPO = TOPO_TEXT


def make_model(dim: int = 3) -> tuple[khg.TransitionModel, khg.AmDiagGmm, khg.ContextDependency]:
    topo = model_io.to_khg_topology(model_io.parse_topology_text(TOPO))
    tree = khg.monophone_context_dependency(
        phones=topo.phones, phone2num_pdf_classes=topo.get_phone_to_num_pdf_classes())
    tm = khg.TransitionModel(ctx_dep=tree, hmm_topo=topo)
    rng = np.random.default_rng(0)
    am = khg.AmDiagGmm()
    for _ in range(tree.num_pdfs):
        gmm = khg.DiagGmm(nmix=2, dim=dim)
        gmm.set_weights(np.array([0.3, 0.7], np.float32))
        gmm.set_means(rng.normal(size=(2, dim)).astype(np.float32))
        gmm.set_invvars(rng.uniform(0.5, 2, size=(2, dim)).astype(np.float32))
        gmm.compute_gconsts()
        am.add_pdf(gmm)
    return tm, am, tree


def test_topology_text_round_trip() -> None:
    topo = model_io.parse_topology_text(TOPO)
    assert topo.is_hmm
    assert model_io.parse_topology_text(model_io.topology_text(topo)) == topo
    assert model_io.to_khg_topology(topo).phones == [1, 2, 3]


@pytest.mark.parametrize("binary", [True, False])
def test_gmm_model_round_trip(tmp_path: Path, binary: bool) -> None:
    tm, am, _ = make_model()
    path = tmp_path / "final.mdl"
    model_io.write_gmm_model(path, tm, am, binary=binary)
    assert path.read_bytes().startswith(b"\x00B") == binary
    tm2, am2 = model_io.read_gmm_model(path)
    s1, s2 = tm.__getstate__(), tm2.__getstate__()
    assert [t.__getstate__() for t in s1[0]] == [t.__getstate__() for t in s2[0]]
    assert s1[2:6] == s2[2:6]  # state2id, id2state, id2pdf, num_pdfs: ComputeDerived matches
    np.testing.assert_allclose(s1[6], s2[6], rtol=1e-6)
    np.testing.assert_allclose(s1[7], s2[7], rtol=1e-5, atol=1e-6)
    x = np.random.default_rng(1).normal(size=3).astype(np.float32)
    for pdf in range(am.num_pdfs):
        assert am2.log_likelihood(pdf, x) == pytest.approx(am.log_likelihood(pdf, x), rel=1e-5)


def test_text_model_is_kaldi_text_layout(tmp_path: Path) -> None:
    tm, am, _ = make_model()
    model_io.write_gmm_model(tmp_path / "m", tm, am, binary=False)
    text = (tmp_path / "m").read_text()
    for tok in ["<TransitionModel>", "<Topology>", "<Triples> 7", "<LogProbs>", "<DIMENSION> 3",
                "<NUMPDFS> 7", "<DiagGMM>", "<GCONSTS>", "<MEANS_INVVARS>", "<INV_VARS>"]:
        assert tok in text


def test_tree_round_trip(tmp_path: Path) -> None:
    _, _, tree = make_model()
    model_io.write_tree(tmp_path / "tree", tree)
    tree2 = model_io.read_tree(tmp_path / "tree")
    assert tree2.num_pdfs == tree.num_pdfs
    assert tree2.context_width == 1


def test_bad_model_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "final.mdl"
    bad.write_bytes(b"\x00B<Nnet3> garbage")
    with pytest.raises(InputError, match="final.mdl"):
        model_io.read_gmm_model(bad)
    with pytest.raises(InputError, match="does not exist"):
        model_io.read_gmm_model(tmp_path / "missing.mdl")
