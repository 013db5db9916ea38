"""Decode a data dir with HCLG and a GMM or hybrid neural model, one job's share:
`decode.py [options] <graph-dir> <data-dir> <model-dir> <out-dir>`.

Best-path mode (gmm-decode-faster / decode-faster-mapped) decodes once per `--lmwts` value
(acoustic scale 1/lmwt). With `--lattices`, it decodes once into lattices (gmm-latgen /
latgen-mapped at acoustic scale 1/`--lattice-lmwt`), writes them to `<out-dir>/lat.gz`
(word lattices as a binary Kaldi Lattice archive; `--text-lattices` for Kaldi text),
and rescores every LMWT in [--min-lmwt, --max-lmwt] and every WIP in
`--wips`, plus the lattice oracle. Hypotheses go to `<out-dir>/penalty_<wip>/<lmwt>.txt`
(Kaldi text), the oracle to `<out-dir>/oracle.txt`, timing to `<out-dir>/rtf.json`.

With `--fmllr` (a SAT model dir: final.mdl + final.alimdl), it first estimates each
speaker's fMLLR transform as steps/decode_fmllr.sh does (a speaker-independent best path
with final.alimdl, then one with final.mdl on the adapted features), writes them to
`<out-dir>/trans.ark` and decodes the adapted features; rtf.json counts all passes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import kaldifst
import numpy as np

from ..acoustic import AcousticModel, NeuralOptions, load_acoustic_model
from ..cli import log, run
from ..data import DataDir, load_data_dir
from ..decoding import lattice
from ..decoding.decode import DecoderConfig, decode_loglikes, make_decoder
from ..errors import InputError, PkdError, require_file
from ..expdir import check_feat_type
from ..features import FeaturePipeline, apply_transform, check_feature_dim, load_features
from ..formats.io import read_table, write_matrix_ark, write_table, write_text_atomic
from ..formats.model_io import read_gmm_model
from ..gmm.sat import FmllrDecodeConfig, decode_transforms
from ..hmm.transitions import transition_id_matrix
from ..lang import check_model_phones, read_ints


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="decode", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = DecoderConfig()
    p.add_argument("--lmwts", default="", help="best-path mode: LM weights (= 1/acoustic "
                   "scale); default 12 for GMMs and 10 for neural models, as in Kaldi recipes")
    p.add_argument("--beam", type=float, default=d.beam)
    p.add_argument("--max-active", type=int, default=d.max_active)
    p.add_argument("--lattices", action="store_true", help="lattice mode (see above)")
    p.add_argument("--lattice-beam", type=float, default=d.lattice_beam)
    p.add_argument("--lattice-lmwt", type=float, default=None,
                   help="LM weight the lattices are generated at (default as --lmwts)")
    p.add_argument("--text-lattices", action="store_true",
                   help="write lattices as Kaldi text (default: binary, as Kaldi)")
    p.add_argument("--min-lmwt", type=int, default=None,
                   help="smallest LM weight scored (default: 7 for GMMs, 4 for networks)")
    p.add_argument("--max-lmwt", type=int, default=None,
                   help="largest LM weight scored (default: 17 for GMMs, 15 for networks)")
    p.add_argument("--wips", default="0.0 0.5 1.0", help="word insertion penalties")
    p.add_argument("--fmllr", action="store_true",
                   help="speaker-adapted decoding of a SAT model (see above)")
    p.add_argument("--class-frame-counts", type=Path, default=None,
                   help="neural models: pdf counts for the priors (default: the model dir's "
                   "ali_train_pdf.counts), as nnet1's decode.sh")
    p.add_argument("--prior-scale", type=float, default=1.0,
                   help="neural models: log P(s|x) - prior_scale * log P(s) (nnet-forward's)")
    p.add_argument("--exported", type=Path, default=None,
                   help="DNN students: score with this export of the model dir's network "
                   "(export_embedded.py): .onnx (fp32 or int8) on ONNX Runtime, one thread, "
                   "or .int8.pt on PyTorch's int8 kernels")
    for name, what in [("frames-per-chunk", "output frames per chunk, 0 = whole utterance"),
                       ("extra-left-context", "frames of context before each chunk"),
                       ("extra-right-context", "frames of context after each chunk")]:
        p.add_argument(f"--{name}", type=int, default=None, help=f"BLSTM models: {what} "
                       "(default: as the model was trained, from its checkpoint)")
    p.add_argument("graph_dir", type=Path)
    p.add_argument("data_dir", type=Path)
    p.add_argument("model_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    return p


_CHUNK_OPTIONS = ("frames_per_chunk", "extra_left_context", "extra_right_context")


def load_scorer(args: argparse.Namespace) -> AcousticModel:
    """The model dir's acoustic scorer with the neural options given."""
    options = NeuralOptions(args.class_frame_counts, args.prior_scale, args.exported,
                            {name: getattr(args, name) for name in _CHUNK_OPTIONS
                             if getattr(args, name) is not None})
    model = load_acoustic_model(args.model_dir, options)
    log(model.description)
    return model


