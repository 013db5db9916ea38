"""Kaldi file formats: text tables, matrices (ark/scp), int vectors (ali.*.gz), Posteriors.

Matrices go through kaldiio; int vectors and Posteriors through kaldi-native-io
(kaldiio misreads Posterior arks), except where a numpy parser of the binary format is much
faster (ali.*.gz, top-k Posteriors read as arrays). Everything written lands atomically: a temp file
next to the target, renamed into place only once complete.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import kaldi_native_io as knio
import kaldiio
import numpy as np

from ..errors import InputError, require_file

Posterior = list[list[tuple[int, float]]]  # per frame: [(pdf_or_tid, weight), ...]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the same directory; rename it to `path` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.chmod(0o666 & ~current_umask())  # mkstemp makes 0600; outputs get normal permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_table(path: str | Path, fix: str = "") -> dict[str, str]:
    """Read a Kaldi text table `key rest-of-line` (wav.scp, text, utt2spk, feats.scp ...)."""
    p = require_file(path, fix)
    table: dict[str, str] = {}
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        key = parts[0]
        if key in table:
            raise InputError(p, f"line {lineno}: duplicate key '{key}'", "keep one line per key")
        table[key] = parts[1] if len(parts) > 1 else ""
    return table


def write_table(path: str | Path, table: Mapping[str, str]) -> None:
    """Write a Kaldi text table sorted by key (C locale order), atomically."""
    lines = [f"{k} {v}".rstrip() for k, v in sorted(table.items())]
    write_text_atomic(path, "".join(line + "\n" for line in lines))


def _point_scp_at(tmp_scp: Path, tmp_ark: Path, ark_path: Path) -> None:
    """The scp was written against the temp ark; make it point at the final ark name."""
    tmp_scp.write_text(tmp_scp.read_text().replace(str(tmp_ark), str(ark_path.resolve())))


def write_matrices(
    ark_path: str | Path, scp_path: str | Path, mats: Iterable[tuple[str, np.ndarray]],
    dtype: str = "float32",
) -> None:
    """Write matrices to a binary ark plus an scp index (like copy-feats ark,scp:);
    float64 gives Kaldi double matrices (cmvn stats)."""
    ark_path, scp_path = Path(ark_path), Path(scp_path)
    with atomic_path(ark_path) as tmp_ark, atomic_path(scp_path) as tmp_scp:
        with kaldiio.WriteHelper(f"ark,scp:{tmp_ark},{tmp_scp}") as writer:
            for key, mat in mats:
                writer(key, np.ascontiguousarray(mat, dtype=dtype))
        _point_scp_at(tmp_scp, tmp_ark, ark_path)


def write_matrix_ark(ark_path: str | Path, mats: Iterable[tuple[str, np.ndarray]],
                     dtype: str = "float32") -> None:
    """A binary ark of matrices without an index (Kaldi's ark:trans.JOB)."""
    with atomic_path(ark_path) as tmp, kaldiio.WriteHelper(f"ark:{tmp}") as writer:
        for key, mat in mats:
            writer(key, np.ascontiguousarray(mat, dtype=dtype))


def read_matrix_ark(ark_path: str | Path) -> dict[str, np.ndarray]:
    """All matrices of a binary or text ark, by key."""
    p = require_file(ark_path)
    try:
        return {key: np.asarray(mat) for key, mat in kaldiio.load_ark(str(p))}
    except (OSError, ValueError) as err:
        raise InputError(p, f"is not a Kaldi matrix archive: {err}") from err


def read_scp_matrices(scp_path: str | Path) -> Iterator[tuple[str, np.ndarray]]:
    """Iterate (key, matrix) over an scp of matrices, in scp order."""
    p = require_file(scp_path)
    matrices = ScpMatrices(p)
    for key in matrices:
        yield key, matrices[key]


def check_finite(mat: np.ndarray, source: str | Path, key: str) -> None:
    """NaN or inf stops a step where it enters, naming the utterance and the row."""
    bad = ~np.isfinite(mat)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InputError(source, f"'{key}' holds NaN or inf (first in row {row} of "
                         f"{mat.shape[0]})", "re-make it, or drop that utterance from the data dir")


class ScpMatrices(Mapping[str, np.ndarray]):
    """Random access to the matrices of an scp (Kaldi's scp: rspecifier). A matrix that
    cannot be read (e.g. a truncated ark) or holds NaN/inf is an InputError naming the scp,
    the key and where it points."""

    def __init__(self, scp_path: str | Path) -> None:
        self.path = require_file(scp_path)
        self._where = read_table(self.path)

    def __getitem__(self, key: str) -> np.ndarray:
        where = self._where[key]
        try:
            mat = np.asarray(kaldiio.load_mat(where))
        except (OSError, ValueError, EOFError, IndexError) as err:
            raise InputError(self.path, f"cannot read the matrix of '{key}' at '{where}': "
                             f"{err or type(err).__name__}",
                             "re-make it (its ark may be truncated or overwritten)") from err
        check_finite(mat, self.path, key)
        return mat

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def load_scp(scp_path: str | Path) -> Mapping[str, np.ndarray]:
    """Lazy random access to the matrices of an scp (like Kaldi's scp: rspecifier), checked
    as ScpMatrices does."""
    return ScpMatrices(scp_path)


def write_int_vectors_gz(path: str | Path, vectors: Iterable[tuple[str, Iterable[int]]]) -> None:
    """Write a gzipped binary ark of int32 vectors (Kaldi ali.N.gz)."""
    with atomic_path(path) as tmp:
        raw = tmp.with_suffix(".ark")
        writer = knio.Int32VectorWriter(f"ark:{raw}")
        for key, vec in vectors:
            writer.write(key, [int(x) for x in vec])
        writer.close()
        with open(raw, "rb") as src, gzip.open(tmp, "wb") as dst:
            dst.write(src.read())
        raw.unlink()


def read_int_vectors(path: str | Path) -> Iterator[tuple[str, list[int]]]:
    """Read an ark of int32 vectors, gzipped (ali.N.gz) or not, binary or text. A file that
    is not gzip (or is cut short), or whose entries do not parse to the end, is an InputError
    naming it: kaldi-native-io's reader stops silently at the first bad entry, which made a
    corrupt ali.N.gz look like an alignment job with no utterances."""
    p = require_file(path)
    fix = "re-run the step that wrote it"
    data = p.read_bytes()
    if p.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(p, f"not a complete gzip file: {err}", fix) from None
    yield from _int_vector_entries(data, p, fix)


_SIZED_INT32 = np.dtype([("size", "i1"), ("value", "<i4")])


def _int_vector_entries(data: bytes, p: Path, fix: str) -> Iterator[tuple[str, list[int]]]:
    """The entries of an int32-vector archive as Kaldi's BasicVectorHolder writes them:
    `key \0B` + sized count + sized values (binary), or `key v1 v2 ...\n` (text)."""
    pos, end = 0, len(data)
    while True:
        while pos < end and data[pos:pos + 1].isspace():
            pos += 1
        if pos >= end:
            return
        space = data.find(b" ", pos)
        if space < 0 or data.find(b"\n", pos, space) >= 0:
            raise InputError(p, f"not a Kaldi int-vector archive: no key at byte {pos}", fix)
        key = data[pos:space].decode("utf-8", "replace")
        pos = space + 1
        if data[pos:pos + 2] == b"\0B":
            head = data[pos + 2:pos + 7]
            if len(head) < 5 or head[0] != 4:
                raise InputError(p, f"entry '{key}' is cut short or not int32 vectors", fix)
            count = int.from_bytes(head[1:], "little", signed=True)
            pos += 7
            if count < 0 or pos + 5 * count > end:
                raise InputError(p, f"entry '{key}' is cut short ({count} values announced)",
                                 fix)
            items = np.frombuffer(data, dtype=_SIZED_INT32, count=count, offset=pos)
            if count and (items["size"] != 4).any():
                raise InputError(p, f"entry '{key}' is not a vector of int32", fix)
            pos += 5 * count
            yield key, items["value"].tolist()
        else:
            newline = data.find(b"\n", pos)
            line_end = end if newline < 0 else newline
            try:
                values = [int(x) for x in data[pos:line_end].split()]
            except ValueError:
                raise InputError(p, f"entry '{key}' is not a vector of integers", fix) from None
            pos = line_end + 1
            yield key, values


def write_posteriors(ark_path: str | Path, scp_path: str | Path,
                     posts: Iterable[tuple[str, Posterior]]) -> None:
    """Write Kaldi Posterior objects (ark,scp) with kaldi-native-io."""
    ark_path, scp_path = Path(ark_path), Path(scp_path)
    with atomic_path(ark_path) as tmp_ark, atomic_path(scp_path) as tmp_scp:
        writer = knio.PosteriorWriter(f"ark,scp:{tmp_ark},{tmp_scp}")
        for key, post in posts:
            writer.write(key, post)
        writer.close()
        _point_scp_at(tmp_scp, tmp_ark, ark_path)


def read_posteriors(spec_path: str | Path) -> Iterator[tuple[str, Posterior]]:
    """Read Posterior objects from an .scp or .ark file."""
    p = require_file(spec_path)
    kind = "scp" if p.suffix == ".scp" else "ark"
    for key, post in knio.SequentialPosteriorReader(f"{kind}:{p}"):
        yield key, [list(map(tuple, frame)) for frame in post]


@dataclass(frozen=True)
class TopkPosteriors:
    """A Kaldi Posterior of at most k entries a frame, as arrays; frames with fewer entries
    are padded with weight 0."""

    ids: np.ndarray  # (frames, k) int32 pdf (or transition) ids
    weights: np.ndarray  # (frames, k) float32

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __getitem__(self, frames: slice) -> TopkPosteriors:
        return TopkPosteriors(self.ids[frames], self.weights[frames])

    def dense(self, num_pdfs: int) -> np.ndarray:
        """(frames, num_pdfs) float32; repeated ids in a frame are summed."""
        out = np.zeros((len(self), num_pdfs), dtype=np.float32)  # (frames, pdfs)
        rows = np.repeat(np.arange(len(self)), self.ids.shape[1])
        np.add.at(out, (rows, self.ids.reshape(-1).astype(np.int64)), self.weights.reshape(-1))
        return out


# Kaldi's binary Posterior: "\0B", <4><int32 frames>, per frame <4><int32 n>, then n pairs
# of <4><int32 id><4><float32 weight>.
_PAIR = np.dtype([("s1", "u1"), ("id", "<i4"), ("s2", "u1"), ("w", "<f4")])
_COUNT = np.dtype([("s", "u1"), ("n", "<i4")])


def read_topk_posteriors(scp_path: str | Path) -> Iterator[tuple[str, TopkPosteriors]]:
    """A post.scp's Posteriors as arrays, in the scp's order. Binary arks are parsed with
    numpy (the wheel's reader makes a Python list a frame); other entries (text arks,
    pipes) go through kaldi-native-io."""
    p = require_file(scp_path)
    entries = [line.split(maxsplit=1) for line in p.read_text().splitlines() if line.strip()]
    arks: dict[str, bytes] = {}
    reader = None  # kaldi-native-io's, opened once, for entries that are not binary arks
    for entry in entries:
        if len(entry) != 2:
            raise InputError(p, f"line '{' '.join(entry)}' is not '<key> <ark>:<offset>'")
        key, spec = entry
        ark, _, offset = spec.rpartition(":")
        post = None
        if ark and offset.isdigit() and Path(ark).is_file():
            if ark not in arks:
                arks = {ark: Path(ark).read_bytes()}  # one ark at a time: scps list them in order
            post = _parse_binary_posterior(arks[ark], int(offset))
        if post is None:
            reader = reader or knio.RandomAccessPosteriorReader(f"scp:{p}")
            post = _topk_of(reader[key])
        yield key, post


def _parse_binary_posterior(data: bytes, pos: int) -> TopkPosteriors | None:
    """The binary Posterior at data[pos:], or None when it is not one (text)."""
    if data[pos:pos + 3] != b"\0B\x04":
        return None
    frames = int(np.frombuffer(data, "<i4", 1, pos + 3)[0])
    pos += 7
    regular = _parse_regular(data, pos, frames)
    if regular is not None:
        return regular
    rows: list[np.ndarray] = []
    width = 0
    for _ in range(frames):
        n = int(np.frombuffer(data, _COUNT, 1, pos)[0]["n"])
        pairs = np.frombuffer(data, _PAIR, n, pos + 5)
        rows.append(pairs)
        width = max(width, n)
        pos += 5 + n * _PAIR.itemsize
    ids = np.zeros((frames, width), dtype=np.int32)
    weights = np.zeros((frames, width), dtype=np.float32)
    for t, pairs in enumerate(rows):
        ids[t, :len(pairs)] = pairs["id"]
        weights[t, :len(pairs)] = pairs["w"]
    return TopkPosteriors(ids, weights)


def _parse_regular(data: bytes, pos: int, frames: int) -> TopkPosteriors | None:
    """The usual case, every frame with the same number of entries, in one numpy read."""
    if frames == 0 or pos + _COUNT.itemsize > len(data):
        return None
    n = int(np.frombuffer(data, _COUNT, 1, pos)[0]["n"])
    frame = np.dtype([("s", "u1"), ("n", "<i4"), ("pairs", _PAIR, (n,))])
    if n < 1 or pos + frames * frame.itemsize > len(data):
        return None
    rows = np.frombuffer(data, frame, frames, pos)
    pairs = rows["pairs"]  # (frames, n)
    if not ((rows["s"] == 4).all() and (rows["n"] == n).all() and (pairs["s1"] == 4).all()
            and (pairs["s2"] == 4).all()):
        return None
    return TopkPosteriors(pairs["id"].astype(np.int32), pairs["w"].astype(np.float32))


def _topk_of(post: Iterable[Iterable[tuple[int, float]]]) -> TopkPosteriors:
    frames = [list(frame) for frame in post]
    width = max((len(f) for f in frames), default=0)
    ids = np.zeros((len(frames), width), dtype=np.int32)
    weights = np.zeros((len(frames), width), dtype=np.float32)
    for t, frame in enumerate(frames):
        for j, (pdf, w) in enumerate(frame):
            ids[t, j], weights[t, j] = pdf, w
    return TopkPosteriors(ids, weights)
