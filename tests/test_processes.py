"""Processes and files: a killed `evaluate` leaves no worker behind and no half-written file, and its
rerun ends where an uninterrupted run ends; Ctrl-C is one line; two runs on one --out keep both
methods' records."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ATNET = [sys.executable, "-m", "atnet"]
TRAIN = ["--method", "spatial", "--protocol", "cde", "--size", "64", "--image-size", "32", "--face", "haar",
         "--jobs", "2"]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def as_in_a_terminal() -> None:
    """Ctrl-C's default disposition in the child, as a terminal gives it: a test runner started as a
    background job (`cmd &` in a script) ignores SIGINT, every child inherits that, and Python then
    installs no KeyboardInterrupt handler (seen: this file's Ctrl-C tests failed only when CI ran
    in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(argv, **kw) -> subprocess.Popen:
    return subprocess.Popen(ATNET + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=as_in_a_terminal, **kw)


def what_runs(pids) -> str:
    """Each live process of `pids`: its command line and, where py-spy can attach, its Python stacks
    (else the kernel function it sleeps in), for a failure message that says what was still running."""
    import shutil
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out = []
    for pid in sorted(pids):
        if not alive(pid):
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:160]
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        stacks = ""
        if Path(spy).is_file():
            try:
                stacks = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True,
                                        timeout=30).stdout
            except subprocess.TimeoutExpired:
                stacks = "(py-spy timed out)"
        out.append(f"--- {pid} [{wchan}] {cmd}\n{stacks}")
    return "\n".join(out) or "(nothing)"


def wait_for(predicate, timeout: float, what, detail=lambda: "") -> None:
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what} {detail()}")


def ctrl_c(p: subprocess.Popen, family: set[int], what: str) -> str:
    """Ctrl-C to `p`'s process group (what a terminal sends); its output once it exits, or a failure
    naming every process still running 60 s later and its stacks."""
    os.killpg(p.pid, signal.SIGINT)
    try:
        return p.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        running = what_runs({p.pid} | family | descendants(p.pid))
        p.kill()
        pytest.fail(f"{what} had not exited 60 s after Ctrl-C; still running:\n{running}")


def test_sigkill_leaves_no_worker_and_the_rerun_equals_an_uninterrupted_run(tiny_corpus, tmp_path):
    cache = str(tmp_path / "cache")
    base = ["evaluate", "--synthetic", str(tiny_corpus), "--cache", cache, *TRAIN, "--epochs", "20"]
    reference = subprocess.run(ATNET + base + ["--out", str(tmp_path / "whole")], capture_output=True, text=True)
    assert reference.returncode == 0, reference.stdout[-2000:]

    out = tmp_path / "killed"
    p = start(base + ["--out", str(out)])
    wait_for(lambda: (out / "folds").is_dir() and any((out / "folds").glob("*.npy")), 120, "the first fold")
    family = descendants(p.pid)   # the workers are training the next folds
    folds_before = set((out / "folds").glob("*.npy"))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    # a replacement worker that had no task yet once outlived the parent (its watch started with its
    # first task; now loky's initializer starts it); the message names any process left
    def lingering() -> str:
        out = []
        for c in sorted(family):
            try:
                out.append(f"{c}: " + open(f"/proc/{c}/cmdline").read().replace("\0", " ")[:120])
            except OSError:
                pass
        return "; ".join(out)
    wait_for(lambda: not any(alive(c) for c in family), 60, f"workers {sorted(family)} to end after SIGKILL",
             lingering)
    assert len(folds_before) < 6, "the run finished before it was killed; the test needs a slower run"

    rerun = subprocess.run(ATNET + base + ["--out", str(out)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:]
    assert not list(out.rglob(".*.tmp")), "a temporary file of the killed run is left"
    a = pd.read_csv(tmp_path / "whole" / "predictions" / "spatial-cde.csv")
    b = pd.read_csv(out / "predictions" / "spatial-cde.csv")
    pd.testing.assert_frame_equal(a, b)


def test_ctrl_c_is_one_line_and_ends_the_workers(tiny_corpus, tmp_path):
    out = tmp_path / "run"
    p = start(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), *TRAIN,
               "--epochs", "400", "--out", str(out)])
    wait_for(lambda: (out / "folds").is_dir() and len(descendants(p.pid)) >= 2, 120, "the fold workers")
    time.sleep(2)
    family = descendants(p.pid)
    text = ctrl_c(p, family, "`evaluate`")
    assert p.returncode == 130
    assert "Traceback" not in text
    assert text.rstrip().splitlines()[-1] == ("interrupted: every clip and fold finished so far is saved; run the "
                                              "same command again to resume.")
    wait_for(lambda: not any(alive(c) for c in family), 20, "workers to end after Ctrl-C",
             lambda: what_runs(family))


