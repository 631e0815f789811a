"""The onset-apex flow (STSTNet, OFF-ApexNet and their successors): one optical flow from the onset
frame to the apex frame of the face crop, with its optical strain, as a (size, size, 3) image of
u, v and strain. Pure functions, numpy in and out.

Optical strain (as STSTNet defines it, after Shreve et al.): the magnitude of the symmetric part of
the flow's gradient, |e| = sqrt(e_xx^2 + e_yy^2 + e_xy^2 + e_yx^2) with e_xx = du/dx, e_yy = dv/dy,
e_xy = e_yx = (du/dy + dv/dx) / 2. A rigid shift and a rigid rotation have none; a shear u = a y
has a / sqrt(2); an expansion u = a x, v = a y has a sqrt(2)."""
from __future__ import annotations

import cv2
import numpy as np

from .flow import flow as optical_flow


def strain(f: np.ndarray) -> np.ndarray:
    """(H, W, 2) flow -> (H, W) optical strain magnitude (central differences, one-sided at the border)."""
    u, v = f[..., 0].astype(np.float64), f[..., 1].astype(np.float64)
    du_dy, du_dx = np.gradient(u)
    dv_dy, dv_dx = np.gradient(v)
    shear = (du_dy + dv_dx) / 2
    return np.sqrt(du_dx ** 2 + dv_dy ** 2 + 2 * shear ** 2).astype(np.float32)


def onset_apex_flow(onset: np.ndarray, apex: np.ndarray, backend: str = "dis", size: int = 28) -> np.ndarray:
    """Face crops of the onset and apex frames, (S, S) uint8 -> (size, size, 3) float32: u, v (px of
    the crop, so independent of `size`) and strain, computed at the crop's resolution, then area-averaged."""
    f = optical_flow(onset, apex, backend)
    out = np.dstack([f, strain(f)])
    if out.shape[0] != size:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_AREA)
    return out.astype(np.float32)
