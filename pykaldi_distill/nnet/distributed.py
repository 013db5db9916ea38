"""Data-parallel training over processes and nodes with torch.distributed (gloo on CPU, nccl
on GPU), started by torchrun.

Each minibatch is split between the processes (every process holds the whole training set
and draws the same shuffled minibatches); each computes its share's summed loss and
gradients, the gradients are summed over processes and divided by the minibatch's frames,
and every process takes the same optimizer step. So an update is the single-process update
up to the order of floating-point sums, BatchNorm's statistics (each process normalises its
share) and dropout masks (each process draws its own). Rank 0 writes every file; the others
wait for it where they read them back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ..errors import PkdError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (rank 0 of 1 when alone) and the
    device it computes on."""

    rank: int = 0
    size: int = 1
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


ALONE = World()  # a single process


def init_world(device: str = "cpu") -> World:
    """The world torchrun describes in the environment (WORLD_SIZE, RANK, LOCAL_RANK,
    MASTER_ADDR, MASTER_PORT), its process group initialised (nccl for `device` cuda, else
    gloo), each process on its own GPU (cuda:LOCAL_RANK); a single process without them."""
    if device not in ("cpu", "cuda"):
        raise PkdError(f"--device must be cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise PkdError("--device cuda: torch sees no GPU here (fix: --device cpu)")
    size = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    place = f"cuda:{local}" if device == "cuda" else "cpu"
    if size <= 1:
        return World(device=place)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), place)


def shard(n: int, world: World) -> slice:
    """This process's rows of a minibatch of n rows: a contiguous, near-equal share."""
    base, extra = divmod(n, world.size)
    start = world.rank * base + min(world.rank, extra)
    return slice(start, start + base + (1 if world.rank < extra else 0))


def sum_over_world(values: list[float], world: World) -> list[float]:
    """The sum of each value over the processes (the values themselves when alone)."""
    if not world.distributed:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=world.device)
    dist.all_reduce(t)
    return t.tolist()


def sum_gradients(model: nn.Module, world: World, loss: float = 0.0) -> float:
    """Each parameter's gradient summed over the processes, in one flat all-reduce (a
    parameter without a gradient in this process counts as zero) that also sums this
    process's `loss`: returns the loss summed over the processes."""
    if not world.distributed:
        return loss
    params = [p for p in model.parameters() if p.requires_grad]
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in params] + [torch.tensor([loss], device=world.device)])
    dist.all_reduce(flat)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset:offset + n].view_as(p).clone()
        offset += n
    return float(flat[-1])


def share_buffers(model: nn.Module, world: World) -> None:
    """Rank 0's buffers (BatchNorm's running statistics) in every process, so that all
    evaluate and save the same model."""
    if world.distributed:
        for b in model.buffers():
            dist.broadcast(b, 0)


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()
