# shellcheck shell=bash
# Command-line options for recipe scripts, with Kaldi's utils/parse_options.sh semantics.
# Source it after a script's configuration block. Every step script opens with the same
# few lines (configuration block, this file, pkd_env.sh, its usage and argument check) on
# purpose, as Kaldi's steps do; shared work lives in pkd_env.sh and the *_common.sh files.
#
#   nj=4                  # every option is a variable that already has a default
#   use_gpu=false         # a true/false default makes the option Boolean
#   cmd=run.pl
#   help_message="Usage: $0 [options] <data-dir> <exp-dir>"
#   . parse_options.sh || exit 1
#   [ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
#
# Then `script.sh --nj 8 --use-gpu true data/train exp/mono` sets nj=8 and use_gpu=true and
# leaves "data/train exp/mono" in "$@".
#
#   --foo-bar value, --foo-bar=value   set foo_bar, which must already be set (else:
#                                       "$0: invalid option --foo-bar", exit 1)
#   --config file                      source `file` (lines name=value) before any other
#                                       option is applied, so the command line wins
#   --help, -h                         print $help_message (or, without one, the script's
#                                       leading comment block) to stderr and exit 0
#   --                                 end of options
#
# Options end at the first argument that does not start with "--". A variable whose value
# is true or false only accepts true or false. An empty --cmd is an error, as in Kaldi.
# Errors go to stderr and exit 1 (the sourcing script exits too, as with Kaldi's version).

_po_die() {
  echo "$0: $*" >&2
  exit 1
}

_po_help() {
  local text=${help_message:-}
  if [ -z "$text" ] && [ -f "$0" ]; then
    # The comment block at the top of the script (after the #! line).
    text=$(awk 'NR == 1 && /^#!/ { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0")
  fi
  printf '%s\n' "${text:-$0: no help found}" >&2
  if [[ "$text" != *Options* ]] && [ -f "$0" ] \
     && grep -q '^# Begin configuration section' "$0"; then
    # Every option of the configuration section, with its default and comment.
    echo "Options (default in parentheses; the configuration section of $0):" >&2
    awk '/^# Begin configuration section/ { on = 1; next } /^# End configuration section/ { exit }
      on && /^[a-z_0-9]+=/ {
        name = $0; sub(/=.*/, "", name); value = substr($0, length(name) + 2)
        comment = ""
        if (match(value, /[ \t]+# /)) { comment = substr(value, RSTART + RLENGTH);
                                           value = substr(value, 1, RSTART - 1) }
        gsub(/_/, "-", name); gsub(/^"|"$/, "", value)
        printf "  --%-18s (%s)%s\n", name, value, comment == "" ? "" : "  " comment; next }
      on && /^[ \t]+# / { sub(/^[ \t]+# /, ""); printf "  %-20s %s\n", "", $0 }' "$0" >&2
  fi
  exit 0
}

# Pass 1: source --config files, left to right, so that other options override them.
_po_args=("$@")
_po_i=0
while [ "$_po_i" -lt "${#_po_args[@]}" ]; do
  _po_arg=${_po_args[$_po_i]}
  _po_cfg=
  case $_po_arg in
    --config=*) _po_cfg=${_po_arg#--config=}; _po_i=$((_po_i + 1)) ;;
    --config)
      [ $((_po_i + 1)) -lt "${#_po_args[@]}" ] || _po_die "option --config needs a file"
      _po_cfg=${_po_args[$((_po_i + 1))]}; _po_i=$((_po_i + 2)) ;;
    --help | -h | --) break ;;
    --*=*) _po_i=$((_po_i + 1)) ;;
    --*) _po_i=$((_po_i + 2)) ;;
    *) break ;;
  esac
  if [ -n "$_po_cfg" ]; then
    if [ ! -f "$_po_cfg" ] || [ ! -r "$_po_cfg" ]; then
      _po_die "cannot read config file '$_po_cfg'"
    fi
    # shellcheck source=/dev/null  # the config is the user's file of name=value lines
    . "$_po_cfg" || _po_die "error in config file '$_po_cfg'"
  fi
done

# Pass 2: the options themselves.
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    --help | -h) _po_help ;;
    --*=*) _po_opt=${1%%=*}; _po_val=${1#*=}; _po_n=1 ;;
    --*)
      [ $# -ge 2 ] || _po_die "option $1 needs a value"
      _po_opt=$1; _po_val=$2; _po_n=2 ;;
    *) break ;;
  esac
  _po_name=${_po_opt#--}
  _po_name=${_po_name//-/_}
  if [ "$_po_name" != config ]; then
    # Only variables the script defined (set, possibly to "") are options.
    if ! [[ $_po_name =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || [ -z "${!_po_name+set}" ]; then
      _po_die "invalid option $_po_opt"
    fi
    _po_old=${!_po_name}
    if [[ $_po_old == true || $_po_old == false ]] && [[ $_po_val != true && $_po_val != false ]]
    then
      _po_die "expected \"true\" or \"false\": $_po_opt $_po_val"
    fi
    printf -v "$_po_name" '%s' "$_po_val"
  fi
  shift "$_po_n"
done

# An empty --cmd is almost always a scripting error ("--cmd $undefined_var").
if [ -n "${cmd+set}" ] && [ -z "$cmd" ]; then
  _po_die "empty argument to --cmd option"
fi

unset _po_args _po_i _po_arg _po_cfg _po_opt _po_val _po_n _po_name _po_old
unset -f _po_die _po_help
true
