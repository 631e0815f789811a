"""Histogram of oriented optical flow (HOOF; Chaudhry et al., CVPR 2009, as the MEGC baselines use
it): per flow field, the orientation atan2(v, u) in [0, 2 pi) split into N equal bins starting at
0 (pointing right), each pixel voting with its magnitude, L1-normalised (all zeros for a still
field).

`folded=True` is Chaudhry et al.'s original binning: each vector is folded about the vertical axis
(its angle taken of (|u|, v), in [-pi/2, pi/2]) and that half circle split into N bins from -pi/2,
so that left and right motion of the same slope share a bin (their invariance to the direction of
travel). The default bins the full circle, as the MEGC baselines' code does."""
from __future__ import annotations

import numpy as np


def hoof(flow: np.ndarray, n_bins: int = 8, folded: bool = False) -> np.ndarray:
    """(H, W, 2) flow -> (n_bins,) float64."""
    u = np.asarray(flow[..., 0], np.float64)
    v = np.asarray(flow[..., 1], np.float64)
    if folded:
        ang = np.arctan2(v, np.abs(u)) + np.pi / 2          # [0, pi]
        idx = np.minimum((ang / (np.pi / n_bins)).astype(int), n_bins - 1)
    else:
        ang = np.mod(np.arctan2(v, u), 2 * np.pi)
        idx = np.minimum((ang / (2 * np.pi / n_bins)).astype(int), n_bins - 1)
    hist = np.bincount(idx.ravel(), weights=np.hypot(u, v).ravel(), minlength=n_bins)
    total = hist.sum()
    return hist / total if total > 0 else hist
