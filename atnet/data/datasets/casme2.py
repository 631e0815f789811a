"""CASME II (Yan et al. 2014): CASME2_RAW_selected/sub01/EP02_01f/img46.jpg (or Cropped/.../reg_img46.jpg)
with CASME2-coding-20140508.xlsx, sheet 1: Subject, Filename, (blank), OnsetFrame, ApexFrame,
OffsetFrame, (blank), Action Units, Estimated Emotion. 200 fps.

The objective classes (MEGC 2018; class set megc2018-objective) are not in the coding sheet: they
come in their own sheet, CASME2-ObjectiveClasses.xlsx (sheet 1: Subject, Filename, Objective Class
1-7), found beside the coding sheet or passed with --casme2-objective-sheet, and joined on the
subject and clip."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.readers import read_spreadsheet
from ..classsets import ClassSet, get as get_classes
from .base import Corpus, CorpusError, samples_from_sheet

FPS = 200.0
TREES = ("CASME2_RAW_selected", "Cropped")
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Estimated Emotion")
OBJECTIVE = "Objective Class"
COLUMN_MAP = dict(subject="Subject", clip="Filename", emotion="Estimated Emotion", objective=OBJECTIVE,
                  onset="OnsetFrame", apex="ApexFrame", offset="OffsetFrame")


def find_sheet(root: Path) -> Path:
    found = sorted(root.glob("CASME2-coding-*.xlsx")) + sorted(root.glob("*/CASME2-coding-*.xlsx"))
    if not found:
        raise CorpusError(f"{root}: no CASME2-coding-*.xlsx inside; put the official spreadsheet beside "
                          f"CASME2_RAW_selected/ or pass it with --casme2-sheet.")
    return found[0]


def find_tree(root: Path) -> Path:
    for name in TREES:
        for cand in (root / name, *root.glob(f"*/{name}")):
            if cand.is_dir():
                return cand
    raise CorpusError(f"{root}: neither CASME2_RAW_selected/ nor Cropped/ is inside; point --casme2 at the "
                      f"folder that holds them.")


def read_sheet(path: Path) -> pd.DataFrame:
    """Sheet 1, indexed by the spreadsheet's row numbers (the header is row 1)."""
    df = read_spreadsheet(path, 0, fix="use the official CASME II coding spreadsheet (CASME2-coding-*.xlsx)")
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CorpusError(f"{path}: sheet 1 has no column {missing[0]!r} (found {list(df.columns)}); "
                          f"use the official CASME II coding spreadsheet or restore the column name.")
    df.index = df.index + 2
    return df.dropna(subset=["Subject", "Filename"])


def subject_folder(cell) -> str:
    return "sub" + str(cell).strip().zfill(2)


def find_objective(root: Path, sheet: Path) -> Path:
    for folder in dict.fromkeys((sheet.parent, root)):
        found = sorted(folder.glob("*[Oo]bjective*.xlsx")) or sorted(folder.glob("*/*[Oo]bjective*.xlsx"))
        if found:
            return found[0]
    raise CorpusError(f"{root}: no CASME II objective-class sheet (CASME2-ObjectiveClasses.xlsx) inside, and the "
                      f"class set asks for objective classes; put it beside {sheet.name} or pass it with "
                      f"--casme2-objective-sheet.")


def with_objective(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The coding sheet's rows with each clip's objective class (empty where the objective sheet has
    no row for it: such a clip is left out with that reason)."""
    obj = read_spreadsheet(path, 0, fix="use CASME2-ObjectiveClasses.xlsx (Subject, Filename, Objective Class)")
    obj.columns = [str(c).strip() for c in obj.columns]
    for c in ("Subject", "Filename", OBJECTIVE):
        if c not in obj.columns:
            raise CorpusError(f"{path}: sheet 1 has no column {c!r} (found {list(obj.columns)}); use the CASME II "
                              f"objective-class sheet (Subject, Filename, Objective Class).")
    obj = obj.dropna(subset=["Subject", "Filename"])
    key = {(subject_folder(s), str(f).strip()): v for s, f, v in zip(obj["Subject"], obj["Filename"], obj[OBJECTIVE])}
    rows = rows.copy()
    rows[OBJECTIVE] = [key.get((subject_folder(s), str(f).strip())) for s, f in zip(rows["Subject"], rows["Filename"])]
    return rows


def load(root: str | Path, sheet: str | Path | None = None, classes: ClassSet | str | None = None,
         objective: str | Path | None = None) -> Corpus:
    """CASME II's clips, labelled by the class set `classes` (default megc2019)."""
    root = Path(root)
    classes = get_classes(classes)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    rows = read_sheet(sheet)
    if classes.rule("casme2").column == "objective":
        rows = with_objective(rows, Path(objective) if objective else find_objective(root, sheet))
    return samples_from_sheet("casme2", rows, sheet, tree, COLUMN_MAP, subject_folder, FPS, "sub*", classes)
