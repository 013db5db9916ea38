#!/usr/bin/env bash
# The Free Spoken Digit Dataset: real recordings of 6 male speakers of several accents, 8 kHz,
# isolated digits (github.com/Jakobovski/free-spoken-digit-dataset, CC BY-SA 4.0; clone it
# yourself and pass its path). Whole speakers are held out, leave-one-speaker-out: in each
# fold one speaker is test, the next (by name) dev, the other four train, and every
# result is over all folds. Per fold: mono -> tri1 GMM-HMM, BLSTM teacher on the GMM's
# alignments, its soft and hard alignments, DNN students on each, all decoded with a
# digit-loop grammar on the held-out speakers' isolated digits and on connected digits spliced
# from their recordings with pauses of their own background noise; LM weight and insertion
# penalty chosen on dev (isolated and connected apart). The peer: PocketSphinx (pip) with its
# packaged US-English model and a digit-loop grammar, decoding the same held-out recordings.
# With --tts-recipe, the models of a TTS-trained recipe decode them too (how far synthetic
# voices carry to real ones).
#   ./run.sh /path/to/free-spoken-digit-dataset                 # every fold (~1 h on 2 cores)
#   ./run.sh --size tiny --test-speakers george <fsdd-dir>       # CI: one fold, 5 per digit
set -euo pipefail

# Begin configuration section.
stage=0
stop_stage=100
size=full            # full: every recording | tiny: 5 recordings per speaker and digit (CI)
test_speakers=       # the folds' test speakers; empty: every speaker
connected=           # connected-digit utterances per held-out speaker; empty: the size's
nj=2
seed=1
ali_gmm=tri1         # the GMM whose alignments train the networks and whose graph decodes them
teacher_opts=        # BLSTM options; empty: the size's default below
student_opts=        # the same for every student; empty: the size's default
teacher_epochs=
student_epochs=
tts_recipe=          # a TTS recipe dir that has been run (e.g. ../../digits/s5): its models,
                     # which heard no FSDD speaker, decode every fold's held-out sets
tts_systems="mono teacher student_gmm student_soft"  # its exp dirs to decode with
tts_graph=exp/mono/graph  # its graph (its own lexicon and LM), relative to --tts-recipe
# End configuration section.

help_message="Usage: $0 [options] <fsdd-dir>
 e.g.: $0 --size tiny --test-speakers george ../../../../shared/corpora/fsdd"
. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/stage_times.sh  # stage_begin: exp/stage_times.tsv, RESULTS.md's run time
if [ $# -ne 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
fsdd=$1
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

case $size in
  tiny) per_digit=5; default_connected=10; mono_gauss=200; tri1=(40 200); lattices=false; beam=8
    default_teacher="--num-layers 1 --hidden 64 --dnn-dim 64"; epochs=(2 2)
    default_student="--num-layers 2 --hidden 64 --context 5" ;;
  full) per_digit=; default_connected=100; mono_gauss=1000; tri1=(150 800); lattices=true
    beam=11
    default_teacher="--num-layers 2 --hidden 192 --dnn-dim 256 --dropout 0.1"; epochs=(15 20)
    default_student="--num-layers 2 --hidden 256 --context 5" ;;
  *) echo "$0: --size must be full or tiny, got '$size'" >&2; exit 1 ;;
esac
connected=${connected:-$default_connected}
teacher_opts=${teacher_opts:-$default_teacher}
student_opts=${student_opts:-$default_student}
teacher_epochs=${teacher_epochs:-${epochs[0]}}
student_epochs=${student_epochs:-${epochs[1]}}
sets="dev test dev_connected test_connected"
# The full run's results are the committed RESULTS*.md; other sizes write their own files.
tag=
if [ "$size" != full ]; then tag=_$size; fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  stage_begin 0 "FSDD data dirs: leave-one-speaker-out folds, connected digits, LM text"
  local/prepare_data.sh --per-digit "$per_digit" --connected "$connected" \
    --test-speakers "$test_speakers" --seed "$seed" "$fsdd" data/folds
