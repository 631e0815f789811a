"""What a command writes, checked before it does any work: the path is one the file system takes
(no NUL, no name over the limit, no file where a folder must be, a folder it may write in), and no
output is, or lands on, one of the command's own inputs (symbolic and hard links included).

    check_writes([Read(model), Read(frames, FRAMES)], files=[("--out", out_csv)])   # an output file
    check_writes([Read(features, FEATURES)], folder=run_dir)                         # a run folder

`reads` is a list of Read(path, suffixes): a file the command reads, or a folder and the suffixes of
the files it reads there (a frame folder: images; a features folder: .npy/.mat/.csv). Writing a file
of such a suffix into such a folder would change the input, so it is refused too. `fresh_folder`
removes a run folder this command created when the run is refused before it saved anything."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import CorpusError
from ..data.datasets.base import IMAGE_SUFFIXES
from ..data.faces.video import VIDEO_SUFFIXES

FRAMES = frozenset(IMAGE_SUFFIXES)
CORPUS = FRAMES | VIDEO_SUFFIXES | {".xlsx", ".xls", ".json"}
FEATURES = frozenset({".npy", ".mat", ".csv"})
# what a run folder (evaluate, reproduce, demo) gets: files by name, and folders whose every file is written
RUN_FILES = ("excluded.csv", "settings.json", "results.json", "tables.md", "intervals.csv", "scores.csv",
             "labels.csv", "report.md", "report.html", "summary.json", "invocations.json", "truth.csv", "curves.npz",
             "run.json")
RUN_TREES = ("predictions", "folds", "figures")


@dataclass(frozen=True)
class Read:
    path: str | Path
    suffixes: frozenset = frozenset()   # for a folder: the suffixes of the files read in it


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    try:
        return _real(a) == _real(b) or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, ValueError):
        return False


def _inside(path: Path, folder: Path) -> bool:
    return _real(folder) in _real(path).parents


def writable_name(path: str | Path, flag: str, folder: bool = False, example: str = "out.csv") -> Path:
    """The path, if the file system can take it as an output; else one sentence naming it. Where a
    file is to be written, a path that names a folder (one there, or written with a trailing slash,
    `.` or `..`) is refused, suggesting `example` inside it."""
    text = os.fspath(path)
    shown = repr(text) if any(c in text for c in "\0\n\r") else text
    if not text:
        raise CorpusError(f"{flag} '': empty; pass the path to write.")
    last = text.replace(os.sep, "/").split("/")[-1]
    if not folder and "\0" not in text and (last in ("", ".", "..") or os.path.isdir(text)):
        inside = text if text.endswith(("/", os.sep)) else text + "/"
        raise CorpusError(f"{flag} {shown}: names a folder; pass a file name such as {inside}{example}.")
    if "\0" in text:
        raise CorpusError(f"{flag} {shown}: holds a NUL character, which no file name may hold; pass another path.")
    path = Path(text)
    up = _existing_ancestor(path)
    try:
        limit = os.pathconf(up if up.is_dir() else "/", "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in path.parts:
        if len(os.fsencode(part)) > limit:
            raise CorpusError(f"{flag} {shown[:60]}...: the name {part[:20]}... is {len(os.fsencode(part))} bytes, "
                              f"over the file system's limit of {limit}; pass a shorter name.")
    if len(os.fsencode(text)) > 4000:
        raise CorpusError(f"{flag} {shown[:60]}...: the path is {len(os.fsencode(text))} bytes long, over the file "
                          f"system's limit of 4096; pass a shorter path.")
    if not up.is_dir():
        raise CorpusError(f"{flag} {shown}: {up} is a file, not a folder; pass a path inside a folder.")
    if folder and path.exists() and not path.is_dir():
        raise CorpusError(f"{flag} {shown}: is a file, not a folder; pass a folder (it is created if absent).")
    if not folder and not path.parent.is_dir():
        raise CorpusError(f"{flag} {shown}: its folder does not exist; create it or pass another path.")
    if not os.access(up, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CorpusError(f"{flag} {shown}: {path if path.exists() else up} cannot be written (permission denied); "
                          f"pass a path you can write to.")
    return path


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above `path` that exists (or the file standing where a folder must be)."""
    for p in Path(os.path.abspath(path)).parents:
        if p.exists():
            return p
    return Path("/")


