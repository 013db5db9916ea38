"""Kaldi data directories: load, validate (validate_data_dir.sh), write, split (split_data.sh)."""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, require_dir
from .formats.io import read_table, write_table


@dataclass
class DataDir:
    """The tables of a Kaldi data dir; every mapping is keyed by utterance id
    (wav.scp by recording id when `segments` exists)."""

    path: Path
    wav_scp: dict[str, str]
    utt2spk: dict[str, str]
    text: dict[str, str] = field(default_factory=dict)
    segments: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    feats_scp: dict[str, str] = field(default_factory=dict)
    cmvn_scp: dict[str, str] = field(default_factory=dict)

    @property
    def utts(self) -> list[str]:
        return sorted(self.utt2spk)

    @property
    def spk2utt(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for utt in self.utts:
            result.setdefault(self.utt2spk[utt], []).append(utt)
        return result


def _check_sorted(path: Path) -> None:
    keys = [line.split(maxsplit=1)[0] for line in path.read_text().splitlines() if line.strip()]
    if keys != sorted(keys):
        raise InputError(path, "is not sorted by key", "sort it with LC_ALL=C sort")


def _parse_segments(path: Path) -> dict[str, tuple[str, float, float]]:
    segments = {}
    for utt, rest in read_table(path).items():
        parts = rest.split()
        try:
            reco, start, end = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError) as err:
            raise InputError(path, f"bad line for '{utt}'", "use 'utt reco start end'") from err
        if end <= start:
            raise InputError(path, f"segment '{utt}' ends before it starts")
        segments[utt] = (reco, start, end)
    return segments


def load_data_dir(path: str | Path, need_text: bool = False) -> DataDir:
    """Read a data dir and validate it like Kaldi's validate_data_dir.sh."""
    root = require_dir(path, "create it with the recipe's data preparation stage")
    tables = {}
    for name in ["wav.scp", "utt2spk", "spk2utt", "text", "segments", "feats.scp", "cmvn.scp"]:
        f = root / name
        if f.is_file():
            _check_sorted(f)
            tables[name] = read_table(f)
    for name in ["wav.scp", "utt2spk"]:
        if name not in tables:
            raise InputError(root / name, "file does not exist", "every data dir needs it")
    if need_text and "text" not in tables:
        raise InputError(root / "text", "file does not exist", "training/scoring needs transcripts")
    data = DataDir(
        path=root,
        wav_scp=tables["wav.scp"],
        utt2spk=tables["utt2spk"],
        text=tables.get("text", {}),
        segments=_parse_segments(root / "segments") if "segments" in tables else {},
        feats_scp=tables.get("feats.scp", {}),
        cmvn_scp=tables.get("cmvn.scp", {}),
    )
    validate(data, tables.get("spk2utt"))
    return data


def _same_keys(path: Path, keys: set[str], expected: set[str], what: str) -> None:
    if keys == expected:
        return
    extra, missing = sorted(keys - expected), sorted(expected - keys)
    detail = []
    if extra:
        detail.append(f"{len(extra)} {what} not in utt2spk, e.g. '{extra[0]}'")
    if missing:
        detail.append(f"{len(missing)} utterances of utt2spk missing, e.g. '{missing[0]}'")
    raise InputError(path, "; ".join(detail), "make the tables list the same utterances "
                     "(Kaldi's fix_data_dir.sh does this)")


def validate(data: DataDir, spk2utt: dict[str, str] | None = None) -> None:
    root = data.path
    utts = set(data.utt2spk)
    if not utts:
        raise InputError(root / "utt2spk", "is empty")
    for utt, spk in data.utt2spk.items():
        if not spk:
            raise InputError(root / "utt2spk", f"utterance '{utt}' has no speaker")
    if spk2utt is not None:
        parsed = {spk: sorted(v.split()) for spk, v in spk2utt.items()}
        if parsed != data.spk2utt:
            raise InputError(root / "spk2utt", "does not match utt2spk",
                             "regenerate it with utt2spk_to_spk2utt.pl")
    if data.segments:
        _same_keys(root / "segments", set(data.segments), utts, "segments")
        recos = {reco for reco, _, _ in data.segments.values()}
        missing = sorted(recos - set(data.wav_scp))
        if missing:
            raise InputError(root / "wav.scp", f"recording '{missing[0]}' of segments is missing")
    else:
        _same_keys(root / "wav.scp", set(data.wav_scp), utts, "wav.scp entries")
    if data.text:
        _same_keys(root / "text", set(data.text), utts, "transcripts")
        for utt, words in data.text.items():
            if not words.strip():
                raise InputError(root / "text", f"utterance '{utt}' has an empty transcript",
                                 "remove the utterance or give it words")
    for name, table in [("feats.scp", data.feats_scp)]:
        if table:
            _same_keys(root / name, set(table), utts, name + " entries")
    _check_audio_paths(data)


