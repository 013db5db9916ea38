"""Kaldi data dirs of the Wall Street Journal corpus (LDC93S6B, LDC94S13B), the paper's sets:
`prepare_wsj.py <out-dir> <wsj-dir> [<wsj-dir> ...]` finds the discs (`11-13.1`, `13-34.1`,
...) in or below the directories given and writes <out-dir>/train (si284), <out-dir>/dev
(dev93) and <out-dir>/test (eval92), transcripts normalised as Kaldi's wsj_data_prep.sh does,
and, when the LM disc 13-32.1 is there, its 20k open-vocabulary trigram as
<out-dir>/local/lm_tg.arpa.gz. wav.scp reads each .wv1 through local/sph2pipe. A missing
disc, index, recording or transcript is an error naming it, before anything is written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import log, run
from ..corpus.wsj import SETS, disc_trigram, dot_files, extract_arpa, find_discs, wsj_data_dir
from ..data import write_data_dir

SPH2PIPE = Path(__file__).resolve().parents[2] / "local" / "sph2pipe"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prepare_wsj", description=__doc__)
    p.add_argument("out_dir", type=Path)
    p.add_argument("wsj_dirs", type=Path, nargs="+",
                   help="directories holding the discs (e.g. /data/csr_1 /data/csr_2)")
    return p


def main_args(args: argparse.Namespace) -> None:
    discs = find_discs(args.wsj_dirs)
    log(f"prepare_wsj: {len(discs)} discs: {' '.join(sorted(discs))}")
    dots = dot_files(discs)
    dirs = {name: wsj_data_dir(name, discs, dots, args.out_dir / name, str(SPH2PIPE))
            for name in SETS}
    for name, data in dirs.items():
        write_data_dir(data, data.path)
        log(f"prepare_wsj: {name} ({SETS[name].name}): {len(data.utts)} utterances, "
            f"{len(data.spk2utt)} speakers")
    lm = disc_trigram(discs)
    if lm is None:
        log("prepare_wsj: no LM disc (13-32.1): the recipe trains its LM on the transcripts")
    else:
        extract_arpa(lm, args.out_dir / "local" / "lm_tg.arpa.gz")
        log(f"prepare_wsj: {lm} -> {args.out_dir / 'local' / 'lm_tg.arpa.gz'}")


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
