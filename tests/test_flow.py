"""Each backend recovers a known smooth warp of a real face (scikit-image's astronaut)."""
import cv2
import numpy as np
import pytest
from skimage import data

from atnet.features import BACKENDS, flow

# End-point error bounds (mean over the interior, px) for a warp of 0.5-1.6 px on a 224 px face crop
# (mean 0.68 px, the zero field's error). Measured here: DIS 0.073, Farneback 0.183, TV-L1 0.036.
EPE_MAX = {"dis": 0.12, "farneback": 0.25, "tvl1": 0.08}


def face_pair():
    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    face = cv2.resize(gray[40:260, 110:330], (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    gy, gx = np.mgrid[0:224, 0:224].astype(np.float32)
    # a smooth field: a 1.5 px bump down-right around the mouth, plus 0.5 px right everywhere
    bump = 1.5 * np.exp(-((gx - 112) ** 2 + (gy - 150) ** 2) / (2 * 30.0 ** 2))
    u, v = 0.5 + bump * 0.6, bump * 0.8
    # next(x + u, y + v) = prev(x, y): sample prev at x - u (u varies slowly, so this is accurate)
    nxt = cv2.remap(face, gx - u, gy - v, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    return face.astype(np.uint8), np.clip(nxt + 0.5, 0, 255).astype(np.uint8), np.stack([u, v], -1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_recovers_a_known_warp(backend):
    prev, nxt, truth = face_pair()
    est = flow(prev, nxt, backend)
    assert est.shape == (224, 224, 2) and est.dtype == np.float32
    inner = (slice(16, -16), slice(16, -16))
    epe = np.linalg.norm(est[inner] - truth[inner], axis=-1).mean()
    assert epe < EPE_MAX[backend], f"{backend}: mean EPE {epe:.3f} px"
    # and it is not the zero field scoring well by luck
    assert epe < 0.4 * np.linalg.norm(truth[inner], axis=-1).mean()


def test_unknown_backend_is_refused_by_name():
    img = np.zeros((32, 32), np.uint8)
    with pytest.raises(ValueError, match="dis"):
        flow(img, img, "raft")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_flow_does_not_depend_on_what_was_computed_before(backend):
    """OpenCV's DIS instance keeps state from the frame size it last computed: one instance shared
    across sizes gave this pair a flow up to 2 px different after a 32 px pair (and so a run's
    ADMs depended on the process's history). Each size now has its own instance."""
    prev, nxt, _ = face_pair()
    first = flow(prev, nxt, backend)
    rng = np.random.default_rng(0)
    for side in (32, 128):
        a = cv2.GaussianBlur(rng.integers(0, 256, (side, side)).astype(np.uint8), (5, 5), 1.5)
        flow(a, np.roll(a, 1, axis=1), backend)
    assert np.array_equal(flow(prev, nxt, backend), first)


def test_optical_strain_on_hand_made_fields():
    from atnet.features.oaflow import strain
    gy, gx = np.mgrid[0:40, 0:50].astype(np.float32)
    a = 0.05
    field = lambda u, v: np.stack([u, v], -1)
    assert np.allclose(strain(field(np.full_like(gx, 1.7), np.full_like(gx, -0.4))), 0)     # rigid shift
    assert np.allclose(strain(field(-a * (gy - 20), a * (gx - 25))), 0, atol=1e-7)       # rigid rotation
    assert np.allclose(strain(field(a * gy, 0 * gx)), a / np.sqrt(2))                  # pure shear
    assert np.allclose(strain(field(a * gx, a * gy)), a * np.sqrt(2))                  # pure expansion
    assert np.allclose(strain(field(a * gx, -a * gy)), a * np.sqrt(2))                 # stretch one way, squeeze the other


def test_onset_apex_flow_is_u_v_and_strain_at_the_asked_size():
    from atnet.features.oaflow import onset_apex_flow
    prev, nxt, truth = face_pair()
    out = onset_apex_flow(prev, nxt, "dis", 28)
    assert out.shape == (28, 28, 3) and out.dtype == np.float32
    inner = (slice(3, -3), slice(3, -3))
    want = cv2.resize(truth, (28, 28), interpolation=cv2.INTER_AREA)
    assert np.abs(out[inner][..., :2] - want[inner]).mean() < 0.15   # u, v stay in px of the crop
    assert (out[..., 2] >= 0).all() and out[..., 2].max() > 0.005
