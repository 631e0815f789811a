"""Face box on one frame and the crop applied to every frame (pure functions over arrays).

Backend "haar": OpenCV's frontal-face Haar cascade (ships with opencv-contrib). When it finds no
face the caller gets None and decides the fallback (the prepared data records which was taken)."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels


@lru_cache(maxsize=None)
def _haar() -> cv2.CascadeClassifier:
    c = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if c.empty():
        raise RuntimeError("OpenCV's Haar cascade file is missing; reinstall opencv-contrib-python-headless<5.")
    return c


def detect_haar(gray: np.ndarray) -> Box | None:
    """The largest frontal face in a grayscale uint8 image, or None."""
    side = min(gray.shape)
    faces = _haar().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side // 6, side // 6))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return int(x), int(y), int(w), int(h)


def expand_box(box: Box, margin: float, shape: tuple[int, int]) -> Box:
    """Grow a box by `margin` of its size on each side, make it square, clamp it to the image."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    H, W = shape[:2]
    side = min(side, H, W)
    x0 = int(round(min(max(cx - side / 2, 0), W - side)))
    y0 = int(round(min(max(cy - side / 2, 0), H - side)))
    return x0, y0, int(side), int(side)


def crop(gray: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Crop a box and resize to size x size (area interpolation) -> (size, size) uint8."""
    x, y, w, h = box
    return cv2.resize(gray[y:y + h, x:x + w], (size, size), interpolation=cv2.INTER_AREA)
