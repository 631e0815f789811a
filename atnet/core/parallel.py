"""Where atnet's independent tasks (clips to prepare, folds to train, videos to spot) run: worker
processes on this machine (joblib's loky backend), or a Dask cluster.

Locally: joblib keeps its workers alive for reuse, and after a SIGKILL of the main process they went
on computing (and writing) for minutes. Each worker starts, when loky starts it (and again, if
missing, with each task), a daemon thread that checks each second whether the process that
submitted its work is still its parent, and ends the worker at once (os._exit) when it is not.
With jobs=1 the tasks run in this process.

Dask (`scheduler("ADDRESS")` or `scheduler("local:N")`, the CLI's --scheduler): inside the block,
`run` submits each task to the cluster instead (dask.distributed, which its users already run on
their lab machines). A large array that many tasks share (the apex frames and ADMs every fold reads)
is scattered to the cluster once, not sent with each task; a task whose worker dies is run again on
another (Dask's retries); results come back in submission order, so the caller saves each fold as
today and a run can move between local workers and a cluster, reusing what either saved."""
from __future__ import annotations

import os
import threading
import time
import warnings
import weakref
from contextlib import contextmanager
from typing import Callable, Iterable

import numpy as np
from joblib import Parallel, delayed
from joblib._parallel_backends import LokyBackend

from .errors import CorpusError

_watching: set[int] = set()
POLL_S = 1.0
SCATTER_BYTES = 1 << 20     # arrays at least this large are scattered once, then passed by reference
RETRIES = 3
_client = None              # the Dask client inside `scheduler`, else None
_unfinished: weakref.WeakSet = weakref.WeakSet()   # the result generators `run` handed out


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


@contextmanager
def scheduler(address: str | None):
    """Within the block, `run` sends tasks to Dask: ADDRESS of a running dask.distributed scheduler
    (tcp://host:8786) or local:N (a LocalCluster of N single-threaded worker processes, started
    here and closed after). None: nothing changes."""
    global _client
    if not address:
        yield None
        return
    from distributed import Client, LocalCluster
    cluster = None
    try:
        if address.startswith("local:"):
            n = address.split(":", 1)[1]
            if not n.isdigit() or int(n) < 1:
                raise CorpusError(f"--scheduler {address}: write local:N with N workers, e.g. local:2.")
            cluster = LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(address, timeout="10s")
    except CorpusError:
        raise
    except Exception as e:   # an unreachable address, a refused connection
        from .readers import one_line
        if cluster is not None:
            cluster.close()
        raise CorpusError(f"--scheduler {address}: cannot connect ({one_line(e, 160)}); start one with `dask "
                          f"scheduler` and workers with `dask worker ADDRESS --nworkers N --nthreads 1`, or use "
                          f"--scheduler local:N.") from None
    previous, _client = _client, client
    try:
        yield client
    finally:
        _client = previous
        client.close()
        if cluster is not None:
            cluster.close()


def on_cluster() -> bool:
    return _client is not None


def threads_per_task(jobs: int) -> int:
    """Threads a task may use: the machine's cores shared by the local workers; one on Dask (its
    workers are started with one thread each)."""
    return 1 if _client is not None else max(1, (os.cpu_count() or 1) // max(1, jobs))


_malloc_tuned = False


def _tune_malloc() -> None:
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's mmap
    threshold at 128 KB: every tensor above it is then mapped and unmapped anew, and a demo fold
    took 11.2 s instead of 6.5 s (measured). Raise both thresholds once per worker (glibc only)."""
    global _malloc_tuned
    if _malloc_tuned or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _malloc_tuned = True
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)    # M_MMAP_THRESHOLD: 32 MB
        libc.mallopt(-1, 256 << 20)   # M_TRIM_THRESHOLD: 256 MB
    except (OSError, AttributeError):   # not glibc: nothing to tune
        pass


def _on_worker(func: Callable, *args):
    _tune_malloc()
    return func(*args)


def _dask_run(func: Callable, calls: Iterable[tuple]):
    shared: dict[int, object] = {}

    def by_reference(a):
        if isinstance(a, dict):   # a method's inputs, {name: array}: Dask resolves futures inside
            return {k: by_reference(v) for k, v in a.items()}
        if isinstance(a, np.ndarray) and a.nbytes >= SCATTER_BYTES:
            if id(a) not in shared:
                shared[id(a)] = _client.scatter(a, hash=False)
            return shared[id(a)]
        return a

    futures = [_client.submit(_on_worker, func, *map(by_reference, args), pure=False, retries=RETRIES)
               for args in calls]

    def results():
        try:
            for f in futures:
                yield f.result()
        finally:
            _client.cancel(futures)
    return _track(results())


def _track(results):
    _unfinished.add(results)
    return results


STOP_S = 20.0   # after Ctrl-C, a command still alive this long is ended (ctrl_c_deadline)


def ctrl_c_deadline(seconds: float = STOP_S) -> None:
    """For a command line program: Ctrl-C raises KeyboardInterrupt as usual, and also starts a
    watch that, if the process is still alive `seconds` later (a shutdown stuck waiting on a worker,
    a lock, a cluster), prints every thread's stack (a bug: please report it), kills this process's
    children and exits with 130. Files are written whole or not at all (cache.atomic), so nothing
    is left half-written."""
    import signal

    def watch():
        time.sleep(seconds)
        import faulthandler
        import sys
        print(f"\natnet: still stopping {seconds:g} s after Ctrl-C; ending now. Where it was stuck (a bug, "
              f"please report it):", file=sys.stderr, flush=True)
        faulthandler.dump_traceback(sys.stderr, all_threads=True)
        _kill_children()
        os._exit(130)

    def on_sigint(signum, frame):
        threading.Thread(target=watch, name="atnet-ctrl-c-deadline", daemon=True).start()
        signal.default_int_handler(signum, frame)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_sigint)


def _kill_children() -> None:
    import psutil  # a dependency of distributed
    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            pass


def stop() -> None:
    """After Ctrl-C: end every run's tasks now. A KeyboardInterrupt that lands outside `run`'s
    generator (in the loop that saves each result, say) leaves the generator open, and at exit
    loky's atexit handler then waits for every task still running in a worker (workers ignore
    SIGINT): minutes of training after Ctrl-C (measured: tests/test_processes.py). Closing the
    generators makes joblib abort (its workers are killed) and Dask cancel its futures."""
    with warnings.catch_warnings():   # joblib warns that the tasks it cancels were cancelled
        warnings.simplefilter("ignore")
        for results in list(_unfinished):
            results.close()


def run(func: Callable, calls: Iterable[tuple], jobs: int):
    """func(*args) for each args in `calls`, over `jobs` worker processes (or the Dask cluster
    inside `scheduler`), as a generator of the results in order."""
    if _client is not None:
        return _dask_run(func, calls)
    parent = os.getpid()
    # the watch starts when loky starts a worker (its initializer), so that a worker started to
    # replace another and still waiting for its first task dies with the parent too; and again with
    # each task, for workers an older executor started
    backend = LokyBackend(initializer=watch_parent, initargs=(parent,)) if jobs != 1 else None
    return _track(Parallel(n_jobs=jobs, backend=backend, return_as="generator")(
        delayed(_guarded)(parent, func, args) for args in calls))
