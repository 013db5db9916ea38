"""The identity of the files a step consumed: path, size and modification time (ns), the same
record the step scripts keep (local/pkd_env.sh, fingerprint_of), so that "up to date" and
"resume" both mean "the same inputs", not merely "newer files"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

Identity = list  # [path, size, mtime_ns]: a list, as it round-trips through JSON / torch.save


def file_identity(path: Path) -> Identity:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


def identities(paths: Iterable[Path]) -> list[Identity]:
    """The identities of the paths that exist, in the order given."""
    return [file_identity(p) for p in paths if p.is_file()]


def changed_files(old: Sequence[Identity], new: Sequence[Identity]) -> list[str]:
    """Paths whose identity differs, or that are in only one of the records."""
    before = {str(x[0]): list(x[1:]) for x in old}
    after = {str(x[0]): list(x[1:]) for x in new}
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