def fmllr_transforms(args: argparse.Namespace, hclg: kaldifst.StdVectorFst, data: DataDir,
                     si_feats: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """decode_fmllr.sh's speaker transforms for this job's data."""
    if (args.model_dir / "final.pt").is_file():
        raise PkdError(f"--fmllr needs a SAT GMM model dir; {args.model_dir} holds a neural "
                       "model (decode it without --fmllr)")
    fix = "train it with local/train_sat.sh, or decode without --fmllr"
    tm, am = read_gmm_model(args.model_dir / "final.mdl")
    _, alimdl = read_gmm_model(require_file(args.model_dir / "final.alimdl", fix))
    silence = read_ints(require_file(args.graph_dir / "phones" / "silence.int",
                                     "rebuild the graph with local/mkgraph.sh"))
    lmwt = float(args.lmwts.split()[0]) if args.lmwts.split() else 12.0
    return decode_transforms(hclg, tm, am, alimdl, si_feats, data.utt2spk, silence,
                             FmllrDecodeConfig(acwt=1.0 / lmwt))


@dataclass
class Clock:
    """Seconds spent decoding: wall clock, and CPU time of this process, which other jobs
    sharing the machine do not inflate (the decoder and the scorers run on one thread)."""

    wall: float = 0.0
    cpu: float = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu


def decode_features(args: argparse.Namespace, hclg: kaldifst.StdVectorFst, data: DataDir,
                    pipeline: FeaturePipeline, clock: Clock
                    ) -> Iterable[tuple[str, np.ndarray]]:
    """The (utt, features) to decode: the pipeline's features, or with --fmllr the same
    features adapted by each speaker's transform (estimated here from those features, written
    to trans.ark; the time it takes goes to `clock`)."""
    if not args.fmllr:
        if (args.model_dir / "final.alimdl").is_file():
            raise InputError(args.model_dir / "final.alimdl", "this is a speaker-adapted "
                             "(SAT) model: its final.mdl needs fMLLR-adapted features",
                             "decode with --fmllr (local/decode_fmllr.sh)")
        return load_features(data, pipeline)
    with clock.running():
        si_feats = dict(load_features(data, pipeline))
        transforms = fmllr_transforms(args, hclg, data, si_feats)
        write_matrix_ark(args.out_dir / "trans.ark", sorted(transforms.items()))
    log(f"fMLLR: {len(transforms)} speaker transforms")
    return ((utt, apply_transform(x, transforms.get(data.utt2spk[utt])))
            for utt, x in si_feats.items())


def words_of(ids: list[int], id2word: dict[int, str]) -> str:
    return " ".join(id2word[w] for w in ids)


class Hyps:
    """Hypotheses per (wip, lmwt) setting, written as penalty_<wip>/<lmwt>.txt."""

    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], dict[str, str]] = {}

    def add(self, wip: float, lmwt: float, utt: str, text: str) -> None:
        self.tables.setdefault((f"{wip:.1f}", f"{lmwt:g}"), {})[utt] = text

    def write(self, out_dir: Path) -> None:
        for (wip, lmwt), table in self.tables.items():
            write_table(out_dir / f"penalty_{wip}" / f"{lmwt}.txt", table)


def check_options(args: argparse.Namespace) -> list[float]:
    """The decoder's numbers, checked before anything is read (the decoder's own check is
    a traceback, and a bad lattice beam made every utterance fail); returns the LMWTs."""
    rules = [("--beam", args.beam, "> 0", args.beam > 0),
             ("--lattice-beam", args.lattice_beam, "> 0", args.lattice_beam > 0),
             ("--max-active", args.max_active, "> 1", args.max_active > 1)]
    if args.lattice_lmwt is not None:
        rules.append(("--lattice-lmwt", args.lattice_lmwt, "> 0", args.lattice_lmwt > 0))
    for option, value, rule, ok in rules:
        if not ok:
            raise PkdError(f"{option} must be {rule}, got {value}")
    try:
        lmwts = [float(x) for x in args.lmwts.split()]
        [float(x) for x in args.wips.split()]
    except ValueError as err:
        raise PkdError(f"--lmwts and --wips take numbers: {err}") from None
    if not all(w > 0 for w in lmwts):
        raise PkdError(f"--lmwts must be > 0, got '{args.lmwts}'")
    return lmwts


