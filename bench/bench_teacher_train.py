"""Benchmark: BLSTM teacher training throughput against this machine's fp32 GEMM peak.

In one run: (a) the GEMM peak with torch at the thread count used (large square fp32
matmuls, GFLOP/s); (b) teacher training steps (nnet.train.train_step, the code train_nnet
runs) on synthetic features/targets shaped like the synth recipe's (40-dim fbank, 450 pdfs,
utterances of ~1-8 s) for the recipe's demo teacher and a bigger one, in loss frames/s,
computed frames/s and FLOP utilisation = training GFLOP/s / peak, where training FLOPs
= 3 x forward FLOPs (forward + backward data + weight gradients) of the frames computed
(`blstm_mflops_parts`; element-wise ops not counted); (c) the previous setting (chunks of 200
frames, 16 per minibatch, zero-padded and packed) against Kaldi-style chunks (equal-length
chunks with context, dense). Settings run in alternating rounds of --seconds each and the
best round counts, so that a machine shared with other jobs disturbs the comparison less.
Writes --out (default bench/REPORT_teacher_train.md).

    PYTHONPATH=. .venv/bin/python bench/bench_teacher_train.py [--seconds 8] [--rounds 3] \\
        [--threads 2] [--out bench/REPORT_teacher_train.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile

from pykaldi_distill.nnet.chunking import ChunkConfig
from pykaldi_distill.nnet.data import ChunkDataset
from pykaldi_distill.nnet.student import count_params
from pykaldi_distill.nnet.teacher import Blstm, BlstmConfig, blstm_mflops_parts
from pykaldi_distill.nnet.train import TrainConfig, make_optimizer, train_step

DIM, PDFS = 40, 450
TEACHERS = {  # the synth recipe's teacher sizes (egs/synth/s5/run.sh)
    "demo 2x192, dnn 256": dict(num_layers=2, hidden=192, dnn_dim=256, dropout=0.1),
    "full 3x320, dnn 512": dict(num_layers=3, hidden=320, dnn_dim=512, dropout=0.1),
}
NOTE = ("Rounds differ a lot while other jobs run: the oneDNN LSTM's threads synchronise at "
        "every time step, so one descheduled thread stalls the other, and on a busy machine 1 "
        "thread can beat 2; the best round is the one least disturbed.")
StepFn = Callable[[], tuple[int, int, float]]  # one update -> (loss frames, computed, MFLOP)


@dataclass
class Setting:
    teacher: str
    chunks: str  # how samples are made
    batch: int  # chunks per minibatch
    step: StepFn
    params: int
    threads: int  # torch intra-op threads while it runs
    rounds: list[tuple[float, float, float]] = field(default_factory=list)
    # per round: (loss frames/s, computed frames/s, GFLOP/s)

    def best(self) -> tuple[float, float, float]:
        return max(self.rounds, key=lambda r: r[2])


def gemm_gflops(seconds: float) -> float:
    """Best GFLOP/s of square fp32 matmuls (n = 1024, 2048, 4096) within ~`seconds`."""
    best = 0.0
    for n in (1024, 2048, 4096):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b  # warm-up
        end = time.perf_counter() + seconds / 3
        while time.perf_counter() < end:
            start = time.perf_counter()
            a @ b
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def synthetic_corpus(frames: int, seed: int = 0) -> tuple[dict[str, np.ndarray],
                                                          dict[str, np.ndarray]]:
    """Random features (frames, DIM) and pdf targets (frames,) in utterances of 110-800
    frames (median ~330, as the synth demo's training set: 10 % below 200, 10 % above 500)."""
    rng = np.random.default_rng(seed)
    feats, hard = {}, {}
    total = 0
    while total < frames:
        n = int(np.clip(rng.lognormal(np.log(330), 0.35), 110, 800))
        utt = f"utt{len(feats):05d}"
        feats[utt] = rng.normal(size=(n, DIM)).astype(np.float32)
        hard[utt] = rng.integers(0, PDFS, n)
        total += n
    return feats, hard


def _model(teacher: str) -> tuple[Blstm, torch.optim.Optimizer, TrainConfig]:
    torch.manual_seed(0)
    model = Blstm(BlstmConfig(DIM, PDFS, **TEACHERS[teacher])).train()  # type: ignore[arg-type]
    config = TrainConfig()
    return model, make_optimizer(model, config), config


def chunked_step(teacher: str, corpus: tuple[dict, dict], chunk: ChunkConfig,
                 batch: int) -> tuple[StepFn, int]:
    """Kaldi-style samples (ChunkDataset) through nnet.train.train_step."""
    model, optimizer, config = _model(teacher)
    dataset = ChunkDataset(*corpus, chunk=chunk, num_pdfs=PDFS)
    seq, out = blstm_mflops_parts(model.config)
    batches = _forever(lambda epoch: dataset.iter_batches(batch, np.random.default_rng(epoch)))

    def step() -> tuple[int, int, float]:
        b = next(batches)
        train_step(model, b, config, optimizer)
        n = b.x.shape[0]
        return b.num_frames, n * chunk.sample_frames, 3 * n * (
            chunk.sample_frames * seq + chunk.chunk_width * out)

    return step, count_params(model)


def packed_step(teacher: str, corpus: tuple[dict, dict], chunk_frames: int,
                batch: int) -> tuple[StepFn, int]:
    """The previous teacher training: utterances cut into chunks of `chunk_frames` (the
    last one shorter), `batch` per minibatch zero-padded to the longest, the BLSTM run on
    them packed (pack_padded_sequence), the loss over the real frames."""
    model, optimizer, config = _model(teacher)
    seq, out = blstm_mflops_parts(model.config)
    feats, hard = corpus
    pieces = [(u, o, min(chunk_frames, len(x) - o)) for u, x in feats.items()
              for o in range(0, len(x), chunk_frames)]
    batches = _forever(lambda epoch: _padded_batches(feats, hard, pieces, batch, epoch))

    def step() -> tuple[int, int, float]:
        x, lengths, targets = next(batches)
        mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # (B, T)
        logits = model(x, lengths)[mask]  # (frames, pdfs)
        frames = int(lengths.sum())
        loss = F.cross_entropy(logits, targets[mask], reduction="sum")
        optimizer.zero_grad(set_to_none=True)
        (loss / frames).backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm or 10.0)
        optimizer.step()
        return frames, frames, 3 * frames * (seq + out)

    return step, count_params(model)


