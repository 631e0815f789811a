"""SAMM (Davison et al. 2016): SAMM/006/006_1_2/006_05562.jpg with SAMM_Micro_FACS_Codes_v2.xlsx,
sheet MICRO_ONLY: a block of notes, then the header row (Subject, Filename, Inducement Code,
Onset Frame, Apex Frame, Offset Frame, Duration, Micro, Action Units, Estimated Emotion, ...). 200 fps."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .base import Corpus, CorpusError, Exclusion, Sample, check_frames, label_maps, map_label

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
    try:
        raw = pd.read_excel(path, sheet_name=SHEET, header=None, dtype=str)
    except ValueError as e:
        raise CorpusError(f"{path}: no sheet {SHEET!r} ({e}); use the official SAMM spreadsheet.") from e
    heads = [i for i, v in enumerate(raw.iloc[:, 0]) if str(v).strip() == "Subject"]
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
    return df.dropna(subset=["Subject", "Filename"])


def frame_root(root: Path) -> Path:
    """The folder holding the subject folders: the root itself or a SAMM/ inside it."""
    return root / "SAMM" if (root / "SAMM").is_dir() and not any(root.glob("[0-9][0-9][0-9]")) else root


def load(root: str | Path, sheet: str | Path | None = None) -> Corpus:
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = frame_root(root)
    excl = label_maps()["samm"]["exclude"]
    out = Corpus()
    for _, row in read_sheet(sheet).iterrows():
        subject = str(row["Subject"]).strip().zfill(3)
        clip = str(row["Filename"]).strip()
        name = f"{subject}/{clip}"

        def skip(reason: str):
            out.excluded.append(Exclusion("samm", name, reason))

        label = map_label("samm", row["Estimated Emotion"])
        if label is None:
            skip(f"emotion {row['Estimated Emotion']!r} is not in the composite's three classes")
            continue
        if name in excl:
            skip(excl[name])
            continue
        try:
            onset, apex, offset = (int(float(row[c])) for c in ("Onset Frame", "Apex Frame", "Offset Frame"))
        except ValueError:
            skip(f"non-numeric onset/apex/offset ({row['Onset Frame']}, {row['Apex Frame']}, "
                 f"{row['Offset Frame']}) in {sheet.name}; write the frame numbers into the row "
                 f"to use the clip")
            continue
        got = check_frames("samm", name, tree / subject / clip, onset, apex, offset)
        if isinstance(got, str):
            skip(got)
            continue
        frames, numbers = got
        out.samples.append(Sample("samm", f"samm/{subject}", clip, label, onset, apex, offset, FPS,
                                  frames, numbers))
    return out
