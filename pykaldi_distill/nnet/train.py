"""Frame-level training with a Kaldi nnet1-style "newbob" learning-rate schedule, or
nnet3's exponentially decaying one.

Objectives (per frame, averaged over real frames):
  ce: cross-entropy against hard pdf targets.
  kl: T^2 * KL(p_T || softmax(student/T)) against the teacher's soft targets, where p_T is
      computed from the *stored posteriors* as p^(1/T) renormalised (== softmax(logits/T),
      see pykaldi_distill.nnet.distill); optionally interpolated with hard CE:
      (1 - hard_weight) * KL_T + hard_weight * CE_hard.
Frame accuracy: argmax vs hard target (ce), argmax agreement with the teacher (kl).

Schedule (nnet1 train_scheduler.sh, with cv frame accuracy as the default criterion):
  * cv is evaluated before training (epoch 0); each epoch is accepted if its cv criterion
    beats the best so far (or epoch <= min_epochs / keep_lr_epochs), otherwise rejected and
    the model and optimizer state revert to the best epoch;
  * impr = best_after - best_before (acc, absolute) or relative loss decrease (loss);
    zero after a rejection;
  * once halving has started and impr < end_halving_impr: stop (not before min_epochs);
  * if impr < start_halving_impr: halving starts; while halving, lr *= halving_factor.
With final_lr set (nnet3's train_dnn.py / train_rnn.py schedule instead): the learning
rate decays exponentially, update by update, from lr to final_lr over max_epochs epochs;
every epoch is kept (no rejection, no halving, no early stop) and final.pt is the epoch best
on cv.
Files in out_dir: epoch-N.pt (weights after epoch N, optimizer and scheduler state; epoch-0
is the initial model), final.pt (the best epoch), history.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError, PkdError
from ..formats.io import write_text_atomic
from .checkpoint import load_checkpoint, model_kind, save_checkpoint
from .chunking import DEFAULT_CHUNKS_PER_BATCH
from .data import Batch, ChunkDataset, FrameDataset
from .distill import kl_divergence
from .distributed import (
    ALONE,
    World,
    barrier,
    shard,
    share_buffers,
    sum_gradients,
    sum_over_world,
)
from .student import Dnn
from .teacher import Blstm

Dataset = ChunkDataset | FrameDataset
ProgressFn = Callable[[int, int, int, float, float], None]  # epoch, batch, batches, fps, loss
EpochFn = Callable[["EpochStats"], None]  # after each epoch (and its checkpoint)
# (epoch, batches done, total batches, frames/s, running mean loss)

# Fields that may change between runs sharing an out_dir (they only extend the schedule).
_RESUMABLE_CHANGES = {"max_epochs", "min_epochs", "end_halving_impr"}


@dataclass
class TrainConfig:
    loss: Literal["ce", "kl"] = "ce"
    temperature: float = 1.0  # kl only
    hard_weight: float = 0.0  # kl only: weight of hard CE in the interpolation
    lr: float = 1e-3
    final_lr: float | None = None  # set: decay lr -> final_lr over max_epochs (nnet3)
    optimizer: Literal["adam", "sgd"] = "adam"  # adam = AdamW (decoupled weight decay)
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0  # sgd: L2 penalty; adam: decoupled weight decay
    batch_size: int = 256  # frames (FrameDataset) or chunks (ChunkDataset: see
    # TeacherTrainConfig)
    max_epochs: int = 20
    min_epochs: int = 0
    keep_lr_epochs: int = 0
    criterion: Literal["acc", "loss"] = "acc"
    start_halving_impr: float = 0.01  # acc: absolute (fraction); loss: relative
    end_halving_impr: float = 0.001
    halving_factor: float = 0.5
    max_grad_norm: float | None = 10.0
    init_input_norm: bool = True  # set the model's InputNorm from train-set stats (fresh runs)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in ("ce", "kl"):
            raise ValueError(f"TrainConfig.loss: unknown '{self.loss}'")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"TrainConfig.optimizer: unknown '{self.optimizer}'")
        if self.criterion not in ("acc", "loss"):
            raise ValueError(f"TrainConfig.criterion: unknown '{self.criterion}'")
        if not self.temperature > 0:
            raise ValueError("TrainConfig.temperature must be > 0")
        if not 0.0 <= self.hard_weight <= 1.0:
            raise ValueError("TrainConfig.hard_weight must be in [0, 1]")
        if self.lr <= 0 or self.batch_size < 1 or self.max_epochs < 0:
            raise ValueError("TrainConfig: lr, batch_size must be positive, max_epochs >= 0")
        if not 0 < self.halving_factor < 1:
            raise ValueError("TrainConfig.halving_factor must be in (0, 1)")
        if self.final_lr is not None and not 0 < self.final_lr <= self.lr:
            raise ValueError("TrainConfig.final_lr must be in (0, lr]")

    def lr_at(self, progress: float) -> float:
        """The decaying schedule's learning rate after `progress` epochs (0..max_epochs)."""
        assert self.final_lr is not None
        return self.lr * (self.final_lr / self.lr) ** (progress / max(self.max_epochs, 1))

    def resumable_changes(self) -> set[str]:
        """Fields that may change between runs sharing an out_dir (they only extend the
        schedule; a decaying schedule's length is part of its shape)."""
        if self.final_lr is None:
            return _RESUMABLE_CHANGES
        return _RESUMABLE_CHANGES - {"max_epochs"}


