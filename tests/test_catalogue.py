"""Issue 23's catalogue as one table: every bad input or fault a step must stop at (or count
on the console), with the exit code expected, what the console message must name (usually
the user's own file) and what must not exist afterwards (nothing half-written).

Each `Case` damages a fresh scratch copy of a tiny world (a 3-utterance data dir as MFCC
and fbank features, a lang dir, a 1-iteration mono system, its graph, a tiny DNN and its
soft targets), runs one command - a CLI in-process (`pykaldi_distill.bin.<name>.main`) or a
step script (`local/<name>.sh`) when the script itself is what is tested - and
`test_case` checks, for every row: the exit code; no "Traceback" on stderr; every string of
`names` on stderr (and, for step scripts, stdout); every path of `absent` missing; no `*.tmp`
file anywhere in the scratch dir and, when the command fails, no `split*` dir in its data
dirs. The "stale results" rows change an input of a finished step and expect it redone.
Paths are templates over the scratch dir's keys (`{data}`, `{fbank}`, `{lang}`, `{mono}`,
`{exp}`, `{out}`, ...).

kill -9 in the middle of the feature and soft-target steps, then the same command, follow
the table (`test_killed_step_reruns_to_the_same_result`). docs/reliability.md lists the
table as `markdown_table()` prints it (`PYTHONPATH=. .venv/bin/python
tests/test_catalogue.py`), which `test_docs_list_every_case` checks.
"""

from __future__ import annotations

import fcntl
import gzip
import importlib
import shutil
import subprocess
import sys
import traceback
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import kaldiio
import numpy as np
import pytest
from test_cli_errors import world  # noqa: F401  (module-scoped fixture)
from test_reliability import run_killed, wait_unlocked

from pykaldi_distill.formats.io import read_int_vectors, read_posteriors, write_int_vectors_gz
from pykaldi_distill.formats.io import write_matrices as save_matrices

REPO = Path(__file__).resolve().parents[1]
LOCAL = REPO / "local"
USER_DATA_DIRS = ("data", "fbank")  # the scratch's data dirs: no split* may stay in them


class Scratch:
    """The paths a case runs on: its own copies of the data dirs (and of whatever else it
    damages, see `own`), the shared read-only world for the rest."""

    def __init__(self, shared: dict[str, Path], tmp: Path) -> None:
        self.world = shared
        self.tmp = tmp
        self.paths: dict[str, Path] = {**shared, "tmp": tmp, "exp": tmp / "exp",
                                       "out": tmp / "out"}
        self.held: list[IO[str]] = []
        for key in USER_DATA_DIRS:
            self.own(key)
        self.paths["conf"] = self.write("{tmp}/fbank.conf", "--num-mel-bins=23\n")

    def __getitem__(self, key: str) -> Path:
        return self.paths[key]

    def own(self, key: str) -> Path:
        """A copy of the world's `key` dir in the scratch dir, used from now on."""
        copy = self.tmp / key
        if not copy.exists():
            shutil.copytree(self.world[key], copy)
        self.paths[key] = copy
        return copy

    def fmt(self, template: str) -> str:
        return template.format(**{k: str(v) for k, v in self.paths.items()})

    def path(self, template: str) -> Path:
        """A path the case may change: never one of the shared world."""
        p = Path(self.fmt(template))
        assert self.tmp in p.parents, f"{p} is not in the scratch dir; own() it first"
        return p

    def write(self, template: str, text: str | bytes) -> Path:
        p = self.path(template)
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        return p

    def sub(self, template: str, old: str, new: str) -> None:
        text = self.path(template).read_text()
        assert old in text, f"{old!r} not in {template}"
        self.write(template, text.replace(old, new))

    def set_line(self, template: str, key: str, line: str | None) -> None:
        """The table line of `key` becomes `line` (None: removed)."""
        lines = self.path(template).read_text().splitlines()
        found = [i for i, x in enumerate(lines) if x.split(maxsplit=1)[0] == key]
        assert found, f"no line '{key}' in {template}"
        if line is None:
            del lines[found[0]]
        else:
            lines[found[0]] = self.fmt(line)
        self.write(template, "".join(x + "\n" for x in lines))

    def own_wav(self, utt: str) -> Path:
        """A copy of the utterance's wav, which the data dir's wav.scp now points to."""
        wavs = dict(x.split() for x in self.path("{data}/wav.scp").read_text().splitlines())
        wav = self.tmp / "wav" / f"{utt}.wav"
        wav.parent.mkdir(exist_ok=True)
        shutil.copyfile(wavs[utt], wav)
        self.set_line("{data}/wav.scp", utt, f"{utt} {wav}")
        return wav

    def matrices(self, key: str, scp: str) -> dict[str, np.ndarray]:
        with kaldiio.ReadHelper(f"scp:{self.paths[key] / scp}") as reader:
            return {utt: np.array(mat) for utt, mat in reader}

    def save(self, key: str, scp: str, mats: dict[str, np.ndarray]) -> Path:
        """Rewrite `<key>/<scp>` to point into a new ark of the scratch dir; the ark."""
        ark = self.tmp / f"{key}_{Path(scp).stem}.ark"
        save_matrices(ark, self.path(f"{{{key}}}/{scp}"), sorted(mats.items()))
        return ark

    def hold_lock(self, template: str) -> None:
        """Hold `<dir>/.lock` as a running step does (released when the case ends)."""
        d = self.path(template)
        d.mkdir(parents=True, exist_ok=True)
        held = open(d / ".lock", "a")  # held until close()
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.held.append(held)

    def close(self) -> None:
        for held in self.held:
            held.close()


Breaker = Callable[[Scratch], None]


def nothing(s: Scratch) -> None:
    """The inputs as they are (the fault is in the command)."""


def chain(*breakers: Breaker) -> Breaker:
    def breaks(s: Scratch) -> None:
        for b in breakers:
            b(s)
    return breaks


def own(key: str) -> Breaker:
    return lambda s: s.own(key) and None


def write(template: str, text: str | bytes) -> Breaker:
    return lambda s: s.write(template, text) and None


def append(template: str, text: str) -> Breaker:
    return lambda s: s.write(template, s.path(template).read_text() + text) and None


def sub(template: str, old: str, new: str) -> Breaker:
    return lambda s: s.sub(template, old, new)


def set_line(template: str, key: str, line: str | None) -> Breaker:
    return lambda s: s.set_line(template, key, line)


def delete(template: str) -> Breaker:
    return lambda s: s.path(template).unlink()


def hold_lock(template: str) -> Breaker:
    return lambda s: s.hold_lock(template)


