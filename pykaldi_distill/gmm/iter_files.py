"""The per-iteration files of a GMM trainer, <exp-dir>/iters/, from which `--stage N`
resumes training at iteration N as Kaldi's trainers do from N.mdl. A file named N holds
the state iteration N starts from: N.mdl every iteration, and when they changed since
the last one, ali.N.gz (after a realignment), N.mat (LDA+MLLT: after an MLLT update) and
trans.N (SAT: after an fMLLR update); iteration 0's are the starting point and tree is
the system's tree. A state is the newest file of each kind at or before N."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import InputError, PkdError
from ..formats.io import (
    read_int_vectors,
    read_matrix_ark,
    write_int_vectors_gz,
    write_matrix_ark,
)
from ..formats.kaldi_format import read_kaldi_matrix, write_kaldi_matrix
from ..formats.model_io import read_gmm_model, read_tree, write_gmm_model, write_tree
from .system import GmmSystem, IterState

_KINDS = {"mdl": r"(\d+)\.mdl", "ali": r"ali\.(\d+)\.gz", "mat": r"(\d+)\.mat",
          "trans": r"trans\.(\d+)"}


class IterFiles:
    """<exp-dir>/iters/: written as a trainer goes (`save`), read back by `load`."""

    def __init__(self, exp_dir: Path) -> None:
        self.dir = exp_dir / "iters"
        self._saved: dict[str, object] = {}  # kind -> the object last written
        self._resumed_at: int | None = None  # its files are on disk already

    def start(self) -> None:
        """A run from the start: drop an earlier run's iteration files (not the record of
        inputs and options the step script keeps beside them)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for kind in _KINDS:
            for _, path in self._files(kind):
                path.unlink()
        self._saved.clear()

    def save(self, state: IterState) -> None:
        n = state.iteration
        if n == self._resumed_at:  # what was loaded: only note the trainer's copies of it
            self._saved = {"ali": state.alignments, "mat": state.transform,
                           "trans": state.speaker_transforms}
            return
        if n == 0:
            write_tree(self.dir / "tree", state.system.tree)
        if self._changed("ali", state.alignments):
            write_int_vectors_gz(self.dir / f"ali.{n}.gz", sorted(state.alignments.items()))
        if state.transform is not None and self._changed("mat", state.transform):
            write_kaldi_matrix(self.dir / f"{n}.mat", state.transform)
        if state.speaker_transforms is not None and \
                self._changed("trans", state.speaker_transforms):
            write_matrix_ark(self.dir / f"trans.{n}", sorted(state.speaker_transforms.items()))
        write_gmm_model(self.dir / f"{n}.mdl", state.system.tm, state.system.am)

    def load(self, iteration: int) -> IterState:
        """The state iteration `iteration` starts from; an InputError naming the file when
        the run that wrote them did not get that far."""
        model = self.dir / f"{iteration}.mdl"
        if not model.is_file():
            reached = [n for n, _ in self._files("mdl")]
            last = f"the last one there is {max(reached)}.mdl" if reached else "there is none"
            raise InputError(model, f"missing: training never reached iteration {iteration} "
                             f"({last})", "resume from an iteration whose model is there, or "
                             "run without --stage")
        tm, am = read_gmm_model(model)
        system = GmmSystem(tm, read_tree(self.dir / "tree"), am)
        ali = self._newest("ali", iteration)
        if ali is None:
            raise InputError(self.dir / "ali.0.gz", "file does not exist",
                             "run without --stage")
        mat, trans = self._newest("mat", iteration), self._newest("trans", iteration)
        state = IterState(iteration, system, dict(read_int_vectors(ali)),
                          None if mat is None else read_kaldi_matrix(mat).astype(np.float64),
                          None if trans is None else {spk: w.astype(np.float64) for spk, w
                                                      in read_matrix_ark(trans).items()})
        self._resumed_at = iteration
        return state

    def _changed(self, kind: str, value: object) -> bool:
        if self._saved.get(kind) is value:
            return False
        self._saved[kind] = value
        return True

    def _files(self, kind: str) -> list[tuple[int, Path]]:
        pattern = re.compile(_KINDS[kind] + "$")
        found = [(int(m.group(1)), p) for p in self.dir.glob("*")
                 if (m := pattern.match(p.name))]
        return sorted(found)

    def _newest(self, kind: str, iteration: int) -> Path | None:
        before = [p for n, p in self._files(kind) if n <= iteration]
        return before[-1] if before else None


def resume_state(exp_dir: Path, stage: int, num_iters: int) -> tuple[IterFiles, IterState | None]:
    """A trainer's --stage: below 0 a run from the start (the iteration files cleared),
    else the state of iteration `stage` (0 .. num_iters) to resume from."""
    files = IterFiles(exp_dir)
    if stage < 0:
        files.start()
        return files, None
    if stage > num_iters:
        raise PkdError(f"--stage {stage} is past the last iteration (--num-iters {num_iters})")
    return files, files.load(stage)