def _padded_batches(feats: dict, hard: dict, pieces: list, batch: int, seed: int
                    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    order = np.random.default_rng(seed).permutation(len(pieces))
    for i in range(0, len(order), batch):
        chosen = [pieces[j] for j in order[i:i + batch]]
        longest = max(n for _, _, n in chosen)
        x = torch.zeros(len(chosen), longest, DIM)  # (B, T, dim)
        y = torch.full((len(chosen), longest), -100, dtype=torch.int64)  # (B, T)
        for k, (u, o, n) in enumerate(chosen):
            x[k, :n] = torch.from_numpy(feats[u][o:o + n])
            y[k, :n] = torch.from_numpy(hard[u][o:o + n])
        yield x, torch.tensor([n for _, _, n in chosen]), y


def _forever(make: Callable[[int], Iterator]) -> Iterator:
    epoch = 0
    while True:
        yield from make(epoch)
        epoch += 1


def measure(setting: Setting, seconds: float) -> None:
    """One round: updates for ~`seconds` (after one untimed update)."""
    setting.step()
    loss_frames = computed = 0
    mflop = 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        lf, cf, mf = setting.step()
        loss_frames, computed, mflop = loss_frames + lf, computed + cf, mflop + mf
    dt = time.perf_counter() - start
    setting.rounds.append((loss_frames / dt, computed / dt, mflop / dt / 1e3))


def time_shares(step: StepFn, steps: int = 3) -> list[tuple[str, float]]:
    """Where a training step's time goes: the largest ops' share of self CPU time."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = [(e.key, e.self_cpu_time_total) for e in prof.key_averages()]
    total = sum(t for _, t in events) or 1.0
    return [(k, t / total) for k, t in sorted(events, key=lambda e: -e[1])[:6]]


def make_settings(corpus: tuple[dict, dict], threads: int) -> list[Setting]:
    demo, full = TEACHERS
    kaldi = ChunkConfig(40, 40, 40)
    rows = [
        (demo, "200-frame chunks, packed (previous)", 16, packed_step, 200, threads),
        (demo, "width 40, context 40/40", 64, chunked_step, kaldi, threads),
        (demo, "width 20, context 40/40", 64, chunked_step, ChunkConfig(20, 40, 40), threads),
        (demo, "width 40, context 40/40", 128, chunked_step, kaldi, threads),
        (demo, "200-frame chunks, packed (previous)", 16, packed_step, 200, 1),
        (demo, "width 40, context 40/40", 64, chunked_step, kaldi, 1),
        (full, "width 40, context 40/40", 64, chunked_step, kaldi, threads),
        (full, "width 40, context 40/40", 64, chunked_step, kaldi, 1),
    ]
    settings = []
    for teacher, chunks, batch, make, shape, n in rows:
        step, params = make(teacher, corpus, shape, batch)  # type: ignore[operator]
        settings.append(Setting(teacher, chunks, batch, step, params, n))
    return settings


def report(settings: list[Setting], peaks: dict[int, list[float]],
           shares: list[tuple[str, float]], args: argparse.Namespace, loads: tuple[str, str],
           seconds: float) -> str:
    peak = max(peaks[args.threads])
    best = {n: max(p) for n, p in peaks.items()}
    onednn = "on" if torch.backends.mkldnn.enabled else "off"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text(
        ).splitlines() if line.startswith("model name")), platform.processor())
    lines = [
        "# BLSTM teacher training throughput vs the GEMM peak", "",
        f"Machine: {cpu}, {os.cpu_count()} cores; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, oneDNN {onednn}"
        f"; load average {loads[0]} at the start, {loads[1]} at the end (other jobs share "
        "the machine; each number is the best of "
        f"{args.rounds} rounds of {args.seconds:g} s, the rounds alternating between settings). "
        f"Run time {seconds:.0f} s.", "",
        "fp32 GEMM peak (square matmuls up to 4096, best): " + "; ".join(
            f"**{best[n]:.0f} GFLOP/s** on {n} thread{'s' * (n > 1)} (per round: "
            f"{', '.join(f'{p:.0f}' for p in peaks[n])})" for n in sorted(peaks)) + ".", "",
        f"Synthetic data: {DIM}-dim features, {PDFS} pdfs, utterances of 110-800 frames "
        "(median ~330, like the synth demo's). Training FLOPs = 3 x forward (matmuls only); "
        "with chunks, the layers after the BLSTM run on the loss frames only. % of peak: against "
        f"the {args.threads}-thread GEMM peak (the whole machine), and against the peak at "
        "the row's own thread count.", "",
        "| teacher | params | samples | chunks/minibatch | threads | loss frames/s "
        "| computed frames/s | GFLOP/s | % of peak | % of its threads' peak "
        "| rounds (GFLOP/s) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in settings:
        lf, cf, gf = s.best()
        spread = ", ".join(f"{r[2]:.1f}" for r in s.rounds)
        lines.append(f"| {s.teacher} | {s.params:,} | {s.chunks} | {s.batch} | {s.threads} | "
                     f"{lf:,.0f} | "
                     f"{cf:,.0f} | {gf:.1f} | {100 * gf / peak:.1f} | "
                     f"{100 * gf / best[s.threads]:.1f} | {spread} |")
    lines += ["", f"Where a step's time goes ({settings[1].teacher}, {settings[1].chunks}, "
              f"{settings[1].batch} chunks; self CPU time):", ""]
    lines += [f"- `{k}`: {100 * v:.0f} %" for k, v in shares]
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="per setting and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=120_000, help="synthetic corpus size")
    parser.add_argument("--out", type=Path, default=Path("bench/REPORT_teacher_train.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started, load0 = time.perf_counter(), f"{os.getloadavg()[0]:.1f}"
    settings = make_settings(synthetic_corpus(args.frames), args.threads)
    peaks: dict[int, list[float]] = {n: [] for n in sorted({args.threads, 1})}
    for r in range(args.rounds):
        for n, found in peaks.items():
            torch.set_num_threads(n)
            found.append(gemm_gflops(min(args.seconds, 6.0)))
        for s in settings:
            torch.set_num_threads(s.threads)
            measure(s, args.seconds)
            print(f"round {r + 1}: {s.teacher}, {s.chunks}, {s.batch} chunks, {s.threads} "
                  f"threads: {s.rounds[-1][2]:.1f} GFLOP/s", flush=True)
    torch.set_num_threads(args.threads)
    shares = time_shares(settings[1].step)
    text = report(settings, peaks, shares, args, (load0, f"{os.getloadavg()[0]:.1f}"),
                  time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