@dataclass
class TeacherTrainConfig(TrainConfig):
    """The BLSTM teacher's training defaults (local/train_teacher.sh): batches of
    DEFAULT_CHUNKS_PER_BATCH chunks, 15 epochs."""

    batch_size: int = DEFAULT_CHUNKS_PER_BATCH
    max_epochs: int = 15


@dataclass
class EvalStats:
    loss: float  # objective per frame
    acc: float  # frame accuracy (hard) or argmax agreement with the teacher (kl)
    hard_acc: float | None  # accuracy vs hard targets when the data has them
    frames: int


@dataclass
class EpochStats:
    epoch: int
    lr: float  # learning rate used in this epoch (0 for epoch 0)
    train_loss: float | None
    train_acc: float | None
    cv_loss: float
    cv_acc: float
    cv_hard_acc: float | None
    frames_per_sec: float | None  # training throughput
    seconds: float  # wall time of train + cv
    accepted: bool


@dataclass
class TrainHistory:
    epochs: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = ""  # "converged" (newbob), "max_epochs", or "" while running

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainHistory:
        return cls([EpochStats(**e) for e in d["epochs"]], d["best_epoch"], d["stop_reason"])


@dataclass
class Newbob:
    """nnet1 train_scheduler.sh logic; `update` is called once per finished epoch."""

    lr: float
    best_metric: float
    best_epoch: int = 0
    halving: bool = False
    stopped: bool = False

    def update(self, epoch: int, metric: float, config: TrainConfig) -> bool:
        """Record the cv criterion of `epoch`; returns whether the epoch is accepted."""
        prev_best = self.best_metric
        if config.final_lr is not None:  # decaying schedule: keep every epoch, track the best
            if _better(metric, prev_best, config.criterion):
                self.best_metric, self.best_epoch = metric, epoch
            self.lr = config.lr_at(epoch)
            return True
        accepted = (_better(metric, prev_best, config.criterion) or epoch <= config.min_epochs
                    or epoch <= config.keep_lr_epochs)
        if accepted:
            self.best_metric, self.best_epoch = metric, epoch
        if epoch <= config.keep_lr_epochs:
            return accepted
        impr = _improvement(prev_best, self.best_metric, config.criterion)
        if self.halving and impr < config.end_halving_impr:
            if epoch > config.min_epochs:
                self.stopped = True
            return accepted
        if impr < config.start_halving_impr:
            self.halving = True
        if self.halving:
            self.lr *= config.halving_factor
        return accepted


def _better(metric: float, best: float, criterion: str) -> bool:
    return metric > best if criterion == "acc" else metric < best


def _improvement(prev: float, new: float, criterion: str) -> float:
    if criterion == "acc":
        return new - prev
    return (prev - new) / prev if prev > 0 else prev - new


# -- objective --------------------------------------------------------------------------------
def _flatten(model: nn.Module, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None,
                                                       torch.Tensor | None]:
    """-> logits (N, pdfs), hard (N,) | None, soft (N, pdfs) | None over frames with loss."""
    if batch.loss_mask is None:
        return model.forward_spliced(batch.x), batch.hard, batch.soft  # type: ignore[operator]
    mask = batch.loss_mask  # (B, W)
    logits = model.forward_chunks(batch.x, batch.left_context,  # type: ignore[operator]
                                  mask.shape[1])  # (B, W, pdfs)
    hard, soft = batch.hard, batch.soft
    if bool(mask.all()):  # the common case: no overlapped or missing frames
        return (logits.flatten(0, 1), None if hard is None else hard.flatten(),
                None if soft is None else soft.flatten(0, 1))
    return (logits[mask], None if hard is None else hard[mask],
            None if soft is None else soft[mask])


