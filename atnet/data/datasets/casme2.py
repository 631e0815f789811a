"""CASME II (Yan et al. 2014): CASME2_RAW_selected/sub01/EP02_01f/img46.jpg (or Cropped/.../reg_img46.jpg)
with CASME2-coding-20140508.xlsx, sheet 1: Subject, Filename, (blank), OnsetFrame, ApexFrame,
OffsetFrame, (blank), Action Units, Estimated Emotion. 200 fps."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.readers import read_spreadsheet
from .base import Corpus, CorpusError, samples_from_sheet

FPS = 200.0
TREES = ("CASME2_RAW_selected", "Cropped")
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Estimated Emotion")


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


def load(root: str | Path, sheet: str | Path | None = None) -> Corpus:
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    columns = dict(subject="Subject", clip="Filename", emotion="Estimated Emotion", onset="OnsetFrame",
                   apex="ApexFrame", offset="OffsetFrame")
    return samples_from_sheet("casme2", read_sheet(sheet), sheet, tree, columns, subject_folder, FPS, "sub*")
