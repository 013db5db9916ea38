#!/usr/bin/env bash
# Read speech synthesised from the King James Bible (public domain) by several TTS voices,
# dev and test voices held out: the GMM half of the pipeline (mono -> tri1 on deltas ->
# tri2 on LDA+MLLT -> tri3 with speaker adaptive training, decoded with fMLLR) with a
# trigram LM, lattices, and LM weight / insertion penalty chosen on dev; then the
# distillation experiment of Chan, Ke & Lane (2015): a BLSTM teacher on the best GMM
# system's alignments (tri3's fMLLR alignments, tri2's with --sat false), its soft and hard
# alignments, and DNN students trained on each, all decoded with that system's graph.
# `make demo` runs --size demo (reduced grid); the paper's full table:
#   ./run.sh --size demo --grid full
# and the reduced grid over three seeds: ./run.sh --size demo --seeds "1 2 3"
set -euo pipefail

# Begin configuration section.
stage=0
stop_stage=100    # last stage to run
size=tiny           # tiny (CI, ~5 min of audio) | small (~1 h) | demo (~3 h) | full (~10 h)
nj=2
seed=1
decode_beam=        # empty: 11 (Kaldi's 13 is 3x slower here: the lattice decoder has no
                    # max-active), 8 at --size tiny, whose barely trained nets search widely
max_active=         # the networks' decoders (ours and Vosk's); empty: 7000, 1000 at --size tiny
tri1_leaves=        # tree leaves / Gaussians; empty: the size's default below
tri1_gauss=
tri2_leaves=
tri2_gauss=
tri3_leaves=
tri3_gauss=
sat=true            # also tri3: SAT on fMLLR-adapted tri2 features, fMLLR decoding
nnet_feats=         # the networks' input: fmllr, tri3's speaker-adapted LDA+MLLT+fMLLR
                    # features (Kaldi nnet1 style; --sat true), or fbank + CMVN (the paper's);
                    # empty: fmllr with --sat true (chosen on dev: STUDY_fmllr.md, teacher
                    # 15.32 vs 26.64, GMM-hard student 18.25 vs 28.24), else fbank
grid=reduced        # reduced: GMM-hard / RNN-hard / RNN-soft students;
                    # full: the paper's table (also T=2, T=5, soft+hard)
seeds=              # student seeds; empty: --seed alone (reduced grid), "1 2 3" (full grid)
teacher_opts=       # BLSTM options; empty: the size's default below
student_opts="--num-layers 3 --hidden 256 --context 5"  # the same for every student
teacher_epochs=
student_epochs=
g2p=true            # words CMUdict lacks get pronunciations from a G2P trained on CMUdict
                    # (exp/g2p); false: sentences with such words are left out of the corpus
# End configuration section.

. ./cmd.sh
. ./path.sh
. steps_kd/parse_options.sh
. steps_kd/background.sh  # in_background / wait_background: GMM decoding overlaps training
. steps_kd/stage_times.sh  # stage_begin: exp/stage_times.tsv, RESULTS.md's run time
. steps_kd/gmm_recipe.sh  # decode_sets, the GMM systems' labels and expected order
. steps_kd/nnet_recipe.sh  # decode_nnet, student, student_on, runs_of
# shellcheck disable=SC2154  # train_cmd/decode_cmd come from cmd.sh
train_cmd=${train_cmd:-run.pl}
decode_cmd=${decode_cmd:-run.pl}

# Model sizes (tri1, tri2, tri3 leaves / Gaussians) per corpus size, about 200 training
# frames per Gaussian as in Kaldi recipes (more overfits the training voices: at --size
# small, 250 leaves / 2000 Gaussians beat 500/5000 and 1000/10000 on dev for tri1, and
# 300/2500 for tri2). At --size demo, tri2 on dev (WER %, one run each, tri1 450/3500: 34.28):
# 450/3500 35.50, 450/3500 with --dim 30 34.16, 300/2500 33.33.
case $size in
  tiny) leaves=(80 600 100 800 100 800) ;;
  small) leaves=(250 2000 250 2000 250 2000) ;;
  demo) leaves=(450 3500 300 2500 450 3500) ;;
  *) leaves=(1500 12000 2000 15000 2000 15000) ;;
