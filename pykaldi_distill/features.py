"""Features with kaldi-native-fbank: fbank/MFCC from Kaldi-style conf files, CMVN stats in
Kaldi's layout, and the apply-cmvn | add-deltas | splice pipeline models read through."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np

from .audio import cut_segment, read_audio
from .data import DataDir
from .errors import InputError, PkdError, require_file
from .formats.io import load_scp

# Kaldi option name -> (options group, attribute, type)
_FRAME_OPTS = {
    "sample-frequency": ("samp_freq", float),
    "frame-shift": ("frame_shift_ms", float),
    "frame-length": ("frame_length_ms", float),
    "dither": ("dither", float),
    "preemphasis-coefficient": ("preemph_coeff", float),
    "remove-dc-offset": ("remove_dc_offset", "bool"),
    "window-type": ("window_type", str),
    "round-to-power-of-two": ("round_to_power_of_two", "bool"),
    "blackman-coeff": ("blackman_coeff", float),
    "snip-edges": ("snip_edges", "bool"),
}
_MEL_OPTS = {
    "num-mel-bins": ("num_bins", int),
    "low-freq": ("low_freq", float),
    "high-freq": ("high_freq", float),
    "vtln-low": ("vtln_low", float),
    "vtln-high": ("vtln_high", float),
}
_FBANK_OPTS = {
    "use-energy": ("use_energy", "bool"),
    "energy-floor": ("energy_floor", float),
    "raw-energy": ("raw_energy", "bool"),
    "htk-compat": ("htk_compat", "bool"),
    "use-log-fbank": ("use_log_fbank", "bool"),
    "use-power": ("use_power", "bool"),
}
_MFCC_OPTS = {
    "num-ceps": ("num_ceps", int),
    "use-energy": ("use_energy", "bool"),
    "energy-floor": ("energy_floor", float),
    "raw-energy": ("raw_energy", "bool"),
    "cepstral-lifter": ("cepstral_lifter", float),
    "htk-compat": ("htk_compat", "bool"),
}


@dataclass
class FeatureConfig:
    """A feature type and its Kaldi options, e.g. read from conf/fbank.conf."""

    kind: str  # "fbank" | "mfcc"
    options: dict[str, str] = field(default_factory=dict)

    @property
    def sample_rate(self) -> int:
        return int(float(self.options.get("sample-frequency", "16000")))


def read_conf(path: str | Path, kind: str) -> FeatureConfig:
    """Parse a Kaldi option file (`--name=value` lines, `#` comments)."""
    p = require_file(path, "create the conf file, e.g. conf/fbank.conf")
    if kind not in ("fbank", "mfcc"):
        raise InputError(p, f"unknown feature type '{kind}'", "use fbank or mfcc")
    allowed = {**_FRAME_OPTS, **_MEL_OPTS, **(_FBANK_OPTS if kind == "fbank" else _MFCC_OPTS)}
    options: dict[str, str] = {}
    for lineno, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.startswith("--") or "=" not in line:
            raise InputError(p, f"line {lineno}: expected --name=value, got '{line}'")
        name, value = line[2:].split("=", 1)
        if name not in allowed:
            raise InputError(p, f"line {lineno}: unknown {kind} option --{name}",
                             f"known options: {', '.join(sorted(allowed))}")
        try:  # a bad value stops here, naming the file, not later as a traceback
            _convert(value, allowed[name][1])
        except ValueError as err:
            raise InputError(p, f"line {lineno}: --{name}={value}: {err}") from None
        options[name] = value
    config = FeatureConfig(kind=kind, options=options)
    if float(options.get("sample-frequency", "16000")) <= 0:
        raise InputError(p, f"--sample-frequency={options['sample-frequency']}: must be > 0")
    try:  # values that do not fit together (too few bins, high-freq past Nyquist ...)
        opts = knf_options(config)
        if kind == "fbank":
            knf.OnlineFbank(opts)
        else:
            knf.OnlineMfcc(opts)
    except (ValueError, RuntimeError) as err:
        raise InputError(p, f"bad {kind} options: {err}") from None
    return config


def _convert(value: str, kind: object) -> object:
    if kind == "bool":
        if value not in ("true", "false"):
            raise ValueError(f"expected true|false, got '{value}'")
        return value == "true"
    try:
        return kind(value)  # type: ignore[operator]
    except ValueError:
        raise ValueError(f"expected {getattr(kind, '__name__', kind)}, got '{value}'") from None


def _set_options(target: object, table: Mapping, options: Mapping[str, str]) -> None:
    for name, value in options.items():
        if name in table:
            attr, kind = table[name]
            setattr(target, attr, _convert(value, kind))


def knf_options(config: FeatureConfig) -> knf.FbankOptions | knf.MfccOptions:
    opts = knf.FbankOptions() if config.kind == "fbank" else knf.MfccOptions()
    # Kaldi's default dither (1.0) is random; ours is 0 unless the conf asks, for repeatability.
    opts.frame_opts.dither = 0.0
    _set_options(opts.frame_opts, _FRAME_OPTS, config.options)
    _set_options(opts.mel_opts, _MEL_OPTS, config.options)
    _set_options(opts, _FBANK_OPTS if config.kind == "fbank" else _MFCC_OPTS, config.options)
    return opts


def compute_features(samples: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Features of one utterance.  samples: (n,) int16-scale -> (frames, dim) float32"""
    opts = knf_options(config)
    extractor = knf.OnlineFbank(opts) if config.kind == "fbank" else knf.OnlineMfcc(opts)
    extractor.accept_waveform(config.sample_rate, samples.astype(np.float32))
    extractor.input_finished()
    n = extractor.num_frames_ready
    if n == 0:
        return np.zeros((0, extractor.dim), dtype=np.float32)
    return np.stack([extractor.get_frame(i) for i in range(n)]).astype(np.float32)


