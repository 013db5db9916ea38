"""The digits recipe end to end at its smallest size: every stage, Kaldi files in between,
and a RESULTS.md the recipe wrote itself."""

import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def make_recipe_copy(tmp_path: Path, corpus: str = "digits") -> Path:
    """The recipe in a scratch dir, with steps_kd/conf pointing back at this checkout."""
    recipe = ROOT / "egs" / corpus / "s5"
    work = tmp_path / "s5"
    work.mkdir()
    for name in ["run.sh", "cmd.sh", "path.sh"]:
        shutil.copy(recipe / name, work / name)
    shutil.copytree(recipe / "local", work / "local")
    if (recipe / "studies").is_dir():  # the scripts, not the committed STUDY_*.md
        shutil.copytree(recipe / "studies", work / "studies",
                        ignore=shutil.ignore_patterns("*.md"))
    (work / "steps_kd").symlink_to(ROOT / "local")
    if (recipe / "conf").is_symlink():  # the plugin's shared conf
        (work / "conf").symlink_to(ROOT / "conf")
    else:
        shutil.copytree(recipe / "conf", work / "conf")
    return work


# Real recordings, never committed: the shared copy of the Free Spoken Digit Dataset, or $FSDD_DIR.
FSDD = Path(os.environ.get("FSDD_DIR", ROOT.parent / "shared" / "corpora" / "fsdd"))


@pytest.mark.slow
@pytest.mark.skipif(not (FSDD / "recordings").is_dir(),
                    reason=f"no FSDD recordings at {FSDD} (set FSDD_DIR to an FSDD checkout)")
def test_fsdd_recipe_tiny(tmp_path: Path) -> None:
    """The FSDD recipe on real recordings, one fold at its smallest size: data dirs pointing
    at the corpus, GMMs, teacher, students, isolated and connected results; a wrong corpus
    path stops before any work with a message naming it and the expected file names."""
    work = make_recipe_copy(tmp_path, "fsdd")
    env = {**os.environ, "PKD_ROOT": str(ROOT)}
    bad = run_step(work, env, "run.sh", "--size", "tiny", str(tmp_path / "nowhere"))
    assert bad.returncode != 0
    assert "nowhere: does not exist" in bad.stderr and "<digit>_<speaker>_<index>.wav" in bad.stderr
    assert not (work / "exp").exists()
    proc = run_step(work, env, "run.sh", "--size", "tiny", "--test-speakers", "george",
                    "--connected", "5", str(FSDD))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    fold = work / "data/folds/george"
    wav = (fold / "train/wav.scp").read_text().split()[1]
    assert Path(wav).parent == (FSDD / "recordings").resolve()  # nothing copied
    assert "george" not in (fold / "train/utt2spk").read_text()
    assert len((fold / "test_connected/text").read_text().splitlines()) == 5
    results = (work / "RESULTS_tiny.md").read_text()  # a tiny run leaves RESULTS.md alone
    assert not (work / "RESULTS.md").exists()
    for kind in ["isolated", "connected"]:
        assert f"FSDD (tiny), {kind} digits, folds: george" in results
    for row in ["mono GMM", "tri1 GMM (deltas)", "BLSTM teacher", "DNN student, GMM hard",
                "DNN student, RNN hard", "DNN student, RNN soft T=1",
                "PocketSphinx 5.0.4 en-us, digit grammar"]:
        assert results.count(f"| {row} |") == 2, row
    assert "test:george" in (work / "RESULTS_tiny_connected_per_speaker.md").read_text()
    # A TTS recipe's models on FSDD (--tts-recipe): here the run's own mono model stands in
    # for one, through the same path (its features and graph, the OH -> ZERO word map).
    proc = run_step(work, env, "run.sh", "--size", "tiny", "--test-speakers", "george",
                    "--connected", "5", "--stage", "7", "--tts-recipe", ".", "--tts-systems",
                    "george/mono", "--tts-graph", "exp/george/mono/graph", str(FSDD))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    decode = work / "exp/george/tts_george/mono/decode_test"
    assert "input: data/local/tts_word_map " in (decode / "fingerprint").read_text()
    assert (work / "RESULTS_tiny.md").read_text().count(" george/mono (TTS voices only) |") == 2


