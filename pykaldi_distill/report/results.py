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

from ..decoding.score import (
    Setting,
    SpkStats,
    align_utterances,
    hyp_path,
    per_spk_stats,
    read_text,
)
from ..errors import InputError, require_file
from ..formats.io import read_topk_posteriors
from ..formats.model_io import read_transition_model_file
from .bootstrap import DRAWS, SEED, PairedBootstrap, SpeakerCounts, paired_bootstrap, sum_runs


@dataclass
class SystemResult:
    name: str
    decode_dir: Path
    wer: float
    wer_line: str
    params: int | None  # None: a system decoded outside this package (e.g. PocketSphinx)
    mflops_per_frame: float | None
    rtf: float
    dev_wer: float | None = None
    oracle_wer: float | None = None
    leaves: int | None = None  # pdfs (tied states) of the tree the model uses
    gaussians: int | None = None  # GMMs only
    runs: int = 1  # > 1: WERs and RTF are means over runs (e.g. seeds)
    wer_std: float | None = None
    dev_wer_std: float | None = None
    model_mb: float | None = None  # size on disk of the model file the decode read


WER_RE = re.compile(r"%WER\s+([0-9.]+)\s+\[")


def read_best_wer(decode_dir: Path) -> tuple[float, str]:
    path = require_file(decode_dir / "scoring_kaldi" / "best_wer",
                        "decode and score this system first (local/decode.sh)")
    line = path.read_text().strip()
    match = WER_RE.search(line)
    if not match:
        raise InputError(path, f"no %WER in '{line}'", "re-run scoring")
    return float(match.group(1)), line


def model_size(model_dir: Path) -> tuple[int | None, float | None]:
    """(parameters, MFLOPs per frame) of a GMM or neural model dir; (None, None) for a dir
    with neither final.pt nor final.mdl (a peer system decoded by other software)."""
    if (model_dir / "final.pt").is_file():
        from ..nnet.checkpoint import load_model
        from ..nnet.student import count_params, mflops_per_frame

        model, _ = load_model(model_dir / "final.pt")
        return count_params(model), mflops_per_frame(model)
    if not (model_dir / "final.mdl").is_file():
        return None, None
    from ..formats.model_io import read_gmm_model

    _, am = read_gmm_model(model_dir / "final.mdl")
    gauss, dim = am.num_gauss, am.dim
    # Per frame every Gaussian costs a diagonal quadratic form: ~ 2 * 2 * dim flops.
    return gauss * (2 * dim + 1), gauss * 4 * dim / 1e6


def model_file(decode_dir: Path) -> Path | None:
    """The model file a decode read, from its fingerprint's inputs (local/pkd_env.sh): an
    embedded export (.onnx, .int8.pt), else the network (final.pt), else a Vosk dir's
    am/final.mdl, else a GMM's final.mdl; None when the decode dir has no fingerprint or
    names none of them."""
    stamp = decode_dir / "fingerprint"
    if not stamp.is_file():
        return None
    inputs = [Path(line.split()[1]) for line in stamp.read_text().splitlines()
              if line.startswith("input: ")]
    for wanted in (lambda p: p.suffix == ".onnx" or p.name.endswith(".int8.pt"),
                   lambda p: p.name == "final.pt",
                   lambda p: p.parts[-2:] == ("am", "final.mdl"),
                   lambda p: p.name == "final.mdl"):
        found = [p for p in inputs if wanted(p) and p.is_file()]
        if found:
            return found[0]
    return None