# A segment may end this far (seconds) past its recording and is cut at the end (Kaldi's
# extract-segments --max-overshoot); one that ends further out has the wrong times or audio.
MAX_SEGMENT_OVERSHOOT = 0.5


def utterance_audio(data: DataDir, utt: str, rate: int) -> np.ndarray:
    """The samples of one utterance of a data dir (segments honoured).  # (n,) float32"""
    scp = data.path / "wav.scp"
    if data.segments:
        reco, start, end = data.segments[utt]
        samples = read_audio(data.wav_scp[reco], rate, scp)
        length = len(samples) / rate
        if end > length + MAX_SEGMENT_OVERSHOOT:  # Kaldi's extract-segments skips these
            raise InputError(data.path / "segments", f"segment '{utt}' ends at {end:.2f} s, "
                             f"past the end of recording '{reco}' ({length:.2f} s)",
                             "fix its times, or the recording in wav.scp")
        return cut_segment(samples, rate, start, end)
    return read_audio(data.wav_scp[utt], rate, scp)


def compute_data_features(data: DataDir, config: FeatureConfig
                          ) -> Iterator[tuple[str, np.ndarray]]:
    """(utt, (frames, dim) float32) for every utterance of `data`, in sorted order."""
    for utt in data.utts:
        feats = compute_features(utterance_audio(data, utt, config.sample_rate), config)
        if feats.shape[0] == 0:
            raise InputError(data.path / "wav.scp", f"utterance '{utt}' is too short for "
                             "one frame", "remove it from the data dir")
        yield utt, feats


def speaker_cmvn_stats(feats: Mapping[str, np.ndarray], spk2utt: Mapping[str, list[str]]
                       ) -> dict[str, np.ndarray]:
    """Per-speaker CMVN stats in Kaldi's layout.  -> spk: (2, dim + 1) float64"""
    stats = {}
    for spk, utts in spk2utt.items():
        stats[spk] = sum(knf.compute_cmvn_stats(np.asarray(feats[u], np.float32)) for u in utts)
    return stats


@dataclass(eq=False)
class FeaturePipeline:
    """What a model applies on top of feats.scp, in Kaldi's order: apply-cmvn (cmvn_opts),
    add-deltas (delta_opts), splice-feats (splice_opts), transform-feats (final.mat)."""

    norm_means: bool = True
    norm_vars: bool = False
    delta_order: int = 0
    splice: int = 0  # frames of context on each side
    transform: np.ndarray | None = None  # (out_dim, in_dim) or (out_dim, in_dim + 1): final.mat

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeaturePipeline):
            return NotImplemented
        same_transform = (self.transform is None and other.transform is None) or (
            self.transform is not None and other.transform is not None
            and np.array_equal(self.transform, other.transform))
        return same_transform and (self.norm_means, self.norm_vars, self.delta_order,
                                   self.splice) == (other.norm_means, other.norm_vars,
                                                    other.delta_order, other.splice)

    def cmvn_opts(self) -> str:
        means, norm_vars = str(self.norm_means).lower(), str(self.norm_vars).lower()
        return f"--norm-means={means} --norm-vars={norm_vars}"

    def delta_opts(self) -> str:
        return f"--delta-order={self.delta_order}"


def parse_cmvn_opts(opts: str) -> tuple[bool, bool]:
    """Kaldi apply-cmvn options ("--norm-means=true --norm-vars=false", as in a cmvn_opts file)
    -> (norm_means, norm_vars); an option left out keeps Kaldi's default (true, false)."""
    values = {"norm-means": True, "norm-vars": False}
    for token in opts.split():
        match = re.fullmatch(r"--(norm-means|norm-vars)(?:=(true|false))?", token)
        if match is None:
            raise PkdError(f"unsupported apply-cmvn option '{token}' (supported: "
                           "--norm-means=true|false --norm-vars=true|false)")
        values[match.group(1)] = match.group(2) != "false"
    return values["norm-means"], values["norm-vars"]