def check_graph(graph_dir: Path, tm: object, model_dir: Path) -> None:
    """The graph was built for this model (Kaldi's decode.sh compares num_pdfs and the
    phone sets): a graph of another model decodes without an error, into nonsense."""
    fix = f"build the graph for this model: local/mkgraph.sh <lang-dir> {model_dir} <graph-dir>"
    num_pdfs = graph_dir / "num_pdfs"
    if num_pdfs.is_file() and num_pdfs.read_text().strip() != str(tm.num_pdfs):
        raise InputError(num_pdfs, f"the graph was built for a model of "
                         f"{num_pdfs.read_text().strip()} pdfs; {model_dir}/final.mdl has "
                         f"{tm.num_pdfs}", fix)
    if (graph_dir / "phones.txt").is_file():
        check_model_phones(graph_dir / "phones.txt", tm, f"{model_dir}/final.mdl", fix)


def main_args(args: argparse.Namespace) -> None:
    given_lmwts = check_options(args)
    model = load_scorer(args)
    tm, pipeline, scorer, input_dim = model.tm, model.pipeline, model.scorer, model.input_dim
    lmwts = given_lmwts or [model.default_lmwt]
    hclg = kaldifst.StdVectorFst.read(str(require_file(args.graph_dir / "HCLG.fst",
                                                       "build it with local/mkgraph.sh")))
    check_graph(args.graph_dir, tm, args.model_dir)
    id2word = {int(i): w for w, i in read_table(args.graph_dir / "words.txt").items()}
    word2id = {w: i for i, w in id2word.items()}
    data = load_data_dir(args.data_dir)
    check_feat_type(args.model_dir, data.path)
    config = DecoderConfig(beam=args.beam, max_active=args.max_active,
                           min_active=min(DecoderConfig.min_active, args.max_active),
                           lattice_beam=args.lattice_beam)
    hyps, lattices, oracle = Hyps(), [], {}
    frames, failed, passes, clock = 0, 0, 0, Clock()
    decoder = None if args.lattices else make_decoder(hclg, config)
    min_lmwt, max_lmwt = model.lmwt_range
    settings = [(lmwt, float(wip)) for wip in args.wips.split()
                for lmwt in range(args.min_lmwt or min_lmwt, (args.max_lmwt or max_lmwt) + 1)]
    for utt, feats in decode_features(args, hclg, data, pipeline, clock):
        check_feature_dim(feats, input_dim, data.path / "feats.scp")
        with clock.running():
            loglikes = scorer(feats)  # (frames, pdfs)
            if args.lattices:
                acwt = 1.0 / (args.lattice_lmwt or lmwts[0])
                lat_config = lattice.LatticeConfig(beam=args.beam,
                                                   lattice_beam=args.lattice_beam, acwt=acwt)
                decodable = lattice.decodable_from_matrix(
                    transition_id_matrix(loglikes * acwt, tm))
                try:
                    lat = lattice.decode_lattice(hclg, decodable, lat_config)
                except RuntimeError:
                    failed += 1
                    continue
                lattices.append((utt, lat))
                for (lmwt, wip), words in zip(settings, lattice.best_paths(lat, settings),
                                              strict=True):
                    hyps.add(wip, lmwt, utt, words_of(words, id2word))
                if utt in data.text:
                    ref = [word2id.get(w, -1) for w in data.text[utt].split()]
                    oracle[utt] = words_of(lattice.oracle_wer_path(lat, ref).words, id2word)
                passes = 1
            else:
                for lmwt in lmwts:
                    result = decode_loglikes(decoder, tm, loglikes, 1.0 / lmwt, config, utt)
                    failed += not result.ok
                    hyps.add(0.0, lmwt, utt, words_of(result.words, id2word))
                passes = len(lmwts)
        frames += feats.shape[0]
    if not frames:
        raise InputError(data.path, "no utterance could be decoded")
    hyps.write(args.out_dir)
    if args.lattices:
        lattice.write_lattices(args.out_dir / "lat.gz", lattices,
                                binary=not args.text_lattices)
        if oracle:
            write_table(args.out_dir / "oracle.txt", oracle)
    audio_seconds = frames * 0.01 * passes
    stats = {"frames": frames, "decode_seconds": clock.wall, "cpu_seconds": clock.cpu,
             "audio_seconds": audio_seconds, "rtf": clock.wall / audio_seconds,
             "rtf_cpu": clock.cpu / audio_seconds, "failed": failed}
    write_text_atomic(args.out_dir / "rtf.json", json.dumps(stats) + "\n")
    log(f"decoded {len(data.utts)} utterances, {failed} without a final state or lattice, "
        f"RTF {stats['rtf']:.3f} (CPU {stats['rtf_cpu']:.3f})")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
