from pathlib import Path

import pytest

from pykaldi_distill.data import evenly_spaced, load_data_dir, split_data
from pykaldi_distill.errors import InputError


def test_load_valid(tiny_data_dir: Path) -> None:
    data = load_data_dir(tiny_data_dir, need_text=True)
    assert data.utts == ["spkA-001", "spkA-002", "spkB-001"]
    assert data.spk2utt == {"spkA": ["spkA-001", "spkA-002"], "spkB": ["spkB-001"]}


def test_missing_wav(tiny_data_dir: Path) -> None:
    wav = Path((tiny_data_dir / "wav.scp").read_text().split()[1])
    wav.unlink()
    with pytest.raises(InputError, match="wav.scp.*not found"):
        load_data_dir(tiny_data_dir)


def test_text_utt_not_in_wav_scp(tiny_data_dir: Path) -> None:
    with open(tiny_data_dir / "text", "a") as f:
        f.write("spkB-002 FIVE\n")
    with pytest.raises(InputError, match="text"):
        load_data_dir(tiny_data_dir)


def test_unsorted(tiny_data_dir: Path) -> None:
    lines = (tiny_data_dir / "text").read_text().splitlines()
    (tiny_data_dir / "text").write_text("\n".join(reversed(lines)) + "\n")
    with pytest.raises(InputError, match="not sorted"):
        load_data_dir(tiny_data_dir)


def test_empty_transcript(tiny_data_dir: Path) -> None:
    text = (tiny_data_dir / "text").read_text().replace("spkA-002 THREE", "spkA-002")
    (tiny_data_dir / "text").write_text(text)
    with pytest.raises(InputError, match="empty transcript"):
        load_data_dir(tiny_data_dir)


def test_spk2utt_mismatch(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "spk2utt").write_text("spkA spkA-001\nspkB spkA-002 spkB-001\n")
    with pytest.raises(InputError, match="spk2utt"):
        load_data_dir(tiny_data_dir)


def test_need_text(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "text").unlink()
    load_data_dir(tiny_data_dir)
    with pytest.raises(InputError, match="text"):
        load_data_dir(tiny_data_dir, need_text=True)


def test_split_by_speaker(tiny_data_dir: Path) -> None:
    parts = split_data(load_data_dir(tiny_data_dir), 2)
    assert sorted(u for p in parts for u in p.utts) == ["spkA-001", "spkA-002", "spkB-001"]
    for p in parts:
        assert len(set(p.utt2spk.values())) == 1
        assert load_data_dir(p.path).utts == p.utts


def test_split_per_utt_balances_a_slow_speaker(tiny_data_dir: Path) -> None:
    data = load_data_dir(tiny_data_dir)
    data.cmvn_scp = {"spkA": "cmvn.ark:5", "spkB": "cmvn.ark:90"}
    parts = split_data(data, 2, per_utt=True)
    assert [p.utts for p in parts] == [["spkA-001", "spkB-001"], ["spkA-002"]]
    assert parts[0].path == tiny_data_dir / "split2utt" / "1"
    assert parts[0].cmvn_scp == data.cmvn_scp  # both speakers' CMVN stats travel along
    assert parts[1].cmvn_scp == {"spkA": "cmvn.ark:5"}
    assert load_data_dir(parts[1].path).spk2utt == {"spkA": ["spkA-002"]}


def test_split_too_many_jobs(tiny_data_dir: Path) -> None:
    with pytest.raises(InputError, match="--nj"):
        split_data(load_data_dir(tiny_data_dir), 5)


def test_evenly_spaced_takes_the_middle_of_n_stretches() -> None:
    items = [f"u{i}" for i in range(10)]
    assert evenly_spaced(items, 3) == ["u1", "u5", "u8"]
    assert evenly_spaced(items, 5) == ["u1", "u3", "u5", "u7", "u9"]
    assert evenly_spaced(items, 10) == items
    assert evenly_spaced(items, 50) == items
    assert evenly_spaced(items, 1) == ["u5"]
