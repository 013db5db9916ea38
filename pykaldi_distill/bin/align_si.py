"""Align a data dir with a GMM system (Kaldi steps/align_si.sh, one job's share):
`align_si.py [--ali-name ali.1.gz] <data-dir> <lang-dir> <src-exp-dir> <ali-dir>`.

With `--fmllr` (a SAT model dir: final.mdl, final.alimdl), align as steps/align_fmllr.sh
does: final.alimdl on the unadapted features, one fMLLR transform per speaker from those
alignments, then final.mdl on the adapted features; the transforms go to `--trans-name`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kaldi_hmm_gmm as khg

from ..cli import log, run, training_graphs
from ..data import load_data_dir
from ..errors import InputError, PkdError, require_file
from ..expdir import check_feat_type, read_pipeline
from ..features import load_features
from ..formats.io import write_int_vectors_gz, write_matrix_ark
from ..formats.model_io import read_gmm_model, read_tree
from ..gmm.sat import align_fmllr
from ..gmm.system import (
    AlignConfig,
    GmmSystem,
    MonoConfig,
    align_all,
    check_align_beams,
)
from ..lang import check_model_phones, load_lang


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="align_si", description=__doc__)
    d = AlignConfig()
    p.add_argument("--beam", type=float, default=d.beam)
    p.add_argument("--retry-beam", type=float, default=d.retry_beam)
    p.add_argument("--boost-silence", type=float, default=d.boost_silence)
    p.add_argument("--ali-name", default="ali.1.gz")
    p.add_argument("--fmllr", action="store_true",
                   help="speaker-adapted alignment of a SAT model (align_fmllr.sh)")
    p.add_argument("--trans-name", default="trans.1",
                   help="with --fmllr: the speakers' transforms, a Kaldi matrix archive")
    p.add_argument("data_dir", type=Path)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("src_dir", type=Path)
    p.add_argument("ali_dir", type=Path)
    return p


def read_alimdl(args: argparse.Namespace) -> khg.AmDiagGmm | None:
    """final.alimdl for --fmllr; a SAT system without --fmllr is an error."""
    path = args.src_dir / "final.alimdl"
    if args.fmllr:
        fix = "train it with local/train_sat.sh, or align without --fmllr"
        return read_gmm_model(require_file(path, fix))[1]
    if path.is_file():
        raise InputError(path, "this is a speaker-adapted (SAT) system; align it with --fmllr "
                         "(local/align_fmllr.sh)")
    return None


def main_args(args: argparse.Namespace) -> None:
    check_align_beams(args.beam, args.retry_beam)
    alimdl = read_alimdl(args)
    data = load_data_dir(args.data_dir, need_text=True)
    check_feat_type(args.src_dir, data.path)
    lang = load_lang(args.lang_dir)
    tm, am = read_gmm_model(args.src_dir / "final.mdl")
    check_model_phones(args.lang_dir / "phones.txt", tm, f"{args.src_dir}/final.mdl",
                       "use the lang dir the model was trained with (same phones)")
    system = GmmSystem(tm, read_tree(args.src_dir / "tree"), am)
    pipeline = read_pipeline(args.src_dir)
    compile_graph = training_graphs(lang, data)
    feats = dict(load_features(data, pipeline))
    dim = next(iter(feats.values())).shape[1] if feats else am.dim
    if dim != am.dim:
        raise PkdError(f"{data.path / 'feats.scp'}: features have dim {dim} after the feature "
                       f"pipeline but the model in {args.src_dir} expects {am.dim} (fix: use "
                       "the features it was trained on)")
    config = MonoConfig(beam=args.beam, retry_beam=args.retry_beam,
                        boost_silence=args.boost_silence)
    graphs = {u: compile_graph(system, u) for u in data.utts}
    if alimdl is not None:
        alignments, transforms = align_fmllr(system, alimdl, graphs, feats, data.utt2spk,
                                             lang.silence_phone_ids, config)
        log(f"{len(transforms)} speaker transforms")
        write_matrix_ark(args.ali_dir / args.trans_name, sorted(transforms.items()))
    else:
        alignments = align_all(system, graphs, feats, config, lang.silence_phone_ids)
    log(f"aligned {len(alignments)} of {len(feats)} utterances")
    if not alignments:
        raise PkdError(f"{data.path}: no utterance could be aligned with {args.src_dir}")
    write_int_vectors_gz(args.ali_dir / args.ali_name, sorted(alignments.items()))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