def _check_audio_paths(data: DataDir) -> None:
    """Plain file entries must exist; piped commands (`... |`) are checked when read."""
    for reco, spec in data.wav_scp.items():
        if spec.rstrip().endswith("|"):
            continue
        path = Path(shlex.split(spec)[0]) if spec else None
        if path is None or not path.is_file():
            raise InputError(data.path / "wav.scp", f"audio for '{reco}' not found: {spec}",
                             "fix the path or re-run data preparation")


def write_data_dir(data: DataDir, path: str | Path) -> None:
    """Write all non-empty tables of `data` to `path` (sorted, atomically per file)."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "wav.scp", data.wav_scp)
    write_table(out / "utt2spk", data.utt2spk)
    write_table(out / "spk2utt", {s: " ".join(u) for s, u in data.spk2utt.items()})
    if data.text:
        write_table(out / "text", data.text)
    if data.segments:
        write_table(out / "segments",
                    {u: f"{r} {s:.2f} {e:.2f}" for u, (r, s, e) in data.segments.items()})
    if data.feats_scp:
        write_table(out / "feats.scp", data.feats_scp)
    if data.cmvn_scp:
        write_table(out / "cmvn.scp", data.cmvn_scp)


def subset(data: DataDir, utts: list[str], path: Path) -> DataDir:
    """The part of `data` holding `utts` (whole speakers' cmvn kept), rooted at `path`."""
    keep = set(utts)
    spks = {data.utt2spk[u] for u in keep}
    recos = {data.segments[u][0] for u in keep} if data.segments else keep
    return DataDir(
        path=path,
        wav_scp={r: v for r, v in data.wav_scp.items() if r in recos},
        utt2spk={u: s for u, s in data.utt2spk.items() if u in keep},
        text={u: t for u, t in data.text.items() if u in keep},
        segments={u: s for u, s in data.segments.items() if u in keep},
        feats_scp={u: f for u, f in data.feats_scp.items() if u in keep},
        cmvn_scp={s: c for s, c in data.cmvn_scp.items() if s in spks},
    )


def evenly_spaced(items: list[str], n: int) -> list[str]:
    """At most `n` of `items`, evenly spaced: the middle one of each of n equal stretches
    (all of them if n >= len)."""
    if n >= len(items):
        return list(items)
    return [items[(2 * i + 1) * len(items) // (2 * n)] for i in range(n)]


def split_data(data: DataDir, nj: int, per_utt: bool = False) -> list[DataDir]:
    """Split into `nj` parts (split_data.sh), written to `<data>/split<nj>/<n>` for
    n = 1..nj: by speaker where there are enough speakers, so per-speaker state stays in
    one job. `per_utt` (split_data.sh --per-utt, `<data>/split<nj>utt/<n>`) deals the
    utterances out in turn instead, balancing jobs when the speakers differ in decoding
    cost; each part keeps the cmvn.scp entries of its speakers."""
    spk2utt = data.spk2utt
    speakers = sorted(spk2utt)
    if nj < 1:
        raise InputError(data.path, f"cannot split into {nj} jobs", "give --nj 1 or more")
    if len(speakers) >= nj and not per_utt:
        groups: list[list[str]] = [[] for _ in range(nj)]
        sizes = [0] * nj
        for spk in sorted(speakers, key=lambda s: -len(spk2utt[s])):
            j = sizes.index(min(sizes))
            groups[j].extend(spk2utt[spk])
            sizes[j] += len(spk2utt[spk])
    else:
        utts = data.utts
        groups = [utts[i::nj] for i in range(nj)]
    if not all(groups):  # checked before any part is written: no half-made split dir
        raise InputError(data.path, f"cannot split {len(data.utts)} utterances into {nj} jobs",
                         "use a smaller --nj")
    root = data.path / (f"split{nj}utt" if per_utt else f"split{nj}")
    parts = []
    for n, group in enumerate(groups, 1):
        part = subset(data, sorted(group), root / str(n))
        write_data_dir(part, part.path)
        if (data.path / "feat_type").is_file():  # the features' kind, which models check
            shutil.copyfile(data.path / "feat_type", part.path / "feat_type")
        parts.append(part)
    return parts
