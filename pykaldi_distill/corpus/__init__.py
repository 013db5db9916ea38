"""Synthetic speech corpora made offline (TTS voices plus light perturbation)."""

from .digits import PUBLIC_SIZES, SIZES, make_digits_corpus, plan_corpus
from .tts import VOICES, Voice, synthesize

__all__ = ["PUBLIC_SIZES", "SIZES", "VOICES", "Voice", "make_digits_corpus", "plan_corpus",
           "synthesize"]
