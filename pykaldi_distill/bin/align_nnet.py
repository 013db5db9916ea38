"""Hard alignments from a hybrid network (the teacher), one job's share:
`align_nnet.py [--mode viterbi|argmax] <data-dir> <lang-dir> <nnet-dir> <ali-dir>`.

viterbi (Kaldi's steps/nnet3/align.sh): forced alignment of each transcript through its
training graph with the network's pseudo-log-likelihoods. argmax: the frame-wise most likely
pdf, written as a transition-id of that pdf (ali-to-pdf returns it; not an HMM path). Both
write `<ali-dir>/<ali-name>` (Kaldi int-vector archive, gzip)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ..cli import log, run, training_graphs
from ..data import load_data_dir
from ..errors import PkdError
from ..expdir import check_feat_type
from ..features import check_feature_dim, load_features
from ..formats.io import write_int_vectors_gz
from ..gmm.system import GmmSystem, MonoConfig, check_align_beams
from ..lang import check_model_phones, load_lang
from ..nnet.hybrid import argmax_alignment, load_hybrid_model, viterbi_alignment


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="align_nnet", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=("viterbi", "argmax"), default="viterbi")
    p.add_argument("--acoustic-scale", type=float, default=0.1)
    p.add_argument("--beam", type=float, default=10.0)
    p.add_argument("--retry-beam", type=float, default=40.0)
    p.add_argument("--ali-name", default="ali.1.gz")
    p.add_argument("--num-threads", type=int, default=1)
    p.add_argument("data_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("nnet_dir", type=Path)
    p.add_argument("ali_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    check_align_beams(args.beam, args.retry_beam)
    torch.set_num_threads(args.num_threads)
    data = load_data_dir(args.data_dir, need_text=args.mode == "viterbi")
    check_feat_type(args.nnet_dir, data.path)
    model = load_hybrid_model(args.nnet_dir)
    config = MonoConfig(beam=args.beam, retry_beam=args.retry_beam,
                        acoustic_scale=args.acoustic_scale)
    compile_graph = None
    if args.mode == "viterbi":
        compile_graph = training_graphs(load_lang(args.lang_dir), data)
        check_model_phones(args.lang_dir / "phones.txt", model.tm,
                           f"{args.nnet_dir}/final.mdl",
                           "use the lang dir the model was trained with (same phones)")
        system = GmmSystem(model.tm, model.tree, None)
    alignments = {}
    for utt, feats in load_features(data, model.pipeline):
        check_feature_dim(feats, model.input_dim, data.path / "feats.scp")
        if compile_graph is None:
            alignments[utt] = argmax_alignment(model.tm, model.log_posteriors(feats))
            continue
        ali = viterbi_alignment(model, compile_graph(system, utt), feats, config, utt)
        if ali is not None:
            alignments[utt] = ali
    log(f"aligned {len(alignments)} of {len(data.utts)} utterances ({args.mode})")
    if not alignments:
        raise PkdError(f"{data.path}: no utterance could be aligned with {args.nnet_dir}")
    write_int_vectors_gz(args.ali_dir / args.ali_name, sorted(alignments.items()))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
