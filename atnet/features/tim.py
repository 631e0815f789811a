"""Temporal interpolation model (TIM; Zhou, Zhao and Pietikainen, CVPR 2011): a clip of N frames is
embedded on the curve of the path graph's Laplacian eigenvectors, y_k(s) = cos(pi k (s - 1/2) / N)
for k = 1 .. N-1 at frame positions s = 1 .. N; a linear map from the curve to the frames (fitted
exactly, through the frames' mean) gives a frame for any position, so n frames come from n positions
evenly spaced over [1, N]. `linear` is plain linear interpolation in time, by name."""
from __future__ import annotations

import numpy as np

METHODS = ("tim", "linear")


def _curve(s: np.ndarray, n_frames: int) -> np.ndarray:
    """(len(s),) positions in [1, N] -> (N - 1, len(s)) curve coordinates."""
    k = np.arange(1, n_frames)[:, None]
    return np.cos(np.pi * k * (s[None, :] - 0.5) / n_frames)


def tim(volume: np.ndarray, n: int, method: str = "tim") -> np.ndarray:
    """(T, H, W) -> (n, H, W) float64, the clip resampled to n frames."""
    v = np.asarray(volume, np.float64)
    t = v.shape[0]
    if t == 0 or n < 1:
        raise ValueError(f"tim needs at least one frame in and out, got {t} -> {n}")
    pos = np.linspace(1, t, n)
    if t == 1:
        return np.repeat(v, n, axis=0)
    if method == "linear":
        lo = np.clip(np.floor(pos).astype(int), 1, t - 1)
        w = (pos - lo)[:, None, None]
        return (1 - w) * v[lo - 1] + w * v[lo]
    if method != "tim":
        raise ValueError(f"unknown interpolation {method!r}; choose one of {', '.join(METHODS)}")
    x = v.reshape(t, -1)                                    # (T, D)
    mean = x.mean(0)
    y = _curve(np.arange(1, t + 1, dtype=np.float64), t)    # (T - 1, T)
    # frames = mean + y^T w; the rows of y are orthogonal with squared norm T / 2 (the DCT-II basis),
    # so the exact least-squares fit is a projection
    w = (y @ (x - mean)) * (2.0 / t)                        # (T - 1, D)
    return (mean + _curve(pos, t).T @ w).reshape(n, *v.shape[1:])
