"""Shared plumbing for the thin CLIs in pykaldi_distill.bin: logging of argv and
config first, user errors printed without a traceback and a non-zero exit."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence

from .errors import PkdError


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def log_config(config: object) -> None:
    """Print a dataclass config as JSON (the resolved values a run used)."""
    if dataclasses.is_dataclass(config):
        log("config: " + json.dumps(dataclasses.asdict(config), default=str, sort_keys=True))


def run(main: Callable[[argparse.Namespace], None], parser: argparse.ArgumentParser,
        argv: Sequence[str] | None = None) -> int:
    """Parse argv, log it, call `main`; map PkdError to exit 1 with a one-line message."""
    args = parser.parse_args(argv)
    prog = parser.prog
    log(f"# {prog} " + " ".join(sys.argv[1:] if argv is None else list(argv)))
    try:
        main(args)
    except PkdError as err:
        log(f"ERROR ({prog}): {err}")
        return 1
    return 0
