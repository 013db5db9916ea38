"""The files of a Kaldi exp dir that say how its model reads features and alignments:
`cmvn_opts`, `delta_opts`, `splice_opts`, `num_jobs`, `feats.conf`/`feat_type`, `ali.*.gz`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from .data import DataDir, load_data_dir
from .errors import InputError, PkdError, require_dir, require_file
from .features import FeatureConfig, FeaturePipeline, parse_cmvn_opts, read_conf
from .formats.io import read_int_vectors, write_int_vectors_gz, write_text_atomic
from .formats.kaldi_format import read_kaldi_matrix, write_kaldi_matrix
from .formats.model_io import read_gmm_model, read_tree
from .gmm.system import GmmSystem
from .lang import Lang, load_lang


def write_pipeline(exp: Path, pipeline: FeaturePipeline) -> None:
    """cmvn_opts, delta_opts, splice_opts and, with a feature transform, final.mat."""
    if pipeline.transform is not None:
        write_kaldi_matrix(exp / "final.mat", pipeline.transform)
    write_text_atomic(exp / "cmvn_opts", pipeline.cmvn_opts() + "\n")
    write_text_atomic(exp / "delta_opts", pipeline.delta_opts() + "\n")
    write_text_atomic(exp / "splice_opts", f"--left-context={pipeline.splice} "
                      f"--right-context={pipeline.splice}\n")


def _opts(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return dict(re.findall(r"--([\w-]+)=(\S+)", path.read_text()))


def read_cmvn_opts(exp: Path) -> tuple[bool, bool]:
    """(norm_means, norm_vars) of an exp dir's cmvn_opts; Kaldi's defaults if it has none."""
    path = exp / "cmvn_opts"
    try:
        return parse_cmvn_opts(path.read_text() if path.is_file() else "")
    except PkdError as e:
        raise InputError(path, str(e), "write Kaldi apply-cmvn options into it") from None


def read_pipeline(exp: Path) -> FeaturePipeline:
    """Read cmvn_opts/delta_opts/splice_opts/final.mat as Kaldi writes them; missing files
    mean Kaldi defaults. As in Kaldi's scripts, a final.mat makes the features spliced +
    transformed (feat_type lda) and delta_opts is not used."""
    delta, splice = _opts(exp / "delta_opts"), _opts(exp / "splice_opts")
    delta_order = int(delta.get("delta-order", 2 if (exp / "delta_opts").is_file() else 0))
    transform = None
    if (exp / "final.mat").is_file():
        transform, delta_order = read_kaldi_matrix(exp / "final.mat"), 0
        if splice.get("left-context") != splice.get("right-context"):
            raise InputError(exp / "splice_opts", "left and right context differ",
                             "use symmetric --left-context/--right-context")
    norm_means, norm_vars = read_cmvn_opts(exp)
    return FeaturePipeline(
        norm_means=norm_means,
        norm_vars=norm_vars,
        delta_order=delta_order,
        splice=int(splice.get("left-context", 0)),
        transform=transform,
    )


def save_feature_config(exp: Path, conf_path: Path, kind: str) -> None:
    """Keep the feature conf with the model so its users (decode your own data) match it."""
    exp.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(conf_path, exp / f"{kind}.conf")
    write_text_atomic(exp / "feat_type", kind + "\n")


def copy_feature_config(src: Path, exp: Path) -> None:
    """Carry `feat_type` + its conf from a data dir (or exp dir) into an exp dir."""
    kind = feat_type(src)
    if kind is not None:
        save_feature_config(exp, src / f"{kind}.conf", kind)


def load_feature_config(exp: Path) -> FeatureConfig:
    kind = require_file(exp / "feat_type", "re-train the model with our step scripts, or write "
                        "fbank|mfcc into it").read_text().strip()
    return read_conf(exp / f"{kind}.conf", kind)


def feat_type(d: Path) -> str | None:
    """The kind of features a data or exp dir records in `feat_type`, if it does."""
    f = d / "feat_type"
    return f.read_text().strip() if f.is_file() else None


def check_feat_type(model_dir: Path, data_dir: Path) -> None:
    """A model reads only the kind of features it was trained on (its feat_type vs the data
    dir's): 40 fbank bins and 40-dim fMLLR features pass the dimension check alike."""
    model_kind, data_kind = feat_type(model_dir), feat_type(data_dir)
    if model_kind is None or data_kind is None or model_kind == data_kind:
        return
    if model_kind == "fmllr":
        fix = ("make fMLLR features of it with local/make_fmllr_feats.sh (the GMM dir is in "
               f"{model_dir / 'fmllr.conf'}), or decode it with local/decode_data.sh")
    else:
        fix = f"make {model_kind} features of it (local/make_feats.sh --feat-type {model_kind})"
    raise InputError(data_dir / "feat_type", f"'{data_kind}' features, but {model_dir} was "
                     f"trained on '{model_kind}' features", fix)


def alignment_files(ali_dir: Path) -> list[Path]:
    """ali.1.gz .. ali.<num_jobs>.gz. `num_jobs` is written last by every aligner (as in Kaldi),
    so a dir without it, or missing one of its files, is an alignment that did not finish."""
    require_dir(ali_dir, "run the alignment stage (local/align_si.sh) first")
    fix = "re-run the step that made it (local/align_si.sh, align_fmllr.sh or align_nnet.sh)"
    num_jobs_file = ali_dir / "num_jobs"
    if not num_jobs_file.is_file():
        found = sorted(p.name for p in ali_dir.glob("ali.*.gz"))
        what = f"has {', '.join(found)} but no num_jobs" if found else "has no num_jobs"
        raise InputError(num_jobs_file, f"the alignment dir {what}: it is incomplete (an "
                         "alignment job failed or was killed)", fix)
    text = num_jobs_file.read_text().strip()
    if not text.isdigit() or int(text) < 1:
        raise InputError(num_jobs_file, f"not a job count: '{text}'", fix)
    files = [ali_dir / f"ali.{n}.gz" for n in range(1, int(text) + 1)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise InputError(ali_dir, f"num_jobs is {text} but {', '.join(missing)} is missing: "
                         "the alignment is incomplete", fix)
    return files


def read_alignments(ali_dir: Path) -> Iterator[tuple[str, list[int]]]:
    for f in alignment_files(ali_dir):
        yield from read_int_vectors(f)


def write_gmm_exp_dir(exp: Path, tm: object, tree: object, am: object,
                      alignments: dict[str, list[int]], pipeline: FeaturePipeline,
                      data_dir: Path, config: object) -> None:
    """The files of a GMM exp dir; final.mdl goes last so its presence marks completion."""
    import dataclasses
    import json

    from .formats.model_io import write_gmm_model, write_tree

    exp.mkdir(parents=True, exist_ok=True)
    write_tree(exp / "tree", tree)
    write_int_vectors_gz(exp / "ali.1.gz", sorted(alignments.items()))
    write_text_atomic(exp / "num_jobs", "1\n")
    write_pipeline(exp, pipeline)
    copy_feature_config(data_dir, exp)
    write_text_atomic(exp / "config.json",
                      json.dumps(dataclasses.asdict(config), indent=1, sort_keys=True) + "\n")
    write_gmm_model(exp / "final.mdl", tm, am)


def cmvn_settings(cmvn_opts: str, ali_dir: Path) -> tuple[bool, bool]:
    """(norm_means, norm_vars) from apply-cmvn options, else as `ali_dir`'s system applied
    them (its cmvn_opts), as Kaldi's trainers take them from the alignment dir."""
    if not cmvn_opts:
        return read_cmvn_opts(ali_dir)
    return parse_cmvn_opts(cmvn_opts)


def load_gmm_source(data_dir: Path, lang_dir: Path, ali_dir: Path
                    ) -> tuple[DataDir, Lang, GmmSystem, dict[str, list[int]]]:
    """A tree trainer's inputs: the training data dir, the lang dir, and the source system
    of the alignment dir (final.mdl, tree) with its alignments."""
    tm, am = read_gmm_model(ali_dir / "final.mdl")
    source = GmmSystem(tm, read_tree(ali_dir / "tree"), am)
    return (load_data_dir(data_dir, need_text=True), load_lang(lang_dir), source,
            dict(read_alignments(ali_dir)))
