"""Face backends' cost per frame on real faces, and corpus preparation throughput with 1 and 2 workers.

Per frame (one process, cv2 threads = 1 as prepare uses; best of 7 after a warm-up):
  dlib HOG detection (no upsampling), dlib's 68 landmarks in a given box, OpenCV's Haar cascade,
  and the crop: the aligned (turned, resampled) square vs the upright box slice, both to 224 px;
  on scikit-image's astronaut (512 x 512), a synthetic CASME II frame (640 x 480) and, where the
  tests have fetched it (.cache/test-data), a Megamind.avi frame (720 x 528).
Per clip: finding the face once on the reference frame (what prepare does) vs on all 65 window
frames (detecting every frame).
Corpus: `prepare_all` on a generated synthetic corpus at the default settings (224 px, DIS), a fresh
cache each time, 1 and 2 workers, dlib and haar: clips per second, worker start-up included.
Run: .venv/bin/python benchmarks/bench_faces.py [frame] [clip] [corpus]   (all three by default)
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from atnet.data import faces
from atnet.data.datasets import load_corpora, synthetic
from atnet.data.prepare import PrepConfig, prepare_all

MEGAMIND = Path(".cache/test-data/usr/share/doc/opencv-doc/examples/data/Megamind.avi")


def best_ms(fn, repeats: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * min(times)


def images() -> dict[str, np.ndarray]:
    out = {"astronaut 512x512": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)}
    base, _ = synthetic.identity(synthetic.SHAPES[0], 0, 0)
    out["synthetic CASME II 640x480"] = np.clip(base + 0.5, 0, 255).astype(np.uint8)
    if MEGAMIND.is_file():
        cap = cv2.VideoCapture(str(MEGAMIND))
        cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = cap.read()
        if ok:
            out["Megamind.avi frame 120, 720x528"] = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return out


def per_frame() -> None:
    dlib, detector, predictor = faces._dlib()
    print("| image | dlib HOG detection (ms) | dlib 68 landmarks (ms) | Haar cascade (ms) | aligned crop (ms) | "
          "box crop (ms) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, g in images().items():
        face = faces.detect(g, "dlib")
        x, y, w, h = face.box
        rect = dlib.rectangle(x, y, x + w - 1, y + h - 1)
        aligned = faces.face_square(face, 0.1, g.shape)
        upright = faces.box_square(face.box, 0.1, g.shape)
        row = [best_ms(lambda: detector(g, 0)), best_ms(lambda: predictor(g, rect)),
               best_ms(lambda: faces.detect_haar(g)), best_ms(lambda: faces.crop(g, aligned, 224)),
               best_ms(lambda: faces.crop(g, upright, 224))]
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")


def per_clip() -> None:
    """Face finding for one 65-frame window: once on the reference frame vs on every frame."""
    g = images()["synthetic CASME II 640x480"]
    rng = np.random.default_rng(0)
    window = [np.clip(g.astype(np.int16) + rng.integers(-2, 3, g.shape), 0, 255).astype(np.uint8) for _ in range(65)]
    print("\n| face finding for a 65-frame window (640x480) | dlib (ms) | haar (ms) |\n| --- | --- | --- |")
    once = [best_ms(lambda: faces.locate(window[32], b, 0.1), 3) for b in ("dlib", "haar")]
    every = [best_ms(lambda: [faces.locate(f, b, 0.1) for f in window], 1) for b in ("dlib", "haar")]
    print(f"| reference frame only (prepare) | {once[0]:.1f} | {once[1]:.1f} |")
    print(f"| every frame | {every[0]:.1f} | {every[1]:.1f} |")
    print(f"| ratio | {every[0] / once[0]:.0f}x | {every[1] / once[1]:.0f}x |")


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and every live descendant (joblib's workers), from
    /proc; 0 for descendants where /proc is absent."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    mine, todo = set(), [os.getpid()]
    while todo:
        p = todo.pop()
        mine.add(p)
        todo += [c for c, q in parents.items() if q == p and c not in mine]
    return time.process_time() + sum(cpu[p] for p in mine - {os.getpid()})


def corpus() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.synthesize(Path(tmp) / "synth", jobs=2, progress=False, subjects=(4, 4, 3), fraction=0.12)
        samples = load_corpora(synthetic.roots(root)).samples
        print(f"\n| corpus preparation ({len(samples)} synthetic clips, 224 px, DIS) | 1 worker (clips/s) | "
              f"2 workers (clips/s) | 2 vs 1 | CPU s per clip, 1 / 2 workers |\n| --- | --- | --- | --- | --- |")
        for face in ("dlib", "haar"):
            rate, cpu = [], []
            for jobs in (1, 2):
                cache = Path(tmp) / f"cache-{face}-{jobs}"
                t, c = time.perf_counter(), cpu_seconds()
                kept, prepared, excluded = prepare_all(samples, replace(PrepConfig(), face=face), cache, jobs=jobs,
                                                       progress=False)
                rate.append(len(samples) / (time.perf_counter() - t))
                cpu.append((cpu_seconds() - c) / len(samples))
                assert len(kept) == len(samples) and not excluded
                assert all(p.face == face for p in prepared), "a face was missed"
            print(f"| face {face} | {rate[0]:.2f} | {rate[1]:.2f} | {rate[1] / rate[0]:.2f}x | "
                  f"{cpu[0]:.3f} / {cpu[1]:.3f} |")


def main(parts: list[str]) -> None:
    cv2.setNumThreads(1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, OpenCV {cv2.__version__}, "
          f"cv2 threads 1; load average before: {os.getloadavg()[0]:.2f}\n")
    for name, part in (("frame", per_frame), ("clip", per_clip), ("corpus", corpus)):
        if not parts or name in parts:
            part()
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
