"""The results table a recipe writes itself: WER, model size, compute and decode speed of
each system, read from its decode dir and model dir."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError, require_file
from .score import Setting, align_utterances, hyp_path, per_spk_stats, read_text


@dataclass
class SystemResult:
    name: str
    decode_dir: Path
    wer: float
    wer_line: str
    params: int
    mflops_per_frame: float
    rtf: float
    dev_wer: float | None = None
    oracle_wer: float | None = None
    leaves: int | None = None  # pdfs (tied states) of the tree the model uses
    gaussians: int | None = None  # GMMs only
    runs: int = 1  # > 1: WERs and RTF are means over runs (e.g. seeds)
    wer_std: float | None = None
    dev_wer_std: float | None = None


WER_RE = re.compile(r"%WER\s+([0-9.]+)\s+\[")


def read_best_wer(decode_dir: Path) -> tuple[float, str]:
    path = require_file(decode_dir / "scoring_kaldi" / "best_wer",
                        "decode and score this system first (local/decode.sh)")
    line = path.read_text().strip()
    match = WER_RE.search(line)
    if not match:
        raise InputError(path, f"no %WER in '{line}'", "re-run scoring")
    return float(match.group(1)), line


def model_size(model_dir: Path) -> tuple[int, float]:
    """(parameters, MFLOPs per frame) of a GMM or neural model dir."""
    if (model_dir / "final.pt").is_file():
        from .nnet.checkpoint import load_model
        from .nnet.student import count_params, mflops_per_frame

        model, _ = load_model(model_dir / "final.pt")
        return count_params(model), mflops_per_frame(model)
    from .model_io import read_gmm_model

    _, am = read_gmm_model(model_dir / "final.mdl")
    gauss, dim = am.num_gauss, am.dim
    # Per frame every Gaussian costs a diagonal quadratic form: ~ 2 * 2 * dim flops.
    return gauss * (2 * dim + 1), gauss * 4 * dim / 1e6


def tree_size(model_dir: Path) -> tuple[int | None, int | None]:
    """(tree leaves, Gaussians) of a model dir: Gaussians only for GMMs; (None, None) when
    the dir has no final.mdl."""
    if not (model_dir / "final.mdl").is_file():
        return None, None
    from .model_io import read_gmm_model

    tm, am = read_gmm_model(model_dir / "final.mdl")
    gaussians = None if (model_dir / "final.pt").is_file() else am.num_gauss
    return tm.num_pdfs, gaussians


def read_rtf(path: Path) -> float:
    """A decode dir's rtf.json: the CPU-time real-time factor (the wall-clock one for decode
    dirs written before it was recorded)."""
    stats = json.loads(path.read_text())
    return float(stats.get("rtf_cpu", stats["rtf"]))


def read_wer_file(path: Path) -> tuple[float, str]:
    text = require_file(path, "decode and score this system first (local/decode.sh)").read_text()
    match = WER_RE.search(text)
    if not match:
        raise InputError(path, "no %WER line", "re-run scoring")
    return float(match.group(1)), text.splitlines()[0] + f" {path}"


def dev_setting(dev_dir: Path) -> str:
    """The `<lmwt>_<wip>` that scored best on the dev set (scoring_kaldi/wer_details)."""
    details = dev_dir / "scoring_kaldi" / "wer_details"
    lmwt = require_file(details / "lmwt", "score the dev decode first").read_text().strip()
    wip = require_file(details / "wip", "score the dev decode first").read_text().strip()
    return f"{lmwt}_{wip}"


def collect(name: str, decode_dir: Path, dev_dir: Path | None = None) -> SystemResult:
    """A system's row. With `dev_dir`, the test WER is taken at the LM weight and insertion
    penalty that were best on dev (no tuning on test); otherwise it is best_wer."""
    dev_wer = None
    if dev_dir is None:
        wer, line = read_best_wer(decode_dir)
    else:
        wer, line = read_wer_file(decode_dir / f"wer_{dev_setting(dev_dir)}")
        dev_wer, _ = read_best_wer(dev_dir)
    params, mflops = model_size(decode_dir.parent)
    rtf_file = decode_dir / "rtf.json"
    rtf = read_rtf(rtf_file) if rtf_file.is_file() else float("nan")
    oracle_file = decode_dir / "scoring_kaldi" / "oracle_wer"
    oracle = read_wer_file(oracle_file)[0] if oracle_file.is_file() else None
    leaves, gaussians = tree_size(decode_dir.parent)
    return SystemResult(name, decode_dir, wer, line, params, mflops, rtf, dev_wer, oracle,
                        leaves, gaussians)


def collect_runs(name: str, runs: list[tuple[Path, Path | None]]) -> SystemResult:
    """One row from several runs of the same system (e.g. seeds): WER, dev WER, oracle and
    RTF are means, with the sample standard deviation of the WERs."""
    return combine_runs(name, [collect(name, test, dev) for test, dev in runs])


def combine_runs(name: str, rows: list[SystemResult]) -> SystemResult:
    """collect_runs over rows already collected, one per run."""
    if not rows:
        raise ValueError(f"system '{name}' has no runs")
    if len(rows) == 1:
        return rows[0]
    first = rows[0]
    wers = np.array([r.wer for r in rows])
    devs = np.array([r.dev_wer for r in rows if r.dev_wer is not None])
    oracles = [r.oracle_wer for r in rows if r.oracle_wer is not None]
    return SystemResult(
        name, first.decode_dir, float(wers.mean()), "; ".join(r.wer_line for r in rows),
        first.params, first.mflops_per_frame, float(np.mean([r.rtf for r in rows])),
        float(devs.mean()) if devs.size == len(rows) else None,
        float(np.mean(oracles)) if len(oracles) == len(rows) else None,
        first.leaves, first.gaussians, len(rows), float(wers.std(ddof=1)),
        float(devs.std(ddof=1)) if devs.size == len(rows) else None)


def _opt(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def _mean_std(x: float | None, std: float | None) -> str:
    return _opt(x) if std is None or x is None else f"{x:.2f} ± {std:.2f}"


def _count(x: int | None) -> str:
    return "" if x is None else f"{x:,}"


@dataclass
class SoftTargetSize:
    frames: int
    pdfs: int
    dense_bytes: int  # targets.*.ark: float matrices (frames x pdfs)
    topk_bytes: int  # post.*.ark: Kaldi Posteriors (top-k per frame); 0 if absent


def soft_target_size(targets_dir: Path) -> SoftTargetSize:
    """Disk size of a make_soft_targets.sh dir: frames from targets.scp, bytes of the arks."""
    import kaldi_native_io as knio

    scp = require_file(targets_dir / "targets.scp", "run local/make_soft_targets.sh first")
    frames, pdfs = 0, 0
    for _, shape in knio.SequentialMatrixShapeReader(f"scp:{scp}"):
        frames += shape.num_rows
        pdfs = shape.num_cols
    dense = sum(f.stat().st_size for f in targets_dir.glob("targets.*.ark"))
    topk = sum(f.stat().st_size for f in targets_dir.glob("post.*.ark"))
    return SoftTargetSize(frames, pdfs, dense, topk)


def soft_target_markdown(size: SoftTargetSize, topk: int | None = None) -> str:
    def per(n: int) -> float:
        return n / max(size.frames, 1)

    lines = ["## Soft targets on disk", "",
             f"{size.frames:,} training frames, {size.pdfs} pdfs.", "",
             "| format | bytes/frame | total MB |", "|---|---:|---:|",
             f"| dense float matrices (targets.scp) | {per(size.dense_bytes):.0f} | "
             f"{size.dense_bytes / 1e6:.1f} |"]
    if size.topk_bytes:
        name = f"top-{topk}" if topk else "top-k"
        lines.append(f"| {name} Kaldi Posteriors (post.scp) | {per(size.topk_bytes):.0f} | "
                     f"{size.topk_bytes / 1e6:.1f} |")
    return "\n".join(lines) + "\n"


def corpus_markdown(info: dict) -> str:
    """The corpus section of RESULTS.md from a synthetic corpus' corpus.json: speaker counts
    (with their engines) when it lists "speakers", else the names of its "voices"."""
    splits = ("train", "dev", "test")
    if "speakers" in info:
        spk = {split: info["speakers"].get(split, {}) for split in splits}
        lines = ["## Corpus", "", ", ".join(f"{len(spk[x])} {name} speakers" for x, name in
                                            zip(splits, ("training", "dev", "test"),
                                                strict=True))
                 + " (dev and test speakers are not in training; their recipes: corpus.json).",
                 "", "| split | speakers | by engine | utterances | minutes |",
                 "|---|---:|---|---:|---:|"]
        for split in splits:
            engines = Counter(s["family"].split(":")[0] for s in spk[split].values())
            by_engine = ", ".join(f"{engine} {n}" for engine, n in sorted(engines.items()))
            lines.append(f"| {split} | {len(spk[split])} | {by_engine} | "
                         f"{info['utterances'][split]} | {info['minutes'][split]:.1f} |")
    else:
        lines = ["## Corpus", "", "| split | voices | utterances | minutes |",
                 "|---|---|---:|---:|"]
        for split in splits:
            voices = ", ".join(info.get("voices", {}).get(split, {}))
            lines.append(f"| {split} | {voices} | {info['utterances'][split]} | "
                         f"{info['minutes'][split]:.1f} |")
    filt = info.get("text_filter", {})
    lines += ["", f"Vocabulary: the {info['vocab']} most frequent words; LM text: "
              f"{info['lm_sentences']} sentences (no dev/test sentence)."]
    if filt:
        lines.append(f"Text filter: {filt['kept']} of {filt['sentences']} sentences kept; "
                     f"{filt['oov']} dropped for words missing from CMUdict (no G2P), "
                     f"{filt['length']} for length, {filt['duplicate']} duplicates.")
    return "\n".join(lines) + "\n"


def results_markdown(title: str, results: list[SystemResult], baseline: str | None,
                     corpus: dict | None = None, extra: str = "") -> str:
    base = next((r for r in results if r.name == baseline), None)
    lines = [f"# Results: {title}", "",
             "Written by the recipe from its own decode dirs; do not edit by hand.", "",
             "| system | dev WER % | WER % | rel. vs baseline | lattice oracle % | tree leaves | "
             "Gaussians | params | MFLOPs/frame | decode RTF (CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rel = ""
        if base is not None and base.wer > 0:
            rel = f"{100 * (r.wer - base.wer) / base.wer:+.1f}%"
        name = r.name if r.runs == 1 else f"{r.name} ({r.runs} runs)"
        lines.append(f"| {name} | {_mean_std(r.dev_wer, r.dev_wer_std)} | "
                     f"{_mean_std(r.wer, r.wer_std)} | {rel} | "
                     f"{_opt(r.oracle_wer)} | {_count(r.leaves)} | {_count(r.gaussians)} | "
                     f"{r.params:,} | {r.mflops_per_frame:.2f} | "
                     f"{r.rtf:.3f} |")
    if any(r.dev_wer is not None for r in results):
        lines += ["", "Test WER is taken at the LM weight / insertion penalty best on dev."]
    lines += ["", "Decode RTF (CPU): CPU seconds of the decoding processes (one thread each: "
              "acoustic scoring, lattice search, word lattices, LM-weight sweep) per second of "
              "test audio, so jobs sharing the machine do not inflate it."]
    if any(r.runs > 1 for r in results):
        lines += ["", "Rows with several runs (seeds) give mean ± sample standard deviation; "
                  "the relative change uses the means."]
    lines += ["", "Kaldi WER lines:", ""]
    lines += [f"- {r.name}: `{r.wer_line}`" for r in results]
    if base is not None:
        lines += ["", f"Baseline for the relative change: {base.name}."]
    text = "\n".join(lines) + "\n"
    text += "\n" + extra if extra else ""
    return text + ("\n" + corpus_markdown(corpus) if corpus else "")


# --------------------------------------------------------------------------- per voice


def speaker_wers(decode_dir: Path, setting: str, utt2spk: Mapping[str, str]) -> dict[str, float]:
    """Per-speaker WER % of a scored decode dir at one `<lmwt>_<wip>` setting: its
    hypotheses (scoring_kaldi/penalty_<wip>/<lmwt>.txt) against scoring_kaldi/test_filt.txt,
    aligned the way the wer files are (no token filter), sorted by speaker."""
    fix = "decode and score this system first (local/decode.sh)"
    refs = read_text(require_file(decode_dir / "scoring_kaldi" / "test_filt.txt", fix))
    hyps = read_text(require_file(hyp_path(decode_dir, Setting.parse(setting)), fix))
    alignments, _ = align_utterances(refs, hyps, "present")
    return {spk: s.wer for spk, s in per_spk_stats(alignments, utt2spk).items()}


def run_speaker_wers(runs: Sequence[tuple[Path, Path | None]], test_utt2spk: Mapping[str, str],
                     dev_utt2spk: Mapping[str, str] | None) -> dict[str, float]:
    """{"dev:<spk>"/"test:<spk>": WER %} of one system, averaged over its runs (seeds).

    Dev is read at its own best setting; test at the dev-best setting when there is a dev
    decode (no tuning on test), otherwise at test's best."""
    sums: dict[str, float] = {}

    def add(split: str, wers: Mapping[str, float]) -> None:
        for spk, wer in wers.items():
            sums[f"{split}:{spk}"] = sums.get(f"{split}:{spk}", 0.0) + wer

    for test, dev in runs:
        add("test", speaker_wers(test, dev_setting(test if dev is None else dev), test_utt2spk))
        if dev is not None and dev_utt2spk is not None:
            add("dev", speaker_wers(dev, dev_setting(dev), dev_utt2spk))
    return {key: total / len(runs) for key, total in sums.items()}


