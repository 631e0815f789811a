"""Every kind of bad input gets one sentence naming the file, row or clip and what to do; rows that
cannot be used are listed with the reason, never dropped silently."""
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from skimage import data

from atnet.app.cli import main
from atnet.data.datasets import CorpusError, casme2, load_corpora, samm, smic

SAMM_HEAD = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
             "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]


def samm_sheet(root: Path, rows, sheet="MICRO_ONLY", head=SAMM_HEAD):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for note in ["SAMM notes", None, "Symbol Key:"]:
        ws.append([note])
    ws.append(head)
    for r in rows:
        ws.append(r)
    wb.save(root / "SAMM_Micro_FACS_Codes_v2.xlsx")


def frames(folder: Path, numbers, pattern):
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / pattern.format(n)).touch()


def row(clip, on, apex, off, emo="Happiness"):
    return ["006", clip, 1, on, apex, off, 0, "Micro - 1/2", "12", emo, 1, None]


def test_samm_rows_that_cannot_be_used_are_listed(tmp_path):
    for clip in ("006_1_1", "006_1_2", "006_1_3", "006_1_4"):
        frames(tmp_path / "006" / clip, range(100, 141), "006_{:05d}.jpg")
    samm_sheet(tmp_path, [row("006_1_1", 110, 120, 130),                 # kept
                          row("006_1_2", 110, "/", 130),                 # apex "/"
                          row("006_1_3", 90, 120, 130),                  # onset before the clip's first frame
                          row("006_1_4", 110, 120, 130, "Pride"),        # unknown emotion
                          row("006_1_5", 110, 120, 130)])                # listed, no folder
    c = samm.load(tmp_path)
    assert [s.clip for s in c.samples] == ["006_1_1"]
    reasons = {e.clip: e.reason for e in c.excluded}
    assert "non-numeric onset/apex/offset (110, /, 130)" in reasons["006/006_1_2"]
    assert "onset frame 90 is outside the frames 100..140" in reasons["006/006_1_3"]
    assert "correct the spreadsheet row" in reasons["006/006_1_3"]
    assert "'Pride' is not one the class set megc2019 knows" in reasons["006/006_1_4"]
    assert "no folder" in reasons["006/006_1_5"]