fi
folds=$(python -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["folds"]))' \
  data/folds/corpus.json)

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  stage_begin 1 "CMUdict lexicon, lang dir, digit-loop LM"
  steps_kd/prepare_dict.sh data/folds/lm_text data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  steps_kd/train_lm.sh --order 1 --words data/lang/words.txt data/folds/lm_text \
    data/local/lm/lm.arpa
  steps_kd/format_lm.sh data/lang data/local/lm/lm.arpa data/lang_test
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  stage_begin 2 "MFCC (GMMs) and fbank (networks) features with per-speaker CMVN"
  for f in $folds; do
    for x in train $sets; do
      d=data/folds/$f/$x
      steps_kd/copy_data_dir.sh "$d" "${d}_fbank"
      steps_kd/make_feats.sh --nj 1 --cmd "$train_cmd" --feat-type mfcc \
        "$d" "exp/$f/make_mfcc/$x" "mfcc/$f"
      steps_kd/compute_cmvn_stats.sh "$d" "exp/$f/make_mfcc/$x" "mfcc/$f"
      steps_kd/make_feats.sh --nj 1 --cmd "$train_cmd" --feat-type fbank \
        "${d}_fbank" "exp/$f/make_fbank/$x" "fbank/$f"
      steps_kd/compute_cmvn_stats.sh "${d}_fbank" "exp/$f/make_fbank/$x" "fbank/$f"
    done
  done
fi

decode_all() {  # decode_all <fold> <model-dir> <graph-dir> <feats-suffix>: every held-out set
  local x
  for x in $sets; do
    steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$beam" --lattices "$3" \
      "$4" "data/folds/$1/$x$5" "$2/decode_$x"
  done
}

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  stage_begin 3 "monophone and triphone (deltas) GMM-HMMs, per fold"
  for f in $folds; do
    d=data/folds/$f/train
    steps_kd/train_mono.sh --cmd "$train_cmd" --totgauss "$mono_gauss" "$d" data/lang \
      "exp/$f/mono"
    steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" "$d" data/lang "exp/$f/mono" \
      "exp/$f/mono_ali"
    steps_kd/train_deltas.sh --cmd "$train_cmd" "${tri1[@]}" "$d" data/lang "exp/$f/mono_ali" \
      "exp/$f/tri1"
    steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" "$d" data/lang "exp/$f/tri1" \
      "exp/$f/tri1_ali"
    for m in mono tri1; do
      steps_kd/mkgraph.sh data/lang_test "exp/$f/$m" "exp/$f/$m/graph"
      decode_all "$f" "exp/$f/$m" true "exp/$f/$m/graph" ""
    done
  done
fi

nnet_decode() {  # nnet_decode <fold> <exp-dir>
  decode_all "$1" "$2" "$lattices" "exp/$1/$ali_gmm/graph" _fbank
}

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  stage_begin 4 "BLSTM teacher on the $ali_gmm alignments, its soft and hard alignments"
  for f in $folds; do
    # shellcheck disable=SC2086  # option strings are meant to split
    steps_kd/train_teacher.sh --cmd "$train_cmd" --max-epochs "$teacher_epochs" --seed "$seed" \
      $teacher_opts "data/folds/$f/train_fbank" data/lang "exp/$f/${ali_gmm}_ali" \
      "exp/$f/teacher"
    nnet_decode "$f" "exp/$f/teacher"
    steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --topk 20 \
      "data/folds/$f/train_fbank" "exp/$f/teacher" "exp/$f/teacher_targets"
    steps_kd/align_nnet.sh --nj "$nj" --cmd "$train_cmd" --mode viterbi \
      "data/folds/$f/train_fbank" data/lang "exp/$f/teacher" "exp/$f/teacher_ali"
  done
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  stage_begin 5 "DNN students: GMM hard, RNN hard, RNN soft (one architecture and budget)"
  for f in $folds; do
    for spec in "student_gmm exp/$f/${ali_gmm}_ali" "student_rnnhard exp/$f/teacher_ali" \
        "student_soft exp/$f/teacher_targets --soft-topk 20"; do
      read -r name targets extra <<< "$spec"
      # shellcheck disable=SC2086  # option strings are meant to split
      steps_kd/train_student.sh --cmd "$train_cmd" --max-epochs "$student_epochs" \
        --seed "$seed" $student_opts $extra "data/folds/$f/train_fbank" data/lang "$targets" \
        "exp/$f/$name"
      nnet_decode "$f" "exp/$f/$name"
    done
  done
