"""MMEW (Ben et al. 2022, IEEE TPAMI): Micro_Expression/<emotion>/<Filename>/<frame>.jpg (frames named
1.jpg, 2.jpg, ...; Filename S01-01-001) with MMEW_Micro_Exp.xlsx, sheet 1: Subject, Filename,
OnsetFrame, ApexFrame, OffsetFrame, Action Units, Estimated Emotion, remarks (300 clips, "others"
among them; the workbook is not public), or a CSV export of it with the same first columns (the
public MMEW_Micro_Exp_delete_others.csv: 234 clips of 30 subjects, others removed, three extra
columns of its author's, which are not read). 90 fps.

The tree has no subject folders: the subject is the sheet's Subject number, zero-padded to two
digits (Subject 1 -> S01, as the Filename S01-01-001 writes it; dataset-qualified mmew/S01). A clip
lies in the folder of its emotion, which must agree with the sheet's Estimated Emotion (compared
ignoring case): a clip whose folder says otherwise is left out with a reason naming both, and so is
a clip found in two emotion folders. A clip folder with no row in the sheet is listed as not read.
On the public export every clip's folder (its imagename column) agrees with its emotion, and the
onset is frame 1 for all 234 clips."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.errors import CorpusError
from ...core.readers import frame_triplet, read_spreadsheet, read_table
from ..classsets import ClassSet, get as get_classes, norm
from .base import Corpus, Exclusion, Sample, check_frames, sheet_labels

FPS = 90.0
TREE = "Micro_Expression"
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Estimated Emotion")
COLUMN_MAP = dict(subject="Subject", clip="Filename", emotion="Estimated Emotion", onset="OnsetFrame",
                  apex="ApexFrame", offset="OffsetFrame")
FIX = ("use the official MMEW_Micro_Exp.xlsx or its CSV export (Subject, Filename, OnsetFrame, ApexFrame, "
       "OffsetFrame, Action Units, Estimated Emotion)")


def find_sheet(root: Path) -> Path:
    """MMEW_Micro_Exp*.xlsx (or a CSV export, MMEW_Micro_Exp*.csv) in the root or one folder down."""
    for pattern in ("MMEW_Micro_Exp*.xlsx", "*/MMEW_Micro_Exp*.xlsx", "MMEW_Micro_Exp*.csv", "*/MMEW_Micro_Exp*.csv"):
        found = sorted(root.glob(pattern))
        if found:
            return found[0]
    raise CorpusError(f"{root}: no MMEW_Micro_Exp.xlsx (or MMEW_Micro_Exp*.csv) inside; put the annotation sheet "
                      f"beside {TREE}/ or pass it with --mmew-sheet.")


def find_tree(root: Path) -> Path:
    for cand in (root / TREE, *sorted(root.glob(f"*/{TREE}"))):
        if cand.is_dir():
            return cand
    raise CorpusError(f"{root}: no {TREE}/ folder inside; point --mmew at the folder that holds it.")


def read_sheet(path: Path) -> pd.DataFrame:
    """The sheet's rows (xlsx sheet 1, or the CSV), indexed by the file's row numbers (the header is row 1)."""
    if path.suffix.lower() == ".csv":
        df = read_table(path, COLUMNS, "the MMEW annotation")
    else:
        df = read_spreadsheet(path, 0, fix=FIX)
        df.columns = [str(c).strip() for c in df.columns]
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise CorpusError(f"{path}: sheet 1 has no column {missing[0]!r} (found {list(df.columns)}); {FIX}.")
    df.index = df.index + 2
    return df.dropna(subset=["Subject", "Filename"])


def subject_name(cell) -> str:
    """Subject 1 -> S01 (as the Filename S01-01-001 writes it); S01 stays S01."""
    text = str(cell).strip()
    digits = text[1:] if text[:1] in "sS" else text
    digits = digits[:-2] if digits.endswith(".0") else digits
    return f"S{int(digits):02d}" if digits.isdigit() else text


def sheet_rows(sheet: str | Path, classes: ClassSet | str | None = None) -> list[tuple[int, str, str | None, str]]:
    """[(row number, subject/clip, class or None, why it is left out or "")] of every row, labelled
    by the class set `classes` (mmew-6, mmew-5) reading no frame (base.sheet_labels)."""
    sheet = Path(sheet)
    return sheet_labels("mmew", read_sheet(sheet), sheet, COLUMN_MAP, subject_name, get_classes(classes))


def clip_folders(tree: Path) -> dict[str, list[Path]]:
    """{Filename: the clip folders of that name}, over every emotion folder."""
    out: dict[str, list[Path]] = {}
    for emotion in sorted(p for p in tree.iterdir() if p.is_dir()):
        for clip in sorted(p for p in emotion.iterdir() if p.is_dir()):
            out.setdefault(clip.name, []).append(clip)
    return out


def load(root: str | Path, classes: ClassSet | str | None = None, sheet: str | Path | None = None) -> Corpus:
    """MMEW's micro-expression clips, labelled by the class set `classes` (mmew-6, mmew-5)."""
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    tree = find_tree(root)
    rows = read_sheet(sheet)
    folders = clip_folders(tree)
    out = Corpus()
    for n, name, label, why in sheet_labels("mmew", rows, sheet, COLUMN_MAP, subject_name, get_classes(classes)):
        subject, clip = name.split("/", 1)
        r = rows.loc[n]
        where = f"{sheet.name} row {n}"
        got = why or folder_problem(folders.get(clip, []), clip, r["Estimated Emotion"], tree, where) \
            or frame_triplet(r, ("OnsetFrame", "ApexFrame", "OffsetFrame"), where)
        if isinstance(got, str):
            out.excluded.append(Exclusion("mmew", name, got))
            continue
        onset, apex, offset = got
        got = check_frames("mmew", name, folders[clip][0], onset, apex, offset)
        if isinstance(got, str):
            out.excluded.append(Exclusion("mmew", name, got))
            continue
        out.samples.append(Sample("mmew", f"mmew/{subject}", clip, label, onset, apex, offset, FPS, *got))
    listed = {str(c).strip() for c in rows["Filename"]}
    for clip, found in sorted(folders.items()):
        if clip not in listed:
            for folder in found:
                out.excluded.append(Exclusion("mmew", f"{clip.split('-', 1)[0]}/{clip}",
                                              f"the folder {folder} has no row in {sheet.name}, so it is not read; "
                                              f"add its row to use it"))
    return out


def folder_problem(found: list[Path], clip: str, emotion, tree: Path, where: str) -> str:
    """Why the clip's folder cannot be used (none, two, or in another emotion's folder), or ""."""
    if not found:
        return f"no folder {tree}/<emotion>/{clip} for {where}"
    if len(found) > 1:
        return (f"{clip} lies in {len(found)} emotion folders ({', '.join(p.parent.name for p in found)}); keep the "
                f"one of its emotion {str(emotion).strip()!r} ({where})")
    if norm(found[0].parent.name) != norm(emotion):
        return (f"its folder lies in {found[0].parent.name}/ but {where} gives the emotion "
                f"{str(emotion).strip()!r}; move the folder or correct the row")
    return ""
