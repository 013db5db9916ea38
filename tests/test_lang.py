"""prepare_lang (utils/prepare_lang.sh equivalent), the lang loader, and the step scripts."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldifst
import pytest

from pykaldi_distill.bin import prepare_lang as prepare_lang_cli
from pykaldi_distill.errors import InputError
from pykaldi_distill.lang import (
    Lang,
    add_lex_disambig,
    load_lang,
    prepare_lang,
    transcript_ids,
)

REPO = Path(__file__).resolve().parents[1]
NONSIL = ["AA", "AH", "B", "D", "EH", "IY", "R"]
LEXICON = """!SIL SIL
<UNK> SPN
A AH
BAD B AA D
BE B IY
BEE B IY
READ R EH D
READ R IY D
RED R EH D
"""
WORDS = ["!SIL", "<UNK>", "A", "BAD", "BE", "BEE", "READ", "RED"]
SUFFIXES = ["_B", "_E", "_I", "_S"]


def make_dict(d: Path, lexicon: str = LEXICON) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "lexicon.txt").write_text(lexicon)
    (d / "silence_phones.txt").write_text("SIL\nSPN\n")
    (d / "optional_silence.txt").write_text("SIL\n")
    (d / "nonsilence_phones.txt").write_text("".join(p + "\n" for p in NONSIL))
    (d / "extra_questions.txt").write_text("SIL SPN\n" + " ".join(NONSIL) + "\n")
    return d


@pytest.fixture
def lang(tmp_path: Path) -> Lang:
    d = make_dict(tmp_path / "dict")
    return prepare_lang(d, "<UNK>", tmp_path / "lang", tmp_dir=tmp_path / "tmp")


def table(path: Path) -> list[tuple[str, int]]:
    return [(s, int(i)) for s, i in (line.split() for line in path.read_text().splitlines())]


def arcs(fst: kaldifst.StdVectorFst) -> list[tuple[int, kaldifst.StdArc]]:
    return [(s, a) for s in kaldifst.StateIterator(fst) for a in kaldifst.ArcIterator(fst, s)]


def test_phones_txt_follows_kaldi_order(lang: Lang) -> None:
    silence = ["SIL", "SIL_B", "SIL_E", "SIL_I", "SIL_S", "SPN", "SPN_B", "SPN_E", "SPN_I",
               "SPN_S"]
    real = [p + s for p in NONSIL for s in SUFFIXES]
    # BE/BEE and READ/RED share prons: #1 and #2; one more (#3) for optional silence.
    disambig = ["#0", "#1", "#2", "#3"]
    expected = ["<eps>", *silence, *real, *disambig]
    assert table(lang.path / "phones.txt") == [(p, i) for i, p in enumerate(expected)]
    assert lang.disambig_phone_ids == [lang.phones[p] for p in disambig]
    assert lang.silence_phone_ids == list(range(1, 11))
    assert lang.nonsilence_phone_ids == list(range(11, 11 + len(real)))
    assert lang.optional_silence_id == 1
    assert (lang.path / "phones/disambig.csl").read_text() == ":".join(
        str(lang.phones[p]) for p in disambig) + "\n"
    assert (lang.path / "phones/context_indep.txt").read_text() == "\n".join(silence) + "\n"
    sets = (lang.path / "phones/sets.txt").read_text().splitlines()
    assert sets[0] == "SIL SIL_B SIL_E SIL_I SIL_S" and sets[2] == "AA_B AA_E AA_I AA_S"
    roots = (lang.path / "phones/roots.int").read_text().splitlines()
    assert roots[0] == "shared split 1 2 3 4 5"
    boundary = dict(line.split() for line in
                    (lang.path / "phones/word_boundary.txt").read_text().splitlines())
    assert boundary["SIL"] == "nonword" and boundary["B_B"] == "begin"
    assert boundary["AH_S"] == "singleton" and boundary["D_E"] == "end"


def test_words_txt_and_oov(lang: Lang) -> None:
    expected = ["<eps>", *sorted(WORDS), "#0", "<s>", "</s>"]
    assert table(lang.path / "words.txt") == [(w, i) for i, w in enumerate(expected)]
    assert lang.word_disambig_id == lang.words["#0"]
    assert lang.oov_id == lang.words["<UNK>"] and lang.oov_word == "<UNK>"
    assert (lang.path / "oov.txt").read_text() == "<UNK>\n"
    assert (lang.path / "phones/wdisambig_words.int").read_text() == f"{lang.words['#0']}\n"
    assert (lang.path / "phones/wdisambig_phones.int").read_text() == f"{lang.phones['#0']}\n"


def test_homophones_get_disambig_symbols(tmp_path: Path, lang: Lang) -> None:
    lines = (tmp_path / "tmp" / "lexiconp_disambig.txt").read_text().splitlines()
    prons = {line.split("\t")[0] + " " + line.split("\t")[2] for line in lines}
    assert "BE B_B IY_E #1" in prons and "BEE B_B IY_E #2" in prons
    assert "READ R_B EH_I D_E #1" in prons and "RED R_B EH_I D_E #2" in prons
    assert "READ R_B IY_I D_E" in prons and "BAD B_B AA_I D_E" in prons


def test_add_lex_disambig_marks_prefixes() -> None:
    entries = [("A", 1.0, ("AH",)), ("AB", 1.0, ("AH", "B")), ("X", 1.0, ("AH", "B")),
               ("Y", 1.0, ("AH", "D"))]
    result, max_disambig = add_lex_disambig(entries)
    assert [pron for _, _, pron in result] == [
        ("AH", "#1"), ("AH", "B", "#1"), ("AH", "B", "#2"), ("AH", "D")]
    assert max_disambig == 2


def test_align_lexicon(lang: Lang) -> None:
    lines = (lang.path / "phones/align_lexicon.txt").read_text().splitlines()
    assert "<eps> <eps> SIL" in lines and "BEE BEE B_B IY_E" in lines
    assert lines == sorted(lines)
    ints = (lang.path / "phones/align_lexicon.int").read_text().splitlines()
    bee = lines.index("BEE BEE B_B IY_E")
    assert ints[bee].split() == [str(lang.words["BEE"])] * 2 + [
        str(lang.phones["B_B"]), str(lang.phones["IY_E"])]


def test_lexicon_fst_structure(lang: Lang) -> None:
    lex = lang.load_fst("L.fst")
    assert lex.start == 0 and lex.is_olabel_sorted
    cost = -math.log(0.5)
    start_arcs = [a for s, a in arcs(lex) if s == 0]
    assert sorted(a.nextstate for a in start_arcs) == [1, 2]
    assert all(a.ilabel == 0 and math.isclose(a.weight.value, cost, rel_tol=1e-6)
               for a in start_arcs)
    # A one-phone word leaves the loop state to the loop state and to the silence state.
    word_a = [(s, a) for s, a in arcs(lex) if a.olabel == lang.words["A"]]
    assert [(s, a.ilabel, a.nextstate) for s, a in sorted(word_a, key=lambda x: x[1].nextstate)
            ] == [(1, lang.phones["AH_S"], 1), (1, lang.phones["AH_S"], 2)]
    assert not any(a.ilabel in lang.disambig_phone_ids for _, a in arcs(lex))
    assert lex.final(1).value == 0.0


def test_lexicon_disambig_fst_has_word_disambig_loop(lang: Lang) -> None:
    lex = lang.load_fst("L_disambig.fst")
    assert lex.is_olabel_sorted
    loops = [(s, a) for s, a in arcs(lex) if a.ilabel == lang.phones["#0"]]
    assert len(loops) == 1
    state, arc = loops[0]
    assert state == 1 and arc.nextstate == 1 and arc.olabel == lang.word_disambig_id
    assert lex.final(state).value == 0.0
    used = {a.ilabel for _, a in arcs(lex)}
    assert {lang.phones[p] for p in ["#1", "#2", "#3"]} <= used
    # The optional silence is followed by the last disambiguation symbol (#3).
    sil = [(s, a) for s, a in arcs(lex) if a.ilabel == lang.phones["SIL"]]
    assert len(sil) == 1
    after = [a for s, a in arcs(lex) if s == sil[0][1].nextstate]
    assert [(a.ilabel, a.nextstate) for a in after] == [(lang.phones["#3"], 1)]


def test_topology(lang: Lang) -> None:
    topo = lang.topo
    assert list(topo.phones) == lang.silence_phone_ids + lang.nonsilence_phone_ids
    num_pdf_classes = topo.get_phone_to_num_pdf_classes()
    assert all(num_pdf_classes[p] == 5 for p in lang.silence_phone_ids)
    assert all(num_pdf_classes[p] == 3 for p in lang.nonsilence_phone_ids)


@pytest.mark.parametrize("name", ["L_disambig.fst", "L.fst"])
def test_training_graph_compiles(lang: Lang, name: str) -> None:
    topo = lang.topo
    tree = khg.monophone_context_dependency(
        phones=topo.phones, phone2num_pdf_classes=topo.get_phone_to_num_pdf_classes())
    trans_model = khg.TransitionModel(ctx_dep=tree, hmm_topo=topo)
    lex = lang.load_fst(name)
    kaldifst.arcsort(lex, sort_type="olabel")
    compiler = khg.TrainingGraphCompiler(
        trans_model=trans_model, ctx_dep=tree, lex_fst=lex,
        disambig_syms=lang.disambig_phone_ids, opts=khg.TrainingGraphCompilerOptions())
    word_ids = transcript_ids(lang, {"u": "READ A BEE"}, "text").word_ids["u"]
    graph = compiler.compile_graph_from_text(word_ids)
    assert graph.num_states > 0
    tids = {a.ilabel for _, a in arcs(graph)} - {0}
    assert tids and max(tids) <= trans_model.num_transition_ids


def test_position_independent_without_silence(tmp_path: Path) -> None:
    d = make_dict(tmp_path / "dict")
    lang = prepare_lang(d, "<UNK>", tmp_path / "lang", position_dependent=False, sil_prob=0.0)
    assert list(lang.phones)[:4] == ["<eps>", "SIL", "SPN", "AA"]
    assert not (lang.path / "phones/word_boundary.txt").exists()
    lex = lang.load_fst("L.fst")
    assert lex.start == 0 and lex.final(0).value == 0.0
    assert not any(a.ilabel == 0 for _, a in arcs(lex))  # no optional-silence epsilons


def test_load_lang_errors_name_the_file(tmp_path: Path, lang: Lang) -> None:
    with pytest.raises(InputError) as err:
        load_lang(tmp_path / "nope")
    assert err.value.path == str(tmp_path / "nope")
    (lang.path / "phones/disambig.int").unlink()
    with pytest.raises(InputError) as err:
        load_lang(lang.path)
    assert err.value.path == str(lang.path / "phones/disambig.int")
    with pytest.raises(InputError, match="G.fst.*format_lm"):
        lang.load_fst("G.fst")
    (lang.path / "L.fst").write_text("not an fst\n")
    with pytest.raises(InputError, match="L.fst"):
        lang.load_fst("L.fst")


def test_unknown_transcript_words_train_as_the_oov_word(lang: Lang) -> None:
    texts = {f"u{i}": "A BE A BE A" for i in range(4)} | {"u9": "A ZEBRA"}
    ids = transcript_ids(lang, texts, "data/text")
    assert ids.word_ids["u0"] == [lang.words["A"], lang.words["BE"]] * 2 + [lang.words["A"]]
    assert ids.word_ids["u9"] == [lang.words["A"], lang.oov_id]
    assert (ids.tokens, ids.oov_tokens, ids.oov_words) == (22, 1, {"ZEBRA": 1})
    assert "1 of 22 words (4.55 %, 1 distinct: ZEBRA (1))" == ids.oov_share()


def test_too_many_unknown_transcript_words_are_an_error(lang: Lang) -> None:
    with pytest.raises(InputError, match=r"ZEBRA \(2\).* are not in .*words.txt") as err:
        transcript_ids(lang, {"u1": "A ZEBRA", "u2": "ZEBRA BE"}, "data/train/text")
    assert err.value.path == "data/train/text"
    assert "--extra-lexicon" in str(err.value)


def test_bad_dict_dirs(tmp_path: Path) -> None:
    d = make_dict(tmp_path / "dict", LEXICON.replace("<UNK> SPN\n", ""))
    with pytest.raises(InputError, match="OOV word '<UNK>'"):
        prepare_lang(d, "<UNK>", tmp_path / "lang")
    d = make_dict(tmp_path / "dict2", LEXICON + "CAT K AE T\n")
    with pytest.raises(InputError, match="CAT.*'K'") as err:
        prepare_lang(d, "<UNK>", tmp_path / "lang")
    assert err.value.path == str(d / "lexicon.txt")


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no_dict"
    assert prepare_lang_cli.main([str(missing), "<UNK>", str(tmp_path / "tmp"),
                                  str(tmp_path / "lang")]) == 1
    assert str(missing) in capsys.readouterr().err
    d = make_dict(tmp_path / "dict")
    assert prepare_lang_cli.main(["--position-dependent-phones", "false", "--sil-prob", "0.3",
                                  str(d), "<UNK>", str(tmp_path / "tmp"),
                                  str(tmp_path / "lang")]) == 0
    assert "AA_B" not in load_lang(tmp_path / "lang").phones


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "local" / args[0]), *args[1:]], capture_output=True,
                          text=True, check=False)


def test_step_scripts_chain_and_skip(tmp_path: Path) -> None:
    text = tmp_path / "text"
    text.write_text("u1 READ THE BOOK\nu2 THE RED BOOK\n")
    d, lang, test = tmp_path / "dict", tmp_path / "lang", tmp_path / "lang_test"
    arpa = tmp_path / "lm" / "lm.arpa.gz"
    steps = [("prepare_dict.sh", str(text), str(d)),
             ("prepare_lang.sh", str(d), "<UNK>", str(tmp_path / "tmp"), str(lang)),
             ("train_lm.sh", "--order", "2", "--words", str(lang / "words.txt"), str(text),
              str(arpa)),
             ("format_lm.sh", str(lang), str(arpa), str(test))]
    for step in steps:
        proc = run_script(*step)
        assert proc.returncode == 0, proc.stderr
    assert load_lang(test).load_fst("G.fst").num_states > 0
    for step in steps:
        proc = run_script(*step)
        assert proc.returncode == 0 and "up to date" in proc.stdout, proc.stdout + proc.stderr
    usage = run_script("prepare_lang.sh", str(d))
    assert usage.returncode == 1 and "Usage:" in usage.stderr
    missing = run_script("format_lm.sh", str(lang), str(tmp_path / "none.arpa"), str(test))
    assert missing.returncode == 1 and "none.arpa" in missing.stderr


def test_transcript_graphs_have_no_transition_probs(lang: Lang) -> None:
    """compile-train-graphs leaves transition probabilities out (alignment adds them with
    the current model); with them in the graph they would count twice. Only the lexicon's
    pronunciation / optional-silence costs remain, and self-loops cost nothing."""
    from pykaldi_distill.gmm.system import GmmSystem, make_graph_compiler

    topo = lang.topo
    tree = khg.monophone_context_dependency(
        phones=topo.phones, phone2num_pdf_classes=topo.get_phone_to_num_pdf_classes())
    tm = khg.TransitionModel(ctx_dep=tree, hmm_topo=topo)
    compiler = make_graph_compiler(GmmSystem(tm, tree, khg.AmDiagGmm()), lang.load_fst("L.fst"),
                                   lang.disambig_phone_ids)
    word_ids = transcript_ids(lang, {"u": "READ A BEE"}, "text").word_ids["u"]
    graph = compiler.compile_graph_from_text(word_ids)
    loops = [a for s, a in arcs(graph) if a.nextstate == s and a.ilabel > 0]
    assert loops and all(a.weight.value == 0.0 for a in loops)