def _reads(reads) -> list[Read]:
    return [r if isinstance(r, Read) else Read(r) for r in reads if r and (r.path if isinstance(r, Read) else r)]


def check_writes(reads, files=(), folder: str | Path | None = None, flag: str = "--out") -> None:
    """Refuse, before any work, an output the file system rejects or one that would write over an
    input: `files` are (flag, path) of the output files (None paths skipped; a tuple may end with
    an example file name, for writable_name), `folder` a run folder (RUN_FILES and RUN_TREES in it)
    given by `flag`."""
    reads = _reads(reads)
    outs = [(writable_name(f, name, example=ex[0] if ex else "out.csv"), f"{name} {f}") for name, f, *ex in files
            if f is not None]
    trees = []
    if folder is not None:
        root = writable_name(folder, flag, folder=True)
        outs += [(root / n, f"{flag} {folder} (its {n})") for n in RUN_FILES]
        trees = [root / t for t in RUN_TREES]
    for out, name in outs:
        for r in reads:
            src = Path(r.path)
            if src.is_dir():
                if _same(out, src):
                    raise CorpusError(f"{name}: is the input folder {src}; pass another path.")
                if _inside(out, src) and out.suffix.lower() in r.suffixes:
                    raise CorpusError(f"{name}: writing {out.name} into {src} would change that input (its "
                                      f"{out.suffix} files are read); write it somewhere else.")
            elif _same(out, src):
                raise CorpusError(f"{name}: is also an input of this command ({src}); writing it would destroy "
                                  f"that input, so pass another output path.")
    for tree in trees:
        for r in reads:
            src = Path(r.path)
            if _same(tree, src) or _inside(src, tree):
                raise CorpusError(f"{flag} {folder}: the input {src} lies in {tree}, where this command writes its "
                                  f"files; move the input or pass another --out.")


FLOWS_HEADER = ["dataset", "subject", "clip", "label", "flow"]   # the flows.csv atnet export-flows writes


def check_flows_folder(out: str | Path, flag: str = "--out") -> None:
    """export-flows' folder: new, empty, or an earlier export (its flows.csv, of atnet's columns), and
    then holding no flow file that flows.csv does not list; so the export writes over nothing it did
    not write itself."""
    import csv
    out = Path(out)
    if not out.is_dir() or not any(out.iterdir()):
        return
    table = out / "flows.csv"
    try:
        with open(table, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        rows = []
    if not rows or rows[0] != FLOWS_HEADER:
        raise CorpusError(f"{flag} {out}: holds files and no flows.csv of an earlier `atnet export-flows`, so the "
                          f"export could write over them; pass a new or empty folder (an export stopped before it "
                          f"wrote flows.csv: remove what it left).")
    listed = {(out / r[4]).resolve() for r in rows[1:] if len(r) == 5 and r[4]}
    for path in sorted(out.rglob("*")):
        if path.suffix.lower() in (".npy", ".png") and path.resolve() not in listed:
            raise CorpusError(f"{flag} {out}: {path.relative_to(out)} is not a flow its flows.csv lists, so atnet "
                              f"export-flows did not write it and could write over it; move it, or pass a new or "
                              f"empty folder.")


@contextmanager
def fresh_folder(path: str | Path | None):
    """Around a run that writes into `path`: when the run is refused (CorpusError) before it saved a
    result or a trained fold, what it created there is removed (the folder too, if it made it);
    files and folders that were there before are never touched."""
    if path is None:
        yield
        return
    path = Path(path)
    existed = path.exists() or path.is_symlink()
    before = _listing(path)
    try:
        yield
    except CorpusError:
        made = _listing(path) - before
        if not any(_saved(p) for p in made):
            for p in sorted(made, key=lambda p: len(p.parts), reverse=True):   # files and subfolders first
                try:
                    p.rmdir() if p.is_dir() and not p.is_symlink() else p.unlink()
                except OSError:
                    pass
            if not existed:
                shutil.rmtree(path, ignore_errors=True)
        raise


def _listing(path: Path) -> set[Path]:
    return set(path.rglob("*")) if path.is_dir() else set()


def _saved(p: Path) -> bool:
    """A result a rerun would reuse: results.json, a predictions file or a trained fold."""
    return p.name == "results.json" or (p.parent.name in ("predictions", "folds") and p.is_file()
                                        and not p.name.startswith("."))
