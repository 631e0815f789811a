"""Folds on a Dask cluster: the same predictions as local workers, and a run that loses a worker
midway still completes with them (Dask runs the lost task again)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from atnet.app.cli import main

pytestmark = pytest.mark.slow
ARGS = ["--size", "64", "--face", "haar", "--epochs", "2", "--method", "temporal", "hoof-n4-tim10", "--protocol", "cde"]


def predictions(folder):
    return {m: pd.read_csv(folder / "predictions" / f"{m}-cde.csv") for m in ("temporal", "hoof-n4-tim10")}


def same(a: dict, b: dict) -> None:
    for m in a:
        pd.testing.assert_frame_equal(a[m].drop(columns=a[m].filter(like="p_").columns),
                                      b[m].drop(columns=b[m].filter(like="p_").columns), obj=m)
        assert (a[m].filter(like="p_") - b[m].filter(like="p_")).abs().max().max() < 1e-5, m  # thread count only


@pytest.fixture(scope="module")
def local_run(tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("dask")
    main(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(out / "cache"), *ARGS, "--jobs", "1",
          "--out", str(out / "local")])
    return out, predictions(out / "local")


def test_a_local_dask_cluster_gives_the_predictions_of_jobs_1(tiny_corpus, local_run):
    out, local = local_run
    main(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(out / "cache"), *ARGS,
          "--scheduler", "local:2", "--out", str(out / "dask")])
    same(local, predictions(out / "dask"))
    with pytest.raises(SystemExit, match="--scheduler local:x: write local:N"):
        main(["evaluate", "--synthetic", str(tiny_corpus), *ARGS, "--scheduler", "local:x", "--out", str(out / "x")])


def test_a_worker_killed_mid_run_costs_only_its_task(tiny_corpus, local_run):
    from distributed import Client, LocalCluster
    out, _ = local_run

    def command(name):
        return [sys.executable, "-m", "atnet", "evaluate", "--synthetic", str(tiny_corpus), "--cache",
                str(out / "cache"), *ARGS, "--scheduler", cluster.scheduler_address, "--out", str(out / name)]

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        whole = subprocess.run(command("whole"), capture_output=True, text=True, timeout=600)
        assert whole.returncode == 0, whole.stdout[-2000:]
        run = subprocess.Popen(command("killed"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        folds = out / "killed" / "folds"
        deadline = time.time() + 300
        while not (folds.exists() and any(folds.glob("temporal-*.npy"))) and time.time() < deadline:
            time.sleep(0.2)
        pids = list(client.run(os.getpid).values())
        os.kill(pids[0], signal.SIGKILL)                       # a worker lost while folds are running
        text, _ = run.communicate(timeout=600)
        assert run.returncode == 0, text[-2000:]
    # the same predictions as the same command on the same cluster, uninterrupted
    same(predictions(out / "whole"), predictions(out / "killed"))
