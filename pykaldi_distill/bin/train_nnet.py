"""Train a hybrid acoustic model (BLSTM teacher or spliced DNN student) — the drop-in for
Kaldi's nnet training step:

  train_nnet.py --model dnn [options] <data-dir> <targets-dir> <exp-dir>

<targets-dir> is either an alignment dir (ali.*.gz + final.mdl + tree, e.g. exp/mono_ali or a
real Kaldi exp/tri3_ali): hard pdf targets, cross-entropy; or a soft-target dir written by
make_soft_targets (targets.scp + final.mdl + tree): KL divergence to the teacher's posteriors.
Writes <exp-dir>/{final.pt, epoch-N.pt, history.json, config.json, final.mdl, tree,
ali_train_pdf.counts, cmvn_opts, feat_type, <type>.conf, valid_uttlist (the held-out cv
utterances, as Kaldi nnet3 egs dirs list them)}.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from ..cli import log, log_config, run
from ..data import load_data_dir
from ..errors import InputError, PkdError
from ..expdir import copy_feature_config, feat_type, write_pipeline
from ..features import FeaturePipeline, check_feature_dim, load_features, parse_cmvn_opts
from ..fingerprint import changed_files, identities
from ..formats.io import TopkPosteriors, load_scp, read_topk_posteriors, write_text_atomic
from ..nnet.checkpoint import build_model
from ..nnet.chunking import ChunkConfig
from ..nnet.data import CV_SPLIT, ChunkDataset, CvSplit, FrameDataset, split_train_cv
from ..nnet.distributed import init_world
from ..nnet.hybrid import HmmInfo, load_hmm_info, pdf_alignments, write_pdf_counts
from ..nnet.infer import compute_pdf_counts
from ..nnet.student import DnnConfig, count_params, mflops_per_frame
from ..nnet.teacher import BlstmConfig
from ..nnet.train import (
    EpochStats,
    TeacherTrainConfig,
    TrainConfig,
    check_resumable,
    saved_inputs,
    train,
)

_CHUNK_OPTIONS = ("chunk_width", "chunk_left_context", "chunk_right_context")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train_nnet", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["blstm", "dnn"], required=True)
    # Model and training options default to None: the model's config (BlstmConfig /
    # DnnConfig) and its trainer's (TeacherTrainConfig / TrainConfig) hold the defaults.
    teacher, student = BlstmConfig(1, 1), DnnConfig(1, 1)  # for their defaults
    p.add_argument("--hidden", type=int, default=None, help="units per layer (per direction "
                   f"for the BLSTM); default {teacher.hidden} (blstm) / {student.hidden} (dnn)")
    p.add_argument("--num-layers", type=int, default=None,
                   help=f"default {teacher.num_layers} (blstm) / {student.num_layers} (dnn)")
    p.add_argument("--context", type=int, default=None,
                   help=f"dnn: frames spliced on each side (default {student.context})")
    p.add_argument("--projection", type=int, default=None, help="blstm: recurrent projection")
    p.add_argument("--dnn-dim", type=int, default=None,
                   help=f"blstm: width of its DNN layers (default {teacher.dnn_dim})")
    p.add_argument("--dropout", type=float, default=None,
                   help=f"default {teacher.dropout} (blstm) / {student.dropout} (dnn)")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="soft targets: p_T ∝ p^(1/T), applied at training time")
    p.add_argument("--hard-weight", type=float, default=0.0,
                   help="soft targets: weight of the hard CE (needs --hard-ali-dir)")
    p.add_argument("--hard-ali-dir", type=Path, default=None)
    p.add_argument("--soft-topk", type=int, default=None,
                   help="keep only the k largest posteriors per frame in memory")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--final-lr", type=float, default=None,
                   help="decay the learning rate exponentially to this over --max-epochs, "
                   "keeping every epoch (Kaldi nnet3's schedule); default: newbob halving")
    p.add_argument("--batch-size", type=int, default=None, help="frames (dnn, default "
                   f"{TrainConfig.batch_size}) or chunks (blstm, default "
                   f"{TeacherTrainConfig.batch_size})")
    chunk = ChunkConfig()
    p.add_argument("--chunk-width", type=int, default=None, help="blstm: frames per training "
                   f"chunk that carry the loss (default {chunk.chunk_width})")
    p.add_argument("--chunk-left-context", type=int, default=None, help="blstm: frames of "
                   f"context before each chunk, without loss (default {chunk.chunk_left_context})")
    p.add_argument("--chunk-right-context", type=int, default=None, help="blstm: frames of "
                   f"context after each chunk (default {chunk.chunk_right_context})")
    p.add_argument("--max-epochs", type=int, default=None, help="default "
                   f"{TeacherTrainConfig.max_epochs} (blstm) / {TrainConfig.max_epochs} (dnn)")
    p.add_argument("--min-epochs", type=int, default=0)
    p.add_argument("--cv-fraction", type=float, default=0.1)
    p.add_argument("--max-missing", type=float, default=0.1,
                   help="largest fraction of utterances without targets that training accepts")
    p.add_argument("--cmvn-opts", default="--norm-means=true --norm-vars=false",
                   help="apply-cmvn options on the data dir's per-speaker stats (a streaming "
                        "student: \"--norm-means=false\", the network's own global "
                        "normalisation only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-threads", type=int, default=2,
                   help="torch threads of this process (under torchrun: of each process)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: train on the GPU (under torchrun: each process on its own)")
    p.add_argument("data_dir", type=Path)
    p.add_argument("targets_dir", type=Path)
    p.add_argument("exp_dir", type=Path)
    return p


def given(args: argparse.Namespace, config_class: type) -> dict[str, object]:
    """The options given on the command line that are fields of `config_class`."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(config_class)
            if getattr(args, f.name, None) is not None}