def first_run(*cmd: str) -> Breaker:
    """The command run once, as it must succeed, before the case changes its inputs: a step
    script `<x>.sh` with bash, else a CLI in-process."""
    def breaks(s: Scratch) -> None:
        prog, *args = cmd
        argv = [s.fmt(a) for a in args]
        if prog.endswith(".sh"):
            proc = subprocess.run(["bash", str(LOCAL / prog), *argv], capture_output=True,
                                  text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr
        else:
            assert importlib.import_module(f"pykaldi_distill.bin.{prog}").main(argv) == 0
    return breaks


def same_features_elsewhere(key: str) -> Breaker:
    """`<key>/feats.scp` rewritten to a new ark of the same values: another input file."""
    return lambda s: s.save(key, "feats.scp", s.matrices(key, "feats.scp")) and None


def wav_bytes(utt: str, edit: Callable[[bytes], bytes]) -> Breaker:
    def breaks(s: Scratch) -> None:
        wav = s.own_wav(utt)
        wav.write_bytes(edit(wav.read_bytes()))
    return breaks


def empty_wav(s: Scratch) -> None:
    with wave.open(str(s.own_wav("spkA-002")), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")


def poison(key: str, scp: str, utt: str, value: float) -> Breaker:
    """One value of `utt`'s matrix in `<key>/<scp>` becomes NaN or inf."""
    def breaks(s: Scratch) -> None:
        mats = s.matrices(key, scp)
        mats[utt][3, 0] = value
        s.save(key, scp, mats)
    return breaks


def truncated_ark(s: Scratch) -> None:
    ark = s.save("data", "feats.scp", s.matrices("data", "feats.scp"))
    ark.write_bytes(ark.read_bytes()[: ark.stat().st_size // 2])


def alignments(edit: Callable[[list[tuple[str, list[int]]]], list]) -> Breaker:
    """The ali dir (a copy of mono's) with ali.1.gz rewritten by `edit`."""
    def breaks(s: Scratch) -> None:
        ali = s.own("ali")
        write_int_vectors_gz(ali / "ali.1.gz", edit(sorted(read_int_vectors(ali / "ali.1.gz"))))
    return breaks


def soft_targets(cols: int) -> Breaker:
    """The targets dir's targets.scp with `cols` columns instead of one per pdf."""
    def breaks(s: Scratch) -> None:
        s.own("targets")
        mats = {u: np.full((x.shape[0], cols), 1 / cols, np.float32)
                for u, x in s.matrices("targets", "targets.scp").items()}
        s.save("targets", "targets.scp", mats)
    return breaks


def segments(end_of_second: float) -> Breaker:
    """A segments file (each recording one utterance); spkA-002's ends at `end_of_second`."""
    def breaks(s: Scratch) -> None:
        utts = [x.split()[0] for x in s.path("{data}/wav.scp").read_text().splitlines()]
        s.write("{data}/segments", "".join(
            f"{u} {u} 0.00 {end_of_second if u == 'spkA-002' else 0.4:.2f}\n" for u in utts))
    return breaks


def arpa(edit: Callable[[str], str]) -> Breaker:
    return lambda s: s.write("{tmp}/lm.arpa", edit(s.world["arpa"].read_text())) and None


@dataclass(frozen=True)
class Case:
    """One row of the catalogue. `cmd`: a CLI of pykaldi_distill.bin (run in-process) or a
    step script `<x>.sh` of local/ (run with bash), then its arguments; `names`: what stderr
    must contain; `absent`: what must not exist afterwards. All three are path templates."""

    name: str
    area: str
    what: str
    cmd: tuple[str, ...]
    exit_code: int
    names: tuple[str, ...]
    absent: tuple[str, ...] = ()
    breaks: Breaker = nothing


FEATS = ("compute_feats", "--kind", "fbank", "--config", "{conf}", "{data}", "{out}.ark",
         "{out}.scp")
FEATS_OUT = ("{out}.ark", "{out}.scp")
MONO = ("train_mono", "--num-iters", "1", "--totgauss", "40", "{data}", "{lang}", "{exp}")
CMVN = ("compute_cmvn_stats", "{data}", "{out}.ark", "{out}.scp")
NNET = ("train_nnet", "--model", "dnn", "--hidden", "8", "--num-layers", "1", "--max-epochs",
        "1", "--cv-fraction", "0.34")
TRAIN = (*NNET, "{fbank}", "{ali}", "{exp}")
SOFT = (*NNET, "{fbank}", "{targets}", "{exp}")
DECODE = ("decode", "{graph}", "{data}", "{mono}", "{out}")
DECODE_OUT = ("{out}/rtf.json", "{out}/penalty_0.0")
ALIGN = ("align_si", "{data}", "{lang}", "{mono}", "{out}")
TARGETS = ("make_soft_targets", "{fbank}", "{dnn}", "{out}.ark", "{out}.scp")
FORMAT_LM = ("format_lm", "{lang}", "{tmp}/lm.arpa", "{tmp}/lang_test")
OWN_WORDS = ("make_graph_for.sh", "{lang}", "{mono}", "{tmp}/words.txt", "{tmp}/graph")
PREPARE_LANG = ("prepare_lang", "{dict}", "<UNK>", "{tmp}/lang_tmp", "{tmp}/lang")
SCORE = ("score", "{data}", "{decode}")
MAKE_FEATS_SH = ("make_feats.sh", "--nj", "2", "--feat-config", "{conf}", "{data}",
                 "{tmp}/log", "{tmp}/feats")
LOCKED = "another step is writing"

DATA, AUDIO, FEATURES, LEXICON = "data dir", "audio", "features", "lexicon / LM"
TARGETS_AREA, OPTIONS, MODELS, SCORING = "alignments / targets", "options", "models", "scoring"
CONCURRENCY = "concurrency"
STALE = "stale results"
DECODE_SH = ("decode.sh", "--nj", "1", "--beam", "8", "--model-dir", "{mono}", "{graph}",
             "{data}", "{out}")
TARGETS_SH = ("make_soft_targets.sh", "--nj", "1", "{fbank}", "{dnn}", "{out}")
REDONE = "is out of date, redoing it:"
MONO_SH = ("train_mono.sh", "--num-iters", "2", "--totgauss", "40", "{data}", "{lang}", "{exp}")

CASES = [
    # ------------------------------------------------------------------ data dir
    Case("missing-wav", DATA, "wav.scp names a file that does not exist", FEATS, 1,
         ("{data}/wav.scp", "audio for 'spkA-002' not found"), FEATS_OUT,
         sub("{data}/wav.scp", "spkA-002.wav", "spkA-002_gone.wav")),
    Case("text-utt-not-in-wav-scp", DATA, "text has an utterance wav.scp lacks", MONO, 1,
         ("{data}/text", "zz-extra"), ("{exp}",), append("{data}/text", "zz-extra ONE\n")),
    Case("unsorted-table", DATA, "wav.scp not sorted", FEATS, 1,
         ("{data}/wav.scp", "not sorted"), FEATS_OUT,
         lambda s: s.write("{data}/wav.scp", "".join(
             x + "\n" for x in reversed(s.path("{data}/wav.scp").read_text().splitlines())))
         and None),
    Case("duplicate-key", DATA, "utt2spk lists an utterance twice", FEATS, 1,
         ("{data}/utt2spk", "duplicate key 'spkA-002'"), FEATS_OUT,
         sub("{data}/utt2spk", "spkA-002 spkA\n", "spkA-002 spkA\nspkA-002 spkA\n")),
    Case("empty-transcript", DATA, "an utterance of text has no words", MONO, 1,
         ("{data}/text", "empty transcript"), ("{exp}",),
         set_line("{data}/text", "spkA-002", "spkA-002")),
    Case("spk2utt-disagrees", DATA, "spk2utt puts an utterance under another speaker", FEATS, 1,
         ("{data}/spk2utt", "does not match utt2spk"), FEATS_OUT,
         write("{data}/spk2utt", "spkA spkA-001\nspkB spkA-002 spkB-001\n")),
    Case("utt2spk-missing", DATA, "no utt2spk", FEATS, 1,
         ("{data}/utt2spk", "does not exist"), FEATS_OUT, delete("{data}/utt2spk")),
    Case("utt-without-speaker", DATA, "an utt2spk line without a speaker", FEATS, 1,
         ("{data}/utt2spk", "'spkA-002' has no speaker"), FEATS_OUT,
         set_line("{data}/utt2spk", "spkA-002", "spkA-002")),
    Case("wav-line-without-path", DATA, "a wav.scp line with no path", FEATS, 1,
         ("{data}/wav.scp", "audio for 'spkA-002' not found"), FEATS_OUT,
         set_line("{data}/wav.scp", "spkA-002", "spkA-002")),
    Case("no-data-dir", DATA, "the data dir does not exist",
         ("train_mono", "{tmp}/no_data", "{lang}", "{exp}"), 1,
         ("{tmp}/no_data", "directory does not exist"), ("{exp}",)),
    Case("no-text", DATA, "training on a data dir without text", MONO, 1,
         ("{data}/text", "does not exist"), ("{exp}",), delete("{data}/text")),
    Case("word-not-in-lexicon", DATA, "text has a word the lang dir lacks", MONO, 1,
         ("{data}/text", "ELEVEN"), ("{exp}",), sub("{data}/text", "THREE", "ELEVEN")),
    Case("feats-scp-extra-utt", DATA, "feats.scp has an utterance utt2spk lacks", MONO, 1,
         ("{data}/feats.scp", "not in utt2spk"), ("{exp}",),
         lambda s: s.write("{data}/feats.scp", s.path("{data}/feats.scp").read_text() +
                           "zz-extra " + s.path("{data}/feats.scp").read_text().split()[1]
                           + "\n") and None),
    Case("more-jobs-than-utterances", DATA, "3 utterances split into 5 jobs",
         ("split_data", "{data}", "5"), 1, ("{data}", "cannot split 3 utterances into 5 jobs"),
         ("{data}/split5",)),
    Case("segments-past-the-end", DATA, "a segment ends 4.5 s after its 0.5 s recording", FEATS,
         1, ("{data}/segments", "past the end of recording 'spkA-002'"), FEATS_OUT, segments(5.0)),
    Case("segments-of-unknown-recording", DATA, "segments names a recording wav.scp lacks",
         FEATS, 1, ("{data}/wav.scp", "recording 'rec-x' of segments"), FEATS_OUT,
         chain(segments(0.4), sub("{data}/segments", "spkA-002 spkA-002", "spkA-002 rec-x"))),
    Case("step-without-wav-scp", DATA, "make_feats.sh on a data dir without wav.scp",
         MAKE_FEATS_SH, 1, ("expected file {data}/wav.scp",), ("{tmp}/feats",),
         delete("{data}/wav.scp")),
    # ------------------------------------------------------------------ audio
    Case("wav-truncated-even", AUDIO, "a wav cut short (even byte count)", FEATS, 1,
         ("{data}/wav.scp", "is truncated: its header says 8000 samples"), FEATS_OUT,
         wav_bytes("spkA-002", lambda b: b[: len(b) // 2])),
    Case("wav-truncated-odd", AUDIO, "a wav cut short (odd byte count)", FEATS, 1,
         ("{data}/wav.scp", "is truncated"), FEATS_OUT,
         wav_bytes("spkA-002", lambda b: b[: len(b) // 2 + 1])),
    Case("wav-truncated-in-step", AUDIO, "a wav cut short, make_feats.sh with 2 jobs",
         MAKE_FEATS_SH, 1, ("{data}/wav.scp", "is truncated"), ("{data}/feats.scp",),
         wav_bytes("spkA-002", lambda b: b[: len(b) // 2])),
    Case("not-a-wav", AUDIO, "a text file named .wav", FEATS, 1,
         ("{data}/wav.scp", "cannot read audio"), FEATS_OUT,
         wav_bytes("spkA-002", lambda b: b"not audio\n")),
    Case("empty-wav", AUDIO, "a wav of 0 samples", FEATS, 1,
         ("{data}/wav.scp", "'spkA-002' is too short for one frame"), FEATS_OUT, empty_wav),
    Case("failing-pipe", AUDIO, "a `cmd |` entry whose command fails", FEATS, 1,
         ("{data}/wav.scp", "command failed: cat {tmp}/gone.wav"), FEATS_OUT,
         set_line("{data}/wav.scp", "spkA-002", "spkA-002 cat {tmp}/gone.wav |")),
    Case("pipe-not-audio", AUDIO, "a `cmd |` entry that prints no audio", FEATS, 1,
         ("{data}/wav.scp", "cannot read audio 'echo hello '"), FEATS_OUT,
         set_line("{data}/wav.scp", "spkA-002", "spkA-002 echo hello |")),
    # ------------------------------------------------------------------ features
    Case("conf-unknown-option", FEATURES, "an MFCC option in an fbank conf", FEATS, 1,
         ("{conf}", "unknown fbank option --num-ceps"), FEATS_OUT,
         write("{conf}", "--num-ceps=13\n")),
    Case("conf-bad-number", FEATURES, "--num-mel-bins=abc", FEATS, 1,
         ("{conf}", "--num-mel-bins=abc: expected int"), FEATS_OUT,
         write("{conf}", "--num-mel-bins=abc\n")),
    Case("conf-bad-boolean", FEATURES, "--snip-edges=maybe", FEATS, 1,
         ("{conf}", "expected true|false, got 'maybe'"), FEATS_OUT,
         write("{conf}", "--snip-edges=maybe\n")),
    Case("conf-past-nyquist", FEATURES, "--high-freq above half the sample rate", FEATS, 1,
         ("{conf}", "nyquist"), FEATS_OUT, write("{conf}", "--high-freq=9000\n")),
    Case("conf-not-name-value", FEATURES, "a conf line without --name=value", FEATS, 1,
         ("{conf}", "expected --name=value"), FEATS_OUT, write("{conf}", "num-mel-bins 23\n")),
    Case("conf-missing", FEATURES, "--config names no file",
         ("compute_feats", "--kind", "fbank", "--config", "{tmp}/none.conf", "{data}",
          "{out}.ark", "{out}.scp"), 1, ("{tmp}/none.conf", "does not exist"), FEATS_OUT),
    Case("nan-in-features-cmvn", FEATURES, "a NaN frame, per-speaker CMVN", CMVN, 1,
         ("{data}/feats.scp", "'spkA-002' holds NaN or inf (first in row 3"), FEATS_OUT,
         poison("data", "feats.scp", "spkA-002", np.nan)),
    Case("inf-in-features-training", FEATURES, "an inf frame, network training", TRAIN, 1,
         ("{fbank}/feats.scp", "'spkB-001' holds NaN or inf"), ("{exp}",),
         poison("fbank", "feats.scp", "spkB-001", np.inf)),
    Case("nan-in-features-teacher", FEATURES, "a NaN frame, soft targets", TARGETS, 1,
         ("{fbank}/feats.scp", "'spkA-001' holds NaN or inf"), FEATS_OUT,
         poison("fbank", "feats.scp", "spkA-001", np.nan)),
    Case("nan-in-features-decode", FEATURES, "a NaN frame, decoding", DECODE, 1,
         ("{data}/feats.scp", "'spkA-002' holds NaN or inf"), DECODE_OUT,
         poison("data", "feats.scp", "spkA-002", np.nan)),
    Case("truncated-ark", FEATURES, "the feature ark cut in half", CMVN, 1,
         ("{data}/feats.scp", "its ark may be truncated"), FEATS_OUT, truncated_ark),
    Case("feats-scp-to-missing-ark", FEATURES, "feats.scp points to an ark that is gone", MONO,
         1, ("{data}/feats.scp", "cannot read the matrix of 'spkA-001'"), ("{exp}",),
         lambda s: s.sub("{data}/feats.scp", str(s.world["world"]), str(s.tmp / "gone"))),
    Case("feature-dim-of-another-model", FEATURES, "23-dim fbank (no feat_type) into an MFCC "
         "model", ("decode", "{graph}", "{fbank}", "{mono}", "{out}"), 1,
         ("{fbank}/feats.scp", "feature dim 69 but the model expects 39"), DECODE_OUT,
         delete("{fbank}/feat_type")),
    Case("feature-type-of-another-model", FEATURES, "fbank features decoded by an MFCC model",
         ("decode", "{graph}", "{fbank}", "{mono}", "{out}"), 1,
         ("{fbank}/feat_type", "--feat-type mfcc"), DECODE_OUT),
    Case("feature-type-align", FEATURES, "fbank features aligned by an MFCC model",
         ("align_si", "{fbank}", "{lang}", "{mono}", "{out}"), 1,
         ("{fbank}/feat_type", "trained on 'mfcc' features"), ("{out}",)),
    Case("no-cmvn-scp", FEATURES, "a step that applies CMVN on a data dir without cmvn.scp",
         MONO, 1, ("{data}/cmvn.scp", "local/compute_cmvn_stats.sh"), ("{exp}",),
         delete("{data}/cmvn.scp")),
    Case("cmvn-without-a-speaker", FEATURES, "cmvn.scp lacks a speaker's stats", MONO, 1,
         ("{data}/cmvn.scp", "no stats for speaker 'spkB'"), ("{exp}",),
         set_line("{data}/cmvn.scp", "spkB", None)),
    Case("no-feats-scp", FEATURES, "CMVN of a data dir without features", CMVN, 1,
         ("{data}/feats.scp", "local/make_feats.sh"), FEATS_OUT, delete("{data}/feats.scp")),
    # ------------------------------------------------------------------ lexicon / LM
    Case("word-not-in-cmudict", LEXICON, "a word in neither CMUdict nor an extra lexicon",
         ("prepare_dict", "{tmp}/text", "{tmp}/dict"), 1, ("{tmp}/text", "QQQZZ"),
         ("{tmp}/dict",), write("{tmp}/text", "u1 ONE QQQZZ\n")),
    Case("extra-lexicon-unknown-phone", LEXICON, "an extra lexicon with a phone CMUdict lacks",
         ("prepare_dict", "--extra-lexicon", "{tmp}/extra.txt", "{data}/text", "{tmp}/dict"),
         1, ("{tmp}/extra.txt", "unknown phone"), ("{tmp}/dict",),
         write("{tmp}/extra.txt", "FOO F QQ\n")),
    Case("dict-without-silence-phones", LEXICON, "a dict dir without silence_phones.txt",
         PREPARE_LANG, 1, ("{dict}/silence_phones.txt", "does not exist"), ("{tmp}/lang",),
         chain(own("dict"), delete("{dict}/silence_phones.txt"))),
    Case("lexicon-phone-not-in-dict", LEXICON, "a lexicon word with phones the dict lacks",
         PREPARE_LANG, 1, ("{dict}/lexicon.txt", "'CAT' uses phone(s)"), ("{tmp}/lang",),
         chain(own("dict"), append("{dict}/lexicon.txt", "CAT K AE T\n"))),
    Case("oov-word-not-in-lexicon", LEXICON, "the OOV word is not in the lexicon",
         ("prepare_lang", "{dict}", "<FOO>", "{tmp}/lang_tmp", "{tmp}/lang"), 1,
         ("{dict}/lexicon.txt", "the OOV word '<FOO>'"), ("{tmp}/lang",)),
    Case("arpa-without-data-section", LEXICON, "an ARPA file without \\data\\", FORMAT_LM, 1,
         ("{tmp}/lm.arpa", "unexpected line"), ("{tmp}/lang_test",),
         arpa(lambda text: text.replace("\\data\\\n", ""))),
    Case("arpa-bad-counts", LEXICON, "an ARPA header whose counts are wrong", FORMAT_LM, 1,
         ("{tmp}/lm.arpa", "differ from the header"), ("{tmp}/lang_test",),
         arpa(lambda text: text.replace("ngram 2=8", "ngram 2=9"))),
    Case("arpa-truncated", LEXICON, "an ARPA file cut short", FORMAT_LM, 1,
         ("{tmp}/lm.arpa", "no \\end\\ line"), ("{tmp}/lang_test",),
         arpa(lambda text: "".join(text.splitlines(True)[:12]))),
    Case("arpa-word-not-in-words-txt", LEXICON, "ARPA words missing from words.txt: counted, "
         "their n-grams dropped (as arpa2fst)", FORMAT_LM, 0,
         ("{lang}/words.txt", "their n-grams are dropped: FIVE"), (),
         arpa(lambda text: text.replace("FOUR", "FIVE"))),
    Case("empty-lm-text", LEXICON, "an LM trained on an empty text",
         ("make_lm", "{tmp}/text", "{tmp}/lm.arpa"), 1, ("{tmp}/text", "no words"),
         ("{tmp}/lm.arpa",), write("{tmp}/text", "")),
    Case("graph-without-grammar", LEXICON, "mkgraph of a lang dir without G.fst",
         ("mkgraph", "{lang}", "{mono}", "{tmp}/graph"), 1, ("{lang}/G.fst", "local/format_lm.sh"),
         ("{tmp}/graph",)),
    Case("own-words-oov-without-g2p", LEXICON, "make_graph_for: a listed word no lexicon has, "
         "and no G2P", OWN_WORDS, 1, ("{tmp}/words.txt", "QQQZZ", "--g2p-dir"),
         ("{tmp}/graph/HCLG.fst",), write("{tmp}/words.txt", "ONE QQQZZ\n")),
    Case("own-words-phone-model-lacks", LEXICON, "make_graph_for: a listed word with a phone "
         "the model does not have", OWN_WORDS, 1,
         ("{tmp}/words.txt", "ZOO (Z)", "phones the model does not have"),
         ("{tmp}/graph/HCLG.fst",), write("{tmp}/words.txt", "ONE\nZOO\n")),
    Case("own-words-empty-list", LEXICON, "make_graph_for: an empty word list", OWN_WORDS, 1,
         ("{tmp}/words.txt", "no words"), ("{tmp}/graph/HCLG.fst",),
         write("{tmp}/words.txt", "\n")),
    Case("lang-without-lexicon-fst", LEXICON, "a lang dir without L.fst", MONO, 1,
         ("{lang}/L.fst",), ("{exp}",), chain(own("lang"), delete("{lang}/L.fst"))),
    # ------------------------------------------------------------------ alignments / targets
    Case("no-alignment-dir", TARGETS_AREA, "the alignment dir does not exist",
         (*NNET, "{fbank}", "{tmp}/no_ali", "{exp}"), 1, ("{tmp}/no_ali",), ("{exp}",)),
    Case("alignment-without-num-jobs", TARGETS_AREA, "an align job failed: no num_jobs", TRAIN,
         1, ("{ali}/num_jobs", "incomplete"), ("{exp}",),
         chain(own("ali"), delete("{ali}/num_jobs"))),
    Case("alignment-job-missing", TARGETS_AREA, "num_jobs 2, ali.2.gz missing", TRAIN, 1,
         ("{ali}", "ali.2.gz is missing"), ("{exp}",),
         chain(own("ali"), write("{ali}/num_jobs", "2\n"))),
    Case("num-jobs-not-a-number", TARGETS_AREA, "num_jobs holds no number", TRAIN, 1,
         ("{ali}/num_jobs", "not a job count"), ("{exp}",),
         chain(own("ali"), write("{ali}/num_jobs", "two\n"))),
    Case("alignment-not-gzip", TARGETS_AREA, "ali.1.gz is not gzip (was read as no "
         "alignments)", TRAIN, 1, ("{ali}/ali.1.gz", "not a complete gzip file"), ("{exp}",),
         chain(own("ali"), write("{ali}/ali.1.gz", "garbage\n"))),
    Case("alignment-gzip-cut-short", TARGETS_AREA, "ali.1.gz cut short", TRAIN, 1,
         ("{ali}/ali.1.gz", "not a complete gzip file"), ("{exp}",),
         chain(own("ali"), lambda s: s.write("{ali}/ali.1.gz", s.path(
             "{ali}/ali.1.gz").read_bytes()[:-20]) and None)),
    Case("alignment-entry-cut-short", TARGETS_AREA, "ali.1.gz whose last entry is cut short",
         TRAIN, 1, ("{ali}/ali.1.gz", "is cut short"), ("{exp}",),
         chain(own("ali"), lambda s: s.write("{ali}/ali.1.gz", gzip.compress(gzip.decompress(
             s.path("{ali}/ali.1.gz").read_bytes())[:-7])) and None)),
    Case("alignment-of-another-model", TARGETS_AREA, "transition-ids the model does not have",
         TRAIN, 1, ("{ali}", "transition-ids outside"), ("{exp}",),
         alignments(lambda alis: [(u, [9999] * len(a)) for u, a in alis])),
    Case("alignment-dir-without-model", TARGETS_AREA, "an alignment dir without final.mdl",
         TRAIN, 1, ("{ali}/final.mdl", "does not exist"), ("{exp}",),
         chain(own("ali"), delete("{ali}/final.mdl"))),
    Case("too-many-without-targets", TARGETS_AREA, "2 of 3 utterances have no alignment "
         "(past --max-missing)", TRAIN, 1,
         ("{ali}", "2 of 3 utterances of the data dir have no targets"), ("{exp}/final.pt",),
         alignments(lambda alis: alis[:1])),
    Case("too-many-unaligned", TARGETS_AREA, "the aligner gave up on 1 of 3 (past "
         "--max-unaligned)", ("check_alignments", "{data}", "{ali}", "1"), 1,
         ("{ali}/unaligned_utts", "aligned 2 of 3 utterances"), (),
         alignments(lambda alis: alis[1:])),
    Case("soft-targets-wrong-pdf-count", TARGETS_AREA, "soft targets of 3 pdfs for a tree of "
         "43", SOFT, 1, ("{targets}/targets.scp", "targets have 3 columns"), ("{exp}",),
         soft_targets(3)),
    Case("soft-targets-nan", TARGETS_AREA, "a NaN in the soft targets", SOFT, 1,
         ("{targets}/targets.scp", "holds NaN or inf"), ("{exp}",),
         chain(own("targets"), poison("targets", "targets.scp", "spkB-001", np.nan))),
    Case("soft-targets-empty", TARGETS_AREA, "an empty targets.scp", SOFT, 1,
         ("{targets}/targets.scp", "is empty"), ("{exp}",),
         chain(own("targets"), write("{targets}/targets.scp", ""))),
    # ------------------------------------------------------------------ options
    Case("nj-zero", OPTIONS, "make_feats.sh --nj 0",
         ("make_feats.sh", "--nj", "0", "--feat-config", "{conf}", "{data}", "{tmp}/log",
          "{tmp}/feats"), 1, ("{data}: cannot split into 0 jobs", "--nj 1 or more"),
         ("{data}/feats.scp", "{data}/split0")),
    Case("nj-not-a-number", OPTIONS, "make_feats.sh --nj abc",
         ("make_feats.sh", "--nj", "abc", "--feat-config", "{conf}", "{data}", "{tmp}/log",
          "{tmp}/feats"), 1, ("--nj 'abc' is not a number of jobs",), ("{data}/feats.scp",)),
    Case("unknown-option", OPTIONS, "train_mono.sh --frobnicate 3",
         ("train_mono.sh", "--frobnicate", "3", "{data}", "{lang}", "{exp}"), 1,
         ("invalid option --frobnicate",), ("{exp}",)),
    Case("boolean-maybe", OPTIONS, "align_si.sh --fmllr maybe",
         ("align_si.sh", "--fmllr", "maybe", "{data}", "{lang}", "{mono}", "{exp}"), 1,
         ('expected "true" or "false": --fmllr maybe',), ("{exp}",)),
    Case("stage-not-a-number", OPTIONS, "train_mono.sh --stage abc",
         (*MONO_SH[:1], "--stage", "abc", *MONO_SH[1:]), 1,
         ("--stage must be an integer (an iteration to resume at), got 'abc'",),
         ("{exp}/final.mdl",)),
    Case("option-without-value", OPTIONS, "decode.sh --beam at the end",
         ("decode.sh", "--beam"), 1, ("option --beam needs a value",)),
    Case("cv-fraction-above-1", OPTIONS, "--cv-fraction 1.5",
         (*TRAIN[:-3], "--cv-fraction", "1.5", *TRAIN[-3:]), 1,
         ("--cv-fraction must be in (0, 1), got 1.5",), ("{exp}",)),
    Case("cv-fraction-zero", OPTIONS, "--cv-fraction 0 (was: 'no utterance has both features "
         "and targets')", (*TRAIN[:-3], "--cv-fraction", "0", *TRAIN[-3:]), 1,
         ("--cv-fraction must be in (0, 1), got 0.0",), ("{exp}",)),
    Case("cv-fraction-not-a-number", OPTIONS, "--cv-fraction abc",
         (*TRAIN[:-3], "--cv-fraction", "abc", *TRAIN[-3:]), 2,
         ("argument --cv-fraction: invalid float value: 'abc'",), ("{exp}",)),
    Case("final-lr-above-lr", OPTIONS, "--final-lr above --lr",
         (*TRAIN[:-3], "--lr", "0.001", "--final-lr", "0.01", *TRAIN[-3:]), 1,
         ("--final-lr must be in (0, --lr=0.001]",), ("{exp}",)),
    Case("temperature-zero", OPTIONS, "--temperature 0 (was a traceback)",
         (*SOFT[:-3], "--temperature", "0", *SOFT[-3:]), 1,
         ("--temperature must be > 0, got 0.0",), ("{exp}",)),
    Case("hard-weight-above-1", OPTIONS, "--hard-weight 1.5 (was a traceback)",
         (*SOFT[:-3], "--hard-weight", "1.5", "--hard-ali-dir", "{ali}", *SOFT[-3:]), 1,
         ("--hard-weight must be in [0, 1], got 1.5",), ("{exp}",)),
    Case("hidden-zero", OPTIONS, "--hidden 0 (was a traceback)",
         (*TRAIN[:-3], "--hidden", "0", *TRAIN[-3:]), 1, ("--hidden must be >= 1, got 0",),
         ("{exp}",)),
    Case("soft-options-on-alignments", OPTIONS, "--temperature with hard alignments",
         (*TRAIN[:-3], "--temperature", "2", *TRAIN[-3:]), 1,
         ("--temperature/--hard-weight apply to soft targets", "{ali} holds alignments"),
         ("{exp}",)),
    Case("hard-weight-without-alignments", OPTIONS, "--hard-weight without --hard-ali-dir",
         (*SOFT[:-3], "--hard-weight", "0.3", *SOFT[-3:]), 1, ("--hard-ali-dir",), ("{exp}",)),
    Case("chunk-width-zero", OPTIONS, "blstm --chunk-width 0",
         ("train_nnet", "--model", "blstm", "--chunk-width", "0", "{fbank}", "{ali}", "{exp}"),
         1, ("--chunk-width", "must be >="), ("{exp}",)),
    Case("negative-beam", OPTIONS, "decode --beam -1 (was a traceback)",
         ("decode", "--beam", "-1", *DECODE[1:]), 1, ("--beam must be > 0, got -1.0",),
         DECODE_OUT),
    Case("negative-align-beam", OPTIONS, "align_si --beam -1 (was a traceback)",
         ("align_si", "--beam", "-1", *ALIGN[1:]), 1, ("--beam must be > 0",), ("{out}",)),
    Case("lattice-beam-zero", OPTIONS, "decode --lattice-beam 0 (was: 'no utterance could be "
         "decoded')", ("decode", "--lattices", "--lattice-beam", "0", *DECODE[1:]), 1,
         ("--lattice-beam must be > 0",), (*DECODE_OUT, "{out}/lat.gz")),
    Case("max-active-below-min-active", OPTIONS, "decode --max-active 100, below the "
         "decoder's min-active 200 (was a traceback; now decodes)",
         ("decode", "--max-active", "100", *DECODE[1:]), 0, ("decoded 3 utterances",)),
    Case("lmwts-not-numbers", OPTIONS, "decode --lmwts ten (was a traceback)",
         ("decode", "--lmwts", "ten", *DECODE[1:]), 1, ("--lmwts and --wips take numbers",),
         DECODE_OUT),
    Case("topk-negative", OPTIONS, "make_soft_targets --topk -1 (was a traceback)",
         ("make_soft_targets", "--topk", "-1", "--post-ark", "{out}_post.ark", "--post-scp",
          "{out}_post.scp", *TARGETS[1:]), 1, ("--topk must be >= 0",),
         (*FEATS_OUT, "{out}_post.ark", "{out}_post.scp")),
    Case("bad-cmvn-opts", OPTIONS, "train_mono --cmvn-opts=--norm-vars=yes",
         (*MONO[:-3], "--cmvn-opts=--norm-vars=yes", *MONO[-3:]), 1, ("--norm-vars=yes",),
         ("{exp}",)),
    Case("sil-prob-above-1", OPTIONS, "prepare_lang --sil-prob 1.5",
         ("prepare_lang", "--sil-prob", "1.5", *PREPARE_LANG[1:]), 1,
         ("--sil-prob must be in [0, 1)",), ("{tmp}/lang",)),
    Case("lm-order-5", OPTIONS, "make_lm --order 5",
         ("make_lm", "--order", "5", "{data}/text", "{tmp}/lm.arpa"), 1,
         ("--order must be 1, 2 or 3",), ("{tmp}/lm.arpa",)),
    Case("bad-filter-regex", OPTIONS, "score --filter-regex '('",
         ("score", "--filter-regex", "(", "{data}", "{decode}"), 1,
         ("--filter-regex: invalid regex '('",), ("{decode}/scoring_kaldi/best_wer",),
         own("decode")),
    # ------------------------------------------------------------------ models
    Case("corrupt-final-mdl", MODELS, "final.mdl is not a model", ALIGN, 1,
         ("{mono}/final.mdl", "not a Kaldi GMM model"), ("{out}",),
         chain(own("mono"), write("{mono}/final.mdl", "garbage\n"))),
    Case("truncated-final-mdl", MODELS, "final.mdl cut short",
         ("mkgraph", "{lang_test}", "{mono}", "{out}"), 1, ("{mono}/final.mdl",), ("{out}",),
         chain(own("mono"), lambda s: s.write("{mono}/final.mdl", s.path(
             "{mono}/final.mdl").read_bytes()[:100]) and None)),
    Case("corrupt-checkpoint", MODELS, "final.pt is not a checkpoint",
         ("decode", "{graph}", "{fbank}", "{dnn}", "{out}"), 1,
         ("{dnn}/final.pt", "cannot read model checkpoint"), DECODE_OUT,
         chain(own("dnn"), write("{dnn}/final.pt", "garbage\n"))),
    Case("truncated-checkpoint", MODELS, "final.pt cut short", TARGETS, 1,
         ("{dnn}/final.pt", "cannot read model checkpoint"), FEATS_OUT,
         chain(own("dnn"), lambda s: s.write("{dnn}/final.pt", s.path(
             "{dnn}/final.pt").read_bytes()[:1000]) and None)),
    Case("model-dir-without-tree", MODELS, "a model dir without tree",
         ("mkgraph", "{lang_test}", "{mono}", "{out}"), 1, ("{mono}/tree", "does not exist"),
         ("{out}",), chain(own("mono"), delete("{mono}/tree"))),
    Case("graph-of-another-lang", MODELS, "a graph of a lang with other phones (was decoded "
         "into nonsense)", ("decode", "{graph_pi}", "{data}", "{mono}", "{out}"), 1,
         ("{graph_pi}/phones.txt", "phones are not the 54 of {mono}/final.mdl"), DECODE_OUT),
    Case("graph-other-pdf-count", MODELS, "a graph whose num_pdfs is not the model's", DECODE, 1,
         ("{graph}/num_pdfs", "a model of 99 pdfs"), DECODE_OUT,
         chain(own("graph"), write("{graph}/num_pdfs", "99\n"))),
    Case("align-with-lang-of-other-phones", MODELS, "alignment with a lang of other phones "
         "than the model's (was a traceback)",
         ("align_si", "{data}", "{lang_pi_test}", "{mono}", "{out}"), 1,
         ("{lang_pi_test}/phones.txt", "phones are not the 54 of {mono}/final.mdl"),
         ("{out}",)),
    Case("mkgraph-lang-of-other-phones", MODELS, "mkgraph of a lang with other phones than the "
         "model's (was built)", ("mkgraph", "{lang_pi_test}", "{mono}", "{out}"), 1,
         ("{lang_pi_test}/phones.txt", "phones are not the 54"), ("{out}",)),
    Case("resume-other-architecture", MODELS, "a saved run resumed with another --hidden",
         (*NNET, "--hidden", "12", "{world}/fbank", "{ali}", "{dnn}"), 1,
         ("{dnn}/epoch-1.pt", "different model architecture"), (), own("dnn")),
    Case("pdf-counts-of-another-model", MODELS, "ali_train_pdf.counts of 3 pdfs",
         ("decode", "{graph}", "{fbank}", "{dnn}", "{out}"), 1,
         ("{dnn}/ali_train_pdf.counts", "3 entries"), DECODE_OUT,
         chain(own("dnn"), write("{dnn}/ali_train_pdf.counts", " [ 1 2 3 ]\n"))),
    Case("nnet-options-on-a-gmm", MODELS, "decode --prior-scale with a GMM",
         ("decode", "--prior-scale", "0.5", *DECODE[1:]), 1, ("{mono} holds a GMM",),
         DECODE_OUT),
    Case("bad-cmvn-opts-file", MODELS, "a model dir's cmvn_opts says --norm-vars=maybe", ALIGN,
         1, ("{mono}/cmvn_opts", "--norm-vars=maybe"), ("{out}",),
         chain(own("mono"), write("{mono}/cmvn_opts", "--norm-vars=maybe\n"))),
    Case("sat-model-without-fmllr", MODELS, "a SAT model (final.alimdl) decoded without "
         "--fmllr", DECODE, 1, ("{mono}/final.alimdl", "--fmllr"), DECODE_OUT,
         chain(own("mono"), lambda s: shutil.copyfile(s["mono"] / "final.mdl",
                                                      s["mono"] / "final.alimdl") and None)),
    Case("fmllr-without-alimdl", MODELS, "decode --fmllr of a model without final.alimdl",
         ("decode", "--fmllr", *DECODE[1:]), 1, ("{mono}/final.alimdl", "local/train_sat.sh"),
         (*DECODE_OUT, "{out}/trans.ark")),
    # ------------------------------------------------------------------ scoring
    Case("no-hypotheses", SCORING, "a decode dir without hypotheses", SCORE, 1,
         ("{decode}", "no hypotheses to score"), ("{decode}/scoring_kaldi/best_wer",),
         chain(own("decode"), lambda s: shutil.rmtree(s["decode"] / "scoring_kaldi"))),
    Case("no-reference-text", SCORING, "scoring a data dir without text", SCORE, 1,
         ("{data}/text", "does not exist"), ("{decode}/scoring_kaldi/best_wer",),
         chain(own("decode"), delete("{data}/text"))),
    Case("malformed-word-map", SCORING, "a --word-map line that is not 'FROM TO'",
         ("score", "--word-map", "{tmp}/map.txt", "{data}", "{decode}"), 1,
         ("{tmp}/map.txt", "line 2: expected 'FROM TO'"), ("{decode}/scoring_kaldi/best_wer",),
         chain(own("decode"), write("{tmp}/map.txt", "OH ZERO\nBAD\n"))),
    Case("duplicate-hypothesis", SCORING, "a hypothesis file with an utterance twice", SCORE, 1,
         ("{decode}/scoring_kaldi/penalty_0.0/10.txt", "duplicate utterance 'spkA-001'"),
         ("{decode}/scoring_kaldi/best_wer",),
         chain(own("decode"), write("{decode}/scoring_kaldi/penalty_0.0/10.txt",
                                    "spkA-001 ONE\nspkA-001 TWO\n"))),
    # ------------------------------------------------------------------ concurrency
    Case("locked-data-dir-features", CONCURRENCY, "make_feats.sh on a data dir another step "
         "writes", MAKE_FEATS_SH, 1, (f"{LOCKED} {{data}} (it holds {{data}}/.lock)",),
         ("{tmp}/log", "{tmp}/feats"), hold_lock("{data}")),
    Case("locked-data-dir-cmvn", CONCURRENCY, "compute_cmvn_stats.sh on a data dir another "
         "step writes", ("compute_cmvn_stats.sh", "{data}", "{tmp}/log", "{tmp}/cmvn"), 1,
         (f"{LOCKED} {{data}} (it holds {{data}}/.lock)",), ("{tmp}/log", "{tmp}/cmvn"),
         hold_lock("{data}")),
    Case("locked-exp-dir-training", CONCURRENCY, "train_mono.sh into an exp dir another step "
         "writes", ("train_mono.sh", "{data}", "{lang}", "{exp}"), 1,
         (f"{LOCKED} {{exp}} (it holds {{exp}}/.lock)",), ("{exp}/log", "{exp}/final.mdl"),
         hold_lock("{exp}")),
    Case("locked-ali-dir", CONCURRENCY, "align_si.sh into an ali dir another step writes",
         ("align_si.sh", "--nj", "2", "{data}", "{lang}", "{mono}", "{exp}"), 1,
         (f"{LOCKED} {{exp}}",), ("{exp}/log", "{exp}/ali.1.gz", "{data}/split2"),
         hold_lock("{exp}")),
    Case("locked-decode-dir", CONCURRENCY, "decode.sh into a decode dir another step writes",
         ("decode.sh", "--nj", "2", "--model-dir", "{mono}", "{graph}", "{data}", "{out}"), 1,
         (f"{LOCKED} {{out}}",), ("{out}/log", "{out}/scoring_kaldi"), hold_lock("{out}")),
    Case("locked-targets-dir", CONCURRENCY, "make_soft_targets.sh into a targets dir another "
         "step writes", ("make_soft_targets.sh", "--nj", "2", "{fbank}", "{dnn}", "{out}"), 1,
         (f"{LOCKED} {{out}}",), ("{out}/targets.scp", "{out}/final.mdl"), hold_lock("{out}")),
    # ------------------------------------------------------------ stale results (redone)
    Case("decode-after-text-changed", STALE, "decode.sh again after the data's text changed "
         "(was: 'up to date' and the old WER)", DECODE_SH, 0,
         (f"{{out}} {REDONE}", "now: input: {data}/text"), (),
         chain(first_run(*DECODE_SH), sub("{data}/text", "THREE", "FOUR"))),
    Case("decode-stage-1-rescores", STALE, "decode.sh --stage 1 after the data's text "
         "changed: scores again without decoding, and the next full run decodes again",
         (*DECODE_SH[:1], "--stage", "1", *DECODE_SH[1:]), 0,
         ("scoring the hypotheses in {out} again",), ("{out}/fingerprint",),
         chain(first_run(*DECODE_SH), sub("{data}/text", "THREE", "FOUR"))),
    Case("decode-stage-1-without-decode", SCORING, "decode.sh --stage 1 into a dir never "
         "decoded", (*DECODE_SH[:1], "--stage", "1", *DECODE_SH[1:]), 1,
         ("{out}/scoring_kaldi has no", "run without --stage first"), ("{out}/wer_10_0.0",)),
    Case("gmm-stage-resumes", STALE, "train_mono.sh --stage 1 after a finished run: trains "
         "again from iteration 1's saved files", (*MONO_SH[:1], "--stage", "1", *MONO_SH[1:]),
         0, ("resuming {exp} at iteration 1 ({exp}/iters/1.mdl)", "iter 1:"), (),
         first_run(*MONO_SH)),
    Case("gmm-stage-other-options", STALE, "train_mono.sh --stage 1 with other options than "
         "the run it resumes (would mix two runs' files)",
         (*MONO_SH[:4], "50", "--stage", "1", *MONO_SH[5:]), 1,
         ("--stage 1 resumes the run whose iteration files are in {exp}/iters",
          "now: options: num_iters=2 totgauss=50"), (), first_run(*MONO_SH)),
    Case("gmm-stage-without-run", MODELS, "train_mono.sh --stage 1 into an exp dir no run "
         "wrote", (*MONO_SH[:1], "--stage", "1", *MONO_SH[1:]), 1,
         ("or from no run: {exp}/iters/fingerprint", "run without --stage"),
         ("{exp}/final.mdl",)),
    Case("features-with-another-config", STALE, "make_feats.sh again with another feature "
         "config (was: the old features kept)", MAKE_FEATS_SH, 0,
         (REDONE, "now: input: {conf}"), (),
         chain(first_run(*MAKE_FEATS_SH), write("{tmp}/fbank.conf", "--num-mel-bins=30\n"))),
    Case("soft-targets-with-another-topk", STALE, "make_soft_targets.sh again with --topk "
         "(was: no post.scp)", (*TARGETS_SH[:3], "--topk", "2", *TARGETS_SH[3:]), 0,
         (f"{REDONE}", "now: options: topk=2"), (), first_run(*TARGETS_SH)),
    Case("soft-targets-of-changed-features", STALE, "make_soft_targets.sh again after the "
         "data dir's features changed (was: the stale targets kept)", TARGETS_SH, 0,
         (REDONE, "now: input: {fbank}/feats.scp"), (),
         chain(first_run(*TARGETS_SH), same_features_elsewhere("fbank"))),
    Case("training-resumed-on-other-data", STALE, "a saved training run again on other "
         "features (was: old epochs continued, cv set swapped)", TRAIN, 0,
         ("{exp}: its saved epochs were trained on other inputs", "starting over"), (),
         chain(first_run(*TRAIN), same_features_elsewhere("fbank"))),
]


@pytest.fixture(scope="module")
def cat_world(world: dict[str, Path],  # noqa: F811
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """test_cli_errors' world plus what the catalogue damages: a graph, a tiny DNN (hard
    targets from mono) and its soft targets, a decode dir with hypotheses, and a lang of
    position-independent phones with a graph of its own mono system."""
    from pykaldi_distill.bin import (
        format_lm,
        make_soft_targets,
        mkgraph,
        prepare_lang,
        train_mono,
        train_nnet,
    )

    tmp = tmp_path_factory.mktemp("catalogue")
    w = {**{k: v for k, v in world.items() if k != "tmp"}, "world": world["tmp"],
         "ali": world["mono"], "dict": world["tmp"] / "dict", "arpa": world["tmp"] / "lm.arpa"}
    w["graph"] = tmp / "graph"
    assert mkgraph.main([str(w["lang_test"]), str(w["mono"]), str(w["graph"])]) == 0
    w["dnn"] = tmp / "dnn"
    assert train_nnet.main([*NNET[1:], str(w["fbank"]), str(w["mono"]), str(w["dnn"])]) == 0
    w["targets"] = tmp / "targets"
    w["targets"].mkdir()
    assert make_soft_targets.main([str(w["fbank"]), str(w["dnn"]),
                                   str(w["targets"] / "targets.ark"),
                                   str(w["targets"] / "targets.scp")]) == 0
    for name in ["final.mdl", "tree"]:
        shutil.copyfile(w["dnn"] / name, w["targets"] / name)
    w["decode"] = tmp / "decode"
    hyps = w["decode"] / "scoring_kaldi" / "penalty_0.0" / "10.txt"
    hyps.parent.mkdir(parents=True)
    hyps.write_text((w["data"] / "text").read_text())
    lang_pi = tmp / "lang_pi"
    assert prepare_lang.main(["--position-dependent-phones", "false", str(w["dict"]), "<UNK>",
                              str(tmp / "lang_pi_tmp"), str(lang_pi)]) == 0
    w["lang_pi_test"] = tmp / "lang_pi_test"
    assert format_lm.main([str(lang_pi), str(w["arpa"]), str(w["lang_pi_test"])]) == 0
    assert train_mono.main(["--num-iters", "1", "--totgauss", "40", str(w["data"]),
                            str(lang_pi), str(tmp / "mono_pi")]) == 0
    w["graph_pi"] = tmp / "graph_pi"
    assert mkgraph.main([str(w["lang_pi_test"]), str(tmp / "mono_pi"), str(w["graph_pi"])]) == 0
    return w


def run(case: Case, s: Scratch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(exit code, stderr) of the case's command."""
    prog, *args = case.cmd
    argv = [s.fmt(a) for a in args]
    if prog.endswith(".sh"):
        proc = subprocess.run(["bash", str(LOCAL / prog), *argv], capture_output=True,
                              text=True, timeout=300)
        return proc.returncode, proc.stderr + proc.stdout  # steps say what they redo on stdout
    module = importlib.import_module(f"pykaldi_distill.bin.{prog}")
    capsys.readouterr()
    try:
        code = module.main(argv)
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    except Exception:  # noqa: BLE001  (a traceback is what the case must not give)
        print(traceback.format_exc(), file=sys.stderr)
        code = -1
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, cat_world: dict[str, Path], tmp_path: Path,
              capsys: pytest.CaptureFixture[str]) -> None:
    s = Scratch(cat_world, tmp_path)
    try:
        case.breaks(s)
        code, err = run(case, s, capsys)
    finally:
        s.close()
    assert "Traceback" not in err, err
    assert code == case.exit_code, err
    for name in case.names:
        assert s.fmt(name) in err, f"{s.fmt(name)!r} not in:\n{err}"
    for template in case.absent:
        assert not Path(s.fmt(template)).exists(), f"{s.fmt(template)} was left"
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left"
    for key in USER_DATA_DIRS if case.exit_code else ():  # success keeps them, as in Kaldi
        assert not list(s[key].glob("split*")), f"a split dir was left in {s[key]}"


def test_cases_are_many_distinct_and_cover_every_area() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(CASES) >= 60
    assert {c.area for c in CASES} == {DATA, AUDIO, FEATURES, LEXICON, TARGETS_AREA, OPTIONS,
                                      MODELS, SCORING, CONCURRENCY, STALE}


# ---------------------------------------------------------------------- kill -9 mid-step


def feats_of(scp: Path) -> dict[str, np.ndarray]:
    with kaldiio.ReadHelper(f"scp:{scp}") as reader:
        return {utt: np.array(mat) for utt, mat in reader}


def posteriors_of(scp: Path) -> dict[str, list]:
    return dict(read_posteriors(scp))


def same_matrices(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@dataclass(frozen=True)
class Kill:
    """A long step killed with SIGKILL once `marker` (a job's log: the jobs are running)
    exists, then run again with the same command: redone, not "up to date", and giving what
    an uninterrupted run gives. It runs on a copy of the world's fbank data dir (without its
    features when `features` is False); `out` is the dir it writes, `stamp` its fingerprint,
    `compare` the outputs read back and compared by value."""

    name: str
    cmd: tuple[str, ...]  # script, then templates over {run} (the run's own dir) and the world
    out: str
    marker: str
    stamp: str
    compare: tuple[tuple[str, Callable[[Path], dict]], ...]  # (file in out, reader)
    features: bool = True


KILLS = [
    Kill("make_feats", ("make_feats.sh", "--nj", "2", "--feat-config", "{conf}", "{run}/data",
                        "{run}/log", "{run}/feats"),
         "{run}/data", "{run}/log/make_fbank_data.1.log", "feats.fingerprint",
         (("feats.scp", feats_of),), features=False),
    Kill("make_soft_targets", ("make_soft_targets.sh", "--nj", "2", "--topk", "2",
                               "{run}/data", "{dnn}", "{run}/targets"),
         "{run}/targets", "{run}/targets/log/make_targets.1.log", "fingerprint",
         (("targets.scp", feats_of), ("post.scp", posteriors_of))),
]


@pytest.mark.parametrize("kill", KILLS, ids=[k.name for k in KILLS])
def test_killed_step_reruns_to_the_same_result(kill: Kill, cat_world: dict[str, Path],
                                               tmp_path: Path) -> None:
    conf = tmp_path / "fbank.conf"
    conf.write_text("--num-mel-bins=23\n")
    results = {}
    for mode in ("whole", "killed"):
        run_dir = tmp_path / mode
        shutil.copytree(cat_world["fbank"], run_dir / "data")
        if not kill.features:
            for name in ["feats.scp", "cmvn.scp", "feat_type", "fbank.conf"]:
                (run_dir / "data" / name).unlink()
        keys = {**{k: str(v) for k, v in cat_world.items()}, "run": str(run_dir),
                "conf": str(conf)}
        script, *args = kill.cmd
        cmd = ["bash", str(LOCAL / script), *(a.format(**keys) for a in args)]
        out = Path(kill.out.format(**keys))
        if mode == "killed":
            run_killed(cmd, Path(kill.marker.format(**keys)))
            assert not (out / kill.stamp).exists()  # no record of a finished run
            assert not (out / kill.compare[0][0]).exists()  # complete outputs or none
            wait_unlocked(out)  # the killed step's jobs may still be writing
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert "up to date" not in proc.stdout
        assert not list(out.glob("*.tmp"))
        results[mode] = {name: read(out / name) for name, read in kill.compare}
        results[mode]["split dirs"] = sorted(p.name for p in (run_dir / "data").glob("split*"))
    assert results["killed"]["split dirs"] == results["whole"]["split dirs"]
    for name, read in kill.compare:
        whole, killed = results["whole"][name], results["killed"][name]
        assert same_matrices(whole, killed) if read is feats_of else whole == killed, name


# ---------------------------------------------------------------------- the docs' table


def markdown_table() -> str:
    """The table of docs/reliability.md's "The catalogue module" section."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| # | area | case | exit | names | left |", "|---|---|---|---|---|---|"]
    for i, c in enumerate(CASES, 1):
        command = c.cmd[0] if c.cmd[0].endswith(".sh") else c.cmd[0] + ".py"
        names = " · ".join(f"`{cell(n)}`" for n in c.names)
        left = ", ".join(f"no `{cell(a)}`" for a in c.absent)
        rows.append(f"| {i} | {c.area} | `{c.name}`: {cell(c.what)} (`{command}`) | "
                    f"{c.exit_code} | {names} | {left or '—'} |")
    for j, k in enumerate(KILLS, len(CASES) + 1):
        outputs = ", ".join(f"`{name}`" for name, _ in k.compare)
        rows.append(f"| {j} | kill -9 | `{k.name}`: `{k.cmd[0]}` killed once a job runs, then "
                    f"the same command | 0 | not \"up to date\" | the uninterrupted run's "
                    f"{outputs}, no split dir |")
    return "\n".join(rows) + "\n"


def test_docs_list_every_case() -> None:
    docs = (REPO / "docs" / "reliability.md").read_text()
    assert markdown_table() in docs, "regenerate the table: PYTHONPATH=. .venv/bin/python " \
        "tests/test_catalogue.py"


if __name__ == "__main__":
    print(markdown_table(), end="")
