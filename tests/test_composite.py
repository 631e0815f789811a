"""The MEGC 2019 composite from the real annotation spreadsheets (../shared/data/annotations) over
generated frame trees in the real layouts (empty files named as the corpora name their frames;
adapters read names only). SMIC-HS has no spreadsheet (labels come from folders), so its tree is
generated with the composite's counts: 16 subjects, 70 / 51 / 43 clips."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.data.datasets import casme2, load_corpora, samm

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not ANNOTATIONS.is_dir(), reason=f"{ANNOTATIONS} is absent (real spreadsheets)")]
SMIC_SUBJECTS = [1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20]


def touch_frames(folder: Path, numbers, pattern: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / pattern.format(n)).touch()


@pytest.fixture(scope="module")
def real_layout(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    # CASME II as unpacked: CASME2/CASME2-coding-20140508.xlsx beside CASME2/CASME2_RAW_selected/
    sheet = ANNOTATIONS / "CASME2-coding-20140508.xlsx"
    (root / "CASME2").mkdir()
    (root / "CASME2" / sheet.name).write_bytes(sheet.read_bytes())
    for _, r in casme2.read_sheet(sheet).iterrows():
        on, off = int(float(r["OnsetFrame"])), int(float(r["OffsetFrame"]))
        touch_frames(root / "CASME2" / "CASME2_RAW_selected" / f"sub{str(r['Subject']).zfill(2)}" / r["Filename"],
                     range(on - 3, off + 4), "img{}.jpg")
    # SAMM as unpacked: SAMM/SAMM_Micro_FACS_Codes_v2.xlsx beside SAMM/006/
    sheet = ANNOTATIONS / "SAMM_Micro_FACS_Codes_v2.xlsx"
    (root / "SAMM").mkdir()
    (root / "SAMM" / sheet.name).write_bytes(sheet.read_bytes())
    for _, r in samm.read_sheet(sheet).iterrows():
        on, off = int(float(r["Onset Frame"])), int(float(r["Offset Frame"]))
        subj = str(r["Subject"]).zfill(3)
        touch_frames(root / "SAMM" / subj / r["Filename"], range(on - 3, off + 4), subj + "_{:05d}.jpg")
    # SMIC-HS: SMIC/HS/s1/micro/negative/s1_ne_01/image0559740.bmp
    rng = np.random.default_rng(0)
    labels = np.repeat(["negative", "positive", "surprise"], [70, 51, 43])
    owners = np.concatenate([SMIC_SUBJECTS, rng.choice(SMIC_SUBJECTS, 164 - 16)])
    seen: dict = {}
    for lab, s in zip(labels, rng.permutation(owners)):
        start = int(rng.integers(100000, 9000000))
        seen[s, lab] = seen.get((s, lab), 0) + 1
        clip = f"s{s}_{lab[:2] if lab != 'surprise' else 'sur'}_{seen[s, lab]:02d}"
        touch_frames(root / "SMIC" / "HS" / f"s{s}" / "micro" / lab / clip,
                     range(start, start + int(rng.integers(11, 60))), "image{:07d}.bmp")
    return root


def test_real_casme2_sheet_gives_the_composite_counts(real_layout):
    c = casme2.load(real_layout / "CASME2")
    assert pd.Series([s.label for s in c.samples]).value_counts().to_dict() == {"negative": 88, "positive": 32,
                                                                                 "surprise": 25}
    assert len({s.subject for s in c.samples}) == 24 and len(c.samples) + len(c.excluded) == 255
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "MEGC 2019" in reasons["sub04/EP12_01f"] and "MEGC 2019" in reasons["sub05/EP09_05f"]


def test_real_samm_sheet_gives_the_composite_counts(real_layout):
    c = samm.load(real_layout / "SAMM")
    assert pd.Series([s.label for s in c.samples]).value_counts().to_dict() == {"negative": 92, "positive": 26,
                                                                                 "surprise": 15}
    assert len({s.subject for s in c.samples}) == 28 and len(c.samples) + len(c.excluded) == 159
    assert {e.reason for e in c.excluded} == {"emotion 'Other' is left out of the class set megc2019"}


def test_corpus_command_writes_the_442_sample_composite(real_layout, tmp_path, capsys):
    out = tmp_path / "table.csv"
    main(["corpus", "--casme2", str(real_layout / "CASME2"), "--samm", str(real_layout / "SAMM"),
          "--smic", str(real_layout / "SMIC"), "--out", str(out)])
    t = pd.read_csv(out, dtype={"subject": str})
    assert list(t.columns) == ["dataset", "subject", "clip", "label", "onset", "apex", "offset", "fps", "n_frames"]
    assert len(t) == 442
    assert t["label"].value_counts().to_dict() == {"negative": 250, "positive": 109, "surprise": 83}
    assert t["dataset"].value_counts().to_dict() == {"smic": 164, "casme2": 145, "samm": 133}
    assert (t["dataset"] + "/" + t["subject"]).nunique() == 68
    assert t.loc[t["dataset"] == "casme2", "subject"].str.match(r"^sub\d\d$").all()
    assert t.loc[t["dataset"] == "samm", "subject"].str.match(r"^\d{3}$").all()
    assert t.loc[t["dataset"] == "smic", "clip"].str.match(r"^s\d\d_(ne|po|sur)_\d\d$").all()
    smic = t[t["dataset"] == "smic"]
    assert (smic["apex"] == (smic["onset"] + smic["offset"]) // 2).all()
    text = capsys.readouterr().out
    assert "| samples / subjects | 145 / 24 | 133 / 28 | 164 / 16 | 442 / 68 |" in text
    assert "| negative | 88 | 92 | 70 | 250 |" in text
    assert "sub04/EP12_01f" in text and "left out" in text      # every left-out clip is listed


def test_cropped_tree_reads_the_same_clips(real_layout, tmp_path):
    raw = casme2.load(real_layout / "CASME2")
    for s in raw.samples[:5]:
        touch_frames(tmp_path / "Cropped" / s.subject.split("/")[1] / s.clip, s.frame_numbers, "reg_img{}.jpg")
    sheet = real_layout / "CASME2" / "CASME2-coding-20140508.xlsx"
    cropped = load_corpora({"casme2": tmp_path}, {"casme2": sheet})
    assert [(s.clip, s.onset, s.apex) for s in cropped.samples] == [(s.clip, s.onset, s.apex) for s in raw.samples[:5]]
    assert all(Path(f).name.startswith("reg_img") for f in cropped.samples[0].frames)