def model_config(args: argparse.Namespace, input_dim: int, num_pdfs: int
                 ) -> BlstmConfig | DnnConfig:
    """The model's config: its dataclass's defaults, with the options given."""
    config_class = BlstmConfig if args.model == "blstm" else DnnConfig
    options = given(args, config_class)
    options.update(input_dim=input_dim, num_pdfs=num_pdfs)
    return config_class(**options)


def chunk_config(args: argparse.Namespace) -> ChunkConfig:
    """The blstm's training chunks: the options given, ChunkConfig's defaults otherwise."""
    given = {name: getattr(args, name) for name in _CHUNK_OPTIONS
             if getattr(args, name) is not None}
    try:
        return ChunkConfig(**given)
    except ValueError as err:
        raise PkdError(f"--chunk-width/--chunk-left-context/--chunk-right-context: {err}") \
            from None


def train_config(args: argparse.Namespace, targets_kind: str) -> TrainConfig:
    """The trainer's config (TeacherTrainConfig for the BLSTM), with the options given."""
    config_class = TeacherTrainConfig if args.model == "blstm" else TrainConfig
    options = given(args, config_class)
    options["loss"] = "ce" if targets_kind == "hard" else "kl"
    return config_class(**options)


def cv_split_method(exp_dir: Path) -> CvSplit:
    """The split a resumed run was started with (config.json; none recorded: a run from
    before 2026-11-29, which permuted), so continuing it keeps its cv set; else CV_SPLIT."""
    config = exp_dir / "config.json"
    if not config.is_file() or not list(exp_dir.glob("epoch-*.pt")):
        return CV_SPLIT
    try:
        return json.loads(config.read_text()).get("cv_split", "permutation")
    except (json.JSONDecodeError, AttributeError) as err:
        raise InputError(config, f"not a resolved training config: {err}",
                         "train into a fresh directory") from err


def resolve_config(args: argparse.Namespace, targets_kind: str,
                   config: BlstmConfig | DnnConfig, tconfig: TrainConfig,
                   pipeline: FeaturePipeline) -> dict[str, object]:
    """Everything the run was trained with, as written to config.json."""
    resolved: dict[str, object] = {
        "model_kind": args.model, "model": dataclasses.asdict(config),
        "train": dataclasses.asdict(tconfig), "targets": str(args.targets_dir),
        "targets_kind": targets_kind, "data": str(args.data_dir),
        "cmvn_opts": pipeline.cmvn_opts(), "cv_fraction": args.cv_fraction,
        "cv_split": cv_split_method(args.exp_dir)}
    if args.model == "blstm":
        resolved["chunk"] = dataclasses.asdict(chunk_config(args))
    return resolved


