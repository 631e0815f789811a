"""Spotting on realistic and clean synthetic long videos: each step of the build, leave one subject out.

Corpora (`atnet synth OUT --long`, realistic nuisances, and `--long --clean`), per layout SUBJECTS
subjects x VIDEOS videos: CAS(ME)^2 layout 60 s at 30 fps, SAMM-LV layout 20 s at 200 fps, 4 micro-
and 2 macro-expressions a video.
Rows, in the order the issue builds them (each adds one thing to the row above, then alternatives):
  lbp fixed                 the reference (Li et al.): [peak - k, peak + k]
  + variable                intervals grown to where the contrast falls below the threshold
  + denoise                 the crop blurred (sigma 1 px) before the features
  + blinks by EAR           blinks found from dlib's landmarks on every frame, proposals on them dropped
  (eyes masked instead)     the blocks over the eyes left out of the difference
  mdmd fixed, mdmd with the same steps
  flow-tcn                  the learned spotter, trained leave one subject out
Training-free rows are given at the default p = 0.15 and at p chosen per held-out subject on the
other subjects (--auto-p); the learned spotter has no p. MEGC metric, both layouts pooled per kind.
Speed: frames per second per process of each spotter (face tracking, crop, features), from the runs.

Run: .venv/bin/python benchmarks/bench_spot_realistic.py [--out runs/bench-spot] [--jobs 2] [--subjects 6]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from atnet.data.datasets import synthetic_long
from atnet.data.prepare import PrepConfig
from atnet.spotting import run
from atnet.spotting.method import SpotConfig
from atnet.spotting.metric import score

ROWS = [
    ("lbp, fixed intervals", SpotConfig()),
    ("lbp, variable", SpotConfig(intervals="variable")),
    ("lbp, variable, denoise 1 px", SpotConfig(intervals="variable", denoise=1.0)),
    ("lbp, variable, denoise 1 px, blinks by EAR", SpotConfig(intervals="variable", denoise=1.0, eyes="ear")),
    ("lbp, variable, denoise 1 px, eyes masked", SpotConfig(intervals="variable", denoise=1.0, eyes="mask")),
    ("lbp, variable, eyes masked", SpotConfig(intervals="variable", eyes="mask")),
    ("mdmd, fixed intervals", SpotConfig(spotter="mdmd")),
    ("mdmd, variable, denoise 1 px, blinks by EAR", SpotConfig(spotter="mdmd", intervals="variable", denoise=1.0,
                                                               eyes="ear")),
    ("mdmd, variable, denoise 1 px, eyes masked", SpotConfig(spotter="mdmd", intervals="variable", denoise=1.0,
                                                             eyes="mask")),
    ("flow-tcn (learned, LOSO)", SpotConfig(spotter="flow-tcn")),
]
# the first run's row names (the same settings)
RENAMED = {"+ variable intervals": "lbp, variable", "+ eyes masked": "lbp, variable, eyes masked",
           "+ denoise 1 px": "lbp, variable, denoise 1 px, eyes masked",
           "lbp, variable, blinks by EAR, denoise 1 px": "lbp, variable, denoise 1 px, blinks by EAR",
           "mdmd, variable, eyes masked, denoise 1 px": "mdmd, variable, denoise 1 px, eyes masked"}


CLEAN_ROWS = (0, 3, 6, 7, 9)    # on the clean videos: the reference, the robust variants and the learned spotter


def corpus(root: Path, realistic: bool, subjects: int, videos: int, jobs: int) -> list:
    done = root / "done.json"
    if not done.exists():
        t = time.time()
        synthetic_long.synthesize_long(root, subjects=subjects, videos=videos,
                                       seconds={"samm-lv": 20.0, "casme-sq": 60.0}, jobs=jobs,
                                       nuisances=synthetic_long.REALISTIC if realistic else synthetic_long.CLEAN)
        done.write_text(json.dumps({"seconds": time.time() - t}))
    c = run.load_long({"samm-lv": root / "SAMM-LV", "casme-sq": root / "CASME_sq"})
    print(f"{root}: {c.counts()}")
    return c.videos


def prf(results, proposals=None) -> dict:
    s = score((r["video"].truth, (proposals or {}).get(r["video"].key, r["proposals"])) for r in results)
    return {k: {m: round(v[m], 4) for m in ("precision", "recall", "f1")} for k, v in s.items()}


def measure(videos, cfg: SpotConfig, jobs: int, cache: str) -> dict:
    prep = PrepConfig()
    t = time.time()
    results, failed, _, _ = run.spot_thresholded(videos, cfg, prep, False, jobs, cache=cache)
    out = {"p=0.15": prf(results), "failed": len(failed), "wall_s": round(time.time() - t, 1),
           "frames_per_s_per_process": round(run.throughput(results)[1], 1)}
    if cfg.spotter != "flow-tcn":
        variable = cfg.intervals == "variable"
        chosen = run.choose_p_loso(results, variable)
        props = {r["video"].key: run.at_threshold(r, chosen[r["video"].subject], variable) for r in results}
        out["auto-p"] = prf(results, props)
        out["p_chosen"] = sorted(set(chosen.values()))
    return out


def cell(m: dict, key: str) -> str:
    if key not in m:
        return "-"
    s, o = m[key], m[key]["overall"]
    return (f"{s['micro']['f1']:.3f} / {s['macro']['f1']:.3f} / **{o['f1']:.3f}** "
            f"({o['precision']:.3f}, {o['recall']:.3f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench-spot")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--subjects", type=int, default=6)
    ap.add_argument("--videos", type=int, default=2)
    ap.add_argument("--rows", nargs="+", type=int, help="only these rows (0-based)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for old, new in RENAMED.items():
        for kind in ("realistic", "clean"):
            if f"{old} | {kind}" in results:
                results[f"{new} | {kind}"] = results.pop(f"{old} | {kind}")
    sets = {"realistic": corpus(out / "realistic", True, args.subjects, args.videos, args.jobs),
            "clean": corpus(out / "clean", False, args.subjects, args.videos, args.jobs)}
    for i, (name, cfg) in enumerate(ROWS):
        if args.rows and i not in args.rows:
            continue
        for kind, videos in sets.items():
            if kind == "clean" and i not in CLEAN_ROWS:
                continue
            key = f"{name} | {kind}"
            if key in results:
                continue
            results[key] = measure(videos, cfg, args.jobs, str(out / "cache"))
            results_path.write_text(json.dumps(results, indent=1))
            print(key, json.dumps(results[key]))
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores; F1 micro / macro / overall "
          f"(overall precision, recall), both layouts pooled")
    print("| spotter | realistic, p = 0.15 | realistic, p by LOSO | clean, p = 0.15 | clean, p by LOSO | frames/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in ROWS:
        r, c = results.get(f"{name} | realistic", {}), results.get(f"{name} | clean", {})
        print(f"| {name} | {cell(r, 'p=0.15')} | {cell(r, 'auto-p')} | {cell(c, 'p=0.15')} | {cell(c, 'auto-p')} | "
              f"{r.get('frames_per_s_per_process', '-')} |")


if __name__ == "__main__":
    main()
