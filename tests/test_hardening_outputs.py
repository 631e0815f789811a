"""Issue 21, part B, run as a user would (the CLI, in-process): no command writes over one of its own
inputs; a refused run leaves nothing behind in a new --out; an --out the file system rejects is one
sentence; a clip or row is counted once or refused; every numeric flag is bounded, the bound said in
the message and --help; spot and predict agree on what they cannot read; messages name what was given."""
from __future__ import annotations

import os
import re
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from atnet.app import api
from atnet.app.cli import main
from atnet.app.flags import JOBS_MAX
from atnet.data.prepare import PrepConfig
from atnet.methods.modelfile import header, save_model
from atnet.models import ATNet
from atnet.training import TrainConfig


def refused(argv, pattern: str) -> str:
    """The run ends with one line (no traceback) matching `pattern`; returns it."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    text = str(e.value.code)
    assert text.startswith("error: ") and "\n" not in text, text
    assert re.search(pattern, text), text
    return text


def parse_refused(argv, pattern: str, capsys) -> str:
    """Refused at parse time (exit 2) with the flag and the bound in the one line."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(pattern, err), err
    return err


def frames(folder: Path, n: int, shape=(120, 160), seed: int = 0) -> Path:
    """n numbered noise frames (no face anywhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(1, n + 1):
        cv2.imwrite(str(folder / f"img{i:03d}.png"), rng.integers(90, 160, shape, dtype=np.uint8))
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """An untrained fusion model file (what it predicts does not matter here, only what it refuses)."""
    prep, train = PrepConfig(size=64, face="haar"), TrainConfig(image_size=32, hidden=8)
    meta = header(method="atnet", prep=asdict(prep), train=asdict(train), adm_dim=2 * prep.grid ** 2,
                  corpus=api.corpus_summary([]), packages={}, date="2024-01-01T00:00:00")
    return save_model(tmp_path_factory.mktemp("model") / "m.safetensors",
                      ATNet("atnet", hidden=8, adm_dim=2 * prep.grid ** 2).eval(), meta)


def unchanged(path: Path):
    before = path.read_bytes()
    return lambda: path.read_bytes() == before


# ------------------------------------------------------------------------------------------ no output over an input

def test_predict_refuses_to_write_over_its_model_by_any_name(model, tmp_path):
    clip = frames(tmp_path / "clip", 3)
    same = unchanged(model)
    os.symlink(model, tmp_path / "link.safetensors")
    os.link(model, tmp_path / "hard.safetensors")
    for out in (model, tmp_path / "link.safetensors", tmp_path / "hard.safetensors"):
        refused(["predict", str(model), str(clip), "--out", str(out)],
                rf"--out {out}: is also an input of this command \({model}\); writing it would destroy that input")
    assert same()
    refused(["predict", str(model), str(clip), "--out", str(clip / "img002.png")],   # a frame of the clip
            r"writing img002.png into .*clip would change that input \(its .png files are read\)")
    rows = tmp_path / "clips.csv"
    video = tmp_path / "v.avi"
    video.write_bytes(b"")
    rows.write_text(f"clip,onset,apex,offset\n{video},,,\n")
    refused(["predict", str(model), "--clips", str(rows), "--out", str(rows)], r"is also an input of this command")


def test_every_command_that_writes_refuses_an_output_that_is_an_input(tiny_corpus, tmp_path):
    w = tmp_path / "w.safetensors"
    w.write_bytes(b"x")
    sheet = next(tiny_corpus.rglob("*.xlsx"))
    clip = frames(tmp_path / "clip", 3)
    labels = tmp_path / "run" / "excluded.csv"
    labels.parent.mkdir()
    labels.write_text("dataset,subject,clip,label\n")
    same = [unchanged(p) for p in (w, sheet, labels)]
    cases = [
        (["train", "--synthetic", str(tiny_corpus), "--init-spatial", str(w), "--out", str(w)], "is also an input"),
        (["pretrain", "--init-imagenet", str(w), "--out", str(w)], "is also an input"),
        (["spot", str(clip), "--fps", "30", "--model", str(w), "--out", str(w)], "is also an input"),
        (["spot", str(clip), "--fps", "30", "--out", str(clip / "img001.png")], "would change that input"),
        (["faces", str(clip), "--out", str(clip / "img001.png")], "would change that input"),
        (["faces", str(clip), "--box-file", str(w), "--out", str(tmp_path / "f.csv"), "--montage", str(w)],
         r"--montage .*w.safetensors: is also an input"),
        (["corpus", "--synthetic", str(tiny_corpus), "--out", str(sheet)], r"writing .*\.xlsx into .* would change"),
        (["spot-apex", "--synthetic", str(tiny_corpus), "--out", str(sheet)], r"would change that input"),
        (["evaluate", "--features", str(w), "--labels", str(labels), "--out", str(labels.parent)],
         r"--out .*run \(its excluded.csv\): is also an input"),
        (["evaluate", "--features", str(tmp_path / "run"), "--labels", str(w), "--out", str(tmp_path / "run")],
         r"writing excluded.csv into .*run would change that input \(its .csv files are read\)"),
        (["reproduce", "--apex-table", str(labels), "--out", str(labels.parent)], "is also an input"),
        (["evaluate", "--task", "spot", "--model", str(w), "--out", str(tmp_path)],
         r"the input .*w.safetensors lies in .*figures|is also an input"),
    ]
    (tmp_path / "figures").mkdir()
    os.replace(w, tmp_path / "figures" / "w.safetensors")
    os.symlink(tmp_path / "figures" / "w.safetensors", w)   # the model read through a link into --out's figures/
    for argv, pattern in cases:
        refused(argv, pattern)
    assert all(s() for s in same)


# ------------------------------------------------------------------------------------------ no litter

def test_a_refused_evaluate_leaves_no_folder_and_nothing_in_one_you_had(tmp_path):
    feats = tmp_path / "f.csv"
    feats.write_text("key,x\ncasme2-sub01-a,1\n")
    bad = tmp_path / "labels.csv"
    bad.write_text("dataset,subject,clip,label\ncasme2,sub01,a,joy\n")
    new = tmp_path / "new" / "run"
    refused(["evaluate", "--features", str(feats), "--labels", str(bad), "--out", str(new)], "has label 'joy'")
    assert not new.exists()
    had = tmp_path / "had"
    (had / "mine").mkdir(parents=True)
    (had / "notes.txt").write_text("keep")
    refused(["evaluate", "--features", str(feats), "--labels", str(bad), "--out", str(had)], "has label 'joy'")
    assert sorted(p.name for p in had.rglob("*")) == ["mine", "notes.txt"]
    refused(["evaluate", "--task", "spot", "--out", str(new)], "no annotated long video was found")
    assert not new.exists()
    # refused after excluded.csv was written: features for one subject only, left out, then CDE needs two
    feats.write_text("key,x\ncasme2-sub01-a,1\ncasme2-sub01-b,2\n")
    labels = tmp_path / "l.csv"
    labels.write_text("dataset,subject,clip,label\ncasme2,sub01,a,negative\ncasme2,sub01,b,positive\n"
                      "casme2,sub02,c,negative\ncasme2,sub02,d,surprise\n")
    for out in (new, had):
        text = refused(["evaluate", "--features", str(feats), "--labels", str(labels), "--on-missing", "leave-out",
                        "--out", str(out)], "subject")
        assert "left out" not in text
    assert not new.exists() and sorted(p.name for p in had.rglob("*")) == ["mine", "notes.txt"]


# ------------------------------------------------------------------------------------------ names the FS rejects

def test_an_out_the_file_system_rejects_is_one_sentence(model, tmp_path):
    clip = frames(tmp_path / "clip", 3)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    base = ["predict", str(model), str(clip), "--out"]
    refused(base + [str(tmp_path / "a\0b.csv")], r"holds a NUL character")
    refused(base + [str(tmp_path / ("x" * 300 + ".csv"))], r"is 304 bytes, over the file system's limit of 255")
    refused(base + [str(a_file / "p.csv")], r"notes.txt is a file, not a folder")
    refused(base + [""], r"--out '': empty")
    refused(["evaluate", "--features", str(a_file), "--out", str(a_file)], r"--out .*notes.txt: is a file, not a folder")
    refused(["evaluate", "--features", str(a_file), "--out", str(a_file / "run")], r"notes.txt is a file, not a folder")
    refused(["synth", str(tmp_path / ("y" * 300))], r"^error: OUT .* over the file system's limit")
    refused(base[:3] + ["--cache", str(a_file), "--out", str(tmp_path / "p.csv")],
            r"--cache .*notes.txt: is a file, not a folder")
    refused(["score", "--predictions", ""], r"'': an empty path was given, not a predictions file")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not os.access(ro, os.W_OK):   # root writes anywhere
            refused(base + [str(ro / "p.csv")], r"cannot be written \(permission denied\)")
    finally:
        ro.chmod(0o700)


# ------------------------------------------------------------------------------------------ counted once

def test_a_clip_given_twice_is_refused_naming_both(model, tmp_path):
    clip = frames(tmp_path / "clip", 3)
    rows = tmp_path / "clips.csv"
    rows.write_text(f"clip,onset,apex,offset\nclip,1,2,3\n{clip},1,2,3\n")
    refused(["predict", str(model), "--clips", str(rows), "--out", str(tmp_path / "p.csv")],
            rf"clips.csv row 3 and .*clips.csv row 2 are the same clip \({clip}, onset 1, offset 3\)")
    os.symlink(clip, tmp_path / "again")
    refused(["predict", str(model), str(clip), str(tmp_path / "again"), "--out", str(tmp_path / "p.csv")],
            r"INPUT .*again and INPUT .*clip are the same clip")
    rows.write_text("clip,onset,apex,offset\n,1,2,3\n")
    refused(["predict", str(model), "--clips", str(rows), "--out", str(tmp_path / "p.csv")],
            r"clips.csv row 2: the clip cell is empty")
    assert not (tmp_path / "p.csv").exists()


PRED_HEAD = "dataset,subject,clip,truth,pred\n"


@pytest.mark.parametrize("rows, pattern", [
    ("casme2,sub01,EP02_01f,0,0\ncasme2,sub01,ep02_01F,1,1\n",
     r"rows 2 and 3 are both clip ep02_01F of casme2/sub01 \(names compared ignoring letter case\)"),
    ("casme2,Sub01,a,0,0\ncasme2,sub01,A,1,1\n", r"rows 2 and 3 are both clip A"),
    ("casme2,sub01,a,0,0\nckplus,sub01,b,1,1\n", r"row 3 names dataset 'ckplus'; use one of casme2, samm, smic, "
                                                 r"casme3, mmew \(a row of another dataset would count in the full "
                                                 r"set"),
    ("casme2,samm/006,a,0,0\n", r"row 2: subject 'samm/006' names the corpus samm, but the row's dataset is casme2"),
    ("casme2,,a,0,0\n", r"row 2 has no subject; fill it or delete the row"),
    ("casme2,sub01,,0,0\n", r"row 2 has no clip"),
    ("", r"p.csv: has its header and no prediction row"),
])
def test_score_counts_each_clip_once_and_in_its_corpus(tmp_path, rows, pattern):
    path = tmp_path / "p.csv"
    path.write_text(PRED_HEAD + rows)
    refused(["score", "--predictions", str(path)], pattern)
    refused(["compare", str(path), str(path)], pattern)


def test_a_megc_log_and_a_label_table_compare_names_ignoring_case(tmp_path):
    log = tmp_path / "p.log"
    log.write_text("casme2 sub01\nEP02_01f 0 0\nep02_01F 1 1\n")
    refused(["score", "--megc-log", str(log)], r"p.log:3: clip ep02_01F of casme2/sub01 is already listed on line 2 "
                                                 r"\(names compared ignoring letter case\)")
    labels = tmp_path / "l.csv"
    labels.write_text("dataset,subject,clip,label\ncasme2,sub01,a,negative\ncasme2,SUB01,A,negative\n")
    refused(["evaluate", "--features", str(tmp_path / "f.csv"), "--labels", str(labels), "--out", str(tmp_path / "r")],
            r"l.csv: rows 2 and 3 are both clip A")


# ------------------------------------------------------------------------------------------ numbers

@pytest.mark.parametrize("argv, pattern", [
    (["spot", "x", "--fps", "nan", "--out", "o.csv"], r"argument --fps: nan must be a finite number"),
    (["spot", "x", "--fps", "inf", "--out", "o.csv"], r"argument --fps: inf must be a finite number"),
    (["spot", "x", "--fps", "-5", "--out", "o.csv"], r"argument --fps: -5 must be at least 5"),
    (["spot", "x", "--fps", "0", "--out", "o.csv"], r"argument --fps: 0 must be at least 5"),
    (["spot", "x", "--fps", "0.001", "--out", "o.csv"], r"argument --fps: 0.001 must be at least 5"),
    (["spot", "x", "--fps", "1e9", "--out", "o.csv"], r"argument --fps: 1e9 must be at most 10000"),
    (["spot", "x", "--fps", "30", "--crop", "5000", "--out", "o.csv"], r"--crop: 5000 must be at most 1024"),
    (["spot", "x", "--fps", "30", "--micro-s", "1e6", "--out", "o.csv"], r"--micro-s: 1e6 must be at most 5.0"),
    (["compare", "a", "b", "--boot", "100000000"], r"argument --boot: 100000000 must be at most 100000"),
    (["compare", "a", "b", "--seed", str(2 ** 40)], rf"argument --seed: {2 ** 40} must be at most 4294967295"),
    (["predict", "m", "x", "--device", "tpu", "--out", "o.csv"], r"argument --device: 'tpu' is not a device; use "
                                                                 r"auto, cpu, cuda or cuda:N"),
    (["train", "--device", "cpu,tpu", "--out", "m"], r"argument --device: 'cpu,tpu' is not a device"),
    (["prepare", "--jobs", "100000"], rf"argument --jobs: 100000 must be at most {JOBS_MAX}"),
    (["prepare", "--size", "100000"], r"argument --size: 100000 must be at most 1024"),
    (["prepare", "--half-window", "100000"], r"argument --half-window: 100000 must be at most 500"),
    (["train", "--epochs", "1e9", "--out", "m"], r"argument --epochs: '1e9' is not a whole number"),
    (["train", "--epochs", "1000000000", "--out", "m"], r"argument --epochs: 1000000000 must be at most 10000"),
    (["train", "--batch-size", "10000000", "--out", "m"], r"argument --batch-size: 10000000 must be at most 4096"),
    (["train", "--seed", str(2 ** 40), "--out", "m"], r"argument --seed: \d+ must be at most 4294967295"),
    (["reproduce", "--seeds", "1000000"], r"argument --seeds: 1000000 must be at most 100"),
    (["pretrain", "--peak-frames", "100000", "--out", "w"], r"argument --peak-frames: 100000 must be at most 100"),
    (["predict", "m", "x", "--onset", "1e30", "--out", "o.csv"], r"argument --onset: '1e30' is not a whole number"),
    (["predict", "m", "x", "--apex", str(10 ** 12), "--out", "o.csv"], r"argument --apex: \d+ must be at most 1000000000"),
    (["synth", "o", "--jobs", "0"], r"argument --jobs: 0 must be at least 1"),
])
def test_every_numeric_flag_is_bounded_at_parse_time(argv, pattern, capsys):
    parse_refused(argv, pattern, capsys)


def test_the_bounds_are_in_help(capsys):
    for cmd, needles in (("spot", ["5 to 10000", f"1 to {JOBS_MAX}"]), ("compare", ["100 to 100000"]),
                         ("predict", ["auto, cpu, cuda or cuda:N"]), ("train", ["range [1, 10000]"])):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert all(n in out for n in needles), (cmd, needles)


def test_a_scheduler_that_cannot_run_is_refused_before_any_work(tmp_path):
    for address, pattern in (("", r"--scheduler '': empty; give a scheduler's address"),
                             ("local:100000", rf"--scheduler local:100000: write local:N .*N from 1 to {JOBS_MAX}"),
                             ("local:0", r"--scheduler local:0: write local:N")):
        refused(["corpus", "--synthetic", str(tmp_path / "none"), "--scheduler", address, "--out",
                 str(tmp_path / "t.csv")], pattern)
    assert not (tmp_path / "none").exists()


def test_spot_blocks_must_fit_the_crop(tmp_path):
    clip = frames(tmp_path / "clip", 3)
    refused(["spot", str(clip), "--fps", "30", "--blocks", "64", "--crop", "128", "--out", str(tmp_path / "o.csv")],
            r"--blocks 64 with --crop 128: an LBP block must be at least 4 px, so use --blocks 32 or less")


# ------------------------------------------------------------------------------------------ spot and predict agree

def test_spot_says_the_face_fallback_as_predict_does(tmp_path, capsys):
    clip = frames(tmp_path / "wall", 14)
    main(["spot", str(clip), "--fps", "30", "--face", "haar", "--jobs", "1", "--out", str(tmp_path / "s.csv")])
    out = capsys.readouterr().out
    assert "no face found by haar on the first frame of 1 video(s); the fallback taken:" in out
    assert "input/wall: the centred square of the frame (no face found by any backend)" in out


def test_frames_of_two_sizes_are_left_out_by_spot_as_by_predict(model, tmp_path, capsys):
    clip = frames(tmp_path / "two", 14)
    cv2.imwrite(str(clip / "img007.png"), np.full((100, 100), 128, np.uint8))
    refused(["spot", str(clip), "--fps", "30", "--face", "haar", "--jobs", "1", "--out", str(tmp_path / "s.csv")],
            r"no video could be spotted; see the reasons listed above")
    out = capsys.readouterr().out
    assert "1 left out" in out and r"img007.png: (100, 100) differs from the first frame's (120, 160)" in out
    refused(["predict", str(model), str(clip), "--apex", "5", "--jobs", "1", "--cache", str(tmp_path / "c"),
             "--out", str(tmp_path / "p.csv")], r"no clip could be labelled; see the reasons listed above")
    assert "img007.png: (100, 100) differs from the reference frame's (120, 160)" in capsys.readouterr().out
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "p.csv").exists()


def test_a_clip_too_short_for_motion_is_left_out_by_both(model, tmp_path, capsys):
    one = frames(tmp_path / "one", 1)
    refused(["predict", str(model), str(one), "--jobs", "1", "--cache", str(tmp_path / "c"),
             "--out", str(tmp_path / "p.csv")], r"no clip could be labelled")
    out = capsys.readouterr().out
    assert "onset 1, apex 1, offset 1 hold no two consecutive frames near the apex (1 frame(s) in the clip), so there " \
           "is no motion for the atnet model to read" in out
    short = frames(tmp_path / "short", 3)
    refused(["spot", str(short), "--fps", "30", "--face", "haar", "--jobs", "1", "--out", str(tmp_path / "s.csv")],
            r"no video could be spotted")
    assert "3 frame(s), fewer than the 9 of one micro-expression interval at 30 fps, so nothing can be spotted" in \
           capsys.readouterr().out


# ------------------------------------------------------------------------------------------ messages

def test_upper_case_feature_suffixes_are_read_as_what_they_are(tmp_path):
    from atnet.evaluation import byo
    folder = tmp_path / "feats"
    folder.mkdir()
    np.save(folder / "casme2-sub01-a.npy", np.arange(3.0))
    os.replace(folder / "casme2-sub01-a.npy", folder / "casme2-sub01-a.NPY")
    table = pd.DataFrame({"dataset": ["casme2"], "subject": ["casme2/sub01"], "clip": ["a"], "label": ["negative"]})
    x, _, _ = byo.read_features(folder, table)
    assert x.tolist() == [[0.0, 1.0, 2.0]]
    (folder / "index.csv").write_text("dataset,subject,clip,file\ncasme2,sub01,a,\n")
    with pytest.raises(Exception, match=r"index.csv: row 2 has no file; fill it or delete the row"):
        byo.read_features(folder, table)


def test_a_video_with_an_absurd_frame_rate_names_it(tmp_path):
    from atnet.spotting.run import long_video
    path = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 2, (64, 64), False)
    for _ in range(3):
        w.write(np.zeros((64, 64), np.uint8))
    w.release()
    cap = cv2.VideoCapture(str(path))
    rate = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    if 5 <= rate <= 10000:
        pytest.skip(f"OpenCV wrote {rate} fps")
    with pytest.raises(Exception, match=r"v.avi: the video says its frame rate is .*, outside 5 to 10000; pass its true "
                                        r"rate with --fps"):
        long_video(path)
    assert long_video(path, 30).fps == 30
