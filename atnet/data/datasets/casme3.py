"""CAS(ME)^3 part A (Li et al. 2022, IEEE TPAMI): part_A/spNO.1/a/color/355.jpg (the depth/ folder
beside color/ is not read) with cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx, sheet `label`: Subject
(spNO.1), Filename (a..m: the video), Onset, Apex, Offset (jpg indices), AU, Objective class (I-VII),
emotion. 860 micro-expressions of 94 subjects in the official v2 sheet. 30 fps.

A video holds several micro-expressions, so a clip is named `<Filename>_<Onset>` (spNO.1's video a
from jpg 355: clip `a_355`, key casme3/spNO.1/a_355); a second row with the same subject, video and
onset is left out as a repeat of the first. A Sample's frames are its video's from onset to offset
only (each video folder is listed once for all its rows). Subjects are dataset-qualified:
casme3/spNO.1. Labels come from the class set (casme3-3, casme3-4, casme3-7: emotion; a set may read
the objective class instead); the emotion cells are mixed case (`others` 158 rows, `Others` 3),
which the class sets' lower-case maps read alike.

The wrongly-labelled list (CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx, no header, two blocks of
12 and 10 rows separated by an empty row; the first three columns are subject, video, onset in both
blocks, the rest differ: block 1 AU, objective class, emotion; block 2 AU, `Others`,
`Micro-expression`, objective class, (empty), offset - onset) is applied when found beside the
label workbook (or given: --casme3-wrong-sheet): a v2 row it names (same subject, video and onset)
is left out. On the official files it names 4 v2 rows (spNO.149/d 112, spNO.40/e 1812 and 2327,
spNO.216/d 3647), each of which is also broken in v2 (below), so it changes the reasons, not the
counts; its other 18 rows name v1 entries that v2 corrected or removed.

Quirks of the official v2 sheet, each row left out with one sentence (sheet_rows):
  offset 0        spNO.40/e onsets 1812 and 2327: the offset was not annotated;
  apex outside    spNO.149/d 112 (apex 83 before onset 112), spNO.216/d 3647 (apex 2668, offset 2694
                  both before onset 3647): the frame numbers are not in order;
  video 'J'       spNO.14 row 61 writes its video as `J`: part A's video folders are a..m, so the
                  letter is read lower-case (clip j_1012, folder j/, or J/ where only that exists);
  onset 0         spNO.216/e row 752: onset 0 and apex 0 (offset 25): read as jpg 0 where 0.jpg exists,
                  else left out with the frame check's reason;
  long rows       some rows span far more than a micro-expression (spNO.214/c jpg 5..3460: 115 s); the
                  sheet calls them micro-expressions, so they are read as written.
A row whose frames are missing from its video folder is left out with the reason (check_listed).
Video folders with no row (part A's videos hold macro-expressions too) are not listed."""
from __future__ import annotations

import fnmatch
import re
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ...core.errors import CorpusError
from ...core.readers import first_rows, frame_triplet, read_spreadsheet, whole_number
from ..classsets import ClassSet, get as get_classes
from .base import Corpus, Exclusion, Sample, check_listed, read_folder, sheet_labels

FPS = 30.0
SHEET = "label"
SHEET_NAME = "cas(me)3_part_a_me_label_jpgindex*.xlsx"      # matched ignoring case
WRONG_NAME = "cas(me)3_part_a_wrongly_label*.xlsx"
COLUMNS = ("Subject", "Filename", "Onset", "Apex", "Offset", "emotion")
COLUMN_MAP = dict(subject="Subject", clip="Clip", emotion="emotion", objective="Objective class",
                  onset="Onset", apex="Apex", offset="Offset")
_SUBJECT = re.compile(r"^spNO\.\d+$", re.I)


class Row(NamedTuple):
    """What the class set and the sheet alone make of one row of the label sheet."""
    row: int                  # the spreadsheet's row number (the header is row 1)
    name: str                 # subject/clip: spNO.1/a_355
    label: str | None         # the class, or None where the row is left out
    why: str                  # why it is left out, or ""
    video: str                # the video folder as written in the sheet (a..m)
    onset: int | None
    apex: int | None
    offset: int | None


