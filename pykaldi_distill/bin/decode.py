"""Decode a data dir with HCLG and a GMM or hybrid neural model (gmm-latgen-faster /
latgen-faster-mapped, best path), one job's share:
`decode.py [--lmwts "10"] <graph-dir> <data-dir> <model-dir> <out-dir>` writes
`<out-dir>/<lmwt>.txt` (Kaldi text of hypotheses, acoustic scale 1/lmwt) and
`<out-dir>/rtf.json`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import kaldifst
import numpy as np

from ..cli import log, run
from ..data import load_data_dir
from ..decode import DecoderConfig, decode_gmm, decode_loglikes, make_decoder
from ..errors import InputError, require_file
from ..expdir import read_pipeline
from ..features import FeaturePipeline, check_feature_dim, load_features
from ..io import read_table, write_table, write_text_atomic
from ..model_io import read_gmm_model


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="decode", description=__doc__)
    d = DecoderConfig()
    p.add_argument("--lmwts", default="", help="LM weights (= 1/acoustic scale) to decode with;"
                   " default 12 for GMMs and 10 for neural models, as in Kaldi recipes")
    p.add_argument("--beam", type=float, default=d.beam)
    p.add_argument("--max-active", type=int, default=d.max_active)
    p.add_argument("graph_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("model_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


Decoder = Callable[[object, np.ndarray, float, str], object]


def gmm_scorer(model_dir: Path) -> tuple[object, FeaturePipeline, Decoder, int]:
    tm, am = read_gmm_model(model_dir / "final.mdl")

    def decode(decoder: object, feats: np.ndarray, acwt: float, utt: str) -> object:
        return decode_gmm(decoder, tm, am, feats, acwt, DecoderConfig(), utt)

    return tm, read_pipeline(model_dir), decode, am.dim


def nnet_scorer(model_dir: Path) -> tuple[object, FeaturePipeline, Decoder, int]:
    from ..hybrid import load_hybrid_model

    hybrid = load_hybrid_model(model_dir)

    def decode(decoder: object, feats: np.ndarray, acwt: float, utt: str) -> object:
        return decode_loglikes(decoder, hybrid.tm, hybrid.pseudo_loglikes(feats), acwt,
                               DecoderConfig(), utt)

    return hybrid.tm, hybrid.pipeline, decode, hybrid.input_dim


def main_args(args: argparse.Namespace) -> None:
    is_nnet = (args.model_dir / "final.pt").is_file()
    tm, pipeline, decode, input_dim = (nnet_scorer if is_nnet else gmm_scorer)(args.model_dir)
    lmwts = [float(x) for x in (args.lmwts.split() or (["10"] if is_nnet else ["12"]))]
    hclg = kaldifst.StdVectorFst.read(str(require_file(args.graph_dir / "HCLG.fst",
                                                       "build it with local/mkgraph.sh")))
    id2word = {int(i): w for w, i in read_table(args.graph_dir / "words.txt").items()}
    data = load_data_dir(args.data_dir)
    decoder = make_decoder(hclg, DecoderConfig(beam=args.beam, max_active=args.max_active))
    hyps: dict[float, dict[str, str]] = {w: {} for w in lmwts}
    frames, seconds, failed = 0, 0.0, 0
    for utt, feats in load_features(data, pipeline):
        check_feature_dim(feats, input_dim, data.path / "feats.scp")
        for lmwt in lmwts:
            start = time.perf_counter()
            result = decode(decoder, feats, 1.0 / lmwt, utt)
            seconds += time.perf_counter() - start
            failed += not result.ok
            hyps[lmwt][utt] = " ".join(id2word[w] for w in result.words)
        frames += feats.shape[0]
    if not frames:
        raise InputError(data.path, "no utterances to decode")
    for lmwt, table in hyps.items():
        write_table(args.out_dir / f"{lmwt:g}.txt", table)
    audio_seconds = frames * 0.01 * len(lmwts)
    stats = {"frames": frames, "decode_seconds": seconds, "audio_seconds": audio_seconds,
             "rtf": seconds / audio_seconds, "failed": failed}
    write_text_atomic(args.out_dir / "rtf.json", json.dumps(stats) + "\n")
    log(f"decoded {len(data.utts)} utterances, {failed} without reaching a final state, "
        f"RTF {stats['rtf']:.3f}")
    del tm


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
