# Sourced by the recipes of real corpora (egs/wsj, egs/mini_librispeech) after their options:
# what follows their own data, lexicon and LM stages (0 and 1) is the same for every corpus
# with data/{train,dev,test} and data/lang{,_test}: features, the GMM ladder, the teacher,
# the students and RESULTS.md, as stages 2 to 6.
#   kd_settings                    # the size's networks and decoding settings (tiny | full)
#   kd_stages "<corpus>" "<sets>"  # stages 2..6 between $stage and $stop_stage; RESULTS.md
#                                  # titled "<corpus> (<size>), <sets>"
# The caller sets stage, stop_stage, size, nj, seed, seeds, teacher_opts, student_opts,
# teacher_epochs, student_epochs, decode_beam, max_active (empty: the size's), the GMM sizes
# mono_gauss and leaves=(tri1 leaves gauss tri2 leaves gauss tri3 leaves gauss), and
# boost_silence (optional); it sources cmd.sh, path.sh, background.sh, stage_times.sh,
# gmm_recipe.sh and nnet_recipe.sh.
# shellcheck shell=bash disable=SC2034,SC2154  # the caller's variables, set and used

kd_settings() {
  local teacher student epochs
  case $size in
    tiny) teacher="--num-layers 1 --hidden 64 --dnn-dim 64"; epochs=(2 2)
      student="--num-layers 2 --hidden 64 --context 5" ;;
    full) teacher="--num-layers 3 --hidden 320 --dnn-dim 512 --dropout 0.1"; epochs=(8 10)
      student="--num-layers 3 --hidden 512 --context 5" ;;
    *) echo "$0: --size must be full or tiny, got '$size'" >&2; exit 1 ;;
  esac
  teacher_opts=${teacher_opts:-$teacher}
  student_opts=${student_opts:-$student}
  teacher_epochs=${teacher_epochs:-${epochs[0]}}
  student_epochs=${student_epochs:-${epochs[1]}}
  seeds=${seeds:-$seed}
  train_cmd=${train_cmd:-run.pl}
  decode_cmd=${decode_cmd:-run.pl}
  nnet_lattices=true
  if [ "$size" = tiny ]; then
    decode_beam=${decode_beam:-8}
    max_active=${max_active:-1000}
    nnet_lattices=false  # barely trained nets: best-path decoding, bounded by max-active
  else
    decode_beam=${decode_beam:-11}
    max_active=${max_active:-7000}
  fi
  results=RESULTS.md
  if [ "$size" != full ]; then results=RESULTS_$size.md; fi
  nnet_feats=fmllr  # the networks' input: tri3's speaker-adapted features (Kaldi nnet1 style)
  gmm_best=exp/tri3
  gmm_ali=exp/tri3_ali
}

kd_stages() {
  local corpus=$1 sets=$2 x
  if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
    stage_begin 2 "MFCC with per-speaker CMVN"
    for x in train dev test; do
      steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
        "data/$x" "exp/make_mfcc/$x" mfcc
      steps_kd/compute_cmvn_stats.sh "data/$x" "exp/make_mfcc/$x" mfcc
    done
  fi
  if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
    stage_begin 3 "GMM-HMMs: mono, tri1 (deltas), tri2 (LDA+MLLT), tri3 (SAT)"
    gmm_ladder
    steps_kd/make_results.sh --title "$corpus ($size), GMM systems, $sets" \
      --baseline "$mono_label" --test-data data/test --dev-data data/dev \
      --order "$gmm_ladder_order" "$results" "${gmm_ladder_systems[@]}"
  fi
  if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
    stage_begin 4 "BLSTM teacher on $gmm_ali, its soft (top-20) and hard alignments"
    teacher_and_targets "$gmm_ali"
  fi
  if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
    stage_begin 5 "DNN students: one architecture and budget, only the targets differ"
    three_students "$gmm_ali"
  fi
  if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
    stage_begin 6 "$results"
    kd_results "$corpus ($size), $sets"
  fi
  wait_background  # jobs of a run that stopped early
  stage_end
}

kd_results() {  # kd_results <title>: RESULTS.md of the GMM ladder, teacher and students
  local times_opt=() nnet_systems
  if [ -f exp/stage_times.tsv ]; then times_opt=(--stage-times exp/stage_times.tsv); fi
  mapfile -t nnet_systems < <(distill_systems)
  steps_kd/make_results.sh --title "$1" --baseline "DNN student, GMM hard" \
    "${times_opt[@]}" --soft-targets exp/teacher_targets --topk 20 --target-ali "$gmm_ali" \
    --test-data data/test --dev-data data/dev --order "$gmm_ladder_order" "$results" \
    "${gmm_ladder_systems[@]}" "${nnet_systems[@]}"
  cat "$results"
}
