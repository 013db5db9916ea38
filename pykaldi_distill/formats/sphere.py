"""NIST SPHERE audio (WSJ's .wv1), PCM or shorten-compressed, as WAV bytes (Kaldi's
sph2pipe -f wav).

A SPHERE file is a text header (`NIST_1A`, its size, `key -type value` lines, `end_head`)
then the samples. PCM samples are converted here. Shorten-compressed ones
(`sample_coding ...,embedded-shorten-v2.00`) are decoded by FFmpeg's shorten decoder
(pip `imageio-ffmpeg` ships a static ffmpeg; an `ffmpeg` on the PATH works too). FFmpeg
wants a shorten stream to open with a verbatim copy of a WAV header, which NIST's embedded
streams lack; the stream is re-wrapped with one, bit for bit otherwise the same.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, PkdError

MAGIC = b"NIST_1A"
FFMPEG_FIX = "pip install imageio-ffmpeg (or install ffmpeg), which decodes shorten"

# Shorten's bitstream (Tony Robinson's shorten 2.x, as FFmpeg's decoder reads it).
FN_VERBATIM = 9
FNSIZE, ULONGSIZE, TYPESIZE, CHANSIZE, LPCQSIZE, NSKIPSIZE, XBYTESIZE = 2, 2, 4, 0, 2, 1, 7
VERBATIM_CKSIZE_SIZE, VERBATIM_BYTE_SIZE = 5, 8
BLOCKSIZE_BITS = 8  # av_log2(DEFAULT_BLOCK_SIZE = 256)


@dataclass(frozen=True)
class SphereHeader:
    size: int  # bytes before the samples
    fields: dict[str, str]

    def int_field(self, key: str, default: int | None = None) -> int:
        if key not in self.fields:
            if default is None:
                raise KeyError(key)
            return default
        return int(self.fields[key])

    @property
    def coding(self) -> str:
        return self.fields.get("sample_coding", "pcm")


def read_header(data: bytes, source: str | Path) -> SphereHeader:
    if not data.startswith(MAGIC):
        raise InputError(source, "is not a NIST SPHERE file (no NIST_1A header)",
                         "check the path in wav.scp")
    lines = data[:4096].split(b"\n")
    try:
        size = int(lines[1])
    except (IndexError, ValueError):
        raise InputError(source, "SPHERE header without its size line") from None
    fields = {}
    for raw in lines[2:]:
        line = raw.decode("latin-1").strip()
        if line == "end_head":
            break
        parts = line.split(None, 2)
        if len(parts) == 3:
            fields[parts[0]] = parts[2]
    return SphereHeader(size, fields)


def wav_header(rate: int, channels: int, num_samples: int) -> bytes:
    """A canonical 44-byte 16-bit PCM WAV header for `num_samples` frames."""
    data = num_samples * channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                          channels * 2, 16) + b"data" + struct.pack("<I", data))


def sphere_to_wav(path: Path) -> bytes:
    """The recording as a 16-bit PCM WAV file's bytes."""
    data = path.read_bytes()
    h = read_header(data, path)
    rate, channels = h.int_field("sample_rate"), h.int_field("channel_count", 1)
    body = data[h.size:]
    if "shorten" in h.coding:
        header = wav_header(rate, channels, h.int_field("sample_count"))
        pcm = decode_shorten(rewrap_shorten(body, header), path)
        return wav_header(rate, channels, len(pcm) // (2 * channels)) + pcm
    if h.coding.split(",")[0] != "pcm" or h.int_field("sample_n_bytes", 2) != 2:
        raise InputError(path, f"SPHERE coding '{h.coding}' with "
                         f"{h.int_field('sample_n_bytes', 2)}-byte samples is not supported "
                         "(16-bit PCM or shorten)")
    order = ">" if h.fields.get("sample_byte_format") == "10" else "<"
    samples = np.frombuffer(body[:len(body) // 2 * 2], dtype=f"{order}i2")
    return wav_header(rate, channels, samples.size // channels) + samples.astype("<i2").tobytes()


class BitReader:
    """MSB-first bits of `data`, with shorten's Rice codes."""

    def __init__(self, data: bytes) -> None:
        self.bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
        self.pos = 0

    def take(self, n: int) -> int:
        if self.pos + n > self.bits.size:
            raise ValueError("shorten stream ends inside its header")
        value = 0
        for b in self.bits[self.pos:self.pos + n]:
            value = (value << 1) | int(b)
        self.pos += n
        return value

    def uvar(self, k: int) -> int:
        ones = np.flatnonzero(self.bits[self.pos:self.pos + 4096])
        if ones.size == 0:
            raise ValueError("bad Rice code in the shorten header")
        high = int(ones[0])
        self.pos += high + 1
        return (high << k) | self.take(k)

    def uint(self, k: int, version: int) -> int:
        return self.uvar(self.uvar(ULONGSIZE) if version > 0 else k)


def uvar_bits(value: int, k: int) -> list[int]:
    """Shorten's unsigned Rice code: value >> k zeros, a one, the k low bits."""
    low = [(value >> i) & 1 for i in range(k - 1, -1, -1)]
    return [0] * (value >> k) + [1] + low


def rewrap_shorten(stream: bytes, header: bytes) -> bytes:
    """`stream` with a verbatim section holding `header` after its own header fields, as
    FFmpeg's decoder requires (unchanged if it has one)."""
    if not stream.startswith(b"ajkg"):
        raise ValueError("not a shorten stream (no 'ajkg')")
    r = BitReader(stream)
    r.pos = 32
    version = r.take(8)
    r.uint(TYPESIZE, version)
    r.uint(CHANSIZE, version)
    if version > 0:
        r.uint(BLOCKSIZE_BITS, version)
        r.uint(LPCQSIZE, version)
        r.uint(0, version)
        for _ in range(r.uint(NSKIPSIZE, version)):
            r.uvar(XBYTESIZE)
    fields_end = r.pos
    if r.uvar(FNSIZE) == FN_VERBATIM:
        return stream
    verbatim = uvar_bits(FN_VERBATIM, FNSIZE) + uvar_bits(len(header), VERBATIM_CKSIZE_SIZE)
    for byte in header:
        verbatim += uvar_bits(byte, VERBATIM_BYTE_SIZE)
    bits = np.concatenate([r.bits[:fields_end], np.array(verbatim, dtype=np.uint8),
                           r.bits[fields_end:]])
    return np.packbits(bits).tobytes()


def ffmpeg_binary() -> str:
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - optional: only shorten needs it

        return imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        found = shutil.which("ffmpeg")
        if found is None:
            raise PkdError(f"decoding shorten-compressed SPHERE needs ffmpeg: {FFMPEG_FIX}"
                           ) from None
        return found


def decode_shorten(stream: bytes, source: Path) -> bytes:
    """The 16-bit little-endian samples of a (re-wrapped) shorten stream."""
    proc = subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "shn", "-i", "pipe:0",
                           "-f", "s16le", "pipe:1"],
                          input=stream, capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise InputError(source, "ffmpeg could not decode its shorten samples: "
                         f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout
