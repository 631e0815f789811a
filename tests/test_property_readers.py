"""Property-based tests of every reader of user files: whatever the bytes or the cells, a reader
either reads the input or refuses it with one CorpusError line that names the file. Any other
exception escaping (TypeError, OverflowError, KeyError, BadZipFile, UnicodeDecodeError, ...) is a
bug, and so is a spreadsheet or table row that is neither kept nor listed with a reason.

Each example writes its files into its own tempfile.TemporaryDirectory (no function-scoped
fixture under @given). database=None: no example database (hypothesis still keeps a small cache in
.hypothesis/, which it git-ignores itself). Inputs that broke a reader are pinned with @example, so
they are replayed first on every run; while one of them fails, the test stops there (fast)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import struct
import tempfile
import zlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from skimage import data as skdata

from atnet.core.classes import CLASSES
from atnet.core.errors import CorpusError
from atnet.core.readers import frame_triplet, read_gray, read_spreadsheet, read_table, whole_number
from atnet.data.datasets import casme2, samm
from atnet.data.datasets.base import Corpus, Exclusion, Sample
from atnet.data.prepare import APEX_COLUMNS, PrepConfig, read_apex_table
from atnet.evaluation.metrics import DATASETS, read_megc_log
from atnet.evaluation.reports import read_results, read_summary

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
# No "explain" phase: on a failing spreadsheet example it reruns the test thousands of times.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
COMMON = dict(deadline=None, database=None, suppress_health_check=SLOW, phases=PHASES)
# ATNET_PROPERTY_SCALE=10 multiplies every example budget, for a deeper search than the suite's.
SCALE = max(1, int(os.environ.get("ATNET_PROPERTY_SCALE", "1")))
SHEETS = settings(max_examples=40 * SCALE, **COMMON)
FILES = settings(max_examples=50 * SCALE, **COMMON)
QUICK = settings(max_examples=150 * SCALE, **COMMON)

REFUSED = object()


def read_or_refuse(call, path: Path):
    """call()'s value, or REFUSED when it raised a CorpusError whose message is one line naming
    `path`. Any other exception propagates and fails the test with its traceback."""
    try:
        return call()
    except CorpusError as e:
        msg = str(e)
        assert "\n" not in msg and "\r" not in msg, f"CorpusError message spans several lines: {msg!r}"
        assert str(path) in msg, f"CorpusError message does not name {path}: {msg!r}"
        return REFUSED


def workdir():
    return tempfile.TemporaryDirectory(prefix="atnet-prop-")


# ------------------------------------------------------------------------------------ cell values

# Strings a hand-edited annotation sheet or table really holds, and the ones parsers trip on.
TRICKY = ["", " ", " \t ", "/", "-", "?", "NA", "N/A", "nan", "NaN", "None", "null", "#N/A", "inf", "-inf",
          "Infinity", "1e400", "-1e400", "46", "46.0", " 46 ", "398.9", "-3", "0", "1_000", "0x10", "1,5",
          "\uff11\uff12", "\u00b2", "\u0663", "4.6e1", "True", "sub01", "EP02_01f", "..", "a/b", "\u00e9\u00e8",
          "two\nlines", "cr\r", "nul\x00byte", "face.png\x00", "missing\n.png"]


def sheet_safe(s: str) -> str:
    """openpyxl refuses control characters in a cell, and a leading '=' would be written as a
    formula (with no cached value): neither is a cell a user's spreadsheet can hold as text."""
    s = ILLEGAL_CHARACTERS_RE.sub("", s)
    return "'" + s if s.startswith("=") else s


texts = st.text(max_size=24)
long_texts = st.text(min_size=200, max_size=320)          # longer than a file-name component may be
numbers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-10**300, 10**300),                        # huge and negative
    st.floats(allow_nan=True, allow_infinity=True),        # fractional, inf, nan, subnormal, +-0
    st.sampled_from([0.5, -0.0, 46.0, 1e308, -1e308, 2.0**53 + 1, 10**20, 398.9]))
