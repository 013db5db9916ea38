#!/usr/bin/env bash
# Write RESULTS.md from decode dirs: WER, parameters, MFLOPs/frame, decode real-time factor.
set -euo pipefail

title=results
baseline=
corpus_info=   # corpus.json of a synthetic corpus: adds a corpus section
dict_dir=      # the dict dir: adds a lexicon section (with --g2p-dir: the G2P's words, score)
g2p_dir=
soft_targets=  # a make_soft_targets.sh dir: adds its disk size per frame
topk=          # the k of its top-k Posteriors
target_temperatures=  # e.g. 1,2,5: adds how soft the targets are at each temperature
target_ali=    # an alignment dir to compare the targets' argmax with (e.g. the GMM's)
test_data=     # the test data dir: adds bootstrap intervals over speakers to the relative
               # changes and WER per test (and, with --dev-data, dev) speaker in its own file
dev_data=
per_speaker_out= # where the WER per voice goes (default: <out stem>_per_speaker.md beside out)
bootstrap_draws= # draws of the paired bootstrap over speakers (default: the CLI's, 2000)
stage_times=   # a recipe's exp/stage_times.tsv: adds the run's wall-clock time per stage
order=         # "worst,...,best" system names: adds in how many runs WER falls in that order

echo "$0 $*"
help_message="Usage: $0 [--title T] [--baseline NAME] [--corpus-info corpus.json]
       [--dict-dir data/local/dict [--g2p-dir exp/g2p]]
       [--soft-targets <dir> --topk <k> [--target-temperatures 1,2,5] [--target-ali <dir>]]
       [--test-data <dir> [--dev-data <dir>] [--per-speaker-out <md>] [--bootstrap-draws N]]
       [--stage-times exp/stage_times.tsv]
       [--order \"<worst name>,...,<best name>\"]
       <out.md> <name=decode-dir> ...
 e.g.: $0 RESULTS.md \"mono=exp/mono/decode_test\" \"student=exp/student/decode_test\""
. "$(dirname "$0")/parse_options.sh"
. "$(dirname "$0")/pkd_env.sh"

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
opts=(--title "$title")
if [ -n "$baseline" ]; then opts+=(--baseline "$baseline"); fi
if [ -n "$corpus_info" ]; then opts+=(--corpus-info "$corpus_info"); fi
if [ -n "$dict_dir" ]; then opts+=(--dict-dir "$dict_dir"); fi
if [ -n "$g2p_dir" ]; then opts+=(--g2p-dir "$g2p_dir"); fi
if [ -n "$soft_targets" ]; then opts+=(--soft-targets "$soft_targets"); fi
if [ -n "$topk" ]; then opts+=(--topk "$topk"); fi
if [ -n "$target_temperatures" ]; then opts+=(--target-temperatures "$target_temperatures"); fi
if [ -n "$target_ali" ]; then opts+=(--target-ali "$target_ali"); fi
if [ -n "$test_data" ]; then opts+=(--test-data "$test_data"); fi
if [ -n "$dev_data" ]; then opts+=(--dev-data "$dev_data"); fi
if [ -n "$per_speaker_out" ]; then opts+=(--per-speaker-out "$per_speaker_out"); fi
if [ -n "$bootstrap_draws" ]; then opts+=(--bootstrap-draws "$bootstrap_draws"); fi
if [ -n "$stage_times" ]; then opts+=(--stage-times "$stage_times"); fi
if [ -n "$order" ]; then opts+=(--order "$order"); fi
pkd make_results "${opts[@]}" "$@"
