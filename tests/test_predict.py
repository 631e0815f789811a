"""`atnet train`, model files, `atnet info`, `atnet predict` and apex spotting."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from atnet.app import api
from atnet.app.cli import main
from atnet.data.datasets import CorpusError, load_corpora, synthetic
from atnet.data.prepare import PrepConfig
from atnet.features.apex_spot import spot_apex
from atnet.methods.modelfile import read_meta, save_model
from atnet.training import TrainConfig

PREP = PrepConfig(size=64, face="haar")
TRAIN = TrainConfig(epochs=3, image_size=32, hidden=16, batch_size=8)


def lossless_video(frames, path: Path) -> Path:
    """The frames written losslessly (FFV1) into a video."""
    first = cv2.imread(frames[0], cv2.IMREAD_GRAYSCALE)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 25, first.shape[::-1], False)
    for f in frames:
        w.write(cv2.imread(f, cv2.IMREAD_GRAYSCALE))
    w.release()
    return path


@pytest.fixture(scope="module")
def trained(tiny_corpus, tmp_path_factory):
    """A fusion model trained on the tiny corpus but casme2/sub01, saved; and the held-out clips."""
    folder = tmp_path_factory.mktemp("model")
    samples = load_corpora(synthetic.roots(tiny_corpus)).samples
    held = [s for s in samples if s.subject == "casme2/sub01"]
    model, left = api.train([s for s in samples if s.subject != "casme2/sub01"], "atnet", PREP, TRAIN,
                            folder / "cache", jobs=1, progress=False)
    assert not left
    path = model.save(folder / "m.safetensors")
    return model, path, held, folder


def test_a_saved_model_loads_in_a_fresh_process_and_predicts_the_same(trained, tiny_corpus):
    model, path, held, folder = trained
    table, left = model.predict(held, folder / "cache", progress=False)
    assert not left and len(table) == len(held) == 3
    assert (table["apex_source"] == "given").all() and (table["truth"] == [s.label for s in held]).all()
    script = ("import sys; from atnet.app import api; from atnet.data.datasets import load_corpora, synthetic\n"
              "m = api.load_model(sys.argv[1])\n"
              "s = [s for s in load_corpora(synthetic.roots(sys.argv[2])).samples if s.subject == 'casme2/sub01']\n"
              "t, _ = m.predict(s, sys.argv[3], progress=False)\n"
              "t.to_csv(sys.argv[4], index=False)\n")
    out = folder / "fresh.csv"
    run = subprocess.run([sys.executable, "-c", script, str(path), str(tiny_corpus),
                          str(folder / "cache"), str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(pd.io.common.StringIO(table.to_csv(index=False))))


def test_info_prints_the_metadata(trained, capsys):
    model, path, _, _ = trained
    main(["info", str(path)])
    out = capsys.readouterr().out
    assert "method atnet, classes negative, positive, surprise" in out
    assert "trained on 15 clips of 5 subjects" in out
    assert '"size": 64' in out and '"epochs": 3' in out
    meta = read_meta(path)
    assert meta["corpus"]["counts"]["casme2"] == {"negative": 2, "positive": 0, "surprise": 1}   # sub01 held out
    assert meta["prep"]["face"] == "haar" and meta["train"]["hidden"] == 16


def test_a_frame_folder_and_the_same_frames_in_a_lossless_video_get_identical_rows(trained, tmp_path):
    model, path, held, folder = trained
    s = held[0]
    video = lossless_video(s.frames, tmp_path / "clip.avi")
    base = s.frame_numbers[0]
    k = s.frame_numbers.index
    out = {}
    for name, item, on, off in (("folder", Path(s.frames[0]).parent, s.onset, s.offset),
                                ("video", video, k(s.onset), k(s.offset))):
        main(["predict", str(path), str(item), "--onset", str(on), "--offset", str(off), "--cache",
              str(folder / "cache"), "--jobs", "1", "--device", "cpu", "--out", str(tmp_path / f"{name}.csv")])
        out[name] = pd.read_csv(tmp_path / f"{name}.csv")
    a, b = out["folder"], out["video"]
    assert (a["apex_source"] == "spotted").all() and (b["apex_source"] == "spotted").all()
    for col in ("onset", "apex", "offset"):
        assert int(a[col][0]) - base == int(b[col][0]), col
    cols = ["label", "face", "p_negative", "p_positive", "p_surprise"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_predict_on_corpus_roots_labels_the_held_out_subject(trained, tiny_corpus, tmp_path, capsys):
    _, path, held, folder = trained
    main(["predict", str(path), "--synthetic", str(tiny_corpus), "--subjects", "casme2/sub01", "--cache",
          str(folder / "cache"), "--jobs", "1", "--out", str(tmp_path / "p.csv")])
    t = pd.read_csv(tmp_path / "p.csv")
    assert sorted(t["clip"]) == sorted(s.clip for s in held)
    assert list(t.columns[:11]) == ["input", "dataset", "subject", "clip", "onset", "apex", "offset", "apex_source",
                                    "face", "truth", "label"]
    assert np.allclose(t[["p_negative", "p_positive", "p_surprise"]].sum(axis=1), 1, atol=1e-5)
    assert "where the corpus gives the label: acc" in capsys.readouterr().out


def test_bad_model_files_are_one_sentence(trained, tmp_path):
    model, path, _, _ = trained
    raw = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "noise.safetensors").write_bytes(b"\x00" * 64)
    cases = {"cut.safetensors": r"cut.safetensors: .*cannot be read|not a readable model file",
             "noise.safetensors": r"noise.safetensors: not a readable model file",
             "missing.safetensors": r"missing.safetensors: not found"}
    for name, pattern in cases.items():
        with pytest.raises(CorpusError, match=pattern) as e:
            api.load_model(tmp_path / name)
        assert "\n" not in str(e.value)
    meta = dict(model.meta, format=99)
    save_model(tmp_path / "future.safetensors", model.net, meta)
    with pytest.raises(CorpusError, match=r"future.safetensors: model file format 99 .* reads format 1"):
        api.load_model(tmp_path / "future.safetensors")
    save_model(tmp_path / "other.safetensors", model.net, dict(model.meta, method="temporal"))
    with pytest.raises(CorpusError, match=r"other.safetensors: its weights do not fit a temporal network"):
        api.load_model(tmp_path / "other.safetensors")
    with pytest.raises(SystemExit, match="error: .*missing.safetensors: not found"):
        main(["info", str(tmp_path / "missing.safetensors")])


def test_predict_refuses_onset_outside_the_clip_and_a_clip_without_frames(trained, tmp_path):
    _, path, held, _ = trained
    folder = Path(held[0].frames[0]).parent
    with pytest.raises(SystemExit, match=r"onset 1, apex 1, offset .* must be in order within the frames"):
        main(["predict", str(path), str(folder), "--onset", "1", "--apex", "1", "--out", str(tmp_path / "p.csv")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match=r"empty: no image files in the folder"):
        main(["predict", str(path), str(tmp_path / "empty"), "--out", str(tmp_path / "p.csv")])


def test_the_spotted_apex_is_the_frame_that_moved_most(astronaut_face):
    frames, numbers = [], list(range(40, 61))
    for k in range(21):
        shift = 2.5 * np.exp(-((k - 13) / 3.0) ** 2)         # a smooth rise and fall peaking at frame 53
        M = np.float32([[1, 0, 0], [0, 1 + 0.02 * shift, -shift]])
        frames.append(cv2.warpAffine(astronaut_face, M, astronaut_face.shape[::-1], borderMode=cv2.BORDER_REFLECT))
    assert abs(spot_apex(frames, numbers, "flow") - 53) <= 1
    assert abs(spot_apex(frames, numbers, "lbp") - 53) <= 3


def test_spot_apex_prints_the_error_table(tiny_corpus, tmp_path, capsys):
    main(["spot-apex", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path), "--face", "haar", "--jobs", "1",
          "--out", str(tmp_path / "spot.csv")])
    out = capsys.readouterr().out
    assert "| method | corpus | clips | MAE (frames) | within ±5 | within ±10 |" in out
    t = pd.read_csv(tmp_path / "spot.csv")
    assert set(t["method"]) == {"lbp", "flow", "middle"} and set(t["corpus"]) == {"casme2", "samm", "all"}
    assert (t.loc[t["corpus"] == "all", "clips"] == 12).all()
    assert ((t["within_5"] <= t["within_10"]) & (t["mae_frames"] >= 0)).all()
    assert "SMIC is not in the table: it has no annotated apex." in out


@pytest.fixture
def astronaut_face():
    from skimage import data
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray[20:230, 140:330], (128, 128), interpolation=cv2.INTER_AREA)


def test_a_clip_without_a_face_is_labelled_with_the_fallback_said(trained, tmp_path, capsys):
    _, path, _, folder = trained
    clip = tmp_path / "wall"
    clip.mkdir()
    rng = np.random.default_rng(0)
    for i in range(1, 11):   # a textured wall: no face anywhere
        cv2.imwrite(str(clip / f"img{i}.png"), rng.integers(100, 140, (240, 320), dtype=np.uint8))
    main(["predict", str(path), str(clip), "--apex", "5", "--cache", str(folder / "cache"), "--jobs", "1",
          "--out", str(tmp_path / "p.csv")])
    out = capsys.readouterr().out
    assert "no face found by haar on the apex frame of 1 clip(s); the fallback taken:" in out
    assert f"{clip}: the centred square of the frame (no face found by any backend)" in out
    row = pd.read_csv(tmp_path / "p.csv").iloc[0]
    assert row["face"] == "centre-square" and row["apex"] == 5 and row["apex_source"] == "given"


def test_a_short_video_is_labelled_and_an_offset_past_its_end_is_one_sentence(trained, tmp_path):
    _, path, held, folder = trained
    s = held[0]
    video = lossless_video(s.frames[:12], tmp_path / "short.avi")   # 12 frames: far fewer than the window's 65
    main(["predict", str(path), str(video), "--apex", "6", "--cache", str(folder / "cache"), "--jobs", "1",
          "--out", str(tmp_path / "p.csv")])
    row = pd.read_csv(tmp_path / "p.csv").iloc[0]
    assert (row["onset"], row["apex"], row["offset"]) == (0, 6, 11) and row["label"] in ("negative", "positive",
                                                                                          "surprise")
    with pytest.raises(SystemExit, match=r"short.avi: onset 0, apex 6, offset 40 must be in order within the "
                                         r"video's frames 0..11"):
        main(["predict", str(path), str(video), "--apex", "6", "--offset", "40", "--out", str(tmp_path / "p.csv")])
