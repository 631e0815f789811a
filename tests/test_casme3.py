"""CAS(ME)^3 part A: the adapter on the official label workbook and wrongly-labelled-in-v1 list
(../shared/data/annotations/spotting/casme3, marked realdata; the workbook's rows over a generated
tree of empty frame files), and on the synthetic corpus in its layout (synthetic_more)."""
from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from atnet.app.cli import main
from atnet.data.datasets import CorpusError, casme3, load_corpora
from atnet.data.datasets.synthetic_more import SHEET_NAME, WRONG_NAME, synthesize_casme3

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
OFFICIAL = ANNOTATIONS / "spotting" / "casme3"
SHEET = OFFICIAL / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
WRONG = OFFICIAL / "CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx"
needs = pytest.mark.skipif(not OFFICIAL.is_dir(), reason=f"{OFFICIAL} is absent (the real workbooks)")
SEVEN = {"disgust": 250, "surprise": 187, "others": 158, "fear": 85, "anger": 64, "sad": 57, "happy": 55}   # 856
LISTED = {"spNO.149/d_112", "spNO.40/e_1812", "spNO.40/e_2327", "spNO.216/d_3647"}   # the 4 v2 rows the v1 list names


def kinds(rows) -> Counter:
    """Left-out rows counted by the kind of their reason."""
    def kind(why: str) -> str:
        for k in ("wrongly labelled in v1", "offset 0", "before the onset", "left out of the class set", "repeats row"):
            if k in why:
                return k
        return why
    return Counter(kind(r.why) for r in rows if r.why)


@pytest.mark.realdata
@needs
def test_seven_classes_on_the_real_sheet_before_and_after_the_v1_list():
    raw = casme3.read_sheet(SHEET)
    assert len(raw) == 860 and raw["Subject"].nunique() == 94
    before = Counter(str(e).lower() for e in raw["emotion"])       # the sheet as it is: no row left out
    assert before == {"disgust": 250, "surprise": 187, "others": 161, "fear": 86, "anger": 64, "sad": 57, "happy": 55}
    assert Counter(raw["emotion"])["Others"] == 3                   # mixed case, read alike
    alone = casme3.sheet_rows(SHEET, "casme3-7")
    listed = casme3.sheet_rows(SHEET, "casme3-7", WRONG)
    for rows in (alone, listed):
        assert len(rows) == 860
        assert Counter(r.label for r in rows if r.label) == SEVEN
    # the list names 4 v2 rows, the same 4 the sheet's own quirks leave out: fear -1, others -3 either way
    assert {r.name for r in listed if "wrongly labelled in v1" in r.why} == LISTED
    assert {r.name for r in alone if r.why} == LISTED
    assert kinds(alone) == {"offset 0": 2, "before the onset": 2}
    assert kinds(listed) == {"wrongly labelled in v1": 4}
    why = next(r.why for r in listed if r.name == "spNO.149/d_112")
    assert why.startswith(f"listed in {WRONG.name} (its row 2) as wrongly labelled in v1")
    assert len(casme3.read_wrong(WRONG)) == 22     # two blocks of 12 and 10 rows, the empty row 13 between skipped


@pytest.mark.realdata
@needs
def test_three_and_four_classes_on_the_real_sheet():
    four = casme3.sheet_rows(SHEET, "casme3-4", WRONG)
    assert Counter(r.label for r in four if r.label) == {"negative": 456, "surprise": 187, "others": 158,
                                                         "positive": 55}
    three = casme3.sheet_rows(SHEET, "casme3-3", WRONG)
    assert Counter(r.label for r in three if r.label) == {"negative": 456, "surprise": 187, "positive": 55}   # 698
    assert kinds(three) == {"left out of the class set": 158, "wrongly labelled in v1": 4}
    cases = Counter(re.search(r"emotion '(\w+)'", r.why).group(1) for r in three if "class set" in r.why)
    assert cases == {"others": 155, "Others": 3}
    assert all(r.why == "" for r in three if r.label) and all(r.why for r in three if not r.label)


