"""A NIST SPHERE file (PCM or shorten-compressed, as WSJ's .wv1) as a 16-bit WAV on stdout,
like Kaldi's `sph2pipe -f wav <file>`: `sph2pipe.py <file.wv1>`. Data dirs of the WSJ recipe
read their audio through it (`local/sph2pipe <file> |` in wav.scp)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..errors import require_file
from ..formats.sphere import sphere_to_wav


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sph2pipe", description=__doc__)
    p.add_argument("file", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    wav = sphere_to_wav(require_file(args.file))
    sys.stdout.buffer.write(wav)
    sys.stdout.buffer.flush()


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv, quiet=True)


if __name__ == "__main__":
    sys.exit(main())