def load_targets(targets_dir: Path, hmm: HmmInfo, soft_topk: int | None = None
                 ) -> tuple[str, Mapping[str, np.ndarray | TopkPosteriors], Path]:
    """("hard", utt -> (frames,) pdf ids) or ("soft", utt -> (frames, pdfs) posteriors or
    their top-k), and the file or dir read. A make_soft_targets dir's top-k post.scp is read
    when it holds the --soft-topk asked for (or the dense targets.scp is absent), else
    targets.scp."""
    dense, post = targets_dir / "targets.scp", targets_dir / "post.scp"
    if post.is_file() and (soft_topk is not None or not dense.is_file()):
        targets, width = read_topk_targets(post)
        if soft_topk is None or soft_topk <= width:
            return "soft", targets, post
        if not dense.is_file():
            raise InputError(post, f"holds the top {width} posteriors of a frame, "
                             f"--soft-topk asks for {soft_topk}", "make the soft targets "
                             f"with --topk {soft_topk}, or keep their targets.scp")
    if dense.is_file():
        targets = load_scp(dense)
        first = next(iter(targets.keys()), None)
        if first is None:
            raise InputError(dense, "is empty")
        cols = np.asarray(targets[first]).shape[1]
        if cols != hmm.num_pdfs:
            raise InputError(dense, f"targets have {cols} columns but {hmm.source}/final.mdl "
                             f"has {hmm.num_pdfs} pdfs", "make the targets with a teacher "
                             "trained on alignments of the same tree")
        return "soft", targets, dense
    return "hard", dict(pdf_alignments(targets_dir, hmm)), targets_dir


def read_topk_targets(post: Path) -> tuple[dict[str, TopkPosteriors], int]:
    """A post.scp's Posteriors and the most entries a frame has."""
    targets = dict(read_topk_posteriors(post))
    if not targets:
        raise InputError(post, "is empty")
    return targets, max(t.ids.shape[1] for t in targets.values())


def check_coverage(missing: list[str], total: int, args: argparse.Namespace,
                   source: str) -> None:
    """Utterances of the data dir without targets (an aligner gives up on a few) are counted
    on the console and named in <exp>/utts_without_targets; more than --max-missing of them
    stops training, as they point at a wrong or incomplete targets dir."""
    listing = args.exp_dir / "utts_without_targets"
    if not missing:
        listing.unlink(missing_ok=True)
        return
    args.exp_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(listing, "".join(u + "\n" for u in missing))
    log(f"{len(missing)} of {total} utterances have no targets in {source} and are left out "
        f"(listed in {listing})")
    if len(missing) > args.max_missing * total:
        raise InputError(source, f"{len(missing)} of {total} utterances of the data dir have "
                         f"no targets (more than --max-missing={args.max_missing}); the first: "
                         f"{missing[0]}", "re-make the targets from this data dir, or check "
                         "that both use the same utterance ids")


def make_datasets(args: argparse.Namespace, feats: dict[str, np.ndarray],
                  targets: Mapping[str, np.ndarray], hard: Mapping[str, np.ndarray] | None,
                  num_pdfs: int, source: str, cv_split: CvSplit,
                  model: BlstmConfig | DnnConfig) -> tuple[object, object]:
    utts = sorted(u for u in feats if u in targets)
    check_coverage(sorted(set(feats) - set(utts)), len(feats), args, source)
    if len(utts) < 2:
        raise InputError(source, f"only {len(utts)} utterances have targets",
                         "check that the data dir and targets use the same utterance ids")
    tr, cv = split_train_cv(utts, args.cv_fraction, args.seed, cv_split)
    common = dict(hard_targets=hard, num_pdfs=num_pdfs, soft_topk=args.soft_topk, source=source)
    if args.model == "blstm":  # cv in the same chunks: its accuracy is measured as trained
        chunk = chunk_config(args)
        return (ChunkDataset(feats, targets, chunk=chunk, utts=tr, **common),
                ChunkDataset(feats, targets, chunk=chunk, utts=cv, **common))
    context = model.context  # type: ignore[union-attr]  # the student's splice
    return (FrameDataset(feats, targets, context=context, utts=tr, **common),
            FrameDataset(feats, targets, context=context, utts=cv, **common))


