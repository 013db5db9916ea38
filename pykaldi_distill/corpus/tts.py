"""Offline text-to-speech voices (espeak-ng, flite, festival) rendered to 16 kHz mono
16-bit PCM wav with sox."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, PkdError

RATE = 16000
SOX_WAV_16K = ["-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav"]


class SynthesisError(PkdError):
    """A TTS engine or sox failed on an utterance."""


@dataclass(frozen=True)
class Engine:
    binary: str
    package: str


ENGINES: dict[str, Engine] = {
    "espeak-ng": Engine("espeak-ng", "espeak-ng"),
    "flite": Engine("flite", "flite"),
    "festival": Engine("festival", "festival"),
}
SOX = Engine("sox", "sox libsox-fmt-all")


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker: `args` are engine command-line options (espeak-ng, flite) or
    Scheme forms run before synthesis (festival); `package` is the apt package holding
    the voice data when it is not part of the engine's package."""

    name: str
    engine: str
    args: tuple[str, ...]
    package: str = ""


def _espeak(name: str, voice: str, speed: int, pitch: int) -> Voice:
    return Voice(name, "espeak-ng", ("-v", voice, "-s", str(speed), "-p", str(pitch)))


def _flite(name: str, voice: str, stretch: float = 1.0) -> Voice:
    return Voice(name, "flite", ("-voice", voice, "--setf", f"duration_stretch={stretch}"))


def _festival(name: str, voice: str, package: str, *forms: str) -> Voice:
    return Voice(name, "festival", (f"(voice_{voice})", *forms), package)


# Festival's diphone voices take their pitch from int_lr_params (mean/std of the target F0).
_KAL_HIGH = ("(set! int_lr_params '((target_f0_mean 150) (target_f0_std 22) "
             "(model_f0_mean 170) (model_f0_std 34)))",
             "(Parameter.set 'Duration_Stretch 0.9)")

VOICES: dict[str, Voice] = {v.name: v for v in [
    _espeak("esp_usm3", "en-us+m3", 165, 40),
    _espeak("esp_gbf2", "en+f2", 150, 65),
    _espeak("esp_scotm1", "en-gb-scotland+m1", 140, 30),
    _espeak("esp_caribk", "en-029+klatt", 175, 55),
    _espeak("esp_nycf3", "en-us-nyc+f3", 160, 60),
    _espeak("esp_rpm7", "en-gb-x-rp+m7", 155, 45),
    _espeak("esp_usf4", "en-us+f4", 165, 60),
    _espeak("esp_clanm4", "en-gb-x-gbclan+m4", 150, 35),
    _espeak("esp_wmdf5", "en-gb-x-gbcwmd+f5", 160, 70),
    _espeak("esp_usandy", "en-us+Andy", 170, 50),
    _espeak("esp_gbannie", "en+Annie", 150, 60),
    _flite("flite_kal", "kal16"),
    _flite("flite_awb", "awb", 1.05),
    _flite("flite_slt", "slt", 0.95),
    _flite("flite_rms", "rms"),
    _festival("fest_kal", "kal_diphone", "festvox-kallpc16k"),
    _festival("fest_kalhi", "kal_diphone", "festvox-kallpc16k", *_KAL_HIGH),
    _festival("fest_ked", "ked_diphone", "festvox-kdlpc16k"),
]}


def check_engines(voices: Sequence[Voice]) -> None:
    """Raise InputError naming the binary (and the apt package) when a tool is missing."""
    for engine in [SOX, *sorted({ENGINES[v.engine] for v in voices}, key=lambda e: e.binary)]:
        if shutil.which(engine.binary) is None:
            raise InputError(engine.binary, "not found on PATH",
                             f"apt-get install {engine.package}")
    flite_voices = {v.args[v.args.index("-voice") + 1] for v in voices if v.engine == "flite"}
    if flite_voices:
        # flite silently falls back to its default voice for an unknown name.
        listed = _run(["flite", "-lv"], "flite -lv").decode().split(":")[-1].split()
        missing = sorted(flite_voices - set(listed))
        if missing:
            raise InputError("flite", f"has no built-in voice '{missing[0]}' (it has {listed})",
                             "install a flite build with that voice or drop the voice")


def _run(cmd: list[str], what: str) -> bytes:
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise SynthesisError(f"{what}: command failed ({proc.returncode}): {' '.join(cmd)}: "
                             f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
    return proc.stdout


def to_16k(in_audio: Path, out_wav: Path) -> None:
    """Convert any audio sox reads to 16 kHz mono 16-bit PCM wav."""
    _run(["sox", "-V1", "-D", str(in_audio), *SOX_WAV_16K, str(out_wav)], f"sox on {in_audio}")


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _festival_batch(voice: Voice, items: Sequence[tuple[str, Path]], script: Path) -> None:
    """One festival process for many utterances (its start-up dominates a single call)."""
    lines = list(voice.args)
    for text, out in items:
        lines.append(f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)})) "
                     f"{_scheme_string(str(out))} 'riff)")
    script.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(["festival", "-b", str(script)], capture_output=True, check=False)
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    if proc.returncode != 0 or "SIOD ERROR" in output:
        fix = f" (fix: apt-get install {voice.package})" if voice.package else ""
        raise SynthesisError(f"festival voice {voice.name}: {output.strip()[-500:]}{fix}")


def _engine_to_file(voice: Voice, text: str, out: Path) -> None:
    if voice.engine == "espeak-ng":
        _run(["espeak-ng", *voice.args, "-w", str(out), text], f"espeak-ng voice {voice.name}")
    elif voice.engine == "flite":
        _run(["flite", *voice.args, "-t", text, "-o", str(out)], f"flite voice {voice.name}")
    else:
        raise ValueError(f"no single-utterance path for engine {voice.engine}")


def synthesize_many(voice: Voice, items: Sequence[tuple[str, Path]],
                    work_dir: Path | None = None) -> None:
    """Render each (text, out_wav) with `voice` as 16 kHz mono 16-bit PCM wav; the engine's
    own output goes to a temporary dir under `work_dir` (default: the system's)."""
    with tempfile.TemporaryDirectory(prefix="pkd_tts_", dir=work_dir) as tmp:
        raw = [Path(tmp) / f"{i}.wav" for i in range(len(items))]
        if voice.engine == "festival":
            _festival_batch(voice, [(text, r) for (text, _), r in zip(items, raw, strict=True)],
                            Path(tmp) / "synth.scm")
        else:
            for (text, _), r in zip(items, raw, strict=True):
                _engine_to_file(voice, text, r)
        for (_, out), r in zip(items, raw, strict=True):
            if not r.is_file() or r.stat().st_size <= 44:
                raise SynthesisError(f"{voice.engine} voice {voice.name} produced no audio")
            out.parent.mkdir(parents=True, exist_ok=True)
            to_16k(r, out)


def synthesize(voice: Voice, text: str, out_wav: Path) -> None:
    """Render `text` with `voice` to `out_wav` (16 kHz mono 16-bit PCM)."""
    synthesize_many(voice, [(text, out_wav)])
