import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from test_model_io import make_model

from pykaldi_distill.decoding.score import SpkStats, score_decode_dir
from pykaldi_distill.errors import InputError
from pykaldi_distill.formats import model_io
from pykaldi_distill.nnet.checkpoint import save_checkpoint
from pykaldi_distill.nnet.student import Dnn, DnnConfig
from pykaldi_distill.report import results
from pykaldi_distill.report.bootstrap import (
    PairedBootstrap,
    SpeakerCounts,
    paired_bootstrap,
    sum_runs,
)


def decode_dir(model_dir: Path, wer_line: str, rtf: float) -> Path:
    d = model_dir / "decode_test"
    (d / "scoring_kaldi").mkdir(parents=True)
    (d / "scoring_kaldi" / "best_wer").write_text(wer_line + "\n")
    (d / "rtf.json").write_text(json.dumps({"rtf": rtf}))
    return d


def test_table_from_decode_dirs(tmp_path: Path) -> None:
    tm, am, _ = make_model()
    gmm_dir = tmp_path / "mono"
    gmm_dir.mkdir()
    model_io.write_gmm_model(gmm_dir / "final.mdl", tm, am)
    dnn_dir = tmp_path / "dnn"
    dnn_dir.mkdir()
    config = DnnConfig(input_dim=4, num_pdfs=7, context=1, hidden=8, num_layers=2)
    torch.manual_seed(0)
    save_checkpoint(dnn_dir / "final.pt", Dnn(config), "dnn", config)
    rows = [
        results.collect("gmm", decode_dir(gmm_dir, "%WER 20.00 [ 2 / 10, 0 ins, 1 del, 1 sub ] "
                                          "x/wer_12_0.0", 0.01)),
        results.collect("dnn", decode_dir(dnn_dir, "%WER 10.00 [ 1 / 10, 0 ins, 0 del, 1 sub ] "
                                          "x/wer_10_0.0", 0.02)),
    ]
    assert rows[0].params == am.num_gauss * (2 * am.dim + 1)
    assert (rows[0].leaves, rows[0].gaussians) == (tm.num_pdfs, am.num_gauss)
    assert (rows[1].leaves, rows[1].gaussians) == (None, None)  # no final.mdl in the dnn dir
    assert rows[1].params == sum(p.numel() for p in Dnn(config).parameters())
    text = results.results_markdown("toy", rows, baseline="gmm")
    assert "| dnn |  | 10.00 | -50.0% |  |  |  |" in text
    assert f"| {tm.num_pdfs:,} | {am.num_gauss:,} |" in text
    assert "| gmm |  | 20.00 | +0.0% |" in text


def test_test_wer_at_dev_setting(tmp_path: Path) -> None:
    tm, am, _ = make_model()
    exp = tmp_path / "tri1"
    exp.mkdir()
    model_io.write_gmm_model(exp / "final.mdl", tm, am)
    dev = decode_dir(exp, "%WER 5.00 [ 1 / 20, 0 ins, 0 del, 1 sub ] x/wer_9_0.5", 0.01)
    dev = dev.rename(exp / "decode_dev")
    (dev / "scoring_kaldi" / "wer_details").mkdir()
    (dev / "scoring_kaldi" / "wer_details" / "lmwt").write_text("9\n")
    (dev / "scoring_kaldi" / "wer_details" / "wip").write_text("0.5\n")
    test = decode_dir(exp, "%WER 1.00 [ 1 / 100, 0 ins, 0 del, 1 sub ] x/wer_13_0.0", 0.01)
    (test / "wer_9_0.5").write_text("%WER 3.00 [ 3 / 100, 1 ins, 1 del, 1 sub ]\n")
    oracle = "%WER 0.50 [ 1 / 200, 0 ins, 0 del, 1 sub ]\n"
    (test / "scoring_kaldi" / "oracle_wer").write_text(oracle)
    row = results.collect("tri1", test, dev)
    assert (row.wer, row.dev_wer, row.oracle_wer) == (3.0, 5.0, 0.5)  # not the 1.00 best


def test_missing_best_wer_names_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="best_wer"):
        results.read_best_wer(tmp_path)
    (tmp_path / "scoring_kaldi").mkdir()
    (tmp_path / "scoring_kaldi" / "best_wer").write_text("garbage\n")
    with pytest.raises(InputError, match="no %WER"):
        results.read_best_wer(tmp_path)


