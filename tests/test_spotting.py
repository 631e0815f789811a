"""Spotting in long videos: the feature-difference method on made-up streams, the histograms against
scikit-image, and `atnet spot` / `atnet evaluate --task spot` on tiny synthetic long videos."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from skimage.feature import local_binary_pattern

from atnet.app.cli import main
from atnet.data.datasets import casme_sq, samm_lv
from atnet.data.datasets.synthetic_long import synthesize_long
from atnet.features.apex_spot import lbp_histograms
from atnet.spotting import LongVideo, run
from atnet.spotting.intervals import peaks
from atnet.spotting.method import Differences, SpotConfig, contrast, spot_histograms, threshold


def test_histograms_equal_scikit_images_lbp_block_by_block():
    rng = np.random.default_rng(0)
    face = rng.integers(0, 255, (131, 97)).astype(np.uint8)
    codes = local_binary_pattern(face, 8, 1, method="nri_uniform").astype(int)
    ys, xs = np.linspace(0, 131, 7).round().astype(int), np.linspace(0, 97, 7).round().astype(int)
    want = np.stack([np.bincount(codes[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].ravel(), minlength=59)
                     for i in range(6) for j in range(6)]).astype(float)
    np.testing.assert_array_equal(lbp_histograms(face), want / want.sum(1, keepdims=True))


def stream(n: int, events: dict, cut_at: int | None = None, seed: int = 0):
    """Histograms of n frames: a fixed face with noise; `events` {frame: (length, strength)} move
    mass between bins for a while; from `cut_at` on, the crop (and so every histogram) changes."""
    rng = np.random.default_rng(seed)
    base = rng.dirichlet(np.ones(59), 36)
    other = rng.dirichlet(np.ones(59), 36)
    for i in range(n):
        h = base if cut_at is None or i < cut_at else other
        h = h + rng.uniform(0, 0.002, h.shape)
        for start, (length, strength) in events.items():
            if start <= i < start + length:
                h = h.copy()
                h[:12, :5] += strength
        yield h / h.sum(1, keepdims=True), i == cut_at


def test_a_short_change_is_spotted_once_at_the_micro_scale():
    cfg = SpotConfig(micro_s=0.1, macro_s=0.5, p=0.5)
    proposals, trace = spot_histograms(stream(600, {300: (6, 0.2)}), list(range(1, 601)), 50.0, cfg)
    micro = [q for q in proposals if q.kind == "micro"]
    assert len(micro) == 1 and abs(micro[0].apex - 303) <= 5
    assert micro[0].onset == micro[0].apex - 5 and micro[0].offset == micro[0].apex + 5   # k = 0.1 s x 50 fps
    assert trace["micro"]["k"] == 5 and trace["macro"]["k"] == 25
    assert trace["micro"]["contrast"][:10].sum() == 0        # no frame k away: nothing computed


def test_a_change_of_crop_is_not_taken_for_movement():
    cfg = SpotConfig(micro_s=0.1, macro_s=0.5, p=0.5)
    cut, cut_trace = spot_histograms(stream(600, {}, cut_at=300), list(range(600)), 50.0, cfg)
    stepped = [(h, False) for h, _ in stream(600, {}, cut_at=300)]       # the same step, not flagged as a re-crop
    seen, seen_trace = spot_histograms(iter(stepped), list(range(600)), 50.0, cfg)
    near = slice(270, 331)
    for kind in ("micro", "macro"):
        assert seen_trace[kind]["contrast"][near].max() > 5 * cut_trace[kind]["contrast"][near].max()
    assert any(abs(q.apex - 300) <= 10 for q in seen)
    assert not any(290 <= q.apex < 310 for q in cut)       # no contrast where a difference spans the re-crop


def test_memory_holds_a_window_not_the_video():
    d = Differences(k=4, top=1 / 3)
    for h, cut in stream(500, {}):
        d.push(h, cut)
    assert len(d.window) == 9 and len(d.values) == 500 - 8
    assert np.isnan(d.result(500)[:4]).all() and np.isnan(d.result(500)[-4:]).all()


def test_peaks_are_kept_strongest_first_and_apart():
    c = np.array([0, 1, 0, 3, 0, 0, 0, 2, 0, 0.0])
    assert peaks(c, 0.5, 3) == [3, 7]
    assert peaks(c, 0.5, 1) == [1, 3, 7]
    assert contrast(np.array([np.nan, 1, 5, 1, np.nan]), 1).tolist() == [0, 0, 4, 0, 0]


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("long")
    roots = synthesize_long(out, subjects=2, videos=1, seconds={"samm-lv": 8.0, "casme-sq": 24.0}, micro=2,
                            macro=1, jobs=2)
    return roots


def test_synthetic_long_videos_read_back_through_the_adapters(long_corpus):
    samm, casme = samm_lv.load(long_corpus["samm-lv"]), casme_sq.load(long_corpus["casme-sq"])
    assert samm.counts() == {"videos": 2, "subjects": 2, "micro": 4, "macro": 2} and not samm.excluded
    assert casme.counts() == {"videos": 2, "subjects": 2, "micro": 4, "macro": 2} and not casme.excluded
    assert len(samm.videos[0].numbers) == 1600 and samm.videos[0].fps == 200.0
    assert all(t.label in ("negative", "positive", "surprise") for v in casme.videos for t in v.truth)


def test_evaluate_task_spot_writes_scores_report_and_timelines(long_corpus, tmp_path, monkeypatch):
    out = tmp_path / "spot"
    drawn = {}   # video -> the p its timeline drew the thresholds at
    real = run.timeline
    monkeypatch.setattr(run, "timeline", lambda r, path, props=None, p=None: drawn.setdefault(r["video"].key, (
        r, p, real(r, path, props, p))))
    main(["evaluate", "--task", "spot", "--samm-lv", str(long_corpus["samm-lv"]), "--casme-sq",
          str(long_corpus["casme-sq"]), "--auto-p", "--face", "haar", "--jobs", "2", "--out", str(out)])
    scores = pd.read_csv(out / "scores.csv")
    assert set(scores["dataset"]) == {"samm-lv", "casme-sq"} and set(scores["kind"]) == {"micro", "macro", "overall"}
    overall = scores[scores["kind"] == "overall"]
    assert (overall["tp"] + overall["fn"]).tolist() == [6, 6]          # every annotated interval is counted
    for r in scores.itertuples():
        p = r.tp / (r.tp + r.fp) if r.tp + r.fp else 0
        assert r.precision == pytest.approx(p)
    intervals = pd.read_csv(out / "intervals.csv")
    assert set(intervals["kind"]) <= {"micro", "macro"} and (intervals["onset"] <= intervals["offset"]).all()
    assert intervals["matched"].sum() == overall["tp"].sum()
    settings = json.loads((out / "settings.json").read_text())
    assert set(settings["p_chosen"]) == {"samm-lv/006", "samm-lv/007", "casme-sq/s15", "casme-sq/s16"}
    assert len(list((out / "figures").glob("timeline-*.png"))) == 4
    assert len(drawn) == 4
    assert any(p != SpotConfig().p for p in settings["p_chosen"].values())   # else the check below proves nothing
    for r, p, fig in drawn.values():   # each figure at the p chosen for its subject, not at --p's
        assert p == settings["p_chosen"][r["video"].subject]
        dashed = [line.get_ydata()[0] for line in fig.axes[0].lines if line.get_linestyle() == "--"]
        assert dashed == pytest.approx([threshold(r["trace"][k]["contrast"], p) for k in ("micro", "macro")])
    report = (out / "report.md").read_text()
    assert "MDMD (MEGC 2020 baseline, no learning) (published)" in report


def test_a_timeline_draws_the_thresholds_of_the_p_given(tmp_path):
    rng = np.random.default_rng(0)
    numbers = list(range(200))
    trace = {k: {"contrast": rng.gamma(2, 0.001, 200), "k": 3} for k in ("micro", "macro")}
    for t in trace.values():
        t["threshold"] = threshold(t["contrast"], 0.15)
    video = LongVideo("casme-sq", "casme-sq/s15", "v", 30.0, numbers=numbers)
    result = {"video": video, "proposals": [], "trace": trace, "numbers": numbers}
    for p, expected in ((None, [trace[k]["threshold"] for k in ("micro", "macro")]),
                        (0.5, [threshold(trace[k]["contrast"], 0.5) for k in ("micro", "macro")])):
        fig = run.timeline(result, tmp_path / "t.png", run.at_threshold(result, p or 0.15), p)
        dashed = [line.get_ydata()[0] for line in fig.axes[0].lines if line.get_linestyle() == "--"]
        assert dashed == pytest.approx(expected)
    assert expected[0] > trace["micro"]["threshold"]


def test_spot_a_frame_folder_and_label_what_it_finds(long_corpus, tiny_corpus, tmp_path, capsys):
    folder = casme_sq.load(long_corpus["casme-sq"]).videos[0].frames[0].parent
    with pytest.raises(SystemExit, match="does not say its frame rate; pass --fps"):
        main(["spot", str(folder), "--out", str(tmp_path / "x.csv")])
    model = tmp_path / "m.safetensors"
    main(["train", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--size", "64", "--face", "haar",
          "--method", "spatial", "--epochs", "1", "--jobs", "1", "--out", str(model)])
    spotter = tmp_path / "s.safetensors"     # spot, then recognise, with every spotter
    main(["train", "--task", "spot", "--casme-sq", str(long_corpus["casme-sq"]), "--face", "haar", "--tcn-steps", "150",
          "--tcn-hidden", "16", "--jobs", "1", "--cache", str(tmp_path / "cache"), "--out", str(spotter)])
    for which in ("lbp", "mdmd", str(spotter)):
        main(["spot", str(folder), "--fps", "30", "--face", "haar", "--model", str(model), "--cache",
              str(tmp_path / "cache"), "--spotter", which, "--jobs", "1", "--out", str(tmp_path / "spotted.csv")])
        t = pd.read_csv(tmp_path / "spotted.csv")
        assert len(t) and set(t["kind"]) <= {"micro", "macro"}, which
        micro = t[t["kind"] == "micro"]
        assert len(micro) and micro["label"].isin(["negative", "positive", "surprise"]).all(), which
        assert np.allclose(micro[["p_negative", "p_positive", "p_surprise"]].sum(axis=1), 1, atol=1e-5)
        assert t[t["kind"] == "macro"]["label"].isna().all()
        assert "frames/s per process" in capsys.readouterr().out