def training_inputs(data_dir: Path, targets_dir: Path, hard_ali_dir: Path | None) -> list:
    """Identities of the files a training run reads: resuming on other ones would mix two
    problems (and another cv set) in one model."""
    names = ["final.mdl", "tree", "num_jobs", "targets.scp", "post.scp"]
    paths = [data_dir / n for n in ["feats.scp", "cmvn.scp", "utt2spk"]]
    paths += [targets_dir / n for n in names]
    if hard_ali_dir is not None:
        paths += [hard_ali_dir / n for n in names]
    return identities(paths)


def resume_or_restart(exp: Path, inputs: list, model: torch.nn.Module, tconfig: TrainConfig,
                      train_set: object) -> bool:
    """True: continue the saved epochs in `exp` (their settings are checked here, before
    anything is written). False: they were trained on other inputs, so start over."""
    old = saved_inputs(exp)
    if old is not None and old != inputs:
        log(f"{exp}: its saved epochs were trained on other inputs (changed: "
            f"{', '.join(changed_files(old, inputs))}); starting over")
        return False
    check_resumable(exp, model, tconfig, train_set)
    return True


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def progress_printer() -> object:
    """Minibatch progress with the epoch's remaining time, every 30 s."""
    last = [0.0, 0.0]  # time of the last line, start of the epoch

    def on_progress(epoch: int, done: int, total: int, fps: float, loss: float) -> None:
        now = time.monotonic()
        if done == 1:
            last[1] = now
        if done == total or now - last[0] > 30:
            last[0] = now
            left = (now - last[1]) / done * (total - done)
            log(f"epoch {epoch} [{done}/{total}] {fps:.0f} frames/s loss {loss:.4f}, "
                f"{minutes(left)} left in this epoch")

    return on_progress


def epoch_printer(max_epochs: int) -> object:
    """One line per finished epoch: cv accuracy, learning rate and the time the remaining
    epochs take at this pace (newbob may stop sooner)."""
    def on_epoch(e: EpochStats) -> None:
        left = e.seconds * (max_epochs - e.epoch)
        log(f"epoch {e.epoch}/{max_epochs}: lr {e.lr:.2e} train loss {e.train_loss:.4f} | cv "
            f"loss {e.cv_loss:.4f} acc {e.cv_acc:.4f} {'accepted' if e.accepted else 'rejected'}"
            f", {minutes(e.seconds)}; at most {minutes(left)} to go")

    return on_epoch


def check_options(args: argparse.Namespace) -> None:
    """Numbers out of range fail before any data is read, naming the option (not as a
    traceback from a config class, or a misleading error later)."""
    at_least_1 = ["num_threads"] + [
        name for name in ("hidden", "num_layers", "batch_size", "projection", "soft_topk",
                          "max_epochs", "dnn_dim") if getattr(args, name) is not None]
    rules = [(name, ">= 1", getattr(args, name) >= 1) for name in at_least_1] + [
        ("min_epochs", ">= 0", args.min_epochs >= 0),
        ("context", ">= 0", args.context is None or args.context >= 0),
        ("lr", "> 0", args.lr > 0),
        ("temperature", "> 0", args.temperature > 0),
        ("hard_weight", "in [0, 1]", 0 <= args.hard_weight <= 1),
        ("dropout", "in [0, 1)", args.dropout is None or 0 <= args.dropout < 1),
        ("max_missing", "in [0, 1]", 0 <= args.max_missing <= 1),
        # cv decides the learning rate and the best epoch: training needs held-out utterances
        ("cv_fraction", "in (0, 1)", 0 < args.cv_fraction < 1)]
    for name, rule, ok in rules:
        if not ok:
            option = "--" + name.replace("_", "-")
            raise PkdError(f"{option} must be {rule}, got {getattr(args, name)}")
    chunk_config(args)
    if args.final_lr is not None and not 0 < args.final_lr <= args.lr:
        raise PkdError(f"--final-lr must be in (0, --lr={args.lr}], got {args.final_lr}")


