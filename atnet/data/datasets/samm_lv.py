"""SAMM Long Videos (Yap et al., FG 2020): `SAMM_longvideos/006_1/006_1_0001.jpg` (1-based frame
numbers; some videos use 5 digits, so frames are sorted by number), 200 fps, with the release
workbook `SAMM_LongVideos_V{1,2,3}_Release.xlsx` (or its CSV export), sheet `FACS_Movement_Only`:
9 note rows, then the header `Subject, Filename, Inducement Code, Onset, Apex, Offset, Duration,
Type, Action Units, Notes` (a user-edited copy with the header on row 1 reads the same: the header
row is found, not assumed). Layout and values as described in SPOTTING.md (from the MEGC 2021
ground truth in genbing99/MTSN-Spot-ME-MaE and the V2 export in hitheyuhong/MEGC2024-CODE).

- Type `Macro` -> macro, `Micro - 1/2` -> micro; any other type is left out, listed.
- V1 has fractional frame numbers (566.4): rounded half up, as the MEGC loaders do; V2 integers.
- Onset 0 (12 V2 rows: a macro-expression running from the start) is read as the first frame.
- Apex -1 means not annotated (kept, apex unknown). No release leaves an offset out; one of 0 or
  less is read as CAS(ME)^2's is (the apex ends it), the other rules too (long.truth_interval).
- The video is the first two fields of Filename (`006_1_3` -> folder `006_1`)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ...core.errors import CorpusError
from ...core.readers import read_raw_csv, read_spreadsheet
from ..long import Interval, LongCorpus, LongVideo, truth_interval
from .base import Exclusion, first_glob, list_frames, tree_folder

DATASET = "samm-lv"
FPS = 200.0
COLUMNS = ("Subject", "Filename", "Onset", "Apex", "Offset", "Type")
TREE = "SAMM_longvideos"
FIX = "use the SAMM Long Videos release workbook (SAMM_LongVideos_V*_Release.xlsx)"


def find_sheet(root: Path) -> Path:
    found = first_glob(root, ("SAMM_LongVideos*.xlsx", "SAMMLV*.xlsx", "SAMM_LongVideos*.csv",
                              "*/SAMM_LongVideos*.xlsx"))
    if found:
        return found
    raise CorpusError(f"{root}: no SAMM_LongVideos*.xlsx inside; put the release workbook beside {TREE}/ or pass "
                      f"it with --samm-lv-sheet.")


def find_tree(root: Path) -> Path:
    return tree_folder(root, (TREE, TREE.lower()), "--samm-lv")


def read_sheet(path: Path) -> pd.DataFrame:
    """The expression rows, indexed by the workbook's row numbers (1-based), header row found."""
    if path.suffix.lower() == ".csv":
        raw = read_raw_csv(path, FIX)
    else:
        raw = read_spreadsheet(path, 0, header=None, fix=FIX)
    heads = [i for i in range(min(len(raw), 40)) if str(raw.iat[i, 0]).strip() == "Subject"]
    if not heads:
        raise CorpusError(f"{path}: no header row starting with 'Subject' in its first 40 rows; {FIX}.")
    h = heads[0]
    df = raw.iloc[h + 1:].copy()
    df.columns = [str(c).strip() for c in raw.iloc[h]]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CorpusError(f"{path}: the header row (row {h + 1}) has no column {missing[0]!r}; {FIX}.")
    df.index = df.index + 1
    return df


def frame(value) -> int | None:
    """A frame number: whole, or fractional rounded half up (V1); None if not a finite number."""
    try:
        x = float(str(value).strip())
    except ValueError:
        return None
    return math.floor(x + 0.5) if math.isfinite(x) else None


def kind(cell) -> str | None:
    text = str(cell).strip().lower()
    return "macro" if text.startswith("macro") else "micro" if text.startswith("micro") else None


def load(root: str | Path, sheet: str | Path | None = None) -> LongCorpus:
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    rows = read_sheet(sheet)
    out, by_video, seen = LongCorpus(), {}, {}

    def leave(row, name, why):
        out.excluded.append(Exclusion(DATASET, name, f"{sheet.name} row {row}: {why}"))

    for row, r in rows.iterrows():
        name = "" if pd.isna(r["Filename"]) else str(r["Filename"]).strip()
        if not name:
            if not all(pd.isna(v) or not str(v).strip() for v in r.values):
                leave(row, "?", "no Filename; the row cannot be placed in a video")
            continue
        subject = str(r["Subject"]).strip()
        subject = subject.zfill(3) if subject.isdigit() else subject
        video = "_".join(name.split("_")[:2])
        what = kind(r["Type"])
        onset, apex, offset = (frame(r[c]) for c in ("Onset", "Apex", "Offset"))
        if what is None:
            leave(row, name, f"type {r['Type']!r} is neither Macro nor Micro")
            continue
        if onset is None or offset is None:
            leave(row, name, f"onset {r['Onset']!r} / offset {r['Offset']!r} are not frame numbers")
            continue
        if video not in by_video:
            folder = tree / video
            try:
                frames, numbers = list_frames(folder) if folder.is_dir() else ((), ())
            except CorpusError as e:
                frames, numbers = (), ()
                leave(row, name, str(e))
            by_video[video] = LongVideo(DATASET, f"{DATASET}/{subject}", video, FPS,
                                        [Path(f) for f in frames], list(numbers))
        v = by_video[video]
        if not v.numbers:
            leave(row, name, f"no frames in {tree / video}")
            continue
        got = truth_interval(onset, apex, offset, v.numbers[0], v.numbers[-1])
        if isinstance(got, str):
            leave(row, name, got)
            continue
        onset, apex, offset, note = got
        if note:
            out.notes.append(f"{DATASET} {name}: {sheet.name} row {row}: {note}")
        key = (video, onset, offset)
        if key in seen:
            leave(row, name, f"repeats row {seen[key]} (same video, onset and offset)")
            continue
        seen[key] = row
        v.truth.append(Interval(onset, offset, what, apex))
    out.videos = [v for v in by_video.values() if v.numbers]
    annotated = set(by_video)
    for folder in sorted(p for p in tree.iterdir() if p.is_dir() and p.name not in annotated):
        out.excluded.append(Exclusion(DATASET, folder.name, "a video folder with no row in the workbook; not scored"))
    return out
