"""The training-free spotters: LBP feature difference with Li et al.'s threshold, and MDMD.

X. Li, X. Hong, A. Moilanen, X. Huang, T. Pfister, G. Zhao and M. Pietikäinen, "Towards reading
hidden emotions: a comparative study of spontaneous micro-expression spotting and recognition
methods", IEEE Trans. Affective Computing 9(4), 2018 (after A. Moilanen, G. Zhao and M. Pietikäinen,
"Spotting rapid facial movements from videos using appearance-based feature difference analysis",
ICPR 2014); the field's reference baseline (MEGC 2019's LBP-chi-square baseline, SPOTTING.md).

Per frame: the aligned face crop cut into a 6 x 6 grid, one uniform-LBP histogram (P = 8, R = 1,
59 bins) per block (features.apex_spot.lbp_histograms). For the current frame i, with k frames of
half interval:
  per block b, d_b = chi2(h_b(i), (h_b(i - k) + h_b(i + k)) / 2);
  F_i = the mean of the M largest d_b (M = a third of the blocks: local movements count, global
        noise does not);
  C_i = max(0, F_i - (F_{i-k} + F_{i+k}) / 2) (contrast: rapid changes stand out of slow ones);
  threshold T = mean(C) + p (max(C) - mean(C)), p in [0, 1];
  spotted: the peaks of C above T, at least k frames apart; each gives the interval [i - k, i + k].
Two scales, one pass over the frames: micro (k = micro_s x fps) and macro (k = macro_s x fps), each
proposing intervals of its own kind (no suppression between them: on the synthetic long videos,
dropping micro peaks inside macro proposals lost most micro-expressions to spurious macro ones).

Streaming: only the last 2 k_macro + 1 frames' histograms are held; per frame, one F value per scale
(8 bytes) is kept for the contrast, so memory grows by 16 bytes a frame, not by a frame.

MDMD (`spotter="mdmd"`; S.-J. Wang, S. Wu, X. Qian, J. Li and X. Fu, "A main directional maximal
difference analysis for spotting facial movements from long-term videos", Neurocomputing 230, 2017;
the MEGC 2020/2021 spotting baseline) takes the same steps with optical flow in place of the LBP
distance: d_b of frame i is the main directional maximal difference of block b in the flow from
frame i - k (head) to frame i (current) (features.spot_features.mdmd_blocks); atnet removes the
flow's least-squares affine part first (head motion; a departure from the paper, said here).

Robustness, each a setting so that its gain can be measured (docs/benchmarks.md): `denoise`, a
Gaussian blur of the crop (sigma in px) before any feature (sensor noise swamps a 1-3 px movement in
LBP codes); `eyes="mask"`, the blocks covering the eyes left out of F (blinks are the strongest
rapid movement of a face); `intervals="variable"`, each interval grown to where the contrast falls
back below the threshold (intervals.peak_intervals), so a long macro-expression can be matched.
Everything here is pure: features in, numbers out."""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..core.config import bounded, check_fields
from ..features.flow import flow
from ..features.spot_features import mdmd_blocks, remove_global_motion
from . import Interval
from .intervals import peak_intervals

SPOTTERS = ("lbp", "mdmd", "flow-tcn")   # training-free, and the learned one (spotting/learned.py, spotters.py)
INTERVALS = ("fixed", "variable")
EYES = ("keep", "mask", "ear")        # ear: blinks found from the landmarks' eye aspect ratio, proposals on them
                                      # dropped


