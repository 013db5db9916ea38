"""Build HCLG.fst (Kaldi utils/mkgraph.sh): `mkgraph.py <lang-test-dir> <model-dir> <graph-dir>`.
The model dir needs `tree` and `final.mdl` (its TransitionModel is all that is used)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..cli import log, run
from ..decoding.graph import GraphConfig, compose_lg, make_hclg
from ..errors import require_file
from ..formats.io import atomic_path, write_text_atomic
from ..formats.model_io import read_transition_model_file, read_tree
from ..lang import check_model_phones, load_lang


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mkgraph", description=__doc__)
    p.add_argument("--self-loop-scale", type=float, default=GraphConfig.self_loop_scale)
    p.add_argument("--transition-scale", type=float, default=GraphConfig.transition_scale)
    p.add_argument("lang_dir", type=Path)
    p.add_argument("model_dir", type=Path)
    p.add_argument("graph_dir", type=Path)
    return p


def main_args(args: argparse.Namespace) -> None:
    lang = load_lang(args.lang_dir)
    require_file(args.lang_dir / "G.fst", "make it with local/format_lm.sh")
    tm = read_transition_model_file(args.model_dir / "final.mdl")
    check_model_phones(args.lang_dir / "phones.txt", tm, f"{args.model_dir}/final.mdl",
                       "use the lang dir the model was trained with (same phones)")
    tree = read_tree(args.model_dir / "tree")
    lg = compose_lg(lang.load_fst("L_disambig.fst"), lang.load_fst("G.fst"))
    log(f"LG: {lg.num_states} states")
    config = GraphConfig(args.transition_scale, args.self_loop_scale)
    hclg = make_hclg(lg, tree, tm, lang.disambig_phone_ids, config)
    log(f"HCLG: {hclg.num_states} states")
    out = args.graph_dir
    out.mkdir(parents=True, exist_ok=True)
    for name in ["words.txt", "phones.txt"]:
        shutil.copyfile(args.lang_dir / name, out / name)
    if (args.lang_dir / "phones").is_dir():
        shutil.copytree(args.lang_dir / "phones", out / "phones", dirs_exist_ok=True)
    write_text_atomic(out / "num_pdfs", f"{tm.num_pdfs}\n")
    with atomic_path(out / "HCLG.fst") as tmp:
        hclg.write(str(tmp))


def main(argv: list[str] | None = None) -> int:
    return run(main_args, get_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
