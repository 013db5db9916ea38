"""WSJ data preparation (corpus/wsj.py, bin/prepare_wsj.py) and SPHERE reading
(formats/sphere.py, bin/sph2pipe.py) on a miniature corpus in the discs' layout."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from fake_corpora import make_fake_wsj, sphere_file

from pykaldi_distill.audio import read_audio
from pykaldi_distill.bin import prepare_wsj as cli
from pykaldi_distill.corpus.wsj import normalise
from pykaldi_distill.data import load_data_dir
from pykaldi_distill.errors import InputError
from pykaldi_distill.formats.sphere import sphere_to_wav

ROOT = Path(__file__).resolve().parents[1]


def wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


@pytest.mark.parametrize("shorten", [True, False])
def test_sphere_files_read_back_sample_for_sample(tmp_path: Path, shorten: bool) -> None:
    rng = np.random.default_rng(0)
    samples = (np.cumsum(rng.integers(-300, 300, 3 * 256 + 77)) % 20000 - 10000).astype("<i2")
    f = tmp_path / "x.wv1"
    f.write_bytes(sphere_file(samples, shorten=shorten))
    assert np.array_equal(wav_samples(sphere_to_wav(f)), samples)
    piped = subprocess.run([str(ROOT / "local/sph2pipe"), str(f)], capture_output=True,
                           check=True)
    assert piped.stdout == sphere_to_wav(f) and not piped.stderr


def test_not_a_sphere_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.wv1"
    f.write_bytes(b"RIFF....")
    with pytest.raises(InputError, match="not a NIST SPHERE file"):
        sphere_to_wav(f)


def test_transcripts_normalised_as_kaldi() -> None:
    assert normalise("the [loud_breath] <and> [<door_slam] sale\\'s . ~ %percent --dash") == \
        "THE <NOISE> AND SALE'S PERCENT -DASH"


@pytest.fixture(scope="module")
def wsj(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_fake_wsj(tmp_path_factory.mktemp("wsj"))


def test_data_dirs_and_disc_lm(wsj: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert cli.main([str(out), *map(str, wsj)]) == 0
    train = load_data_dir(out / "train", need_text=True)
    assert len(train.utts) == 40 and not any(u.startswith("401") for u in train.utts)
    assert set(train.spk2utt) == {"011", "01a", "46a", "46b"}
    dev, test = load_data_dir(out / "dev", True), load_data_dir(out / "test", True)
    assert set(dev.spk2utt) == {"4k0", "4k6"} and set(test.spk2utt) == {"440", "441"}
    assert any("<NOISE>" in t for t in train.text.values())
    for data in (train, dev, test):
        assert not any(c in t for t in data.text.values() for c in "[]<.~" if data is not train)
    spec = test.wav_scp["440c0201"]
    assert spec.startswith(str(ROOT / "local/sph2pipe")) and spec.endswith("440c0201.wv1 |")
    assert read_audio(spec, 16000).size > 8000
    arpa = gzip.decompress((out / "local/lm_tg.arpa.gz").read_bytes()).decode()
    assert arpa.startswith("\\data\\\n")


@pytest.mark.parametrize("damage, names", [
    (lambda c1, c2: shutil.rmtree(c2 / "13-34.1"),
     ["13-34.1", "wsj1/doc/indices/si_tr_s.ndx", "is missing"]),
    (lambda c1, c2: (c1 / "11-1.1/wsj0/si_tr_s/011/011c0203.wv1").unlink(),
     ["011c0203.wv1", "is missing (listed in", "tr_s_wv1.ndx"]),
    (lambda c1, c2: (c2 / "13-16.1/wsj1/si_dt_20/4k6/4k6c0200.dot").unlink(),
     ["4k6c0201", "no transcript file (4k6c0200.dot)"]),
    (lambda c1, c2: shutil.rmtree(c1 / "11-14.1"),
     ["si_et_20.ndx", "names disc 11-14.1, which is not among the discs given"]),
])
def test_an_incomplete_corpus_is_named(wsj: tuple[Path, Path], tmp_path: Path, damage, names,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    copies = [tmp_path / p.name for p in wsj]
    for src, dst in zip(wsj, copies, strict=True):
        shutil.copytree(src, dst)
    damage(*copies)
    assert cli.main([str(tmp_path / "data"), *map(str, copies)]) == 1
    err = capsys.readouterr().err
    for name in names:
        assert name in err
    assert not (tmp_path / "data/train").exists()