@dataclass(frozen=True)
class SpotConfig:
    crop: int = bounded(128, 32, 1024)       # face crop side, px
    blocks: int = bounded(6, 1, 64)          # blocks per side (Li et al.: 6 x 6)
    micro_s: float = bounded(0.12, 0.0, 5.0, lo_open=True)   # micro half interval k, seconds (interval 2k+1 frames, ~0.25 s)
    macro_s: float = bounded(0.5, 0.0, 30.0, lo_open=True)   # macro half interval k, seconds (~1 s)
    p: float = bounded(0.15, 0.0, 1.0)       # threshold T = mean + p (max - mean); a round value, not tuned
    top: float = bounded(1 / 3, 0.0, 1.0, lo_open=True)  # share of the blocks averaged into F (M = 12 of 36)
    redetect_s: float = bounded(2.0, 0.0, 3600.0, lo_open=True)  # re-detect the face every this many seconds
    move: float = bounded(0.05, 0.0, 10.0)   # ... and re-crop when it moved by this share of the face side
    spotter: str = "lbp"                     # lbp | mdmd (training-free) | flow-tcn (learned: spotting/learned.py)
    intervals: str = "fixed"                 # fixed: [peak - k, peak + k] | variable: grown to where the score falls
    eyes: str = "keep"                       # keep | mask (eye blocks left out) | ear (blinks found and dropped)
    denoise: float = bounded(0.0, 0.0, 10.0)  # Gaussian blur of the crop before features, sigma in px (0: none)
    tcn_rate: float = bounded(30.0, 5.0, 1000.0)    # learned spotter: frames per second it reads (every n-th frame)
    tcn_lags: str = "0.2,1.0"                 # ... flows from the frames this many seconds before
    tcn_hidden: int = bounded(64, 4, 1024)    # ... channels of its temporal convolutions
    tcn_steps: int = bounded(600, 1, 100000)  # ... training steps (fixed; nothing is chosen on a held-out subject)
    tcn_lr: float = bounded(1e-3, 0.0, 1.0, lo_open=True)
    tcn_seed: int = bounded(0, 0, 2 ** 31 - 1)

    def __post_init__(self):
        check_fields(self)
        from ..core.errors import CorpusError
        for name, allowed in (("spotter", SPOTTERS), ("intervals", INTERVALS), ("eyes", EYES)):
            if getattr(self, name) not in allowed:
                raise CorpusError(f"--{name} {getattr(self, name)}: choose one of {', '.join(allowed)}.")
        if self.crop // self.blocks < 4:
            raise CorpusError(f"--blocks {self.blocks} with --crop {self.crop}: an LBP block must be at least 4 px, "
                              f"so use --blocks {self.crop // 4} or less (or a larger --crop).")

    def k(self, fps: float, kind: str) -> int:
        return max(1, round((self.micro_s if kind == "micro" else self.macro_s) * fps))


