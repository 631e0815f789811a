"""Spotting beyond the reference: variable-length intervals, blinks, MDMD's block difference, the
global motion removed, and the learned spotter trained and used on a tiny generated video."""
from __future__ import annotations

import numpy as np
import pytest

from atnet.app.cli import main
from atnet.core.errors import CorpusError
from atnet.data.datasets.synthetic_long import synthesize_long
from atnet.data.long import Interval
from atnet.data.prepare import PrepConfig
from atnet.features.spot_features import (
    block_flow_stats,
    eye_aspect_ratio,
    mdmd_blocks,
    remove_global_motion,
)
from atnet.spotting import learned, run
from atnet.spotting.intervals import blinks, eye_blocks, peak_intervals, run_intervals, without_blinks
from atnet.spotting.method import SpotConfig, contrast
from atnet.spotting.metric import iou, score


def test_a_90_frame_event_is_matched_only_with_variable_intervals():
    c = np.zeros(400)
    c[100:190] = 1.0 + 0.1 * np.sin(np.linspace(0, np.pi, 90))     # 90 frames above the threshold, a peak inside
    truth = Interval(100, 189, "macro")
    numbers = list(range(400))
    fixed = peak_intervals(c, 15, 0.5, "macro", numbers)
    grown = peak_intervals(c, 15, 0.5, "macro", numbers, variable=True)
    assert len(fixed) == 1 and fixed[0].length == 31 and iou(fixed[0], truth) < 0.5
    assert len(grown) == 1 and iou(grown[0], truth) >= 0.5 and (grown[0].onset, grown[0].offset) == (100, 189)
    assert score([([truth], grown)])["macro"]["tp"] == 1 and score([([truth], fixed)])["macro"]["tp"] == 0


def test_variable_intervals_keep_at_least_2k_plus_1_and_merge_overlaps():
    c = np.zeros(200)
    c[50], c[53], c[150] = 3.0, 2.0, 1.0        # two peaks 3 apart (one interval), a lone one
    out = peak_intervals(c, 5, 0.5, "micro", list(range(1000, 1200)), variable=True)
    assert [(q.onset, q.offset, q.apex) for q in out] == [(1045, 1055, 1050), (1145, 1155, 1150)]


def test_runs_close_short_gaps_and_drop_short_runs():
    s = np.array([0, .9, .9, 0, .9, .9, 0, 0, 0, .9, 0, 0])
    assert [(q.onset, q.offset) for q in run_intervals(s, 0.5, "micro", list(range(12)), gap=1)] == [(1, 5), (9, 9)]
    assert [(q.onset, q.offset) for q in run_intervals(s, 0.5, "micro", list(range(12)), gap=0, shortest=2)] == \
        [(1, 2), (4, 5)]


def eyes(h: float) -> np.ndarray:
    """68 landmarks whose eyes (36-47) have eye aspect ratio 2h / 3."""
    pts = np.zeros((68, 2))
    for s, x0 in ((36, 0.0), (42, 10.0)):
        pts[s:s + 6] = [(x0, 0), (x0 + 1, -h), (x0 + 2, -h), (x0 + 3, 0), (x0 + 2, h), (x0 + 1, h)]
    return pts


def test_blinks_are_found_on_a_landmark_track_and_their_proposals_dropped():
    fps, rng = 30.0, np.random.default_rng(0)
    track = [eyes(0.45 + rng.normal(0, 0.01)) for _ in range(300)]    # open eyes, EAR about 0.30
    for start in (40, 150):                                              # two blinks of 5 frames
        for i in range(start, start + 5):
            track[i] = eyes(0.05)
    for i in range(220, 280):                                            # eyes shut 2 s: not a blink
        track[i] = eyes(0.05)
    ear = np.array([eye_aspect_ratio(p) for p in track])
    assert abs(np.median(ear) - 0.30) < 0.01
    found = blinks(ear, fps)
    assert found == [(40, 44), (150, 154)]
    props = [Interval(38, 46, "micro"), Interval(100, 110, "micro"), Interval(148, 200, "macro")]
    assert without_blinks(props, found) == props[1:]          # the one mostly over a blink goes; a long one stays
    assert blinks(np.full(50, np.nan), fps) == []


def test_eye_blocks_cover_the_eyes_rows_only():
    pts = np.array([[30, 45], [35, 42], [40, 42], [45, 45], [40, 48], [35, 48],
                    [83, 45], [88, 42], [93, 42], [98, 45], [93, 48], [88, 48]], float)
    mask = eye_blocks(pts, 128, 6).reshape(6, 6)      # each eye's box grown by half its width: rows 1-2
    want = np.zeros((6, 6), bool)
    want[1:3, 1:5] = True
    np.testing.assert_array_equal(mask, want)


def test_mdmd_takes_the_main_direction_and_its_largest_magnitudes():
    f = np.zeros((60, 60, 2), np.float32)
    f[:10, :10, 0] = 2.0                      # block 0: every vector to the right, 2 px
    f[:5, :10, 0] = 4.0                       # ... half of them 4 px
    f[:10, 10:20, 1] = 1.0                    # block 1: down 1 px
    f[:2, 10:20, 0] = -3.0                    # a few larger vectors in another direction: not the main one
    d = mdmd_blocks(f, 6)
    assert d.shape == (36,) and d[0] == pytest.approx(4.0) and d[1] == pytest.approx(1.0) and d[2:].max() == 0


