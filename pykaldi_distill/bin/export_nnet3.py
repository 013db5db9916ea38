"""Export a DNN student as a Kaldi nnet3 model in a Vosk model directory:
`export_nnet3.py [options] <student-exp-dir> <graph-dir> <out-dir>`.

<out-dir>/am/final.mdl is the student as nnet3-am-copy writes it (TransitionModel +
AmNnetSimple with its priors; binary unless --binary false), which Kaldi's
nnet3-latgen-faster and online2-wav-nnet3-latgen-faster read; with conf/, graph/ and
conf/model.conf around it the directory is a Vosk model (decode_vosk.py). The student's input
normalisation and BatchNorm are folded into its affines. Vosk has no per-speaker CMVN: a
student trained with mean normalisation gets the training set's global mean
(am/global_cmvn.stats, what Vosk subtracts from fbank), which costs accuracy; train a
streaming student with --cmvn-opts "--norm-means=false" to export it exactly.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..cli import log, log_config, run
from ..deploy.nnet3 import load_exported_student, write_nnet3_model
from ..deploy.vosk_model import (
    VoskDecoderConfig,
    copy_graph,
    global_cmvn_stats,
    write_feature_conf,
)
from ..errors import InputError, require_file
from ..expdir import feat_type, read_pipeline
from ..features import FeaturePipeline
from ..formats.io import load_scp, write_text_atomic
from ..formats.kaldi_format import write_kaldi_matrix
from ..lang import read_ints
from ..nnet.hybrid import load_hmm_info
from ..nnet.student import count_params


def get_parser() -> argparse.ArgumentParser:
    d = VoskDecoderConfig()
    p = argparse.ArgumentParser(prog="export_nnet3", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", choices=["true", "false"], default="true",
                   help="write final.mdl in Kaldi binary (default) or text")
    p.add_argument("--acoustic-scale", type=float, default=d.acoustic_scale,
                   help="Vosk's acoustic scale: 1 / the LM weight chosen on dev")
    p.add_argument("--beam", type=float, default=d.beam)
    p.add_argument("--max-active", type=int, default=d.max_active)
    p.add_argument("--lattice-beam", type=float, default=d.lattice_beam)
    p.add_argument("--train-data", type=Path, default=None,
                   help="the data dir whose cmvn.scp gives the global mean for a student "
                        "trained with mean normalisation (default: the one in config.json)")
    p.add_argument("exp_dir", type=Path)
    p.add_argument("graph_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


def check_graph(graph: Path, num_pdfs: int) -> None:
    path = require_file(graph / "num_pdfs", "make the graph with local/mkgraph.sh")
    text = path.read_text().strip()
    if text != str(num_pdfs):
        raise InputError(path, f"the graph is for {text} pdfs, the student has {num_pdfs}",
                         "give the graph of the GMM whose tree the student was trained on")


def vosk_features(exp: Path) -> tuple[str, FeaturePipeline]:
    """The student's feature kind and pipeline, refused when Vosk cannot reproduce them."""
    kind = feat_type(exp)
    if kind not in ("fbank", "mfcc"):
        raise InputError(exp / "feat_type", f"'{kind}' features: Vosk computes only fbank or "
                         "mfcc online", "export a student trained on fbank or mfcc features")
    pipeline = read_pipeline(exp)
    if pipeline.norm_vars or pipeline.delta_order or pipeline.transform is not None:
        raise InputError(exp / "cmvn_opts", "the student's features need variance "
                         "normalisation, deltas or a transform, which Vosk does not apply",
                         "train it on plain fbank or mfcc with --norm-vars=false")
    return kind, pipeline


def train_data_of(exp: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    config = require_file(exp / "config.json", "give --train-data")
    return Path(json.loads(config.read_text())["data"])


def write_global_cmvn(exp: Path, train_data: Path, out: Path) -> None:
    scp = require_file(train_data / "cmvn.scp", "give --train-data <the student's training "
                       "data dir>")
    stats = global_cmvn_stats(list(load_scp(scp).values()))  # (2, dim+1)
    write_kaldi_matrix(out / "am" / "global_cmvn.stats", stats, binary=False)
    log(f"WARNING: {exp} was trained with per-speaker mean normalisation; Vosk subtracts one "
        f"global mean (of {train_data}) instead, which costs accuracy. For streaming, train "
        "the student with --cmvn-opts \"--norm-means=false\".")


def main_args(args: argparse.Namespace) -> None:
    config = VoskDecoderConfig(acoustic_scale=args.acoustic_scale, beam=args.beam,
                               max_active=args.max_active, lattice_beam=args.lattice_beam)
    log_config(config)
    exp = args.exp_dir
    model, student = load_exported_student(exp)
    hmm = load_hmm_info(exp)
    check_graph(args.graph_dir, hmm.num_pdfs)
    kind, pipeline = vosk_features(exp)
    silence = read_ints(args.graph_dir / "phones" / "silence.int")
    out = args.out_dir
    for part in ["am", "conf", "graph"]:  # an earlier export's files go, the dir (lock) stays
        shutil.rmtree(out / part, ignore_errors=True)
    (out / "am").mkdir(parents=True)
    for name in ["tree", "cmvn_opts"]:
        shutil.copyfile(exp / name, out / "am" / name)
    if pipeline.norm_means:
        write_global_cmvn(exp, train_data_of(exp, args.train_data), out)
    write_feature_conf(exp / f"{kind}.conf", kind, out)
    write_text_atomic(out / "conf" / "model.conf", "".join(f"{x}\n" for x in
                                                             config.lines(silence)))
    copy_graph(args.graph_dir, out)
    write_nnet3_model(out / "am" / "final.mdl", hmm.tm, student, binary=args.binary == "true")
    size = (out / "am" / "final.mdl").stat().st_size
    log(f"wrote {out}: {count_params(model)} parameters, final.mdl {size / 1e6:.2f} MB, "
        f"{student.unseen_pdfs} pdfs without training frames")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
