"""Export a DNN student for embedded runtimes: `export_embedded.py <student-exp-dir> <out-dir>`
writes into <out-dir>
  student.onnx       float32 ONNX
  student.int8.onnx  ONNX Runtime's dynamic int8 quantisation of the weights
  student.int8.pt    PyTorch's dynamic int8 quantisation (shapes + quantised state dict)
All take spliced frames ((2c+1) x feature dim, edge frames replicated) and give log
posteriors; the input normalisation and BatchNorm are folded into the affines. Decode any of
them with `decode.py --exported <file> ... <student-exp-dir> ...`, which takes the priors,
HMM and features from the exp dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..deploy.embedded import quantize_int8, write_onnx, write_torch_int8
from ..deploy.nnet3 import load_exported_student


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="export_embedded", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("exp_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    _, student = load_exported_student(args.exp_dir)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = args.out_dir / "student.onnx"
    write_onnx(fp32, student)
    quantize_int8(fp32, args.out_dir / "student.int8.onnx")
    write_torch_int8(args.out_dir / "student.int8.pt", student)
    for name in ("student.onnx", "student.int8.onnx", "student.int8.pt"):
        log(f"wrote {args.out_dir / name} ({(args.out_dir / name).stat().st_size / 1e6:.2f} MB)")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
