"""Export a DNN student for embedded runtimes: `export_onnx.py <student-exp-dir> <out-dir>`
writes <out-dir>/student.onnx (float32) and <out-dir>/student.int8.onnx (ONNX Runtime's
dynamic int8 quantisation of the weights). Both take spliced frames ((2c+1) x feature dim,
edge frames replicated) and give log posteriors; the input normalisation and BatchNorm are
folded into the affines. Decode with `decode.py --onnx <file> ... <student-exp-dir> ...`,
which takes the priors, HMM and features from the exp dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..nnet3 import load_exported_student
from ..onnx_model import quantize_int8, write_onnx


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="export_onnx", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exp_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    _, student = load_exported_student(args.exp_dir)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    fp32, int8 = args.out_dir / "student.onnx", args.out_dir / "student.int8.onnx"
    write_onnx(fp32, student)
    quantize_int8(fp32, int8)
    log(f"wrote {fp32} ({fp32.stat().st_size / 1e6:.2f} MB) and {int8} "
        f"({int8.stat().st_size / 1e6:.2f} MB)")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
