"""SAMM (Davison et al. 2016): SAMM/006/006_1_2/006_05562.jpg with SAMM_Micro_FACS_Codes_v2.xlsx,
sheet MICRO_ONLY: a block of notes, then the header row (Subject, Filename, Inducement Code,
Onset Frame, Apex Frame, Offset Frame, Duration, Micro, Action Units, Estimated Emotion, ...). 200 fps."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.readers import read_spreadsheet
from ..classsets import ClassSet
from .base import Corpus, CorpusError, samples_from_sheet

FPS = 200.0
SHEET = "MICRO_ONLY"
COLUMNS = ("Subject", "Filename", "Onset Frame", "Apex Frame", "Offset Frame", "Estimated Emotion")


def find_sheet(root: Path) -> Path:
    found = sorted(root.glob("SAMM_Micro_FACS_Codes*.xlsx")) + sorted(root.glob("*/SAMM_Micro_FACS_Codes*.xlsx"))
    if not found:
        raise CorpusError(f"{root}: no SAMM_Micro_FACS_Codes*.xlsx inside; put the official spreadsheet "
                          f"beside the subject folders (006/, 007/, ...) or pass it with --samm-sheet.")
    return found[0]


def read_sheet(path: Path) -> pd.DataFrame:
    """The rows under the header row of MICRO_ONLY, indexed by the spreadsheet's row numbers."""
    raw = read_spreadsheet(path, SHEET, header=None, fix="use the official SAMM spreadsheet "
                                                        "(SAMM_Micro_FACS_Codes_v2.xlsx)")
    heads = [i for i, v in enumerate(raw.iloc[:, 0]) if str(v).strip() == "Subject"] if raw.shape[1] else []
    if not heads:
        raise CorpusError(f"{path}: sheet {SHEET} has no header row starting with 'Subject'; "
                          f"use the official SAMM spreadsheet.")
    h = heads[0]
    df = raw.iloc[h + 1:].copy()
    df.columns = [str(c).strip() for c in raw.iloc[h]]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CorpusError(f"{path}: sheet {SHEET} has no column {missing[0]!r} in its header row "
                          f"(row {h + 1}); restore the official column names.")
    df.index = df.index + 1
    return df.dropna(subset=["Subject", "Filename"])


def frame_root(root: Path) -> Path:
    """The folder holding the subject folders: the root itself or a SAMM/ inside it."""
    return root / "SAMM" if (root / "SAMM").is_dir() and not any(root.glob("[0-9][0-9][0-9]")) else root


def subject_folder(cell) -> str:
    return str(cell).strip().zfill(3)


COLUMN_MAP = dict(subject="Subject", clip="Filename", emotion="Estimated Emotion", objective="Objective Classes",
                  onset="Onset Frame", apex="Apex Frame", offset="Offset Frame")


def load(root: str | Path, sheet: str | Path | None = None, classes: ClassSet | str | None = None) -> Corpus:
    """SAMM's clips, labelled by the class set `classes` (default megc2019)."""
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    return samples_from_sheet("samm", read_sheet(sheet), sheet, frame_root(root), COLUMN_MAP, subject_folder, FPS,
                              "[0-9][0-9][0-9]", classes)
