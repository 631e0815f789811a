"""Flow + ADM throughput per backend beside the bare OpenCV flow call, on 224 x 224 face crops.

Frames: 65 consecutive frames of a real face (scikit-image's astronaut) under a smooth,
micro-expression-sized warp (up to 1.5 px) plus sensor noise, i.e. one ATNet window (64 flows).
For each backend: pairs/s of the bare flow call, pairs/s of flow + ADM (what `prepare` does per
pair), the ADM share of the time, and the end-point error against the known warp.
Run: .venv/bin/python benchmarks/bench_flow_adm.py   (one process, cv2 threads = 1, as prepare uses)
"""
from __future__ import annotations

import platform
import time

import cv2
import numpy as np
from skimage import data

from atnet.features import BACKENDS, adm, flow


def window(n: int = 65, seed: int = 0):
    rng = np.random.default_rng(seed)
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    face = cv2.resize(gray[40:260, 110:330], (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    gy, gx = np.mgrid[0:224, 0:224].astype(np.float32)
    bump = np.exp(-((gx - 112) ** 2 + (gy - 150) ** 2) / (2 * 30.0 ** 2))
    frames, truth = [], []
    for t in range(n):
        a = 1.5 * np.sin(np.pi * t / (n - 1))             # onset -> apex -> offset
        u, v = (0.6 * a * bump).astype(np.float32), (-0.8 * a * bump).astype(np.float32)
        img = cv2.remap(face, gx - u, gy - v, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        img += rng.normal(0, 1.5, img.shape).astype(np.float32)
        frames.append(np.clip(img + 0.5, 0, 255).astype(np.uint8))
        truth.append(np.stack([u, v], -1))
    return frames, truth


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    cv2.setNumThreads(1)
    frames, truth = window()
    pairs = list(zip(frames[:-1], frames[1:]))
    print(f"machine: {platform.processor() or platform.machine()}, {cv2.getNumberOfCPUs()} CPUs, "
          f"OpenCV {cv2.__version__}, cv2 threads 1; {len(pairs)} pairs of 224 x 224 per run, best of 5\n")
    print("| backend | bare flow (pairs/s) | flow + ADM (pairs/s) | ADM share of time | ADM alone (ms/pair) | mean EPE (px) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for b in BACKENDS:
        flow(*pairs[0], b)  # warm up (creates the OpenCV object)
        bare = best_of(lambda: [flow(p, n, b) for p, n in pairs])
        both = best_of(lambda: [adm(flow(p, n, b)) for p, n in pairs])
        fields = [flow(p, n, b) for p, n in pairs]
        adm_only = best_of(lambda: [adm(f) for f in fields])
        epe = np.mean([np.linalg.norm((f - (t1 - t0))[16:-16, 16:-16], axis=-1).mean()
                       for f, t0, t1 in zip(fields, truth[:-1], truth[1:])])
        print(f"| {b} | {len(pairs) / bare:.1f} | {len(pairs) / both:.1f} | {100 * adm_only / both:.1f}% "
              f"| {1000 * adm_only / len(pairs):.3f} | {epe:.3f} |")


if __name__ == "__main__":
    main()
