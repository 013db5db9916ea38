"""The Wall Street Journal corpus (LDC93S6B WSJ0, LDC94S13B WSJ1) as Kaldi data dirs, the
paper's setup: train_si284, test_dev93 (dev) and test_eval92 (test), as Kaldi's
egs/wsj/s5/local/wsj_data_prep.sh makes them (read it to see the same choices).

The discs are directories named by their id (`11-13.1`, `13-34.1`, ...) anywhere below the
directories given (at most two levels down, e.g. `csr_1/11-1.1`). Index files on the discs
list each set's recordings as `<disc_id>:<path on that disc>`; transcripts are in the
speakers' `.dot` files (`<text> (<utt-id>)` lines). Recordings are NIST SPHERE `.wv1`, most
of them shorten-compressed; wav.scp reads them through `pkd-sph2pipe` (bin/sph2pipe.py).
"""

from __future__ import annotations

import gzip
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir
from ..errors import InputError
from ..formats.io import atomic_path

NOISE_WORD = "<NOISE>"
DISC_NAME = re.compile(r"^\d+-\d+\.\d+$")


@dataclass(frozen=True)
class SetIndex:
    """One data set: its index files (disc id, path on the disc) and the fixes Kaldi applies."""

    name: str
    indices: tuple[tuple[str, str], ...]  # (disc, index path on that disc)
    add_wv1: bool = False  # the index lists ids without the .wv1 suffix
    exclude: str = ""  # a path fragment whose recordings are left out
    disc_renames: tuple[tuple[str, str], ...] = ()


TRAIN_SI284 = SetIndex("train_si284", (("13-34.1", "wsj1/doc/indices/si_tr_s.ndx"),
                                       ("11-13.1", "wsj0/doc/indices/train/tr_s_wv1.ndx")),
                       exclude="11-2.1/wsj0/si_tr_s/401")
DEV93 = SetIndex("test_dev93", (("13-34.1", "wsj1/doc/indices/h1_p0.ndx"),))
EVAL92 = SetIndex("test_eval92", (("11-13.1", "wsj0/doc/indices/test/nvp/si_et_20.ndx"),),
                  add_wv1=True)
SETS = {"train": TRAIN_SI284, "dev": DEV93, "test": EVAL92}


def find_discs(roots: Iterable[Path]) -> dict[str, Path]:
    """disc id ('11-13.1') -> its directory, found in `roots` or up to two levels below."""
    discs: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            raise InputError(root, "does not exist or is not a directory",
                             "pass the directories holding the WSJ discs (e.g. 11-13.1/)")
        for depth in ("", "*", "*/*"):
            for d in sorted(root.glob(depth)) if depth else [root]:
                if d.is_dir() and DISC_NAME.match(d.name):
                    discs.setdefault(d.name, d)
    return discs


def disc_id(name: str) -> str:
    """'11_13_1' (index files) -> '11-13.1' (directory names)."""
    a, b, c = name.split("_")
    return f"{a}-{b}.{c}"