def main_args(args: argparse.Namespace) -> None:
    check_options(args)
    torch.set_num_threads(args.num_threads)
    world = init_world(args.device)
    if world.distributed:
        log(f"process {world.rank} of {world.size} (torch.distributed, "
            f"{torch.distributed.get_backend()})")
    data = load_data_dir(args.data_dir)
    hmm = load_hmm_info(args.targets_dir)
    kind, targets, source = load_targets(args.targets_dir, hmm, args.soft_topk)
    log(f"{kind} targets from {source}")
    hard = dict(pdf_alignments(args.hard_ali_dir, hmm)) if args.hard_ali_dir else None
    if kind == "hard" and (args.hard_weight or args.temperature != 1.0):
        raise PkdError("--temperature/--hard-weight apply to soft targets; "
                       f"{args.targets_dir} holds alignments")
    if args.hard_weight and hard is None:
        raise PkdError("--hard-weight needs --hard-ali-dir with the hard alignments")
    norm_means, norm_vars = parse_cmvn_opts(args.cmvn_opts)
    pipeline = FeaturePipeline(norm_means=norm_means, norm_vars=norm_vars)
    feats = dict(load_features(data, pipeline))
    input_dim = next(iter(feats.values())).shape[1]
    for x in feats.values():
        check_feature_dim(x, input_dim, data.path / "feats.scp")
    config = model_config(args, input_dim, hmm.num_pdfs)
    tconfig = train_config(args, kind)
    resolved = resolve_config(args, kind, config, tconfig, pipeline)
    log("config: " + json.dumps(resolved, sort_keys=True))
    log_config(config)
    train_set, cv_set = make_datasets(args, feats, targets, hard, hmm.num_pdfs, str(source),
                                      resolved["cv_split"], config)
    torch.manual_seed(args.seed)
    model = build_model(args.model, dataclasses.asdict(config))
    log(f"{args.model}: {count_params(model)} parameters, "
        f"{mflops_per_frame(config):.2f} MFLOPs/frame; {train_set.num_frames} train frames, "
        f"{cv_set.num_frames} cv frames")
    exp = args.exp_dir
    inputs = training_inputs(data.path, args.targets_dir, args.hard_ali_dir)
    inputs.append(["--cmvn-opts", pipeline.cmvn_opts(), 0])  # other features: another problem
    resume = resume_or_restart(exp, inputs, model, tconfig, train_set)
    if world.is_main:
        exp.mkdir(parents=True, exist_ok=True)
        for name in ["final.mdl", "tree"]:
            shutil.copyfile(args.targets_dir / name, exp / name)
        counts = compute_pdf_counts((targets[u] for u in train_set.utts), hmm.num_pdfs)
        write_pdf_counts(exp / "ali_train_pdf.counts", counts)
        write_pipeline(exp, pipeline)
        copy_feature_config(data.path, exp)
        write_text_atomic(exp / "config.json",
                          json.dumps(resolved, indent=1, sort_keys=True) + "\n")
        write_text_atomic(exp / "valid_uttlist", "".join(u + "\n" for u in cv_set.utts))
    history = train(model, train_set, cv_set, tconfig, exp, resume=resume,
                    on_progress=progress_printer(), on_epoch=epoch_printer(tconfig.max_epochs),
                    extra={"feat_type": feat_type(data.path) or "unknown",
                           "cmvn_opts": pipeline.cmvn_opts(), "inputs": inputs}, world=world)
    best = history.epochs[history.best_epoch]
    log(f"best epoch {history.best_epoch} ({history.stop_reason}): cv acc {best.cv_acc:.4f}; "
        "every epoch's numbers are in history.json")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
