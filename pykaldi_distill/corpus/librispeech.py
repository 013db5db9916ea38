"""LibriSpeech-layout corpora (OpenSLR 12, and mini-LibriSpeech, OpenSLR 31) as Kaldi data
dirs, as Kaldi's egs/librispeech/s5/local/data_prep.sh makes them.

A part `<corpus>/LibriSpeech/<part>/<reader>/<chapter>/` holds `<reader>-<chapter>-<n>.flac`
and the transcripts `<reader>-<chapter>.trans.txt` (lines `<utt-id> WORDS...`). Utterance
ids are LibriSpeech's; the speaker is `<reader>-<chapter>` (one chapter, one session, so
CMVN and fMLLR are per chapter, as in Kaldi's recipe); wav.scp decodes the flac with
`flac -c -d -s <file> |`, which Kaldi's readers take too. `LibriSpeech/SPEAKERS.TXT`, where
present, gives spk2gender. Nothing is copied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..data import DataDir, subset, write_data_dir
from ..errors import InputError
from ..formats.io import write_table

LAYOUT = "LibriSpeech/<part>/<reader>/<chapter>/<reader>-<chapter>-<n>.flac + .trans.txt"
_UTT = re.compile(r"^(\d+)-(\d+)-(\d+)$")


@dataclass(frozen=True)
class Chapter:
    reader: str
    chapter: str
    path: Path  # the chapter's directory

    @property
    def speaker(self) -> str:
        return f"{self.reader}-{self.chapter}"


def corpus_root(corpus: Path) -> Path:
    """The `LibriSpeech` directory: `corpus` itself or its child of that name."""
    for root in (corpus / "LibriSpeech", corpus):
        if root.name == "LibriSpeech" and root.is_dir():
            return root
    what = "does not exist" if not corpus.exists() else "has no LibriSpeech/ directory"
    raise InputError(corpus, what, f"pass the directory holding {LAYOUT}")


def part_dir(corpus: Path, part: str) -> Path:
    """The directory of one part (e.g. train-clean-5), checked to exist."""
    root = corpus_root(corpus)
    path = root / part
    if not path.is_dir():
        found = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise InputError(path, f"the part '{part}' is missing (found: "
                         f"{', '.join(found) or 'no parts'})",
                         f"unpack {part} into {root} (OpenSLR: {part}.tar.gz)")
    return path


def chapters(part: Path) -> list[Chapter]:
    """The part's chapters, in reader/chapter order; every directory name is a number."""
    out = []
    for reader in sorted(p for p in part.iterdir() if p.is_dir()):
        for chapter in sorted(p for p in reader.iterdir() if p.is_dir()):
            if not (reader.name.isdigit() and chapter.name.isdigit()):
                raise InputError(chapter, "is not <reader>/<chapter> (numbers)",
                                 f"a part holds only {LAYOUT}")
            out.append(Chapter(reader.name, chapter.name, chapter))
    if not out:
        raise InputError(part, "holds no <reader>/<chapter>/ directories",
                         f"unpack the part again; expected {LAYOUT}")
    return out


def read_transcripts(ch: Chapter) -> dict[str, str]:
    """utt-id -> words of one chapter's .trans.txt, each with its flac checked to exist."""
    trans = ch.path / f"{ch.speaker}.trans.txt"
    if not trans.is_file():
        raise InputError(trans, "is missing (the chapter's transcripts)",
                         "unpack the part again; every chapter has one")
    out = {}
    for n, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
        utt, _, words = line.strip().partition(" ")
        m = _UTT.match(utt)
        if not m or m.group(1, 2) != (ch.reader, ch.chapter) or not words.strip():
            raise InputError(trans, f"line {n}: expected '{ch.speaker}-<n> WORDS...', "
                             f"got {line[:60]!r}")
        if not (ch.path / f"{utt}.flac").is_file():
            raise InputError(ch.path / f"{utt}.flac", f"is missing (named in {trans.name})",
                             "unpack the part again")
        out[utt] = " ".join(words.split())
    return out


def speaker_genders(root: Path) -> dict[str, str]:
    """reader -> 'm'/'f' from SPEAKERS.TXT (lines `ID | SEX | SUBSET | MINUTES | NAME`);
    empty when the file is absent."""
    path = root / "SPEAKERS.TXT"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = [f.strip() for f in line.split("|")]
        if line.startswith(";") or len(fields) < 2 or not fields[0].isdigit():
            continue
        out[fields[0]] = fields[1].lower()
    return out


def part_data_dir(corpus: Path, part: str, out: Path) -> tuple[DataDir, dict[str, str]]:
    """The data dir (rooted at `out`) of one part, and its spk2gender."""
    root = corpus_root(corpus)
    genders = speaker_genders(root)
    wav_scp, utt2spk, text, spk2gender = {}, {}, {}, {}
    for ch in chapters(part_dir(corpus, part)):
        for utt, words in read_transcripts(ch).items():
            wav_scp[utt] = f"flac -c -d -s {ch.path.resolve() / (utt + '.flac')} |"
            utt2spk[utt] = ch.speaker
            text[utt] = words
        if ch.reader in genders:
            spk2gender[ch.speaker] = genders[ch.reader]
    return DataDir(path=out, wav_scp=wav_scp, utt2spk=utt2spk, text=text), spk2gender


def split_by_reader(data: DataDir, fractions: Sequence[float]) -> list[list[str]]:
    """The utterances of `data` in len(fractions) groups of whole readers (every chapter of a
    reader in one group), readers dealt in turn in sorted order so that each group gets about
    its fraction of them; deterministic."""
    ordered = sorted(readers(data), key=int)
    if len(ordered) < len(fractions):
        raise InputError(data.path, f"{len(ordered)} readers cannot make {len(fractions)} "
                         "speaker-disjoint sets", "use a part with more readers")
    groups: list[list[str]] = [[] for _ in fractions]
    dealt = [0.0] * len(fractions)
    owner = {}
    for reader in ordered:
        g = min(range(len(fractions)), key=lambda i: (dealt[i] / fractions[i], i))
        owner[reader] = g
        dealt[g] += 1
    for utt in data.utts:
        groups[owner[data.utt2spk[utt].split("-")[0]]].append(utt)
    return groups


def prepare_librispeech(corpus: Path, out: Path, train_part: str, held_out_part: str
                        ) -> dict[str, DataDir]:
    """data dirs <out>/{train,dev,test}: `train_part` for training, `held_out_part` split
    into dev and test halves of whole readers (Kaldi's mini_librispeech recipe decodes all of
    dev-clean-2 as its test; choices here are made on dev and test is read once). Each with
    spk2gender where SPEAKERS.TXT gives it."""
    train, train_genders = part_data_dir(corpus, train_part, out / "train")
    held, held_genders = part_data_dir(corpus, held_out_part, out / "held_out")
    shared = readers(train) & readers(held)
    if shared:
        raise InputError(part_dir(corpus, held_out_part), f"readers {sorted(shared)[:5]} are "
                         f"also in {train_part}", "hold out a part of other readers")
    dev_utts, test_utts = split_by_reader(held, (0.5, 0.5))
    dirs = {"train": train, "dev": subset(held, dev_utts, out / "dev"),
            "test": subset(held, test_utts, out / "test")}
    genders = {**train_genders, **held_genders}
    for data in dirs.values():
        write_data_dir(data, data.path)
        spk2gender = {s: genders[s] for s in data.spk2utt if s in genders}
        if spk2gender:
            write_table(data.path / "spk2gender", spk2gender)
    return dirs


def readers(data: DataDir) -> set[str]:
    return {spk.split("-")[0] for spk in data.utt2spk.values()}
