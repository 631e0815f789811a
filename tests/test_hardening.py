"""Every bad or unusual input, run as a user would (the CLI, in-process), ends either with a refusal:
a non-zero exit and one line naming the file or flag and what to do; or with the input accepted and
each item left out listed with its reason. No case may raise anything else (a traceback).

Each row of CASES builds its input in a temporary folder and says what the user must see."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from skimage import data

from atnet.app.cli import main

CASME_HEAD = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
              "Estimated Emotion"]
SAMM_HEAD = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
             "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]


# ------------------------------------------------------------------------------------------ builders

def touch_frames(folder: Path, numbers, pattern: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / pattern.format(n)).touch()


def casme2_root(tmp: Path, rows: list[list], frames: bool = True) -> Path:
    """A CASME II root: the coding sheet with `rows` (subject, clip, onset, apex, offset, emotion) and,
    for each clip, frames 1..60."""
    root = tmp / "CASME2"
    (root / "CASME2_RAW_selected").mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.active.append(CASME_HEAD)
    for subject, clip, on, apex, off, emo in rows:
        wb.active.append([subject, clip, None, on, apex, off, None, "12", emo])
        if frames:
            touch_frames(root / "CASME2_RAW_selected" / f"sub{subject}" / clip, range(1, 61), "img{}.jpg")
    wb.save(root / "CASME2-coding-20140508.xlsx")
    return root


def samm_root(tmp: Path, rows: list[list]) -> Path:
    root = tmp / "SAMM"
    root.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "MICRO_ONLY"
    for note in ["SAMM notes", None, "Symbol Key:"]:
        ws.append([note])
    ws.append(SAMM_HEAD)
    for subject, clip, on, apex, off, emo in rows:
        ws.append([subject, clip, 1, on, apex, off, 0, "Micro - 1/2", "12", emo, 1, None])
        touch_frames(root / subject / clip, range(100, 141), subject + "_{:05d}.jpg")
    wb.save(root / "SAMM_Micro_FACS_Codes_v2.xlsx")
    return root


def smic_root(tmp: Path, clips: list[tuple[str, str, str]]) -> Path:
    """(subject folder, emotion folder, clip folder) with frames 1..20 each; emotion '' puts the
    clip directly under micro/."""
    root = tmp / "SMIC"
    for subj, emo, clip in clips:
        touch_frames(root / "HS" / subj / "micro" / emo / clip, range(1, 21), "image{:07d}.bmp")
    return root


GOOD = ["01", "EP02_01f", 10, 20, 30, "happiness"]
GOOD_SAMM = ["006", "006_1_1", 110, 120, 130, "Happiness"]


def corpus(flag: str, root: Path, tmp: Path) -> list[str]:
    return ["corpus", f"--{flag}", str(root), "--out", str(tmp / "table.csv")]


def bad_spreadsheet(kind: str, which: str):
    """A spreadsheet that is a truncated zip, a folder, or text renamed .xlsx, beside good frames."""
    def build(tmp: Path):
        root = casme2_root(tmp, [GOOD]) if which == "casme2" else samm_root(tmp, [GOOD_SAMM])
        sheet = next(root.glob("*.xlsx"))
        if kind == "truncated":
            sheet.write_bytes(sheet.read_bytes()[:900])
        elif kind == "folder":
            sheet.unlink()
            sheet.mkdir()
        else:
            sheet.write_text("Subject,Filename\n01,EP02_01f\n")
        return corpus(which, root, tmp)
    return build


def log_file(text: str):
    def build(tmp: Path):
        (tmp / "megc.log").write_text(text)
        return ["score", "--megc-log", str(tmp / "megc.log")]
    return build


def run_folder(name: str, text: str):
    def build(tmp: Path):
        (tmp / "run").mkdir()
        (tmp / "run" / name).write_text(text)
        return ["report", str(tmp / "run")]
    return build


def smic_case(clips):
    def build(tmp: Path):
        return corpus("smic", smic_root(tmp, clips), tmp)
    return build


def casme_case(rows):
    def build(tmp: Path):
        return corpus("casme2", casme2_root(tmp, rows), tmp)
    return build


def samm_case(rows):
    def build(tmp: Path):
        return corpus("samm", samm_root(tmp, rows), tmp)
    return build


def thumbs_case(tmp: Path):
    root = casme2_root(tmp, [GOOD, ["01", "EP02_02f", 10, 20, 30, "happiness"]])
    (root / "CASME2_RAW_selected" / "sub01" / "EP02_02f" / "Thumbs.jpg").touch()
    return corpus("casme2", root, tmp)


def unlisted_folder_case(tmp: Path):
    root = casme2_root(tmp, [GOOD])
    touch_frames(root / "CASME2_RAW_selected" / "sub01" / "EP09_09f", range(1, 5), "img{}.jpg")
    return corpus("casme2", root, tmp)


def flags(*extra):
    def build(tmp: Path):
        return ["prepare", "--cache", str(tmp / "cache"), *extra]
    return build


# kind "refuse": the command exits non-zero with one line matching the pattern.
# kind "leave_out": the command succeeds and lists the item (dataset subject/clip) with a reason matching.
CASES = [
    # tracebacks, now one sentence
    ("casme2 cell inf", casme_case([GOOD, ["01", "EP02_02f", 10, "inf", 30, "happiness"]]),
     "leave_out", "casme2 sub01/EP02_02f", r"not whole frame numbers onset/apex/offset \(10, inf, 30\).*apex 'inf'"),
    ("samm cell inf", samm_case([GOOD_SAMM, ["006", "006_1_2", "-inf", 120, 130, "Happiness"]]),
     "leave_out", "samm 006/006_1_2", r"onset '-inf' is not a whole frame number"),
    ("casme2 sheet truncated", bad_spreadsheet("truncated", "casme2"), "refuse", None,
     r"CASME2-coding-20140508.xlsx: cannot be read as a spreadsheet .*; use the official CASME II"),
    ("samm sheet truncated", bad_spreadsheet("truncated", "samm"), "refuse", None,
     r"SAMM_Micro_FACS_Codes_v2.xlsx: cannot be read as a spreadsheet .*; use the official SAMM"),
    ("samm sheet is a folder", bad_spreadsheet("folder", "samm"), "refuse", None,
     r"SAMM_Micro_FACS_Codes_v2.xlsx: is a folder, not a spreadsheet; pass the .xlsx file itself"),
    ("samm sheet is text", bad_spreadsheet("text", "samm"), "refuse", None,
     r"SAMM_Micro_FACS_Codes_v2.xlsx: cannot be read as a spreadsheet"),
    ("casme2 sheet is a folder", bad_spreadsheet("folder", "casme2"), "refuse", None, r"is a folder, not a spreadsheet"),
    ("score class id 3", log_file("casme2 sub01\nEP01_01f 0 0\nEP01_02f 3 1\n"), "refuse", None,
     r"megc.log:3: truth and prediction must be class ids 0 \(negative\), 1 \(positive\) or 2 \(surprise\), got '3'"),
    ("report results.json missing a key", run_folder("results.json", '[{"method": "atnet", "protocol": "cde", '
                                                    '"test_set": "full", "acc": 0.5, "uar": 0.5, "n": 3}]'),
     "refuse", None, r"results.json: \[0\].uf1 is missing; rerun the `atnet evaluate`"),
    ("report summary.json missing a key", run_folder("summary.json", '{"summary": [{"protocol": "cde", '
                                                    '"test_set": "full", "acc": 0.5, "uf1": 1, "uar": 0.5, "n": 3}]}'),
     "refuse", None, r"summary.json: summary\[0\].method is missing; rerun `atnet reproduce`"),
    ("report results.json corrupt", run_folder("results.json", '[{"method": "atnet", '), "refuse", None,
     r"run/results.json: not valid JSON"),
    ("--size 0", flags("--size", "0"), "refuse", None, r"argument --size: 0 must be at least 32"),
    ("--size 7", flags("--size", "7"), "refuse", None, r"argument --size: 7 must be at least 32"),
    ("--grid 0", flags("--grid", "0"), "refuse", None, r"argument --grid: 0 must be at least 1"),
    ("--grid too fine", flags("--grid", "20", "--size", "64"), "refuse", None,
     r"--grid 20 with --size 64: an ADM cell must be at least 4 px, so use --grid 16 or less"),
    ("--jobs 0", flags("--jobs", "0"), "refuse", None, r"argument --jobs: 0 must be at least 1"),
    ("--margin -1", flags("--margin", "-1"), "refuse", None, r"argument --margin: -1 must be at least 0.0"),
    ("--lr nan", lambda tmp: ["evaluate", "--out", str(tmp / "r"), "--lr", "nan"], "refuse", None, r"argument --lr: nan must be a finite number"),
    # silent wrong counts
    ("casme2 row repeated", casme_case([GOOD, GOOD]), "leave_out", "casme2 sub01/EP02_01f",
     r"row 3 of CASME2-coding-20140508.xlsx repeats row 2 .*row 2 is kept"),
    ("samm row repeated", samm_case([GOOD_SAMM, GOOD_SAMM]), "leave_out", "samm 006/006_1_1",
     r"row 6 of SAMM_Micro_FACS_Codes_v2.xlsx repeats row 5"),
    ("smic s1_ne_03 beside s01_ne_03", smic_case([("s1", "negative", "s1_ne_03"), ("s1", "negative", "s01_ne_03")]),
     "leave_out", "smic s01/s01_ne_03", r"is the same clip as .*s01_ne_03 \(SMIC names s1_ne_01 and s01_ne_01 alike\)"),
    ("smic s1/ beside s01/", smic_case([("s1", "negative", "s1_ne_01"), ("s01", "negative", "s01_ne_01")]),
     "leave_out", "smic s01/s01_ne_01", r"HS/s1/micro/negative/s1_ne_01 is the same clip as .*HS/s01/micro/negative"),
    ("log: two tokens inside a block", log_file("casme2 sub01\nEP01_01f 0 0\nEP01_02f 1\n"), "refuse", None,
     r"megc.log:3: expected 'dataset subject' \(dataset casme2, samm, smic\) or 'clip truth pred', got 'EP01_02f 1'"),
    ("log: clip line repeated", log_file("casme2 sub01\nEP01_01f 0 0\nEP01_01f 0 0\n"), "refuse", None,
     r"megc.log:3: clip EP01_01f of casme2/sub01 is already listed on line 2"),
    ("log: empty", log_file(""), "refuse", None, r"megc.log: holds no clip line, so there is nothing to score"),
    # silent drops or damage
    ("smic unexpected subject folder", smic_case([("s1", "negative", "s1_ne_01"), ("subject3", "negative", "x")]),
     "leave_out", "smic subject3", r"HS/subject3 is not a subject folder \(s1, s01, ...\)"),
    ("smic clip directly under micro/", smic_case([("s1", "negative", "s1_ne_01"), ("s1", "s1_po_02", "")]),
     "leave_out", "smic s01/s01_po_02", r"holds frames directly under micro/, so its label is unknown; move it"),
    ("casme2 apex 398.9", casme_case([GOOD, ["01", "EP02_02f", 10, 39.5, 50, "happiness"]]),
     "leave_out", "casme2 sub01/EP02_02f", r"not whole frame numbers .*apex '39.5' is not a whole frame number"),
    ("casme2 folder without a row", unlisted_folder_case, "leave_out", "casme2 sub01/EP09_09f",
     r"the folder .*EP09_09f has no row in CASME2-coding-20140508.xlsx, so it is not read"),
    # unclear or late refusals
    ("score on a folder", lambda tmp: ["score", "--megc-log", str(tmp)], "refuse", None,
     r": is a folder, not a log file; pass the log itself"),
    ("score on a missing file", lambda tmp: ["score", "--megc-log", str(tmp / "x.log")], "refuse", None,
     r"x.log: not found; pass the log itself"),
    ("Thumbs.jpg in one clip", thumbs_case, "leave_out", "casme2 sub01/EP02_02f",
     r"Thumbs.jpg: no frame number in the file name; .*move this image out of the clip's folder"),
    ("--seeds 0", lambda tmp: ["reproduce", "--seeds", "0", "--out", str(tmp / "r")], "refuse", None,
     r"argument --seeds: 0 must be at least 1"),
]


def outcome(argv, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, the error line) of `atnet argv` run in-process."""
    code, message = 0, ""
    try:
        main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
        message = e.code if isinstance(e.code, str) else ""
    out, err = capsys.readouterr()
    return code, out, message or err.strip().splitlines()[-1] if (message or err.strip()) else ""


