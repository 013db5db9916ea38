"""LibriSpeech-layout data preparation (corpus/librispeech.py, bin/prepare_librispeech.py) on
a miniature corpus in the real layout, spoken by espeak-ng voices."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fake_corpora import LibriPart, make_fake_librispeech

from pykaldi_distill.audio import read_audio
from pykaldi_distill.bin import prepare_librispeech as cli
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.formats.io import read_table

TRAIN = LibriPart("train-clean-5", (("19", "F", 2), ("26", "M", 1)), 2)
HELD_OUT = LibriPart("dev-clean-2", (("84", "F", 1), ("174", "M", 1), ("251", "M", 1)), 2)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_librispeech(tmp_path_factory.mktemp("mini_libri"), [TRAIN, HELD_OUT])


def test_data_dirs_as_kaldis_recipe_makes_them(corpus: Path, tmp_path: Path) -> None:
    assert cli.main([str(corpus), str(tmp_path / "data")]) == 0
    train = load_data_dir(tmp_path / "data/train", need_text=True)
    assert train.utts == ["19-100-0000", "19-100-0001", "19-101-0000", "19-101-0001",
                          "26-110-0000", "26-110-0001"]
    assert train.utt2spk["19-101-0001"] == "19-101"  # a chapter is a speaker
    assert train.wav_scp["26-110-0000"].startswith("flac -c -d -s /")
    assert train.wav_scp["26-110-0000"].endswith("/26/110/26-110-0000.flac |")
    samples = read_audio(train.wav_scp["26-110-0000"], 16000)
    assert samples.size > 16000 * 0.5
    assert read_table(tmp_path / "data/train/spk2gender") == {"19-100": "f", "19-101": "f",
                                                              "26-110": "m"}
    dev = load_data_dir(tmp_path / "data/dev", need_text=True)
    test = load_data_dir(tmp_path / "data/test", need_text=True)
    dev_readers = {s.split("-")[0] for s in dev.spk2utt}
    test_readers = {s.split("-")[0] for s in test.spk2utt}
    assert dev_readers | test_readers == {"84", "174", "251"} and not dev_readers & test_readers
    assert len(dev.utts) + len(test.utts) == 6


def test_the_corpus_dir_may_be_librispeech_itself(corpus: Path, tmp_path: Path) -> None:
    assert cli.main([str(corpus / "LibriSpeech"), str(tmp_path / "data")]) == 0


@pytest.mark.parametrize("damage, names", [
    (lambda c: shutil.rmtree(c / "LibriSpeech/dev-clean-2"),
     ["dev-clean-2", "is missing (found: train-clean-5)", "unpack dev-clean-2"]),
    (lambda c: (c / "LibriSpeech/train-clean-5/26/110/26-110.trans.txt").unlink(),
     ["26-110.trans.txt", "is missing"]),
    (lambda c: (c / "LibriSpeech/train-clean-5/19/101/19-101-0001.flac").unlink(),
     ["19-101-0001.flac", "named in 19-101.trans.txt"]),
    (lambda c: (c / "LibriSpeech/train-clean-5/19/notes").mkdir(),
     ["19/notes", "is not <reader>/<chapter>"]),
    (lambda c: shutil.move(c / "LibriSpeech", c / "librispeech"),
     ["has no LibriSpeech/ directory", "LibriSpeech/<part>/<reader>/<chapter>/"]),
])
def test_an_incomplete_corpus_is_named(corpus: Path, tmp_path: Path, damage, names,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    damage(copy)
    assert cli.main([str(copy), str(tmp_path / "data")]) == 1
    err = capsys.readouterr().err
    for name in names:
        assert name in err
    assert not (tmp_path / "data/train/wav.scp").exists()
