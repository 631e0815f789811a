"""Folds per minute on a local Dask cluster with 1 and 2 workers (one thread each), beside local
joblib workers: the demo's temporal stream, CDE on the default synthetic corpus (16 folds), each
run into an empty folds folder. The corpus and its preparation come from the cache (made first).

    .venv/bin/python benchmarks/bench_dask.py
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    from atnet.app.runs import DEMO_TRAIN, Inputs, load_and_prepare
    from atnet.core import parallel
    from atnet.data.prepare import PrepConfig
    from atnet.evaluation.protocols import evaluate
    from atnet.training import TrainConfig

    data, _ = load_and_prepare(Inputs(jobs=2), PrepConfig())
    train = replace(TrainConfig(), **DEMO_TRAIN)
    rows = []
    for label, scheduler, jobs in (("joblib, 1 worker", None, 1), ("joblib, 2 workers", None, 2),
                                   ("Dask local:1", "local:1", 1), ("Dask local:2", "local:2", 2)):
        with tempfile.TemporaryDirectory() as tmp, parallel.scheduler(scheduler):
            t = time.perf_counter()
            preds = evaluate("temporal", "cde", data, train, Path(tmp), jobs=jobs, progress=False)
            s = time.perf_counter() - t
        rows.append((label, preds["fold"].nunique() / s * 60, s))
    print(f"{os.cpu_count()} cores; temporal stream, demo recipe, CDE (16 folds), cluster start included")
    print("| workers | folds per minute | seconds |\n| --- | --- | --- |")
    for label, fpm, s in rows:
        print(f"| {label} | {fpm:.1f} | {s:.1f} |")
    print(f"Dask 2 / 1 workers: {rows[3][1] / rows[2][1]:.2f}; Dask 2 workers / joblib 2 workers: "
          f"{rows[3][1] / rows[1][1]:.2f}")


if __name__ == "__main__":
    main()