fi

runs_of() {  # runs_of <model> <set>: the ';'-separated test,dev decode dirs of every fold
  local out="" f
  for f in $folds; do
    out+="${out:+;}exp/$f/$1/decode_$2,exp/$f/$1/decode_${2/test/dev}"
  done
  echo "$out"
}

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  stage_begin 6 "the peer: PocketSphinx's packaged en-us model with a digit-loop JSGF grammar"
  for f in $folds; do
    for x in $sets; do
      steps_kd/decode_pocketsphinx.sh --nj "$nj" --cmd "$decode_cmd" data/lang/words.txt \
        "data/folds/$f/$x" "exp/$f/pocketsphinx/decode_$x"
    done
  done
fi

tts_name=$(basename "$(dirname "$(cd "${tts_recipe:-.}" && pwd)")")  # e.g. digits
if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ] && [ -n "$tts_recipe" ]; then
  stage_begin 7 "models of $tts_recipe (trained on TTS voices only) on the held-out speakers"
  # Their task reads 0 as ZERO or OH; FSDD's references say ZERO.
  echo "OH ZERO" > data/local/tts_word_map
  for sys in $tts_systems; do
    for f in $folds; do
      for x in $sets; do
        steps_kd/decode_data.sh --nj "$nj" --cmd "$decode_cmd" --decode-opts \
          "--lattices $lattices --beam $beam --word-map data/local/tts_word_map" \
          "data/folds/$f/$x" "$tts_recipe/$tts_graph" "$tts_recipe/exp/$sys" \
          "exp/$f/tts_$sys/decode_$x"
      done
    done
  done
fi

tts_rows() {  # tts_rows <set>: make_results arguments of the TTS models' rows
  local sys
  if [ -z "$tts_recipe" ]; then return 0; fi
  for sys in $tts_systems; do
    echo "$tts_name $sys (TTS voices only)=$(runs_of "tts_$sys" "$1")"
  done
}

if [ "$stage" -le 8 ] && [ "$stop_stage" -ge 8 ]; then
  stage_begin 8 "RESULTS$tag.md"
  for x in $sets; do  # every fold's held-out speaker, for the intervals over speakers
    mkdir -p "data/pooled/$x"
    for f in $folds; do cat "data/folds/$f/$x/utt2spk"; done | LC_ALL=C sort \
      > "data/pooled/$x/utt2spk"
  done
  for kind in isolated connected; do
    times_opt=()
    if [ "$kind" = isolated ]; then
      x="test"
      times_opt=(--stage-times exp/stage_times.tsv)
    else
      x=test_connected
    fi
    mapfile -t tts_args < <(tts_rows "$x")
    steps_kd/make_results.sh --title "FSDD ($size), $kind digits, folds: $folds (test = held-out speaker, averaged over folds)" \
      --baseline "DNN student, GMM hard" --test-data "data/pooled/$x" "${times_opt[@]}" \
      --dev-data "data/pooled/${x/test/dev}" "RESULTS${tag}_$kind.md" \
      "mono GMM=$(runs_of mono "$x")" "tri1 GMM (deltas)=$(runs_of tri1 "$x")" \
      "BLSTM teacher=$(runs_of teacher "$x")" \
      "DNN student, GMM hard=$(runs_of student_gmm "$x")" \
      "DNN student, RNN hard=$(runs_of student_rnnhard "$x")" \
      "DNN student, RNN soft T=1=$(runs_of student_soft "$x")" \
      "PocketSphinx 5.0.4 en-us, digit grammar=$(runs_of pocketsphinx "$x")" \
      "${tts_args[@]}"
  done
  { cat "RESULTS${tag}_isolated.md"; echo; cat "RESULTS${tag}_connected.md"; } \
    > "RESULTS$tag.md.tmp"
  mv "RESULTS$tag.md.tmp" "RESULTS$tag.md"
  cat "RESULTS$tag.md"
fi
stage_end