def test_samm_missing_sheet_or_renamed_column_is_named(tmp_path):
    samm_sheet(tmp_path, [row("006_1_1", 1, 2, 3)], sheet="Sheet1")
    with pytest.raises(CorpusError, match=r"SAMM_Micro_FACS_Codes_v2.xlsx: no sheet 'MICRO_ONLY'"):
        samm.load(tmp_path)
    samm_sheet(tmp_path, [row("006_1_1", 1, 2, 3)], head=[h.replace("Apex Frame", "Apex") for h in SAMM_HEAD])
    with pytest.raises(CorpusError, match=r"no column 'Apex Frame' in its header row \(row 4\)"):
        samm.load(tmp_path)
    (tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx").unlink()
    with pytest.raises(CorpusError, match="no SAMM_Micro_FACS_Codes.*xlsx inside"):
        samm.load(tmp_path)


def test_empty_or_wrong_roots_are_named(tmp_path):
    with pytest.raises(CorpusError, match="no HS/s1/micro"):
        smic.load(tmp_path)
    (tmp_path / "CASME2_RAW_selected").mkdir()
    wb = Workbook()
    wb.active.append(["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
                      "Estimated Emotion"])
    wb.active.append(["01", "EP01_01f", None, 1, 2, 3, None, "12", "happiness"])
    wb.save(tmp_path / "CASME2-coding-20140508.xlsx")
    with pytest.raises(CorpusError, match=r"no usable casme2 clip found \(1 left out\)"):
        load_corpora({"casme2": tmp_path})
    with pytest.raises(CorpusError, match="neither CASME2_RAW_selected/ nor Cropped/"):
        casme2.load(tmp_path / "CASME2_RAW_selected", tmp_path / "CASME2-coding-20140508.xlsx")


def test_smic_clip_with_a_gap_is_listed(tmp_path):
    frames(tmp_path / "HS" / "s3" / "micro" / "positive" / "s3_po_01", [1, 2, 3, 5, 6], "image{:07d}.bmp")
    frames(tmp_path / "HS" / "s3" / "micro" / "positive" / "s3_po_02", range(1, 9), "image{:07d}.bmp")
    c = smic.load(tmp_path)
    assert [s.clip for s in c.samples] == ["s03_po_02"]
    assert c.excluded[0].clip == "s03/s03_po_01" and "1 frames missing" in c.excluded[0].reason


def test_score_matches_the_hand_computation(tmp_path, capsys):
    log = tmp_path / "megc.log"
    log.write_text("casme2 sub01\nEP01_01f 0 0\nEP01_02f 0 1\nEP02_01f 1 1\n"
                   "samm 006\n006_1_1 2 2\n006_1_2 2 0\n006_1_3 0 0\n")
    main(["score", "--megc-log", str(log)])
    out = capsys.readouterr().out
    # total: cm rows truth [[2,1,0],[0,1,0],[1,0,1]]
    # F1 neg 4/(4+1+1)=2/3, pos 2/(2+1+0)=2/3, sur 2/(2+0+1)=2/3 -> UF1 2/3; recall 2/3, 1, 1/2 -> UAR 13/18
    assert "| full | 6 | 0.6667 | 0.6667 | 0.7222 |" in out
    # casme2: [[1,1],[0,1]]: F1 neg 2/3, pos 2/3 -> 0.6667; recall 0.5, 1 -> 0.75
    assert "| casme2 | 3 | 0.6667 | 0.6667 | 0.7500 |" in out
    # samm: truth 2,2,0 pred 2,0,0: F1 neg 2/3, sur 2/3 -> 0.6667 (positive absent); recall 1, 0.5 -> 0.75
    assert "| samm | 3 | 0.6667 | 0.6667 | 0.7500 |" in out
    with pytest.raises(SystemExit, match="missing.log: not found"):
        main(["score", "--megc-log", str(tmp_path / "missing.log")])


def test_apex_table_runs_the_spatial_stream(tmp_path, capsys):
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    rows = []
    rng = np.random.default_rng(0)
    for d, subj in [("casme2", "sub01"), ("casme2", "sub02"), ("samm", "006"), ("smic", "s01")]:
        for k, label in enumerate(["negative", "positive", "surprise"]):
            name = f"{d}_{subj}_{k}.png"
            img = np.clip(gray.astype(np.int16) + rng.integers(-20, 20, gray.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(str(tmp_path / name), img)
            rows.append((d, subj, f"clip{k}", label, name))
    rows.append(("samm", "006", "broken", "positive", "missing.png"))
    rows.append(("samm", "006", "odd", "contempt", f"{rows[0][4]}"))
    pd.DataFrame(rows, columns=["dataset", "subject", "clip", "label", "image"]).to_csv(tmp_path / "apex.csv", index=False)
    out = tmp_path / "run"
    main(["evaluate", "--apex-table", str(tmp_path / "apex.csv"), "--method", "spatial", "micro-attention",
          "--protocol", "cde", "hde", "--out", str(out), "--size", "64", "--epochs", "1", "--image-size", "32", "--jobs", "1"])
    preds = pd.read_csv(out / "predictions" / "spatial-cde.csv")
    assert len(preds) == 12 and preds["subject"].nunique() == 4
    assert len(pd.read_csv(out / "predictions" / "micro-attention-hde.csv")) == 12
    excluded = pd.read_csv(out / "excluded.csv")
    assert set(excluded["clip"]) == {"006/broken", "006/odd"}
    assert "missing.png: unreadable image" in excluded.set_index("clip").loc["006/broken", "reason"]
    with pytest.raises(SystemExit, match=r"apex.csv: the table holds apex only, and --method atnet reads the ADM "
                                         r"sequence.*; use --method micro-attention spatial"):
        main(["evaluate", "--apex-table", str(tmp_path / "apex.csv"), "--method", "atnet", "--out", str(out)])
