"""Worker processes (joblib's loky backend) that die with their parent.

joblib keeps its workers alive for reuse, and after a SIGKILL of the main process they went on
computing (and writing) for minutes. Every task run through `run` first starts, once per worker, a
daemon thread that checks each second whether the process that submitted it is still its parent,
and ends the worker at once (os._exit) when it is not. With jobs=1 the tasks run in this process."""
from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterable

from joblib import Parallel, delayed

_watching: set[int] = set()
POLL_S = 1.0


def _orphaned(parent: int) -> bool:
    if os.getppid() != parent:
        return True
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


def watch_parent(parent: int) -> None:
    """In a worker: exit as soon as `parent` is no longer this process's parent."""
    if parent == os.getpid() or parent in _watching:
        return
    _watching.add(parent)

    def loop():
        while not _orphaned(parent):
            time.sleep(POLL_S)
        os._exit(1)

    threading.Thread(target=loop, name="atnet-parent-watch", daemon=True).start()


def _guarded(parent: int, func: Callable, args: tuple):
    watch_parent(parent)
    return func(*args)


def run(func: Callable, calls: Iterable[tuple], jobs: int):
    """func(*args) for each args in `calls`, over `jobs` worker processes, as a generator of the
    results in order."""
    parent = os.getpid()
    return Parallel(n_jobs=jobs, return_as="generator")(delayed(_guarded)(parent, func, args) for args in calls)
