"""The training-free reference spotting method: LBP feature difference with Li et al.'s threshold.

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
Everything here is pure: histograms in, numbers out."""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..core.config import bounded, check_fields
from . import Interval


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

    def __post_init__(self):
        check_fields(self)
        if self.crop // self.blocks < 4:
            from ..core.errors import CorpusError
            raise CorpusError(f"--blocks {self.blocks} with --crop {self.crop}: an LBP block must be at least 4 px, "
                              f"so use --blocks {self.crop // 4} or less (or a larger --crop).")

    def k(self, fps: float, kind: str) -> int:
        return max(1, round((self.micro_s if kind == "micro" else self.macro_s) * fps))


def chi2_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(B, bins) x (B, bins) -> (B,) chi-square distance per block."""
    den = a + b
    num = (a - b) ** 2
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0).sum(1)


def difference(h_prev: np.ndarray, h_cur: np.ndarray, h_next: np.ndarray, top: float) -> float:
    """F of the current frame: the mean of the largest `top` share of block distances to the mean
    of the frames k before and k after."""
    d = chi2_blocks(h_cur, (h_prev + h_next) / 2)
    m = max(1, round(top * len(d)))
    return float(np.sort(d)[-m:].mean())


class Differences:
    """Feature differences of a stream of frames at half interval k: push each frame's histograms
    (and whether the crop was changed at that frame); F of frame i is known once frame i + k is in.
    A difference that would span a change of crop is NaN (the re-crop, not the face, moved)."""

    def __init__(self, k: int, top: float):
        self.k, self.top = k, top
        self.window: deque = deque(maxlen=2 * k + 1)
        self.cuts: deque = deque(maxlen=2 * k + 1)
        self.values: list[float] = []

    def push(self, hist: np.ndarray, cut: bool = False) -> None:
        self.window.append(hist)
        self.cuts.append(cut)
        if len(self.window) == 2 * self.k + 1:
            spans_cut = any(list(self.cuts)[1:])   # a new crop at any frame after i - k
            self.values.append(np.nan if spans_cut else difference(self.window[0], self.window[self.k],
                                                                    self.window[-1], self.top))

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


def peaks(c: np.ndarray, t: float, distance: int) -> list[int]:
    """Indices of local maxima of c above t, greedily strongest first, at least `distance` apart."""
    if len(c) < 3:
        return []
    cand = np.flatnonzero((c[1:-1] > t) & (c[1:-1] >= c[:-2]) & (c[1:-1] >= c[2:])) + 1
    kept: list[int] = []
    for i in cand[np.argsort(-c[cand], kind="stable")]:
        if all(abs(int(i) - j) >= distance for j in kept):
            kept.append(int(i))
    return sorted(kept)


def propose(c: np.ndarray, k: int, p: float, kind: str, numbers: list[int]) -> list[Interval]:
    """Intervals [i - k, i + k] (frame numbers) around the peaks of c above the threshold."""
    t = threshold(c, p)
    last = len(numbers) - 1
    return [Interval(numbers[max(0, i - k)], numbers[min(last, i + k)], kind, numbers[i], float(c[i]))
            for i in peaks(c, t, k)]


def combine(micro: list[Interval], macro: list[Interval]) -> list[Interval]:
    """Both scales' proposals, in time order; each is scored against the truths of its own kind."""
    return sorted(macro + micro, key=lambda x: (x.onset, x.kind))


def spot_histograms(hists: Iterable[tuple[np.ndarray, bool]], numbers: list[int], fps: float,
                    cfg: SpotConfig) -> tuple[list[Interval], dict]:
    """Proposals of one video from its frames' histograms (in order; with whether the crop changed at
    that frame). Returns (proposals, trace: the contrast curves and thresholds per scale)."""
    streams = {kind: Differences(cfg.k(fps, kind), cfg.top) for kind in ("micro", "macro")}
    n = 0
    for h, cut in hists:
        for s in streams.values():
            s.push(h, cut)
        n += 1
    trace, found = {}, {}
    for kind, s in streams.items():
        c = contrast(s.result(n), s.k)
        found[kind] = propose(c, s.k, cfg.p, kind, numbers[:n])
        trace[kind] = {"contrast": c, "threshold": threshold(c, cfg.p), "k": s.k}
    return combine(found["micro"], found["macro"]), trace
