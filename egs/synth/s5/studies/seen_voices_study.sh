#!/usr/bin/env bash
# Is the teacher better than its students on the voices it was trained on, if not on the
# held-out ones? After run.sh stage 8, decode the BLSTM teacher and the seed-<seed> DNN
# students on the training utterances none of them trained on (their cv split, which the
# same seed makes the same for all), spoken by the training voices.
# run.sh's LM has every training sentence, so these are decoded with a trigram trained the
# same way on the LM text without their sentences (and tri3's tree and models). Test WER is
# read at each network's dev-best LM weight / insertion penalty, as in RESULTS.md; the GMMs
# trained on these utterances and are left out. Writes STUDY_seen_voices.md (the table, WER
# per training voice, and each network's frame accuracy against the GMM alignment on the
# same frames).
#   studies/seen_voices_study.sh --seed 1
# shellcheck source-path=SCRIPTDIR/..  # sourced files are named relative to the recipe dir
set -euo pipefail

# Begin configuration section.
seed=1              # the students' seed: the teacher's (run.sh --seed) holds out the same
nj=2
decode_beam=11
max_active=7000     # the decoder's; a barely trained network's flat scores keep this many
lattices=true       # false: best-path decoding (run.sh does that at --size tiny)
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh

names=(teacher "student_gmm_s$seed" "student_rnnhard_s$seed" "student_soft_s$seed")
labels=("BLSTM teacher" "DNN student, GMM hard" "DNN student, RNN hard"
  "DNN student, RNN soft T=1")
for name in "${names[@]}"; do
  if [ ! -f "exp/$name/decode_dev/scoring_kaldi/best_wer" ]; then
    echo "$0: ERROR: exp/$name is not trained and decoded; run ./run.sh through stage 8" \
      "(with --seed $seed) first" >&2
    exit 1
  fi
done
. studies/study_common.sh  # gmm_ali, gmm, train_data, feats
seen=data/seen_cv_s${seed}_$feats

dir=exp/seen_voices_s$seed
mkdir -p "$dir"
python -m pykaldi_distill.bin.held_out_utts "${names[@]/#/exp/}" > "$dir/uttlist"
steps_kd/subset_data_dir.sh --utt-list "$dir/uttlist" "$train_data" "$seen"

# Decoding with the run's LM would measure how well it remembers these sentences.
cut -d' ' -f2- "$seen/text" | sort -u > "$dir/sentences"
awk 'NR == FNR { drop[$0] = 1; next } { s = $0; sub(/^[^ ]+ /, "", s) } !(s in drop)' \
  "$dir/sentences" data/local/lm_text > "$dir/lm_text"
echo "$0: $(($(wc -l < data/local/lm_text) - $(wc -l < "$dir/lm_text"))) of" \
  "$(wc -l < data/local/lm_text) LM sentences removed"
steps_kd/train_lm.sh --order 3 --words data/lang/words.txt "$dir/lm_text" "$dir/lm.arpa.gz"
steps_kd/format_lm.sh data/lang "$dir/lm.arpa.gz" "$dir/lang_test"
steps_kd/mkgraph.sh "$dir/lang_test" "$gmm" "$dir/graph"

rows=()
for i in "${!names[@]}"; do
  out=exp/${names[$i]}/decode_${seen#data/}
  steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
    --lattices "$lattices" "$dir/graph" "$seen" "$out"
  rows+=("${labels[$i]}=$out,exp/${names[$i]}/decode_dev")
done
steps_kd/make_results.sh --title "seen voices: the networks' held-out utterances of the training voices (seed $seed)" \
  --baseline "DNN student, GMM hard" --test-data "$seen" studies/STUDY_seen_voices.md "${rows[@]}"
# Frame level, all against the GMM alignment that trained the teacher.
models=()
for i in "${!names[@]}"; do models+=("${labels[$i]}=exp/${names[$i]}"); done
python -m pykaldi_distill.bin.frame_accuracy --out studies/STUDY_seen_voices.md "$seen" "$gmm_ali" \
  "${models[@]}"
cat studies/STUDY_seen_voices.md
