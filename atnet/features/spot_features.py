"""Per-frame features of long videos for spotting (pure functions, numpy in and out): the optical
flow's global motion removed, MDMD's main directional maximal difference per block, the learned
spotter's block statistics, and the eye aspect ratio of 68 landmarks (for blinks)."""
from __future__ import annotations

import numpy as np


def block_index(h: int, w: int, blocks: int) -> np.ndarray:
    """(h, w) int: the block (row-major, blocks x blocks) each pixel falls in."""
    rows = np.minimum(np.arange(h) * blocks // h, blocks - 1)
    cols = np.minimum(np.arange(w) * blocks // w, blocks - 1)
    return rows[:, None] * blocks + cols[None, :]


def remove_global_motion(flow: np.ndarray) -> np.ndarray:
    """(H, W, 2) -> the flow less its least-squares affine fit (head translation, rotation, scale):
    what is left is the face's own, local motion."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.stack([np.ones(h * w, np.float32), xs.ravel() / w - 0.5, ys.ravel() / h - 0.5], 1)
    coef, *_ = np.linalg.lstsq(a, flow.reshape(-1, 2), rcond=None)
    return (flow.reshape(-1, 2) - a @ coef).reshape(flow.shape).astype(np.float32)


def mdmd_blocks(flow: np.ndarray, blocks: int, directions: int = 4, top: float = 1 / 3) -> np.ndarray:
    """MDMD's per-block value (Wang et al. 2017): in each block, the flow vectors are binned by
    direction into `directions` sectors centred on right, down, left, up (for 4); the main direction is the sector holding the most vectors;
    the block's value is the mean of the largest `top` share of the magnitudes in that sector.
    (H, W, 2) -> (blocks * blocks,)."""
    h, w = flow.shape[:2]
    mag = np.hypot(flow[..., 0], flow[..., 1]).ravel()
    ang = np.arctan2(flow[..., 1], flow[..., 0]).ravel()
    sector = np.floor((ang + np.pi / directions) / (2 * np.pi / directions)).astype(int) % directions   # centred on 0°
    block = block_index(h, w, blocks).ravel()
    counts = np.bincount(block * directions + sector, minlength=blocks * blocks * directions)
    main = counts.reshape(-1, directions).argmax(1)
    out = np.zeros(blocks * blocks)
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(blocks * blocks + 1))
    for b in range(blocks * blocks):
        idx = order[bounds[b]:bounds[b + 1]]
        m = mag[idx][sector[idx] == main[b]]
        if len(m):
            k = max(1, int(round(top * len(m))))
            out[b] = np.partition(m, len(m) - k)[-k:].mean()
    return out


def block_flow_stats(flow: np.ndarray, blocks: int) -> np.ndarray:
    """Per block: the mean u, the mean v and the mean magnitude. (H, W, 2) -> (3 * blocks * blocks,)."""
    h, w = flow.shape[:2]
    block = block_index(h, w, blocks).ravel()
    n = np.maximum(np.bincount(block, minlength=blocks * blocks), 1)
    u, v = flow[..., 0].ravel(), flow[..., 1].ravel()
    mag = np.hypot(u, v)
    return np.concatenate([np.bincount(block, x, blocks * blocks) / n for x in (u, v, mag)]).astype(np.float32)


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Soukupová and Čech's eye aspect ratio (2016), the mean of both eyes, from dlib's 68 points
    (eyes 36-41 and 42-47): (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|). Open eyes about 0.3, closed
    near 0."""
    out = []
    for s in (36, 42):
        p = np.asarray(landmarks[s:s + 6], np.float64)
        width = np.linalg.norm(p[0] - p[3])
        out.append((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2 * width) if width > 0 else 0.0)
    return float(np.mean(out))
