"""Scoring like Kaldi: compute-wer counts and lines, best_wer, wer_details, decode dirs."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import pytest

from pykaldi_distill.bin import compute_wer as compute_wer_cli
from pykaldi_distill.bin import score as score_cli
from pykaldi_distill.decoding.score import (
    EPS,
    NOISE_REGEX,
    Alignment,
    WerStats,
    align_words,
    best_wer,
    compute_wer,
    filter_texts,
    filter_words,
    format_per_spk,
    format_per_utt,
    format_wer,
    score_decode_dir,
)
from pykaldi_distill.errors import InputError, PkdError

REPO = Path(__file__).resolve().parents[1]

REFS = {
    "u1": "a b c d".split(),  # hyp: 1 sub (b->x), 1 ins (e)
    "u2": "e f".split(),  # hyp: correct
    "u3": "g h i".split(),  # hyp: 2 del
}
HYPS = {
    "u1": "a x c d e".split(),
    "u2": "e f".split(),
    "u3": "g".split(),
}


def words(text: str) -> list[str]:
    return text.split()


# --------------------------------------------------------------------------- counts


def test_align_words_marks_ins_del_sub() -> None:
    pairs = align_words(words("a b c d"), words("a x c d e"))
    assert pairs == (("a", "a"), ("b", "x"), ("c", "c"), ("d", "d"), (None, "e"))
    assert Alignment("u", pairs).ops == ["C", "S", "C", "C", "I"]
    assert align_words([], words("a")) == ((None, "a"),)
    assert align_words(words("a"), []) == (("a", None),)
    assert align_words([], []) == ()


def test_align_words_real_word_equal_to_eps_is_a_word() -> None:
    # "***" is only how per_utt prints the empty word; as a word it is matched normally.
    assert Alignment("u", align_words([EPS], [EPS])).ops == ["C"]


def test_compute_wer_hand_counted() -> None:
    s = compute_wer(REFS, HYPS)
    assert s == WerStats(errors=4, ref_words=9, ins=1, dels=2, subs=1, num_sents=3,
                         sent_errors=2, num_absent=0)
    assert s.wer == pytest.approx(44.444, abs=1e-3)
    assert s.ser == pytest.approx(66.667, abs=1e-3)


def test_format_wer_is_kaldis_three_lines() -> None:
    assert format_wer(compute_wer(REFS, HYPS)) == (
        "%WER 44.44 [ 4 / 9, 1 ins, 2 del, 1 sub ]\n"
        "%SER 66.67 [ 2 / 3 ]\n"
        "Scored 3 sentences, 0 not present in hyp.\n"
    )


def test_format_wer_two_decimals_and_partial() -> None:
    s = WerStats(errors=45, ref_words=365, ins=3, dels=10, subs=32, num_sents=10,
                 sent_errors=2, num_absent=1)
    assert format_wer(s).splitlines() == [
        "%WER 12.33 [ 45 / 365, 3 ins, 10 del, 32 sub ] [PARTIAL]",
        "%SER 20.00 [ 2 / 10 ]",
        "Scored 10 sentences, 1 not present in hyp.",
    ]
    assert format_wer(WerStats(num_sents=1)).startswith("%WER nan [ 0 / 0, 0 ins")


def test_wer_rounds_like_kaldis_float32() -> None:
    # 100 * 1462 / 1491 = 98.054996... in double, but compute-wer stores it in a float
    # (98.055), so Kaldi prints 98.06.
    s = WerStats(errors=1462, ref_words=1491, num_sents=1, sent_errors=1)
    assert format_wer(s).startswith("%WER 98.06 [ 1462 / 1491,")


def test_mode_present_skips_missing_hyps() -> None:
    hyps = {"u1": HYPS["u1"], "u2": HYPS["u2"], "extra": words("z z")}
    s = compute_wer(REFS, hyps, "present")
    assert (s.errors, s.ref_words, s.num_sents, s.num_absent) == (2, 6, 2, 1)
    assert format_wer(s).splitlines()[2] == "Scored 2 sentences, 1 not present in hyp."
    assert "[PARTIAL]" in format_wer(s)


def test_mode_all_scores_missing_hyps_as_empty() -> None:
    s = compute_wer(REFS, {"u1": HYPS["u1"], "u2": HYPS["u2"]}, "all")
    assert (s.errors, s.dels, s.ref_words, s.num_sents, s.num_absent) == (5, 3, 9, 3, 1)


def test_mode_strict_raises_on_missing_hyp() -> None:
    with pytest.raises(PkdError, match="u3"):
        compute_wer(REFS, {"u1": HYPS["u1"], "u2": HYPS["u2"]}, "strict")
    assert compute_wer(REFS, HYPS, "strict") == compute_wer(REFS, HYPS, "present")
    with pytest.raises(PkdError, match="mode"):
        compute_wer(REFS, HYPS, "bogus")  # type: ignore[arg-type]


def test_noise_filter_drops_whole_tokens_only() -> None:
    toks = words("<UNK> a !SIL <sil> [noise] b <NOISE> [laughter] a<b")
    assert filter_words(toks, NOISE_REGEX) == ["a", "b", "a<b"]
    assert filter_texts({"u": toks}, None) == {"u": toks}
    refs = filter_texts({"u": words("a <UNK> b")}, NOISE_REGEX)
    hyps = filter_texts({"u": words("[noise] a b")}, NOISE_REGEX)
    assert compute_wer(refs, hyps).errors == 0


# --------------------------------------------------------------------------- best_wer


def write_wer(path: Path, errors: int, ref_words: int) -> Path:
    path.write_text(format_wer(WerStats(errors=errors, ref_words=ref_words, subs=errors,
                                        num_sents=1, sent_errors=int(errors > 0))))
    return path


def test_best_wer_picks_lowest_and_first_on_tie(tmp_path: Path) -> None:
    a = write_wer(tmp_path / "wer_7_0.0", 3, 100)
    b = write_wer(tmp_path / "wer_8_0.0", 2, 100)
    c = write_wer(tmp_path / "wer_9_0.0", 2, 100)
    assert best_wer([a, b, c]) == f"%WER 2.00 [ 2 / 100, 0 ins, 0 del, 2 sub ] {b}"
    assert best_wer([c, b, a]).endswith(str(c))


def test_best_wer_compares_printed_values(tmp_path: Path) -> None:
    # 1 / 100000 words is 0.001%, printed 0.00: a tie with 0 / 100, so the first wins.
    a = write_wer(tmp_path / "wer_a", 1, 100000)
    b = write_wer(tmp_path / "wer_b", 0, 100)
    assert best_wer([a, b]).endswith(str(a))


def test_best_wer_skips_files_without_wer_and_names_missing(tmp_path: Path) -> None:
    junk = tmp_path / "wer_junk"
    junk.write_text("compute-wer --text ...\nERROR: something\n")
    good = write_wer(tmp_path / "wer_10_0.5", 1, 4)
    assert best_wer([junk, good]).endswith(f"] {good}")
    with pytest.raises(PkdError, match="no %WER line"):
        best_wer([junk])
    with pytest.raises(InputError, match="wer_missing"):
        best_wer([tmp_path / "wer_missing"])


# --------------------------------------------------------------------------- details


def test_per_utt_matches_kaldis_example() -> None:
    # The example in utils/scoring/wer_per_utt_details.pl (special symbol <eps>).
    pairs = (("word-A", "word-A"), (None, "word-A"), ("word-B", "word-B"),
             ("word-C", None), ("word-D", "word-D"), ("word-E", "word-X"))
    assert format_per_utt([Alignment("UTT-A", pairs)], eps="<eps>") == (
        "UTT-A ref  word-A   <eps>  word-B  word-C  word-D  word-E\n"
        "UTT-A hyp  word-A  word-A  word-B   <eps>  word-D  word-X\n"
        "UTT-A op      C       I       C       D       C       S  \n"
        "UTT-A #csid 3 1 1 1\n"
    )


def test_per_spk_matches_kaldis_example() -> None:
    pairs = (("a", "a"), (None, "a"), ("b", "b"), ("c", None), ("d", "d"), ("e", "x"))
    header = ("SPEAKER         id       #SENT      #WORD       Corr        Sub        Ins"
              "        Del        Err      S.Err")
    assert format_per_spk([Alignment("UTT-A", pairs)], {"UTT-A": "A"}).splitlines() == [
        header,
        "A               raw          1          5          3          1          1"
        "          1          3          1",
        "A               sys          1          5      60.00      20.00      20.00"
        "      20.00      60.00     100.00",
        "SUM             raw          1          5          3          1          1"
        "          1          3          1",
        "SUM             sys          1          5      60.00      20.00      20.00"
        "      20.00      60.00     100.00",
    ]


def per_spk_rows(text: str) -> dict[tuple[str, str], list[str]]:
    rows = [line.split() for line in text.splitlines()[1:]]
    return {(r[0], r[1]): r[2:] for r in rows}


def test_per_spk_sums_speakers() -> None:
    from pykaldi_distill.decoding.score import align_utterances

    alignments, _ = align_utterances(REFS, HYPS)
    utt2spk = {"u1": "s1", "u2": "s1", "u3": "s2"}
    rows = per_spk_rows(format_per_spk(alignments, utt2spk))
    # s1: u1 (4 words: 3 C, 1 S, 1 I) + u2 (2 C) -> 6 words, 5 C, 1 S, 1 I, 2 errs, 1 sent err
    assert rows[("s1", "raw")] == ["2", "6", "5", "1", "1", "0", "2", "1"]
    assert rows[("s1", "sys")] == ["2", "6", "83.33", "16.67", "16.67", "0.00", "33.33",
                                   "50.00"]
    assert rows[("s2", "raw")] == ["1", "3", "1", "0", "0", "2", "2", "1"]
    assert rows[("SUM", "raw")] == ["3", "9", "6", "1", "1", "2", "4", "2"]
    assert rows[("SUM", "sys")][-2:] == ["44.44", "66.67"]
    with pytest.raises(PkdError, match="u3"):
        format_per_spk(alignments, {"u1": "s1", "u2": "s1"})


def test_per_spk_widens_for_long_speaker_ids() -> None:
    spk = "speaker-with-a-very-long-id"
    text = format_per_spk([Alignment("u", (("a", "a"),))], {"u": spk})
    assert text.splitlines()[1].startswith(f"{spk} raw ")
    assert text.splitlines()[3].startswith("SUM" + " " * (len(spk) - 3) + " raw ")


# --------------------------------------------------------------------------- decode dirs


def test_score_decode_dir_writes_kaldi_layout(tmp_path: Path) -> None:
    dec = tmp_path / "decode"
    worse = {**HYPS, "u2": words("e")}
    result = score_decode_dir(dec, REFS, {"9_0.0": worse, "10_0.0": HYPS, "10_0.5": HYPS},
                              {"u1": "s1", "u2": "s1", "u3": "s2"})
    assert {p.name for p in dec.glob("wer_*")} == {"wer_9_0.0", "wer_10_0.0", "wer_10_0.5"}
    assert (dec / "wer_10_0.0").read_text() == format_wer(compute_wer(REFS, HYPS))
    # 10_0.0 and 10_0.5 tie: the smaller penalty comes first, as in Kaldi's loops.
    assert result.best.name == "10_0.0"
    line = f"%WER 44.44 [ 4 / 9, 1 ins, 2 del, 1 sub ] {dec / 'wer_10_0.0'}"
    assert result.best_line == line
    sk = dec / "scoring_kaldi"
    assert (sk / "best_wer").read_text() == line + "\n"
    assert (sk / "penalty_0.0" / "9.txt").read_text() == "u1 a x c d e\nu2 e\nu3 g\n"
    assert (sk / "penalty_0.5" / "10.txt").is_file()
    assert (sk / "test_filt.txt").read_text() == "u1 a b c d\nu2 e f\nu3 g h i\n"
    details = sk / "wer_details"
    assert (details / "lmwt").read_text() == "10\n"
    assert (details / "wip").read_text() == "0.0\n"
    assert "u1 #csid 3 1 1 0\n" in (details / "per_utt").read_text()
    assert "u3 hyp  g  ***  ***\n" in (details / "per_utt").read_text()
    rows = per_spk_rows((details / "per_spk").read_text())
    assert rows[("SUM", "raw")] == ["3", "9", "6", "1", "1", "2", "4", "2"]
    assert not list(dec.rglob("*.tmp"))


def test_score_decode_dir_filters_but_keeps_hyp_files(tmp_path: Path) -> None:
    dec = tmp_path / "decode"
    hyp_file = dec / "scoring_kaldi" / "penalty_0.0" / "10.txt"
    hyp_file.parent.mkdir(parents=True)
    hyp_file.write_text("u1 <UNK> a b\n")
    os.utime(hyp_file, (1, 1))
    result = score_decode_dir(dec, {"u1": words("a [noise] b")},
                              {"10_0.0": {"u1": words("<UNK> a b")}}, {"u1": "s"},
                              filter_regex=NOISE_REGEX)
    assert result.stats["10_0.0"].errors == 0
    assert hyp_file.stat().st_mtime == 1  # identical content: the decoder's file untouched
    assert (dec / "scoring_kaldi" / "test_filt.txt").read_text() == "u1 a b\n"


def test_score_decode_dir_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(PkdError, match="no hypotheses"):
        score_decode_dir(tmp_path, REFS, {}, {})
    with pytest.raises(PkdError, match="bad scoring setting"):
        score_decode_dir(tmp_path, REFS, {"10": HYPS}, {})


# --------------------------------------------------------------------------- CLIs


@pytest.fixture
def texts(tmp_path: Path) -> tuple[Path, Path]:
    ref = tmp_path / "ref.txt"
    hyp = tmp_path / "hyp.txt"
    ref.write_text("u1 a b c d\nu2 e f\nu3 g h i\n")
    hyp.write_text("u1 a x c d e\nu2 e f\nu3 g\n")
    return ref, hyp


def test_compute_wer_cli_prints_kaldi_lines(texts: tuple[Path, Path], capsys) -> None:
    ref, hyp = texts
    assert compute_wer_cli.main(["--text", "--mode=present", f"ark:{ref}", f"ark,t:{hyp}"]) == 0
    assert capsys.readouterr().out == format_wer(compute_wer(REFS, HYPS))
    assert compute_wer_cli.main([str(ref), str(hyp)]) == 0  # plain paths
    assert capsys.readouterr().out.startswith("%WER 44.44 [ 4 / 9,")
    assert compute_wer_cli.main(["--text=true", str(ref), str(hyp)]) == 0
    assert capsys.readouterr().out.startswith("%WER 44.44 [ 4 / 9,")
    assert compute_wer_cli.main(["--text", f"ark:{ref}", f"ark:head -n 2 {hyp} |"]) == 1
    assert "u3" in capsys.readouterr().err  # strict by default, like Kaldi
    assert compute_wer_cli.main(["--mode", "all", f"ark:{ref}", f"ark:head -n 2 {hyp} |"]) == 0
    assert capsys.readouterr().out.startswith("%WER 55.56 [ 5 / 9, 1 ins, 3 del, 1 sub ]")


def test_compute_wer_cli_exit_codes_on_bad_input(texts: tuple[Path, Path], tmp_path: Path,
                                                 capsys) -> None:
    ref, hyp = texts
    missing = tmp_path / "nope.txt"
    assert compute_wer_cli.main(["--text", f"ark:{missing}", f"ark:{hyp}"]) == 1
    assert str(missing) in capsys.readouterr().err
    assert compute_wer_cli.main(["--text", f"ark:{ref}", str(missing)]) == 1
    assert str(missing) in capsys.readouterr().err
    dup = tmp_path / "dup.txt"
    dup.write_text("u1 a\nu1 b\n")
    assert compute_wer_cli.main([f"ark:{ref}", f"ark:{dup}"]) == 1
    assert "duplicate" in capsys.readouterr().err
    assert compute_wer_cli.main([f"scp:{ref}", f"ark:{hyp}"]) == 1
    assert compute_wer_cli.main(["ark:false |", f"ark:{hyp}"]) == 1
    with pytest.raises(SystemExit) as exc:
        compute_wer_cli.main(["--mode=bogus", str(ref), str(hyp)])
    assert exc.value.code == 2


def test_compute_wer_cli_reads_stdin(texts: tuple[Path, Path]) -> None:
    ref, hyp = texts
    proc = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-m", "pykaldi_distill.bin.compute_wer", "--text",
         "--mode=present", f"ark:{ref}", "ark,p:-"],
        input=hyp.read_text(), capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == format_wer(compute_wer(REFS, HYPS))


def make_data_and_decode(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data" / "test"
    data.mkdir(parents=True)
    (data / "text").write_text("u1 a b c d\nu2 e f\nu3 g h i\n")
    (data / "utt2spk").write_text("u1 s1\nu2 s1\nu3 s2\n")
    dec = tmp_path / "exp" / "decode_test"
    for wip, lmwt, text in [("0.0", "9", "u1 a b\nu2 e f\nu3 g h i\n"),
                            ("0.0", "10", "u1 a x c d e\nu2 e f\nu3 g\n"),
                            ("0.5", "10", "u1 a b c d\nu2 e f\nu3 g h <UNK> i\n")]:
        f = dec / "scoring_kaldi" / f"penalty_{wip}" / f"{lmwt}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return data, dec


def test_score_cli(tmp_path: Path, capsys) -> None:
    data, dec = make_data_and_decode(tmp_path)
    assert score_cli.main([str(data), str(dec)]) == 0
    # 9_0.0: 2 del (22.22); 10_0.0: 44.44; 10_0.5: 1 ins (11.11)
    line = f"%WER 11.11 [ 1 / 9, 1 ins, 0 del, 0 sub ] {dec / 'wer_10_0.5'}"
    assert capsys.readouterr().out == line + "\n"
    assert (dec / "scoring_kaldi" / "best_wer").read_text() == line + "\n"
    assert (dec / "scoring_kaldi" / "wer_vs_lmwt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert score_cli.main(["--filter-noise", str(data), str(dec)]) == 0
    assert capsys.readouterr().out.startswith("%WER 0.00 [ 0 / 9")
    assert score_cli.main(["--word-ins-penalty", "0.0", str(data), str(dec)]) == 0
    assert capsys.readouterr().out.startswith("%WER 22.22 [ 2 / 9")
    assert score_cli.main(["--min-lmwt", "10", "--word-ins-penalty", "0.0", str(data),
                           str(dec)]) == 0
    assert capsys.readouterr().out.startswith("%WER 44.44 [ 4 / 9")


def test_score_cli_fails_without_hypotheses(tmp_path: Path, capsys) -> None:
    data, dec = make_data_and_decode(tmp_path)
    empty = tmp_path / "exp" / "decode_empty"
    empty.mkdir()
    assert score_cli.main([str(data), str(empty)]) == 1
    assert str(empty) in capsys.readouterr().err
    assert score_cli.main(["--min-lmwt", "11", str(data), str(dec)]) == 1
    assert str(dec) in capsys.readouterr().err
    (data / "utt2spk").unlink()
    assert score_cli.main([str(data), str(dec)]) == 1
    assert "utt2spk" in capsys.readouterr().err


def test_score_sh(tmp_path: Path) -> None:
    data, dec = make_data_and_decode(tmp_path)
    graph = tmp_path / "exp" / "graph"
    graph.mkdir()
    cmd = [str(REPO / "local" / "score.sh"), "--min-lmwt", "7", "--max-lmwt", "9", str(data),
           str(graph), str(dec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        f"%WER 22.22 [ 2 / 9, 0 ins, 2 del, 0 sub ] {dec / 'wer_9_0.0'}")
    proc = subprocess.run([*cmd[:-1], str(tmp_path / "nope")], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 1
    assert "nope" in proc.stderr


def test_plot_wer_vs_lmwt(tmp_path: Path) -> None:
    from pykaldi_distill.report.plots import plot_wer_vs_lmwt

    out = tmp_path / "plot.png"
    plot_wer_vs_lmwt({(9.0, 0.0): 20.0, (10.0, 0.0): 15.0, (9.0, 0.5): 18.0}, out, "t")
    assert out.stat().st_size > 1000 and not list(tmp_path.glob("*.tmp*"))
    with pytest.raises(ValueError, match="no WERs"):
        plot_wer_vs_lmwt({}, tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_spk_stats_wer_is_compute_wers_percent() -> None:
    from pykaldi_distill.decoding.score import SpkStats, align_utterances, per_spk_stats

    alignments, _ = align_utterances(REFS, HYPS)
    stats = per_spk_stats(alignments, {"u1": "s1", "u2": "s1", "u3": "s2"})
    assert stats["s1"].wer == pytest.approx(100 * 2 / 6, abs=1e-4)
    assert stats["s2"].wer == pytest.approx(100 * 2 / 3, abs=1e-4)
    assert math.isnan(SpkStats().wer)
    assert SpkStats(ins=1).wer == math.inf


def test_score_cli_word_map(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """--word-map maps refs and hyps alike (OH -> ZERO for a model that reads 0 as "oh");
    a malformed map names its file and line."""
    data, dec = make_data_and_decode(tmp_path)
    word_map = tmp_path / "word_map"
    word_map.write_text("x b\n")  # 10_0.0's substitution x for b becomes right
    assert score_cli.main(["--word-map", str(word_map), "--word-ins-penalty", "0.0",
                           "--min-lmwt", "10", str(data), str(dec)]) == 0
    assert capsys.readouterr().out.startswith("%WER 33.33 [ 3 / 9, 1 ins, 2 del, 0 sub ]")
    (word_map).write_text("OH\n")
    assert score_cli.main(["--word-map", str(word_map), str(data), str(dec)]) == 1
    assert f"{word_map}: line 1: expected 'FROM TO', got 'OH'" in capsys.readouterr().err
