"""The long-video corpora's adapters on the real workbooks (../shared/data/annotations/spotting)
over generated frame trees: the counts of SPOTTING.md, and every row not used listed with its reason."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from atnet.core.errors import CorpusError
from atnet.data.datasets import casme_sq, samm_lv

SPOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations" / "spotting"
needs = pytest.mark.skipif(not SPOT.is_dir(), reason=f"the real spotting workbooks are not at {SPOT}")


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def samm_tree(root: Path, sheet: Path) -> None:
    """First and last frame of every video the workbook names (the adapter reads names, not pixels)."""
    rows = samm_lv.read_sheet(sheet)
    rows = rows[rows["Filename"].notna()]
    last = rows.assign(v=rows["Filename"].str.split("_").str[:2].str.join("_"),
                       off=rows["Offset"].astype(float)).groupby("v")["off"].max()
    for video, off in last.items():
        touch(root / "SAMM_longvideos" / video / f"{video}_0001.jpg")
        touch(root / "SAMM_longvideos" / video / f"{video}_{int(off) + 50:04d}.jpg")


@pytest.mark.realdata
@needs
@pytest.mark.parametrize("name", ["SAMMLV_gt.xlsx", "SAMM_LongVideos_V2_Release.csv", "SAMM_LongVideos.xlsx"])
def test_samm_lv_counts_on_the_real_workbooks(tmp_path, name):
    samm_tree(tmp_path, SPOT / name)
    corpus = samm_lv.load(tmp_path, SPOT / name)
    assert corpus.counts() == {"videos": 147, "subjects": 30, "micro": 159, "macro": 343}
    assert corpus.excluded == []
    v = next(v for v in corpus.videos if v.video == "006_1")
    first = next(t for t in v.truth if t.apex == 648)     # row 006_1_1
    assert v.fps == 200.0 and v.subject == "samm-lv/006"
    if name == "SAMMLV_gt.xlsx":      # V1: fractional, rounded half up (566.4 -> 566, 647.6 -> 648, 743.2 -> 743)
        assert (first.onset, first.offset, first.kind) == (566, 743, "macro")
    assert sum(t.apex is None for v in corpus.videos for t in v.truth) >= 1    # apex -1: not annotated


@pytest.mark.realdata
@needs
def test_casme_sq_counts_on_the_real_workbook(tmp_path):
    sheet = tmp_path / "CAS(ME)^2code_final.xlsx"
    shutil.copy(SPOT / "CASME_sq_gt.xlsx", sheet)       # into the test's own folder, not the project
    codes, people, expressions = casme_sq.read_book(sheet)
    last = {}
    for _, r in codes.iterrows():
        number, folder = people[int(r[0])]
        code = expressions[r[1].rsplit("_", 1)[0]]
        key = (number, folder, code)
        last[key] = max(last.get(key, 0), int(float(r[4])), int(float(r[3])))
    for (number, folder, code), off in last.items():
        video = tmp_path / "rawpic" / folder / f"{number}_{code}clip"
        touch(video / "img001.jpg")
        touch(video / f"img{off + 30}.jpg")
    # the known oddity: a folder of s19 numbered 23, for a video no row of the workbook names
    touch(tmp_path / "rawpic" / "s19" / "23_0502funnyerrors" / "img001.jpg")
    corpus = casme_sq.load(tmp_path)
    assert corpus.counts() == {"videos": 95, "subjects": 22, "micro": 57, "macro": 300}
    assert [(e.clip, e.reason) for e in corpus.excluded] == [
        ("s19/23_0502funnyerrors", "a video folder with no row in the workbook; not scored")]
    first = corpus.videos[0].truth[0]
    assert (corpus.videos[0].video, first.onset, first.apex, first.offset, first.kind) == \
        ("s15/15_0401clip", 557, 572, 608, "macro")
    no_offset = [t for v in corpus.videos for t in v.truth if t.offset == t.apex]
    assert len(no_offset) >= 40                 # offset 0: the apex ends it
    said = [n for n in corpus.notes if "offset 0 is not annotated: the apex" in n]
    outside = [n for n in corpus.notes if "lies outside onset" in n]
    assert len(said) == 44 and len(outside) == 3 and len(corpus.notes) == 47   # each change said, the rows kept
    assert "casme-sq disgust1_5: CAS(ME)^2code_final.xlsx row 170: apex 1230 lies outside onset 1221 to offset 1224" \
        in outside[0]


def test_bad_rows_are_listed_with_their_reason(tmp_path):
    rows = [["SAMM Long Videos Dataset - FACS Codes"] + [""] * 9, [""] * 10,
            ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
             "Action Units", "Notes"],
            ["006", "006_1_1", "1", "10", "20", "30", "21", "Micro - 1/2", "4", ""],
            ["006", "006_1_2", "1", "40", "-1", "60", "21", "Macro", "4", ""],
            ["006", "006_1_3", "1", "40", "-1", "60", "21", "Macro", "4", ""],
            ["006", "006_1_4", "1", "x", "20", "30", "21", "Micro - 1/2", "4", ""],
            ["006", "006_1_5", "1", "10", "20", "30", "21", "Blink", "", ""],
            ["006", "006_1_6", "1", "10", "20", "900", "21", "Macro", "", ""],
            ["007", "007_2_1", "1", "10", "20", "30", "21", "Macro", "", ""]]
    pd.DataFrame(rows).to_csv(tmp_path / "SAMM_LongVideos_V2_Release.csv", header=False, index=False)
    for n in (1, 100):
        touch(tmp_path / "SAMM_longvideos" / "006_1" / f"006_1_{n:04d}.jpg")
    touch(tmp_path / "SAMM_longvideos" / "008_1" / "008_1_0001.jpg")
    corpus = samm_lv.load(tmp_path)
    assert corpus.counts() == {"videos": 1, "subjects": 1, "micro": 1, "macro": 1}
    reasons = [(e.clip, e.reason.split(": ", 1)[-1]) for e in corpus.excluded]
    assert reasons == [
        ("006_1_3", "repeats row 5 (same video, onset and offset)"),
        ("006_1_4", "onset 'x' / offset '30' are not frame numbers"),
        ("006_1_5", "type 'Blink' is neither Macro nor Micro"),
        ("006_1_6", "offset 900 is past the video's last frame 100"),
        ("007_2_1", f"no frames in {tmp_path / 'SAMM_longvideos' / '007_2'}"),
        ("008_1", "a video folder with no row in the workbook; not scored")]
    (tmp_path / "SAMM_LongVideos_V2_Release.csv").write_text("just,a,table\n1,2,3\n")
    with pytest.raises(CorpusError, match="no header row starting with 'Subject'"):
        samm_lv.load(tmp_path)