def apply_cmvn(feats: np.ndarray, stats: np.ndarray, norm_vars: bool) -> np.ndarray:
    """(frames, dim) float32, stats (2, dim+1) float64 -> (frames, dim) float32"""
    opts = knf.CmvnOptions()
    opts.norm_vars = norm_vars
    return knf.apply_cmvn(stats, opts, np.ascontiguousarray(feats, np.float32))


def add_deltas(feats: np.ndarray, order: int, window: int = 2) -> np.ndarray:
    """Kaldi add-deltas.  (frames, dim) -> (frames, dim * (order + 1))"""
    if order == 0:
        return feats
    opts = knf.DeltaOptions()
    opts.order = order
    opts.window = window
    return knf.compute_deltas(opts, np.ascontiguousarray(feats, np.float32))


def delta_matrix(dim: int, order: int = 2, window: int = 2) -> np.ndarray:
    """add-deltas as a final.mat over splice-feats with context order * window:
    (dim * (order + 1), dim * (2 * order * window + 1)), so that
    apply_transform(splice(x, order * window), M) == add_deltas(x, order, window), edges
    included (both replicate the edge frames). Read off add_deltas' impulse responses."""
    context = order * window
    width = 2 * context + 1
    impulses = np.zeros((width * dim, width, dim), np.float32)  # one input per column of M
    impulses.reshape(width * dim, width * dim)[np.arange(width * dim), np.arange(width * dim)] = 1
    return np.stack([add_deltas(x, order, window)[context] for x in impulses], axis=1)


def apply_transform(feats: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """Kaldi transform-feats: (frames, in_dim) -> (frames, out_dim); a matrix with one column
    more than in_dim is affine (last column added)."""
    if matrix is None:
        return feats
    dim = feats.shape[1]
    if matrix.shape[1] not in (dim, dim + 1):
        raise ValueError(f"transform of shape {matrix.shape} does not fit {dim}-dim features")
    out = feats @ matrix[:, :dim].T
    if matrix.shape[1] == dim + 1:
        out = out + matrix[:, dim]
    return np.ascontiguousarray(out, dtype=np.float32)


def splice(feats: np.ndarray, context: int) -> np.ndarray:
    """Kaldi splice-feats with edge replication.  (frames, dim) -> (frames, dim * (2c + 1))"""
    if context == 0:
        return feats
    n = feats.shape[0]
    idx = np.clip(np.arange(n)[:, None] + np.arange(-context, context + 1)[None, :], 0, n - 1)
    return feats[idx].reshape(n, -1)


def check_feature_dim(feats: np.ndarray, expected: int, source: Path) -> None:
    if feats.shape[1] != expected:
        raise InputError(source, f"feature dim {feats.shape[1]} but the model expects {expected}",
                         "use features made with the same conf (fbank vs mfcc, num bins)")


def load_features(data: DataDir, pipeline: FeaturePipeline
                  ) -> Iterator[tuple[str, np.ndarray]]:
    """feats.scp through apply-cmvn (per speaker) and add-deltas, like a Kaldi feature
    pipeline `apply-cmvn --utt2spk ... | add-deltas`.  Yields (utt, (frames, dim'))."""
    if not data.feats_scp:
        raise InputError(data.path / "feats.scp", "file does not exist",
                         "run local/make_feats.sh on this data dir first")
    feats_scp = load_scp(data.path / "feats.scp")
    need_cmvn = pipeline.norm_means or pipeline.norm_vars
    if need_cmvn and not data.cmvn_scp:
        raise InputError(data.path / "cmvn.scp", "file does not exist",
                         "run local/compute_cmvn_stats.sh on this data dir first")
    cmvn_scp = load_scp(data.path / "cmvn.scp") if need_cmvn else {}
    for utt in data.utts:
        feats = np.asarray(feats_scp[utt], dtype=np.float32)
        if need_cmvn:
            spk = data.utt2spk[utt]
            if spk not in data.cmvn_scp:
                raise InputError(data.path / "cmvn.scp", f"no stats for speaker '{spk}'",
                                 "re-run local/compute_cmvn_stats.sh")
            stats = np.asarray(cmvn_scp[spk], dtype=np.float64)
            if not pipeline.norm_means:
                stats = stats.copy()
                stats[0, :-1] = 0.0
            feats = apply_cmvn(feats, stats, pipeline.norm_vars)
        yield utt, apply_transform(splice(add_deltas(feats, pipeline.delta_order),
                                          pipeline.splice), pipeline.transform)
