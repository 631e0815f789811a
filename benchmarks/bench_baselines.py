"""Handcrafted feature extraction speed: clips per second for each of the eight settings (TIM to 10
or 64 frames, then LBP-TOP or HOOF), and the vectorised LBP-TOP beside scikit-image's
`local_binary_pattern` looped slice by slice over the three planes (the obvious alternative; the
codes are identical, tests/test_baselines.py).

Clips: 40 frames of 112 x 112 (the demo's window crops are 112 px, up to 65 frames), a real face
(scikit-image's astronaut) with a drifting warp and noise. One process.
Run: .venv/bin/python benchmarks/bench_baselines.py
"""
from __future__ import annotations

import time

import cv2
import numpy as np
from skimage import data
from skimage.feature import local_binary_pattern

from atnet.features.lbptop import lbp_top
from atnet.features.tim import tim
from atnet.methods.baselines import BASELINES, clip_feature


def clip(n: int = 40, size: int = 112) -> np.ndarray:
    rng = np.random.default_rng(0)
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    face = cv2.resize(gray[40:260, 110:330], (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    out = []
    for t in range(n):
        m = np.float32([[1, 0, 0.05 * t], [0, 1, 0.02 * t]])
        img = cv2.warpAffine(face, m, (size, size), borderMode=cv2.BORDER_REFLECT) + rng.normal(0, 2, (size, size))
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(out)


def skimage_lbp_top(v: np.ndarray, p: int, r: int = 3) -> np.ndarray:
    t, h, w = v.shape
    planes = [np.stack([local_binary_pattern(s, p, r, method="nri_uniform") for s in v])[r:t - r, r:h - r, r:w - r],
              np.stack([local_binary_pattern(v[:, y], p, r, method="nri_uniform") for y in range(r, h - r)])[:, r:t - r, r:w - r],
              np.stack([local_binary_pattern(v[:, :, x], p, r, method="nri_uniform") for x in range(r, w - r)])[:, r:t - r, r:h - r]]
    hists = [np.bincount(c.astype(int).ravel(), minlength=p * (p - 1) + 3) for c in planes]
    return np.concatenate([h / h.sum() for h in hists])


def rate(fn, seconds: float = 3.0) -> float:
    fn()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t)


def main() -> None:
    cv2.setNumThreads(1)
    v = clip()
    print(f"clip: {v.shape[0]} frames of {v.shape[1]} x {v.shape[2]}; one process\n")
    print("| setting | clips/s (TIM + feature) |\n| --- | --- |")
    for m in BASELINES:
        print(f"| {m} | {rate(lambda: clip_feature(m, v)):.1f} |", flush=True)
    print("\n| LBP-TOP on the TIM clip | atnet (clips/s) | scikit-image slice loop (clips/s) | speed-up |")
    print("| --- | --- | --- | --- |")
    for n in (10, 64):
        frames = np.clip(np.rint(tim(v, n)), 0, 255).astype(np.uint8)
        for p in (4, 8):
            np.testing.assert_array_equal(lbp_top(frames, p), skimage_lbp_top(frames, p))
            a, b = rate(lambda: lbp_top(frames, p)), rate(lambda: skimage_lbp_top(frames, p))
            print(f"| P={p}, TIM={n} | {a:.1f} | {b:.1f} | {a / b:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