def _objective(logits: torch.Tensor, hard: torch.Tensor | None, soft: torch.Tensor | None,
               config: TrainConfig) -> tuple[torch.Tensor, int, int | None]:
    """-> (summed loss over frames, #correct, #correct vs hard targets or None)."""
    pred = logits.detach().argmax(dim=-1)  # (N,)
    hard_correct = int((pred == hard).sum()) if hard is not None else None
    if config.loss == "ce":
        assert hard is not None
        return F.cross_entropy(logits, hard, reduction="sum"), hard_correct or 0, hard_correct
    assert soft is not None
    loss = kl_divergence(logits, soft, config.temperature, reduction="sum")
    if config.hard_weight > 0:
        assert hard is not None
        ce = F.cross_entropy(logits, hard, reduction="sum")
        loss = (1.0 - config.hard_weight) * loss + config.hard_weight * ce
    correct = int((pred == soft.argmax(dim=-1)).sum())
    return loss, correct, hard_correct


def evaluate(model: nn.Module, dataset: Dataset, config: TrainConfig,
             world: World = ALONE) -> EvalStats:
    """Objective and accuracy on `dataset` in eval mode (no shuffling, no grad); with
    several processes each evaluates every world.size-th minibatch and the sums are shared."""
    was_training = model.training
    model.eval()
    loss_sum, correct, hard_correct, frames = 0.0, 0, 0, 0
    with torch.inference_mode():
        for i, batch in enumerate(dataset.iter_batches(config.batch_size * 4)):
            if i % world.size != world.rank:
                continue
            loss, c, hc = _objective(*_flatten(model, batch.to(world.device)), config)
            loss_sum += float(loss)
            correct += c
            hard_correct += hc or 0
            frames += batch.num_frames
    model.train(was_training)
    loss_sum, correct, hard_correct, frames = sum_over_world(
        [loss_sum, correct, hard_correct, frames], world)
    frames = max(frames, 1)
    hard_acc = hard_correct / frames if dataset.has_hard else None
    return EvalStats(loss_sum / frames, correct / frames, hard_acc, frames)


def train_step(model: nn.Module, batch: Batch, config: TrainConfig,
               optimizer: torch.optim.Optimizer, world: World = ALONE
               ) -> tuple[float, int, int, float]:
    """One update on `batch` (model in train mode), split between the processes when there
    are several (nnet.distributed): each computes the gradient of its share, the shares are
    summed and divided by the minibatch's frames, so the update is one process's. Returns
    this process's (summed loss, #correct frames, frames) of its share and the summed loss
    of the whole minibatch (the same in every process)."""
    part = batch.rows(shard(batch.x.shape[0], world)).to(world.device)
    optimizer.zero_grad(set_to_none=True)
    loss_sum, correct = 0.0, 0
    used = part.num_frames > 1 or (part.num_frames == 1 and not _has_batchnorm(model))
    if used:  # BatchNorm cannot train on a single frame
        loss, correct, _ = _objective(*_flatten(model, part), config)
        loss.backward()
        loss_sum = float(loss.detach())
    world_loss = sum_gradients(model, world, loss_sum)
    for param in model.parameters():
        if param.grad is not None:
            param.grad /= batch.num_frames
    if config.max_grad_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    optimizer.step()
    return loss_sum, correct, part.num_frames if used else 0, world_loss


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _train_epoch(model: nn.Module, dataset: Dataset, config: TrainConfig,
                 optimizer: torch.optim.Optimizer, epoch: int,
                 on_progress: ProgressFn | None, world: World = ALONE
                 ) -> tuple[float, float, float]:
    """One pass over shuffled training data -> (loss/frame, accuracy, frames/s)."""
    model.train()
    rng = np.random.default_rng([config.seed, epoch])  # the same minibatches in every process
    total = dataset.num_batches(config.batch_size)
    loss_sum, correct, frames = 0.0, 0, 0
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed * 100_003 + epoch + 7_919 * world.rank)  # dropout masks
        for i, batch in enumerate(dataset.iter_batches(config.batch_size, rng), 1):
            if batch.num_frames < 2:  # BatchNorm cannot train on a single frame
                continue
            if config.final_lr is not None:
                _set_lr(optimizer, config.lr_at(epoch - 1 + (i - 1) / total))
            loss, c, n, world_loss = train_step(model, batch, config, optimizer, world)
            if not np.isfinite(world_loss):  # the same in every process: all stop together
                raise PkdError(f"epoch {epoch}, minibatch {i} of {total}: the training loss is "
                               f"{loss} (fix: check the inputs for extreme values, or lower "
                               f"--lr={config.lr})")
            loss_sum += loss
            correct += c
            frames += n
            if on_progress is not None:
                fps = frames * world.size / max(time.perf_counter() - start, 1e-9)
                on_progress(epoch, i, total, fps, loss_sum / max(frames, 1))
    share_buffers(model, world)
    loss_sum, correct, frames = sum_over_world([loss_sum, correct, frames], world)
    fps = frames / max(time.perf_counter() - start, 1e-9)
    frames = max(frames, 1)
    return loss_sum / frames, correct / frames, fps


