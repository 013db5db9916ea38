"""Plot training curves (loss and frame accuracy per epoch, train solid / cv dashed) of one
or more nnet exp dirs from their history.json:
`plot_learning_curves.py [--title T] <out.png> name=exp-dir [name=exp-dir ...]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..cli import log, run
from ..errors import InputError, PkdError, require_file
from ..report.plots import plot_learning_curves

REQUIRED_KEYS = ("epoch", "train_loss", "train_acc", "cv_loss", "cv_acc")


def read_history(path: Path) -> list[dict[str, Any]]:
    """The "epochs" entries of a history.json, checked for the keys the plot needs."""
    fix = "train the model with train_nnet.py (it writes history.json)"
    p = require_file(path, fix)
    try:
        history = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(p, f"not JSON ({e})", fix) from e
    epochs = history.get("epochs") if isinstance(history, dict) else None
    if not isinstance(epochs, list) or not epochs:
        raise InputError(p, "no 'epochs' list (or it is empty)", fix)
    for i, entry in enumerate(epochs):
        missing = [k for k in REQUIRED_KEYS if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise InputError(p, f"epoch entry {i} lacks {', '.join(missing)}", fix)
    return epochs


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plot_learning_curves", description=__doc__)
    p.add_argument("--title", default="")
    p.add_argument("out", type=Path, help="output PNG")
    p.add_argument("systems", nargs="+", help="name=exp-dir (reads exp-dir/history.json)")
    return p


def main_args(args: argparse.Namespace) -> None:
    histories: dict[str, list[dict[str, Any]]] = {}
    for spec in args.systems:
        name, sep, exp = spec.partition("=")
        if not sep or not name or not exp:
            raise PkdError(f"system '{spec}' must be given as name=exp-dir")
        if name in histories:
            raise PkdError(f"system name '{name}' given twice")
        histories[name] = read_history(Path(exp) / "history.json")
    plot_learning_curves(histories, args.out, args.title)
    log(f"wrote {args.out}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
