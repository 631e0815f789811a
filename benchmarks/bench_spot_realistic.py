"""Spotting on realistic and clean synthetic long videos: each step of the build, leave one subject out.

Corpora (`atnet synth OUT --long`, realistic nuisances, and `--long --clean`), per layout SUBJECTS
subjects x VIDEOS videos: CAS(ME)^2 layout 60 s at 30 fps, SAMM-LV layout 20 s at 200 fps.
Rows, in the order the issue builds them (each adds one thing to the row above):
  lbp fixed               the reference (Li et al.): [peak - k, peak + k]
  + variable              intervals grown to where the contrast falls below the threshold
  + eyes masked           the eye blocks left out of the difference (blinks)
  + denoise               the crop blurred (sigma 1 px) before the features
  (and lbp + EAR blinks   instead of the mask: blinks found from dlib's landmarks, proposals dropped)
  mdmd fixed, mdmd robust (variable, eyes masked, denoise 1 px)
  flow-tcn                the learned spotter, trained leave one subject out
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
from atnet.spotting.metric import score
from atnet.spotting.method import SpotConfig

ROWS = [
    ("lbp, fixed intervals", SpotConfig()),
    ("+ variable intervals", SpotConfig(intervals="variable")),
    ("+ eyes masked", SpotConfig(intervals="variable", eyes="mask")),
    ("+ denoise 1 px", SpotConfig(intervals="variable", eyes="mask", denoise=1.0)),
    ("lbp, variable, blinks by EAR, denoise 1 px", SpotConfig(intervals="variable", eyes="ear", denoise=1.0)),
    ("mdmd, fixed intervals", SpotConfig(spotter="mdmd")),
    ("mdmd, variable, eyes masked, denoise 1 px", SpotConfig(spotter="mdmd", intervals="variable", eyes="mask",
                                                              denoise=1.0)),
    ("flow-tcn (learned, LOSO)", SpotConfig(spotter="flow-tcn")),
]


def corpus(root: Path, realistic: bool, subjects: int, videos: int, jobs: int) -> list:
    done = root / "done.json"
    if not done.exists():
        t = time.time()
        synthetic_long.synthesize_long(root, subjects=subjects, videos=videos,
                                       seconds={"samm-lv": 20.0, "casme-sq": 60.0}, micro=4, macro=2, jobs=jobs,
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
    s = m[key]
    return f"{s['micro']['f1']:.3f} / {s['macro']['f1']:.3f} / {s['overall']['f1']:.3f} (P {s['overall']['precision']:.3f})"


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
    sets = {"realistic": corpus(out / "realistic", True, args.subjects, args.videos, args.jobs),
            "clean": corpus(out / "clean", False, args.subjects, args.videos, args.jobs)}
    for i, (name, cfg) in enumerate(ROWS):
        if args.rows and i not in args.rows:
            continue
        for kind, videos in sets.items():
            key = f"{name} | {kind}"
            if key in results:
                continue
            results[key] = measure(videos, cfg, args.jobs, str(out / "cache"))
            results_path.write_text(json.dumps(results, indent=1))
            print(key, json.dumps(results[key]))
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores; F1 micro / macro / overall "
          f"(overall precision), both layouts pooled")
    print("| spotter | realistic, p = 0.15 | realistic, p by LOSO | clean, p = 0.15 | clean, p by LOSO | frames/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in ROWS:
        r, c = results.get(f"{name} | realistic", {}), results.get(f"{name} | clean", {})
        print(f"| {name} | {cell(r, 'p=0.15')} | {cell(r, 'auto-p')} | {cell(c, 'p=0.15')} | {cell(c, 'auto-p')} | "
              f"{r.get('frames_per_s_per_process', '-')} |")


if __name__ == "__main__":
    main()
