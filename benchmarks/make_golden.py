"""Write tests/data/golden/: every method's predictions on the tiny synthetic corpus, from the code
in --code (default: this checkout), for tests/test_methods_identical.py to compare against.

The calls are the test's own (its `capture`), so the golden files and the test cannot drift apart.
To capture an older commit without touching this checkout:

    git worktree add /tmp/golden ca9d92d
    .venv/bin/python benchmarks/make_golden.py --code /tmp/golden --check
    git worktree remove /tmp/golden --force

--check runs the capture twice (fresh folders each time) and refuses to write unless both runs
give the same numbers bit for bit. About 2 minutes per capture on 2 cores.
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
TINY = dict(subjects=(2, 2, 2), fraction=0.02)   # tests/conftest.py's tiny corpus: 18 clips, 6 subjects


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--code", default=str(HERE), help="the checkout whose atnet is captured (default: this one)")
    ap.add_argument("--out", default=str(HERE / "tests" / "data" / "golden"))
    ap.add_argument("--check", action="store_true", help="capture twice and require identical numbers")
    args = ap.parse_args()
    code = Path(args.code).resolve()
    # first on the path: before the current directory and the venv's editable install of this checkout
    sys.path.insert(0, str(code))
    import atnet
    where = Path(atnet.__file__).resolve()
    if code not in where.parents:
        sys.exit(f"atnet was imported from {where}, not from {code}")
    try:   # the tiny corpus as conftest.py makes it (at the captured commit: atnet/datasets before the layers)
        from atnet.data.datasets import synthetic
    except ImportError:
        from atnet.datasets import synthetic
    commit = subprocess.run(["git", "-C", str(code), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(code), "status", "--porcelain", "--", "atnet"], capture_output=True,
                           text=True).stdout.strip()
    print(f"capturing atnet from {where} (commit {commit}{', atnet/ modified' if dirty else ''})", flush=True)

    spec = importlib.util.spec_from_file_location("identical", HERE / "tests" / "test_methods_identical.py")
    test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test)

    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        tmp = Path(tmp)
        synthetic.synthesize(tmp / "synth", jobs=2, progress=False, **TINY)
        runs = []
        for i in range(2 if args.check else 1):
            t0 = time.time()
            runs.append(test.capture(tmp / "synth", tmp / f"capture{i}"))
            print(f"capture {i + 1}: {time.time() - t0:.0f} s", flush=True)
        if args.check:
            same = {r: runs[0][r].equals(runs[1][r]) for r in test.ROWS}
            if not all(same.values()):
                sys.exit(f"not deterministic: two captures differ for {[r for r, ok in same.items() if not ok]}")
            print("two captures: identical, bit for bit", flush=True)

    import numpy
    import sklearn
    import torch
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for row, table in runs[0].items():
        table.to_csv(out / test.golden_path(row).name, index=False)
    manifest = {"commit": commit, "atnet_modified": bool(dirty), "protocol": test.PROTOCOL, "train": test.TRAIN,
                "prep": "PrepConfig() defaults", "corpus": f"synthetic.synthesize(root, jobs=2, **{TINY})",
                "rows": list(test.ROWS), "deterministic_across_two_captures": bool(args.check),
                "versions": {"python": platform.python_version(), "torch": torch.__version__,
                             "numpy": numpy.__version__, "sklearn": sklearn.__version__},
                "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(runs[0])} predictions files and manifest.json to {out}")


if __name__ == "__main__":
    main()