STOPPED_OUTSIDE = """
import argparse, time
from atnet.app import cli
from atnet.core import parallel

def task(i):
    time.sleep(0 if i == 0 else 600)
    return i

def command(args):
    results = parallel.run(task, ((i,) for i in range(6)), 2)
    keep = [results]
    keep.append(keep)   # in a reference cycle: only the garbage collector frees it, after exit's joins
    for r in results:
        print("saving", r, flush=True)
        # Ctrl-C lands here, in the loop that saves each result, not in run's generator. Short sleeps: a
        # SIGINT the kernel hands to another thread (loky's) only sets Python's flag, which a 600 s
        # sleep in the main thread would not look at until it ends (seen once in a full run)
        for _ in range(6000):
            time.sleep(0.1)

parser = argparse.ArgumentParser()
parser.set_defaults(func=command, cmd="test")
cli.build_parser = lambda: parser
cli.main([])
"""


def test_ctrl_c_outside_the_task_generator_does_not_wait_for_running_tasks(tmp_path):
    """A KeyboardInterrupt raised while the parent saves a result (outside joblib's generator) with
    the generator still referenced: at exit loky waits for every task still running in a worker
    (workers ignore SIGINT) unless the CLI closes the generator first (parallel.stop)."""
    p = subprocess.Popen([sys.executable, "-c", STOPPED_OUTSIDE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True, preexec_fn=as_in_a_terminal, cwd=tmp_path)
    assert p.stdout.readline().strip() == "saving 0"
    family = descendants(p.pid)
    text = ctrl_c(p, family, "the command (its tasks sleep 600 s)")
    assert p.returncode == 130, text
    assert text.rstrip().splitlines()[-1].startswith("interrupted: every clip and fold finished so far is saved")
    wait_for(lambda: not any(alive(c) for c in family), 20, "workers to end after Ctrl-C", lambda: what_runs(family))


STUCK_AT_EXIT = """
import argparse, threading, time
from atnet.app import cli
from atnet.core import parallel

def command(args):
    threading.Thread(target=time.sleep, args=(600,), name="stuck").start()   # exit would wait 600 s for it
    print("running", flush=True)
    for _ in range(6000):   # short sleeps: see STOPPED_OUTSIDE
        time.sleep(0.1)

parser = argparse.ArgumentParser()
parser.set_defaults(func=command, cmd="test")
cli.build_parser = lambda: parser
parallel.ctrl_c_deadline(3)
cli.main([])
"""


def test_a_command_stuck_after_ctrl_c_is_ended_and_says_where(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", STUCK_AT_EXIT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True, preexec_fn=as_in_a_terminal, cwd=tmp_path)
    assert p.stdout.readline().strip() == "running"
    os.killpg(p.pid, signal.SIGINT)
    text, _ = p.communicate(timeout=60)
    assert p.returncode == 130, text
    assert "still stopping 3 s after Ctrl-C; ending now" in text
    assert "Thread" in text and "in command" not in text.split("still stopping")[0]


def test_two_runs_on_one_folder_keep_both_records(tiny_corpus, tmp_path):
    out, cache = tmp_path / "run", str(tmp_path / "cache")
    prepared = subprocess.run(ATNET + ["prepare", "--synthetic", str(tiny_corpus), "--cache", cache, "--size", "64",
                                       "--face", "haar", "--jobs", "2"], capture_output=True, text=True)
    assert prepared.returncode == 0, prepared.stdout[-2000:]
    runs = [start(["evaluate", "--synthetic", str(tiny_corpus), "--cache", cache, "--size", "64", "--face", "haar",
                   "--jobs", "1", "--protocol", "cde", "hde", "--method", m, "--out", str(out)])
            for m in ("hoof-n4-tim10", "hoof-n8-tim10")]
    for p in runs:
        text, _ = p.communicate(timeout=300)
        assert p.returncode == 0, text[-2000:]
    records = json.loads((out / "results.json").read_text())
    assert {(r["method"], r["protocol"]) for r in records} == {(m, pr) for m in ("hoof-n4-tim10", "hoof-n8-tim10")
                                                                for pr in ("cde", "hde")}
    assert not list(out.rglob(".*.tmp"))
