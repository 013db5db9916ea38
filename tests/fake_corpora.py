"""Miniature corpora in the real layouts of corpora we cannot ship, spoken by espeak-ng voices
inside the test: a few utterances per speaker, the same directory and file names, transcript
and index formats as the real discs and archives."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pykaldi_distill.corpus.text import kjv_sentences
from pykaldi_distill.corpus.tts import Voice, synthesize_many

VARIANTS = ("m1", "f1", "m3", "f2", "m5", "f3", "m7", "f4")


def voice(i: int) -> Voice:
    """A distinct espeak-ng voice for speaker number i (variant, speed, pitch)."""
    variant = VARIANTS[i % len(VARIANTS)]
    return Voice(f"fake{i}", "espeak-ng", ("-v", f"en-us+{variant}", "-s", str(150 + 7 * (i % 5)),
                                           "-p", str(35 + 6 * (i % 4))))


def sentences(n: int, offset: int = 0, max_words: int = 8) -> list[str]:
    """n short KJV sentences (every word in CMUdict), from the `offset`-th on."""
    pool = [s for s in kjv_sentences(cmudict_only=True)[0] if len(s) <= max_words]
    return [" ".join(s) for s in pool[offset:offset + n]]


def to_flac(wav: Path, flac: Path) -> None:
    subprocess.run(["sox", str(wav), str(flac)], check=True)
    wav.unlink()


@dataclass(frozen=True)
class LibriPart:
    name: str  # e.g. train-clean-5
    readers: tuple[tuple[str, str, int], ...]  # (reader id, 'M'/'F', chapters)
    utts_per_chapter: int


def make_fake_librispeech(root: Path, parts: list[LibriPart]) -> Path:
    """<root>/LibriSpeech/{SPEAKERS.TXT,<part>/<reader>/<chapter>/...} as OpenSLR 12/31 unpack
    (flac, .trans.txt per chapter); returns <root>."""
    base = root / "LibriSpeech"
    speakers = ["; ID      |SEX| SUBSET           |MINUTES| NAME"]
    offset = 0
    for part in parts:
        for i, (reader, sex, n_chapters) in enumerate(part.readers):
            speakers.append(f"{reader:<7} | {sex} | {part.name:<16} | 1.00 | Reader {reader}")
            for c in range(n_chapters):
                chapter = f"{100 + 10 * i + c}"
                d = base / part.name / reader / chapter
                d.mkdir(parents=True)
                texts = sentences(part.utts_per_chapter, offset)
                offset += part.utts_per_chapter
                ids = [f"{reader}-{chapter}-{k:04d}" for k in range(len(texts))]
                synthesize_many(voice(int(reader)), [(t, d / f"{u}.wav")
                                                     for t, u in zip(texts, ids, strict=True)])
                for u in ids:
                    to_flac(d / f"{u}.wav", d / f"{u}.flac")
                (d / f"{reader}-{chapter}.trans.txt").write_text(
                    "".join(f"{u} {t}\n" for u, t in zip(ids, texts, strict=True)))
    (base / "SPEAKERS.TXT").write_text("\n".join(speakers) + "\n")
    return root


def _uvar(value: int, k: int) -> str:
    return "0" * (value >> k) + "1" + (format(value & ((1 << k) - 1), f"0{k}b") if k else "")


def _uint(value: int) -> str:
    k = max(value.bit_length(), 1)
    return _uvar(k, 2) + _uvar(value, k)


def encode_shorten(samples: np.ndarray, blocksize: int = 256) -> bytes:
    """A mono 16-bit shorten 2 stream of `samples` as NIST's embedded-shorten-v2.00 writes it
    (no verbatim header; first-difference prediction, Rice-coded residuals)."""
    x = samples.astype(np.int64)
    bits = [_uint(5), _uint(1), _uint(blocksize), _uint(0), _uint(0), _uint(0)]  # s16lh, mono
    prev = 0
    for start in range(0, len(x), blocksize):
        block = x[start:start + blocksize]
        if len(block) != blocksize:
            bits.append(_uvar(5, 2) + _uint(len(block)))  # FN_BLOCKSIZE
            blocksize = len(block)
        residual = np.diff(np.concatenate([[prev], block]))
        prev = int(block[-1])
        k = max(int(np.log2(max(np.abs(residual).mean(), 1))), 0)
        folded = np.where(residual >= 0, residual << 1, ((~residual) << 1) | 1)
        bits.append(_uvar(1, 2) + _uvar(k, 3) + "".join(_uvar(int(u), k + 1) for u in folded))
    bits.append(_uvar(4, 2))  # FN_QUIT
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    return b"ajkg\x02" + int(stream, 2).to_bytes(len(stream) // 8, "big")


def sphere_file(samples: np.ndarray, rate: int = 16000, shorten: bool = True) -> bytes:
    """A NIST SPHERE .wv1 of 16-bit mono samples, shorten-compressed as most of WSJ, or PCM."""
    coding = "pcm,embedded-shorten-v2.00" if shorten else "pcm"
    fields = [f"sample_count -i {len(samples)}", f"sample_rate -i {rate}", "channel_count -i 1",
              "sample_n_bytes -i 2", "sample_byte_format -s2 01", "sample_sig_bits -i 16",
              f"sample_coding -s{len(coding)} {coding}", "end_head"]
    header = ("NIST_1A\n   1024\n" + "\n".join(fields) + "\n").encode()
    header += b" " * (1024 - len(header))
    body = encode_shorten(samples) if shorten else samples.astype("<i2").tobytes()
    return header + body


@dataclass(frozen=True)
class WsjSpeaker:
    disc: str  # e.g. "11-1.1"
    path: str  # the speaker's dir on the disc, e.g. "wsj0/si_tr_s/011"
    spk: str  # 3 characters
    utts: int


WSJ_TRAIN0 = (WsjSpeaker("11-1.1", "wsj0/si_tr_s/011", "011", 10),
              WsjSpeaker("11-1.1", "wsj0/si_tr_s/01a", "01a", 10),
              WsjSpeaker("11-2.1", "wsj0/si_tr_s/401", "401", 2))  # Kaldi leaves 401 out
WSJ_TRAIN1 = (WsjSpeaker("13-2.1", "wsj1/si_tr_s/46a", "46a", 10),
              WsjSpeaker("13-2.1", "wsj1/si_tr_s/46b", "46b", 10))
WSJ_DEV93 = (WsjSpeaker("13-16.1", "wsj1/si_dt_20/4k0", "4k0", 4),
             WsjSpeaker("13-16.1", "wsj1/si_dt_20/4k6", "4k6", 4))
WSJ_EVAL92 = (WsjSpeaker("11-14.1", "wsj0/si_et_20/440", "440", 4),
              WsjSpeaker("11-14.1", "wsj0/si_et_20/441", "441", 4))
# A few of WSJ's transcript conventions that leave what was said alone, as
# normalize_transcript.pl sees them: a word deleted verbally but spoken (<word>), markers of
# an event in the next or previous word, a pause.
WSJ_MARKUP = ("<>", "[<door_slam]", "[door_slam>]", ".")


def _ndx(speakers: tuple[WsjSpeaker, ...], ids: dict[str, list[str]], suffix: str) -> str:
    lines = [";; fake index in the layout of the WSJ discs"]
    for s in speakers:
        disc = s.disc.replace("-", "_").replace(".", "_")
        lines += [f"{disc}:{s.path}/{u}{suffix}" for u in ids[s.spk]]
    return "\n".join(lines) + "\n"


def make_fake_wsj(root: Path, lm_disc: bool = True) -> tuple[Path, Path]:
    """Miniature WSJ0 and WSJ1 trees (<root>/csr_1, <root>/csr_2) with the discs, indices,
    .dot transcripts and .wv1 files (shorten-compressed SPHERE, every third one PCM) of the
    recipe's sets, and, with `lm_disc`, 13-32.1's compressed trigram."""
    from pykaldi_distill.lm import arpa_text, train_witten_bell

    csr1, csr2 = root / "csr_1", root / "csr_2"
    disc_root = {d: (csr1 if d.startswith("11-") else csr2) / d
                 for d in ("11-1.1", "11-2.1", "11-13.1", "11-14.1", "13-2.1", "13-16.1",
                           "13-34.1", "13-32.1")}
    ids: dict[str, list[str]] = {}
    offset, count = 0, 0
    all_texts = []
    for i, s in enumerate(WSJ_TRAIN0 + WSJ_TRAIN1 + WSJ_DEV93 + WSJ_EVAL92):
        d = disc_root[s.disc] / s.path
        d.mkdir(parents=True)
        ids[s.spk] = [f"{s.spk}c02{k:02d}" for k in range(1, s.utts + 1)]
        texts = sentences(s.utts, offset)
        offset += s.utts
        all_texts += texts
        synthesize_many(voice(i), [(t, d / f"{u}.wav") for t, u in zip(texts, ids[s.spk],
                                                                          strict=True)])
        dot = []
        for u, t in zip(ids[s.spk], texts, strict=True):
            wav = d / f"{u}.wav"
            samples = read_wav_samples(wav)
            wav.unlink()
            (d / f"{u}.wv1").write_bytes(sphere_file(samples, shorten=count % 3 != 2))
            count += 1
            words = t.split()
            mark = WSJ_MARKUP[count % len(WSJ_MARKUP)]
            if mark == "<>":
                words[1] = f"<{words[1]}>"
            else:
                words.insert(1, mark)
            if count == 1:  # one noise, which trains as <NOISE> (SPN)
                words.append("[loud_breath]")
            dot.append(f"{' '.join(words).lower()} ({u})")
        (d / f"{s.spk}c0200.dot").write_text("\n".join(dot) + "\n")
    indices = {("11-13.1", "wsj0/doc/indices/train/tr_s_wv1.ndx"): (WSJ_TRAIN0, ".wv1"),
               ("13-34.1", "wsj1/doc/indices/si_tr_s.ndx"): (WSJ_TRAIN1, ".wv1"),
               ("13-34.1", "wsj1/doc/indices/h1_p0.ndx"): (WSJ_DEV93, ".wv1"),
               ("11-13.1", "wsj0/doc/indices/test/nvp/si_et_20.ndx"): (WSJ_EVAL92, "")}
    for (disc, path), (speakers, suffix) in indices.items():
        f = disc_root[disc] / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(_ndx(speakers, ids, suffix))
    if lm_disc:
        lm = train_witten_bell([t.split() for t in all_texts], 3)
        arpa = "Witten-Bell trigram, 20k open vocabulary\n\n" + arpa_text(lm)
        f = disc_root["13-32.1"] / "wsj1/doc/lng_modl/base_lm/tcb20onp.z"
        f.parent.mkdir(parents=True)
        f.write_bytes(gzip.compress(arpa.encode()))
    else:
        shutil.rmtree(disc_root["13-32.1"], ignore_errors=True)
    return csr1, csr2


def read_wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