def _named(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob("*.xlsx") if fnmatch.fnmatch(p.name.lower(), pattern))


def find_sheet(root: Path) -> Path:
    """The label workbook in the root or one folder down."""
    for folder in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        found = _named(folder, SHEET_NAME)
        if found:
            return found[0]
    raise CorpusError(f"{root}: no cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx inside (nor one folder down); put the "
                      f"official label workbook beside part_A/ or pass it with --casme3-sheet.")


def find_wrong(sheet: Path) -> Path | None:
    """The wrongly-labelled-in-v1 list beside the label workbook, if it is there."""
    found = _named(sheet.parent, WRONG_NAME)
    return found[0] if found else None


def find_tree(root: Path) -> Path:
    """The folder holding spNO.* subject folders: part_A/ in the root (or one folder down), or the root."""
    for cand in (root / "part_A", *sorted(root.glob("*/part_A")), root):
        if cand.is_dir() and any(_SUBJECT.match(p.name) for p in cand.iterdir() if p.is_dir()):
            return cand
    raise CorpusError(f"{root}: no part_A/spNO.1/a/color/... tree inside; point --casme3 at the folder holding "
                      f"part_A/ (or the spNO.* folders).")


def read_sheet(path: Path) -> pd.DataFrame:
    """Sheet `label`, indexed by the spreadsheet's row numbers, with each row's clip name (Clip)."""
    df = read_spreadsheet(path, SHEET, fix="use the official cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx")
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise CorpusError(f"{path}: sheet {SHEET} has no column {missing[0]!r} (found {list(df.columns)}); use the "
                          f"official CAS(ME)^3 part A label workbook or restore the column name.")
    df.index = df.index + 2
    df = df.dropna(subset=["Subject", "Filename"]).copy()
    df["Clip"] = [f"{clip_video(v)}_{_onset_text(o)}" for v, o in zip(df["Filename"], df["Onset"])]
    return df


def clip_video(cell) -> str:
    """The video letter as the clip names it: lower-case (spNO.14's `J` is video j)."""
    return str(cell).strip().lower()


def _onset_text(cell) -> str:
    n = whole_number(cell)
    return str(n) if n is not None else str(cell).strip()


def subject_name(cell) -> str:
    return str(cell).strip()


def read_wrong(path: Path) -> dict[tuple[str, str, int], int]:
    """{(subject, video, onset): its row number} of the wrongly-labelled-in-v1 list; both blocks
    start with subject, video, onset, and the empty row between them is skipped."""
    raw = read_spreadsheet(path, 0, header=None, fix="use the official CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx "
                                                     "(no header; subject, video, onset, apex, offset, ...)")
    out = {}
    for i, row in raw.iterrows():
        cells = [row[c] if c in row.index else None for c in range(3)]
        if all(pd.isna(c) for c in cells):
            continue
        onset = whole_number(cells[2])
        if pd.isna(cells[0]) or pd.isna(cells[1]) or onset is None:
            raise CorpusError(f"{path}: row {i + 1} is not subject, video, onset ({', '.join(map(str, cells))}); use "
                              f"the official list, or pass another with --casme3-wrong-sheet.")
        out.setdefault((subject_name(cells[0]), clip_video(cells[1]), onset), i + 1)
    if not out:
        raise CorpusError(f"{path}: lists no row; use the official CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx.")
    return out


def numbers_problem(triplet, where: str) -> str:
    """Why a row's frame numbers cannot be used, from the sheet alone, or ""."""
    if isinstance(triplet, str):
        return triplet
    onset, apex, offset = triplet
    if offset == 0:   # spNO.40/e (onsets 1812 and 2327): offset 0 means the offset was not annotated
        return (f"offset 0 in {where}: the offset is not annotated (onset {onset}, apex {apex}), so the clip has no "
                f"end; write the offset into the row to use it")
    if not onset <= apex <= offset:   # spNO.149/d (apex 83, onset 112), spNO.216/d (onset 3647, apex 2668)
        where_apex = "before the onset" if apex < onset else "after the offset" if apex > offset else "in place"
        return (f"apex {apex} is {where_apex} in {where} (onset {onset}, apex {apex}, offset {offset}: not in "
                f"order); correct the row to use it")
    return ""