# -- setup / checks -------------------------------------------------------------------------
def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.AdamW(model.parameters(), lr=config.lr,
                                 weight_decay=config.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                           weight_decay=config.weight_decay)


def _check_data(model: nn.Module, dataset: Dataset, config: TrainConfig, name: str) -> None:
    cfg = model.config  # type: ignore[attr-defined]
    if dataset.feat_dim != cfg.input_dim:
        raise ValueError(f"{name}: feature dim {dataset.feat_dim} != model input_dim "
                         f"{cfg.input_dim}")
    if isinstance(dataset, FrameDataset) and (
            not isinstance(model, Dnn) or dataset.context != cfg.context):
        raise ValueError(f"{name}: a FrameDataset needs a Dnn with the same context")
    if isinstance(dataset, ChunkDataset) and not isinstance(model, Blstm):
        raise ValueError(f"{name}: a ChunkDataset needs a Blstm")
    if config.loss == "ce" and not dataset.has_hard:
        raise ValueError(f"{name}: loss 'ce' needs hard targets")
    if config.loss == "kl" and not dataset.has_soft:
        raise ValueError(f"{name}: loss 'kl' needs soft targets")
    if config.loss == "kl" and config.hard_weight > 0 and not dataset.has_hard:
        raise ValueError(f"{name}: hard_weight > 0 needs hard_targets as well")
    if dataset.has_soft and dataset.num_pdfs != cfg.num_pdfs:
        raise InputError(dataset.source, f"soft targets have {dataset.num_pdfs} pdfs, the "
                         f"model {cfg.num_pdfs}", "use targets from the same tree")
    max_id = int(dataset.hard.max()) if dataset.hard is not None else -1
    if max_id >= cfg.num_pdfs:
        raise InputError(dataset.source, f"pdf ids reach {max_id}, the model has "
                         f"{cfg.num_pdfs} outputs", "use targets from the same tree")


def _metric(stats: EvalStats, config: TrainConfig) -> float:
    return stats.acc if config.criterion == "acc" else stats.loss


def _epoch_path(out_dir: Path, epoch: int) -> Path:
    return out_dir / f"epoch-{epoch}.pt"


def _saved_epochs(out_dir: Path) -> list[int]:
    epochs = []
    for p in out_dir.glob("epoch-*.pt"):
        suffix = p.stem.split("-", 1)[1]
        if suffix.isdigit():
            epochs.append(int(suffix))
    return sorted(epochs)


# -- state persistence ----------------------------------------------------------------------
@dataclass
class _RunState:
    sched: Newbob
    history: TrainHistory
    next_epoch: int


def _save_epoch(out_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                state: _RunState, config: TrainConfig, extra: dict[str, Any],
                world: World = ALONE) -> None:
    """Rank 0 writes epoch-N.pt; every process goes on once it is there."""
    if world.is_main:
        _write_epoch(out_dir, model, optimizer, epoch, state, config, extra)
    barrier(world)


def _write_epoch(out_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                 epoch: int, state: _RunState, config: TrainConfig,
                 extra: dict[str, Any]) -> None:
    save_checkpoint(_epoch_path(out_dir, epoch), model, model_kind(model),
                    model.config,  # type: ignore[attr-defined]
                    {**extra, "epoch": epoch, "train_config": asdict(config),
                     "optimizer": optimizer.state_dict(), "scheduler": asdict(state.sched),
                     "history": state.history.to_dict()})