esac
# The teacher is a deep BLSTM with feed-forward layers around it (the paper's shape), sized
# for CPU training time at each corpus size.
case $size in
  # tiny: a higher rate and 4 epochs (seconds) for a teacher above chance: at 2 epochs and
  # the default rate its frame accuracy was 0.09 and Viterbi lost a third of the utterances.
  tiny) default_teacher="--num-layers 1 --hidden 64 --dnn-dim 64 --lr 0.004"; epochs=(4 2) ;;
  small) default_teacher="--num-layers 2 --hidden 192 --dnn-dim 256 --dropout 0.1"; epochs=(8 12) ;;
  demo) default_teacher="--num-layers 2 --hidden 192 --dnn-dim 256 --dropout 0.1"; epochs=(4 8) ;;
  *) default_teacher="--num-layers 3 --hidden 320 --dnn-dim 512 --dropout 0.1"; epochs=(10 15) ;;
esac
teacher_opts=${teacher_opts:-$default_teacher}
nnet_lattices=true
if [ "$size" = tiny ]; then
  decode_beam=${decode_beam:-8}
  max_active=${max_active:-1000}  # their flat scores would keep 7000 tokens alive
  nnet_lattices=false  # barely trained nets: best-path decoding, whose max-active bounds time
else
  decode_beam=${decode_beam:-11}
  max_active=${max_active:-7000}
fi
# `make demo`'s results are the committed RESULTS.md; other sizes write their own file.
results=RESULTS.md
if [ "$size" != demo ]; then results=RESULTS_$size.md; fi
teacher_epochs=${teacher_epochs:-${epochs[0]}}
student_epochs=${student_epochs:-${epochs[1]}}
tri1_leaves=${tri1_leaves:-${leaves[0]}}
tri1_gauss=${tri1_gauss:-${leaves[1]}}
tri2_leaves=${tri2_leaves:-${leaves[2]}}
tri2_gauss=${tri2_gauss:-${leaves[3]}}
tri3_leaves=${tri3_leaves:-${leaves[4]}}
tri3_gauss=${tri3_gauss:-${leaves[5]}}

corpus=corpus
if [ -z "$nnet_feats" ]; then
  if [ "$sat" = true ]; then nnet_feats=fmllr; else nnet_feats=fbank; fi
fi
case $nnet_feats in
  fbank) ;;
  fmllr) if [ "$sat" != true ]; then echo "$0: --nnet-feats fmllr needs --sat true" >&2; exit 1; fi ;;
  *) echo "$0: --nnet-feats must be fbank or fmllr, got '$nnet_feats'" >&2; exit 1 ;;
esac
# The best GMM system: its alignments train the networks, its graph decodes them.
if [ "$sat" = true ]; then gmm_best=exp/tri3; else gmm_best=exp/tri2; fi
gmm_ali=${gmm_best}_ali
if [ -z "$seeds" ]; then
  if [ "$grid" = full ]; then seeds="1 2 3"; else seeds=$seed; fi
