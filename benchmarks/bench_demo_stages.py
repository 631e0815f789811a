"""Where the demo's time goes, stage by stage, from a cold start (the demo's own steps, timed one
by one): synthesis, preparation (faces, crops, flow, ADM), then each baseline (features + SVMs)
and each network under CDE and HDE, with the demo's settings and 2 workers.

    .venv/bin/python benchmarks/bench_demo_stages.py
"""
from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    from atnet.app.runs import DEMO_NETWORKS, DEMO_TRAIN, Inputs, load_and_prepare
    from atnet.data.datasets import synthetic
    from atnet.data.prepare import PrepConfig
    from atnet.evaluation.protocols import PROTOCOLS, evaluate
    from atnet.methods.baselines import BASELINES
    from atnet.training import TrainConfig

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        root = Path(tmp) / "synthetic"
        synthetic.synthesize(root, jobs=2, progress=False)
        rows.append(("synthesis (176 clips + 2 unread rows)", time.perf_counter() - t))
        t = time.perf_counter()
        data, _ = load_and_prepare(Inputs(synthetic=str(root), cache=str(Path(tmp) / "cache"), jobs=2), PrepConfig())
        rows.append(("prepare: faces (dlib), crops, DIS flow, ADM, window frames", time.perf_counter() - t))
        train = replace(TrainConfig(), **DEMO_TRAIN)
        for method in BASELINES + DEMO_NETWORKS:
            for protocol in PROTOCOLS:
                t = time.perf_counter()
                evaluate(method, protocol, data, train, Path(tmp) / "folds", jobs=2, progress=False)
                rows.append((f"{method} {protocol}", time.perf_counter() - t))
    total = sum(s for _, s in rows)
    print(f"{os.cpu_count()} cores; demo settings; cold cache")
    print("| stage | seconds | share |\n| --- | --- | --- |")
    for name, s in rows:
        print(f"| {name} | {s:.1f} | {100 * s / total:.0f} % |")
    print(f"| total | {total:.1f} | |")


if __name__ == "__main__":
    main()