sheet_cells = st.one_of(st.none(), st.sampled_from([sheet_safe(t) for t in TRICKY]), texts.map(sheet_safe),
                        long_texts.map(sheet_safe),
                        numbers, st.booleans(), st.dates(dt.date(1901, 1, 1), dt.date(2100, 1, 1)))


def blank(v) -> bool:
    """A cell the spreadsheet holds as empty: nothing written, '' (openpyxl writes no value), a
    non-finite float (openpyxl writes an empty <v/>), or an error value: openpyxl writes '#N/A' as
    Excel does when it is typed, as the error #N/A, not as text."""
    return v is None or v == "" or (isinstance(v, float) and not math.isfinite(v)) or v in ERROR_CODES


def write_book(path: Path, title: str, lines: list[list]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for line in lines:
        ws.append(line)
    wb.save(path)


def touch(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).touch()


def check_corpus(c, rows: list[list], sheet: Path) -> None:
    """A Corpus whose samples and exclusions account for every row with a Subject and a Filename."""
    assert isinstance(c, Corpus), type(c)
    for s in c.samples:
        assert isinstance(s, Sample)
        assert s.label in CLASSES and s.onset <= s.apex <= s.offset and s.frames
        assert len(s.frames) == len(s.frame_numbers)
    for e in c.excluded:
        assert isinstance(e, Exclusion) and isinstance(e.reason, str) and e.reason
    # Exclusions of the other kind: a clip folder on disk with no row ("the folder ... has no row").
    row_exclusions = [e for e in c.excluded if not e.reason.startswith("the folder ")]
    with_names = [i for i, r in enumerate(rows) if not blank(r[0]) and not blank(r[1])]
    got = len(c.samples) + len(row_exclusions)
    assert got == len(with_names), (
        f"{len(with_names)} rows of {sheet.name} have a Subject and a Filename "
        f"({[rows[i][:2] for i in with_names]}) but {len(c.samples)} samples + {len(row_exclusions)} "
        f"exclusions = {got} account for them; excluded: {[(e.clip, e.reason[:60]) for e in c.excluded]}")


# ------------------------------------------------------------------------------------ CASME II

CASME_HEAD = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
              "Estimated Emotion"]
CASME_SHEET = "CASME2-coding-20140508.xlsx"


def casme_tree(root: Path) -> None:
    base = root / "CASME2_RAW_selected"
    touch(base / "sub01" / "EP02_01f", [f"img{n}.jpg" for n in range(40, 61)])
    touch(base / "sub01" / "EP03_02f", [f"img{n}.jpg" for n in range(1, 21) if n != 10])   # frame 10 missing
    touch(base / "sub04" / "EP12_01f", [f"img{n}.jpg" for n in range(1, 6)])               # MEGC 2019 leaves it out
    touch(base / "sub02" / "EP01_11f", ["Thumbs.jpg"] + [f"img{n}.jpg" for n in range(1, 6)])  # image without a number
    touch(base / "sub02" / "EP09_01", ["img1.jpg", "img01.jpg"])                            # one number, two files
    (base / "sub03" / "EP05_02").mkdir(parents=True)                                         # no images


frames = st.one_of(st.integers(0, 65), sheet_cells)
casme_rows = st.lists(st.tuples(
    st.one_of(st.sampled_from(["01", "1", 1, "02", 4, "04", "3", "sub01", 1.0, " 01 "]), sheet_cells),
    st.one_of(st.sampled_from(["EP02_01f", "EP03_02f", "EP12_01f", "EP01_11f", "EP09_01", "EP05_02", "EP99_01f",
                               " EP02_01f "]), sheet_cells),
    sheet_cells, frames, frames, frames, sheet_cells, sheet_cells,
    st.one_of(st.sampled_from(["happiness", "disgust", "repression", "surprise", "others", "fear", "Happiness",
                               " surprise "]), sheet_cells),
).map(list), max_size=6)