@pytest.mark.realdata
@needs
def test_the_real_sheet_over_a_tree_of_its_frames(tmp_path):
    """The frames onset..offset of every usable row of spNO.1 to spNO.19 as empty files (the adapter
    reads names only); the other subjects' video folders are absent."""
    root = tmp_path / "CASME3"
    shutil.copy(SHEET, tmp_path / SHEET.name)        # one folder above the tree: found there too
    shutil.copy(WRONG, tmp_path / WRONG.name)
    rows = casme3.sheet_rows(SHEET, "casme3-7")
    frames: dict[Path, set[int]] = {}
    kept = [r for r in rows if not r.why and int(r.name.split("/")[0][5:]) < 20]
    for r in kept:
        folder = root / "part_A" / r.name.split("/")[0] / r.video.lower() / "color"
        frames.setdefault(folder, set()).update(range(r.onset, r.offset + 1))
    for folder, numbers in frames.items():
        folder.mkdir(parents=True)
        for n in numbers:
            (folder / f"{n}.jpg").touch()
    corpus = casme3.load(tmp_path, "casme3-7")
    assert len(kept) == 131 and [s.key for s in corpus.samples] == [f"casme3/{r.name}" for r in kept]
    assert Counter(s.label for s in corpus.samples) == Counter(r.label for r in kept)
    assert len({s.subject for s in corpus.samples}) == 16
    why = Counter("no folder" if e.reason.startswith("no folder ") else "listed" if "wrongly labelled in v1" in e.reason
                  else e.reason for e in corpus.excluded)
    assert why == {"no folder": 856 - 131, "listed": 4}
    j = next(s for s in corpus.samples if s.key == "casme3/spNO.14/j_1012")    # the sheet writes its video 'J'
    assert j.frames[0].endswith("spNO.14/j/color/1012.jpg")
    assert all(s.frame_numbers == tuple(range(s.onset, s.offset + 1)) for s in corpus.samples)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """2 subjects x 2 videos of 2 s, 2 micro-expressions each (+ the offset-0 one in spNO.1/a)."""
    return synthesize_casme3(tmp_path_factory.mktemp("casme3"), subjects=2, videos=2, seconds=2.0, per_video=2,
                             jobs=1)


def test_synthetic_casme3_reads_back_with_each_class_set(tiny):
    for name, classes in (("casme3-7", {"others", "happy", "surprise", "sad", "disgust", "fear", "anger"}),
                          ("casme3-4", {"negative", "positive", "surprise", "others"}),
                          ("casme3-3", {"negative", "positive", "surprise"})):
        corpus = load_corpora({"casme3": tiny}, classes=name)
        assert {s.label for s in corpus.samples} == classes
        assert {s.fps for s in corpus.samples} == {30.0}
        assert {s.subject for s in corpus.samples} == {"casme3/spNO.1", "casme3/spNO.2"}
        assert all(re.fullmatch(r"[ab]_\d+", s.clip) and s.clip == f"{s.clip[0]}_{s.onset}" for s in corpus.samples)
        for s in corpus.samples:   # its video's frames from onset to offset only, colour only
            assert s.frame_numbers == tuple(range(s.onset, s.offset + 1))
            assert all(Path(f).parent.name == "color" and Path(f).is_file() for f in s.frames)
        if name == "casme3-7":
            assert len(corpus.samples) == 8
    assert (tiny / "part_A" / "spNO.1" / "a" / "depth" / "0.png").is_file()      # there, and not read
    assert (tiny / SHEET_NAME).is_file() and (tiny / WRONG_NAME).is_file()


def test_synthetic_quirk_rows_behave_as_on_the_real_sheet(tiny):
    sheet = tiny / SHEET_NAME
    seven = {r.name: r for r in casme3.sheet_rows(sheet, "casme3-7", tiny / WRONG_NAME)}
    three = {r.name: r for r in casme3.sheet_rows(sheet, "casme3-3", tiny / WRONG_NAME)}
    [zero] = [r for r in seven.values() if r.offset == 0]
    assert zero.label is None and zero.why.startswith(f"offset 0 in {SHEET_NAME} row {zero.row}: the offset is not "
                                                      f"annotated")
    book = load_workbook(sheet)["label"]
    [capital] = [f"{r[0]}/{r[1]}_{r[2]}" for r in book.iter_rows(min_row=2, values_only=True) if r[7] == "Others"]
    assert seven[capital].label == "others" and seven[capital].why == ""
    assert three[capital].label is None
    assert three[capital].why == "emotion 'Others' is left out of the class set casme3-3"
    [listed] = [r for r in seven.values() if "wrongly labelled in v1" in r.why]
    assert listed.apex < listed.onset                          # as spNO.149/d's; without the list, its own reason
    alone = {r.name: r for r in casme3.sheet_rows(sheet, "casme3-7")}
    assert "is before the onset" in alone[listed.name].why
    # load finds the list beside the workbook: the same rows left out, each with its reason
    corpus = casme3.load(tiny, "casme3-7")
    assert {e.clip: e.reason for e in corpus.excluded} == {zero.name: zero.why, listed.name: listed.why}


