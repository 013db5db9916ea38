"""CMUdict lexicon and Kaldi dict dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykaldi_distill.bin import prepare_dict as prepare_dict_cli
from pykaldi_distill.errors import InputError
from pykaldi_distill.lexicon import (
    cmudict_lexicon,
    cmudict_phones,
    make_dict_dir,
    read_extra_lexicon,
    read_lexicon,
    words_from_text_files,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_cmudict_has_39_stressless_phones_and_all_variants() -> None:
    phones = cmudict_phones()
    assert len(phones) == 39
    assert "AH" in phones and "AH0" not in phones
    lexicon = cmudict_lexicon()
    assert lexicon["READ"] == [("R", "EH", "D"), ("R", "IY", "D")]
    # DH AH0 and DH AH1 collapse once stress is gone; DH IY0 stays.
    assert lexicon["THE"] == [("DH", "AH"), ("DH", "IY")]
    assert all(p in phones for prons in lexicon.values() for pron in prons for p in pron)


def test_words_from_text_files_names_the_first_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a" / "text", "u1 ONE TWO\nu2\n")
    b = write(tmp_path / "b" / "text", "u3 TWO THREE\n")
    assert words_from_text_files([a, b]) == {"ONE": a, "TWO": a, "THREE": b}


def test_make_dict_dir_writes_kaldi_files(tmp_path: Path) -> None:
    text = write(tmp_path / "text", "u1 READ THE BOOK\n")
    d = tmp_path / "dict"
    make_dict_dir(words_from_text_files([text]), d)
    assert (d / "silence_phones.txt").read_text() == "SIL\nSPN\n"
    assert (d / "optional_silence.txt").read_text() == "SIL\n"
    lines = (d / "lexicon.txt").read_text().splitlines()
    assert lines == ["!SIL SIL", "<UNK> SPN", "BOOK B UH K", "READ R EH D", "READ R IY D",
                     "THE DH AH", "THE DH IY"]
    nonsil = (d / "nonsilence_phones.txt").read_text().split()
    assert nonsil == sorted(["AH", "B", "D", "DH", "EH", "IY", "K", "R", "UH"])
    questions = (d / "extra_questions.txt").read_text().splitlines()
    assert questions == ["SIL SPN", " ".join(nonsil)]


def test_unknown_word_names_its_text_file(tmp_path: Path) -> None:
    text = write(tmp_path / "data" / "text", "u1 READ ZYXWQ\n")
    with pytest.raises(InputError, match="ZYXWQ") as err:
        make_dict_dir(words_from_text_files([text]), tmp_path / "dict")
    assert err.value.path == str(text)
    assert "extra lexicon" in str(err.value)
    assert not (tmp_path / "dict" / "lexicon.txt").exists()


def test_unknown_words_listed_and_left_out_with_an_oov_list(tmp_path: Path) -> None:
    text = write(tmp_path / "data" / "text", "u1 READ ZYXWQ\nu2 QWXYZ READ\n")
    lexicon = make_dict_dir(words_from_text_files([text]), tmp_path / "dict",
                            oov_list=tmp_path / "oov.txt")
    assert "READ" in lexicon and "ZYXWQ" not in lexicon
    assert (tmp_path / "oov.txt").read_text() == f"QWXYZ {text}\nZYXWQ {text}\n"
    assert "ZYXWQ" not in (tmp_path / "dict" / "lexicon.txt").read_text()


def test_extra_lexicon_adds_and_replaces(tmp_path: Path) -> None:
    text = write(tmp_path / "text", "u1 READ ZYXWQ\n")
    extra = write(tmp_path / "extra.txt", "zyxwq Z IH1 K S\nREAD R EH2 D\n")
    lexicon = make_dict_dir(words_from_text_files([text]), tmp_path / "dict", extra)
    assert lexicon["ZYXWQ"] == [("Z", "IH", "K", "S")]
    assert lexicon["READ"] == [("R", "EH", "D")]
    assert read_lexicon(tmp_path / "dict" / "lexicon.txt") == lexicon


def test_extra_lexicon_with_unknown_phone(tmp_path: Path) -> None:
    extra = write(tmp_path / "extra.txt", "FOO F QQ\n")
    with pytest.raises(InputError, match="line 1: unknown phone.*QQ") as err:
        read_extra_lexicon(extra)
    assert err.value.path == str(extra)


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = write(tmp_path / "text", "u1 READ QQQZZ\n")
    assert prepare_dict_cli.main([str(text), str(tmp_path / "dict")]) == 1
    err = capsys.readouterr().err
    assert str(text) in err and "QQQZZ" in err
    missing = tmp_path / "nope" / "text"
    assert prepare_dict_cli.main([str(missing), str(tmp_path / "dict")]) == 1
    assert str(missing) in capsys.readouterr().err
    extra = write(tmp_path / "extra.txt", "QQQZZ K Y UW\n")
    assert prepare_dict_cli.main(["--extra-lexicon", str(extra), str(text),
                                  str(tmp_path / "dict")]) == 0
    assert "QQQZZ K Y UW" in (tmp_path / "dict" / "lexicon.txt").read_text()
