"""CASME II (Yan et al. 2014): CASME2_RAW_selected/sub01/EP02_01f/img46.jpg (or Cropped/.../reg_img46.jpg)
with CASME2-coding-20140508.xlsx, sheet 1: Subject, Filename, (blank), OnsetFrame, ApexFrame,
OffsetFrame, (blank), Action Units, Estimated Emotion. 200 fps."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .base import Corpus, CorpusError, Exclusion, Sample, check_frames, label_maps, map_label

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
    try:
        df = pd.read_excel(path, sheet_name=0, dtype=str)
    except Exception as e:  # openpyxl raises many kinds
        raise CorpusError(f"{path}: cannot be read as a spreadsheet ({e}); use the official .xlsx file.") from e
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CorpusError(f"{path}: sheet 1 has no column {missing[0]!r} (found {list(df.columns)}); "
                          f"use the official CASME II coding spreadsheet or restore the column name.")
    return df.dropna(subset=["Subject", "Filename"])


def load(root: str | Path, sheet: str | Path | None = None) -> Corpus:
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    prefix = "reg_" if tree.name == "Cropped" else ""
    excl = label_maps()["casme2"]["exclude"]
    out = Corpus()
    for _, row in read_sheet(sheet).iterrows():
        subject = "sub" + str(row["Subject"]).strip().zfill(2)
        clip = str(row["Filename"]).strip()
        name = f"{subject}/{clip}"

        def skip(reason: str):
            out.excluded.append(Exclusion("casme2", name, reason))

        label = map_label("casme2", row["Estimated Emotion"])
        if label is None:
            skip(f"emotion {row['Estimated Emotion']!r} is not in the composite's three classes")
            continue
        if name in excl:
            skip(excl[name])
            continue
        try:
            onset, apex, offset = (int(float(row[c])) for c in ("OnsetFrame", "ApexFrame", "OffsetFrame"))
        except ValueError:
            skip(f"non-numeric onset/apex/offset ({row['OnsetFrame']}, {row['ApexFrame']}, "
                 f"{row['OffsetFrame']}) in {sheet.name}; write the frame numbers into the row "
                 f"to use the clip")
            continue
        got = check_frames("casme2", name, tree / subject / clip, onset, apex, offset)
        if isinstance(got, str):
            skip(got)
            continue
        frames, numbers = got
        out.samples.append(Sample("casme2", f"casme2/{subject}", clip, label, onset, apex, offset, FPS,
                                  frames, numbers))
    return out