def read_index(path: Path, discs: dict[str, Path], s: SetIndex) -> list[Path]:
    """The recordings an index file lists, as paths on the discs given."""
    out = []
    for n, line in enumerate(path.read_text(encoding="latin-1").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        m = re.match(r"^([0-9_]+):\s*(\S+)$", line)
        if not m:
            raise InputError(path, f"line {n}: expected '<disc>:<path>', got {line[:60]!r}")
        disc, rel = m.group(1), m.group(2).lstrip("/")
        for old, new in s.disc_renames:
            disc = disc.replace(old, new)
        disc = disc_id(disc)
        if disc not in discs:
            raise InputError(path, f"line {n} names disc {disc}, which is not among the "
                             f"discs given ({', '.join(sorted(discs))})",
                             f"pass the directory holding {disc} too")
        file = discs[disc] / rel
        if s.add_wv1:
            file = file.with_name(file.name + ".wv1")
        if s.exclude and s.exclude in f"{disc}/{rel}":
            continue
        out.append(file)
    return out


def recordings(s: SetIndex, discs: dict[str, Path]) -> dict[str, Path]:
    """utt-id (lower case) -> .wv1 path of a set; every index and recording checked."""
    out: dict[str, Path] = {}
    for disc, index in s.indices:
        if disc not in discs:
            raise InputError(disc, f"disc {disc} (holding {index}, the index of "
                             f"{s.name}) is missing", "pass the directory holding it")
        path = discs[disc] / index
        if not path.is_file():
            raise InputError(path, f"the index of {s.name} is missing from disc {disc}",
                             "copy the disc again")
        for file in read_index(path, discs, s):
            file = existing_case(file)
            if not file.is_file():
                raise InputError(file, f"is missing (listed in {path})", "copy the disc again")
            out[file.stem.lower()] = file
    return dict(sorted(out.items()))


def existing_case(file: Path) -> Path:
    """`file`, or its upper-case twin (some copies of the discs upper-case file names)."""
    if file.is_file():
        return file
    upper = file.with_name(file.name.upper())
    return upper if upper.is_file() else file


def dot_files(discs: dict[str, Path]) -> dict[str, Path]:
    """speaker-and-session prefix (6 chars, lower case) -> its .dot transcript file."""
    out = {}
    for disc in discs.values():
        for f in sorted(disc.rglob("*")):
            m = re.match(r"^(\w{6})00\.dot$", f.name, re.IGNORECASE)
            if m and f.is_file():
                out[m.group(1).lower()] = f
    return out


def read_dot(path: Path) -> dict[str, str]:
    """utt-id (lower case) -> raw transcript of a .dot file."""
    out = {}
    for n, line in enumerate(path.read_text(encoding="latin-1").splitlines(), 1):
        if not line.strip():
            continue
        m = re.match(r"^(.+)\((\w{8})\)\s*$", line)
        if not m:
            raise InputError(path, f"line {n}: expected '<text> (<utt-id>)', got {line[:60]!r}")
        out[m.group(2).lower()] = m.group(1).strip()
    return out


def transcripts(utts: Sequence[str], dots: dict[str, Path], set_name: str) -> dict[str, str]:
    """Raw transcripts of `utts` from their speakers' .dot files."""
    out: dict[str, str] = {}
    cache: dict[str, dict[str, str]] = {}
    for utt in utts:
        prefix = utt[:6]
        if prefix not in dots:
            raise InputError(utt, f"no transcript file ({prefix}00.dot) for this utterance of "
                             f"{set_name} on the discs given", "pass every disc of the corpus")
        if prefix not in cache:
            cache = {prefix: read_dot(dots[prefix])}
        if utt not in cache[prefix]:
            raise InputError(dots[prefix], f"has no transcript for {utt} ({set_name})")
        out[utt] = cache[prefix][utt]
    return out


_DELETED_NOISE = re.compile(r"^(\[<\w+\]|\[\w+>\]|\[\w+/\]|\[/\w+\]|~|\.)$")
_NOISE = re.compile(r"\[\w+\]")
_VERBAL_DELETION = re.compile(r"^<([\w']+)>$")


def normalise(transcript: str, noise_word: str = NOISE_WORD) -> str:
    """Kaldi's normalize_transcript.pl: upper case, no backslashes, noises that only mark
    where an event starts or ends dropped, other noises as `noise_word`, <word> (verbally
    deleted but spoken) as word, and the Nov'93 %PERCENT / .POINT / --DASH spellings."""
    out = []
    for w in transcript.split():
        w = w.upper().replace("\\", "")
        w = {"%PERCENT": "PERCENT", ".POINT": "POINT", "--DASH": "-DASH"}.get(w, w)
        if _DELETED_NOISE.match(w):
            continue
        if _NOISE.search(w):
            out.append(noise_word)
        elif m := _VERBAL_DELETION.match(w):
            out.append(m.group(1))
        else:
            out.append(w)
    return " ".join(out)


def wsj_data_dir(name: str, discs: dict[str, Path], dots: dict[str, Path], out: Path,
                 reader: str) -> DataDir:
    """The data dir of one set; `reader` is the wav.scp command before the .wv1 path
    (e.g. 'pkd-sph2pipe'), whose output is a wav on stdout."""
    s = SETS[name]
    recs = recordings(s, discs)
    texts = {u: normalise(t) for u, t in transcripts(list(recs), dots, s.name).items()}
    if name != "train":  # scored references: noises are not words to recognise (Kaldi's
        texts = {u: " ".join(w for w in t.split() if w != NOISE_WORD)  # scoring drops them)
                 for u, t in texts.items()}
    return DataDir(path=out,
                   wav_scp={u: f"{reader} {p} |" for u, p in recs.items()},
                   utt2spk={u: u[:3] for u in recs},
                   text=texts)


LM_DISC = "13-32.1"
LM_PATH = "wsj1/doc/lng_modl/base_lm/tcb20onp.z"  # 20k open vocabulary, non-verbalized trigram


def disc_trigram(discs: dict[str, Path]) -> Path | None:
    """The discs' 20k open-vocabulary trigram (Kaldi's lm_tg), if the LM disc was given."""
    if LM_DISC not in discs:
        return None
    path = existing_case(discs[LM_DISC] / LM_PATH)
    return path if path.is_file() else None


def extract_arpa(compressed: Path, out: Path) -> None:
    """The ARPA text of a disc's LM (Unix compress, which `gzip -d` reads), the lines before
    `\\data\\` dropped as Kaldi does, written gzipped to `out` (atomically)."""
    proc = subprocess.run(["gzip", "-dc", str(compressed)], capture_output=True, check=False)
    if proc.returncode != 0:
        raise InputError(compressed, "cannot be decompressed: "
                         f"{proc.stderr.decode(errors='replace').strip()}", "copy the disc again")
    text = proc.stdout
    start = text.find(b"\\data\\")
    if start < 0:
        raise InputError(compressed, "holds no ARPA LM (no \\data\\ line)")
    with atomic_path(out) as tmp, gzip.open(tmp, "wb", compresslevel=6) as f:
        f.write(text[start:])
