"""Every file atnet reads from a user goes through here: spreadsheets, CSV tables, JSON records and
images. Any failure of the underlying parser on bad input becomes one CorpusError sentence naming
the file (and the row or key) and what to do; a genuine bug elsewhere still shows its traceback.

Libraries: pandas/openpyxl read the tables, pydantic checks the shape of JSON records (its error
locations name the record and key), OpenCV decodes images after a structural check of the file's
end that catches truncation, which OpenCV itself only warns about on stderr."""
from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from .errors import CorpusError


def one_line(e: BaseException | str, limit: int = 200) -> str:
    """An embedded library message, whitespace collapsed and cut, so a sentence stays one line."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def existing_file(path: str | Path, what: str, fix: str) -> Path:
    """The path, if it is a readable file; otherwise one sentence (a folder, or nothing there)."""
    if isinstance(path, str) and not path.strip():   # Path("") is the current folder
        raise CorpusError(f"{path!r}: an empty path was given, not {what}; {fix}.")
    path = Path(path)
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder, not {what}; {fix}.")
    if not path.is_file():
        raise CorpusError(f"{path}: not found; {fix}.")
    return path


# ---------------------------------------------------------------------------------------- spreadsheets

def read_spreadsheet(path: str | Path, sheet: str | int = 0, header: int | None = 0,
                     fix: str = "use the official .xlsx file") -> pd.DataFrame:
    """One sheet as strings (empty cells NaN). A folder, a truncated or renamed file, or a missing
    sheet is one sentence naming the file."""
    path = existing_file(path, "a spreadsheet", f"pass the .xlsx file itself ({fix})")
    try:
        book = pd.ExcelFile(path)
    except Exception as e:   # openpyxl, zipfile and pandas raise many kinds on bad bytes
        raise CorpusError(f"{path}: cannot be read as a spreadsheet ({one_line(e)}); {fix}.") from None
    with book:
        if isinstance(sheet, str) and sheet not in book.sheet_names:
            raise CorpusError(f"{path}: no sheet {sheet!r} (it has {', '.join(map(repr, book.sheet_names))}); "
                              f"{fix}.")
        try:
            # only an empty cell is missing: a subject or clip named NA, None or null is data
            return pd.read_excel(book, sheet_name=sheet, header=header, dtype=str, keep_default_na=False,
                                 na_values=[""])
        except Exception as e:
            raise CorpusError(f"{path}: sheet {sheet!r} cannot be read ({one_line(e)}); {fix}.") from None


def whole_number(value) -> int | None:
    """A frame number from a cell: '46', '46.0' and 46.0 are 46; '398.9', 'inf', '/', '' are None."""
    try:
        x = float(str(value).strip())
    except ValueError:
        return None
    if not math.isfinite(x) or x != int(x):
        return None
    return int(x)


def frame_triplet(row, columns: tuple[str, str, str], where: str) -> tuple[int, int, int] | str:
    """(onset, apex, offset) from a spreadsheet row, or the reason the row cannot be used."""
    raw = [row[c] for c in columns]
    got = [whole_number(v) for v in raw]
    if all(g is not None for g in got):
        return tuple(got)
    shown = ", ".join("" if pd.isna(v) else str(v).strip() for v in raw)
    bad = [f"{name} {str(v).strip()!r}" for name, v, g in zip(("onset", "apex", "offset"), raw, got) if g is None]
    numeric = all(_is_number(v) for v in raw)
    kind = "not whole frame numbers" if numeric else "non-numeric"
    return (f"{kind} onset/apex/offset ({shown}) in {where}: {', '.join(bad)} is not a whole frame number; "
            f"write the frame numbers into the row to use the clip")


def _is_number(value) -> bool:
    try:
        float(str(value).strip())
        return True
    except ValueError:
        return False


def first_rows(keys: list, rows: list[int]) -> dict[int, int]:
    """{row: the earlier row it repeats} for every key seen before (the first occurrence is kept)."""
    seen, repeats = {}, {}
    for key, row in zip(keys, rows):
        if key in seen:
            repeats[row] = seen[key]
        else:
            seen[key] = row
    return repeats


# ---------------------------------------------------------------------------------------- CSV tables

def read_table(path: str | Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """A CSV as strings with the named columns (empty cells NaN), or one sentence naming the file."""
    fix = f"{what} is a CSV with the columns {','.join(columns)}"
    path = existing_file(path, "a CSV file", f"pass the CSV file ({fix})")
    try:
        t = pd.read_csv(path, dtype=str, skipinitialspace=True, index_col=False, keep_default_na=False,
                        na_values=[""])
    except pd.errors.EmptyDataError:
        raise CorpusError(f"{path}: is empty; {fix}.") from None
    except Exception as e:   # parser errors, undecodable bytes
        raise CorpusError(f"{path}: cannot be read as a CSV ({one_line(e)}); {fix}.") from None
    t.columns = [str(c).strip() for c in t.columns]
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise CorpusError(f"{path}: no column {missing[0]!r} (found {one_line(list(t.columns), 120)}); {fix}.")
    return t


def read_raw_csv(path: str | Path, fix: str) -> pd.DataFrame:
    """A CSV without a header row (every cell a string, empty cells NaN), or one sentence naming it."""
    path = existing_file(path, "a CSV file", f"pass the CSV file ({fix})")
    try:
        return pd.read_csv(path, header=None, dtype=str, keep_default_na=False, na_values=[""],
                           skip_blank_lines=False, engine="python")
    except pd.errors.EmptyDataError:
        raise CorpusError(f"{path}: is empty; {fix}.") from None
    except Exception as e:
        raise CorpusError(f"{path}: cannot be read as a CSV ({one_line(e)}); {fix}.") from None


def empty_cell(row, columns) -> str | None:
    """The first of `columns` that is empty in the row, or None."""
    for c in columns:
        if pd.isna(row[c]) or not str(row[c]).strip():
            return c
    return None


# ---------------------------------------------------------------------------------------- JSON

def read_json(path: str | Path, shape, fix: str):
    """JSON checked against a type (a pydantic model, or e.g. list[Model]); returns it as plain
    Python (dicts and lists). Bad JSON or a missing/mistyped key is one sentence with the path."""
    path = existing_file(path, "a JSON file", fix)
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:   # ValueError: bad JSON, bad UTF-8, a 5000-digit number
        raise CorpusError(f"{path}: not valid JSON ({one_line(e)}); {fix}.") from None
    adapter = TypeAdapter(shape)
    try:
        value = adapter.validate_python(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]) or "the top level"
        what = "is missing" if err["type"] == "missing" else one_line(err["msg"], 100).lower()
        raise CorpusError(f"{path}: {where.lstrip('.')} {what}; {fix}.") from None
    return adapter.dump_python(value)


# ---------------------------------------------------------------------------------------- images

def truncation(data: bytes, suffix: str) -> str | None:
    """Why an image file's bytes are incomplete, or None. JPEG: no end-of-image marker after the
    last start-of-scan (a camera may append bytes after it; an EXIF thumbnail's own marker sits
    before the scan, so it does not count); PNG: no IEND chunk at the end; BMP: fewer bytes than
    the header declares."""
    suffix = suffix.lower()
    if not data:
        return "the file is empty"
    if suffix in (".jpg", ".jpeg") and data[:2] == b"\xff\xd8":
        sos = data.rfind(b"\xff\xda")
        if sos < 0 or data.find(b"\xff\xd9", sos) < 0:
            return "the JPEG data is truncated (no end-of-image marker)"
    elif suffix == ".png" and data[:8] == b"\x89PNG\r\n\x1a\n":
        if b"IEND" not in data[-16:]:
            return "the PNG data is truncated (no IEND chunk)"
    elif suffix == ".bmp" and data[:2] == b"BM" and len(data) >= 6:
        declared = int.from_bytes(data[2:6], "little")
        if declared > len(data):
            return f"the BMP file is truncated ({len(data)} of {declared} bytes)"
    return None


def read_gray(path: str | Path) -> np.ndarray:
    """A grayscale image, verified whole before it is decoded."""
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError) as e:   # ValueError: a NUL byte in the name
        raise CorpusError(f"{path}: unreadable image ({one_line(getattr(e, 'strerror', None) or e)}); replace the "
                          f"file or remove the clip from the spreadsheet.") from None
    problem = truncation(data, Path(path).suffix)
    if problem:
        raise CorpusError(f"{path}: {problem}; replace the file from your copy of the corpus or remove the clip.")
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error:   # a header declaring a size past OpenCV's limits
        img = None
    if img is None:
        raise CorpusError(f"{path}: unreadable image; replace the file or remove the clip from the spreadsheet.")
    return img
