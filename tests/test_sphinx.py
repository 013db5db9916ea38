"""The PocketSphinx peer (sphinx.py, bin/decode_pocketsphinx.py, local/decode_pocketsphinx.sh)."""

import json
import subprocess
from pathlib import Path

import pytest
from test_recipe_e2e import FSDD

from pykaldi_distill.bin import decode_pocketsphinx
from pykaldi_distill.deploy import sphinx
from pykaldi_distill.errors import InputError
from pykaldi_distill.report import results

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]


def test_grammar_loops_over_the_words_in_lower_case() -> None:
    loop = sphinx.grammar(["ONE", "TWO"], loop=True)
    assert "public <utterance> = ( one | two )+ ;" in loop
    assert "( one | two ) ;" in sphinx.grammar(["ONE", "TWO"], loop=False)


def test_task_words_skip_kaldi_symbols() -> None:
    assert sphinx.task_words(["<eps>", "ONE", "#0", "<UNK>", "!SIL", "[noise]", "TWO"]) == \
        ["ONE", "TWO"]


def test_unknown_word_names_the_word_list(tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    with pytest.raises(InputError, match=r"words.txt.*not in PocketSphinx's en-us dictionary: "
                                         r"QWXZZY"):
        sphinx.make_decoder(["ONE", "QWXZZY"], sphinx.SphinxConfig(), words)


def test_cli_rejects_an_empty_word_list(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    words = tmp_path / "words.txt"
    words.write_text("<eps> 0\n#0 1\n")
    assert decode_pocketsphinx.main([str(words), str(tmp_path), str(tmp_path / "out")]) == 1
    assert "words.txt: no words in it" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def fsdd_data_dir(path: Path, names: list[str]) -> Path:
    path.mkdir(parents=True)
    utts = sorted((f"jackson-{n}", n) for n in names)
    (path / "wav.scp").write_text("".join(f"{u} {FSDD}/recordings/{n}.wav\n" for u, n in utts))
    (path / "text").write_text("".join(f"{u} {DIGITS[int(n[0])]}\n" for u, n in utts))
    (path / "utt2spk").write_text("".join(f"{u} jackson\n" for u, _ in utts))
    return path


@pytest.mark.skipif(not (FSDD / "recordings").is_dir(), reason=f"no FSDD recordings at {FSDD}")
def test_step_script_decodes_and_scores_real_recordings(tmp_path: Path) -> None:
    """Kaldi's layout: hypotheses, wer_1_0.0, best_wer, rtf.json; a make_results row with no
    model size (the model is PocketSphinx's); up to date on a second run."""
    data = fsdd_data_dir(tmp_path / "data", ["0_jackson_0", "1_jackson_0", "7_jackson_0"])
    words = tmp_path / "words.txt"
    words.write_text("".join(f"{w} {i}\n" for i, w in enumerate(["<eps>", *DIGITS, "#0"])))
    out = tmp_path / "exp" / "pocketsphinx" / "decode_test"
    cmd = ["bash", str(ROOT / "local" / "decode_pocketsphinx.sh"), "--nj", "2", str(words),
           str(data), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    hyps = (out / "scoring_kaldi" / "penalty_0.0" / "1.txt").read_text().splitlines()
    assert [h.split()[0] for h in hyps] == sorted(f"jackson-{d}_jackson_0" for d in "017")
    assert all(w in DIGITS for h in hyps for w in h.split()[1:])  # the data dir's spelling
    stats = json.loads((out / "rtf.json").read_text())
    assert stats["audio_seconds"] > 1 and 0 < stats["rtf_cpu"] < 1
    row = results.collect("PocketSphinx", out)
    assert (row.params, row.mflops_per_frame, row.leaves) == (None, None, None)
    assert "| PocketSphinx |" in results.results_markdown("peer", [row], baseline=None)
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0 and "is up to date" in again.stdout
