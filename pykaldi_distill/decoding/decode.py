"""HCLG decoding with Kaldi's LatticeFasterDecoder: GMM likelihoods (gmm-latgen-faster) or
hybrid neural pseudo-log-likelihoods, log p(s|x) - log p(s) (nnet-forward | latgen-faster-mapped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import kaldi_hmm_gmm as khg
import kaldifst
import numpy as np

from ..formats.io import write_table, write_text_atomic
from ..hmm.transitions import transition_id_matrix


@dataclass
class DecoderConfig:
    """Kaldi decode.sh defaults."""

    beam: float = 13.0
    max_active: int = 7000
    min_active: int = 200
    lattice_beam: float = 6.0
    allow_partial: bool = True


@dataclass
class DecodeResult:
    words: list[int]
    alignment: list[int]  # transition-ids
    loglike: float
    ok: bool


def make_decoder(hclg: kaldifst.StdVectorFst, config: DecoderConfig) -> khg.LatticeFasterDecoder:
    opts = khg.LatticeFasterDecoderConfig(beam=config.beam, max_active=config.max_active,
                                          min_active=config.min_active,
                                          lattice_beam=config.lattice_beam)
    return khg.LatticeFasterDecoder(hclg, opts)


def _run(decoder: khg.LatticeFasterDecoder, decodable: khg.DecodableInterface,
         tm: khg.TransitionModel, utt: str, config: DecoderConfig) -> DecodeResult:
    ok, ali, words, loglike = khg.decode_utterance_lattice_faster(
        decoder=decoder, decodable=decodable, trans_model=tm, utt=utt,
        allow_partial=config.allow_partial)
    return DecodeResult(list(words), list(ali), float(loglike), bool(ok))


def decode_gmm(decoder: khg.LatticeFasterDecoder, tm: khg.TransitionModel, am: khg.AmDiagGmm,
               feats: np.ndarray, acwt: float, config: DecoderConfig,
               utt: str = "utt") -> DecodeResult:
    """feats: (frames, dim) float32 after the model's CMVN/deltas."""
    decodable = khg.DecodableAmDiagGmmScaled(am=am, tm=tm, feats=feats, scale=acwt)
    return _run(decoder, decodable, tm, utt, config)


def decode_loglikes(decoder: khg.LatticeFasterDecoder, tm: khg.TransitionModel,
                    pdf_loglikes: np.ndarray, acwt: float, config: DecoderConfig,
                    utt: str = "utt") -> DecodeResult:
    """Hybrid decoding. pdf_loglikes: (frames, pdfs) pseudo-log-likelihoods."""
    decodable = khg.DecodableCtc(transition_id_matrix(pdf_loglikes * acwt, tm))
    return _run(decoder, decodable, tm, utt, config)


@dataclass
class GmmTables:
    """All Gaussians of an AmDiagGmm stacked for vectorised likelihoods."""

    gconsts: np.ndarray  # (G,) float64
    means_invvars: np.ndarray  # (G, dim) float64
    inv_vars: np.ndarray  # (G, dim) float64
    pdf_of_gauss: np.ndarray  # (G,) int64
    num_pdfs: int

    @classmethod
    def of(cls, am: khg.AmDiagGmm) -> GmmTables:
        gconsts, mi, iv, owner = [], [], [], []
        for pdf in range(am.num_pdfs):
            gmm = am.get_pdf(pdf)
            gconsts.append(np.asarray(gmm.gconsts, np.float64))
            mi.append(np.asarray(gmm.means_invvars, np.float64))
            iv.append(np.asarray(gmm.inv_vars, np.float64))
            owner.append(np.full(gmm.num_gauss, pdf, np.int64))
        return cls(np.concatenate(gconsts), np.concatenate(mi), np.concatenate(iv),
                   np.concatenate(owner), am.num_pdfs)

    def loglikes(self, feats: np.ndarray) -> np.ndarray:
        """(frames, dim) -> (frames, pdfs): log sum_g w_g N(x; mu_g, Sigma_g), as DiagGmm."""
        x = np.asarray(feats, np.float64)
        per_gauss = self.gconsts + x @ self.means_invvars.T - 0.5 * (x * x) @ self.inv_vars.T
        out = np.full((x.shape[0], self.num_pdfs), -np.inf)
        peak = np.full_like(out, -np.inf)
        np.maximum.at(peak.T, self.pdf_of_gauss, per_gauss.T)
        sums = np.zeros_like(out)
        np.add.at(sums.T, self.pdf_of_gauss, np.exp(per_gauss - peak[:, self.pdf_of_gauss]).T)
        out = peak + np.log(sums)
        return out.astype(np.float32)


def pdf_loglikes_from_gmm(am: khg.AmDiagGmm, feats: np.ndarray) -> np.ndarray:
    """(frames, dim) -> (frames, pdfs) GMM log-likelihoods."""
    return GmmTables.of(am).loglikes(feats)


SINGLE_SETTING = ("0.0", "1")  # (wip, lmwt) of a recogniser with one hypothesis per utterance


def write_single_setting(out_dir: Path, hyps: dict[str, str], cpu_seconds: float,
                         wall_seconds: float, audio_seconds: float,
                         extra: dict[str, float] | None = None) -> dict[str, float]:
    """Hypotheses of a peer recogniser (one setting: no LM weight to sweep) as
    `penalty_0.0/1.txt` and its time per second of audio as `rtf.json`, the layout decode.py
    writes, so merge_decode.py and score.py finish the job. Returns the stats."""
    wip, lmwt = SINGLE_SETTING
    write_table(out_dir / f"penalty_{wip}" / f"{lmwt}.txt", hyps)
    stats = {"frames": round(audio_seconds * 100), "decode_seconds": wall_seconds,
             "cpu_seconds": cpu_seconds, "audio_seconds": audio_seconds,
             "rtf": wall_seconds / audio_seconds, "rtf_cpu": cpu_seconds / audio_seconds,
             "failed": 0, **(extra or {})}
    write_text_atomic(out_dir / "rtf.json", json.dumps(stats) + "\n")
    return stats