@SHEETS
@given(rows=casme_rows)
@example(rows=[["01", "EP02_01f", None, 41, 46, 50, None, "12", "happiness"]])
@example(rows=[["01", "NA", None, 0, 0, 0, None, None, "happiness"]])          # found: row silently dropped
@example(rows=[[1e252, "EP02_01f", None, 0, 0, 0, None, None, "happiness"]])   # found: OSError (name too long)
def test_casme2_sheet_with_random_cells_reads_or_refuses_and_accounts_for_every_row(rows):
    """Random cells in a well-formed CASME II sheet 1: casme2.load gives a Corpus in which every row
    with a Subject and a Filename is a sample or an exclusion, or a one-line CorpusError naming the
    sheet."""
    with workdir() as d:
        root = Path(d)
        casme_tree(root)
        sheet = root / CASME_SHEET
        write_book(sheet, "Sheet1", [CASME_HEAD, *rows])
        c = read_or_refuse(lambda: casme2.load(root, sheet), sheet)
        if c is not REFUSED:
            check_corpus(c, rows, sheet)


# ------------------------------------------------------------------------------------ SAMM

SAMM_HEAD = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
             "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
SAMM_NOTES = [["SAMM notes"], [None], ["Symbol Key:"]]
SAMM_SHEET = "SAMM_Micro_FACS_Codes_v2.xlsx"


def samm_tree(root: Path) -> None:
    touch(root / "006" / "006_1_2", [f"006_{n:05d}.jpg" for n in range(5555, 5581)])
    touch(root / "006" / "006_1_3", ["006_00010.jpg", "006_0010.jpg"])                   # one number, two files
    touch(root / "007" / "007_6_1", [f"007_{n:05d}.jpg" for n in range(1, 20) if n != 7])  # frame 7 missing
    (root / "007" / "007_6_2").mkdir(parents=True)                                        # no images


samm_frames = st.one_of(st.integers(0, 30), st.integers(5550, 5585), sheet_cells)
samm_rows = st.lists(st.tuples(
    st.one_of(st.sampled_from(["006", 6, "6", "007", 7, 6.0, " 006"]), sheet_cells),
    st.one_of(st.sampled_from(["006_1_2", "006_1_3", "007_6_1", "007_6_2", "006_9_9", "006_1_2 "]), sheet_cells),
    sheet_cells, samm_frames, samm_frames, samm_frames, sheet_cells, sheet_cells, sheet_cells,
    st.one_of(st.sampled_from(["Happiness", "Anger", "Contempt", "Surprise", "Other", "sadness ", "Pride"]),
              sheet_cells),
    sheet_cells, sheet_cells,
).map(list), max_size=6)


@SHEETS
@given(rows=samm_rows)
@example(rows=[["006", "006_1_2", 1, 5560, 5562, 5570, 10, "Micro - 1/2", "12", "Happiness", 1, None]])
@example(rows=[["006", "NA", None, 0, 0, 0, None, None, None, None, None, None]])        # found: row silently dropped
# found: OSError (a 256-digit Subject makes a folder name longer than the file system allows)
@example(rows=[[1.0000000000000006e+255, "006_1_2", None, 0, 0, 0, None, None, None, "Happiness", None, None]])
def test_samm_sheet_with_random_cells_reads_or_refuses_and_accounts_for_every_row(rows):
    """Random cells under the header row of a well-formed SAMM MICRO_ONLY sheet: samm.load gives a
    Corpus in which every row with a Subject and a Filename is a sample or an exclusion, or a
    one-line CorpusError naming the sheet."""
    with workdir() as d:
        root = Path(d)
        samm_tree(root)
        sheet = root / SAMM_SHEET
        write_book(sheet, "MICRO_ONLY", [*SAMM_NOTES, SAMM_HEAD, *rows])
        c = read_or_refuse(lambda: samm.load(root, sheet), sheet)
        if c is not REFUSED:
            check_corpus(c, rows, sheet)


# ------------------------------------------------------------------------------------ bytes as a spreadsheet

