"""Score a decode directory like Kaldi's steps/scoring/score_kaldi_wer.sh.

    python -m pykaldi_distill.bin.score [options] <data-dir> <decode-dir>

Reads `<data-dir>/text`, `<data-dir>/utt2spk` and the hypotheses the decoder wrote as
Kaldi text files `<decode-dir>/scoring_kaldi/penalty_<wip>/<lmwt>.txt` (one file per LM
weight and word insertion penalty). Writes `<decode-dir>/wer_<lmwt>_<wip>` per setting,
`scoring_kaldi/best_wer`, `scoring_kaldi/test_filt.txt` and, for the best setting,
`scoring_kaldi/wer_details/{lmwt,wip,per_utt,per_spk}` and, with more than one setting,
`scoring_kaldi/wer_vs_lmwt.png`. Prints the best_wer line.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cli import log, run
from ..decoding.score import (
    MODES,
    NOISE_REGEX,
    Setting,
    find_hyp_files,
    read_text,
    read_word_map,
    score_decode_dir,
)
from ..errors import InputError
from ..formats.io import read_table
from ..report.plots import plot_wer_vs_lmwt


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="score.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--min-lmwt", type=float, default=None, help="smallest LM weight to score")
    p.add_argument("--max-lmwt", type=float, default=None, help="largest LM weight to score")
    p.add_argument("--word-ins-penalty", default=None,
                   help='insertion penalties to score, e.g. "0.0 0.5 1.0" or 0.0,0.5 '
                        "(default: every penalty_* directory)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--filter-noise", action="store_true",
                       help=f"drop non-word tokens matching {NOISE_REGEX} (<UNK>, [noise], ...)")
    group.add_argument("--filter-regex", default="",
                       help="drop tokens matching this regex in full from refs and hyps")
    p.add_argument("--word-map", type=Path, default=None,
                   help="file of 'FROM TO' lines applied to refs and hyps (e.g. OH ZERO)")
    p.add_argument("--mode", choices=MODES, default="present",
                   help="compute-wer mode for utterances without a hypothesis")
    p.add_argument("data_dir", type=Path)
    p.add_argument("decode_dir", type=Path)
    return p


def _wip_list(value: str | None) -> dict[float, str] | None:
    """--word-ins-penalty "0.0 0.5" (or 0.0,0.5) -> {0.0: "0.0", 0.5: "0.5"}."""
    if value is None:
        return None
    try:
        return {float(w): w for w in value.replace(",", " ").split()}
    except ValueError as err:
        raise InputError("--word-ins-penalty", f"not a list of numbers: {err}") from err


def _wanted(setting: Setting, args: argparse.Namespace, wips: dict[float, str] | None) -> bool:
    lmwt = float(setting.lmwt)
    if args.min_lmwt is not None and lmwt < args.min_lmwt:
        return False
    if args.max_lmwt is not None and lmwt > args.max_lmwt:
        return False
    return wips is None or float(setting.wip) in wips


def _hyp_files(args: argparse.Namespace, wips: dict[float, str] | None) -> dict[str, Path]:
    files = {n: p for n, p in find_hyp_files(args.decode_dir).items()
             if _wanted(Setting.parse(n), args, wips)}
    if not files:
        raise InputError(args.decode_dir, "no hypotheses to score in "
                         "scoring_kaldi/penalty_<wip>/<lmwt>.txt (for the requested LMWT/WIP)",
                         "run the decoder first, or check --min-lmwt/--max-lmwt/"
                         "--word-ins-penalty")
    found = {float(Setting.parse(n).wip) for n in files}
    for wip, text in (wips or {}).items():
        if wip not in found:
            log(f"WARNING (score.py): no hypotheses for word insertion penalty {text}")
    return files


def _filter_regex(args: argparse.Namespace) -> str | None:
    regex = NOISE_REGEX if args.filter_noise else (args.filter_regex or None)
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as err:
            raise InputError("--filter-regex", f"invalid regex '{regex}': {err}") from err
    return regex


def _main(args: argparse.Namespace) -> None:
    regex = _filter_regex(args)
    files = _hyp_files(args, _wip_list(args.word_ins_penalty))
    refs = read_text(args.data_dir / "text")
    utt2spk = read_table(args.data_dir / "utt2spk", "every data dir needs utt2spk")
    hyps = {name: read_text(path) for name, path in files.items()}
    word_map = read_word_map(args.word_map) if args.word_map else None
    result = score_decode_dir(args.decode_dir, refs, hyps, utt2spk,
                              filter_regex=regex, word_map=word_map, mode=args.mode)
    if len(result.stats) > 1:
        wers = {(float(s.lmwt), float(s.wip)): result.stats[s.name].wer
                for s in map(Setting.parse, result.stats)}
        plot_wer_vs_lmwt(wers, args.decode_dir / "scoring_kaldi" / "wer_vs_lmwt.png",
                         str(args.decode_dir))
    print(result.best_line)


def main(argv: Sequence[str] | None = None) -> int:
    return run(_main, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
