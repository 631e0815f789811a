"""How far the same code's predictions drift across CPU code paths: the tolerance of
tests/test_methods_identical.py comes from this measurement.

The golden files were written on one processor; CI and users run on others (Intel or AMD, AVX2 or
AVX-512, 1 or 2 threads). The probabilities are sums of float32 products whose order depends on
the kernel each library picks for the processor (oneDNN's convolutions, MKL's and OpenBLAS's
GEMMs, ATen's vectorised loops) and on the thread count, and 40 epochs of training carry a
difference in the last bit into the weights. This script runs the test's own `capture` once per
setting below, each in a fresh process with the environment that forces that code path, and
writes per row: the largest probability difference to the golden file and between any two
settings, whether any predicted class differs, and the smallest gap between the top two
probabilities of a golden clip (a drift larger than that gap could flip a class).

    .venv/bin/python benchmarks/bench_drift.py --out runs/drift          # all settings (~20 min)
    .venv/bin/python benchmarks/bench_drift.py --out runs/drift --only default threads1

Writes OUT/<setting>/<row>-hde.csv, OUT/drift.json and prints a Markdown table (docs/benchmarks.md,
"Cross-processor drift"). With --write-tolerances it writes tests/data/golden/tolerance.json
(per row: the measured drift times MARGIN, at least FLOOR), which the test reads.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TEST = HERE / "tests" / "test_methods_identical.py"
TINY = dict(subjects=(2, 2, 2), fraction=0.02)   # tests/conftest.py's tiny corpus
MARGIN = 3.0       # tolerance = MARGIN x the largest drift measured here: the AMD-vs-golden drift (1.1e-3,
                   # spatial-fer) lay within the ISA caps' (1.8e-3); 3x leaves room for orders not forced here
FLOOR = 1e-5       # and never below this (rows measured bit-identical)

# Each setting forces one code path by environment alone (read when the libraries load).
SETTINGS = {
    "default": {},
    "threads1": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl-avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "avx2-threads1": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                      "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    "sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
}

CHILD = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("identical", sys.argv[1])
test = importlib.util.module_from_spec(spec); spec.loader.exec_module(test)
out = Path(sys.argv[4]); out.mkdir(parents=True, exist_ok=True)
for row, table in test.capture(sys.argv[2], sys.argv[3]).items():
    table.to_csv(out / test.golden_path(row).name, index=False)
"""


def load_test():
    spec = importlib.util.spec_from_file_location("identical", TEST)
    test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test)
    return test


def max_gap(test, a, b) -> tuple[float, int]:
    """(largest probability difference, clips whose predicted class differs) between two tables."""
    g, w = (t.set_index(test.KEY).sort_index() for t in (a, b))
    return float((g[test.PROBS] - w[test.PROBS]).abs().to_numpy().max()), int((g["pred"] != w["pred"]).sum())


def top_two_gap(test, t) -> float:
    import numpy as np
    p = np.sort(t[test.PROBS].to_numpy(), axis=1)
    return float((p[:, -1] - p[:, -2]).min())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/drift")
    ap.add_argument("--only", nargs="+", choices=list(SETTINGS), help="these settings only")
    ap.add_argument("--reuse", action="store_true", help="keep the captures already in OUT")
    ap.add_argument("--write-tolerances", action="store_true",
                    help="write tests/data/golden/tolerance.json: per row the larger of its tolerance there (measured "
                         "on other processors) and this run's; with --fresh, this run's alone")
    ap.add_argument("--fresh", action="store_true", help="with --write-tolerances: forget earlier processors' values")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    test = load_test()
    names = args.only or list(SETTINGS)
    with tempfile.TemporaryDirectory(prefix="drift-") as tmp:
        tmp = Path(tmp)
        from atnet.data.datasets import synthetic
        synthetic.synthesize(tmp / "synth", jobs=2, progress=False, **TINY)
        for name in names:
            if args.reuse and (out / name / test.golden_path(test.ROWS[-1]).name).exists():
                continue
            env = {**{k: v for k, v in os.environ.items() if k not in
                      {k for s in SETTINGS.values() for k in s}}, **SETTINGS[name]}
            t0 = time.time()
            subprocess.run([sys.executable, "-c", CHILD, str(TEST), str(tmp / "synth"), str(tmp / name),
                            str(out / name)], env=env, check=True)
            print(f"{name}: {time.time() - t0:.0f} s", flush=True)
    caught = {n: {r: test.read(out / n / test.golden_path(r).name) for r in test.ROWS} for n in names}
    rows = {}
    for r in test.ROWS:
        golden = test.read(test.golden_path(r))
        to_golden = {n: max_gap(test, caught[n][r], golden) for n in names}
        between = [max_gap(test, caught[a][r], caught[b][r]) for i, a in enumerate(names) for b in names[i + 1:]]
        drift = max([g for g, _ in to_golden.values()] + [g for g, _ in between])
        rows[r] = {"to_golden": {n: g for n, (g, _) in to_golden.items()},
                   "between_settings": max([g for g, _ in between], default=0.0),
                   "pred_differs": sum(k for _, k in to_golden.values()) + sum(k for _, k in between),
                   "drift": drift, "golden_top_two_gap": top_two_gap(test, golden)}
    import torch
    report = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "cpu": cpu_name(), "torch": torch.__version__, "settings": {n: SETTINGS[n] for n in names},
              "rows": rows}
    (out / "drift.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"\n{report['cpu']}; torch {torch.__version__}; settings: {', '.join(names)}\n")
    print("| row | largest to golden | largest between settings | classes differing | golden's smallest top-two gap |"
          "\n| --- | --- | --- | --- | --- |")
    for r, v in rows.items():
        print(f"| {r} | {max(v['to_golden'].values()):.2g} | {v['between_settings']:.2g} | {v['pred_differs']} | "
              f"{v['golden_top_two_gap']:.3g} |")
    if args.write_tolerances:   # processors accumulate: a row's tolerance covers every one measured
        path = HERE / "tests" / "data" / "golden" / "tolerance.json"
        old = {} if args.fresh or not path.exists() else json.loads(path.read_text())
        before = old.get("measured_on", [])
        before = [before] if isinstance(before, str) else before
        atol = {r: max(FLOOR, MARGIN * v["drift"], old.get("atol", {}).get(r, 0.0)) for r, v in rows.items()}
        tol = {"margin": MARGIN, "floor": FLOOR, "measured_on": list(dict.fromkeys(before + [report["cpu"]])),
               "settings": sorted(set(old.get("settings", [])) | set(names)), "atol": atol}
        path.write_text(json.dumps(tol, indent=1) + "\n")
        print(f"\nwrote {path}")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
