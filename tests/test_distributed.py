"""nnet.distributed: a minibatch split between two processes (gloo on localhost) makes the
very update one process makes, and evaluation over two processes the same statistics."""

from __future__ import annotations

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from pykaldi_distill.nnet.data import Batch
from pykaldi_distill.nnet.distributed import ALONE, World, init_world, shard
from pykaldi_distill.nnet.student import Dnn, DnnConfig
from pykaldi_distill.nnet.train import TrainConfig, make_optimizer, train_step

CONFIG = DnnConfig(input_dim=6, num_pdfs=5, context=1, hidden=16, num_layers=2)


def batch(n: int = 37) -> Batch:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3 * CONFIG.input_dim, generator=g)
    return Batch(x, torch.randint(0, CONFIG.num_pdfs, (n,), generator=g), None, n)


def model_and_optimizer() -> tuple[Dnn, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = Dnn(CONFIG)
    return model, make_optimizer(model, TrainConfig())


def two_steps(world: World) -> list[torch.Tensor]:
    """Two updates: 37 frames (19 + 18 when split), then 3 (2 + 1)."""
    model, opt = model_and_optimizer()
    for n in (37, 3):
        train_step(model, batch(n), TrainConfig(), opt, world)
    return [p.detach().clone() for p in model.parameters()]


def worker(rank: int, port: int, out: dict) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE="2", LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    world = init_world()
    out[rank] = two_steps(world)
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_shares_cover_the_batch_once() -> None:
    for n in (0, 1, 5, 37):
        for size in (1, 2, 3):
            rows = [r for rank in range(size) for r in range(n)[shard(n, World(rank, size))]]
            assert rows == list(range(n))


def test_two_processes_make_the_single_process_update() -> None:
    with mp.Manager() as manager:
        out = manager.dict()
        mp.spawn(worker, args=(free_port(), out), nprocs=2, join=True)
        ranks = {r: out[r] for r in (0, 1)}
    alone = two_steps(ALONE)
    for rank in (0, 1):
        for a, b in zip(alone, ranks[rank], strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
