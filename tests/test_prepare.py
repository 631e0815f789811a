"""Preparation on the tiny synthetic corpus: the face, the cache (reuse, killed runs, damaged
entries) and unreadable frames listed with the file."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from atnet.data import faces, prepare
from atnet.data.datasets import load_corpora, synthetic
from atnet.data.prepare import PrepConfig, prepare_all, to_arrays

CFG = PrepConfig(size=64)


def test_haar_finds_the_astronauts_face():
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    x, y, w, h = faces.detect_haar(gray)
    assert abs(x + w / 2 - 224) < 12 and abs(y + h / 2 - 113) < 12 and 70 < w < 130
    assert faces.detect_haar(np.full((200, 200), 128, np.uint8)) is None


def test_expand_box_is_square_and_inside_the_image():
    assert faces.expand_box((10, 20, 40, 60), 0.1, (100, 100)) == (0, 14, 72, 72)
    assert faces.expand_box((80, 80, 40, 40), 0.5, (100, 100)) == (20, 20, 80, 80)


@pytest.fixture()
def samples(tiny_corpus):
    return load_corpora(synthetic.roots(tiny_corpus)).samples


def test_prepare_finds_faces_and_fills_the_adm(samples, tmp_path):
    kept, prepared, excluded = prepare_all(samples, CFG, tmp_path, jobs=2, progress=False)
    assert len(kept) == len(samples) and not excluded
    assert faces.DEFAULT == "dlib"                              # installed with the package
    assert all(p.face == "dlib" for p in prepared)            # a real face on every apex frame
    assert all(p.landmarks.shape == (68, 2) and abs(p.angle) < 10 for p in prepared)
    for s, p in zip(kept, prepared):
        assert p.apex.shape == (64, 64) and p.adm.shape == (64, 128)
        assert not p.adm[:64 - p.n_valid].any()                # zero rows first
        assert np.abs(p.adm[64 - p.n_valid:, 1::2]).sum() > 0  # real flow in the valid rows
        assert p.n_valid == min(s.offset, s.apex + 32) - max(s.onset, s.apex - 32)
    arrays = to_arrays(kept, prepared)
    assert arrays.apex.shape == (len(kept), 64, 64) and len(arrays.y) == len(kept)


def test_second_run_reuses_the_cache(samples, tmp_path, monkeypatch):
    _, first, _ = prepare_all(samples[:4], CFG, tmp_path, jobs=1, progress=False)

    def fail(*a, **k):
        raise AssertionError("recomputed a cached clip")
    monkeypatch.setattr(prepare, "prepare_clip", fail)
    _, second, _ = prepare_all(samples[:4], CFG, tmp_path, jobs=1, progress=False)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.adm, b.adm)
        np.testing.assert_array_equal(a.apex, b.apex)


def test_killed_run_and_damaged_entries_are_recomputed(samples, tmp_path):
    s = samples[:2]
    _, first, _ = prepare_all(s, CFG, tmp_path, jobs=1, progress=False)
    entries = sorted(tmp_path.rglob("*.npz"))
    assert len(entries) == 2
    entries[0].write_bytes(entries[0].read_bytes()[:100])      # truncated, as by a full disk
    (entries[1].parent / "leftover.tmp").write_bytes(b"half")  # what a killed writer leaves
    _, again, _ = prepare_all(s, CFG, tmp_path, jobs=1, progress=False)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.adm, b.adm)


def test_a_changed_setting_is_a_new_entry(samples, tmp_path):
    prepare_all(samples[:1], CFG, tmp_path, jobs=1, progress=False)
    prepare_all(samples[:1], PrepConfig(size=64, adm_mean="paper"), tmp_path, jobs=1, progress=False)
    assert len(list(tmp_path.rglob("*.npz"))) == 2


def test_unreadable_frame_is_listed_with_the_file(samples, tmp_path):
    s = samples[0]
    folder = tmp_path / "clip"
    shutil.copytree(Path(s.frames[0]).parent, folder)
    bad = folder / Path(s.frames[s.frame_numbers.index(s.apex) + 1]).name
    bad.write_bytes(b"not an image")
    moved = type(s)(**{**s.__dict__, "frames": tuple(str(folder / Path(f).name) for f in s.frames)})
    kept, _, excluded = prepare_all([moved], CFG, tmp_path / "cache", jobs=1, progress=False)
    assert not kept and len(excluded) == 1
    assert str(bad) in excluded[0].reason and "unreadable" in excluded[0].reason