def test_corpus_section() -> None:
    info = {"utterances": {"train": 10, "dev": 2, "test": 3},
            "minutes": {"train": 1.25, "dev": 0.5, "test": 0.75},
            "voices": {"train": {"a": [], "b": []}, "dev": {"c": []}, "test": {"d": []}},
            "vocab": 500, "lm_sentences": 99,
            "text_filter": {"kept": 5, "sentences": 9, "oov": 3, "length": 1, "duplicate": 0}}
    text = results.results_markdown("toy", [], None, info)
    assert "| train | a, b | 10 | 1.2 |" in text
    assert "3 dropped for words missing from CMUdict" in text


def test_corpus_section_counts_speakers_by_engine() -> None:
    def spk(family: str) -> dict:
        return {"family": family, "recipe": []}

    info = {"utterances": {"train": 6, "dev": 2, "test": 1},
            "minutes": {"train": 1.0, "dev": 0.5, "test": 0.25},
            "speakers": {"train": {"esp01": spk("espeak-ng:en+m1"), "esp02": spk("espeak-ng:en+f1"),
                                   "flite01": spk("flite:rms")},
                         "dev": {"esp03": spk("espeak-ng:en-us+m1"), "fest01": spk("festival:x")},
                         "test": {"flite02": spk("flite:rms")}},
            "vocab": 500, "lm_sentences": 99}
    text = results.corpus_markdown(info)
    assert "3 training speakers, 2 dev speakers, 1 test speakers" in text
    assert "| train | 3 | espeak-ng 2, flite 1 | 6 | 1.0 |" in text
    assert "| dev | 2 | espeak-ng 1, festival 1 | 2 | 0.5 |" in text


def gmm_decode_dir(tmp_path: Path) -> Path:
    """A toy GMM exp dir `mono` with a scored test decode dir."""
    tm, am, _ = make_model()
    exp = tmp_path / "mono"
    exp.mkdir()
    model_io.write_gmm_model(exp / "final.mdl", tm, am)
    return decode_dir(exp, "%WER 1.00 [ 1 / 100, 0 ins, 0 del, 1 sub ] x/wer_13_0.0", 0.01)


