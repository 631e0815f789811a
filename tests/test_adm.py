import numpy as np
import pytest

from atnet.features import adm, assemble, window_pairs


def field(h, w, u, v):
    f = np.zeros((h, w, 2), np.float32)
    f[..., 0], f[..., 1] = u, v
    return f


def test_uniform_flow_gives_its_direction_and_magnitude_in_every_cell():
    out = adm(field(16, 16, 0.0, 2.0), grid=2, mean="circular").reshape(2, 2, 2)
    np.testing.assert_allclose(out[..., 0], np.pi / 2, atol=1e-6)   # straight down in image coords
    np.testing.assert_allclose(out[..., 1], 2.0, atol=1e-6)


def test_layout_interleaves_direction_and_magnitude_cell_by_cell_row_major():
    f = np.zeros((4, 4, 2), np.float32)
    f[:2, 2:, 0] = 1.0      # top-right cell moves right at 1 px
    f[2:, :2, 1] = -3.0     # bottom-left cell moves up at 3 px
    out = adm(f, grid=2, mean="paper")
    np.testing.assert_allclose(out, [0, 0, 0, 1, -np.pi / 2, 3, 0, 0], atol=1e-6)


@pytest.mark.parametrize("mean, expected", [("paper", 0.0), ("circular", np.pi)])
def test_plus_and_minus_179_degrees(mean, expected):
    a = np.deg2rad(179.0)
    f = np.zeros((2, 2, 2), np.float32)
    f[:, 0] = [np.cos(a), np.sin(a)]       # +179 degrees
    f[:, 1] = [np.cos(a), -np.sin(a)]      # -179 degrees
    theta, rho = adm(f, grid=1, mean=mean)
    assert rho == pytest.approx(1.0, abs=1e-6)
    # paper: arithmetic mean of +179 and -179 is 0, the opposite direction; circular: 180 degrees
    assert abs(np.angle(np.exp(1j * (theta - expected)))) < 1e-5


def test_cells_that_do_not_divide_the_image_still_average_exactly():
    f = field(10, 10, 0.0, 0.0)
    f[:5, :5, 0] = 1.0                                  # grid 3 on 10 px: edges at 0, 3, 7
    rho = adm(f, grid=3, mean="circular")[1::2].reshape(3, 3)
    assert rho[0, 0] == pytest.approx(1.0)              # rows 0-2, cols 0-2: all moving
    assert rho[0, 1] == pytest.approx(2 * 3 / 12)       # rows 0-2, cols 3-6: cols 3-4 moving
    assert rho[2, 2] == pytest.approx(0.0)


def test_unknown_mean_is_refused_by_name():
    with pytest.raises(ValueError, match="circular"):
        adm(field(4, 4, 1, 0), grid=2, mean="median")


def test_window_on_a_clip_shorter_than_65_frames():
    # a SMIC-like clip: frames 100..129 hold onset..offset, apex 114 (30 frames, 29 flows)
    frames = list(range(100, 130))
    pairs = window_pairs(frames, onset=100, apex=114, offset=129, half=32)
    assert pairs == [(f, f + 1) for f in range(100, 129)]
    rows = [np.full(4, i + 1, np.float32) for i in range(len(pairs))]
    mat = assemble(rows, n_rows=64, dim=4)
    assert mat.shape == (64, 4)
    assert not mat[:64 - 29].any()                     # zeros first ...
    np.testing.assert_array_equal(mat[64 - 29:, 0], np.arange(1, 30))   # ... valid rows at the end, in order


def test_window_drops_flows_outside_onset_offset_and_the_clip():
    frames = list(range(0, 200))
    pairs = window_pairs(frames, onset=90, apex=100, offset=105, half=32)
    assert pairs[0] == (90, 91) and pairs[-1] == (104, 105) and len(pairs) == 15
    # a long clip with onset/offset far away: exactly 64 flows, apex-32 .. apex+32
    pairs = window_pairs(frames, onset=0, apex=100, offset=199, half=32)
    assert len(pairs) == 64 and pairs[0] == (68, 69) and pairs[-1] == (131, 132)
    # a missing frame breaks the two flows that need it
    pairs = window_pairs([f for f in frames if f != 100], onset=0, apex=100, offset=199, half=32)
    assert len(pairs) == 62 and (99, 100) not in pairs and (100, 101) not in pairs