def test_global_motion_is_removed_and_a_local_movement_survives():
    h = w = 64
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.deg2rad(1.0)
    head = np.stack([1.5 + (np.cos(theta) - 1) * (xs - 32) - np.sin(theta) * (ys - 32),
                     -0.7 + np.sin(theta) * (xs - 32) + (np.cos(theta) - 1) * (ys - 32)], -1)
    local = np.zeros_like(head)
    local[40:50, 20:30, 1] = 1.0
    rest = remove_global_motion(head + local)
    assert np.abs(remove_global_motion(head)).max() < 0.01
    assert rest[40:50, 20:30, 1].mean() > 0.9 and np.abs(rest[:20]).max() < 0.1
    stats = block_flow_stats(rest, 4)
    assert stats.shape == (48,) and stats[16 + 2 * 4 + 1] > 0.2        # mean v of the block holding the movement


def test_every_spotter_setting_is_listed_and_a_wrong_one_refused():
    from atnet.spotting import method, spotters
    assert tuple(spotters.SPOTTERS) == method.SPOTTERS and spotters.SPOTTERS["flow-tcn"].learned
    with pytest.raises(CorpusError, match="--eyes shut: choose one of keep, mask, ear"):
        SpotConfig(eyes="shut")


def test_contrast_of_a_plateau_is_zero_inside():
    f = np.r_[np.zeros(20), np.ones(40), np.zeros(20)]
    c = contrast(f, 5)
    assert c[30:50].max() == 0 and c.max() > 0


@pytest.fixture(scope="module")
def tiny_long(tmp_path_factory):
    out = tmp_path_factory.mktemp("tinylong")
    return synthesize_long(out, subjects=2, videos=1, seconds={"samm-lv": 3.0, "casme-sq": 20.0}, micro=3, macro=1,
                           jobs=2)


def test_the_learned_spotter_trains_predicts_saves_and_spots(tiny_long, tmp_path):
    cfg = SpotConfig(spotter="flow-tcn", tcn_steps=150, tcn_hidden=16)
    prep = PrepConfig(face="haar")
    videos = run.load_long({"casme-sq": tiny_long["casme-sq"]}).videos
    kept, feats, failed = learned.all_features(videos, cfg, prep, jobs=1, cache=tmp_path / "cache", progress=False)
    assert not failed and len(kept) == 2
    x = feats[0]["x"]
    assert x.shape == (len(videos[0].numbers), 2 * 3 * 36) and np.isnan(x[0]).all() and np.isfinite(x[40:]).all()
    series = learned.training_series(kept, feats)
    fitted = learned.fit(series, cfg, [v.key for v in kept])
    p = learned.probabilities(fitted, series[0][0])
    y = series[0][1]
    assert p.shape == (len(y), 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    inside, outside = p[y > 0, 1:].sum(1).mean(), p[y == 0, 1:].sum(1).mean()
    assert inside > outside + 0.2           # it learned the annotated frames of the videos it saw
    path = tmp_path / "spotter.safetensors"
    learned.save(fitted, path)
    back = learned.load(path)
    np.testing.assert_allclose(learned.probabilities(back, series[0][0]), p, atol=1e-6)
    again = learned.video_features(videos[0], cfg, prep, tmp_path / "cache")      # from the cache
    np.testing.assert_array_equal(again["x"], x)
    r = run.spot_video(videos[0], cfg, prep, back)
    assert r["proposals"] and {q.kind for q in r["proposals"]} <= {"micro", "macro"}
    assert all(q.onset <= q.apex <= q.offset for q in r["proposals"])
    assert len(r["trace"]["micro"]["contrast"]) == len(videos[0].numbers)
    with pytest.raises(CorpusError, match="leave --auto-p out"):
        run.spot_thresholded(videos, cfg, prep, auto_p=True)


def test_spot_cli_trains_and_uses_a_spotter_file(tiny_long, tmp_path):
    model = tmp_path / "s.safetensors"
    main(["train", "--task", "spot", "--casme-sq", str(tiny_long["casme-sq"]), "--face", "haar", "--tcn-steps", "20",
          "--tcn-hidden", "8", "--jobs", "1", "--cache", str(tmp_path / "c"), "--out", str(model)])
    video = run.load_long({"casme-sq": tiny_long["casme-sq"]}).videos[0]
    out = tmp_path / "i.csv"
    main(["spot", str(video.frames[0].parent), "--fps", "30", "--spotter", str(model), "--face", "haar",
          "--jobs", "1", "--out", str(out)])
    assert out.read_text().startswith("dataset,subject,video,onset,apex,offset,kind,score,matched")
    with pytest.raises(SystemExit) as e:
        main(["spot", str(video.frames[0].parent), "--fps", "30", "--spotter", "flow-tcn", "--out", str(out)])
    assert "is learned: train one with `atnet train --task spot" in str(e.value.code)
    with pytest.raises(SystemExit) as e:
        main(["predict", str(model), str(video.frames[0].parent), "--out", str(tmp_path / "p.csv")])
    assert "a spotter file" in str(e.value.code)


def test_evaluate_task_spot_refuses_a_recognition_method(tiny_long, tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["evaluate", "--task", "spot", "--casme-sq", str(tiny_long["casme-sq"]), "--method", "atnet",
              "--out", str(tmp_path / "o")])
    assert "name spotters" in str(e.value.code)