def test_make_results_cli_bad_corpus_info(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.bin import make_results

    test = gmm_decode_dir(tmp_path)
    bad = tmp_path / "corpus.json"
    bad.write_text("{not json")
    out = tmp_path / "RESULTS.md"
    assert make_results.main(["--corpus-info", str(bad), str(out), f"mono={test}"]) == 1
    assert "corpus.json" in capsys.readouterr().err and not out.exists()
    assert make_results.main([str(out), f"mono={test}"]) == 0
    assert "| mono |" in out.read_text()
    assert make_results.main([str(out), f"soft T=2={test};{test}"]) == 0
    assert "| soft T=2 (2 runs) |" in out.read_text()


def test_runs_give_mean_and_std(tmp_path: Path) -> None:
    tm, am, _ = make_model()
    runs = []
    for seed, (test_wer, dev_wer) in enumerate([(10.0, 20.0), (12.0, 22.0), (14.0, 24.0)]):
        exp = tmp_path / f"s{seed}"
        exp.mkdir()
        model_io.write_gmm_model(exp / "final.mdl", tm, am)
        dev = decode_dir(exp, f"%WER {dev_wer:.2f} [ 1 / 10, 0 ins, 0 del, 1 sub ] x/wer_9_0.0",
                         0.01 * (seed + 1)).rename(exp / "decode_dev")
        (dev / "scoring_kaldi" / "wer_details").mkdir()
        (dev / "scoring_kaldi" / "wer_details" / "lmwt").write_text("9\n")
        (dev / "scoring_kaldi" / "wer_details" / "wip").write_text("0.0\n")
        test = decode_dir(exp, "%WER 1.00 [ 1 / 100, 0 ins, 0 del, 1 sub ] x/wer_9_0.0", 0.0)
        (test / "wer_9_0.0").write_text(f"%WER {test_wer:.2f} [ 1 / 10, 0 ins, 0 del, 1 sub ]\n")
        runs.append((test, dev))
    row = results.collect_runs("student", runs)
    assert (row.runs, row.wer, row.dev_wer) == (3, 12.0, 22.0)
    assert row.wer_std == pytest.approx(2.0) and row.dev_wer_std == pytest.approx(2.0)
    text = results.results_markdown("toy", [row], baseline="student")
    assert "| student (3 runs) | 22.00 ± 2.00 | 12.00 ± 2.00 | +0.0% |" in text
    assert results.collect_runs("one", runs[:1]).runs == 1


def test_soft_target_size(tmp_path: Path) -> None:
    import numpy as np

    from pykaldi_distill.formats.io import write_matrices, write_posteriors
    from pykaldi_distill.nnet.distill import topk_posterior

    rng = np.random.default_rng(0)
    mats = {f"u{i}": rng.dirichlet(np.ones(50), size=10 + i).astype(np.float32) for i in range(3)}
    write_matrices(tmp_path / "targets.1.ark", tmp_path / "targets.scp", sorted(mats.items()))
    write_posteriors(tmp_path / "post.1.ark", tmp_path / "post.scp",
                     [(u, topk_posterior(m, 5)) for u, m in sorted(mats.items())])
    size = results.soft_target_size(tmp_path)
    assert (size.frames, size.pdfs) == (33, 50)
    assert 50 * 4 <= size.dense_bytes / size.frames < 50 * 4 + 10  # float32 + per-utt header
    assert size.topk_bytes < size.dense_bytes / 3
    text = results.soft_target_markdown(size, 5)
    assert "| top-5 Kaldi Posteriors (post.scp) |" in text


def scored_dir(path: Path, refs: dict[str, str], hyps_by_setting: dict[str, dict[str, str]],
               best: str) -> Path:
    """A decode dir as score.py leaves it: test_filt.txt, penalty_<wip>/<lmwt>.txt, best."""
    sk = path / "scoring_kaldi"
    (sk / "wer_details").mkdir(parents=True)
    (sk / "test_filt.txt").write_text("".join(f"{u} {t}\n" for u, t in refs.items()))
    for setting, hyps in hyps_by_setting.items():
        lmwt, wip = setting.split("_")
        (sk / f"penalty_{wip}").mkdir(exist_ok=True)
        (sk / f"penalty_{wip}" / f"{lmwt}.txt").write_text(
            "".join(f"{u} {t}\n" for u, t in hyps.items()))
    lmwt, wip = best.split("_")
    (sk / "wer_details" / "lmwt").write_text(lmwt + "\n")
    (sk / "wer_details" / "wip").write_text(wip + "\n")
    return path


def test_speaker_wers_use_the_dev_setting_for_test(tmp_path: Path) -> None:
    utt2spk = {"a1": "alice", "a2": "alice", "b1": "bob"}
    refs = {"a1": "one two", "a2": "three four", "b1": "five six seven eight"}
    test = scored_dir(tmp_path / "decode_test", refs, {
        "10_0.0": {"a1": "one two", "a2": "three", "b1": "five six seven eight"},
        "12_0.5": {"a1": "one", "a2": "three four", "b1": "five"},
    }, best="10_0.0")
    dev = scored_dir(tmp_path / "decode_dev", {"d1": "x y"}, {"12_0.5": {"d1": "x z"}},
                     best="12_0.5")
    # alice: 1 deletion of 4 words; bob: 3 deletions of 4 words.
    assert results.speaker_wers(test, "12_0.5", utt2spk) == {"alice": 25.0, "bob": 75.0}
    wers = results.run_speaker_wers([(test, dev)], utt2spk, {"d1": "carol"})
    assert wers == {"test:alice": 25.0, "test:bob": 75.0, "dev:carol": 50.0}
    # Without a dev decode, test is read at its own best setting; runs are averaged.
    alone = results.run_speaker_wers([(test, None), (test, dev)], utt2spk, None)
    assert alone == {"test:alice": 25.0, "test:bob": 37.5}
    text = results.per_speaker_markdown([("tri1", wers), ("dnn", alone)])
    assert "| speaker | tri1 | dnn |" in text  # one row per speaker, dev first
    assert text.index("| dev:carol | 50.00 |  |") < text.index("| test:alice | 25.00 | 25.00 |")
    assert "| test:bob | 75.00 | 37.50 |" in text
    assert not text.startswith("# ")
    page = results.per_speaker_markdown([("tri1", wers)], "toy")
    assert page.startswith("# WER per voice: toy\n") and "| test:bob | 75.00 |" in page


def test_speaker_wers_name_the_missing_file(tmp_path: Path) -> None:
    test = scored_dir(tmp_path / "decode_test", {"a1": "x"}, {"10_0.0": {"a1": "x"}}, "10_0.0")
    with pytest.raises(InputError, match="penalty_1.0"):
        results.speaker_wers(test, "10_1.0", {"a1": "alice"})


def test_rtf_prefers_cpu_time(tmp_path: Path) -> None:
    both = tmp_path / "both.json"
    both.write_text(json.dumps({"rtf": 0.9, "rtf_cpu": 0.3}))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"rtf": 0.9}))
    assert results.read_rtf(both) == 0.3
    assert results.read_rtf(old) == 0.9  # decode dirs written before CPU time was recorded


