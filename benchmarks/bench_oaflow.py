"""The onset-apex flow: what it costs beside the 64-flow ADM, and the flow methods beside ATNet.

1. Preparation cost, per clip, on the frames of one ATNet window (65 frames of a real face,
   scikit-image's astronaut, under a smooth micro-expression-sized warp plus sensor noise): the
   64 flows + ADMs prepare computes, and the one onset-apex flow + strain it now adds, per backend;
   and each backend's end-point error on the onset-apex flow against the known warp.
2. `--table`: CDE on atnet's synthetic corpus with 3 seeds (mean and spread), the demo recipe:
   ststnet, oaflow, atnet-oa, flow-logreg and ATNet's spatial, temporal and fusion rows; the run
   folder holds report.md with every number (`atnet reproduce`).

Run: .venv/bin/python benchmarks/bench_oaflow.py [--table] [--out runs/bench-oaflow] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import cv2
import numpy as np

from atnet.features import BACKENDS, adm, flow
from atnet.features.oaflow import onset_apex_flow

from bench_flow_adm import best_of, window

METHODS = ["ststnet", "oaflow", "atnet-oa", "flow-logreg", "spatial", "temporal", "atnet"]


def preparation_cost() -> None:
    cv2.setNumThreads(1)   # as prepare runs
    frames, truth = window()
    apex = len(frames) // 2   # the warp's peak: 1.5 px at the bump; frame 0 is the face unwarped
    inner = (slice(16, -16), slice(16, -16))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; one clip's window, 224 px crops")
    print("| backend | 64 flows + ADM, s | onset-apex flow + strain, s | added | onset-apex EPE, px |\n"
          "| --- | --- | --- | --- | --- |")
    for backend in BACKENDS:
        window_s = best_of(lambda: [adm(flow(a, b, backend)) for a, b in zip(frames[:-1], frames[1:])], 3)
        oa_s = best_of(lambda: onset_apex_flow(frames[0], frames[apex], backend), 5)
        epe = np.linalg.norm(flow(frames[0], frames[apex], backend)[inner] - truth[apex][inner], axis=-1).mean()
        print(f"| {backend} | {window_s:.3f} | {oa_s:.4f} | {100 * oa_s / window_s:.1f} % | {epe:.3f} |")
    print(f"(the true onset-apex motion: mean {np.linalg.norm(truth[apex][inner], axis=-1).mean():.3f} px, "
          f"up to {np.linalg.norm(truth[apex], axis=-1).max():.2f} px)")


def table(out: str, jobs: int) -> None:
    import atnet
    t0 = time.time()
    summary = atnet.reproduce(atnet.Inputs(jobs=jobs), out, methods=METHODS, protocols=["cde"], seeds=3,
                              preset="demo", command="benchmarks/bench_oaflow.py --table")
    print(f"{time.time() - t0:.0f} s")
    for r in summary:
        if r["test_set"] == "full":
            print(f"{r['method']:>12}  UF1 {r['uf1']:.3f} ± {r.get('uf1_std') or 0:.3f}  UAR {r['uar']:.3f} ± "
                  f"{r.get('uar_std') or 0:.3f}  Acc {r['acc']:.3f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--table", action="store_true")
    p.add_argument("--out", default="runs/bench-oaflow")
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    preparation_cost()
    if a.table:
        table(a.out, a.jobs)
