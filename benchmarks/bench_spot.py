"""Speed of `atnet spot` in frames per second per process (one core), beside the corpus's frame rate.

One synthetic SAMM-LV-layout video (200 fps, 240 x 240 frames, 8 s = 1600 frames) is spotted whole
(read, face tracked and re-detected every 2 s, cropped to 128 px, LBP block histograms, two scales
of feature differences), once with atnet's LBP (features.lbptop, equal to scikit-image code for
code) and once with scikit-image's local_binary_pattern, the obvious alternative; then the stages
are timed alone, and the decoding of one full-size SAMM-LV frame (2040 x 1088 JPEG) is timed to
project the speed on the real corpus. Real time on 2 cores for 200 fps means 100 frames/s per process.
Then every spotter on one CAS(ME)^2-layout video (30 fps, 20 s = 600 frames): lbp, lbp with the
robust settings, lbp with blinks by EAR (dlib landmarks every frame), mdmd, mdmd robust, and the
learned flow-tcn (a network fitted on that video's own features: its speed, not its accuracy).
Real time on 2 cores for 30 fps means 15 frames/s per process.

    .venv/bin/python benchmarks/bench_spot.py
"""
from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

cv2.setNumThreads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    import torch
    from skimage.feature import local_binary_pattern

    from atnet.data import faces
    from atnet.data.datasets import samm_lv
    from atnet.data.datasets.synthetic_long import synthesize_long
    from atnet.data.prepare import PrepConfig, find_square
    from atnet.features import apex_spot
    from atnet.spotting import run
    from atnet.spotting.method import SpotConfig

    torch.set_num_threads(1)
    cfg, prep = SpotConfig(), PrepConfig()
    with tempfile.TemporaryDirectory() as tmp:
        roots = synthesize_long(tmp, subjects=1, videos=1, seconds={"samm-lv": 8.0, "casme-sq": 2.0}, micro=2,
                                macro=1, jobs=1)
        video = samm_lv.load(roots["samm-lv"]).videos[0]
        n = len(video.numbers)
        run.spot_video(video, cfg, prep)                       # warm up (dlib model load)
        t = time.perf_counter()
        run.spot_video(video, cfg, prep)
        ours = n / (time.perf_counter() - t)

        def skimage_hist(face, grid=6):
            codes = local_binary_pattern(face, 8, 1, method="nri_uniform").astype(np.int64)
            blocks = apex_spot._block_index(*codes.shape, grid)
            out = np.bincount((blocks * 59 + codes).ravel(), minlength=grid * grid * 59).reshape(grid * grid, 59)
            return out / np.maximum(out.sum(1, keepdims=True), 1.0)

        original = run.lbp_histograms
        run.lbp_histograms = skimage_hist
        t = time.perf_counter()
        run.spot_video(video, cfg, prep)
        alt = n / (time.perf_counter() - t)
        run.lbp_histograms = original

        frames = [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in video.frames[:200]]
        stage = {}
        t = time.perf_counter()
        for f in video.frames[:200]:
            cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
        stage["decode (240 x 240 JPEG)"] = (time.perf_counter() - t) / 200
        sq, _, _ = find_square(frames[0], prep)
        t = time.perf_counter()
        for _ in range(5):
            find_square(frames[0], prep)
        stage["face detection + landmarks (every 2 s = 400 frames)"] = (time.perf_counter() - t) / 5 / 400
        t = time.perf_counter()
        crops = [faces.crop(g, sq, cfg.crop) for g in frames]
        stage["crop 128 px"] = (time.perf_counter() - t) / 200
        t = time.perf_counter()
        for c in crops:
            apex_spot.lbp_histograms(c, cfg.blocks)
        stage["LBP block histograms (atnet)"] = (time.perf_counter() - t) / 200
        t = time.perf_counter()
        for c in crops:
            skimage_hist(c)
        stage["LBP block histograms (scikit-image)"] = (time.perf_counter() - t) / 200
        big = cv2.resize(frames[0], (2040, 1088))
        path = Path(tmp) / "big.jpg"
        cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
        t = time.perf_counter()
        for _ in range(30):
            cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        big_decode = (time.perf_counter() - t) / 30
    spotters = each_spotter(run, SpotConfig, prep)
    per_frame_rest = 1 / ours - stage["decode (240 x 240 JPEG)"]
    real = 1 / (big_decode + per_frame_rest)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, one process, torch and "
          f"OpenCV single-threaded")
    print(f"video: synthetic SAMM-LV layout, {n} frames at 200 fps, 240 x 240")
    print("| pipeline | frames/s per process | x real time (200 fps) on 2 processes |")
    print("| --- | --- | --- |")
    print(f"| atnet spot (atnet LBP) | {ours:.0f} | {2 * ours / 200:.2f} |")
    print(f"| atnet spot with scikit-image LBP | {alt:.0f} | {2 * alt / 200:.2f} |")
    print(f"ratio atnet / scikit-image LBP: {ours / alt:.2f}")
    print("| stage | ms per frame |\n| --- | --- |")
    for k, v in stage.items():
        print(f"| {k} | {v * 1000:.2f} |")
    print(f"decoding one full-size SAMM-LV frame (2040 x 1088 JPEG): {big_decode * 1000:.1f} ms; projected on the "
          f"real corpus: {real:.0f} frames/s per process, {2 * real / 200:.2f} x real time on 2 processes")
    print("\nCAS(ME)^2 layout, 30 fps, 600 frames:\n| spotter | frames/s per process | x real time (30 fps) on 2 "
          "processes |\n| --- | --- | --- |")
    for name, rate in spotters.items():
        print(f"| {name} | {rate:.0f} | {2 * rate / 30:.1f} |")


def each_spotter(run, SpotConfig, prep) -> dict:
    from atnet.data.datasets import casme_sq
    from atnet.data.datasets.synthetic_long import synthesize_long
    from atnet.spotting import learned
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        roots = synthesize_long(tmp, subjects=1, videos=1, seconds={"samm-lv": 1.0, "casme-sq": 20.0}, micro=2,
                                macro=1, jobs=1)
        video = casme_sq.load(roots["casme-sq"]).videos[0]
        n = len(video.numbers)
        robust = dict(intervals="variable", eyes="mask", denoise=1.0)
        rows = {"lbp": SpotConfig(), "lbp, variable, eyes masked, denoise 1": SpotConfig(**robust),
                "lbp, blinks by EAR": SpotConfig(eyes="ear"), "mdmd": SpotConfig(spotter="mdmd"),
                "mdmd, variable, eyes masked, denoise 1": SpotConfig(spotter="mdmd", **robust)}
        for name, cfg in rows.items():
            t = time.perf_counter()
            run.spot_video(video, cfg, prep)
            out[name] = n / (time.perf_counter() - t)
        cfg = SpotConfig(spotter="flow-tcn", tcn_steps=5)
        feats = learned.video_features(video, cfg, prep)
        fitted = learned.fit(learned.training_series([video], [feats]), cfg)
        t = time.perf_counter()
        run.spot_video(video, cfg, prep, fitted)
        out["flow-tcn (features + network + intervals)"] = n / (time.perf_counter() - t)
    return out


if __name__ == "__main__":
    main()