def tree_size(model_dir: Path) -> tuple[int | None, int | None]:
    """(tree leaves, Gaussians) of a model dir: Gaussians only for GMMs; (None, None) when
    the dir has no final.mdl."""
    if not (model_dir / "final.mdl").is_file():
        return None, None
    from ..formats.model_io import read_gmm_model

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
    model = model_file(decode_dir)
    return SystemResult(name, decode_dir, wer, line, params, mflops, rtf, dev_wer, oracle,
                        leaves, gaussians,
                        model_mb=None if model is None else model.stat().st_size / 1e6)


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
        float(devs.std(ddof=1)) if devs.size == len(rows) else None, first.model_mb)


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
    """Disk size of a make_soft_targets.sh dir: frames and pdfs from targets.scp (else from
    post.scp and final.mdl), bytes of the arks."""
    import kaldi_native_io as knio

    from ..nnet.distill import soft_target_scp

    scp = soft_target_scp(targets_dir)
    frames, pdfs = 0, 0
    if scp.name == "targets.scp":
        for _, shape in knio.SequentialMatrixShapeReader(f"scp:{scp}"):
            frames += shape.num_rows
            pdfs = shape.num_cols
    else:
        frames = sum(len(top) for _, top in read_topk_posteriors(scp))
        pdfs = read_transition_model_file(targets_dir / "final.mdl").num_pdfs
    dense = sum(f.stat().st_size for f in targets_dir.glob("targets.*.ark"))
    topk = sum(f.stat().st_size for f in targets_dir.glob("post.*.ark"))
    return SoftTargetSize(frames, pdfs, dense, topk)


def soft_target_markdown(size: SoftTargetSize, topk: int | None = None) -> str:
    def per(n: int) -> float:
        return n / max(size.frames, 1)

    lines = ["## Soft targets on disk", "",
             f"{size.frames:,} training frames, {size.pdfs} pdfs.", "",
             "| format | bytes/frame | total MB |", "|---|---:|---:|"]
    if size.dense_bytes:
        lines.append(f"| dense float matrices (targets.scp) | {per(size.dense_bytes):.0f} | "
                     f"{size.dense_bytes / 1e6:.1f} |")
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
        oov = (f"{filt['oov']} dropped for words missing from CMUdict (run without G2P), "
               if filt["oov"] else "")
        lines.append(f"Text filter: {filt['kept']} of {filt['sentences']} sentences kept; "
                     f"{oov}{filt['length']} for length, {filt['duplicate']} duplicates.")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Change:
    """A system's relative WER change vs another on the pooled test (and dev) speakers."""

    test: PairedBootstrap | None  # None: fewer than two test speakers
    dev: PairedBootstrap | None  # None: no dev counts for both, or fewer than two speakers


def _change_cell(change: PairedBootstrap | None, wer: float | None,
                 base_wer: float | None) -> str:
    """`-5.9% [-9.1, -2.6]` from a bootstrap; the bare point from the WERs without one."""
    if change is None:
        return "" if wer is None or not base_wer else f"{100 * (wer - base_wer) / base_wer:+.1f}%"
    if np.isnan(change.rel):
        return ""
    if np.isnan(change.low):
        return f"{100 * change.rel:+.1f}%"
    return f"{100 * change.rel:+.1f}% [{100 * change.low:+.1f}, {100 * change.high:+.1f}]"


def _system_row(r: SystemResult, base: SystemResult | None, change: Change | None) -> str:
    name = r.name if r.runs == 1 else f"{r.name} ({r.runs} runs)"
    test = _change_cell(None if change is None else change.test, r.wer,
                        None if base is None else base.wer)
    dev = _change_cell(None if change is None else change.dev, r.dev_wer,
                       None if base is None else base.dev_wer)
    return (f"| {name} | {_mean_std(r.dev_wer, r.dev_wer_std)} | "
            f"{_mean_std(r.wer, r.wer_std)} | {test} | {dev} | "
            f"{_opt(r.oracle_wer)} | {_count(r.leaves)} | {_count(r.gaussians)} | "
            f"{_count(r.params)} | {_opt(r.model_mb)} | {_opt(r.mflops_per_frame)} | "
            f"{r.rtf:.3f} |")


def _bootstrap_note(changes: Mapping[str, Change]) -> list[str]:
    tests = [c.test for c in changes.values() if c.test is not None]
    devs = [c.dev for c in changes.values() if c.dev is not None]
    if not tests and not devs:
        return ["", "No interval on the relative changes: a bootstrap over speakers needs "
                "at least two speakers."]
    sets = ([f"{tests[0].speakers} test"] if tests else []) + (
        [f"{devs[0].speakers} dev"] if devs else [])
    draws = (tests or devs)[0].draws
    return ["", "Relative change = (WER - WER of the baseline) / WER of the baseline, on the "
            "errors and words of all speakers pooled (several runs: summed over the runs). "
            "[a, b] is its paired bootstrap 95 % interval over speakers (Bisani & Ney 2004): "
            f"the {' and '.join(sets)} speakers are resampled with replacement, {draws} "
            "draws, the same draws for the system and the baseline. An interval that "
            "excludes 0 is a real difference at 95 %; one that contains 0 is within the "
            "noise of which speakers were picked."]


