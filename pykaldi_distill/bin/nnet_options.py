"""`nnet_options.py <exp-dir|config.json>` prints the train_teacher.sh / train_student.sh
options that reproduce the network shape and training budget of an exp dir (from its
config.json), e.g. to train a teacher longer or a student on other targets alike:
  local/train_student.sh $(nnet_options.py exp/student_gmm) --seed 2 ... exp/student_soft
Target options (--temperature, --hard-weight, --soft-topk) are not printed, nor the seed
without --with-seed (e.g. to continue a run's training). `--targets` prints the targets or
alignment dir the network was trained on instead, `--data` its training data dir."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import run
from ..nnet.options import load_resolved_config, training_options


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnet_options", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--with-seed", action="store_true", help="also print the run's --seed")
    p.add_argument("--targets", action="store_true",
                   help="print the targets / alignment dir it was trained on instead")
    p.add_argument("--data", action="store_true",
                   help="print the data dir it was trained on instead")
    p.add_argument("exp_dir", type=Path, help="a trained network's exp dir or its config.json")
    return p


def main_args(args: argparse.Namespace) -> None:
    config = load_resolved_config(args.exp_dir)
    if args.targets:
        print(config["targets"])
    elif args.data:
        print(config["data"])
    else:
        print(" ".join(training_options(config, args.with_seed)))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