fi
lexicon_opts=(--dict-dir data/local/dict)  # RESULTS.md's lexicon section
if [ "$g2p" = true ]; then lexicon_opts+=(--g2p-dir exp/g2p); fi
if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  stage_begin 0 "synthesise the corpus ($size): train/dev/test data dirs and LM text"
  cmudict_only=true
  if [ "$g2p" = true ]; then cmudict_only=false; fi
  local/prepare_data.sh --size "$size" --seed "$seed" --nj "$nj" --cmudict-only "$cmudict_only" \
    "$corpus"
  mkdir -p data/local
  for x in train dev test; do
    rm -rf "data/$x"
    cp -r "$corpus/data/$x" "data/$x"
  done
  # The LM text (never dev/test sentences) as a Kaldi text file, for the dict and LM steps.
  awk '{printf "lm-%07d %s\n", NR, $0}' "$corpus/data/local/lm_text.txt" > data/local/lm_text
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  stage_begin 1 "CMUdict lexicon (and G2P) over the LM vocabulary, lang dir, trigram LM"
  dict_opts=()
  if [ "$g2p" = true ]; then
    # At --size tiny a quick G2P (every 8th CMUdict word): seconds instead of ~2 minutes.
    g2p_opts=()
    if [ "$size" = tiny ]; then g2p_opts=(--train-every 8 --ngram-order 6); fi
    steps_kd/train_g2p.sh ${g2p_opts[@]+"${g2p_opts[@]}"} cmudict exp/g2p
    dict_opts=(--g2p-dir exp/g2p)
  fi
  steps_kd/prepare_dict.sh ${dict_opts[@]+"${dict_opts[@]}"} data/local/lm_text data/local/dict
  steps_kd/prepare_lang.sh data/local/dict "<UNK>" data/local/lang_tmp data/lang
  steps_kd/train_lm.sh --order 3 --words data/lang/words.txt data/local/lm_text \
    data/local/lm/lm.arpa.gz
  steps_kd/format_lm.sh data/lang data/local/lm/lm.arpa.gz data/lang_test
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  stage_begin 2 "MFCC (GMMs) and fbank (networks) features with per-speaker CMVN"
  for x in train dev test; do
    steps_kd/copy_data_dir.sh "data/$x" "data/${x}_fbank"
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type mfcc \
      "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/compute_cmvn_stats.sh "data/$x" "exp/make_mfcc/$x" mfcc
    steps_kd/make_feats.sh --nj "$nj" --cmd "$train_cmd" --feat-type fbank \
      "data/${x}_fbank" "exp/make_fbank/$x" fbank
    steps_kd/compute_cmvn_stats.sh "data/${x}_fbank" "exp/make_fbank/$x" fbank
  done
fi

gmm_systems=("$mono_label=exp/mono/decode_test,exp/mono/decode_dev"
  "$tri1_label=exp/tri1/decode_test,exp/tri1/decode_dev"
  "$tri2_label=exp/tri2/decode_test,exp/tri2/decode_dev")
ladder_order=$gmm_order  # the GMM ladder RESULTS.md judges: mono > tri1 > tri2 [> tri3]
if [ "$sat" = true ]; then
  gmm_systems+=("$tri3_label=exp/tri3/decode_test,exp/tri3/decode_dev")
  ladder_order+=",$tri3_label"
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  stage_begin 3 "monophone GMM-HMM"
  steps_kd/train_mono.sh --cmd "$train_cmd" data/train data/lang exp/mono
  in_background exp/mono/log/decode_sets.log decode_sets exp/mono
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/mono exp/mono_ali
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  stage_begin 4 "triphone GMM-HMM on deltas (tri1)"
  steps_kd/train_deltas.sh --cmd "$train_cmd" "$tri1_leaves" "$tri1_gauss" \
    data/train data/lang exp/mono_ali exp/tri1
  in_background exp/tri1/log/decode_sets.log decode_sets exp/tri1
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri1 exp/tri1_ali
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  stage_begin 5 "triphone GMM-HMM on LDA+MLLT features (tri2), then SAT (tri3)"
  steps_kd/train_lda_mllt.sh --cmd "$train_cmd" "$tri2_leaves" "$tri2_gauss" \
    data/train data/lang exp/tri1_ali exp/tri2
  in_background exp/tri2/log/decode_sets.log decode_sets exp/tri2
  steps_kd/align_si.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri2 exp/tri2_ali
  if [ "$sat" = true ]; then
    # Speaker adaptation for the unseen voices.
    steps_kd/train_sat.sh --cmd "$train_cmd" "$tri3_leaves" "$tri3_gauss" \
      data/train data/lang exp/tri2_ali exp/tri3
    in_background exp/tri3/log/decode_sets.log decode_sets exp/tri3 decode_fmllr.sh
    steps_kd/align_fmllr.sh --nj "$nj" --cmd "$train_cmd" data/train data/lang exp/tri3 exp/tri3_ali
  fi
  wait_background  # the GMM decodes: their transforms and WERs are read below
  if [ "$nnet_feats" = fmllr ]; then make_fmllr_inputs; fi
  # The GMM systems' table; stage 10 rewrites RESULTS.md with every system.
  steps_kd/make_results.sh --title "synth read speech ($size), GMM systems, dev/test = held-out voices" \
    --baseline "$mono_label" --corpus-info corpus/corpus.json "${lexicon_opts[@]}" --test-data data/test \
    --dev-data data/dev --order "$ladder_order" "$results" "${gmm_systems[@]}"
