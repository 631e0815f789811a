"""CAS(ME)^2 (Qu et al., IEEE TAC 2018), the long-video part: `rawpic/s15/15_0101disgustingteeth/
img001.jpg` (`img%03d`, 1-based; img1000.jpg past 999, so frames are sorted by number), 30 fps, with
the coding workbook `CAS(ME)^2code_final.xlsx` (circulating as `CASME_sq_gt.xlsx`, the MEGC 2021
ground truth in genbing99/MTSN-Spot-ME-MaE): three sheets without a header row, read by position
(one old copy names the first sheet differently):
  sheet 1: participant, `<expression><n>_<k>` (anger1_1), onset, apex, offset, AUs, emotion, type
           (`macro-expression` / `micro-expression`), self-report;
  sheet 2: subject number, folder, participant (15, s15, 1);
  sheet 3: 4-digit video code, expression name (0401, anger1).
The video of a row is the folder `rawpic/<folder>/<number>_<code>*`; where no folder has that
prefix, the one folder of that subject whose name holds `_<code>` (the known oddity
`s19/23_0502funnyerrors`). Offset 0 means the offset was not annotated (44 rows): the apex is used
as the offset, as the MEGC loaders do. Layout as in SPOTTING.md."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.classes import CLASSES
from ...core.errors import CorpusError
from ...core.readers import read_spreadsheet, whole_number
from ..long import Interval, LongCorpus, LongVideo, truth_interval
from .base import Exclusion, first_glob, list_frames, tree_folder

DATASET = "casme-sq"
FPS = 30.0
TREE = "rawpic"
FIX = "use the CAS(ME)^2 coding workbook (CAS(ME)^2code_final.xlsx, three sheets)"


def find_sheet(root: Path) -> Path:
    found = first_glob(root, ("CAS(ME)^2code_final*.xlsx", "CAS(ME)2code_final*.xlsx", "CASME_sq_gt.xlsx",
                              "*/CAS(ME)^2code*.xlsx"))
    if found:
        return found
    raise CorpusError(f"{root}: no CAS(ME)^2code_final.xlsx (or CASME_sq_gt.xlsx) inside; put the coding workbook "
                      f"beside {TREE}/ or pass it with --casme-sq-sheet.")


def find_tree(root: Path) -> Path:
    return tree_folder(root, (TREE,), "--casme-sq")


def read_book(path: Path) -> tuple[pd.DataFrame, dict, dict]:
    """(sheet 1 rows indexed by row number, participant -> (number, folder), expression -> code)."""
    try:
        names = pd.ExcelFile(path).sheet_names
    except Exception:
        names = []
    if len(names) < 3:
        read_spreadsheet(path, 0, header=None, fix=FIX)   # names an unreadable file in its own words
        raise CorpusError(f"{path}: has {len(names)} sheet(s); the coding workbook has three (codes, naming rule 1, "
                          f"naming rule 2); {FIX}.")
    codes, people, rule2 = (read_spreadsheet(path, i, header=None, fix=FIX) for i in range(3))
    if codes.shape[1] < 8 or people.shape[1] < 3 or rule2.shape[1] < 2:
        raise CorpusError(f"{path}: its sheets have {codes.shape[1]}, {people.shape[1]} and {rule2.shape[1]} columns, "
                          f"expected at least 8, 3 and 2; {FIX}.")
    participants = {}
    for _, r in people.iterrows():
        p, n = whole_number(r[2]), whole_number(r[0])
        if p is not None and n is not None and not pd.isna(r[1]):
            participants.setdefault(p, (n, str(r[1]).strip()))
    expressions = {str(r[1]).strip(): str(r[0]).strip().split(".")[0].zfill(4) for _, r in rule2.iterrows()
                   if not pd.isna(r[0]) and not pd.isna(r[1])}
    codes.index = codes.index + 1
    return codes, participants, expressions


def video_folder(tree: Path, folder: str, number: int, code: str) -> Path | None:
    base = tree / folder
    if not base.is_dir():
        return None
    named = sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith(f"{number}_{code}"))
    if not named:
        named = sorted(p for p in base.iterdir() if p.is_dir() and f"_{code}" in p.name)
    return named[0] if len(named) == 1 else None


def load(root: str | Path, sheet: str | Path | None = None) -> LongCorpus:
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    codes, participants, expressions = read_book(sheet)
    out, by_video, seen = LongCorpus(), {}, {}

    def leave(row, name, why):
        out.excluded.append(Exclusion(DATASET, name, f"{sheet.name} row {row}: {why}"))

    for row, r in codes.iterrows():
        if all(pd.isna(v) for v in r.values):
            continue
        name = str(r[1]).strip()
        p = whole_number(r[0])
        if p not in participants:
            leave(row, name, f"participant {r[0]!r} is not in the naming-rule sheet")
            continue
        number, folder = participants[p]
        expression = name.rsplit("_", 1)[0]
        if expression not in expressions:
            leave(row, name, f"{expression!r} is not in the video-code sheet")
            continue
        code = expressions[expression]
        what = str(r[7]).strip().lower()
        what = "macro" if what.startswith("macro") else "micro" if what.startswith("micro") else None
        if what is None:
            leave(row, name, f"type {r[7]!r} is neither macro-expression nor micro-expression")
            continue
        onset, apex, offset = (whole_number(r[c]) for c in (2, 3, 4))
        if onset is None or apex is None or offset is None:
            leave(row, name, f"onset/apex/offset ({r[2]}, {r[3]}, {r[4]}) are not whole frame numbers")
            continue
        key = (folder, code)
        if key not in by_video:
            path = video_folder(tree, folder, number, code)
            try:
                frames, numbers = list_frames(path) if path else ((), ())
            except CorpusError as e:
                frames, numbers = (), ()
                leave(row, name, str(e))
            by_video[key] = LongVideo(DATASET, f"{DATASET}/{folder}", f"{folder}/{path.name if path else code}",
                                      FPS, [Path(f) for f in frames], list(numbers))
        v = by_video[key]
        if not v.numbers:
            leave(row, name, f"no video folder {tree / folder}/{number}_{code}* with frames")
            continue
        got = truth_interval(onset, apex, offset, v.numbers[0], v.numbers[-1])   # offset 0: the apex ends it
        if isinstance(got, str):
            leave(row, name, got)
            continue
        onset, apex, offset, note = got
        if note:
            out.notes.append(f"{DATASET} {name}: {sheet.name} row {row}: {note}")
        if (key, onset, offset) in seen:
            leave(row, name, f"repeats row {seen[(key, onset, offset)]} (same video, onset and offset)")
            continue
        seen[(key, onset, offset)] = row
        emotion = str(r[6]).strip().lower()
        v.truth.append(Interval(onset, offset, what, apex,
                                label=emotion if emotion in CLASSES else ""))
    out.videos = [v for v in by_video.values() if v.numbers]
    used = {Path(v.frames[0]).parent for v in out.videos}
    for folder in sorted(p for p in tree.glob("*/*") if p.is_dir() and p not in used):
        out.excluded.append(Exclusion(DATASET, f"{folder.parent.name}/{folder.name}",
                                      "a video folder with no row in the workbook; not scored"))
    return out