@lru_cache(maxsize=None)
def good_xlsx(kind: str) -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    ws = wb.active
    if kind == "samm":
        ws.title = "MICRO_ONLY"
        for line in [*SAMM_NOTES, SAMM_HEAD, ["006", "006_1_2", 1, 5560, 5562, 5570, 10, "Micro", "12", "Happiness"]]:
            ws.append(line)
    else:
        for line in [CASME_HEAD, ["01", "EP02_01f", None, 41, 46, 50, None, "12", "happiness"]]:
            ws.append(line)
    wb.save(buf)
    return buf.getvalue()


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """A valid file cut short, with bytes overwritten, or with bytes inserted."""
    data = bytearray(original)
    how = draw(st.sampled_from(["cut", "overwrite", "insert"]))
    if how == "cut":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    if how == "overwrite":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    at = draw(st.integers(0, len(data)))
    return bytes(data[:at]) + draw(st.binary(min_size=1, max_size=64)) + bytes(data[at:])


def junk(*magics: bytes):
    """Random bytes, alone or behind a format's signature."""
    return st.one_of(st.binary(max_size=600),
                     st.tuples(st.sampled_from(magics), st.binary(max_size=600)).map(b"".join))


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@FILES
@given(kind=st.sampled_from(["casme2", "samm"]), data=st.data())
def test_spreadsheet_bytes_read_or_refuse(kind, data):
    """Random bytes, or a valid workbook cut short or overwritten, saved as the corpus spreadsheet:
    read_spreadsheet (any sheet/header argument) and the adapter's load read it or refuse it with
    one line naming the file."""
    blob = data.draw(st.one_of(junk(ZIP_MAGIC, OLE_MAGIC, b"<?xml"), mutated(good_xlsx(kind))), label="bytes")
    sheet_arg = data.draw(st.sampled_from([0, 1, "MICRO_ONLY", "Sheet", "Sheet1"]), label="sheet")
    header = data.draw(st.sampled_from([0, None, 3]), label="header")
    with workdir() as d:
        root = Path(d)
        (root / "CASME2_RAW_selected").mkdir()
        sheet = root / (CASME_SHEET if kind == "casme2" else SAMM_SHEET)
        sheet.write_bytes(blob)
        df = read_or_refuse(lambda: read_spreadsheet(sheet, sheet_arg, header), sheet)
        assert df is REFUSED or isinstance(df, pd.DataFrame)
        adapter = casme2 if kind == "casme2" else samm
        c = read_or_refuse(lambda: adapter.load(root, sheet), sheet)
        assert c is REFUSED or isinstance(c, Corpus)


# ------------------------------------------------------------------------------------ apex table

@lru_cache(maxsize=None)
def face_png() -> bytes:
    gray = cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.imencode(".png", cv2.resize(gray, (128, 128), interpolation=cv2.INTER_AREA))[1].tobytes()


def csv_text(v) -> str:
    return "" if v is None else str(v)


csv_cells = st.one_of(st.none(), st.sampled_from(TRICKY), texts, long_texts, numbers.map(str))
apex_rows = st.lists(st.tuples(
    st.one_of(st.sampled_from(["casme2", "samm", "smic", "CASME2", "sam"]), csv_cells),
    st.one_of(st.sampled_from(["sub01", "006", "s01", "casme2/sub02"]), csv_cells),
    st.one_of(st.sampled_from(["EP02_01f", "006_1_2", "s01_po_01"]), csv_cells),
    st.one_of(st.sampled_from(["negative", "positive", "surprise", " Surprise", "contempt"]), csv_cells),
    st.one_of(st.sampled_from(["face.png", "missing.png", "sub/face.png", ".", "face.jpg", "face.png\n",
                               "missing\n.png", "face.png\x00"]), csv_cells),
).map(list), max_size=6)