def sheet_rows(sheet: str | Path, classes: ClassSet | str | None = None,
               wrong: str | Path | None = None) -> list[Row]:
    """Every row of the label sheet, labelled by the class set `classes` (default megc2019, which
    serves no casme3: give casme3-3, casme3-4 or casme3-7) reading no frame; `wrong` is the
    wrongly-labelled-in-v1 list (None: none applied). A row is left out, in this order, when it
    repeats an earlier row (same subject, video and onset), when the list names it, when its frame
    numbers are unusable (non-numeric, offset 0, apex outside onset..offset), or when the class set
    leaves its value out, does not know it or excludes the clip."""
    sheet = Path(sheet)
    classes = get_classes(classes)
    rows = read_sheet(sheet)
    listed = read_wrong(Path(wrong)) if wrong else {}
    labelled = sheet_labels("casme3", rows, sheet, COLUMN_MAP, subject_name, classes)
    repeats = first_rows([name for _, name, _, _ in labelled], [n for n, _, _, _ in labelled])
    out = []
    for n, name, label, why in labelled:
        r = rows.loc[n]
        where = f"{sheet.name} row {n}"
        triplet = frame_triplet(r, ("Onset", "Apex", "Offset"), where)
        if n not in repeats:
            subject, video = subject_name(r["Subject"]), clip_video(r["Filename"])
            k = listed.get((subject, video, whole_number(r["Onset"])))
            problem = (f"listed in {Path(wrong).name} (its row {k}) as wrongly labelled in v1: the same subject, "
                       f"video and onset as {where}; correct the row and the list to use it") if k else \
                numbers_problem(triplet, where)
            if problem:
                label, why = None, problem
        numbers = triplet if not isinstance(triplet, str) else (None, None, None)
        out.append(Row(n, name, label, why, str(r["Filename"]).strip(), *numbers))
    return out


def video_folder(tree: Path, subject: str, video: str) -> Path:
    """part_A/spNO.1/a/color: the letter lower-case, or as written where only that folder exists."""
    lower = tree / subject / video.lower() / "color"
    written = tree / subject / video / "color"
    return written if not lower.is_dir() and written.is_dir() else lower


def load(root: str | Path, classes: ClassSet | str | None = None, sheet: str | Path | None = None,
         wrong: str | Path | None = None) -> Corpus:
    """CAS(ME)^3 part A's micro-expressions, labelled by the class set `classes`; `sheet` the label
    workbook (default: found in the root or one folder down), `wrong` the wrongly-labelled-in-v1
    list (default: found beside the workbook; applied only where there)."""
    root = Path(root)
    sheet = Path(sheet) if sheet else find_sheet(root)
    wrong = Path(wrong) if wrong else find_wrong(sheet)
    tree = find_tree(root)
    out = Corpus()
    listings: dict[Path, tuple | str] = {}     # each video folder listed once, for all its rows
    for r in sheet_rows(sheet, classes, wrong):
        if r.why:
            out.excluded.append(Exclusion("casme3", r.name, r.why))
            continue
        subject, clip = r.name.split("/", 1)
        folder = video_folder(tree, subject, r.video)
        if folder not in listings:
            listings[folder] = read_folder(folder)
        got = listings[folder]
        if not isinstance(got, str):
            got = check_listed(folder, *got, r.onset, r.apex, r.offset)
        if isinstance(got, str):
            out.excluded.append(Exclusion("casme3", r.name, got))
            continue
        frames, numbers = got
        lo, hi = bisect_left(numbers, r.onset), bisect_right(numbers, r.offset)   # onset..offset only
        out.samples.append(Sample("casme3", f"casme3/{subject}", clip, r.label, r.onset, r.apex, r.offset, FPS,
                                  frames[lo:hi], numbers[lo:hi]))
    return out

