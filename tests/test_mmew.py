"""MMEW: the adapter on the public CSV export of MMEW_Micro_Exp.xlsx (../shared/data/annotations,
marked realdata; its rows over a generated tree of empty frame files), and on the synthetic corpus in
its layout (synthetic_more)."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.data.datasets import CorpusError, load_corpora, mmew
from atnet.data.datasets.synthetic_more import MMEW_SHEET, synthesize_mmew

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
EXPORT = ANNOTATIONS / "MMEW_Micro_Exp_delete_others.csv"
needs = pytest.mark.skipif(not EXPORT.is_file(), reason=f"{EXPORT} is absent (the real export)")
SIX = {"surprise": 89, "disgust": 72, "happiness": 36, "fear": 16, "sadness": 13, "anger": 8}   # 234


@pytest.mark.realdata
@needs
def test_counts_of_the_real_export():
    six = mmew.sheet_rows(EXPORT, "mmew-6")
    assert len(six) == 234 and len({name.split("/")[0] for _, name, _, _ in six}) == 30
    assert Counter(label for _, _, label, _ in six) == SIX                  # mmew-6 keeps every row
    five = mmew.sheet_rows(EXPORT, "mmew-5")
    assert Counter(label for _, _, label, _ in five if label) == {k: v for k, v in SIX.items() if k != "anger"}
    assert Counter(why for *_, why in five if why) == {"emotion 'anger' is left out of the class set mmew-5": 8}
    assert {name.split("/")[0] for _, name, _, _ in six} == {f"S{n:02d}" for n in range(1, 31)}


@pytest.mark.realdata
@needs
def test_the_real_export_over_a_tree_of_its_frames(tmp_path):
    """The layout the export's imagename column shows: Micro_Expression/<emotion>/<Filename>/<n>.jpg."""
    rows = pd.read_csv(EXPORT, dtype=str)
    for _, r in rows.iterrows():
        folder = tmp_path / "Micro_Expression" / r["Estimated Emotion"] / r["Filename"]
        folder.mkdir(parents=True)
        for n in range(int(r["OnsetFrame"]), int(r["OffsetFrame"]) + 1):
            (folder / f"{n}.jpg").touch()
    assert {f"{r['Estimated Emotion']}/{r['Filename']}/{r['ApexFrame']}.jpg" for _, r in rows.iterrows()} == \
        set(rows["imagename"])
    (tmp_path / "Micro_Expression" / "others" / "S01-04-001").mkdir(parents=True)   # the export has no others
    corpus = mmew.load(tmp_path, "mmew-6", sheet=EXPORT)
    assert len(corpus.samples) == 234 and Counter(s.label for s in corpus.samples) == SIX
    assert {s.fps for s in corpus.samples} == {90.0} and len({s.subject for s in corpus.samples}) == 30
    s = next(s for s in corpus.samples if s.clip == "S01-01-001")
    assert (s.subject, s.key, s.onset, s.apex, s.offset, len(s.frames)) == ("mmew/S01", "mmew/S01/S01-01-001", 1, 15,
                                                                            31, 31)
    [gone] = corpus.excluded
    assert gone.clip == "S01/S01-04-001" and "has no row in MMEW_Micro_Exp_delete_others.csv" in gone.reason


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """2 subjects x 4 clips of 10-14 frames: the six emotions and others."""
    return synthesize_mmew(tmp_path_factory.mktemp("mmew"), subjects=2, clips=4, frames=(10, 14), jobs=1)


def test_synthetic_mmew_reads_back_with_each_class_set(tiny):
    sheet = pd.read_excel(tiny / MMEW_SHEET, dtype=str)
    assert list(sheet.columns) == ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
                                   "Estimated Emotion", "remarks"]
    emotions = Counter(sheet["Estimated Emotion"])
    assert set(emotions) == {"happiness", "surprise", "sadness", "disgust", "fear", "anger", "others"}
    for name, drop in (("mmew-6", {"others"}), ("mmew-5", {"others", "anger"})):
        corpus = load_corpora({"mmew": tiny}, classes=name)
        assert Counter(s.label for s in corpus.samples) == {e: n for e, n in emotions.items() if e not in drop}
        assert {s.fps for s in corpus.samples} == {90.0}
        assert {s.subject for s in corpus.samples} <= {"mmew/S01", "mmew/S02"}
        for s in corpus.samples:
            assert s.onset == 1 and s.frame_numbers == tuple(range(1, s.offset + 1))
            assert Path(s.frames[0]).parent.parent.name == s.label and Path(s.frames[0]).name == "1.jpg"
        assert Counter(e.reason.split("'")[1] for e in corpus.excluded) == {e: emotions[e] for e in drop}
        assert all(e.reason.endswith(f"is left out of the class set {name}") for e in corpus.excluded)