@FILES
@given(rows=apex_rows)
@example(rows=[["casme2", "sub01", "EP02_01f", "positive", "face.png"]])
@example(rows=[["casme2", "sub01", "EP02_01f", "negative", "face.png\n"]])   # found: two-line CorpusError
def test_apex_table_with_random_cells_keeps_or_lists_every_row(rows):
    """Random cells (empty ones included) in an apex table: every row is kept or listed in the
    exclusions, or the whole table is refused with one line naming the CSV (no usable row)."""
    with workdir() as d:
        root = Path(d)
        (root / "face.png").write_bytes(face_png())
        (root / "face.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a whole jpeg")
        path = root / "apex.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(APEX_COLUMNS)
            w.writerows([[csv_text(v) for v in r] for r in rows])
        got = read_or_refuse(lambda: read_apex_table(path, PrepConfig(face="haar", size=64)), path)
        if got is REFUSED:
            return
        arrays, excluded = got
        assert all(isinstance(e, Exclusion) and e.reason for e in excluded)
        assert len(arrays.table) + len(excluded) == len(rows), (
            f"{len(rows)} rows, {len(arrays.table)} kept + {len(excluded)} excluded")
        assert arrays.apex.shape == (len(arrays.table), 64, 64)
        assert set(arrays.table["label"]) <= set(CLASSES)
        assert set(arrays.table["dataset"]) <= set(DATASETS)


@FILES
@given(blob=junk(b"dataset,subject,clip,label,image\n", b"\xef\xbb\xbf", b"dataset,subject,clip,label,image\r\n"
                 b"casme2,sub01,EP02_01f,positive,"))
@example(blob=b"dataset,subject,clip,label,image\rcasme2,E,s,positive,\x00")   # found: ValueError (null byte)
@example(blob=b"dataset,subject,clip,label,image\rc,,,,,")                       # found: TypeError (extra field)
def test_csv_bytes_read_or_refuse(blob):
    """Random bytes (alone or after the apex table's header) as a CSV: read_table and
    read_apex_table read them or refuse with one line naming the file."""
    with workdir() as d:
        path = Path(d) / "apex.csv"
        path.write_bytes(blob)
        t = read_or_refuse(lambda: read_table(path, APEX_COLUMNS, "an apex table"), path)
        assert t is REFUSED or set(APEX_COLUMNS) <= set(t.columns)
        got = read_or_refuse(lambda: read_apex_table(path, PrepConfig(face="haar", size=64)), path)
        assert got is REFUSED or len(got[0].table) >= 1


# ------------------------------------------------------------------------------------ MEGC 2019 log

ids = st.one_of(st.sampled_from(["0", "1", "2", "3", "-1", "01", "1.0", "+1", "\u00b2", "\u0663", "\uff10",
                                 "\u0967", "Ⅻ"]),
                st.integers(1, 6000).map(lambda k: "1" + "0" * k))     # an id with thousands of digits
tokens = st.one_of(ids, st.sampled_from(["casme2", "SAMM", "smic", "sub01", "006", "EP02_01f"]),
                   st.text(min_size=1, max_size=8))
log_lines = st.one_of(
    st.tuples(st.sampled_from(["casme2", "samm", "smic", "CASME2", "Smic"]), tokens).map(" ".join),
    st.tuples(tokens, ids, ids).map(" ".join),
    st.tuples(st.sampled_from(["EP02_01f", "006_1_2", "s01_po_01"]), st.sampled_from("012"),
              st.sampled_from("012")).map(" ".join),
    st.lists(tokens, max_size=5).map(" ".join),
    st.text(max_size=30))


@QUICK
@given(lines=st.lists(log_lines, max_size=12))
@example(lines=["casme2 sub01", "EP02_01f 1 1"])
@example(lines=["casme2 0", "0 0 \u00b2"])                   # found: ValueError from int('\u00b2')
@example(lines=["casme2 0", "0 0 1" + "0" * 4300])           # found: ValueError (int string conversion limit)
def test_megc_log_with_random_lines_reads_or_refuses(lines):
    """Random lines (subject lines, clip lines with odd ids, free text) as a MEGC 2019 log:
    read_megc_log gives clip rows with class ids 0-2, or one line naming the log."""
    with workdir() as d:
        path = Path(d) / "atnet-cde.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        t = read_or_refuse(lambda: read_megc_log(path), path)
        if t is not REFUSED:
            assert list(t.columns) == ["dataset", "subject", "clip", "truth", "pred"] and len(t) >= 1
            assert set(t["truth"]) | set(t["pred"]) <= {0, 1, 2}
            assert set(t["dataset"]) <= set(DATASETS)