fi

if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  stage_begin 6 "BLSTM teacher on $gmm_ali ($nnet_feats), decoded with $gmm_best's graph"
  # shellcheck disable=SC2086  # option strings are meant to split
  steps_kd/train_teacher.sh --cmd "$train_cmd" --max-epochs "$teacher_epochs" --seed "$seed" \
    $teacher_opts "data/train_$nnet_feats" data/lang "$gmm_ali" exp/teacher
  decode_nnet exp/teacher
fi

if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  stage_begin 7 "soft alignments (dense + top-20 Posteriors) and teacher hard alignments"
  steps_kd/make_soft_targets.sh --nj "$nj" --cmd "$train_cmd" --topk 20 \
    "data/train_$nnet_feats" exp/teacher exp/teacher_targets
  steps_kd/align_nnet.sh --nj "$nj" --cmd "$train_cmd" --mode viterbi \
    "data/train_$nnet_feats" data/lang exp/teacher exp/teacher_ali
fi

if [ "$stage" -le 8 ] && [ "$stop_stage" -ge 8 ]; then
  stage_begin 8 "DNN students, one architecture and budget, only the targets differ ($grid grid)"
  for s in $seeds; do
    student "student_gmm_s$s" "$gmm_ali" --seed "$s"
    student "student_rnnhard_s$s" exp/teacher_ali --seed "$s"
    student "student_soft_s$s" exp/teacher_targets --seed "$s" --soft-topk 20
    if [ "$grid" = full ]; then
      student "student_soft_t2_s$s" exp/teacher_targets --seed "$s" --soft-topk 20 --temperature 2
      student "student_soft_t5_s$s" exp/teacher_targets --seed "$s" --soft-topk 20 --temperature 5
      student "student_softhard_s$s" exp/teacher_targets --seed "$s" --soft-topk 20 \
        --hard-weight 0.5 --hard-ali-dir "$gmm_ali"
    fi
  done
fi

# Deployment (stage 9): Vosk (Kaldi's online nnet3 decoder) computes fbank or MFCC from the
# audio and has no per-speaker CMVN, so the student that streams is a soft student on fbank
# with only its own global input normalisation; beside it, the same student with per-speaker
# CMVN (the run's own when --nnet-feats fbank) measures what streaming costs.
deploy_seed=${seeds%% *}
stream=exp/student_stream_s$deploy_seed
if [ "$nnet_feats" = fbank ]; then
  cmvn_student=exp/student_soft_s$deploy_seed
else
  cmvn_student=exp/student_soft_fbank_s$deploy_seed
fi