def test_make_results_cli_soft_target_stats(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from test_plots import make_dirs

    from pykaldi_distill.bin import make_results

    targets, ali = make_dirs(tmp_path, {"u1": 12, "u2": 9})
    test = gmm_decode_dir(tmp_path)
    out = tmp_path / "RESULTS.md"
    base = [str(out), f"mono={test}"]
    assert make_results.main(["--soft-targets", str(targets), "--topk", "3",
                              "--target-temperatures", "1,2", "--target-ali", str(ali),
                              *base]) == 0
    text = out.read_text()
    assert "## How soft the soft targets are" in text and "top-3" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 1 | 21 |", "| 2 | 21 |"))]
    assert len(rows) == 2 and all(line.count("%") == 1 for line in rows)  # agreement column
    assert make_results.main(["--soft-targets", str(targets), "--target-temperatures", "1,x",
                              *base]) == 1
    assert "--target-temperatures" in capsys.readouterr().err


def test_stage_times_keep_each_stages_last_run(tmp_path: Path) -> None:
    tsv = tmp_path / "stage_times.tsv"
    tsv.write_text("0\t60\tcorpus\n10\t30\tlate\n3\t120\tmono\n3\t90\tmono again\n")
    times = results.read_stage_times(tsv)
    assert [(t.stage, t.seconds, t.title) for t in times] == [
        ("0", 60, "corpus"), ("3", 90, "mono again"), ("10", 30, "late")]
    md = results.stage_times_markdown(times)
    assert "| 3 | mono again | 1.5 |" in md and "| all | stages 0–10 | 3.0 |" in md
    tsv.write_text("0\tsixty\tcorpus\n")
    with pytest.raises(InputError, match="line 1"):
        results.read_stage_times(tsv)
    with pytest.raises(InputError, match="missing.tsv"):
        results.read_stage_times(tmp_path / "missing.tsv")


def result(name: str, run: str, wer: float, dev_wer: float | None) -> results.SystemResult:
    return results.SystemResult(name, Path(run) / name / "decode_test", wer, "", 0, 0.0, 0.0,
                                dev_wer)


def test_check_order_run_by_run() -> None:
    systems = [[result("mono", r, w, d) for r, w, d in [("a", 30, 40), ("b", 30, 40)]],
               [result("tri1", r, w, d) for r, w, d in [("a", 25, 41), ("b", 29, 35)]],
               [result("tri2", r, w, d) for r, w, d in [("a", 20, 30), ("b", 29, 30)]]]
    check = results.check_order(systems)
    assert check.names == ["mono", "tri1", "tri2"]
    assert check.runs == ["a/tri2", "b/tri2"]
    assert check.test == [True, False]  # run b: a tie is not an improvement
    assert check.dev == [False, True]
    text = results.order_markdown(check)
    assert "WER(tri2) < WER(tri1) < WER(mono)" in text
    assert "| dev | 1 of 2 | no, yes |" in text and "| test | 1 of 2 | yes, no |" in text
    no_dev = results.check_order([[result("x", "a", 2, None)], [result("y", "a", 1, None)]])
    assert no_dev.dev is None and no_dev.test == [True]
    assert "| dev |" not in results.order_markdown(no_dev)
    with pytest.raises(ValueError, match="same number of runs"):
        results.check_order([systems[0], systems[1][:1]])
    with pytest.raises(ValueError, match="two systems"):
        results.check_order(systems[:1])


def test_make_results_cli_order(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.bin import make_results

    tm, am, _ = make_model()
    specs = []
    for name, wer in [("mono", 30.0), ("tri1", 20.0)]:
        exp = tmp_path / name
        exp.mkdir()
        model_io.write_gmm_model(exp / "final.mdl", tm, am)
        test = decode_dir(exp, f"%WER {wer:.2f} [ 1 / 10, 0 ins, 0 del, 1 sub ] x/wer_9_0.0", 0.0)
        specs.append(f"{name}={test};{test}")
    out = tmp_path / "RESULTS.md"
    assert make_results.main(["--order", "mono,tri1", str(out), *specs]) == 0
    assert "| test | 2 of 2 | yes, yes |" in out.read_text()
    assert make_results.main(["--order", "mono,tri9", str(out), *specs]) == 1
    assert "tri9" in capsys.readouterr().err
    assert make_results.main(["--order", "mono,tri1", str(out), specs[0],
                              specs[1].split(";")[0]]) == 1
    assert "same number of runs" in capsys.readouterr().err


# --------------------------------------------------------------------------- bootstrap


def counts(errors: list[int], words: list[int] | None = None,
           speakers: list[str] | None = None) -> SpeakerCounts:
    speakers = speakers or [f"s{i}" for i in range(len(errors))]
    return SpeakerCounts(tuple(speakers), np.array(errors),
                         np.array(words or [100] * len(errors)))


def test_bootstrap_identical_systems_is_no_change() -> None:
    base = counts([10, 30, 5, 20, 12])
    same = paired_bootstrap(base, base, draws=500)
    assert (same.rel, same.low, same.high, same.p_better) == (0.0, 0.0, 0.0, 0.0)
    assert not same.real and (same.draws, same.speakers) == (500, 5)
    # The same errors, shuffled over the speakers: pooled the same, within the noise.
    shuffled = paired_bootstrap(counts([30, 5, 20, 12, 10]), base)
    assert shuffled.rel == 0.0 and shuffled.low < 0 < shuffled.high and not shuffled.real


def test_bootstrap_better_on_every_speaker() -> None:
    base = counts([10, 30, 5, 20, 12], [100, 120, 80, 100, 90])
    better = paired_bootstrap(counts([8, 27, 4, 17, 11], [100, 120, 80, 100, 90]), base)
    assert better.rel == pytest.approx((67 / 490) / (77 / 490) - 1)
    assert better.low <= better.rel <= better.high < 0 and better.real
    assert better.p_better == 1.0
    assert (better.base_wer, better.sys_wer) == pytest.approx((100 * 77 / 490, 100 * 67 / 490))
    worse = paired_bootstrap(base, counts([8, 27, 4, 17, 11], [100, 120, 80, 100, 90]))
    assert worse.low > 0 and worse.real and worse.p_better == 0.0


def test_bootstrap_draws_speakers_with_replacement() -> None:
    # Two speakers: both picks of s0 (1/4) give -50 %, one of each (1/2) -25 %, s1 twice 0 %.
    b = paired_bootstrap(counts([5, 10]), counts([10, 10]), draws=2000, seed=1)
    assert (b.low, b.high) == (-0.5, 0.0)
    assert b.p_better == pytest.approx(0.75, abs=0.03) and not b.real


def test_bootstrap_is_reproducible_with_its_seed() -> None:
    base, system = counts([10, 30, 5, 20, 12]), counts([9, 31, 3, 18, 12])
    first = paired_bootstrap(system, base, seed=7)
    assert paired_bootstrap(system, base, seed=7) == first
    other = paired_bootstrap(system, base, seed=8)
    assert other.rel == first.rel and (other.low, other.high) != (first.low, first.high)


def test_bootstrap_needs_the_same_speakers() -> None:
    base = counts([1, 2, 3], speakers=["alice", "bob", "carol"])
    with pytest.raises(ValueError, match="only in the system: dave; only in the baseline: carol"):
        paired_bootstrap(counts([1, 2, 3], speakers=["alice", "bob", "dave"]), base)
    with pytest.raises(ValueError, match="at least two"):
        paired_bootstrap(counts([1], speakers=["alice"]), counts([2], speakers=["alice"]))
    with pytest.raises(ValueError, match="only in run 2: carol"):
        sum_runs([counts([1, 2]), counts([1, 2, 3], speakers=["s0", "s1", "carol"])])
    pooled = sum_runs([counts([1, 2]), counts([3, 4], [50, 50])])
    assert pooled.errors.tolist() == [4, 6] and pooled.words.tolist() == [150, 150]


def test_sum_runs_joins_folds_over_disjoint_speakers() -> None:
    folds = [counts([2, 1], [20, 10], speakers=["alice", "carol"]),
             counts([3], [30], speakers=["bob"])]
    pooled = sum_runs(folds)
    assert pooled.speakers == ("alice", "bob", "carol")
    assert pooled.errors.tolist() == [2, 3, 1] and pooled.words.tolist() == [20, 30, 10]
    with pytest.raises(ValueError, match="only in run 1: carol; only in run 2: bob"):
        sum_runs([counts([1, 2], speakers=["alice", "carol"]),
                  counts([1, 2], speakers=["alice", "bob"])])


def stats(errors: dict[str, int], words: int = 20) -> dict[str, SpkStats]:
    """Per-speaker counts with `errors` deletions of `words` reference words."""
    return {spk: SpkStats(sents=2, corr=words - e, dels=e, sent_errors=2) for spk, e in
            errors.items()}


def test_order_changes_on_pooled_speakers() -> None:
    test = {"mono": {"t1": 8, "t2": 10, "t3": 6, "t4": 12},
            "tri1": {"t1": 4, "t2": 4, "t3": 2, "t4": 6},
            "tri2": {"t1": 6, "t2": 2, "t3": 4, "t4": 4}}
    speakers = {name: results.SystemSpeakers([stats(errors), stats(errors)], None)
                for name, errors in test.items()}  # two identical runs: summed
    pairs = results.order_changes(["mono", "tri1", "tri2"], speakers)
    assert [(p.worse, p.better) for p in pairs] == [("mono", "tri1"), ("tri1", "tri2")]
    assert pairs[0].change.test is not None and pairs[0].change.test.real
    assert pairs[0].change.test.rel == pytest.approx(16 / 36 - 1) and pairs[0].change.dev is None
    check = results.check_order([[result(n, "a", speakers[n].pooled("test").wer, None)]
                                 for n in ["mono", "tri1", "tri2"]])
    text = results.order_markdown(check, pairs)
    assert "| test | 4 | mono | tri1 | 45.00 | 20.00 | -55.6% [" in text
    assert text.splitlines()[-1].startswith("| test | 4 | tri1 | tri2 | 20.00 | 20.00 | +0.0% [")
    assert text.splitlines()[-1].endswith("| within noise |")
    assert "| 1.000 | yes |" in text and "| dev |" not in text
    speakers["tri2"].test[1].pop("t4")
    with pytest.raises(ValueError, match="tri2 vs tri1: test: the speakers differ: only in run 1"):
        results.order_changes(["mono", "tri1", "tri2"], speakers)


def test_results_table_carries_the_intervals() -> None:
    rows = [result("base", "a", 20.0, 30.0), result("new", "a", 10.0, 33.0)]
    change = PairedBootstrap(20.0, 10.0, -0.5, -0.6123, -0.4, 1.0, 2000, 12)
    dev = PairedBootstrap(30.0, 33.0, 0.1, -0.05, 0.25, 0.2, 2000, 12)
    text = results.results_markdown("toy", rows, "base", changes={
        "new": results.Change(change, dev)}, per_speaker_file="RESULTS_per_speaker.md")
    assert "| WER % | rel. vs baseline | dev rel. |" in text
    assert "| new | 33.00 | 10.00 | -50.0% [-61.2, -40.0] | +10.0% [-5.0, +25.0] |" in text
    assert "| base | 30.00 | 20.00 | +0.0% | +0.0% |" in text
    assert "the 12 test and 12 dev speakers are resampled with replacement, 2000 draws" in text
    assert "[RESULTS_per_speaker.md](RESULTS_per_speaker.md)" in text
    plain = results.results_markdown("toy", rows, "base")
    assert "| new | 33.00 | 10.00 | -50.0% | +10.0% |" in plain and "bootstrap" not in plain


# --------------------------------------------------------------------------- CLI


def scored_system(exp: Path, split: str, errors: dict[str, int]) -> Path:
    """exp/decode_<split> scored by score.py: each speaker reads two 10-word utterances, of
    which the system deletes `errors[spk]` words each."""
    words = [f"w{i}" for i in range(10)]
    refs = {f"{spk}-u{i}": words for spk in errors for i in range(2)}
    hyps = {utt: words[errors[utt.split("-")[0]]:] for utt in refs}
    utt2spk = {utt: utt.split("-")[0] for utt in refs}
    decode = exp / f"decode_{split}"
    score_decode_dir(decode, refs, {"10_0.0": hyps, "12_0.0": {u: [] for u in refs}}, utt2spk)
    (decode / "rtf.json").write_text(json.dumps({"rtf": 0.01}))
    return decode


GMM_ERRORS = {  # deletions per utterance of each speaker: mono > tri1, tri1 ~ tri2
    "mono": ({"t1": 4, "t2": 5, "t3": 3, "t4": 6}, {"d1": 4, "d2": 5, "d3": 4}),
    "tri1": ({"t1": 2, "t2": 2, "t3": 1, "t4": 3}, {"d1": 2, "d2": 2, "d3": 1}),
    "tri2": ({"t1": 3, "t2": 1, "t3": 2, "t4": 2}, {"d1": 1, "d2": 2, "d3": 2}),
}


def gmm_ladder(tmp_path: Path, errors: dict = GMM_ERRORS) -> list[str]:
    """Scored test and dev decodes of toy GMM systems, their data dirs' utt2spk in
    tmp_path/data/{test,dev}; returns the make_results system specs."""
    tm, am, _ = make_model()
    specs = []
    for name, (test_errors, dev_errors) in errors.items():
        exp = tmp_path / name
        exp.mkdir()
        model_io.write_gmm_model(exp / "final.mdl", tm, am)
        test = scored_system(exp, "test", test_errors)
        dev = scored_system(exp, "dev", dev_errors)
        specs.append(f"{name}={test},{dev}")
    for split, spks in [("test", ["t1", "t2", "t3", "t4"]), ("dev", ["d1", "d2", "d3"])]:
        (tmp_path / "data" / split).mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / split / "utt2spk").write_text(
            "".join(f"{s}-u{i} {s}\n" for s in spks for i in range(2)))
    return specs


def test_make_results_cli_bootstrap(tmp_path: Path) -> None:
    from pykaldi_distill.bin import make_results

    specs = gmm_ladder(tmp_path)
    out = tmp_path / "RESULTS.md"
    data = ["--test-data", str(tmp_path / "data/test"), "--dev-data", str(tmp_path / "data/dev")]
    assert make_results.main([*data, "--baseline", "mono", "--order", "mono,tri1,tri2",
                              "--title", "toy", str(out), *specs]) == 0
    text = out.read_text()
    # tri1: 16 of 80 test words wrong vs mono's 36; dev 10 of 60 vs 26.
    assert re.search(r"\| tri1 \| 16\.67 \| 20\.00 \| -55\.6% \[-\d+\.\d, -\d+\.\d\] \| "
                     r"-61\.5% \[-\d+\.\d, -\d+\.\d\] \|", text), text
    assert "the 4 test and 3 dev speakers are resampled" in text
    assert "## WER per voice" not in text
    assert "[RESULTS_per_speaker.md](RESULTS_per_speaker.md)" in text
    assert re.search(r"\| dev \| 3 \| mono \| tri1 \| 43\.33 \| 16\.67 \| -61\.5% \[.*\] \| "
                     r"1\.000 \| yes \|", text), text
    assert re.search(r"\| test \| 4 \| tri1 \| tri2 \| 20\.00 \| 20\.00 \| \+0\.0% \[.*\] \| "
                     r"0\.\d+ \| within noise \|", text), text
    assert "| test | 0 of 1 | no |" in text  # run by run: tri2 is not below tri1
    page = (tmp_path / "RESULTS_per_speaker.md").read_text()
    assert page.startswith("# WER per voice: toy")
    assert "| speaker | mono | tri1 | tri2 |" in page
    assert "| test:t4 | 60.00 | 30.00 | 20.00 |" in page
    other = tmp_path / "per_voice.md"
    assert make_results.main([*data, "--per-speaker-out", str(other), str(out), *specs]) == 0
    assert other.is_file() and "[per_voice.md](per_voice.md)" in out.read_text()
    assert "bootstrap" not in out.read_text()  # no baseline: no relative change


def test_make_results_cli_bootstrap_bad_input(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from pykaldi_distill.bin import make_results

    errors = {**GMM_ERRORS, "tri2": ({"t1": 3, "t2": 1, "t3": 2}, GMM_ERRORS["tri2"][1])}
    specs = gmm_ladder(tmp_path, errors)  # tri2 decoded without speaker t4
    out = tmp_path / "RESULTS.md"
    test_data = ["--test-data", str(tmp_path / "data/test")]
    assert make_results.main([*test_data, "--baseline", "mono", str(out), *specs]) == 1
    err = capsys.readouterr().err
    assert "'tri2' vs baseline 'mono': test: the speakers differ" in err and "t4" in err
    assert "data/test/utt2spk" in err and not out.exists()
    assert make_results.main([*test_data, "--order", "mono,tri1,tri2", str(out), *specs]) == 1
    assert "--order: tri2 vs tri1: test: the speakers differ" in capsys.readouterr().err
    assert make_results.main(["--test-data", str(tmp_path), str(out), *specs]) == 1
    assert f"{tmp_path / 'utt2spk'}: file does not exist" in capsys.readouterr().err
    assert make_results.main(["--per-speaker-out", "x.md", str(out), *specs]) == 1
    assert "--per-speaker-out needs --test-data" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "RESULTS_per_speaker.md").exists()


def test_model_file_is_what_the_decode_read(tmp_path: Path) -> None:
    """The table's model MB: the ONNX export a decode scored with, else the network, else a
    Vosk dir's am/final.mdl, else a GMM's final.mdl, as the decode's fingerprint lists them."""
    exp = tmp_path / "exp"
    (exp / "am").mkdir(parents=True)
    for name, size in [("final.mdl", 10), ("final.pt", 2000), ("s.int8.onnx", 500),
                       ("am/final.mdl", 300)]:
        (exp / name).write_bytes(b"x" * size)
    dec = exp / "decode"
    dec.mkdir()
    assert results.model_file(dec) is None  # no fingerprint
    for inputs, expected in [(["final.mdl", "final.pt", "s.int8.onnx"], "s.int8.onnx"),
                             (["final.mdl", "final.pt"], "final.pt"),
                             (["am/final.mdl", "graph"], "am/final.mdl"),
                             (["final.mdl"], "final.mdl"), (["graph"], None)]:
        (dec / "fingerprint").write_text("options: x\n" + "".join(
            f"input: {exp / name} 1 2.0\n" for name in inputs))
        found = results.model_file(dec)
        assert (found and found.relative_to(exp).as_posix()) == expected


def test_lexicon_section_counts_the_g2p_words(tmp_path: Path) -> None:
    from pykaldi_distill.report.results import lexicon_markdown

    d = tmp_path / "dict"
    d.mkdir()
    (d / "lexicon.txt").write_text("!SIL SIL\nREAD R EH D\nREAD R IY D\nZERUBBABEL Z ER UW B\n")
    plain = lexicon_markdown(d, None)
    assert "3 words" in plain and "all from CMUdict" in plain
    (d / "lexicon_g2p.lex").write_text("ZERUBBABEL\t0.6\tZ ER UW B\n")
    g2p = tmp_path / "g2p"
    g2p.mkdir()
    (g2p / "results.txt").write_text("G2P on 10 held-out words (trained on 90): WER 20.00 %\n")
    text = lexicon_markdown(d, g2p)
    assert "1 of them are not in CMUdict" in text and "e.g. ZERUBBABEL" in text
    assert f"G2P ({g2p}): G2P on 10 held-out words" in text