@QUICK
@given(blob=junk(b"casme2 sub01\n", b"samm 006\nx 1 "))
def test_megc_log_bytes_read_or_refuse(blob):
    """Random bytes (undecodable ones included) as the log: read or one line naming it."""
    with workdir() as d:
        path = Path(d) / "atnet-cde.log"
        path.write_bytes(blob)
        t = read_or_refuse(lambda: read_megc_log(path), path)
        assert t is REFUSED or len(t) >= 1


# ------------------------------------------------------------------------------------ results / summary JSON

def json_object(pairs) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"


# JSON is built as text so that it can hold what json.dumps will not write: integers with thousands
# of digits, NaN/Infinity, escaped lone surrogates, deep nesting.
json_scalars = st.one_of(
    st.sampled_from(["null", "true", "false", "1e400", "-1e400", "-0", "1.5e-400", "0.1", "NaN", "Infinity",
                     '"\\ud800"', '"\\u0000"', '""']),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(json.dumps),
    st.integers(1, 6000).map(lambda k: "9" * k),
    st.text(max_size=12).map(json.dumps))
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
    st.lists(st.tuples(st.text(max_size=6), kids), max_size=4).map(json_object)), max_leaves=10)
deep = st.integers(1, 5000).map(lambda k: "[" * k + "]" * k)

MISSING = object()
plausible = {"method": st.sampled_from(['"atnet"', '"spatial"', '"lbptop-p8-tim10"']),
             "protocol": st.sampled_from(['"cde"', '"hde"']),
             "test_set": st.sampled_from(['"full"', '"casme2"', '"samm"', '"smic"']),
             "acc": st.floats(0, 1).map(json.dumps), "uf1": st.floats(0, 1).map(json.dumps),
             "uar": st.sampled_from(["0.5", "null"]), "n": st.integers(0, 500).map(str),
             "n_seeds": st.integers(1, 5).map(str), "acc_std": st.sampled_from(["0.01", "null"])}
records = st.tuples(*(st.one_of(st.just(MISSING), s, s, json_values).map(lambda v, k=k: (k, v))
                      for k, s in plausible.items()),
                    st.lists(st.tuples(st.text(max_size=6), json_values), max_size=2)).map(
    lambda kv: json_object([p for p in kv[:-1] if p[1] is not MISSING] + kv[-1]))
record_lists = st.lists(st.one_of(records, records, json_values), max_size=4).map(lambda xs: "[" + ",".join(xs) + "]")
results_docs = st.one_of(record_lists, json_values, deep)
summary_docs = st.one_of(st.tuples(record_lists, st.lists(st.tuples(st.text(max_size=6), json_values), max_size=2))
                         .map(lambda a: json_object([("summary", a[0]), *a[1]])), json_values, deep)


def check_records(got) -> None:
    assert isinstance(got, list)
    for r in got:
        assert isinstance(r, dict)
        assert all(isinstance(r[k], str) for k in ("method", "protocol", "test_set"))
        assert all(r[k] is None or isinstance(r[k], float) for k in ("acc", "uf1", "uar"))
        assert isinstance(r["n"], int)