def test_a_clip_in_another_emotions_folder_is_left_out(tiny, tmp_path):
    root = shutil.copytree(tiny, tmp_path / "MMEW")
    clip = next(p for p in (root / "Micro_Expression" / "happiness").iterdir())
    clip.rename(root / "Micro_Expression" / "fear" / clip.name)
    corpus = mmew.load(root, "mmew-6")
    [gone] = [e for e in corpus.excluded if e.clip.endswith(clip.name)]
    assert gone.reason.startswith("its folder lies in fear/ but MMEW_Micro_Exp.xlsx row ")
    assert "gives the emotion 'happiness'; move the folder or correct the row" in gone.reason
    shutil.copytree(root / "Micro_Expression" / "fear" / clip.name, root / "Micro_Expression" / "happiness" / clip.name)
    [gone] = [e for e in mmew.load(root, "mmew-6").excluded if e.clip.endswith(clip.name)]
    assert f"{clip.name} lies in 2 emotion folders (fear, happiness)" in gone.reason


def test_a_missing_frame_leaves_its_clip_out(tiny, tmp_path):
    root = shutil.copytree(tiny, tmp_path / "MMEW")
    first = mmew.load(root, "mmew-6").samples[0]
    Path(first.frames[first.frame_numbers.index(first.apex)]).unlink()
    corpus = mmew.load(root, "mmew-6")
    assert first.key not in {s.key for s in corpus.samples}
    [gone] = [e for e in corpus.excluded if e.clip == f"{first.subject[5:]}/{first.clip}"]
    assert gone.reason == f"apex frame {first.apex} is missing from {Path(first.frames[0]).parent}"


def test_the_csv_export_reads_as_the_workbook(tiny, tmp_path):
    rows = pd.read_excel(tiny / MMEW_SHEET, dtype=str)
    rows["label"] = "x"                                   # the export's author's extra columns are not read
    rows["imagename"] = rows["Estimated Emotion"] + "/" + rows["Filename"] + "/" + rows["ApexFrame"] + ".jpg"
    rows.to_csv(tmp_path / "MMEW_Micro_Exp_delete_others.csv", index=False)
    book = mmew.load(tiny, "mmew-6")
    export = mmew.load(tiny, "mmew-6", sheet=tmp_path / "MMEW_Micro_Exp_delete_others.csv")
    assert export.samples == book.samples
    assert [e.clip for e in export.excluded] == [e.clip for e in book.excluded]
    rows.drop(columns="OnsetFrame").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(CorpusError, match=r"bad.csv: no column 'OnsetFrame'"):
        mmew.load(tiny, "mmew-6", sheet=tmp_path / "bad.csv")


def test_subject_names():
    assert [mmew.subject_name(c) for c in ("1", "30", "1.0", "S01", " 7 ")] == ["S01", "S30", "S01", "S01", "S07"]


def test_the_default_class_set_does_not_serve_mmew(tiny, tmp_path):
    refusal = r"the class set has no map for the corpus mmew \(it serves casme2, samm, smic\)"
    with pytest.raises(CorpusError, match=refusal):
        load_corpora({"mmew": tiny})
    with pytest.raises(SystemExit, match=refusal):
        main(["corpus", "--mmew", str(tiny), "--out", str(tmp_path / "c.csv")])
    with pytest.raises(SystemExit, match=r"--mmew-sheet names MMEW's annotation sheet, and no --mmew is given"):
        main(["corpus", "--mmew-sheet", str(tiny / MMEW_SHEET), "--out", str(tmp_path / "c.csv")])


def test_synth_writes_mmew(tmp_path, capsys, monkeypatch):
    from functools import partial

    from atnet.data.datasets import synthetic_more
    small = partial(synthetic_more.synthesize_mmew, subjects=2, clips=4, frames=(10, 14))
    monkeypatch.setattr(synthetic_more, "synthesize_mmew", small)          # the command's, at a test's size
    main(["synth", str(tmp_path / "out"), "--corpus", "mmew", "--jobs", "1"])
    out = capsys.readouterr().out
    assert "micro-expressions of 2 subjects in the class set mmew-6" in out and "annotation rows left out" in out
    again = synthesize_mmew(tmp_path / "out", subjects=2, clips=4, frames=(10, 14))   # the same settings: reused
    assert (again / "synth.json").stat().st_mtime_ns == (tmp_path / "out" / "MMEW" / "synth.json").stat().st_mtime_ns