@pytest.mark.parametrize("name,build,kind,item,pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_case(name, build, kind, item, pattern, tmp_path, capsys):
    code, out, error = outcome(build(tmp_path), capsys)
    if kind == "refuse":
        assert code != 0, f"{name}: accepted ({out[-300:]})"
        assert "\n" not in error and error, f"{name}: not one line: {error!r}"
        assert re.search(pattern, error), f"{name}: {error!r}"
    else:
        assert code == 0, f"{name}: refused: {error}"
        listed = [line.strip() for line in out.splitlines() if line.startswith("  ")]
        mine = [line for line in listed if line.startswith(item + ":")]
        assert mine, f"{name}: {item} not listed among {listed}"
        assert any(re.search(pattern, line) for line in mine), f"{name}: {mine}"


def test_a_repeated_row_is_counted_once(tmp_path, capsys):
    main(corpus("casme2", casme2_root(tmp_path, [GOOD, GOOD, GOOD]), tmp_path))
    table = pd.read_csv(tmp_path / "table.csv")
    assert len(table) == 1
    assert "| positive | 1 | 1 |" in capsys.readouterr().out


def test_smic_names_are_normalised_before_counting(tmp_path, capsys):
    root = smic_root(tmp_path, [("s1", "negative", "s1_ne_01"), ("s01", "negative", "s01_ne_01"),
                                ("s1", "negative", "s01_ne_02"), ("s1", "positive", "s1_po_01")])
    main(corpus("smic", root, tmp_path))
    table = pd.read_csv(tmp_path / "table.csv")
    assert sorted(table["clip"]) == ["s01_ne_01", "s01_ne_02", "s01_po_01"]
    assert set(table["subject"]) == {"s01"}


# ------------------------------------------------------------------------------------------ frames

def jpeg_clip(folder: Path, n: int = 12) -> None:
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        cv2.imwrite(str(folder / f"img{i}.jpg"), np.roll(gray, i, axis=1))


def test_truncated_jpeg_is_left_out_naming_the_frame(tmp_path, capsys):
    root = casme2_root(tmp_path, [["01", "EP01_01f", 1, 6, 12, "happiness"], ["02", "EP01_02f", 1, 6, 12, "surprise"]],
                       frames=False)
    for sub, clip in (("sub01", "EP01_01f"), ("sub02", "EP01_02f")):
        jpeg_clip(root / "CASME2_RAW_selected" / sub / clip)
    frame = root / "CASME2_RAW_selected" / "sub02" / "EP01_02f" / "img7.jpg"
    frame.write_bytes(frame.read_bytes()[:4000])   # OpenCV alone decodes it half grey with a warning
    main(["prepare", "--casme2", str(root), "--cache", str(tmp_path / "cache"), "--face", "haar", "--size", "64",
          "--half-window", "4", "--jobs", "1"])
    out = capsys.readouterr().out
    assert f"casme2 sub02/EP01_02f: {frame}: the JPEG data is truncated (no end-of-image marker)" in out
    assert "prepared 1 clips" in out


def test_protocols_are_refused_before_any_clip_is_prepared(tmp_path, capsys):
    root = casme2_root(tmp_path, [["01", "EP01_01f", 1, 6, 12, "happiness"]], frames=False)
    jpeg_clip(root / "CASME2_RAW_selected" / "sub01" / "EP01_01f")
    cache = tmp_path / "cache"
    for protocol, pattern in (("hde", "--protocol hde .* needs at least two corpora; the clips given are from casme2"),
                              ("cde", "--protocol cde .* needs at least two subjects; the clips given hold "
                                      "casme2/sub01")):
        code, _, error = outcome(["evaluate", "--casme2", str(root), "--protocol", protocol, "--out",
                                  str(tmp_path / "run"), "--cache", str(cache), "--face", "haar"], capsys)
        assert code != 0 and re.search(pattern, error), error
    assert not list(cache.rglob("*.npz")), "clips were prepared before the refusal"


def test_a_corrupt_results_file_is_named_before_training(tmp_path, tiny_corpus, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text("{not json")
    code, out, error = outcome(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"),
                                "--out", str(run), "--method", "hoof-n4-tim10", "--size", "64", "--jobs", "1",
                                "--face", "haar"], capsys)
    assert code != 0 and error.startswith(f"error: {run / 'results.json'}: not valid JSON"), error
    assert not (run / "folds").exists() or not list((run / "folds").glob("*.npy"))


def test_apex_table_rows_with_empty_cells_or_repeated_are_listed(tmp_path, capsys):
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    cv2.imwrite(str(tmp_path / "a.png"), gray)
    rows = [(d, s, f"c{k}", label, "a.png") for d, s in [("casme2", "sub01"), ("samm", "006")]
            for k, label in enumerate(["negative", "positive", "surprise"])]
    rows += [("casme2", "sub01", "c0", "negative", "a.png"),          # repeated
             ("casme2", "sub01", "c9", "negative", None),             # empty image
             ("casme2", None, "c8", "negative", "a.png")]             # empty subject
    pd.DataFrame(rows, columns=["dataset", "subject", "clip", "label", "image"]).to_csv(tmp_path / "apex.csv",
                                                                                       index=False)
    main(["evaluate", "--apex-table", str(tmp_path / "apex.csv"), "--method", "spatial", "--out", str(tmp_path / "r"),
          "--size", "64", "--epochs", "1", "--image-size", "16", "--jobs", "1", "--face", "haar"])
    excluded = pd.read_csv(tmp_path / "r" / "excluded.csv").set_index("clip")["reason"]
    assert "row 8 repeats row 2" in excluded["sub01/c0"]
    assert "row 9: the 'image' cell is empty" in excluded["sub01/c9"]
    assert "row 10: the 'subject' cell is empty" in excluded["nan/c8"]
    assert len(pd.read_csv(tmp_path / "r" / "predictions" / "spatial-cde.csv")) == 6