@QUICK
@given(text=results_docs)
@example(text='[{"method":"atnet","protocol":"cde","test_set":"full","acc":0.5,"uf1":0.5,"uar":null,"n":3}]')
@example(text="9" * 4301)                                    # found: ValueError (int string conversion limit)
@example(text="[" * 1987 + "]" * 1987)                       # found: RecursionError
def test_results_json_with_random_values_reads_or_refuses(text):
    """Random JSON (records with odd, missing or extra values; any value; deep nesting) as
    results.json: read_results gives checked records or one line naming the file."""
    with workdir() as d:
        path = Path(d) / "results.json"
        path.write_text(text, encoding="utf-8")
        got = read_or_refuse(lambda: read_results(path), path)
        if got is not REFUSED:
            check_records(got)


@QUICK
@given(text=summary_docs)
@example(text='{"summary":[{"method":"atnet","protocol":"cde","test_set":"full","acc":0.5,"uf1":0.5,'
              '"uar":0.5,"n":3,"n_seeds":2,"acc_std":0.1}]}')
@example(text='{"summary":[],"":' + "9" * 4301 + "}")        # found: ValueError (int string conversion limit)
@example(text="[" * 1987 + "]" * 1987)                       # found: RecursionError
def test_summary_json_with_random_values_reads_or_refuses(text):
    """Random JSON as a reproduction's summary.json: read_summary gives checked records or one line
    naming the file."""
    with workdir() as d:
        path = Path(d) / "summary.json"
        path.write_text(text, encoding="utf-8")
        got = read_or_refuse(lambda: read_summary(path), path)
        if got is not REFUSED:
            check_records(got)


@QUICK
@given(blob=junk(b"[", b"{\"summary\": [", b"\xef\xbb\xbf[", b"\xff\xfe[\x00"))
def test_json_bytes_read_or_refuse(blob):
    """Random bytes (undecodable ones included) as results.json and summary.json."""
    with workdir() as d:
        path = Path(d) / "results.json"
        path.write_bytes(blob)
        for reader in (read_results, read_summary):
            got = read_or_refuse(lambda: reader(path), path)
            assert got is REFUSED or isinstance(got, list)


# ------------------------------------------------------------------------------------ images

@lru_cache(maxsize=None)
def good_image(suffix: str) -> bytes:
    gray = cv2.resize(cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY), (48, 48), interpolation=cv2.INTER_AREA)
    return cv2.imencode(suffix, gray)[1].tobytes()


