"""From per-frame scores to intervals, and blinks kept out (pure functions).

fixed     the reference rule: each peak above the threshold gives [peak - k, peak + k] (2k + 1 frames),
          so a macro-expression much longer than 2k + 1 can never reach IoU 0.5;
variable  each peak's interval runs from where the score rises above the threshold to where it falls
          back below it (at least [peak - k, peak + k]), so a 3-second expression can be matched;
runs      for a per-frame class score (the learned spotter): each run of frames whose score is above
          the threshold, short gaps closed.

Blinks: from a track of the eye aspect ratio (features.spot_features.eye_aspect_ratio), a blink is a
dip well below the video's own open-eye level lasting 0.05-0.5 s; proposals that overlap a blink by
more than half their length are dropped. For crops without landmarks, `eye_blocks` names the blocks
of the crop grid that cover the eyes, so that a feature difference can leave them out."""
from __future__ import annotations

import numpy as np

from ..data.long import Interval


def peaks(c: np.ndarray, t: float, distance: int) -> list[int]:
    """Indices of local maxima of c above t, greedily strongest first, at least `distance` apart."""
    if len(c) < 3:
        return []
    cand = np.flatnonzero((c[1:-1] > t) & (c[1:-1] >= c[:-2]) & (c[1:-1] >= c[2:])) + 1
    kept: list[int] = []
    for i in cand[np.argsort(-c[cand], kind="stable")]:
        if all(abs(int(i) - j) >= distance for j in kept):
            kept.append(int(i))
    return sorted(kept)


def extent(c: np.ndarray, i: int, t: float) -> tuple[int, int]:
    """The run of indices around i where c stays above t (i itself always in)."""
    lo, hi = i, i
    while lo > 0 and c[lo - 1] > t:
        lo -= 1
    while hi < len(c) - 1 and c[hi + 1] > t:
        hi += 1
    return lo, hi


def peak_intervals(c: np.ndarray, k: int, t: float, kind: str, numbers: list[int], variable: bool = False
                   ) -> list[Interval]:
    """One interval per peak of c above t (peaks at least k apart): [i - k, i + k], or with `variable`
    that grown to where c falls back to t. Overlapping variable intervals of one kind are merged
    (the stronger peak names the apex). Indices are mapped to frame numbers."""
    last = len(numbers) - 1
    spans = []
    for i in peaks(c, t, k):
        lo, hi = max(0, i - k), min(last, i + k)
        if variable:
            a, b = extent(c, i, t)
            lo, hi = min(lo, a), max(hi, b)
        spans.append([lo, hi, i])
    if variable:
        merged: list[list[int]] = []
        for s in sorted(spans):
            if merged and s[0] <= merged[-1][1]:
                m = merged[-1]
                m[1] = max(m[1], s[1])
                m[2] = m[2] if c[m[2]] >= c[s[2]] else s[2]
            else:
                merged.append(s)
        spans = merged
    return [Interval(numbers[lo], numbers[hi], kind, numbers[i], float(c[i])) for lo, hi, i in spans]


def run_intervals(score: np.ndarray, t: float, kind: str, numbers: list[int], gap: int = 0, shortest: int = 1
                  ) -> list[Interval]:
    """Each run of indices with score > t (runs closer than `gap` joined; runs shorter than `shortest`
    dropped) -> Interval(first, last, kind, apex = the run's maximum, score = that maximum)."""
    above = np.flatnonzero(np.asarray(score) > t)
    if not len(above):
        return []
    runs, start = [], above[0]
    for a, b in zip(above[:-1], above[1:]):
        if b - a > gap + 1:
            runs.append((start, a))
            start = b
    runs.append((start, above[-1]))
    out = []
    for lo, hi in runs:
        if hi - lo + 1 >= shortest:
            i = lo + int(np.argmax(score[lo:hi + 1]))
            out.append(Interval(numbers[lo], numbers[hi], kind, numbers[i], float(score[i])))
    return out


def blinks(ear: np.ndarray, fps: float, drop: float = 0.25, shortest_s: float = 0.05, longest_s: float = 0.5
           ) -> list[tuple[int, int]]:
    """Blinks in a track of eye aspect ratios (one per frame; NaN where no landmarks): runs where the
    ratio is below (1 - drop) times the track's median (the open-eye level), lasting shortest_s to
    longest_s seconds. Returns (first, last) frame indices."""
    ear = np.asarray(ear, np.float64)
    if not np.isfinite(ear).any():
        return []
    level = np.nanmedian(ear)
    closed = np.nan_to_num(ear, nan=level) < (1 - drop) * level
    found = run_intervals(closed.astype(float), 0.5, "blink", list(range(len(ear))))
    lo, hi = max(1, round(shortest_s * fps)), max(1, round(longest_s * fps))
    return [(x.onset, x.offset) for x in found if lo <= x.length <= hi]


def without_blinks(proposals: list[Interval], spans: list[tuple[int, int]], share: float = 0.5) -> list[Interval]:
    """The proposals that do not overlap a blink (frame-number spans) by more than `share` of their length."""
    def covered(p: Interval) -> int:
        return sum(max(0, min(p.offset, b) - max(p.onset, a) + 1) for a, b in spans)
    return [p for p in proposals if covered(p) <= share * p.length]


def eye_blocks(eyes: np.ndarray, size: int, blocks: int, pad: float = 0.5) -> np.ndarray:
    """(blocks * blocks,) bool: the blocks of a size x size crop's grid that the eyes' box touches.
    eyes: (N, 2) eye landmark points in crop pixels (both eyes); each eye's box is grown by `pad`
    of its width on every side (the lids and lashes move beyond the landmark points)."""
    mask = np.zeros((blocks, blocks), bool)
    step = size / blocks
    for pts in (eyes[: len(eyes) // 2], eyes[len(eyes) // 2:]):
        (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
        m = pad * max(x1 - x0, 1.0)
        r0, r1 = int(np.clip((y0 - m) // step, 0, blocks - 1)), int(np.clip((y1 + m) // step, 0, blocks - 1))
        c0, c1 = int(np.clip((x0 - m) // step, 0, blocks - 1)), int(np.clip((x1 + m) // step, 0, blocks - 1))
        mask[r0:r1 + 1, c0:c1 + 1] = True
    return mask.ravel()