def test_each_video_folder_is_listed_once(tiny, monkeypatch):
    calls = []
    real_read = casme3.read_folder
    monkeypatch.setattr(casme3, "read_folder", lambda folder: calls.append(folder) or real_read(folder))
    corpus = casme3.load(tiny, "casme3-7")
    assert len(calls) == len(set(calls)) == 4 and len(corpus.samples) == 8


def test_a_missing_frame_leaves_its_clip_out(tiny, tmp_path):
    root = shutil.copytree(tiny, tmp_path / "CASME3")
    first = casme3.load(root, "casme3-7").samples[0]
    Path(first.frames[1]).unlink()
    corpus = casme3.load(root, "casme3-7")
    [gone] = [e for e in corpus.excluded if e.clip == f"spNO.1/{first.clip}"]
    assert "1 frames missing between onset and offset" in gone.reason or "apex frame" in gone.reason
    assert len(corpus.samples) == 7                            # the video's other clips are still read


def test_where_the_tree_and_sheets_are_found(tiny, tmp_path):
    # the spNO.* folders given as the root, the workbook and list passed
    corpus = casme3.load(tiny / "part_A", "casme3-7", sheet=tiny / SHEET_NAME, wrong=tiny / WRONG_NAME)
    assert len(corpus.samples) == 8
    (tmp_path / "part_A").mkdir()
    with pytest.raises(CorpusError, match=r"no cas\(me\)3_part_A_ME_label_JpgIndex_v2.xlsx inside .*--casme3-sheet"):
        casme3.load(tmp_path, "casme3-7")
    with pytest.raises(CorpusError, match=r"no part_A/spNO.1/a/color/\.\.\. tree inside; point --casme3"):
        casme3.load(tmp_path, "casme3-7", sheet=tiny / SHEET_NAME)


def test_a_repeated_row_is_left_out(tiny, tmp_path):
    book = load_workbook(tiny / SHEET_NAME)
    ws = book["label"]
    first = [c.value for c in ws[2]]
    ws.append(first)
    book.save(tmp_path / SHEET_NAME)
    rows = casme3.sheet_rows(tmp_path / SHEET_NAME, "casme3-7")
    assert rows[-1].why.startswith(f"row {rows[-1].row} of {SHEET_NAME} repeats row 2 (the same subject and clip)")
    assert rows[0].why == "" and rows[0].name == rows[-1].name


def test_the_default_class_set_does_not_serve_casme3(tiny, tmp_path):
    refusal = r"the class set has no map for the corpus casme3 \(it serves casme2, samm, smic\)"
    with pytest.raises(CorpusError, match=refusal):
        load_corpora({"casme3": tiny})
    with pytest.raises(SystemExit, match=refusal):
        main(["corpus", "--casme3", str(tiny), "--out", str(tmp_path / "c.csv")])
    assert not (tmp_path / "c.csv").exists()
    with pytest.raises(SystemExit, match=r"--casme3-wrong-sheet names .* and no --casme3 is given"):
        main(["corpus", "--casme3-wrong-sheet", str(tiny / WRONG_NAME), "--out", str(tmp_path / "c.csv")])


def test_synth_writes_casme3(tmp_path, capsys, monkeypatch):
    from functools import partial

    from atnet.data.datasets import synthetic_more
    small = partial(synthetic_more.synthesize_casme3, subjects=2, videos=2, seconds=2.0, per_video=2)
    monkeypatch.setattr(synthetic_more, "synthesize_casme3", small)      # the command's, at a test's size
    main(["synth", str(tmp_path / "out"), "--corpus", "casme3", "--jobs", "1", "--seed", "3"])
    assert "8 micro-expressions of 2 subjects in the class set casme3-7 (2 annotation rows left out" in \
        capsys.readouterr().out
    with pytest.raises(SystemExit, match="--full is the size of the clip corpora"):
        main(["synth", str(tmp_path / "other"), "--corpus", "casme3", "--full"])
