"""Kaldi's object serialisation (base/io-funcs, Vector/Matrix Write/Read), binary and text.

Binary streams start with "\\0B"; tokens end with a space; basic types are a size byte
followed by the little-endian value; vectors/matrices are "FV "/"DV "/"FM "/"DM " with sizes.
Text streams are whitespace-separated tokens with "[ ... ]" for vectors and matrices.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, require_file
from .io import atomic_path

BINARY_HEADER = b"\x00B"


class FormatError(ValueError):
    """The bytes are not the Kaldi object we expected."""


@dataclass
class KaldiWriter:
    binary: bool
    chunks: list[bytes] = field(default_factory=list)

    def header(self) -> None:
        if self.binary:
            self.chunks.append(BINARY_HEADER)

    def raw_text(self, text: str) -> None:
        self.chunks.append(text.encode())

    def token(self, tok: str) -> None:
        self.chunks.append((tok + " ").encode())

    def newline(self) -> None:
        if not self.binary:
            self.chunks.append(b"\n")

    def int32(self, value: int) -> None:
        if self.binary:
            self.chunks.append(b"\x04" + struct.pack("<i", value))
        else:
            self.chunks.append(f"{value} ".encode())

    def float32(self, value: float) -> None:
        if self.binary:
            self.chunks.append(b"\x04" + struct.pack("<f", value))
        else:
            self.chunks.append(f"{value:.9g} ".encode())

    def float64(self, value: float) -> None:
        if self.binary:
            self.chunks.append(b"\x08" + struct.pack("<d", value))
        else:
            self.chunks.append(f"{value:.17g} ".encode())

    def int_vector(self, values: list[int]) -> None:
        """WriteIntegerVector<int32>."""
        if self.binary:
            self.chunks.append(b"\x04" + struct.pack("<i", len(values)))
            self.chunks.append(np.asarray(values, dtype="<i4").tobytes())
        else:
            self.chunks.append(("[ " + "".join(f"{v} " for v in values) + "]\n").encode())

    def vector(self, values: np.ndarray) -> None:
        """Vector<float>::Write."""
        v = np.asarray(values, dtype=np.float32).reshape(-1)
        if self.binary:
            self.chunks.append(b"FV " + b"\x04" + struct.pack("<i", v.size))
            self.chunks.append(v.astype("<f4").tobytes())
        else:
            self.chunks.append((" [ " + "".join(f"{x:.9g} " for x in v) + "]\n").encode())

    def matrix(self, values: np.ndarray) -> None:
        """Matrix<float>::Write."""
        m = np.asarray(values, dtype=np.float32)
        rows, cols = m.shape
        if self.binary:
            self.chunks.append(b"FM " + b"\x04" + struct.pack("<i", rows)
                               + b"\x04" + struct.pack("<i", cols))
            self.chunks.append(m.astype("<f4").tobytes())
        elif rows == 0:
            self.chunks.append(b" [ ]\n")
        else:
            body = "\n".join("  " + " ".join(f"{x:.9g}" for x in row) + " " for row in m)
            self.chunks.append((" [\n" + body + " ]\n").encode())

    def getvalue(self) -> bytes:
        return b"".join(self.chunks)


class KaldiReader:
    """Reads Kaldi objects from bytes; `binary` is detected from the "\\0B" header."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos
        self.binary = data[pos:pos + 2] == BINARY_HEADER
        if self.binary:
            self.pos += 2

    def _skip_ws(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos:self.pos + 1].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        if not self.binary:
            self._skip_ws()
        return self.pos >= len(self.data)

    def _text_word(self) -> str:
        self._skip_ws()
        start = self.pos
        while self.pos < len(self.data) and not self.data[self.pos:self.pos + 1].isspace():
            self.pos += 1
        if start == self.pos:
            raise FormatError("unexpected end of data")
        return self.data[start:self.pos].decode()

    def token(self) -> str:
        if not self.binary:
            return self._text_word()
        end = self.data.index(b" ", self.pos)
        tok = self.data[self.pos:end].decode()
        self.pos = end + 1
        return tok

    def peek_token(self) -> str:
        saved = self.pos
        tok = self.token()
        self.pos = saved
        return tok

    def expect(self, tok: str) -> None:
        got = self.token()
        if got != tok:
            raise FormatError(f"expected token {tok}, got {got!r}")

    def _unpack(self, fmt: str, size: int) -> tuple:
        if self.pos + size > len(self.data):
            raise FormatError("unexpected end of data")
        out = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return out

    def int32(self) -> int:
        if not self.binary:
            return int(self._text_word())
        (size,) = self._unpack("<b", 1)
        if size != 4:
            raise FormatError(f"expected a 4-byte integer, size byte is {size}")
        return self._unpack("<i", 4)[0]

    def float32(self) -> float:
        if not self.binary:
            return float(self._text_word())
        (size,) = self._unpack("<b", 1)
        return self._unpack("<f" if size == 4 else "<d", size)[0]

    def int_vector(self) -> list[int]:
        if not self.binary:
            return [int(x) for x in self._bracketed()]
        (size,) = self._unpack("<b", 1)
        (n,) = self._unpack("<i", 4)
        fmt = {4: "<i4", 8: "<i8", 2: "<i2", 1: "<i1"}[size]
        arr = np.frombuffer(self.data, dtype=fmt, count=n, offset=self.pos)
        self.pos += size * n
        return [int(x) for x in arr]

    def _bracketed(self) -> list[str]:
        if self._text_word() != "[":
            raise FormatError("expected '['")
        words = []
        while True:
            w = self._text_word()
            if w == "]":
                return words
            words.append(w)

    def _binary_array(self, kind: str, shape_ints: int) -> tuple[np.ndarray, list[int]]:
        tok = self.token()
        if tok not in (f"F{kind}", f"D{kind}"):
            raise FormatError(f"expected F{kind}/D{kind}, got {tok!r}")
        dims = [self.int32() for _ in range(shape_ints)]
        dtype = "<f4" if tok[0] == "F" else "<f8"
        count = int(np.prod(dims)) if dims else 0
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr.astype(np.float32), dims

    def vector(self) -> np.ndarray:
        if not self.binary:
            return np.array([float(x) for x in self._bracketed()], dtype=np.float32)
        arr, _ = self._binary_array("V", 1)
        return arr

    def matrix(self) -> np.ndarray:
        if self.binary:
            arr, (rows, cols) = self._binary_array("M", 2)
            return arr.reshape(rows, cols)
        self._skip_ws()
        if self._text_word() != "[":
            raise FormatError("expected '[' of a matrix")
        rows: list[list[float]] = []
        row: list[float] = []
        while True:
            self._skip_inline_ws()
            if self.data[self.pos:self.pos + 1] == b"\n":
                self.pos += 1
                if row:
                    rows.append(row)
                    row = []
                continue
            w = self._text_word()
            if w == "]":
                if row:
                    rows.append(row)
                return np.array(rows, dtype=np.float32).reshape(len(rows), -1 if rows else 0)
            row.append(float(w))

    def _skip_inline_ws(self) -> None:
        while self.data[self.pos:self.pos + 1] in (b" ", b"\t", b"\r"):
            self.pos += 1


def write_kaldi_matrix(path: str | Path, matrix: np.ndarray, binary: bool = True) -> None:
    """Write a Kaldi Matrix<float> file (est-lda/est-mllt/compose-transforms output),
    atomically."""
    m = np.asarray(matrix)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-d matrix, got shape {m.shape}")
    writer = KaldiWriter(binary)
    writer.header()
    writer.matrix(m)
    with atomic_path(path) as tmp:
        tmp.write_bytes(writer.getvalue())


def read_kaldi_matrix(path: str | Path) -> np.ndarray:
    """Read a Kaldi matrix file, binary (float or double) or text, as float32."""
    p = require_file(path)
    fix = "re-create it with est-lda/est-mllt/compose-transforms"
    try:
        reader = KaldiReader(p.read_bytes())
        matrix = reader.matrix()
        trailing = not reader.at_end()
    except (FormatError, ValueError, IndexError, KeyError, UnicodeDecodeError) as err:
        raise InputError(p, f"not a Kaldi matrix file: {err}", fix) from err
    if trailing:
        raise InputError(p, "not a Kaldi matrix file: unexpected data after the matrix", fix)
    return matrix