IMAGE_MAGIC = [b"\xff\xd8\xff\xe0", b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*", b"P5\n",
               b"P6 ", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"]


@QUICK
@given(suffix=st.sampled_from([".jpg", ".png", ".bmp"]), data=st.data())
def test_truncated_image_is_refused(suffix, data):
    """A JPEG, PNG or BMP cut anywhere short of its end is refused with one line naming the file."""
    whole = good_image(suffix)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    with workdir() as d:
        path = Path(d) / f"img46{suffix}"
        path.write_bytes(whole[:cut])
        got = read_or_refuse(lambda: read_gray(path), path)
        assert got is REFUSED, f"{suffix} cut to {cut} of {len(whole)} bytes was read as a {got.shape} image"


@QUICK
@given(suffix=st.sampled_from([".jpg", ".jpeg", ".png", ".bmp", ".tif"]), data=st.data())
def test_image_bytes_read_or_refuse(suffix, data):
    """Random bytes (behind an image signature or not), or a valid image with bytes overwritten or
    inserted, as a frame: read_gray gives a 2-D uint8 image or one line naming the file."""
    valid = good_image(".bmp" if suffix == ".tif" else suffix.replace(".jpeg", ".jpg"))
    blob = data.draw(st.one_of(junk(*IMAGE_MAGIC), mutated(valid)), label="bytes")
    with workdir() as d:
        path = Path(d) / f"img46{suffix}"
        path.write_bytes(blob)
        img = read_or_refuse(lambda: read_gray(path), path)
        assert img is REFUSED or (isinstance(img, np.ndarray) and img.ndim == 2 and img.dtype == np.uint8)


def with_size(suffix: str, width: int, height: int) -> bytes:
    """The valid image with its header declaring another size (the PNG header's CRC made right)."""
    b = bytearray(good_image(suffix))
    if suffix == ".bmp":
        b[18:26] = struct.pack("<ii", width, height)
    elif suffix == ".png":
        b[16:24] = struct.pack(">II", width, height)
        b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])))
    else:
        sof = b.find(b"\xff\xc0")
        b[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(b)


small = st.integers(0, 512)
declared_sizes = st.one_of(   # (suffix, (width, height)): tiny, or past OpenCV's limits (2^20 a side, 2^30 in all)
    st.tuples(st.sampled_from([".bmp", ".png", ".jpg"]), st.tuples(small, small)),
    st.tuples(st.just(".bmp"), st.one_of(st.tuples(st.integers(2**20, 2**31 - 1), small),
                                         st.tuples(small, st.integers(-2**31, 2**31 - 1)))),
    st.tuples(st.just(".png"), st.one_of(st.tuples(st.integers(2**20, 2**32 - 1), small),
                                         st.tuples(small, st.integers(2**20, 2**32 - 1)))),
    st.tuples(st.just(".jpg"), st.tuples(st.integers(32769, 65535), st.integers(32769, 65535))))


@QUICK
@given(case=declared_sizes)
@example(case=(".bmp", (16777264, 48)))          # found (a mutated BMP): cv2.error escapes
@example(case=(".jpg", (40000, 40000)))          # found: cv2.error escapes
def test_image_header_declaring_any_size_reads_or_refuses(case):
    """A frame whose header declares a size other than its pixels': read_gray gives an image or one
    line naming the file."""
    suffix, (width, height) = case
    with workdir() as d:
        path = Path(d) / f"img46{suffix}"
        path.write_bytes(with_size(suffix, width, height))
        img = read_or_refuse(lambda: read_gray(path), path)
        assert img is REFUSED or (isinstance(img, np.ndarray) and img.ndim == 2)


def test_whole_image_is_read():
    """The control case of the image properties: the untouched files are read."""
    with workdir() as d:
        for suffix in (".jpg", ".png", ".bmp"):
            path = Path(d) / f"img1{suffix}"
            path.write_bytes(good_image(suffix))
            assert read_gray(path).shape == (48, 48)


# ------------------------------------------------------------------------------------ cell helpers

any_cells = st.one_of(sheet_cells, texts, st.just(np.nan), st.just(pd.NA), st.just(pd.NaT),
                      st.integers(-2**70, 2**70).map(np.float64), st.integers(-2**31, 2**31).map(np.int64))


@QUICK
@given(value=any_cells)
def test_whole_number_of_any_cell_is_an_int_or_none(value):
    """whole_number never raises: an int that the cell's text spells exactly, or None."""
    got = whole_number(value)
    assert got is None or type(got) is int
    if got is not None:
        assert float(str(value).strip()) == got


@QUICK
@given(n=st.integers(-2**52 + 1, 2**52 - 1), pad=st.sampled_from(["", " ", "\t"]))
def test_whole_number_reads_frame_numbers_as_written(n, pad):
    """Whole numbers as int, float or text are read exactly; n.5 is not a frame number (within the
    52 bits where a float still holds the .5)."""
    assert whole_number(n) == n
    assert whole_number(f"{pad}{n}{pad}") == n
    assert whole_number(f"{n}.0") == n
    assert whole_number(float(n)) == n
    assert whole_number(f"{n}.5") is None


@QUICK
@given(cells=st.tuples(any_cells, any_cells, any_cells))
def test_frame_triplet_gives_three_frames_or_a_reason(cells):
    """frame_triplet never raises: three whole frame numbers, or a reason naming where."""
    row = pd.Series(dict(zip(("On", "Ap", "Off"), cells)), dtype=object)
    got = frame_triplet(row, ("On", "Ap", "Off"), "sheet.xlsx row 7")
    if isinstance(got, tuple):
        assert got == tuple(whole_number(c) for c in cells)
    else:
        assert isinstance(got, str) and "sheet.xlsx row 7" in got
        assert any(whole_number(c) is None for c in cells)
