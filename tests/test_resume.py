"""Preparation killed midway (SIGKILL, workers and all) and rerun gives the same outputs, entry for
entry and array for array, as a run that was never interrupted; entries written before the kill are
reused, not recomputed."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest


def entries(cache: Path) -> dict:
    return {p.relative_to(cache): p for p in sorted((cache / "prepared").rglob("*.npz"))}


@pytest.mark.slow
def test_killed_preparation_resumes_to_identical_outputs(tiny_corpus, tmp_path):
    cmd = [sys.executable, "-m", "atnet", "prepare", "--synthetic", str(tiny_corpus), "--size", "64", "--jobs", "2"]
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    p = subprocess.Popen(cmd + ["--cache", str(killed)], start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(entries(killed)) < 4:
        assert p.poll() is None, f"preparation ended before it could be killed: {p.stderr.read().decode()[-500:]}"
        assert time.time() < deadline, "no clip was cached within 2 minutes"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)     # the process group: the CLI and its joblib workers
    p.wait()
    before = {k: v.stat().st_mtime_ns for k, v in entries(killed).items()}
    assert 4 <= len(before) < 18, "the kill came too late to interrupt anything"
    for cache in (killed, fresh):
        subprocess.run(cmd + ["--cache", str(cache)], check=True, capture_output=True)
    resumed, whole = entries(killed), entries(fresh)
    assert len(whole) == 18 and resumed.keys() == whole.keys()
    assert {k: resumed[k].stat().st_mtime_ns for k in before} == before          # reused, not rewritten
    for k in whole:
        with np.load(resumed[k]) as a, np.load(whole[k]) as b:
            assert a.files == b.files
            for name in a.files:
                np.testing.assert_array_equal(a[name], b[name], err_msg=f"{k}: {name}")
