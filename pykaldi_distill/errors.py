"""Errors that reach the user: each names the offending file and how to fix it."""

from __future__ import annotations

from pathlib import Path


class PkdError(Exception):
    """An error caused by the user's input, reported without a traceback."""


class InputError(PkdError):
    """A file a step reads is missing or malformed."""

    def __init__(self, path: str | Path, problem: str, fix: str = "") -> None:
        self.path = str(path)
        message = f"{path}: {problem}"
        if fix:
            message += f" (fix: {fix})"
        super().__init__(message)


def require_file(path: str | Path, fix: str = "") -> Path:
    """Return `path` as a Path, raising InputError when it is not an existing file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "file does not exist", fix)
    return p


def require_dir(path: str | Path, fix: str = "") -> Path:
    p = Path(path)
    if not p.is_dir():
        raise InputError(p, "directory does not exist", fix)
    return p
