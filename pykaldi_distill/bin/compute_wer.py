"""compute-wer: corpus WER of a hypothesis text against a reference text, like Kaldi's.

    python -m pykaldi_distill.bin.compute_wer --text --mode=present ark:ref.txt ark:hyp.txt

Both arguments are Kaldi text archives (`utt-id word word ...`), given as rspecifiers
(`ark:file`, `ark,t:file`, `ark,p:-` for stdin, `ark:some command|`) or plain paths.
Prints Kaldi's `%WER`, `%SER` and `Scored ...` lines on stdout. As in Kaldi, the default
mode is strict (every reference needs a hypothesis); Kaldi's optional third argument
(detailed alignment stats) is not supported.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence

from ..cli import run
from ..decoding.score import MODES, compute_wer, format_wer, parse_text, read_text
from ..errors import InputError

_ARK = re.compile(r"ark(,[a-z]+)*:(?P<target>.*)")
_SCP = re.compile(r"scp(,[a-z]+)*:")


def read_rspecifier(spec: str) -> dict[str, list[str]]:
    """Read a text archive from an rspecifier (file, `-` for stdin, or `command |`)."""
    if _SCP.match(spec):
        raise InputError(spec, "scp: rspecifiers are not supported", "pass the text file")
    m = _ARK.fullmatch(spec)
    target = m.group("target") if m else spec
    if target == "-":
        return parse_text(sys.stdin.read().splitlines(), "stdin")
    if target.rstrip().endswith("|"):
        return parse_text(_run_pipe(target.rstrip()[:-1]).splitlines(), target)
    return read_text(target)


def _run_pipe(command: str) -> str:
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise InputError(f"{command}|", f"command failed (code {proc.returncode}): "
                         + proc.stderr.strip()[-500:])
    return proc.stdout


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="compute-wer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--text", action="store_true",
                   help="read text archives (always on; accepted for Kaldi compatibility, "
                        "also as --text=true)")
    p.add_argument("--mode", choices=MODES, default="strict",
                   help="present: score utterances with a hypothesis; all: missing "
                        "hypotheses count as empty; strict (Kaldi's default): fail on a "
                        "missing hypothesis")
    p.add_argument("ref", help="reference rspecifier, e.g. ark:data/test/text")
    p.add_argument("hyp", help="hypothesis rspecifier, e.g. ark:exp/decode/hyp.txt")
    return p


def _main(args: argparse.Namespace) -> None:
    refs = read_rspecifier(args.ref)
    hyps = read_rspecifier(args.hyp)
    sys.stdout.write(format_wer(compute_wer(refs, hyps, args.mode)))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Kaldi's Boolean flag syntax: --text=true (words are read as text either way).
    args = ["--text" if a in ("--text=true", "--text=false") else a for a in args]
    return run(_main, build_parser(), args)


if __name__ == "__main__":
    sys.exit(main())
