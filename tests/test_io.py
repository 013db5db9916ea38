from pathlib import Path

import kaldi_native_io as knio
import kaldiio
import numpy as np
import pytest

from pykaldi_distill.errors import InputError
from pykaldi_distill.formats import io


def test_table_round_trip_sorted(tmp_path: Path) -> None:
    p = tmp_path / "t"
    io.write_table(p, {"b": "2 3", "a": "1"})
    assert p.read_text() == "a 1\nb 2 3\n"
    assert io.read_table(p) == {"a": "1", "b": "2 3"}


def test_table_duplicate_key_names_file(tmp_path: Path) -> None:
    p = tmp_path / "t"
    p.write_text("a 1\na 2\n")
    with pytest.raises(InputError, match=str(p)):
        io.read_table(p)


def test_matrices_round_trip_and_kaldi_readers(tmp_path: Path) -> None:
    mats = {"u1": np.arange(6, dtype=np.float32).reshape(3, 2), "u2": np.ones((1, 2), np.float32)}
    io.write_matrices(tmp_path / "m.ark", tmp_path / "m.scp", mats.items())
    back = dict(io.read_scp_matrices(tmp_path / "m.scp"))
    assert set(back) == {"u1", "u2"}
    np.testing.assert_array_equal(back["u1"], mats["u1"])
    reader = knio.RandomAccessFloatMatrixReader(f"scp:{tmp_path / 'm.scp'}")
    np.testing.assert_array_equal(reader["u1"], mats["u1"])
    assert not list(tmp_path.glob(".*tmp"))


def test_int_vectors_gz_round_trip(tmp_path: Path) -> None:
    io.write_int_vectors_gz(tmp_path / "ali.1.gz", [("u1", [1, 2, 3]), ("u2", [4])])
    assert dict(io.read_int_vectors(tmp_path / "ali.1.gz")) == {"u1": [1, 2, 3], "u2": [4]}
    with kaldiio.ReadHelper(f"ark:gunzip -c {tmp_path / 'ali.1.gz'}|") as reader:
        assert [k for k, _ in reader] == ["u1", "u2"]


def test_read_int_vectors_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "ali.1.gz"
    import gzip

    with gzip.open(bad, "wb") as f:
        f.write(b"u1 \x00Bnot-a-vector")
    with pytest.raises(InputError, match="ali.1.gz"):
        list(io.read_int_vectors(bad))


def test_posteriors_round_trip(tmp_path: Path) -> None:
    post = [[(1, 0.25), (3, 0.75)], [(2, 1.0)]]
    io.write_posteriors(tmp_path / "p.ark", tmp_path / "p.scp", [("u1", post)])
    (key, back), = io.read_posteriors(tmp_path / "p.scp")
    assert key == "u1"
    assert [[p for p, _ in f] for f in back] == [[1, 3], [2]]
    assert back[0][1][1] == pytest.approx(0.75)


@pytest.mark.parametrize("posts", [
    {"u1": [[(1, 0.25), (3, 0.75)], [(2, 0.5), (0, 0.5)]], "u2": [[(4, 1.0), (1, 0.0)]]},
    {"u1": [[(1, 0.25), (3, 0.75)], [(2, 1.0)]], "u2": [], "u3": [[(0, 1.0)]]},
], ids=["same-width", "ragged"])
def test_topk_posteriors_are_the_posteriors_as_arrays(tmp_path: Path, posts: dict) -> None:
    io.write_posteriors(tmp_path / "p.ark", tmp_path / "p.scp", sorted(posts.items()))
    read = dict(io.read_topk_posteriors(tmp_path / "p.scp"))
    assert list(read) == sorted(posts)
    for key, post in posts.items():
        width = max((len(f) for f in post), default=0)
        assert read[key].ids.shape == (len(post), width)
        for t, frame in enumerate(post):
            assert list(read[key].ids[t, :len(frame)]) == [i for i, _ in frame]
            assert list(read[key].weights[t]) == pytest.approx(
                [w for _, w in frame] + [0.0] * (width - len(frame)))
    dense = read["u1"].dense(5)  # (frames, pdfs)
    assert dense[0, 3] == pytest.approx(0.75) and dense.sum() == pytest.approx(2.0)


def test_atomic_path_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
