"""The results table a recipe writes itself: WER, model size, compute and decode speed of
each system, read from its decode dir and model dir."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, require_file


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
    rtf = json.loads(rtf_file.read_text())["rtf"] if rtf_file.is_file() else float("nan")
    oracle_file = decode_dir / "scoring_kaldi" / "oracle_wer"
    oracle = read_wer_file(oracle_file)[0] if oracle_file.is_file() else None
    return SystemResult(name, decode_dir, wer, line, params, mflops, rtf, dev_wer, oracle)


def _opt(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def results_markdown(title: str, results: list[SystemResult], baseline: str | None) -> str:
    base = next((r for r in results if r.name == baseline), None)
    lines = [f"# Results: {title}", "",
             "Written by the recipe from its own decode dirs; do not edit by hand.", "",
             "| system | dev WER % | WER % | rel. vs baseline | lattice oracle % | params | "
             "MFLOPs/frame | decode RTF |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rel = ""
        if base is not None and base.wer > 0:
            rel = f"{100 * (r.wer - base.wer) / base.wer:+.1f}%"
        lines.append(f"| {r.name} | {_opt(r.dev_wer)} | {r.wer:.2f} | {rel} | "
                     f"{_opt(r.oracle_wer)} | {r.params:,} | {r.mflops_per_frame:.2f} | "
                     f"{r.rtf:.3f} |")
    if any(r.dev_wer is not None for r in results):
        lines += ["", "Test WER is taken at the LM weight / insertion penalty best on dev."]
    lines += ["", "Kaldi WER lines:", ""]
    lines += [f"- {r.name}: `{r.wer_line}`" for r in results]
    if base is not None:
        lines += ["", f"Baseline for the relative change: {base.name}."]
    return "\n".join(lines) + "\n"
