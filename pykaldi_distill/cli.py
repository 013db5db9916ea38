"""Shared plumbing for the thin CLIs in pykaldi_distill.bin: logging of argv and
config first, user errors printed without a traceback and a non-zero exit."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PkdError

if TYPE_CHECKING:
    from kaldifst import StdVectorFst

    from .data import DataDir
    from .gmm.iter_files import IterFiles
    from .gmm.system import GmmSystem, IterState
    from .gmm.triphone import TriConfig
    from .lang import Lang


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def log_stats(stats: object) -> None:
    """A trainer's per-iteration callback: the iteration's statistics on the console."""
    log(str(stats))


def log_config(config: object) -> None:
    """Print a dataclass config as JSON (the resolved values a run used)."""
    if dataclasses.is_dataclass(config):
        log("config: " + json.dumps(dataclasses.asdict(config), default=str, sort_keys=True))


def run(main: Callable[[argparse.Namespace], None], parser: argparse.ArgumentParser,
        argv: Sequence[str] | None = None, quiet: bool = False) -> int:
    """Parse argv, log it (unless `quiet`: a filter in a pipe run once per file), call
    `main`; map PkdError to exit 1 with a one-line message."""
    args = parser.parse_args(argv)
    prog = parser.prog
    if not quiet:
        log(f"# {prog} " + " ".join(sys.argv[1:] if argv is None else list(argv)))
    try:
        main(args)
    except PkdError as err:
        log(f"ERROR ({prog}): {users_paths(str(err))}")
        return 1
    except OSError as err:  # a read-only dir, a full disk: the system's words and the file
        where = err.filename or "(no file named)"
        log(f"ERROR ({prog}): {users_paths(str(where))}: {err.strerror or err} (fix: check "
            "that the directory is writable and the disk has space)")
        return 1
    return 0


def positive_int(value: str) -> int:
    """An argparse type: an integer >= 1."""
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def probability_mass(value: str) -> float:
    """An argparse type: a probability mass in (0, 1]."""
    p = float(value)
    if not 0.0 < p <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return p


def add_stage_argument(p: argparse.ArgumentParser) -> None:
    """A GMM trainer's --stage (Kaldi's): resume at an iteration from its saved files."""
    p.add_argument("--stage", type=int, default=-1,
                   help="resume at iteration N from <exp-dir>/iters/N.mdl and the state saved "
                   "with it (default: from the start)")


def iteration_files(exp_dir: Path, stage: int, num_iters: int
                    ) -> tuple[IterFiles, IterState | None]:
    """A GMM trainer's iteration files and, with --stage N, the state it resumes from."""
    from .gmm.iter_files import resume_state

    files, resume = resume_state(exp_dir, stage, num_iters)
    if resume is not None:
        log(f"resuming at iteration {stage} from {files.dir / f'{stage}.mdl'}")
    return files, resume


def add_tree_trainer_arguments(p: argparse.ArgumentParser, d: TriConfig) -> None:
    """The options and arguments of the trainers that build a tree from an alignment dir
    (train_deltas, train_lda_mllt, train_sat); defaults from their config."""
    add_stage_argument(p)
    p.add_argument("--num-leaves", type=int, default=d.num_leaves)
    p.add_argument("--totgauss", type=int, default=d.totgauss)
    p.add_argument("--num-iters", type=int, default=d.num_iters)
    p.add_argument("--boost-silence", type=float, default=d.boost_silence)
    p.add_argument("--seed", type=int, default=d.seed,
                   help="seed of the Gaussian splitting (mixing up)")
    p.add_argument("--cmvn-opts", default="",
                   help="apply-cmvn options, e.g. '--norm-vars=true' (default: the ali dir's "
                   "cmvn_opts, as Kaldi's steps/train_deltas.sh)")
    for name in ["data_dir", "lang_dir", "ali_dir", "exp_dir"]:
        p.add_argument(name, type=Path)


SPLIT_PART = re.compile(r"/split\d+(?:utt)?/\d+/")


def users_paths(message: str) -> str:
    """A job reads its share of a data dir, `<data>/split<N>[utt]/<n>/<file>`, whose lines are
    the user's `<data>/<file>`: name the file the user made and can fix."""
    return SPLIT_PART.sub("/", message)


def training_graphs(lang: Lang, data: DataDir) -> Callable[[GmmSystem, str], StdVectorFst]:
    """The training-graph compiler of a data dir's transcripts; words missing from the
    lang train as its OOV word (as in Kaldi), and how many is said on the console."""
    from .gmm.system import transcript_graph_compiler
    from .lang import transcript_ids

    transcripts = transcript_ids(lang, data.text, data.path / "text")
    if transcripts.oov_tokens:
        log(f"{data.path / 'text'}: {transcripts.oov_share()} are not in "
            f"{lang.path / 'words.txt'}; they train as {lang.oov_word}")
    return transcript_graph_compiler(lang, transcripts)
