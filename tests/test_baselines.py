import numpy as np
import pytest
from skimage.feature import local_binary_pattern

from atnet.features.hoof import hoof
from atnet.features.lbptop import lbp_planes, lbp_top, n_labels
from atnet.features.tim import tim
from atnet.methods.baselines import BASELINES, clip_feature, fit_predict, parse


@pytest.mark.parametrize("p", [4, 8])
def test_lbp_equals_scikit_image_code_for_code_on_every_plane(p):
    rng = np.random.default_rng(p)
    v = rng.integers(0, 256, (9, 21, 17)).astype(np.uint8)
    v[:, 4:9, 4:9] = 77                      # a flat patch: ties between a sample and its centre
    for plane in (v, v.transpose(1, 0, 2), v.transpose(2, 0, 1)):       # XY, XT, YT slices
        ref = np.stack([local_binary_pattern(s, p, 3, method="nri_uniform") for s in plane])
        np.testing.assert_array_equal(lbp_planes(plane, p, 3, 3), ref)
        np.testing.assert_array_equal(lbp_planes(plane, p, 3, 3, (3, 3)), ref[:, 3:-3, 3:-3])


def test_lbp_top_histograms_are_three_l1_normalised_planes():
    v = np.random.default_rng(0).integers(0, 256, (10, 16, 16)).astype(np.uint8)
    h = lbp_top(v, p=8)
    assert h.shape == (3 * n_labels(8),) and h.shape == (177,)
    np.testing.assert_allclose(h.reshape(3, -1).sum(1), 1)
    # the histograms count interior pixels only: 4 x 10 x 10 per plane here
    codes = lbp_planes(v[3:7], 8, 3, 3, (3, 3))
    np.testing.assert_allclose(h[:59], np.bincount(codes.ravel(), minlength=59) / 400)
    with pytest.raises(ValueError, match="too small"):
        lbp_top(v[:6], p=4)


@pytest.mark.parametrize("n_in, n_out", [(7, 10), (7, 64), (30, 10), (12, 64)])
def test_tim_keeps_a_linear_ramp_a_ramp(n_in, n_out):
    clip = (5 + 3 * np.arange(n_in))[:, None, None] * np.ones((n_in, 3, 2))
    out = tim(clip, n_out)
    expected = np.linspace(5, 5 + 3 * (n_in - 1), n_out)
    # TIM interpolates on a cosine basis, so between frames a ramp ripples: within 1% of its range
    assert np.abs(out[:, 0, 0] - expected).max() < 0.01 * 3 * (n_in - 1)
    np.testing.assert_allclose(tim(clip, n_out, "linear")[:, 0, 0], expected, atol=1e-9)


def test_tim_to_the_clips_own_length_returns_the_clip():
    clip = np.random.default_rng(1).random((11, 5, 4))
    np.testing.assert_allclose(tim(clip, 11), clip, atol=1e-9)
    assert tim(clip[:1], 4).shape == (4, 5, 4)
    with pytest.raises(ValueError, match="linear"):
        tim(clip, 3, "cubic")


def test_hoof_on_a_hand_made_field():
    f = np.zeros((2, 2, 2))
    f[0, 0] = [1, 0]          # 0 degrees, magnitude 1 -> bin 0
    f[0, 1] = [0, 2]          # 90 degrees, magnitude 2 -> bin 1 (of 4)
    f[1, 0] = [-3, 0]         # 180 degrees, magnitude 3 -> bin 2
    f[1, 1] = [1, -1]         # 315 degrees, magnitude sqrt 2 -> bin 3
    total = 6 + np.sqrt(2)
    np.testing.assert_allclose(hoof(f, 4), [1 / total, 2 / total, 3 / total, np.sqrt(2) / total])
    np.testing.assert_allclose(hoof(f, 8)[[0, 2, 4, 7]], [1 / total, 2 / total, 3 / total, np.sqrt(2) / total])
    assert not hoof(np.zeros((3, 3, 2)), 4).any()


def test_eight_named_settings_and_their_features():
    assert len(BASELINES) == 8 and parse("hoof-n8-tim64") == ("hoof", 8, 64)
    v = np.random.default_rng(0).integers(0, 256, (15, 32, 32)).astype(np.uint8)
    assert clip_feature("lbptop-p4-tim10", v).shape == (3 * 15,)
    assert clip_feature("hoof-n8-tim10", v).shape == (9 * 8,)


def test_svm_learns_and_scores_sum_to_one():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 10)
    x = rng.normal(0, 0.1, (30, 6)) + np.eye(3)[y].repeat(2, axis=1)
    s = fit_predict(x, y, x)
    assert (s.argmax(1) == y).mean() > 0.9 and np.allclose(s.sum(1), 1)
    one = fit_predict(x[:10], y[:10], x[10:])     # a training fold with one class predicts it
    assert (one.argmax(1) == 0).all()


def test_folded_hoof_puts_left_and_right_motion_of_one_slope_in_one_bin():
    from atnet.features.hoof import hoof
    right_up = np.tile(np.array([1.0, -1.0]), (4, 4, 1))      # (u, v): right, image-up
    left_up = np.tile(np.array([-1.0, -1.0]), (4, 4, 1))
    assert not np.array_equal(hoof(right_up, 4), hoof(left_up, 4))
    assert np.array_equal(hoof(right_up, 4, folded=True), hoof(left_up, 4, folded=True))
    assert hoof(right_up, 4, folded=True).tolist() == [0.0, 1.0, 0.0, 0.0]   # angle -45 deg: bin 1 of [-90, 90)
    down = np.tile(np.array([0.0, 2.0]), (4, 4, 1))
    assert hoof(down, 4, folded=True).tolist() == [0.0, 0.0, 0.0, 1.0]      # +90 deg: the last bin


def test_the_svm_class_weight_is_a_choice():
    from atnet.core.errors import CorpusError
    from atnet.methods.baselines import BaselineConfig, classifier
    assert classifier().class_weight == "balanced"
    assert classifier(BaselineConfig(svm_class_weight="none")).class_weight is None
    assert BaselineConfig().key("hoof-n4-tim10") == {"svm": repr(classifier())}   # saved folds stay valid
    assert BaselineConfig(hoof_bins="folded").key("hoof-n4-tim10")["hoof_bins"] == "folded"
    with pytest.raises(CorpusError, match="--hoof-bins half: unknown; choose one of full, folded"):
        BaselineConfig(hoof_bins="half")