if [ "$stage" -le 9 ] && [ "$stop_stage" -ge 9 ]; then
  stage_begin 9 "deployment: a streaming soft student on fbank, in Vosk (Kaldi nnet3) and int8"
  if [ "$nnet_feats" != fbank ]; then
    student_on fbank "${cmvn_student#exp/}" exp/teacher_targets --seed "$deploy_seed" --soft-topk 20
  fi
  student_on fbank "${stream#exp/}" exp/teacher_targets --seed "$deploy_seed" --soft-topk 20 \
    --cmvn-opts "--norm-means=false --norm-vars=false"
  # Vosk has one acoustic scale: 1 / the LM weight our decoder chose on dev.
  lmwt=$(sed -E 's/.*wer_([0-9.]+)_[0-9.]+$/\1/' "$stream/decode_dev/scoring_kaldi/best_wer")
  steps_kd/export_nnet3.sh --acoustic-scale "$(awk -v w="$lmwt" 'BEGIN { print 1 / w }')" \
    --beam "$decode_beam" --max-active "$max_active" "$stream" "$gmm_best/graph" "$stream/vosk"
  for x in dev test; do
    steps_kd/decode_vosk.sh --nj "$nj" --cmd "$decode_cmd" "data/$x" "$stream/vosk" \
      "$stream/decode_${x}_vosk"
  done
  # The same student for embedded runtimes, int8 weights: ONNX Runtime and PyTorch.
  steps_kd/export_embedded.sh "$stream" "$stream/embedded"
  for x in dev test; do
    for runtime in int8:student.int8.onnx int8_torch:student.int8.pt; do
      steps_kd/decode.sh --nj "$nj" --cmd "$decode_cmd" --beam "$decode_beam" \
        --max-active "$max_active" --lattices "$nnet_lattices" \
        --exported "$stream/embedded/${runtime#*:}" \
        --model-dir "$stream" "$gmm_best/graph" "data/${x}_fbank" "$stream/decode_${x}_${runtime%%:*}"
    done
  done
fi

if [ "$stage" -le 10 ] && [ "$stop_stage" -ge 10 ]; then
  stage_begin 10 "$results"
  systems=("${gmm_systems[@]}"
    "BLSTM teacher=exp/teacher/decode_test,exp/teacher/decode_dev"
    "DNN student, GMM hard=$(runs_of student_gmm)"
    "DNN student, RNN hard=$(runs_of student_rnnhard)"
    "DNN student, RNN soft T=1=$(runs_of student_soft)")
  if [ "$grid" = full ]; then
    systems+=("DNN student, RNN soft T=2=$(runs_of student_soft_t2)"
      "DNN student, RNN soft T=5=$(runs_of student_soft_t5)"
      "DNN student, RNN soft + GMM hard (0.5)=$(runs_of student_softhard)")
  fi
  systems+=("DNN student, RNN soft, fbank + speaker CMVN=$cmvn_student/decode_test,$cmvn_student/decode_dev"
    "DNN student, RNN soft, fbank streaming=$stream/decode_test,$stream/decode_dev"
    "DNN student, RNN soft, fbank streaming, int8 (ONNX Runtime)=$stream/decode_test_int8,$stream/decode_dev_int8"
    "DNN student, RNN soft, fbank streaming, int8 (PyTorch)=$stream/decode_test_int8_torch,$stream/decode_dev_int8_torch"
    "DNN student, RNN soft, fbank streaming, in Vosk=$stream/decode_test_vosk,$stream/decode_dev_vosk")
  times_opt=()  # the stages' wall-clock time, if this run dir recorded it
  if [ -f exp/stage_times.tsv ]; then times_opt=(--stage-times exp/stage_times.tsv); fi
  mkdir -p plots
  curves=("teacher=exp/teacher")
  for x in student_gmm student_rnnhard student_soft; do curves+=("$x=exp/${x}_s${seeds%% *}"); done
  python -m pykaldi_distill.bin.plot_learning_curves plots/learning_curves.png "${curves[@]}"
  python -m pykaldi_distill.bin.plot_posteriors exp/teacher_targets "$gmm_ali" plots/teacher_posteriors.png
  steps_kd/make_results.sh --title "synth read speech ($size, $grid grid), dev/test = held-out voices" \
    --baseline "DNN student, GMM hard" --corpus-info corpus/corpus.json "${lexicon_opts[@]}" \
    "${times_opt[@]}" \
    --soft-targets exp/teacher_targets --topk 20 --target-temperatures 1,2,5 \
    --target-ali "$gmm_ali" --test-data data/test --dev-data data/dev \
    --order "$ladder_order" "$results" "${systems[@]}"
  cat "$results"
fi
wait_background  # jobs of a run that stopped before stage 5
stage_end
