"""OpenFst's binary VectorFst layout, read with numpy (Kaldi's binary lattices, lattice.py):
going through the bytes is about three times faster than arc-by-arc access through the
kaldifst binding.

The layout (little-endian; a string is an int32 length and its bytes; checked against the
bytes kaldifst's write produces):
  header: int32 magic 2125659606, string fsttype ("vector"), string arctype, int32 version
    (2), int32 flags (1: input symbols follow, 2: output symbols follow, 4: aligned),
    uint64 properties, int64 start, int64 numstates, int64 numarcs (VectorFst writes 0)
  symbol tables if flagged: int32 magic 2125658996, string name, int64 available_key,
    int64 size, size x (string symbol, int64 key)
  per state: final weight, int64 narcs, narcs x (int32 ilabel, int32 olabel, weight,
    int32 nextstate)
There is no length prefix: an FST ends where its last state ends.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import InputError

FST_MAGIC = 2125659606
FST_MAGIC_BYTES = struct.pack("<i", FST_MAGIC)
SYMBOLS_MAGIC = 2125658996
INT32 = struct.Struct("<i")
INT64 = struct.Struct("<q")


class Cursor:
    """Reads little-endian fields from one binary FST, failing with an InputError."""

    def __init__(self, data: bytes | memoryview, pos: int, source: str | Path, what: str) -> None:
        self.data = memoryview(data)
        self.pos = pos
        self.source = source
        self.what = what

    def fail(self, problem: str, fix: str = "") -> InputError:
        return InputError(self.source, f"{self.what} (byte {self.pos}): {problem}", fix)

    def take(self, n: int) -> memoryview:
        if n < 0:
            raise self.fail(f"negative length {n}")
        if self.pos + n > len(self.data):
            raise self.fail(f"truncated: needs {n} more bytes, {len(self.data) - self.pos} left",
                            "the archive is cut short; re-create it")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: struct.Struct) -> tuple:
        return fmt.unpack(self.take(fmt.size))

    def string(self) -> str:
        (n,) = self.unpack(INT32)
        if n < 0:
            raise self.fail(f"negative string length {n}")
        return bytes(self.take(n)).decode("latin-1")

    def skip_symbol_table(self) -> None:
        (magic,) = self.unpack(INT32)
        if magic != SYMBOLS_MAGIC:
            raise self.fail("bad symbol table magic number")
        self.string()
        _available, size = self.unpack(struct.Struct("<qq"))
        if size < 0:
            raise self.fail(f"negative symbol table size {size}")
        for _ in range(size):
            self.string()
            self.take(8)


def read_fst_header(c: Cursor, arc_types: Collection[str], kind: str) -> tuple[str, int, int]:
    """The header (and any symbol tables): arc type, start state, number of states. The arc
    type must be one of arc_types (`kind` names them in the error)."""
    (magic,) = c.unpack(INT32)
    if magic != FST_MAGIC:
        raise c.fail("no OpenFst magic number")
    fst_type, arc_type = c.string(), c.string()
    if fst_type != "vector":
        raise c.fail(f"FST type {fst_type!r}, expected 'vector'")
    if arc_type not in arc_types:
        raise c.fail(f"arc type {arc_type!r} is not a {kind} type")
    version, flags, _props, start, num_states, _num_arcs = c.unpack(struct.Struct("<iiQqqq"))
    if version < 2:
        raise c.fail(f"unsupported VectorFst file version {version}")
    if num_states < 0:
        raise c.fail("state count not recorded in the FST header")
    if not (start == -1 or 0 <= start < num_states):
        raise c.fail(f"start state {start} out of range for {num_states} states")
    for bit in (1, 2):
        if flags & bit:
            c.skip_symbol_table()
    return arc_type, start, num_states


@dataclass
class FstStates:
    """Where each state of an FST body lies: its final weight and its arcs."""

    finals: np.ndarray  # (states, weights per final) float32 (inf: not final)
    offsets: np.ndarray  # (states,) int64: byte offset of the state's first arc record
    counts: np.ndarray  # (states,) int64: number of arc records


def walk_states(c: Cursor, num_states: int, final_floats: int, arc_size: int) -> FstStates:
    """Step the cursor over the state records after the header (finals of `final_floats`
    float32s, arcs of `arc_size` bytes), checking counts and truncation; the arcs themselves
    are left for gather_arc_records."""
    final = struct.Struct("<" + "f" * final_floats + "q")
    finals = np.zeros((num_states, final_floats), dtype=np.float32)
    offsets = np.zeros(num_states, dtype=np.int64)
    counts = np.zeros(num_states, dtype=np.int64)
    for s in range(num_states):
        *weights, n = c.unpack(final)
        if n < 0:
            raise c.fail(f"state {s} has a negative arc count")
        finals[s] = weights
        offsets[s], counts[s] = c.pos, n
        c.take(n * arc_size)
    return FstStates(finals, offsets, counts)


def gather_arc_records(data: bytes | memoryview, offsets: np.ndarray, counts: np.ndarray,
                       dtype: np.dtype) -> np.ndarray:
    """The arc records of every state, in order: state s has counts[s] records of `dtype`
    at byte offsets[s]."""
    size = dtype.itemsize
    first = np.repeat(np.cumsum(counts) - counts, counts)  # index of each arc's state's first
    starts = np.repeat(offsets, counts) + size * (np.arange(int(counts.sum())) - first)
    raw = np.frombuffer(data, dtype=np.uint8)
    return raw[starts[:, None] + np.arange(size)].view(dtype).reshape(len(starts))


class WritableFst(Protocol):
    def write(self, filename: str) -> bool: ...


def fst_to_bytes(fst: WritableFst) -> bytes:
    """The OpenFst binary form of a kaldifst FST (exactly the bytes of its write). The wheel
    writes only to a named file, so on Linux it writes to an anonymous in-memory file
    (memfd, no disk and nothing left behind), elsewhere to a temporary directory."""
    if not hasattr(os, "memfd_create"):
        with tempfile.TemporaryDirectory() as d:
            return _write_and_read(fst, Path(d) / "fst")
    fd = os.memfd_create("fst")
    try:
        return _write_and_read(fst, Path(f"/proc/self/fd/{fd}"))
    finally:
        os.close(fd)


def _write_and_read(fst: WritableFst, path: Path) -> bytes:
    if not fst.write(str(path)):
        raise OSError(f"kaldifst could not write an FST to {path}")
    return path.read_bytes()
