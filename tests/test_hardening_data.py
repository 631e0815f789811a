"""Bad input of the data layer (issue #30): apex-table flows and images, spotter-file headers, long
videos' annotations and frame holes. Each case builds its own tiny input and checks what the user
sees: a row or video left out with a reason naming it, or one refusal naming the file."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pandas as pd
import pytest
from skimage import data as skdata

from atnet.core.errors import CorpusError
from atnet.data.prepare import PrepConfig, read_apex_table
from atnet.evaluation.byo import read_predictions

KEYS = ["dataset", "subject", "clip", "label"]


def table(folder, rows, column="flow"):
    path = folder / "t.csv"
    pd.DataFrame(rows, columns=KEYS + [column]).to_csv(path, index=False)
    return path


def reasons(excluded) -> dict:
    return {e.clip: e.reason for e in excluded}


def flow_png(path, depth=np.uint8, side=28, seed=0):
    top = np.iinfo(depth).max
    img = np.random.default_rng(seed).integers(0, top + 1, (side, side, 3), dtype=np.int64).astype(depth)
    cv2.imwrite(str(path), img)
    return img


# ------------------------------------------------------------------------------ apex-table flows

def test_16_bit_flow_images_read_at_0_255_alone_or_beside_8_bit_ones(tmp_path):
    flow8 = flow_png(tmp_path / "a8.png", np.uint8)
    cv2.imwrite(str(tmp_path / "a16.png"), flow8.astype(np.uint16) * 257)   # the same flow, 16-bit
    flow_png(tmp_path / "b16.png", np.uint16, seed=1)
    path = table(tmp_path, [("casme2", "sub01", "c8", "negative", "a8.png"),
                            ("casme2", "sub01", "c16", "negative", "a16.png"),
                            ("casme2", "sub02", "d16", "positive", "b16.png")])
    arrays, excluded = read_apex_table(path, PrepConfig())
    assert not excluded and arrays.flow.shape == (3, 28, 28, 3)
    np.testing.assert_allclose(arrays.flow[1], arrays.flow[0], atol=1e-3)    # one flow, either depth
    assert 200 < arrays.flow[2].max() <= 255.0 and arrays.flow.min() >= 0


def test_tiny_huge_npz_complex_and_textual_flows_are_left_out_naming_the_row(tmp_path):
    np.save(tmp_path / "one.npy", np.ones((1, 1, 3), np.float32))
    flow_png(tmp_path / "one.png", side=1)
    with open(tmp_path / "zip.npy", "wb") as f:
        np.savez(f, flow=np.zeros((28, 28, 3)))                                # an .npz under a .npy name
    np.save(tmp_path / "complex.npy", np.ones((28, 28, 2), np.complex64) * 1j)
    np.save(tmp_path / "text.npy", np.full((28, 28, 3), "a"))
    np.save(tmp_path / "bool.npy", np.ones((28, 28, 3), bool))
    np.save(tmp_path / "ok.npy", np.ones((28, 28, 3), np.float32))
    # a sparse 8000 x 8000 x 3 float64 file (1.5 GB declared, a few kB on disk): refused from its header
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1, 1)))
    with open(tmp_path / "huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {**header, "shape": (8000, 8000, 3)})
        f.truncate(f.tell() + 8000 * 8000 * 3 * 8)
    names = ["one.npy", "one.png", "zip.npy", "complex.npy", "text.npy", "bool.npy", "huge.npy", "ok.npy"]
    path = table(tmp_path, [("smic", "s01", n.replace(".", "_"), "negative", n) for n in names])
    arrays, excluded = read_apex_table(path, PrepConfig())
    assert list(arrays.table["clip"]) == ["ok_npy"]
    why = reasons(excluded)
    assert len(why) == 7 and all(f"{path} row {names.index(c.split('/')[1].replace('_', '.')) + 2}: its flow " in r
                                 for c, r in why.items())
    assert "is a flow of 1 x 1 px; a flow is read at 8 to 4096 px a side" in why["s01/one_npy"]
    assert "is a flow image of 1 x 1 px" in why["s01/one_png"]
    assert "is an .npz archive, not a .npy array" in why["s01/zip_npy"]
    assert "(complex64); a flow is H x W x 2 (u, v) or H x W x 3 (u, v, strain) real numbers" in why["s01/complex_npy"]
    assert "(<U1)" in why["s01/text_npy"] and "(bool)" in why["s01/bool_npy"]
    assert "is a flow of 8000 x 8000 px" in why["s01/huge_npy"]


def test_a_grey_and_alpha_flow_png_or_a_folder_is_left_out_naming_it(tmp_path):
    grey = np.random.default_rng(0).integers(0, 65536, (28, 28), dtype=np.int64).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "rgba.png"), np.dstack([grey] * 4))                       # RGBA: alpha dropped, read
    from PIL import Image
    Image.fromarray(np.dstack([grey >> 8] * 2).astype(np.uint8), "LA").save(tmp_path / "ga.png")   # grey + alpha
    (tmp_path / "dir.npy").mkdir()
    path = table(tmp_path, [("smic", "s01", n.replace(".", "_"), "negative", n) for n in ("rgba.png", "ga.png",
                                                                                          "dir.npy")])
    arrays, excluded = read_apex_table(path, PrepConfig())
    assert list(arrays.table["clip"]) == ["rgba_png"]
    why = reasons(excluded)
    assert "ga.png is an image of (28, 28) grey and alpha; a flow image has three channels" in why["s01/ga_png"]
    assert "dir.npy is a folder, not a flow file" in why["s01/dir_npy"]


def test_a_table_through_a_symbolic_link_reads_the_flows_beside_the_real_file(tmp_path):
    real = tmp_path / "corpus"
    real.mkdir()
    np.save(real / "f.npy", np.ones((28, 28, 3), np.float32))
    path = table(real, [("casme2", "sub01", "c0", "negative", "f.npy")])
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "flows.csv"
    os.symlink(path, link)
    arrays, excluded = read_apex_table(link, PrepConfig())
    assert not excluded and list(arrays.table["clip"]) == ["c0"]


def test_rows_atnet_score_would_refuse_are_left_out_at_read_time_naming_both_rows(tmp_path):
    np.save(tmp_path / "f.npy", np.ones((28, 28, 3), np.float32))
    path = table(tmp_path, [("casme2", "sub01", "EP02_01f", "negative", "f.npy"),
                            ("casme2", "sub01", "ep02_01F", "positive", "f.npy"),      # the same clip
                            ("casme2", "casme2/SUB01", "EP02_01F", "positive", "f.npy"),   # again, qualified
                            ("casme2", "samm/006", "EP03_02", "surprise", "f.npy"),     # another corpus
                            ("samm", "006", "006_1_2", "surprise", "f.npy")])
    arrays, excluded = read_apex_table(path, PrepConfig())
    assert list(arrays.table["clip"]) == ["EP02_01f", "006_1_2"]
    why = reasons(excluded)
    assert why["sub01/ep02_01F"] == (f"{path} row 3 repeats row 2 (the same dataset, subject and clip, names "
                                     f"compared ignoring letter case), which is kept; delete one")
    assert "row 4 repeats row 2" in why["casme2/SUB01/EP02_01F"]
    assert why["samm/006/EP03_02"] == (f"{path} row 5: subject 'samm/006' names the corpus samm, but the row's "
                                       f"dataset is casme2; fix one of the two")
    # what is kept, `atnet score` takes: the run's own predictions are not refused
    preds = arrays.table.assign(truth=arrays.y, pred=arrays.y)
    preds.to_csv(tmp_path / "p.csv", index=False)
    assert len(read_predictions(tmp_path / "p.csv")) == 2


def test_apex_images_tiny_16_bit_or_unreadable_get_the_flows_checks(tmp_path):
    gray = cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY)
    cv2.imwrite(str(tmp_path / "face8.png"), gray)
    cv2.imwrite(str(tmp_path / "face16.png"), gray.astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / "tiny.png"), gray[:1, :1])
    (tmp_path / "cut.png").write_bytes((tmp_path / "face8.png").read_bytes()[:500])
    path = table(tmp_path, [("casme2", "sub01", "c8", "negative", "face8.png"),
                            ("casme2", "sub01", "c16", "negative", "face16.png"),
                            ("casme2", "sub01", "tiny", "negative", "tiny.png"),
                            ("casme2", "sub01", "cut", "negative", "cut.png")], column="image")
    arrays, excluded = read_apex_table(path, PrepConfig(face="haar", size=64))
    assert list(arrays.table["clip"]) == ["c8", "c16"]
    np.testing.assert_allclose(arrays.apex[1].astype(float), arrays.apex[0].astype(float), atol=1)   # 0-255 both
    why = reasons(excluded)
    assert why["sub01/tiny"].startswith(f"{path} row 4: its image {tmp_path / 'tiny.png'}: an image of 1 x 1 px; an "
                                        f"apex image is at least 32 px a side")
    assert why["sub01/cut"].startswith(f"{path} row 5: its image {tmp_path / 'cut.png'}: the PNG data is truncated")


# ------------------------------------------------------------------------------ spotter files

def spotter_file(tmp_path, **change):
    """A saved flow-tcn spotter (an untrained network: its header and shapes are what is read),
    then its header rewritten with `change` (a key of None removed; "spot.X" a setting)."""
    import json

    from safetensors.torch import load_file, save_file

    from atnet.spotting import learned
    from atnet.spotting.method import SpotConfig
    cfg = SpotConfig(spotter="flow-tcn", tcn_hidden=8)
    path = tmp_path / "s.safetensors"
    learned.save(learned.Fitted(learned.network(216, 8), cfg, 216, ["samm-lv/006_1"]), path)
    if change:
        from safetensors import safe_open
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()[learned.FORMAT])
        for key, value in change.items():
            where, name = (meta["spot"], key[5:]) if key.startswith("spot.") else (meta, key)
            if value is None:
                where.pop(name)
            else:
                where[name] = value
        save_file(load_file(str(path)), str(path), metadata={learned.FORMAT: json.dumps(meta)})
    return path


def test_a_spotter_header_is_checked_against_its_tensors_before_anything_is_built(tmp_path, monkeypatch):
    from atnet.spotting import learned
    assert learned.load(spotter_file(tmp_path)).d == 216
    built = []
    real = learned.network
    import torch

    def network(d, h):   # what is built with storage (not on torch's meta device)
        if torch.empty(0).device.type != "meta":
            built.append((d, h))
        return real(d, h)
    monkeypatch.setattr(learned, "network", network)

    def refused(**change):
        with pytest.raises(CorpusError) as e:
            learned.load(spotter_file(tmp_path, **change))
        return str(e.value)
    path = tmp_path / "s.safetensors"
    assert refused(d=10 ** 7) == (f"{path}: header field d is 10000000, and its settings (spot.blocks 6, "
                                  f"spot.tcn_lags 0.2,1.0) make 216 features per frame; {learned.DAMAGED}.")
    assert refused(**{"spot.tcn_hidden": 10 ** 7}) == (f"{path}: header field spot.tcn_hidden is 10000000, not at "
                                                      f"most 1024; {learned.DAMAGED}.")
    assert "spot.tcn_hidden is '8', not a whole number" in refused(**{"spot.tcn_hidden": "8"})
    assert "header field spot.blocks is 64" not in refused(**{"spot.blocks": 64})   # 64 px crop: refused together
    assert "--blocks 64 with --crop 128" in refused(**{"spot.blocks": 64})
    assert "header field trained_on is missing" in refused(trained_on=None)
    assert "header field version is 99, not at most 1" in refused(version=99)
    # settings that pass each check but declare another network than the weights hold: no network built
    msg = refused(d=3 * 6 ** 2 * 200, **{"spot.tcn_lags": ",".join(["0.5"] * 200)})
    assert msg.startswith(f"{path}: its weights do not fit a flow-tcn spotter of its header's settings (inp.weight "
                          f"has shape (8, 216, 1), the network (8, 21600, 1))"), msg
    assert "inp.weight has shape (8, 216, 1), the network (1024, 216, 1)" in refused(**{"spot.tcn_hidden": 1024})
    assert all(d == 216 and h == 8 for d, h in built)   # only the file's own network was ever allocated


# ------------------------------------------------------------------------------ long videos

SAMM_HEAD = ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
             "Action Units", "Notes"]


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_samm_lv_rows_that_make_no_interval_are_left_out_and_changes_said(tmp_path):
    from atnet.data.datasets import samm_lv
    rows = [SAMM_HEAD,
            ["006", "006_1_1", "1", "10", "20", "30", "", "Micro - 1/2", "", ""],     # fine
            ["006", "006_1_2", "1", "0", "-1", "0", "", "Macro", "", ""],             # 0, 0: no interval
            ["006", "006_1_3", "1", "-5", "20", "30", "", "Macro", "", ""],           # negative onset
            ["006", "006_1_4", "1", "50", "60", "40", "", "Macro", "", ""],           # offset before onset
            ["006", "006_1_5", "1", "0", "70", "0", "", "Macro", "", ""],             # offset not annotated
            ["006", "006_1_6", "1", "80", "95", "90", "", "Micro - 1/2", "", ""],     # apex outside
            ["006", "006_1_7", "1", "0", "-1", "-1", "", "Macro", "", ""]]            # -1 offset, no apex
    pd.DataFrame(rows).to_csv(tmp_path / "SAMM_LongVideos_V2_Release.csv", header=False, index=False)
    for n in (1, 100):
        touch(tmp_path / "SAMM_longvideos" / "006_1" / f"006_1_{n:04d}.jpg")
    corpus = samm_lv.load(tmp_path)
    truth = [(t.onset, t.apex, t.offset) for t in corpus.videos[0].truth]
    assert truth == [(10, 20, 30), (1, 70, 70), (80, None, 90)]
    assert all(t.onset <= t.offset for v in corpus.videos for t in v.truth)
    sheet = "SAMM_LongVideos_V2_Release.csv"
    assert [(e.clip, e.reason) for e in corpus.excluded] == [
        ("006_1_2", f"{sheet} row 3: offset 0 and the apex are not annotated, so the row makes no interval; fix "
                    f"the row"),
        ("006_1_3", f"{sheet} row 4: onset -5 is not a frame number (0 is the first frame); fix the row to use it"),
        ("006_1_4", f"{sheet} row 5: offset 40 is before onset 50; fix the row to use it"),
        ("006_1_7", f"{sheet} row 8: offset -1 and the apex are not annotated, so the row makes no interval; fix "
                    f"the row")]
    assert corpus.notes == [f"samm-lv 006_1_5: {sheet} row 6: offset 0 is not annotated: the apex 70 ends the interval",
                            f"samm-lv 006_1_6: {sheet} row 7: apex 95 lies outside onset 80 to offset 90: taken as "
                            f"not annotated"]


def test_casme_sq_rows_that_make_no_interval_are_left_out(tmp_path):
    from openpyxl import Workbook

    from atnet.data.datasets import casme_sq
    wb = Workbook()
    codes = wb.active
    for r in [[1, "anger1_1", 10, 20, 30], [1, "anger1_2", 0, 0, 0], [1, "anger1_3", -3, 20, 30],
              [1, "anger1_4", 50, 60, 40], [1, "anger1_5", 40, 45, 0], [1, "anger1_6", 50, 70, 60]]:
        codes.append(r + ["4", "negative", "micro-expression", ""])
    wb.create_sheet().append([15, "s15", 1])
    wb.create_sheet().append(["0401", "anger1"])
    wb.save(tmp_path / "CAS(ME)^2code_final.xlsx")
    for n in (1, 100):
        touch(tmp_path / "rawpic" / "s15" / "15_0401girlcrashing" / f"img{n:03d}.jpg")
    corpus = casme_sq.load(tmp_path)
    assert [(t.onset, t.apex, t.offset) for t in corpus.videos[0].truth] == [(10, 20, 30), (40, 45, 45), (50, None, 60)]
    assert [e.reason.split(": ", 1)[1] for e in corpus.excluded] == [
        "offset 0 and the apex are not annotated, so the row makes no interval; fix the row",
        "onset -3 is not a frame number (0 is the first frame); fix the row to use it",
        "offset 40 is before onset 50; fix the row to use it"]
    assert len(corpus.notes) == 2 and "row 6: apex 70 lies outside onset 50 to offset 60" in corpus.notes[1]


def frame_folder(folder, numbers, size=64):
    folder.mkdir(parents=True, exist_ok=True)
    face = cv2.resize(cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY), (size, size))
    for n in numbers:
        cv2.imwrite(str(folder / f"f{n:05d}.png"), face)


@pytest.mark.parametrize("spotter", ["lbp", "mdmd", "flow-tcn"])
def test_every_spotter_leaves_out_a_one_frame_video_and_one_with_a_long_hole_alike(tmp_path, spotter):
    from atnet.spotting import LongVideo, learned, run
    from atnet.spotting.frames import long_video
    from atnet.spotting.method import SpotConfig
    frame_folder(tmp_path / "one", [1])
    frame_folder(tmp_path / "hole", [*range(1, 41), *range(242, 282)])      # frames 41-241 missing
    videos = [long_video(tmp_path / name, 30) for name in ("one", "hole")]
    videos = [LongVideo(v.dataset, f"input/s{i}", v.video, v.fps, v.frames, v.numbers) for i, v in enumerate(videos)]
    cfg, prep = SpotConfig(spotter=spotter, tcn_steps=1, tcn_hidden=4), PrepConfig(face="haar")
    if spotter == learned.NAME:
        kept, _, failed = learned.all_features(videos, cfg, prep, progress=False)
        assert not kept
    else:
        results, failed = run.spot_all(videos, cfg, prep, progress=False)
        assert not results
    assert [(e.clip, e.reason) for e in failed] == [
        ("one", "spotting: 1 frame(s), fewer than the 9 of one micro-expression interval at 30 fps, so nothing can "
                "be spotted; give a longer video."),
        ("hole", "spotting: frames 41-241 are missing (201 frames, 6.70 s at 30 fps; 1 such hole(s)), more than the "
                 "3 a video may skip, so the frames either side would be taken for consecutive ones; restore the "
                 "frames, or give the parts either side as two videos.")]


def test_a_dropped_frame_or_two_is_spotted_and_said(tmp_path):
    from atnet.spotting import LongCorpus, run
    from atnet.spotting.frames import check_spottable, long_video
    from atnet.spotting.method import SpotConfig
    frame_folder(tmp_path / "v", [*range(1, 20), *range(22, 40)])           # frames 20 and 21 dropped
    video = long_video(tmp_path / "v", 30)
    check_spottable(video, SpotConfig())                                    # not refused
    assert run.notes_of(LongCorpus([video])) == [
        "input/v: 2 frame(s) missing in 1 hole(s) of at most 3 (the first: frames 20-21); spotted, the frames either "
        "side taken as consecutive"]
    r = run.spot_video(video, SpotConfig(), PrepConfig(face="haar"))
    assert len(r["numbers"]) == 37


def test_atnet_spot_says_a_video_spotted_despite_a_short_hole(tmp_path, capsys):
    from atnet.app.cli import main
    frame_folder(tmp_path / "v", [*range(1, 20), *range(22, 40)])           # frames 20 and 21 dropped
    frame_folder(tmp_path / "w", [*range(1, 20), *range(24, 40)])           # 20-23: over the limit, left out
    main(["spot", str(tmp_path / "v"), str(tmp_path / "w"), "--fps", "30", "--face", "haar", "--jobs", "1", "--out",
          str(tmp_path / "s.csv")])
    out = capsys.readouterr().out
    assert ("1 used with a change (annotation rows, videos with short holes), each said:\n  input/v: 2 frame(s) "
            "missing in 1 hole(s) of at most 3 (the first: frames 20-21); spotted, the frames either side taken as "
            "consecutive\n") in out
    assert "input w: spotting: frames 20-23 are missing" in out and "input/w: " not in out
