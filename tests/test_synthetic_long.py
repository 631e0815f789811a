"""The synthetic long videos' nuisance levels (data/datasets/synthetic_long.py): REALISTIC by default,
CLEAN frame for frame as the generator wrote before the levels existed, both read back through the
corpora's workbooks. Tiny videos (one subject, one video, 3 s of SAMM-LV and 6 s of CAS(ME)^2)."""
from __future__ import annotations

import hashlib
import inspect
import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from atnet.app.cli import main
from atnet.data.datasets import synthetic_long as sl
from atnet.spotting.run import load_long

TINY = dict(subjects=1, videos=1, seconds={"samm-lv": 3.0, "casme-sq": 6.0}, micro=2, macro=1, jobs=1)
# sha256 over (path, bytes) of every frame, written by the generator as it was at commit 1fa1d9c
# (before Nuisances), with TINY and seed 0; and the intervals its workbooks annotated
CLEAN_FRAMES = {"samm-lv": (600, "c6ad5eca96e0b8b0e0f24e23cae4723024a5e2d9bfd12c33116f74ffd682253a"),
                "casme-sq": (180, "03ec9a07e16b3daddc5370ecebcd05283aff57a7a79133a399a5f74ee7b0e3db")}
CLEAN_TRUTH = {"samm-lv": [("macro", 201, 414, 563)],
               "casme-sq": [("micro", 36, 40, 44), ("macro", 65, 87, 117), ("micro", 136, 141, 145)]}
STILL = dict(drift_px=0.0, sway_px=0.0, rotate_deg=0.0, light=0.0)   # nothing moves: frames differ by noise only


def frames_digest(root):
    files = sorted(root.rglob("*.jpg"))
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return len(files), h.hexdigest()


def truth(roots):
    return {v.dataset: [(t.kind, t.onset, t.apex, t.offset) for t in v.truth] for v in load_long(roots).videos}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return sl.synthesize_long(tmp_path_factory.mktemp("clean"), nuisances=sl.CLEAN, **TINY)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    return sl.synthesize_long(tmp_path_factory.mktemp("realistic"), **TINY)     # the default


def test_clean_writes_the_frames_and_workbooks_it_wrote_before(clean):
    assert {name: frames_digest(root) for name, root in clean.items()} == CLEAN_FRAMES
    assert truth(clean) == CLEAN_TRUTH


def test_realistic_is_the_default_and_differs_from_clean(clean, realistic):
    assert inspect.signature(sl.synthesize_long).parameters["nuisances"].default is sl.REALISTIC
    for name in clean:
        a = sorted(clean[name].rglob("*.jpg"))
        b = sorted(realistic[name].rglob("*.jpg"))
        assert [p.relative_to(clean[name]) for p in a] == [p.relative_to(realistic[name]) for p in b]
        first = [np.abs(cv2.imread(str(x), 0).astype(float) - cv2.imread(str(y), 0)).mean()
                 for x, y in zip(a[::50], b[::50])]
        assert min(first) > 0.5, first


def test_workbooks_load_and_blinks_stay_unannotated(realistic):
    videos = load_long(realistic).videos
    assert {v.dataset for v in videos} == {"samm-lv", "casme-sq"}
    for v in videos:
        spec = sl.LAYOUTS[v.dataset]
        n = int(round(TINY["seconds"][v.dataset] * spec["fps"]))
        planned = sl.plan_events(n, spec["fps"], np.random.default_rng([0, spec["tag"], 0, 0]), 2, 1, sl.REALISTIC)
        assert any(e.kind == "blink" for e in planned)
        want = [(e.kind, e.onset + 1, e.apex + 1, e.offset + 1) for e in planned if e.kind != "blink"]
        assert [(t.kind, t.onset, t.apex, t.offset) for t in v.truth] == want and want
        assert all(1 <= t.onset < t.offset <= len(v.numbers) for t in v.truth)   # inside the video