def _restore_epoch(out_dir: Path, epoch: int, model: nn.Module,
                   optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    path = _epoch_path(out_dir, epoch)
    ckpt = load_checkpoint(path)
    try:
        model.load_state_dict(ckpt["state_dict"])
        optimizer.load_state_dict(ckpt["extra"]["optimizer"])
    except (KeyError, RuntimeError, ValueError) as err:
        raise InputError(path, f"does not match the model being trained: {err}",
                         "train into a fresh directory or pass resume=False") from err
    return ckpt


def _check_settings(path: Path, ckpt: dict[str, Any], model: nn.Module, config: TrainConfig,
                    chunk: dict[str, int] | None) -> None:
    fix = "train into a fresh directory or pass resume=False"
    if ckpt["model_kind"] != model_kind(model) or ckpt["model_args"] != asdict(
            model.config):  # type: ignore[attr-defined]
        raise InputError(path, "was written for a different model architecture", fix)
    # The chunk settings count as training settings; checkpoints written before they were
    # recorded have none (any then passes).
    old_chunk = ckpt["extra"].get("chunk") or chunk or {}
    resumable = config.resumable_changes()
    old_config = {"final_lr": None, **ckpt["extra"]["train_config"]}  # before final_lr
    old = {k: v for k, v in old_config.items() if k not in resumable}
    new = {k: v for k, v in asdict(config).items() if k not in resumable}
    old, new = {**old, **old_chunk}, {**new, **(chunk or {})}
    if old != new:
        changed = sorted(k for k in new if old.get(k) != new[k])
        raise InputError(path, f"was trained with different settings ({', '.join(changed)})",
                         fix)
    trained = ckpt["extra"]["history"]["epochs"][-1]["epoch"]
    if trained > config.max_epochs:  # a shorter run cannot be had by resuming a longer one
        raise InputError(path, f"holds {trained} epochs, more than max_epochs="
                         f"{config.max_epochs}", fix)


def dataset_chunk(train_set: Dataset) -> dict[str, int] | None:
    """The chunk settings a BLSTM trains (and later decodes) with; None for frame datasets."""
    return asdict(train_set.chunk) if isinstance(train_set, ChunkDataset) else None


def check_resumable(out_dir: str | Path, model: nn.Module, config: TrainConfig,
                    train_set: Dataset) -> None:
    """Raise InputError when out_dir holds epochs trained with other settings (nothing saved:
    no-op), so a caller can check before it writes anything into out_dir."""
    saved = _saved_epochs(Path(out_dir))
    if saved:
        path = _epoch_path(Path(out_dir), saved[-1])
        _check_settings(path, load_checkpoint(path), model, config, dataset_chunk(train_set))


def saved_inputs(out_dir: str | Path) -> Any:
    """The `inputs` record of the last saved epoch's checkpoint (None: no epoch, or one
    written before inputs were recorded)."""
    saved = _saved_epochs(Path(out_dir))
    if not saved:
        return None
    return load_checkpoint(_epoch_path(Path(out_dir), saved[-1]))["extra"].get("inputs")


def _resume(out_dir: Path, last: int, model: nn.Module, optimizer: torch.optim.Optimizer,
            config: TrainConfig, chunk: dict[str, int] | None) -> _RunState:
    path = _epoch_path(out_dir, last)
    ckpt = load_checkpoint(path)
    _check_settings(path, ckpt, model, config, chunk)
    sched = Newbob(**ckpt["extra"]["scheduler"])
    history = TrainHistory.from_dict(ckpt["extra"]["history"])
    # newbob's model is always its best epoch's; a decaying schedule goes on from the last
    _restore_epoch(out_dir, last if config.final_lr is not None else sched.best_epoch, model,
                   optimizer)
    return _RunState(sched, history, last + 1)


def _fresh_start(out_dir: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                 train_set: Dataset, cv_set: Dataset, config: TrainConfig,
                 extra: dict[str, Any], world: World) -> _RunState:
    if world.is_main:
        for epoch in _saved_epochs(out_dir):
            _epoch_path(out_dir, epoch).unlink()
        (out_dir / "final.pt").unlink(missing_ok=True)
    if config.init_input_norm:
        model.input_norm.set_stats(*train_set.feature_stats())  # type: ignore[operator]
    start = time.perf_counter()
    cv = evaluate(model, cv_set, config, world)
    stats = EpochStats(0, 0.0, None, None, cv.loss, cv.acc, cv.hard_acc, None,
                       time.perf_counter() - start, True)
    state = _RunState(Newbob(config.lr, _metric(cv, config)), TrainHistory([stats]), 1)
    _save_epoch(out_dir, model, optimizer, 0, state, config, extra, world)
    return state


# -- main entry -----------------------------------------------------------------------------
def train(
    model: nn.Module,
    train_set: Dataset,
    cv_set: Dataset,
    config: TrainConfig,
    out_dir: str | Path,
    resume: bool = True,
    on_progress: ProgressFn | None = None,
    on_epoch: EpochFn | None = None,
    extra: dict[str, Any] | None = None,
    world: World = ALONE,
) -> TrainHistory:
    """Train `model` (a Blstm or Dnn, modified in place; it ends holding the best epoch).

    `extra` (e.g. feature type, CMVN options, num_pdfs) is stored in every checkpoint.
    With resume=True and epoch-N.pt files in out_dir, training continues after the last one
    (a finished run returns at once); resume=False deletes them and starts over. With a
    `world` of several processes (nnet.distributed), every process calls this with the same
    arguments; rank 0 writes the files and reports progress.
    """
    for name, ds in (("train_set", train_set), ("cv_set", cv_set)):
        _check_data(model, ds, config, name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extra = dict(extra or {})
    if isinstance(train_set, ChunkDataset):  # decoding runs the model as it was trained
        extra["chunk"] = dataset_chunk(train_set)
    model.to(world.device)
    optimizer = make_optimizer(model, config)
    saved = _saved_epochs(out)
    barrier(world)  # every process has decided before rank 0 deletes or writes epochs
    if resume and saved:
        state = _resume(out, saved[-1], model, optimizer, config, extra.get("chunk"))
    else:
        state = _fresh_start(out, model, optimizer, train_set, cv_set, config, extra, world)
    if not world.is_main:
        on_progress = on_epoch = None
    _write_history(out, state.history, world)
    for epoch in range(state.next_epoch, config.max_epochs + 1):
        if state.sched.stopped:
            break
        _run_one_epoch(model, optimizer, epoch, train_set, cv_set, config, state, out, extra,
                       on_progress, world)
        if on_epoch is not None:
            on_epoch(state.history.epochs[-1])
    state.history.stop_reason = "converged" if state.sched.stopped else "max_epochs"
    state.history.best_epoch = state.sched.best_epoch
    best = state.history.epochs[state.sched.best_epoch]
    if best.epoch != state.history.epochs[-1].epoch:  # a decaying schedule keeps every epoch
        _restore_epoch(out, best.epoch, model, optimizer)
    if world.is_main:
        save_checkpoint(out / "final.pt", model, model_kind(model),
                        model.config,  # type: ignore[attr-defined]
                        {**extra, "epoch": best.epoch, "cv_loss": best.cv_loss,
                         "cv_acc": best.cv_acc, "train_config": asdict(config)})
    _write_history(out, state.history, world)
    barrier(world)
    return state.history


def _run_one_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                   train_set: Dataset, cv_set: Dataset, config: TrainConfig, state: _RunState,
                   out: Path, extra: dict[str, Any], on_progress: ProgressFn | None,
                   world: World) -> None:
    lr = state.sched.lr
    _set_lr(optimizer, lr)
    start = time.perf_counter()
    tr_loss, tr_acc, fps = _train_epoch(model, train_set, config, optimizer, epoch, on_progress,
                                        world)
    cv = evaluate(model, cv_set, config, world)
    accepted = state.sched.update(epoch, _metric(cv, config), config)
    state.history.epochs.append(EpochStats(epoch, lr, tr_loss, tr_acc, cv.loss, cv.acc,
                                           cv.hard_acc, fps, time.perf_counter() - start,
                                           accepted))
    state.history.best_epoch = state.sched.best_epoch
    _save_epoch(out, model, optimizer, epoch, state, config, extra, world)
    if not accepted:
        _restore_epoch(out, state.sched.best_epoch, model, optimizer)
    _write_history(out, state.history, world)


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def _write_history(out: Path, history: TrainHistory, world: World = ALONE) -> None:
    if world.is_main:
        write_text_atomic(out / "history.json", json.dumps(history.to_dict(), indent=1) + "\n")

