"""Content-keyed on-disk cache of prepared clips: one .npz per key, written atomically.

A key is the SHA-256 of a JSON description of the inputs (frame paths with size and mtime) and the
settings. Entries are written to a temporary file in the same folder and renamed into place, so a
run killed midway leaves either a whole entry or none; an unreadable entry is recomputed. Every
other file atnet writes goes through `atomic` too; `sweep` clears what killed writers left."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def make_key(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_stamp(path: str) -> list:
    st = os.stat(path)
    return [path, st.st_size, st.st_mtime_ns]


class NpzCache:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict | None:
        p = self.path(key)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception:  # a damaged entry (e.g. disk full) is recomputed, never trusted
            return None

    def put(self, key: str, arrays: dict) -> None:
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        with atomic(p) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)


@contextmanager
def atomic(path: str | Path):
    """Yields a temporary path beside `path` (named with this process and thread) and renames it
    onto `path` when the block ends without error; on error it is removed. A process killed
    midway leaves only the temporary file, which `sweep` removes once its writer is gone."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: str | Path, text: str) -> None:
    with atomic(path) as tmp:
        Path(tmp).write_text(text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(folder: str | Path) -> int:
    """Remove the temporary files that killed writers left under `folder`; returns how many."""
    removed = 0
    for tmp in Path(folder).rglob(".*.tmp") if Path(folder).is_dir() else []:
        try:
            pid = int(tmp.name.rsplit(".", 2)[-2].split("-")[0])
        except ValueError:
            continue
        if not _alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
