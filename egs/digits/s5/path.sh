# shellcheck shell=bash
# The plugin's environment (venv, PYTHONPATH, step scripts on PATH).
# shellcheck source=../../../path.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../../path.sh"