@pytest.mark.slow
def test_digits_recipe_tiny(tmp_path: Path) -> None:
    work = make_recipe_copy(tmp_path)
    env = {**os.environ, "PKD_ROOT": str(ROOT)}
    log = tmp_path / "run.log"
    with open(log, "w") as f:
        proc = subprocess.run(["bash", "run.sh", "--size", "tiny", "--nj", "2",
                               "--teacher-epochs", "4", "--student-epochs", "4"],
                              cwd=work, env=env, stdout=f, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, log.read_text()[-5000:]
    for f in ["data/lang/L.fst", "data/lang_test/G.fst", "exp/mono/final.mdl", "exp/mono/tree",
              "exp/mono_ali/ali.1.gz", "exp/mono/graph/HCLG.fst", "exp/teacher/final.pt",
              "exp/teacher_targets/targets.scp", "exp/teacher_targets/post.scp",
              "exp/student_soft/ali_train_pdf.counts"]:
        assert (work / f).is_file(), f
    results = (work / "RESULTS_tiny.md").read_text()
    table = [line.split("|") for line in results.splitlines() if line.startswith("| ")]
    column = [c.strip() for c in table[0]].index("WER %")
    rows = table[1:]
    assert len(rows) == 4, results
    for row in rows:
        assert 0.0 <= float(row[column]) <= 100.0
    best = (work / "exp/mono/decode_test/scoring_kaldi/best_wer").read_text()
    assert re.match(r"%WER \d+\.\d\d \[ \d+ / \d+, \d+ ins, \d+ del, \d+ sub \]", best)
    check_decode_own_data(work, tmp_path, env)
    # Idempotent: a second run with the same options redoes nothing and succeeds.
    again = subprocess.run(["bash", "run.sh", "--size", "tiny", "--nj", "2", "--stage", "3",
                            "--teacher-epochs", "4", "--student-epochs", "4"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "exp/teacher/final.pt is up to date" in again.stdout, again.stdout[-3000:]
    assert "redoing" not in again.stdout + again.stderr, again.stdout[-3000:]


OWN_PHRASES = ["ZERUBBABEL BUILT THE HOUSE", "OPEN THE DOOR", "KALDIFY THE MODEL NOW",
               "AND MOSES SPAKE UNTO THE PEOPLE"]  # ZERUBBABEL, KALDIFY: not in CMUdict


def check_decode_own_words(work: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """A user's phrases with words CMUdict lacks: the recipe's G2P, make_graph_for.sh over the
    recipe's lang and tri3's tree (each grammar), and their TTS audio decoded through the
    phrase graph and the word-loop graph by the soft student."""
    from pykaldi_distill.corpus.synth import plan_corpus
    from pykaldi_distill.corpus.tts import synthesize

    def step(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["bash", *args], cwd=work, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc

    assert "held-out words" in (work / "exp/g2p/results.txt").read_text()  # stage 1's G2P
    phrases = tmp_path / "phrases.txt"
    phrases.write_text("\n".join(OWN_PHRASES) + "\n")
    bad = subprocess.run(["bash", "steps_kd/make_graph_for.sh", "data/lang", "exp/tri3",
                          str(phrases), "exp/tri3/graph_nog2p"], cwd=work, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "ZERUBBABEL" in bad.stderr and "--g2p-dir" in bad.stderr
    for grammar in ["words", "ngram", "phrases"]:
        step("steps_kd/make_graph_for.sh", "--grammar", grammar, "--g2p-dir", "exp/g2p",
             "data/lang", "exp/tri3", str(phrases), f"exp/tri3/graph_{grammar}")
        assert (work / f"exp/tri3/graph_{grammar}/HCLG.fst").is_file()
    guessed = (work / "exp/tri3/graph_phrases/local/dict/lexicon_g2p.lex").read_text()
    assert sorted({line.split()[0] for line in guessed.splitlines()}) == ["KALDIFY", "ZERUBBABEL"]
    again = step("steps_kd/make_graph_for.sh", "--grammar", "phrases", "--g2p-dir", "exp/g2p",
                 "data/lang", "exp/tri3", str(phrases), "exp/tri3/graph_phrases")
    assert "HCLG.fst is up to date" in again.stdout

    # Read by a training voice of the corpus: the graph is on trial, not the model's reach.
    plan = plan_corpus("tiny", 1)
    voice = plan.voice(plan.split_speakers("train")[0].name)
    mine = tmp_path / "mine_words"
    mine.mkdir()
    lines = {f"user-{i}": phrase for i, phrase in enumerate(OWN_PHRASES)}
    for utt, phrase in lines.items():
        synthesize(voice, phrase, tmp_path / f"{utt}.wav")
    (mine / "wav.scp").write_text("".join(f"{u} {tmp_path / u}.wav\n" for u in lines))
    (mine / "text").write_text("".join(f"{u} {p}\n" for u, p in lines.items()))
    (mine / "utt2spk").write_text("".join(f"{u} user\n" for u in lines))
    decode = work / "exp/student_soft_s1/decode_mine_words"
    step("steps_kd/decode_data.sh", "--nj", "1", str(mine), "exp/tri3/graph_phrases",
         "exp/student_soft_s1", str(decode))
    best = (decode / "scoring_kaldi/best_wer").read_text()
    lmwt, penalty = best.split()[-1].split("/")[-1].split("_")[1:]
    hyps = dict(line.split(maxsplit=1) for line in
                (decode / f"scoring_kaldi/penalty_{penalty}/{lmwt}.txt").read_text().splitlines())
    assert set(hyps.values()) <= set(OWN_PHRASES), hyps  # the grammar's phrases only
    assert sum(hyps[u] == p for u, p in lines.items()) >= 2, hyps  # chance: one in four
    # The word list's loop: any sequence of its words, and no other word.
    step("steps_kd/decode_data.sh", "--nj", "1", str(mine), "exp/tri3/graph_words",
         "exp/student_soft_s1", str(decode) + "_loop")
    words = {w for p in OWN_PHRASES for w in p.split()}
    hyp_words = {w for f in Path(str(decode) + "_loop").glob("scoring_kaldi/penalty_*/*.txt")
                 for line in f.read_text().splitlines() for w in line.split()[1:]}
    assert hyp_words and hyp_words <= words, hyp_words


def check_decode_own_data(work: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """A user's data dir: 8 kHz FLAC files and a piped entry, decoded with a trained model."""
    mine = tmp_path / "mine"
    mine.mkdir()
    test = work / "data" / "test"
    utts = sorted((test / "text").read_text().splitlines())[:4]
    wavs = dict(line.split(maxsplit=1) for line in (test / "wav.scp").read_text().splitlines())
    wav_lines = []
    for i, line in enumerate(utts):
        utt = line.split()[0]
        flac = tmp_path / f"{utt}.flac"
        subprocess.run(["sox", wavs[utt], "-r", "8000", str(flac)], check=True)
        wav_lines.append(f"{utt} sox {flac} -t wav - |" if i == 0 else f"{utt} {flac}")
    (mine / "wav.scp").write_text("\n".join(wav_lines) + "\n")
    (mine / "text").write_text("\n".join(utts) + "\n")
    (mine / "utt2spk").write_text("".join(f"{u.split()[0]} user\n" for u in utts))
    proc = subprocess.run(["bash", "steps_kd/decode_data.sh", str(mine), "exp/mono/graph",
                           "exp/student_soft", "exp/student_soft/decode_mine"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    best = (work / "exp/student_soft/decode_mine/scoring_kaldi/best_wer").read_text()
    assert best.startswith("%WER")
    assert not (mine / "feats.scp").exists()  # the user's dir is left alone


def run_synth_tiny(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """synth's run.sh at tiny size in a scratch copy: (recipe dir, environment, run log)."""
    work = make_recipe_copy(tmp_path, "synth")
    env = {**os.environ, "PKD_ROOT": str(ROOT)}
    log = tmp_path / "run.log"
    with open(log, "w") as f:
        proc = subprocess.run(["bash", "run.sh", "--size", "tiny", "--nj", "2",
                               "--nnet-feats", "fbank"], cwd=work,
                              env=env, stdout=f, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, log.read_text()[-5000:]
    return work, env, log


@pytest.mark.slow
def test_synth_recipe_tiny(tmp_path: Path) -> None:
    """The default recipe end to end: trigram LM, mono, tri1, tri2, tri3 (SAT) and its fMLLR
    alignments, lattices, dev-chosen LMWT, BLSTM teacher, soft/hard teacher alignments,
    three students, plots, RESULTS.md."""
    work, env, log = run_synth_tiny(tmp_path)
    for f in ["exp/tri1/tree", "exp/tri1/final.mdl", "exp/tri1_ali/ali.1.gz",
              "exp/tri1/decode_test/lat.1.gz", "exp/tri1/decode_dev/scoring_kaldi/oracle_wer",
              "exp/tri2/final.mat", "exp/tri2_ali/final.mat", "exp/tri2_ali/ali.2.gz",
              "exp/tri2/decode_test/scoring_kaldi/best_wer", "exp/tri3/final.alimdl",
              "exp/tri3/trans.1", "exp/tri3/decode_test/trans.1",
              "exp/tri3/decode_dev/scoring_kaldi/best_wer", "exp/tri3_ali/ali.2.gz",
              "exp/tri3_ali/trans.2", "exp/tri3_ali/final.alimdl"]:
        assert (work / f).is_file(), f
    check_fmllr_transforms(work)
    for system in ["mono", "tri1", "tri2", "tri3"]:  # decoded in the background, waited for
        assert "%WER" in (work / f"exp/{system}/log/decode_sets.log").read_text(), system
    assert log.read_text().count("background job done") >= 4
    for f in ["exp/teacher/final.pt", "exp/teacher_targets/targets.scp",
              "exp/teacher_targets/post.scp", "exp/teacher_ali/ali.1.gz",
              "exp/student_soft_s1/ali_train_pdf.counts", "plots/learning_curves.png",
              "plots/teacher_posteriors.png", "exp/tri2/decode_dev/scoring_kaldi/wer_vs_lmwt.png"]:
        assert (work / f).is_file(), f
    results = (work / "RESULTS_tiny.md").read_text()
    for row in ["mono GMM", "tri1 GMM (deltas)", "tri2 GMM (LDA+MLLT)",
                "tri3 GMM (LDA+MLLT+SAT)", "BLSTM teacher",
                "DNN student, GMM hard", "DNN student, RNN hard", "DNN student, RNN soft T=1"]:
        assert f"| {row} |" in results, row
    assert "## Corpus" in results and "## Soft targets on disk" in results
    assert "## Lexicon" in results and "G2P (exp/g2p): G2P on" in results
    assert "[RESULTS_tiny_per_speaker.md](RESULTS_tiny_per_speaker.md)" in results
    assert re.search(r"\| [+-]\d+\.\d% \[[+-]\d+\.\d, [+-]\d+\.\d\] \|", results), results
    assert re.search(r"\| test \| \d+ \| .* \| (yes|no|within noise) \|", results), results
    assert re.search(r"\| dev \| [01] of 1 \| (yes|no) \|", results), results
    times = [line.split("\t")[0] for line in
             (work / "exp/stage_times.tsv").read_text().splitlines()]
    assert times == [str(n) for n in range(11)], times  # stage 10 ends after RESULTS.md
    assert "## Run time" in results and "| all | stages 0–9 |" in results
    check_deployment(work, results)
    voices = (work / "RESULTS_tiny_per_speaker.md").read_text()
    assert voices.startswith("# WER per voice") and "## WER per voice" not in results
    assert len(re.findall(r"^\| test:\S+ \|", voices, re.M)) >= 2, voices
    check_wheel_readers(work, "tri2")
    check_wheel_readers(work, "tri3")
    # The networks train on the best GMM system's (tri3's fMLLR) alignments.
    for net in ["teacher", "student_gmm_s1"]:
        assert json.loads((work / f"exp/{net}/config.json").read_text())["targets"] == \
            "exp/tri3_ali"
    check_teacher_study(work, env)
    check_dev_frames_study(work, env)
    check_full_grid(work, env)
    oracle = (work / "exp/mono/decode_test/scoring_kaldi/oracle_wer").read_text()
    best = (work / "exp/mono/decode_test/scoring_kaldi/best_wer").read_text()
    assert float(oracle.split()[1]) <= float(best.split()[1])
    check_fmllr_network(work, tmp_path, env)
    check_decode_own_words(work, tmp_path, env)
    check_up_to_date(work, env)


@pytest.mark.slow
@pytest.mark.studies
def test_synth_studies_tiny(tmp_path: Path) -> None:
    """The study scripts that retrain or re-decode whole systems, on a tiny synth run
    (`make test-studies`; they would take `make test` past its time budget)."""
    work, env, _ = run_synth_tiny(tmp_path)
    check_gmm_seed_study(work, env)
    check_seen_voices_study(work, env)
    check_voice_mismatch_study(work, env)
    check_prior_study(work, env)
    check_student_study(work, env)


def check_deployment(work: Path, results: str) -> None:
    """Stage 9: the streaming student (fbank, no per-speaker CMVN) exported as a Kaldi nnet3
    model decodes dev and test through Vosk, at the acoustic scale our decoder chose on dev,
    and its rows sit beside the per-speaker-CMVN student's in RESULTS."""
    stream = work / "exp/student_stream_s1"
    assert (stream / "cmvn_opts").read_text().strip() == "--norm-means=false --norm-vars=false"
    lmwt = re.search(r"wer_(\d+)_", (stream / "decode_dev/scoring_kaldi/best_wer").read_text())
    assert f"--acoustic-scale={1 / int(lmwt.group(1)):g}\n" in \
        (stream / "vosk/conf/model.conf").read_text()
    assert not (stream / "vosk/am/global_cmvn.stats").exists()
    for x in ["dev", "test"]:
        assert re.match(r"%WER \d+\.\d\d", (stream / f"decode_{x}_vosk/scoring_kaldi/best_wer")
                        .read_text())
        assert (stream / f"decode_{x}_vosk/words.ctm").stat().st_size > 0
    for decode, export in [("int8", "student.int8.onnx"), ("int8_torch", "student.int8.pt")]:
        assert f"--exported exp/student_stream_s1/embedded/{export}" in \
            (stream / f"decode_test_{decode}/log/decode.1.log").read_text()
    rows = {line.split("|")[1].strip(): line.split("|") for line in results.splitlines()
            if line.startswith("| DNN student, RNN soft, fbank")}
    assert sorted(rows) == ["DNN student, RNN soft, fbank + speaker CMVN",
                            "DNN student, RNN soft, fbank streaming",
                            "DNN student, RNN soft, fbank streaming, in Vosk",
                            "DNN student, RNN soft, fbank streaming, int8 (ONNX Runtime)",
                            "DNN student, RNN soft, fbank streaming, int8 (PyTorch)"]
    header = [c.strip() for c in next(line for line in results.splitlines()
                                      if line.startswith("| system |")).split("|")]
    mb = {name: float(row[header.index("model MB")]) for name, row in rows.items()}
    for runtime in ["ONNX Runtime", "PyTorch"]:
        assert mb[f"DNN student, RNN soft, fbank streaming, int8 ({runtime})"] < \
            0.5 * mb["DNN student, RNN soft, fbank streaming"]


def check_up_to_date(work: Path, env: dict[str, str]) -> None:
    """On a finished run: a decode re-run after the data's text changed is redone (before,
    it printed "up to date" and the old WER); soft targets re-made with another --topk are
    redone (before, no post.scp)."""
    shutil.copytree(work / "data/test", work / "data/test_txt")
    decode = ["steps_kd/decode.sh", "--nj", "1", "--beam", "8", "exp/mono/graph",
              "data/test_txt", "exp/mono/decode_txt"]
    first = run_step(work, env, *decode)
    assert first.returncode == 0, first.stderr[-3000:]
    wer = (work / "exp/mono/decode_txt/scoring_kaldi/best_wer").read_text()
    assert "is up to date" in run_step(work, env, *decode).stdout
    text = work / "data/test_txt/text"
    text.write_text("".join(f"{line.split()[0]} NOT THE WORDS SAID\n"
                            for line in text.read_text().splitlines()))
    redo = run_step(work, env, *decode)
    assert redo.returncode == 0 and "is out of date, redoing it" in redo.stdout, redo.stdout
    assert "now: input: data/test_txt/text" in redo.stdout
    assert (work / "exp/mono/decode_txt/scoring_kaldi/best_wer").read_text() != wer
    targets = ["steps_kd/make_soft_targets.sh", "--nj", "2", "data/train_fbank", "exp/teacher",
               "exp/teacher_targets"]
    proc = run_step(work, env, *targets[:1], "--topk", "0", *targets[1:])
    assert proc.returncode == 0 and "now: options: topk=0" in proc.stdout, proc.stdout
    assert not (work / "exp/teacher_targets/post.scp").exists()
    proc = run_step(work, env, *targets[:1], "--topk", "20", *targets[1:])
    assert proc.returncode == 0 and (work / "exp/teacher_targets/post.scp").is_file()


def run_step(work: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", *argv], cwd=work, env=env, capture_output=True, text=True)


def check_fmllr_network(work: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """run.sh --nnet-feats fmllr makes tri3's fMLLR features for train/dev/test; a network
    trained on them decodes them, refuses fbank features, and decode_data.sh decodes a
    user's audio in two passes (tri3 with fMLLR, then the network)."""
    proc = run_step(work, env, "run.sh", "--size", "tiny", "--nj", "2", "--nnet-feats", "fmllr",
                    "--stage", "5", "--stop-stage", "5")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for x, transforms in [("train", "exp/tri3_ali"), ("dev", "exp/tri3/decode_dev"),
                          ("test", "exp/tri3/decode_test")]:
        d = work / "data" / f"{x}_fmllr"
        assert (d / "feat_type").read_text() == "fmllr\n"
        assert f"--transform-dir={transforms}" in (d / "fmllr.conf").read_text()
        assert len((d / "feats.scp").read_text().splitlines()) == \
            len((work / "data" / x / "utt2spk").read_text().splitlines())
        assert (d / "cmvn.scp").is_file()
    check_input_study(work, env)
    student = "exp/student_gmm_fmllr_s1"
    assert (work / student / "feat_type").read_text() == "fmllr\n"
    assert (work / student / "decode_dev/scoring_kaldi/best_wer").is_file()
    decode = ["steps_kd/decode.sh", "--nj", "2", "--beam", "8", "exp/tri3/graph"]
    proc = run_step(work, env, *decode, "data/dev_fbank", f"{student}/decode_dev_fbank")
    assert proc.returncode != 0
    logs = "".join(f.read_text() for f in
                   (work / student / "decode_dev_fbank/log").glob("decode.*.log"))
    assert f"'fbank' features, but {student} was trained on 'fmllr'" in logs
    mine = tmp_path / "mine_fmllr"
    mine.mkdir()
    dev = work / "data" / "dev"
    spk, *utts = (dev / "spk2utt").read_text().splitlines()[0].split()[:4]
    for name in ["wav.scp", "text"]:
        table = dict(line.split(maxsplit=1) for line in (dev / name).read_text().splitlines())
        (mine / name).write_text("".join(f"{u} {table[u]}\n" for u in utts))
    (mine / "utt2spk").write_text("".join(f"{u} {spk}\n" for u in utts))
    proc = run_step(work, env, "steps_kd/decode_data.sh", "--nj", "1", str(mine),
                    "exp/tri3/graph", student, f"{student}/decode_mine")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = work / student / "decode_mine"
    for f in ["decode_gmm/trans.1", "decode_gmm/scoring_kaldi/best_wer",
              "data_fmllr/feat_type", "scoring_kaldi/best_wer"]:
        assert (out / f).is_file(), f


def check_input_study(work: Path, env: dict[str, str]) -> None:
    """studies/input_study.sh trains the teacher and two students of the run (fbank) on tri3's
    fMLLR features, with the run's shapes and alignments, and writes both inputs' rows."""
    proc = run_step(work, env, "studies/input_study.sh", "--decode-beam", "8",
                    "--lattices", "false", "--max-active", "300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for net in ["teacher_fmllr", "student_gmm_fmllr_s1", "student_soft_fmllr_s1"]:
        config = json.loads((work / f"exp/{net}/config.json").read_text())
        assert config["data"] == "data/train_fmllr", net
        assert (work / f"exp/{net}/decode_test/scoring_kaldi/best_wer").is_file(), net
    assert config["targets"] == "exp/teacher_fmllr_targets"
    run_model, study_model = (json.loads((work / f"exp/{x}/config.json").read_text())["model"]
                              for x in ["teacher", "teacher_fmllr"])
    assert {**run_model, "input_dim": 0} == {**study_model, "input_dim": 0}  # the run's shape
    study = (work / "studies/STUDY_input.md").read_text()
    for row in ["BLSTM teacher, fbank + CMVN", "BLSTM teacher, fMLLR",
                "DNN student, GMM hard, fMLLR", "DNN student, RNN soft T=1, fbank + CMVN"]:
        assert f"| {row} |" in study, row


def check_teacher_study(work: Path, env: dict[str, str]) -> None:
    """studies/teacher_study.sh continues the teacher's training in a copy, trains a soft
    student on it and writes STUDY_teacher.md; the original teacher is left alone."""
    before = (work / "exp/teacher/final.pt").stat().st_mtime
    first = json.loads((work / "exp/teacher/history.json").read_text())
    proc = subprocess.run(["bash", "studies/teacher_study.sh", "--epochs", "5",
                           "--decode-beam", "8", "--lattices", "false", "--max-active", "300"],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    history = json.loads((work / "exp/teacher_e5/history.json").read_text())
    assert history["epochs"][:len(first["epochs"])] == first["epochs"]
    if first["stop_reason"] != "converged":  # a converged teacher is not trained further
        assert [e["epoch"] for e in history["epochs"]] == [0, 1, 2, 3, 4, 5]
    assert (work / "exp/teacher/final.pt").stat().st_mtime == before
    config = json.loads((work / "exp/teacher_e5/config.json").read_text())
    assert config["model"] == json.loads((work / "exp/teacher/config.json").read_text())["model"]
    soft, gmm = (json.loads((work / f"exp/{x}/config.json").read_text())
                 for x in ["student_soft_e5_s1", "student_gmm_s1"])
    assert soft["model"] == gmm["model"]  # the run's student shape and budget, read back
    assert soft["train"]["max_epochs"] == gmm["train"]["max_epochs"]
    study = (work / "studies/STUDY_teacher.md").read_text()
    for row in ["BLSTM teacher, 5 epochs", "DNN student, RNN soft T=1 (5-epoch teacher)"]:
        assert f"| {row} |" in study, row
    assert "# WER per voice" in (work / "studies/STUDY_teacher_per_speaker.md").read_text()


def check_gmm_seed_study(work: Path, env: dict[str, str]) -> None:
    """studies/gmm_seed_study.sh retrains mono/tri1/tri2 with another seed (different models,
    the run's settings) and says in how many of the two runs their order held."""
    bad = run_step(work, env, "studies/gmm_seed_study.sh", "--seeds", "0")
    assert bad.returncode != 0 and "positive integers" in bad.stderr
    proc = run_step(work, env, "studies/gmm_seed_study.sh", "--seeds", "3", "--decode-beam", "8")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for system in ["mono", "tri1", "tri2"]:
        ours, theirs = work / "exp" / system, work / "exp/gmm_seeds/s3" / system
        assert json.loads((theirs / "config.json").read_text())["seed"] == 3
        assert (theirs / "final.mdl").read_bytes() != (ours / "final.mdl").read_bytes()
    tri1 = json.loads((work / "exp/gmm_seeds/s3/tri1/config.json").read_text())
    assert tri1["num_leaves"] == json.loads((work / "exp/tri1/config.json").read_text())[
        "num_leaves"]
    study = (work / "studies/STUDY_gmm_seeds.md").read_text()
    assert "| tri2 GMM (LDA+MLLT) (2 runs) |" in study, study
    assert re.search(r"\| test \| [012] of 2 \| (yes|no), (yes|no) \|", study), study


def check_seen_voices_study(work: Path, env: dict[str, str]) -> None:
    """studies/seen_voices_study.sh decodes the teacher and the seed-1 students on their
    shared cv utterances (training voices) and writes STUDY_seen_voices.md."""
    proc = run_step(work, env, "studies/seen_voices_study.sh", "--decode-beam", "8",
                    "--lattices", "false", "--max-active", "300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    cv = (work / "exp/teacher/valid_uttlist").read_text().split()
    seen = work / "data/seen_cv_s1_fbank"
    assert sorted((seen / "feats.scp").read_text().split()[::2]) == sorted(cv)
    lm_lines = len((work / "data/local/lm_text").read_text().splitlines())
    kept = len((work / "exp/seen_voices_s1/lm_text").read_text().splitlines())
    assert kept <= lm_lines - len(set(cv)) // 2, (kept, lm_lines)  # their sentences left out
    train_voices = {line.split()[0] for line in
                    (work / "data/train/spk2utt").read_text().splitlines()}
    study = (work / "studies/STUDY_seen_voices.md").read_text()
    for row in ["BLSTM teacher", "DNN student, GMM hard", "DNN student, RNN soft T=1"]:
        assert f"| {row} |" in study, row
    assert "## Frame accuracy against exp/tri3_ali" in study
    assert "| DNN student, RNN hard | " in study.split("## Frame accuracy")[1]
    per_spk = (work / "studies/STUDY_seen_voices_per_speaker.md").read_text()
    columns = re.findall(r"^\| test:(\S+) \|", per_spk, re.M)
    assert columns and set(columns) <= train_voices, columns


def check_voice_mismatch_study(work: Path, env: dict[str, str]) -> None:
    """studies/voice_mismatch_study.sh decodes every GMM and network on test's sentences read
    by the training voices and writes STUDY_voice_mismatch.md with the order on that set (a
    --gmm-seeds model that is missing is named; decoding them is the same path)."""
    bad = run_step(work, env, "studies/voice_mismatch_study.sh", "--gmm-seeds", "9")
    assert bad.returncode != 0 and "exp/gmm_seeds/s9/mono" in bad.stderr, bad.stderr
    proc = run_step(work, env, "studies/voice_mismatch_study.sh", "--decode-beam", "8",
                    "--lattices", "false", "--max-active", "300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    test = (work / "data/test/text").read_text().splitlines()
    seen = (work / "data/test_seen/text").read_text().splitlines()
    assert sorted(line.split(" ", 1)[1] for line in seen) == \
        sorted(line.split(" ", 1)[1] for line in test)
    assert (work / "data/test_seen_fbank/cmvn.scp").is_file()
    assert (work / "exp/tri3/decode_test_seen/trans.1").is_file()  # fMLLR's two passes
    study = (work / "studies/STUDY_voice_mismatch.md").read_text()
    for row in ["mono GMM", "tri2 GMM (LDA+MLLT)", "tri3 GMM (LDA+MLLT+SAT)",
                "BLSTM teacher", "DNN student, RNN soft T=1"]:
        assert f"| {row} |" in study, row
    assert re.search(r"\| test \| [01] of 1 \| (yes|no) \|", study), study
    train_voices = {line.split()[0] for line in
                    (work / "data/train/spk2utt").read_text().splitlines()}
    per_spk = (work / "studies/STUDY_voice_mismatch_per_speaker.md").read_text()
    columns = re.findall(r"^\| test:(\S+) \|", per_spk, re.M)
    assert columns and set(columns) <= train_voices, columns


def check_prior_study(work: Path, env: dict[str, str]) -> None:
    """studies/prior_study.sh decodes the teacher and two students again with priors from
    their own posteriors and with scaled priors, and writes STUDY_priors.md."""
    proc = run_step(work, env, "studies/prior_study.sh", "--decode-beam", "8", "--lattices",
                    "false", "--max-utts", "6", "--prior-scales", "0.5", "--max-active", "300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    counts, frames = ((work / "exp/teacher" / f).read_text().split()
                      for f in ["posterior_train.counts", "ali_train_pdf.counts"])
    assert counts[0] == "[" and counts[-1] == "]" and len(counts) == len(frames)
    assert all(float(c) > 0 for c in counts[1:-1])  # every pdf has some posterior mass
    log = (work / "exp/student_soft_s1/decode_dev_prior0.5/log/decode.1.log").read_text()
    assert "--prior-scale 0.5" in log
    log = (work / "exp/teacher/decode_test_postprior/log/decode.1.log").read_text()
    assert "--class-frame-counts exp/teacher/posterior_train.counts" in log
    study = (work / "studies/STUDY_priors.md").read_text()
    for row in ["BLSTM teacher", "BLSTM teacher, posterior priors",
                "DNN student, GMM hard, prior scale 0.5",
                "DNN student, RNN soft T=1, posterior priors"]:
        assert f"| {row} |" in study, row


def check_student_study(work: Path, env: dict[str, str]) -> None:
    """studies/student_study.sh trains the GMM-hard and soft students again, narrower and on
    part of the training data, and writes STUDY_students.md."""
    proc = run_step(work, env, "studies/student_study.sh", "--decode-beam", "8", "--lattices",
                    "false", "--hidden", "16", "--num-utts", "20", "--max-active", "300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    config = {x: json.loads((work / f"exp/{x}/config.json").read_text()) for x in
              ["student_gmm_s1", "student_soft_h16_s1", "student_gmm_n20_s1",
               "student_soft_n20_s1"]}
    assert config["student_soft_h16_s1"]["model"] == {**config["student_gmm_s1"]["model"],
                                                      "hidden": 16}
    assert config["student_soft_h16_s1"]["targets_kind"] == "soft"
    assert config["student_gmm_n20_s1"]["model"] == config["student_gmm_s1"]["model"]
    assert config["student_soft_n20_s1"]["data"] == "data/train_n20_fbank"
    assert len((work / "data/train_n20_fbank/utt2spk").read_text().splitlines()) == 20
    study = (work / "studies/STUDY_students.md").read_text()
    for row in ["DNN student, GMM hard", "DNN student, RNN soft T=1, hidden 16",
                "DNN student, GMM hard, 20 utterances", "DNN student, RNN soft T=1, 20 utterances"]:
        assert f"| {row} |" in study, row


def check_full_grid(work: Path, env: dict[str, str]) -> None:
    """run.sh --stage 8 --grid full adds the T=2, T=5 and soft + hard students to the run's
    (which it reuses) and their rows to RESULTS.md."""
    before = (work / "exp/student_soft_s1/final.pt").stat().st_mtime
    proc = run_step(work, env, "run.sh", "--size", "tiny", "--nj", "2", "--nnet-feats", "fbank",
                    "--stage", "8", "--grid", "full", "--seeds", "1")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / "exp/student_soft_s1/final.pt").stat().st_mtime == before
    train = {x: json.loads((work / f"exp/student_{x}_s1/config.json").read_text())["train"]
             for x in ["soft_t2", "soft_t5", "softhard"]}
    assert (train["soft_t2"]["temperature"], train["soft_t5"]["temperature"]) == (2.0, 5.0)
    assert (train["softhard"]["temperature"], train["softhard"]["hard_weight"]) == (1.0, 0.5)
    results = (work / "RESULTS_tiny.md").read_text()
    assert "full grid" in results
    for row in ["DNN student, RNN soft T=2", "DNN student, RNN soft T=5",
                "DNN student, RNN soft + GMM hard (0.5)"]:
        assert f"| {row} |" in results, row


def check_dev_frames_study(work: Path, env: dict[str, str]) -> None:
    """studies/dev_frames_study.sh force-aligns dev with tri3 (fMLLR) and writes each
    network's frame accuracy on it to STUDY_dev_frames.md."""
    proc = run_step(work, env, "studies/dev_frames_study.sh", "--networks",
                    "teacher student_soft_s1")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / "exp/tri3_ali_dev/trans.1").is_file()  # fMLLR alignment of dev
    study = (work / "studies/STUDY_dev_frames.md").read_text()
    assert "## Frame accuracy against exp/tri3_ali_dev" in study
    for row in ["teacher", "student_soft_s1"]:
        assert f"| {row} | " in study, row


def check_fmllr_transforms(work: Path) -> None:
    """tri3's fMLLR transforms are Kaldi matrix archives that kaldi-native-io reads: one
    (dim, dim+1) matrix per training speaker, and per test speaker in the decode dir."""
    import kaldi_native_io as knio

    from pykaldi_distill.data import load_data_dir
    from pykaldi_distill.formats.model_io import read_gmm_model

    dim = read_gmm_model(work / "exp/tri3/final.mdl")[1].dim
    for trans, data in [("exp/tri3/trans.1", "train"), ("exp/tri3/decode_test/trans.*", "test"),
                        ("exp/tri3_ali/trans.*", "train")]:
        mats = {}
        for f in sorted(work.glob(trans)):
            with knio.SequentialFloatMatrixReader(f"ark:{f}") as reader:
                mats.update({key: np.asarray(value) for key, value in reader})
        assert set(mats) == set(load_data_dir(work / "data" / data).utt2spk.values())
        assert all(m.shape == (dim, dim + 1) for m in mats.values())


def check_wheel_readers(work: Path, system: str) -> None:
    """The recipe's Kaldi files load in the wheels' own readers: HCLG (OpenFst), tree
    (ContextDependency), alignments (kaldi-native-io), lattices (kaldifst.Lattice.read)."""
    import kaldi_native_io as knio
    import kaldifst

    from pykaldi_distill.data import load_data_dir
    from pykaldi_distill.decoding.lattice import from_kaldifst, read_binary_fst, read_lattices
    from pykaldi_distill.formats.model_io import read_gmm_model, read_tree

    exp = work / "exp" / system
    hclg = kaldifst.StdVectorFst.read(str(exp / "graph" / "HCLG.fst"))
    tm, am = read_gmm_model(exp / "final.mdl")
    tree = read_tree(exp / "tree")
    assert hclg.num_states > 0 and tree.num_pdfs == tm.num_pdfs == am.num_pdfs
    with knio.SequentialInt32VectorReader(f"ark:gunzip -c {work}/exp/{system}_ali/ali.1.gz|") as r:
        ali = {key: list(value) for key, value in r}
    assert ali and all(0 < t <= tm.num_transition_ids for a in ali.values() for t in a)
    lattices = {}
    for lat in sorted((exp / "decode_test").glob("lat.*.gz")):
        lattices.update(read_lattices(lat))
    assert set(lattices) == set(load_data_dir(work / "data" / "test").utts)
    data = gzip.decompress((exp / "decode_test" / "lat.1.gz").read_bytes())
    key = data.split(b" ", 1)[0]
    _, end = read_binary_fst(data, len(key) + 1)
    (work / "one.fst").write_bytes(data[len(key) + 1:end])
    loaded = kaldifst.Lattice.read(str(work / "one.fst"))
    assert loaded is not None and from_kaldifst(loaded) == lattices[key.decode()]


@pytest.mark.slow
def test_mini_librispeech_recipe_tiny(tmp_path: Path) -> None:
    """egs/mini_librispeech/s5 on a miniature corpus in OpenSLR 31's layout (espeak-ng voices,
    flac, per-chapter transcripts): a wrong path stops before any work naming the layout; a
    word CMUdict lacks is listed and trains as <UNK>; every stage writes its Kaldi files and
    RESULTS_tiny.md holds the GMM ladder, teacher and three students on dev and test."""
    from fake_corpora import LibriPart, make_fake_librispeech

    corpus = make_fake_librispeech(tmp_path / "corpus", [
        LibriPart("train-clean-5", (("19", "F", 2), ("26", "M", 2), ("27", "M", 1),
                                    ("32", "F", 1)), 8),
        LibriPart("dev-clean-2", (("84", "F", 1), ("174", "M", 1), ("251", "M", 1),
                                  ("422", "F", 1)), 4)])
    trans = corpus / "LibriSpeech/train-clean-5/26/110/26-110.trans.txt"
    trans.write_text(trans.read_text().replace("\n", " ZORBLAX\n", 1))  # no lexicon has it
    work = make_recipe_copy(tmp_path, "mini_librispeech")
    env = {**os.environ, "PKD_ROOT": str(ROOT)}
    bad = run_step(work, env, "run.sh", "--size", "tiny", str(tmp_path / "corpus/LibriSpeech/x"))
    assert bad.returncode != 0 and "LibriSpeech/<part>/<reader>/<chapter>/" in bad.stderr
    assert not (work / "exp").exists()
    proc = run_step(work, env, "run.sh", "--size", "tiny", str(corpus))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / "data/local/dict_oov.txt").read_text().split()[0] == "ZORBLAX"
    assert "train as <UNK>" in (work / "exp/mono/log/train.log").read_text()
    results = (work / "RESULTS_tiny.md").read_text()
    for row in ["mono GMM", "tri3 GMM (LDA+MLLT+SAT)", "BLSTM teacher", "DNN student, GMM hard",
                "DNN student, RNN hard", "DNN student, RNN soft T=1"]:
        assert f"| {row} |" in results, row
    assert (work / "exp/teacher_targets/post.scp").is_file()
    assert not (work / "exp/teacher_targets/targets.scp").exists()


@pytest.mark.slow
def test_wsj_recipe_tiny(tmp_path: Path) -> None:
    """egs/wsj/s5 on miniature WSJ0/WSJ1 trees in the discs' layout (indices, .dot files,
    shorten-compressed SPHERE, the LM disc's compressed trigram): a missing disc stops before
    any work naming it; every stage runs and RESULTS_tiny.md holds dev93 and eval92 rows."""
    from fake_corpora import make_fake_wsj

    wsj0, wsj1 = make_fake_wsj(tmp_path / "wsj")
    work = make_recipe_copy(tmp_path, "wsj")
    env = {**os.environ, "PKD_ROOT": str(ROOT)}
    bad = run_step(work, env, "run.sh", "--size", "tiny", str(wsj0))  # no WSJ1 discs
    assert bad.returncode != 0 and "disc 13-34.1" in bad.stderr, bad.stderr[-2000:]
    assert not (work / "exp").exists()
    proc = run_step(work, env, "run.sh", "--size", "tiny", str(wsj0), str(wsj1))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "prune_lm:" in proc.stdout + proc.stderr
    assert (work / "data/lang_test/G.fst").is_file()
    results = (work / "RESULTS_tiny.md").read_text()
    assert "WSJ (tiny), dev = dev93, test = eval92" in results
    for row in ["mono GMM", "tri3 GMM (LDA+MLLT+SAT)", "BLSTM teacher", "DNN student, GMM hard",
                "DNN student, RNN hard", "DNN student, RNN soft T=1"]:
        assert f"| {row} |" in results, row