def per_speaker_markdown(rows: Sequence[tuple[str, Mapping[str, float]]]) -> str:
    """A table of per-voice WER %: one row per system, one column per dev/test speaker."""
    columns = sorted({key for _, wers in rows for key in wers},
                     key=lambda k: (not k.startswith("dev:"), k))
    lines = ["## WER per voice", "",
             "Dev voices at their best LM weight / insertion penalty, test voices at the "
             "dev-best one (means over runs).", "",
             "| system | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name, wers in rows:
        cells = [f"{wers[c]:.2f}" if c in wers else "" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class OrderCheck:
    """Does WER fall along `names` (the system expected worst first) in each run, on test
    (at the dev-best setting) and on dev? `runs[i]` names run i (e.g. a seed's decode dir)."""

    names: list[str]
    runs: list[str]
    test: list[bool]
    dev: list[bool] | None  # None: a run without dev


def _falls(wers: Sequence[float]) -> bool:
    return all(a > b for a, b in zip(wers, wers[1:], strict=False))


def check_order(systems: Sequence[Sequence[SystemResult]]) -> OrderCheck:
    """`systems[k][i]`: system k (worst expected first) in run i; every system needs the
    same number of runs, the i-th of each from the same run (seed)."""
    if len(systems) < 2:
        raise ValueError("an order needs at least two systems")
    counts = {len(runs) for runs in systems}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every system of an order needs the same number of runs, got "
                         f"{[len(runs) for runs in systems]}")
    by_run = list(zip(*systems, strict=True))
    devs = [[r.dev_wer for r in run] for run in by_run]
    return OrderCheck(
        names=[runs[0].name for runs in systems],
        runs=[str(r.decode_dir.parent) for r in systems[-1]],
        test=[_falls([r.wer for r in run]) for run in by_run],
        dev=(None if any(w is None for ws in devs for w in ws)
             else [_falls([w for w in ws if w is not None]) for ws in devs]))


def order_markdown(check: OrderCheck) -> str:
    """A section saying in how many runs WER(last) < ... < WER(first) held, and in which."""
    claim = " < ".join(f"WER({n})" for n in reversed(check.names))
    lines = ["## Order of the systems", "",
             f"Does {claim} hold, run by run (runs of the last system: "
             + ", ".join(f"`{r}`" for r in check.runs) + ")?", "",
             "| set | holds in | per run |", "|---|---:|---|"]
    for label, held in [("dev", check.dev), ("test", check.test)]:
        if held is not None:
            lines.append(f"| {label} | {sum(held)} of {len(held)} | "
                         + ", ".join("yes" if h else "no" for h in held) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class StageTime:
    stage: str
    seconds: int
    title: str


def read_stage_times(path: Path) -> list[StageTime]:
    """exp/stage_times.tsv (local/stage_times.sh): the last line of each stage, in stage
    order; a re-run stage replaces its earlier time."""
    p = require_file(path, "run the recipe with local/stage_times.sh sourced")
    last: dict[str, StageTime] = {}
    for n, line in enumerate(p.read_text().splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 3 or not fields[1].isdigit():
            raise InputError(p, f"line {n} is not '<stage>\\t<seconds>\\t<title>': {line!r}",
                             "delete the file; the next run of each stage writes it again")
        last[fields[0]] = StageTime(fields[0], int(fields[1]), fields[2])
    return sorted(last.values(), key=lambda t: (not t.stage.isdigit(),
                                                int(t.stage) if t.stage.isdigit() else 0,
                                                t.stage))


def stage_times_markdown(times: Sequence[StageTime]) -> str:
    lines = ["## Run time", "",
             "Wall clock of each stage's last run on this machine (exp/stage_times.tsv); "
             "background decoding counts in the stage that waits for it.", "",
             "| stage | what | minutes |", "|---|---|---:|"]
    lines += [f"| {t.stage} | {t.title} | {t.seconds / 60:.1f} |" for t in times]
    total = sum(t.seconds for t in times)
    lines.append(f"| all | stages {times[0].stage}–{times[-1].stage} | {total / 60:.1f} |"
                 if times else "| all | (no stage recorded) | 0.0 |")
    return "\n".join(lines) + "\n"
