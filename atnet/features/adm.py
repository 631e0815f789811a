"""Average direction-magnitude (ADM) feature, ATNet paper eqs. 1-5 (SPEC sections 3-4).

A flow field is split into a grid x grid array of cells (8 x 8 cells of 28 x 28 px at 224 px).
Per cell: magnitude rho = mean(sqrt(u^2 + v^2)) and a direction theta, interleaved per cell in
row-major cell order: [theta_00, rho_00, theta_01, rho_01, ...] -> 2 * grid^2 values (128).

Direction, by name:
- "paper": the paper's arithmetic mean of atan2(v, u) in [-pi, pi]. Wrong near +-pi: vectors at
  +179 and -179 degrees average to 0 degrees, the opposite way.
- "circular": atan2(mean v, mean u), the direction of the cell's mean flow vector, i.e. a
  magnitude-weighted circular mean. +179 and -179 average to 180 degrees.
"""
from __future__ import annotations

import cv2
import numpy as np

MEANS = ("circular", "paper")


def cell_means(x: np.ndarray, grid: int) -> np.ndarray:
    """(H, W) float32 -> (grid, grid) mean of each cell; cell edges at round(k * H / grid)."""
    h, w = x.shape
    if h % grid == 0 and w % grid == 0:  # exact block means, fast
        return cv2.resize(x, (grid, grid), interpolation=cv2.INTER_AREA)
    ys = np.round(np.arange(grid) * h / grid).astype(int)
    xs = np.round(np.arange(grid) * w / grid).astype(int)
    sums = np.add.reduceat(np.add.reduceat(x, ys, axis=0), xs, axis=1)
    counts = np.outer(np.diff(np.append(ys, h)), np.diff(np.append(xs, w)))
    return (sums / counts).astype(np.float32)


def adm(flow: np.ndarray, grid: int = 8, mean: str = "circular") -> np.ndarray:
    """(H, W, 2) flow -> (2 * grid * grid,) float32, (direction, magnitude) interleaved per cell."""
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"flow must be (H, W, 2), got {flow.shape}")
    u = np.ascontiguousarray(flow[..., 0], dtype=np.float32)
    v = np.ascontiguousarray(flow[..., 1], dtype=np.float32)
    mag, ang = cv2.cartToPolar(u, v)                    # ang in [0, 2pi)
    rho = cell_means(mag, grid)
    if mean == "paper":
        ang = np.where(ang > np.pi, ang - 2 * np.pi, ang).astype(np.float32)  # atan2's [-pi, pi]
        theta = cell_means(ang, grid)
    elif mean == "circular":
        theta = np.arctan2(cell_means(v, grid), cell_means(u, grid)).astype(np.float32)
    else:
        raise ValueError(f"unknown ADM mean {mean!r}; choose one of {', '.join(MEANS)}")
    return np.stack([theta, rho], axis=-1).reshape(-1)   # (grid, grid, 2) -> interleaved


def window_pairs(frame_numbers, onset: int, apex: int, offset: int, half: int = 32) -> list[tuple[int, int]]:
    """Flow pairs (f, f+1) of the window apex-half .. apex+half whose frames both lie in
    [onset, offset] and in the clip, in time order. The window holds 2 * half flows (64)."""
    have = set(frame_numbers)
    pairs = []
    for f in range(apex - half, apex + half):
        if onset <= f and f + 1 <= offset and f in have and f + 1 in have:
            pairs.append((f, f + 1))
    return pairs


def assemble(rows: list[np.ndarray], n_rows: int = 64, dim: int = 128) -> np.ndarray:
    """The release's layout: zeros first, the valid rows moved to the end. -> (n_rows, dim) float32."""
    out = np.zeros((n_rows, dim), np.float32)
    if rows:
        out[n_rows - len(rows):] = np.stack(rows)
    return out
