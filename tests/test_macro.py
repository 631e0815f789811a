"""Macro-expression corpus adapters (CK+, Oulu-CASIA, JAFFE, MUG) on generated trees in their real
layouts, with the files each must skip or list."""
from pathlib import Path

import pytest

from atnet.core.errors import CorpusError
from atnet.data.datasets import ckplus, jaffe, mug, oulu
from atnet.data.datasets.macro import check_peak_frames, peak


def touch(path: Path, text: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text) if text is not None else path.touch()


def test_ckplus_peak_frames_labels_and_what_is_left_out(tmp_path):
    img, emo = tmp_path / "CK+" / "cohn-kanade-images", tmp_path / "CK+" / "Emotion"
    for subj, seq, n, code in [("S005", "001", 11, "3.0000000e+00"), ("S010", "002", 14, "2.0000000e+00"),
                               ("S010", "004", 8, None), ("S011", "001", 9, "x")]:
        for k in range(1, n + 1):
            touch(img / subj / seq / f"{subj}_{seq}_{k:08d}.png")
        if code is not None:
            touch(emo / subj / seq / f"{subj}_{seq}_{n:08d}_emotion.txt", f"   {code}\n")
    touch(img / "S005" / "001" / ".DS_Store")
    c = ckplus.load(tmp_path, peak_frames=3)
    assert [Path(s.image).name for s in c.samples] == [f"S005_001_{k:08d}.png" for k in (9, 10, 11)]
    assert {s.label for s in c.samples} == {"disgust"} and c.samples[0].subject == "ckplus/S005"
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "contempt (code 2) is not one of the basic emotions" in reasons["S010/002"]
    assert "no emotion file" in reasons["S010/004"]
    assert "'x' is not an emotion code 0-7" in reasons["S011/001"]
    with pytest.raises(CorpusError, match="no cohn-kanade-images/ inside"):
        ckplus.load(tmp_path / "CK+" / "Emotion")


def test_oulu_last_frames_skip_thumbs_db(tmp_path):
    base = tmp_path / "OriginalImg" / "VL" / "Strong"
    for emo in ("Anger", "Happiness", "Contempt"):
        for k in range(12):
            touch(base / "P001" / emo / f"{k:03d}.jpeg")
    touch(base / "P001" / "Anger" / "Thumbs.db")
    (base / "P002" / "Surprise").mkdir(parents=True)
    c = oulu.load(tmp_path, peak_frames=2)
    assert [(s.label, Path(s.image).name) for s in c.samples] == [("anger", "010.jpeg"), ("anger", "011.jpeg"),
                                                                  ("happiness", "010.jpeg"), ("happiness", "011.jpeg")]
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "not one of Oulu-CASIA's six expressions" in reasons["P001/Contempt"]
    assert "no image files" in reasons["P002/Surprise"]
    with pytest.raises(CorpusError, match="no OriginalImg/VL/Weak/"):
        oulu.load(tmp_path, lighting="Weak")


def test_jaffe_codes_from_the_name_and_the_readme_skipped(tmp_path):
    for name in ("KA.AN1.39.tiff", "KA.NE2.27.tiff", "YM.SU3.60.tiff", "TM.XX1.2.tiff", "notes.tiff"):
        touch(tmp_path / "jaffe" / name)
    touch(tmp_path / "jaffe" / "README")
    c = jaffe.load(tmp_path)
    assert [(s.subject, s.label) for s in c.samples] == [("jaffe/KA", "anger"), ("jaffe/KA", "neutral"),
                                                         ("jaffe/YM", "surprise")]
    reasons = {e.clip: e.reason for e in c.excluded}
    assert set(reasons) == {"TM.XX1.2.tiff", "notes.tiff"}
    assert "code 'XX' is not one of" in reasons["TM.XX1.2.tiff"]


def test_mug_middle_frames_of_each_take(tmp_path):
    base = tmp_path / "MUG" / "subjects3"
    for k in range(9):
        touch(base / "001" / "happiness" / "take000" / f"img_{k:04d}.jpg")
    touch(base / "001" / "smirk" / "take000" / "img_0000.jpg")
    (base / "notes").mkdir()
    c = mug.load(tmp_path, peak_frames=3)
    assert [Path(s.image).name for s in c.samples] == ["img_0003.jpg", "img_0004.jpg", "img_0005.jpg"]
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "not one of MUG's seven emotions" in reasons["001/smirk/take000"]
    assert "not a subject folder" in reasons["notes"]


def test_peak_frames():
    assert peak(list(range(10)), 3, "end") == [7, 8, 9]
    assert peak(list(range(10)), 3, "middle") == [3, 4, 5]
    assert peak([1, 2], 5) == [1, 2]
    with pytest.raises(CorpusError, match="--peak-frames 0"):
        check_peak_frames(0)


def test_synthetic_macro_corpora_read_through_their_adapters(tmp_path):
    from atnet.data.datasets.synthetic_macro import macro_roots, synthesize_macro
    roots = synthesize_macro(tmp_path, subjects=2, takes=1, jobs=1)
    assert roots == macro_roots(tmp_path)
    got = {name: mod.load(roots[name], peak_frames=2) for name, mod in
           (("ckplus", ckplus), ("oulu", oulu), ("jaffe", jaffe), ("mug", mug))}
    six = {"anger", "disgust", "fear", "happiness", "sadness", "surprise"}
    assert {s.label for s in got["ckplus"].samples} == six          # the neutral sequences have no label file
    assert [e.reason.split(" (")[0][:15] for e in got["ckplus"].excluded] == ["no emotion file"] * 2
    assert {s.label for s in got["oulu"].samples} == six and not got["oulu"].excluded   # Thumbs.db skipped
    assert {s.label for s in got["jaffe"].samples} == six | {"neutral"} and not got["jaffe"].excluded
    assert len(got["mug"].samples) == 2 * 7 * 2 and {s.subject for s in got["mug"].samples} == {"mug/001", "mug/002"}
    import cv2
    import numpy as np
    first, last = (cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).astype(float) for p in
                   sorted((roots["ckplus"] / "cohn-kanade-images" / "S100" / "005").glob("*.png"))[::9])
    assert np.abs(first - last).mean() > 1.0     # the happiness apex differs visibly from the neutral onset
