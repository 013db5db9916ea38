# shellcheck shell=bash
# The plugin's environment (venv, PYTHONPATH, step scripts on PATH). PKD_ROOT may point at
# the plugin checkout when the recipe dir lives elsewhere.
_pkd_root=${PKD_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
# shellcheck source=../../../path.sh
. "$_pkd_root/path.sh"