def results_markdown(title: str, results: list[SystemResult], baseline: str | None,
                     corpus: dict | None = None, extra: str = "",
                     changes: Mapping[str, Change] | None = None,
                     per_speaker_file: str | None = None) -> str:
    """RESULTS.md. `changes[name]`: the system's bootstrap vs `baseline` (the baseline's own
    row and systems without one show the bare relative change of the WER column);
    `per_speaker_file`: where the WER per voice is, for a pointer line."""
    base = next((r for r in results if r.name == baseline), None)
    changes = changes or {}
    lines = [f"# Results: {title}", "",
             "Written by the recipe from its own decode dirs; do not edit by hand.", "",
             "| system | dev WER % | WER % | rel. vs baseline | dev rel. | lattice oracle % | "
             "tree leaves | Gaussians | params | model MB | MFLOPs/frame | decode RTF (CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [_system_row(r, base, changes.get(r.name)) for r in results]
    if changes:
        lines += _bootstrap_note(changes)
    if any(r.dev_wer is not None for r in results):
        lines += ["", "Test WER is taken at the LM weight / insertion penalty best on dev."]
    lines += ["", "Decode RTF (CPU): CPU seconds of the decoding processes (one thread each: "
              "acoustic scoring, lattice search, word lattices, LM-weight sweep) per second of "
              "test audio, so jobs sharing the machine do not inflate it."]
    if any(r.runs > 1 for r in results):
        lines += ["", "Rows with several runs (seeds) give mean ± sample standard deviation"
                  + ("." if changes else "; the relative change uses the means.")]
    if per_speaker_file is not None:
        lines += ["", f"WER per voice (one row per dev/test speaker): "
                  f"[{per_speaker_file}]({per_speaker_file})."]
    lines += ["", "Kaldi WER lines:", ""]
    lines += [f"- {r.name}: `{r.wer_line}`" for r in results]
    if base is not None:
        lines += ["", f"Baseline for the relative change: {base.name}."]
    text = "\n".join(lines) + "\n"
    text += "\n" + extra if extra else ""
    return text + ("\n" + corpus_markdown(corpus) if corpus else "")


# --------------------------------------------------------------------------- per voice


def speaker_stats(decode_dir: Path, setting: str,
                  utt2spk: Mapping[str, str]) -> dict[str, SpkStats]:
    """Per-speaker counts of a scored decode dir at one `<lmwt>_<wip>` setting: its
    hypotheses (scoring_kaldi/penalty_<wip>/<lmwt>.txt) against scoring_kaldi/test_filt.txt,
    aligned the way the wer files are (no token filter), sorted by speaker."""
    fix = "decode and score this system first (local/decode.sh)"
    refs = read_text(require_file(decode_dir / "scoring_kaldi" / "test_filt.txt", fix))
    hyps = read_text(require_file(hyp_path(decode_dir, Setting.parse(setting)), fix))
    alignments, _ = align_utterances(refs, hyps, "present")
    return per_spk_stats(alignments, utt2spk)


def speaker_wers(decode_dir: Path, setting: str, utt2spk: Mapping[str, str]) -> dict[str, float]:
    """Per-speaker WER % of `speaker_stats`."""
    return {spk: s.wer for spk, s in speaker_stats(decode_dir, setting, utt2spk).items()}


@dataclass
class SystemSpeakers:
    """One system's per-speaker counts, one {speaker: SpkStats} per run (seed). Test is read
    at the dev-best setting when the run has a dev decode (no tuning on test), otherwise at
    test's best; dev at its own best."""

    test: list[dict[str, SpkStats]]
    dev: list[dict[str, SpkStats]] | None  # None: a run without dev decode, or no dev utt2spk

    def mean_wers(self) -> dict[str, float]:
        """{"dev:<spk>"/"test:<spk>": WER %}, the mean over the runs that have the speaker."""
        values: dict[str, list[float]] = {}
        for split, runs in [("test", self.test), ("dev", self.dev or [])]:
            for stats in runs:
                for spk, s in stats.items():
                    values.setdefault(f"{split}:{spk}", []).append(s.wer)
        return {key: float(np.mean(wers)) for key, wers in values.items()}

    def pooled(self, split: str) -> SpeakerCounts | None:
        """The counts of `split` ("test"/"dev") summed over the runs (None: no dev).
        ValueError when the runs' speakers differ."""
        runs = self.test if split == "test" else self.dev
        return None if runs is None else sum_runs([SpeakerCounts.from_stats(r) for r in runs])


def run_speaker_stats(runs: Sequence[tuple[Path, Path | None]], test_utt2spk: Mapping[str, str],
                      dev_utt2spk: Mapping[str, str] | None) -> SystemSpeakers:
    """`SystemSpeakers` of one system from its (test, dev or None) decode dirs, one per run."""
    test = [speaker_stats(t, dev_setting(t if d is None else d), test_utt2spk) for t, d in runs]
    dev = None
    if dev_utt2spk is not None and all(d is not None for _, d in runs):
        dev = [speaker_stats(d, dev_setting(d), dev_utt2spk) for _, d in runs if d is not None]
    return SystemSpeakers(test, dev)


def run_speaker_wers(runs: Sequence[tuple[Path, Path | None]], test_utt2spk: Mapping[str, str],
                     dev_utt2spk: Mapping[str, str] | None) -> dict[str, float]:
    """{"dev:<spk>"/"test:<spk>": WER %} of one system, averaged over its runs (seeds)."""
    return run_speaker_stats(runs, test_utt2spk, dev_utt2spk).mean_wers()


def _split_bootstrap(system: SystemSpeakers, baseline: SystemSpeakers, split: str,
                     draws: int, seed: int) -> PairedBootstrap | None:
    try:
        sys_counts, base_counts = system.pooled(split), baseline.pooled(split)
        if sys_counts is None or base_counts is None or len(base_counts.speakers) < 2:
            return None  # mismatched speakers still raise: paired_bootstrap checks first
        return paired_bootstrap(sys_counts, base_counts, draws, seed)
    except ValueError as e:
        raise ValueError(f"{split}: {e}") from e


def relative_change(system: SystemSpeakers, baseline: SystemSpeakers, draws: int = DRAWS,
                    seed: int = SEED) -> Change:
    """`paired_bootstrap` of `system` vs `baseline` on test and dev, each with its counts
    summed over its runs (None where a set has no counts or fewer than two speakers).
    ValueError, naming the set, when their speakers differ."""
    return Change(_split_bootstrap(system, baseline, "test", draws, seed),
                  _split_bootstrap(system, baseline, "dev", draws, seed))


def per_speaker_markdown(rows: Sequence[tuple[str, Mapping[str, float]]],
                         title: str | None = None) -> str:
    """A table of per-voice WER %: one row per dev/test speaker, one column per system. With
    a `title`, a whole page (the file beside RESULTS.md)."""
    speakers = sorted({key for _, wers in rows for key in wers},
                      key=lambda k: (not k.startswith("dev:"), k))
    heading = "## WER per voice" if title is None else f"# WER per voice: {title}"
    lines = [heading, "",
             "Dev voices at their best LM weight / insertion penalty, test voices at the "
             "dev-best one (means over runs).", "",
             "| speaker | " + " | ".join(name for name, _ in rows) + " |",
             "|---|" + "---:|" * len(rows)]
    for spk in speakers:
        cells = [f"{wers[spk]:.2f}" if spk in wers else "" for _, wers in rows]
        lines.append(f"| {spk} | " + " | ".join(cells) + " |")
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


@dataclass(frozen=True)
class PairChange:
    """Consecutive systems of an order: `better` (expected) vs `worse` on pooled speakers."""

    worse: str
    better: str
    change: Change  # of `better` vs `worse` (its baseline)


def order_changes(names: Sequence[str], speakers: Mapping[str, SystemSpeakers],
                  draws: int = DRAWS, seed: int = SEED) -> list[PairChange]:
    """`relative_change` of each system of an order (worst expected first) vs the one before
    it. ValueError, naming the pair, when its speakers differ."""
    pairs = []
    for a, b in zip(names, names[1:], strict=False):
        try:
            pairs.append(PairChange(a, b, relative_change(speakers[b], speakers[a], draws, seed)))
        except ValueError as e:
            raise ValueError(f"{b} vs {a}: {e}") from e
    return pairs


def _verdict(b: PairedBootstrap) -> str:
    if np.isnan(b.low):
        return ""
    return "yes" if b.high < 0 else "no" if b.low > 0 else "within noise"


def _pairs_markdown(pairs: Sequence[PairChange]) -> list[str]:
    rows = [(label, p, b) for label in ("dev", "test") for p in pairs
            if (b := getattr(p.change, label)) is not None]
    if not rows:
        return ["", "No pooled comparison: it needs at least two speakers."]
    b0 = rows[0][2]
    lines = ["", "On all speakers pooled (runs summed), each system vs the one before it: the "
             f"relative change with its paired bootstrap 95 % interval over speakers ({b0.draws} "
             "draws, the same for both systems), the fraction of draws in which the second is "
             "better, and whether it is better with the interval excluding 0 (no: worse with "
             "the interval above 0).", "",
             "| set | speakers | A | B | WER % A | WER % B | B vs A | P(B better) | "
             "WER(B) < WER(A)? |", "|---|---:|---|---|---:|---:|---:|---:|---|"]
    lines += [f"| {label} | {b.speakers} | {p.worse} | {p.better} | {b.base_wer:.2f} | "
              f"{b.sys_wer:.2f} | {_change_cell(b, None, None)} | {b.p_better:.3f} | "
              f"{_verdict(b)} |" for label, p, b in rows]
    return lines


def order_markdown(check: OrderCheck, pairs: Sequence[PairChange] | None = None) -> str:
    """A section saying in how many runs WER(last) < ... < WER(first) held, and in which;
    with `pairs` (`order_changes`), also each consecutive pair on pooled speakers."""
    claim = " < ".join(f"WER({n})" for n in reversed(check.names))
    lines = ["## Order of the systems", "",
             f"Does {claim} hold, run by run (runs of the last system: "
             + ", ".join(f"`{r}`" for r in check.runs) + ")?", "",
             "| set | holds in | per run |", "|---|---:|---|"]
    for label, held in [("dev", check.dev), ("test", check.test)]:
        if held is not None:
            lines.append(f"| {label} | {sum(held)} of {len(held)} | "
                         + ", ".join("yes" if h else "no" for h in held) + " |")
    if pairs is not None:
        lines += _pairs_markdown(pairs)
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


def lexicon_markdown(dict_dir: Path, g2p_dir: Path | None) -> str:
    """The lexicon section: how many words, how many of them a G2P pronounced (its
    lexicon_g2p.lex in the dict dir) and the G2P's score on held-out lexicon words."""
    words = {line.split()[0] for line in
             require_file(dict_dir / "lexicon.txt", "make it with local/prepare_dict.sh")
             .read_text(encoding="utf-8").splitlines() if line.strip()}
    lines = ["## Lexicon", "", f"{len(words):,} words in {dict_dir / 'lexicon.txt'}"]
    guessed_path = dict_dir / "lexicon_g2p.lex"
    if guessed_path.is_file():
        guessed = sorted({line.split("\t")[0] for line in
                          guessed_path.read_text(encoding="utf-8").splitlines() if line.strip()})
        lines[-1] += (f"; {len(guessed):,} of them are not in CMUdict and have the G2P's "
                      f"pronunciations ({guessed_path}"
                      + (f", e.g. {', '.join(guessed[:8])}" if guessed else "") + ").")
    else:
        lines[-1] += ", all from CMUdict (and an extra lexicon, if one was given)."
    if g2p_dir is not None:
        score = require_file(g2p_dir / "results.txt", "train it with local/train_g2p.sh")
        lines += ["", f"G2P ({g2p_dir}): {score.read_text(encoding='utf-8').strip()}"]
    return "\n".join(lines) + "\n"


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
