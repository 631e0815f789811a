"""Dense optical flow between two grayscale uint8 frames, by name: DIS, Farneback, TV-L1 (OpenCV).

Each backend returns (H, W, 2) float32 (u, v) in pixels per frame, flow from `prev` to `nxt`.
Default "dis" (DIS medium): the fastest, within 0.07 px end-point error of a known micro-expression
warp of a real face; TV-L1 is the most accurate but about 200 times slower (docs/benchmarks.md)."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

BACKENDS = ("dis", "farneback", "tvl1")


@lru_cache(maxsize=None)
def _dis(shape: tuple[int, int]):
    """One DIS instance per frame size: an instance keeps state from the last size it computed (a
    224 px pair's flow differed by up to 2 px after a 32 px pair, measured), so sharing one across
    sizes made a flow depend on what the process had computed before."""
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


@lru_cache(maxsize=None)
def _tvl1(shape: tuple[int, int]):
    """One per frame size, as DIS (TV-L1's instance keeps state from its last size too, measured)."""
    return cv2.optflow.DualTVL1OpticalFlow_create()  # OpenCV defaults (5 scales, 5 warps)


def flow(prev: np.ndarray, nxt: np.ndarray, backend: str = "dis") -> np.ndarray:
    """(H, W) uint8, (H, W) uint8 -> (H, W, 2) float32."""
    if backend == "dis":
        return _dis(prev.shape[:2]).calc(prev, nxt, None)
    if backend == "farneback":
        return cv2.calcOpticalFlowFarneback(prev, nxt, None, pyr_scale=0.5, levels=3, winsize=15,
                                            iterations=3, poly_n=5, poly_sigma=1.2, flags=0)
    if backend == "tvl1":
        return _tvl1(prev.shape[:2]).calc(prev, nxt, None)
    raise ValueError(f"unknown flow backend {backend!r}; choose one of {', '.join(BACKENDS)}")
