"""Adapters: the synthetic corpus read back through the same code that reads the real corpora, the
real annotation spreadsheets (marked realdata), and bad input named clearly."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from atnet.data.datasets import CorpusError, casme2, load_corpora, samm, smic, synthetic, to_frame


def test_synthetic_corpus_reads_back_through_the_adapters(tiny_corpus):
    corpus = load_corpora(synthetic.roots(tiny_corpus))
    t = to_frame(corpus.samples)
    assert set(t["dataset"]) == {"casme2", "samm", "smic"}
    assert t.groupby("dataset")["label"].nunique().eq(3).all()
    assert t["subject"].str.match(r"^(casme2/sub\d\d|samm/\d{3}|smic/s\d\d)$").all()
    assert dict(t.groupby("dataset")["fps"].first()) == {"casme2": 200.0, "samm": 200.0, "smic": 100.0}
    assert (t["onset"] <= t["apex"]).all() and (t["apex"] <= t["offset"]).all()
    smic_rows = t[t["dataset"] == "smic"]
    assert (smic_rows["apex"] == (smic_rows["onset"] + smic_rows["offset"]) // 2).all()
    # the rows the label maps leave out are reported, with the reason
    assert {(e.dataset, e.clip) for e in corpus.excluded} == {("casme2", "sub01/EP99_01"), ("samm", "006/006_9_9")}
    assert all("left out of the class set megc2019" in e.reason for e in corpus.excluded)
    # frames are ordered by number and every listed file exists
    s = corpus.samples[0]
    assert list(s.frame_numbers) == sorted(s.frame_numbers) and all(Path(f).exists() for f in s.frames)


def test_synthetic_resolutions_match_the_corpora(tiny_corpus):
    import cv2
    corpus = load_corpora(synthetic.roots(tiny_corpus))
    sizes = {s.dataset: cv2.imread(s.frames[0], cv2.IMREAD_GRAYSCALE).shape for s in corpus.samples}
    assert sizes == {"casme2": (480, 640), "samm": (400, 400), "smic": (480, 640)}


def test_synthesis_is_deterministic_whatever_the_workers(tiny_corpus, tmp_path):
    from conftest import TINY
    again = synthetic.synthesize(tmp_path, jobs=1, progress=False, **TINY)   # the fixture used 2 workers
    files = sorted(p.relative_to(tiny_corpus) for p in tiny_corpus.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    images = [p for p in files if p.suffix in (".jpg", ".bmp")]
    assert all((tiny_corpus / p).read_bytes() == (again / p).read_bytes() for p in images[::50])
    # a finished corpus is reused, not rewritten
    stamp = (again / "synth.json").stat().st_mtime_ns
    synthetic.synthesize(tmp_path, jobs=1, progress=False, **TINY)
    assert (again / "synth.json").stat().st_mtime_ns == stamp


def test_smic_names_are_canonical():
    assert smic.canonical_clip("s1_ne_01") == "s01_ne_01"
    assert smic.canonical_clip("s01_ne_01") == "s01_ne_01"


def write_casme2(root: Path, rows, header=("Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame",
                                           None, "Action Units", "Estimated Emotion")):
    wb = Workbook()
    wb.active.append(list(header))
    for r in rows:
        wb.active.append(list(r))
    wb.save(root / "CASME2-coding-20140508.xlsx")


def frames(folder: Path, numbers, pattern="img{}.jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / pattern.format(n)).write_bytes(b"")


def test_casme2_bad_rows_are_listed_with_their_reason(tmp_path):
    tree = tmp_path / "CASME2_RAW_selected"
    frames(tree / "sub01" / "EP01_01f", range(10, 31))
    frames(tree / "sub01" / "EP02_01f", range(10, 31))
    frames(tree / "sub02" / "EP03_01f", [n for n in range(10, 31) if n != 15])
    write_casme2(tmp_path, [
        ("01", "EP01_01f", None, 10, 20, 30, None, "12", "happiness"),      # kept
        ("01", "EP02_01f", None, 10, 40, 50, None, "12", "happiness"),      # apex outside the clip
        ("02", "EP03_01f", None, 10, 20, 30, None, "4", "disgust"),         # frame 15 missing
        ("02", "EP04_01f", None, 10, 20, 30, None, "4", "disgust"),         # no folder
        ("04", "EP12_01f", None, 10, "/", 30, None, "4", "disgust"),        # official exclusion
        ("03", "EP05_01f", None, 10, 20, 30, None, "4", "others"),          # not in the composite
    ])
    c = casme2.load(tmp_path)
    assert [s.clip for s in c.samples] == ["EP01_01f"]
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "apex frame 40 is outside" in reasons["sub01/EP02_01f"]
    assert "frames missing" in reasons["sub02/EP03_01f"] and "first: 15" in reasons["sub02/EP03_01f"]
    assert "no folder" in reasons["sub02/EP04_01f"]
    assert "MEGC 2019" in reasons["sub04/EP12_01f"]
    assert "left out of the class set megc2019" in reasons["sub03/EP05_01f"]
    # frame numbers sort numerically, never as strings (img9 before img10)
    frames(tree / "sub05" / "EP06_01f", range(8, 13))
    write_casme2(tmp_path, [("05", "EP06_01f", None, 8, 10, 12, None, "12", "happiness")])
    s = casme2.load(tmp_path).samples[0]
    assert s.frame_numbers == (8, 9, 10, 11, 12) and s.frames[1].endswith("img9.jpg")


def test_malformed_spreadsheet_is_named(tmp_path):
    (tmp_path / "CASME2_RAW_selected").mkdir()
    write_casme2(tmp_path, [("01", "EP01_01f", None, 1, 2, 3, None, "12", "happiness")],
                 header=("Subject", "Filename", None, "Onset", "ApexFrame", "OffsetFrame", None, "AU", "Estimated Emotion"))
    with pytest.raises(CorpusError, match="CASME2-coding-20140508.xlsx: sheet 1 has no column 'OnsetFrame'"):
        casme2.load(tmp_path)
    (tmp_path / "CASME2-coding-20140508.xlsx").write_text("not a spreadsheet")
    with pytest.raises(CorpusError, match="cannot be read as a spreadsheet"):
        casme2.load(tmp_path)
    with pytest.raises(CorpusError, match="no such folder"):
        load_corpora({"samm": tmp_path / "nowhere"})
