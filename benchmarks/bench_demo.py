"""The demo's wall time and peak memory, from a cold start (no synthetic corpus, no cache, no
folds), the way `make demo` runs it on a fresh clone. Memory is the peak of the summed resident
set of the whole process tree (the CLI and its worker processes), sampled every 0.2 s from /proc.

Run: .venv/bin/python benchmarks/bench_demo.py [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def tree_rss_mb(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 2 ** 20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="write the run here instead of a temporary folder")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="atnet-bench-"))
    shutil.rmtree(work / "cache", ignore_errors=True)
    shutil.rmtree(work / "demo", ignore_errors=True)
    atnet = Path(sys.executable).with_name("atnet")
    cmd = [str(atnet), "demo", "--out", str(work / "demo"), "--cache", str(work / "cache")]
    t = time.time()
    proc = subprocess.Popen(cmd)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    wall = time.time() - t
    print(f"\n`{' '.join(cmd)}`: exit {proc.returncode}, wall {wall:.0f} s, peak memory (process tree) {peak:.0f} MB "
          f"on {os.cpu_count()} cores")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