@pytest.mark.parametrize("sigma", [2.0, 4.0])
def test_sensor_noise_has_the_sigma_asked(tmp_path, sigma):
    """Still frames: the difference of two consecutive frames is noise only, std sqrt(2) sigma (give
    or take JPEG's rounding, which smooths weak noise and adds its own to strong); without noise,
    consecutive frames away from blinks are identical."""
    levels = replace(sl.REALISTIC, noise=(sigma, sigma), **STILL)
    assert sl.REALISTIC.noise == (2.0, 2.0)
    for name, nz in (("noisy", levels), ("quiet", replace(levels, noise=(0.0, 0.0)))):
        roots = sl.synthesize_long(tmp_path / name, subjects=1, videos=1, seconds={"samm-lv": 0.2, "casme-sq": 1.0},
                                   micro=0, macro=0, jobs=1, nuisances=nz)
        frames = [cv2.imread(str(p), 0).astype(float) for p in sorted(roots["samm-lv"].rglob("*.jpg"))]
        stds = [(b - a)[150:230, 40:200].std() for a, b in zip(frames, frames[1:])]     # below the eyes
        if name == "noisy":
            assert 0.85 < np.median(stds) / (math.sqrt(2) * sigma) < 1.15, stds
        else:
            assert max(stds) == 0


def test_realistic_levels_over_a_long_plan():
    rng = np.random.default_rng(5)
    z = sl.REALISTIC
    for fps in (30.0, 200.0):
        events = [e for _ in range(20) for e in sl.plan_events(int(60 * fps), fps, rng, 4, 2, z)]
        kinds = {k: [e for e in events if e.kind == k] for k in ("micro", "macro", "blink")}
        assert all(len(v) > 20 for v in kinds.values())
        crop = {k: [e.amp / sl.TO_FRAME for e in v] for k, v in kinds.items()}
        assert 1.0 <= min(crop["micro"]) and max(crop["micro"]) <= 3.0            # px at the 128 px crop
        assert 4.0 <= min(crop["macro"]) and max(crop["macro"]) <= 8.0
        assert min(e.amp for e in kinds["blink"]) > max(e.amp for e in kinds["micro"])   # blinks: large ...
        seconds = {k: [(e.offset - e.onset + 1) / fps for e in v] for k, v in kinds.items()}
        assert max(seconds["blink"]) <= 0.41 and min(seconds["blink"]) >= 0.09         # ... and fast
        assert max(seconds["micro"]) <= 0.46 and 0.49 <= min(seconds["macro"]) and max(seconds["macro"]) <= 4.01
        held = [e for e in kinds["macro"] if e.hold]
        assert held and all((e.offset - e.onset + 1.5) / fps > z.hold_after_s for e in held)   # length rounded
        assert all(e.onset < e.apex - e.hold / 2 and e.apex + e.hold / 2 < e.offset for e in held)
    assert not any(e.hold for e in sl.plan_events(6000, 30.0, rng, 4, 2, sl.CLEAN))
    assert sl.CLEAN.fold > 0 and sl.REALISTIC.fold == 0


def test_a_held_apex_is_flat_between_raised_cosines():
    e = sl.Event("macro", 1, onset=10, apex=60, offset=100, amp=5.0, hold=20)
    s = np.array([sl.strength(e, i) for i in range(10, 101)])
    assert s[0] == 0 and s[-1] == 0
    assert (s[50 - 10:70 - 10 + 1] == 1).all()                  # frames 50..70 held at the peak
    assert (np.diff(s[:41]) >= 0).all() and (np.diff(s[60:]) <= 0).all()
    assert np.abs(np.diff(s)).max() < 0.1                         # smooth: no jump into or out of the hold
    plain = sl.Event("micro", 1, onset=0, apex=4, offset=10, amp=1.0)
    assert sl.strength(plain, 4) == 1 and 0 < sl.strength(plain, 2) < 1


def test_synth_long_clean_flag(monkeypatch, clean, realistic, capsys):
    asked = []
    monkeypatch.setattr(sl, "synthesize_long", lambda out, nuisances, **kw: asked.append(nuisances) or (
        clean if nuisances is sl.CLEAN else realistic))
    main(["synth", "x", "--long", "--clean"])
    main(["synth", "x", "--long"])
    assert asked == [sl.CLEAN, sl.REALISTIC]
    assert "1 videos of 1 subjects" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["synth", "x", "--clean"])
    assert "--clean goes with --long" in str(e.value.code)
