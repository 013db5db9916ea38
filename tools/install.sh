#!/usr/bin/env bash
# Idempotent installer used by `make demo` and `make test`:
#  1. Debian packages (sox, flac, TTS engines + voices, shellcheck for the lint test) when missing;
#  2. a .venv with the exact pins of requirements.txt (re-done only when that file changes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

apt_pkgs=(sox libsox-fmt-all flac espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k
  bible-kjv shellcheck procps)  # procps: pgrep, to stop a failed recipe's background jobs
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: Debian packages missing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo_cmd=(); elif command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    echo "install: ERROR: need root or sudo to run: apt-get install -y ${missing[*]}" >&2
    echo "install: ask an administrator to install them, then re-run make." >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "install: ERROR: apt-get not found; install these packages with your system's package manager: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
stamp=.venv/.requirements.stamp
if [ ! -x .venv/bin/python ]; then
  echo "install: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "install: installing pinned Python packages into .venv (torch==2.13.0 is the CPU build)"
  .venv/bin/pip install --disable-pip-version-check -q -r requirements.txt
  cp requirements.txt "$stamp"
fi
.venv/bin/python -c "import kaldi_hmm_gmm, kaldifst, kaldi_decoder, kaldi_native_fbank, torch" \
  || { echo "install: ERROR: the .venv cannot import the Kaldi wheels; remove .venv and re-run" >&2; exit 1; }
echo "install: ok"
