"""Apex spotting inside onset..offset, for clips whose apex is missing or not trusted.

Method (`lbp`, the default): the feature difference of Liong et al. — S.-T. Liong, J. See, K. Wong,
A. C. Le Ngo, Y.-H. Oh and R. C.-W. Phan, "Automatic apex frame spotting in micro-expression
database", ACPR 2015; used again in Liong et al., "Less is more: micro-expression recognition from
video using apex frame", Signal Processing: Image Communication 62 (2018). Each face crop is cut into
a grid of blocks; each block gets a uniform-LBP histogram (P = 8, R = 1, 59 bins); a frame's feature
difference is the chi-square distance of its histograms to the onset frame's, summed over blocks;
the apex is the frame of largest difference. Liong et al. reach that maximum with a divide-and-
conquer search over frame intervals; here every frame of onset..offset is scored, which finds the
same maximum without the search's risk of descending into the wrong half.

Method `flow`: the frame whose dense optical flow from the onset frame has the largest mean
magnitude (a common alternative, e.g. in the MEGC spotting baselines' flow features).

Method `middle`: floor((onset + offset) / 2), the rule the MEGC 2019 composite applies to SMIC,
which has no apex annotation: the baseline any spotting method must beat to be worth its cost.

All functions are pure: frames in, scores and a frame number out."""
from __future__ import annotations

import numpy as np

from skimage.feature import local_binary_pattern

METHODS = ("lbp", "flow", "middle")
GRID = 6          # blocks per side (Liong et al. use a 5 x 5 or 6 x 6 grid on the face)


def lbp_histograms(face: np.ndarray, grid: int = GRID) -> np.ndarray:
    """(grid * grid, 59) L1-normalised non-rotation-invariant uniform LBP histograms of one crop."""
    codes = local_binary_pattern(face, 8, 1, method="nri_uniform").astype(np.int64)   # labels 0..58
    h, w = codes.shape
    ys = np.linspace(0, h, grid + 1).round().astype(int)
    xs = np.linspace(0, w, grid + 1).round().astype(int)
    out = np.zeros((grid * grid, 59), np.float64)
    for i in range(grid):
        for j in range(grid):
            block = codes[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].ravel()
            hist = np.bincount(block, minlength=59)[:59].astype(np.float64)
            out[i * grid + j] = hist / max(hist.sum(), 1.0)
    return out


def chi_square(a: np.ndarray, b: np.ndarray) -> float:
    den = a + b
    keep = den > 0
    return float(((a - b)[keep] ** 2 / den[keep]).sum())


def difference_scores(frames: list[np.ndarray], method: str = "lbp", flow_backend: str = "dis") -> np.ndarray:
    """Per frame, its difference to the first frame (the onset): chi-square of block LBP
    histograms (`lbp`) or mean flow magnitude (`flow`). frames: face crops of onset..offset."""
    if method == "lbp":
        ref = lbp_histograms(frames[0])
        return np.array([chi_square(lbp_histograms(f), ref) for f in frames])
    if method == "flow":
        from . import flow
        return np.array([float(np.linalg.norm(flow(frames[0], f, flow_backend), axis=2).mean()) for f in frames])
    raise ValueError(f"unknown apex spotting method {method!r}; choose one of {', '.join(METHODS)}")


def spot_apex(frames: list[np.ndarray], numbers: list[int], method: str = "lbp", flow_backend: str = "dis") -> int:
    """The frame number of largest difference to the onset (the first of `frames`); with `middle`
    or fewer than three frames, floor((onset + offset) / 2)."""
    if method == "middle" or len(frames) < 3:
        return (numbers[0] + numbers[-1]) // 2
    scores = difference_scores(frames, method, flow_backend)
    return int(numbers[int(np.argmax(scores))])