def chi2_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(B, bins) x (B, bins) -> (B,) chi-square distance per block."""
    den = a + b
    num = (a - b) ** 2
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0).sum(1)


def lbp_blocks(h_prev: np.ndarray, h_cur: np.ndarray, h_next: np.ndarray) -> np.ndarray:
    """Li et al.'s per-block difference: chi-square of the current frame's histograms to the mean of
    the frames k before and k after. (B, bins) x 3 -> (B,)."""
    return chi2_blocks(h_cur, (h_prev + h_next) / 2)


def mdmd_diff(c_prev: np.ndarray, c_cur: np.ndarray, c_next: np.ndarray, blocks: int = 6) -> np.ndarray:
    """MDMD's per-block difference from the face crops of the head (i - k) and current (i) frames
    (DIS flow, its affine part removed): (blocks * blocks,)."""
    return mdmd_blocks(remove_global_motion(flow(c_prev, c_cur)), blocks)


def top_mean(d: np.ndarray, top: float, keep: np.ndarray | None = None) -> float:
    """F: the mean of the largest `top` share of the block distances (those in `keep` only)."""
    if keep is not None:
        d = d[keep]
    m = max(1, round(top * len(d)))
    return float(np.sort(d)[-m:].mean())


class Differences:
    """Feature differences of a stream of frames at half interval k: push each frame's feature (LBP
    histograms, or the crop for MDMD) and whether the crop was changed at that frame; F of frame i is
    known once frame i + k is in. A difference that would span a change of crop is NaN (the re-crop,
    not the face, moved). `blocks`: the per-block difference (lbp_blocks, mdmd_diff); `keep`: the
    blocks F may use (None: all; or a function giving them, called when the first F is taken)."""

    def __init__(self, k: int, top: float, blocks=lbp_blocks, keep: np.ndarray | None = None):
        self.k, self.top, self.blocks, self.keep = k, top, blocks, keep
        self.window: deque = deque(maxlen=2 * k + 1)
        self.cuts: deque = deque(maxlen=2 * k + 1)
        self.values: list[float] = []

    def push(self, feature: np.ndarray, cut: bool = False) -> None:
        self.window.append(feature)
        self.cuts.append(cut)
        if len(self.window) == 2 * self.k + 1:
            if callable(self.keep):    # known once the first frame's face is found
                self.keep = self.keep()
            spans_cut = any(list(self.cuts)[1:])   # a new crop at any frame after i - k
            self.values.append(np.nan if spans_cut else top_mean(
                self.blocks(self.window[0], self.window[self.k], self.window[-1]), self.top, self.keep))

    def result(self, n_frames: int) -> np.ndarray:
        """F for every frame (NaN for the first and last k, which have no frame k away, and across a
        change of crop: no contrast is computed from them)."""
        out = np.full(n_frames, np.nan)
        out[self.k:self.k + len(self.values)] = self.values
        return out


def contrast(f: np.ndarray, k: int) -> np.ndarray:
    """C_i = max(0, F_i - (F_{i-k} + F_{i+k}) / 2); 0 where i - k or i + k is outside, or where any
    of the three is NaN (a change of crop)."""
    c = np.zeros_like(f)
    if len(f) > 2 * k:
        c[k:-k] = f[k:-k] - (f[:-2 * k] + f[2 * k:]) / 2
    return np.maximum(np.nan_to_num(c, nan=0.0), 0)


def threshold(c: np.ndarray, p: float) -> float:
    return float(c.mean() + p * (c.max() - c.mean())) if len(c) else 0.0


def propose(c: np.ndarray, k: int, p: float, kind: str, numbers: list[int], variable: bool = False
            ) -> list[Interval]:
    """Intervals around the peaks of c above the threshold (frame numbers): [i - k, i + k], or with
    `variable` grown to where c falls back below it."""
    return peak_intervals(c, k, threshold(c, p), kind, numbers, variable)


def combine(micro: list[Interval], macro: list[Interval]) -> list[Interval]:
    """Both scales' proposals, in time order; each is scored against the truths of its own kind."""
    return sorted(macro + micro, key=lambda x: (x.onset, x.kind))


def spot_histograms(hists: Iterable[tuple[np.ndarray, bool]], numbers: list[int], fps: float,
                    cfg: SpotConfig, keep: np.ndarray | None = None) -> tuple[list[Interval], dict]:
    """Proposals of one video from its frames' features (in order; with whether the crop changed at
    that frame): LBP histograms, or the face crops for MDMD (cfg.spotter). `keep`: the blocks F may use.
    Returns (proposals, trace: the contrast curves and thresholds per scale)."""
    diff = partial(mdmd_diff, blocks=cfg.blocks) if cfg.spotter == "mdmd" else lbp_blocks
    streams = {kind: Differences(cfg.k(fps, kind), cfg.top, diff, keep) for kind in ("micro", "macro")}
    n = 0
    for h, cut in hists:
        for s in streams.values():
            s.push(h, cut)
        n += 1
    trace, found = {}, {}
    for kind, s in streams.items():
        c = contrast(s.result(n), s.k)
        found[kind] = propose(c, s.k, cfg.p, kind, numbers[:n], cfg.intervals == "variable")
        trace[kind] = {"contrast": c, "threshold": threshold(c, cfg.p), "k": s.k}
    return combine(found["micro"], found["macro"]), trace
