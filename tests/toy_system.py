"""A toy acoustic world for GMM/graph/decoder tests: two words, one phone each, features
drawn from per-phone Gaussians, a hand-built lexicon and grammar."""

from __future__ import annotations

import math

import kaldifst
import numpy as np

from pykaldi_distill.formats import model_io

SIL, A, B = 1, 2, 3
DISAMBIG = 4  # "#0"
WORDS = {"<eps>": 0, "WA": 1, "WB": 2}
PHONE_OF_WORD = {1: A, 2: B}
TOPO_TEXT = """<Topology>
<TopologyEntry>
<ForPhones>
2 3
</ForPhones>
<State> 0 <PdfClass> 0 <Transition> 0 0.75 <Transition> 1 0.25 </State>
<State> 1 <PdfClass> 1 <Transition> 1 0.75 <Transition> 2 0.25 </State>
<State> 2 <PdfClass> 2 <Transition> 2 0.75 <Transition> 3 0.25 </State>
<State> 3 </State>
</TopologyEntry>
<TopologyEntry>
<ForPhones>
1
</ForPhones>
<State> 0 <PdfClass> 0 <Transition> 0 0.75 <Transition> 1 0.25 </State>
<State> 1 </State>
</TopologyEntry>
</Topology>
"""
MEANS = {SIL: np.array([0.0, 0.0, 0.0]), A: np.array([4.0, 0.0, 0.0]),
         B: np.array([0.0, 4.0, 0.0])}


def topology():
    return model_io.to_khg_topology(model_io.parse_topology_text(TOPO_TEXT))


def lexicon_fst(with_disambig: bool = False) -> kaldifst.StdVectorFst:
    """Word loop with optional silence between words."""
    fst = kaldifst.StdVectorFst()
    s = fst.add_state()
    fst.start = s
    fst.set_final(s, 0.0)
    for word, phone in PHONE_OF_WORD.items():
        fst.add_arc(s, kaldifst.StdArc(phone, word, 0.0, s))
    fst.add_arc(s, kaldifst.StdArc(SIL, 0, 0.0, s))
    if with_disambig:
        fst.add_arc(s, kaldifst.StdArc(DISAMBIG, 0, 0.0, s))
    return fst


def grammar_fst() -> kaldifst.StdVectorFst:
    fst = kaldifst.StdVectorFst()
    s = fst.add_state()
    fst.start = s
    fst.set_final(s, math.log(3))
    for word in PHONE_OF_WORD:
        fst.add_arc(s, kaldifst.StdArc(word, word, math.log(3), s))
    return fst


def utterance(words: list[int], rng: np.random.Generator) -> np.ndarray:
    """(frames, 3) float32: silence, each word's phone for 9-15 frames (sometimes silence
    between words), silence."""
    segments = [(SIL, int(rng.integers(4, 12)))]
    for w in words:
        segments.append((PHONE_OF_WORD[w], int(rng.integers(9, 16))))
        if rng.random() < 0.5:
            segments.append((SIL, int(rng.integers(3, 8))))
    segments.append((SIL, int(rng.integers(4, 12))))
    frames = [MEANS[p] + rng.normal(scale=0.7, size=(n, 3)) for p, n in segments]
    return np.concatenate(frames).astype(np.float32)


def corpus(num_utts: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, list[int]]]:
    rng = np.random.default_rng(seed)
    feats, texts = {}, {}
    for i in range(num_utts):
        words = [int(w) for w in rng.integers(1, 3, size=int(rng.integers(1, 4)))]
        feats[f"u{i:03d}"] = utterance(words, rng)
        texts[f"u{i:03d}"] = words
    return feats, texts
