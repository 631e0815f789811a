"""Faces: one interface over the face backends, and the one crop every frame of a clip gets
(pure functions over arrays).

Backends, `detect(gray, backend)` -> Face or None:
  dlib    dlib's HOG face detector and the 68-point shape predictor that face_recognition_models
          ships (the default where both are installed);
  haar    OpenCV's frontal-face Haar cascade (ships with opencv-contrib, always there; no landmarks);
  manual  a per-clip box from a CSV (`read_box_file`), the paper's own fallback.
When a backend finds no face the caller gets None and decides the fallback (prepare records which).

Alignment: with landmarks, the least-squares similarity transform (scale, rotation, shift) that maps
TEMPLATE onto the 21 eye and nose points gives a square turned with the face; without landmarks the
box grown by the margin and made square. Either square is clamped to the image, and the square found
on one reference frame crops every frame of the clip, so the crop cannot jitter.
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ...core.readers import read_table
from ..datasets.base import CorpusError

Box = tuple[int, int, int, int]               # x, y, w, h in pixels
Square = tuple[float, float, float, float]    # centre x, centre y, side (px), angle (degrees, clockwise on screen)

BACKENDS = ("dlib", "haar", "manual")
DLIB_MAX_SIDE = 1024   # dlib detects on frames downscaled to this longer side (landmarks at full size)
DLIB_MISSING = ("dlib or its landmark model is not installed; `pip install dlib-bin face_recognition_models` "
                "(both are in atnet's dependencies), or pass --face haar.")

# 68-point indices: nose 27-35, right eye 36-41, left eye 42-47 (dlib / iBUG 300-W numbering).
EYES_NOSE = np.arange(27, 48)
# Those 21 points in the unit square of a face box: dlib's landmarks on scikit-image's astronaut,
# expressed in the Haar box of her face that atnet.data.datasets.synthetic uses (177, 66, 95, 95) and
# averaged with their mirror image, so that an aligned crop covers about what OpenCV's Haar box
# covers on an upright face (tests/test_faces.py checks it within 8%).
TEMPLATE = np.array([
    [0.5, 0.379], [0.5, 0.474], [0.5, 0.558], [0.5, 0.642], [0.395, 0.689], [0.447, 0.705], [0.5, 0.716],
    [0.553, 0.705], [0.605, 0.689], [0.184, 0.384], [0.237, 0.353], [0.311, 0.353], [0.363, 0.405],
    [0.3, 0.411], [0.237, 0.411], [0.637, 0.405], [0.689, 0.353], [0.763, 0.353], [0.816, 0.384],
    [0.763, 0.411], [0.7, 0.411]])


@dataclass(frozen=True)
class Face:
    box: Box                        # the detector's box (or the manual one)
    landmarks: np.ndarray | None    # (68, 2) float32 pixel coordinates, or None (haar, manual)
    backend: str


def dlib_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("dlib", "face_recognition_models"))


DEFAULT = "dlib" if dlib_available() else "haar"


@lru_cache(maxsize=None)
def _haar() -> cv2.CascadeClassifier:
    c = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if c.empty():
        raise RuntimeError("OpenCV's Haar cascade file is missing; reinstall opencv-contrib-python-headless<5.")
    return c


@lru_cache(maxsize=None)
def _dlib():
    """dlib's detector and shape predictor. The model file is found without importing
    face_recognition_models, whose __init__ needs pkg_resources (gone from recent setuptools)."""
    if not dlib_available():
        raise CorpusError(DLIB_MISSING)
    import dlib
    root = Path(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0])
    model = root / "models" / "shape_predictor_68_face_landmarks.dat"
    if not model.is_file():
        raise CorpusError(f"{model}: missing; reinstall face_recognition_models, or pass --face haar.")
    return dlib, dlib.get_frontal_face_detector(), dlib.shape_predictor(str(model))


def _pick(boxes: list[Box], near: tuple[float, float] | None) -> Box:
    """The largest box, or with `near` (a point, e.g. the last frame's face) the box closest to it."""
    if near is None:
        return max(boxes, key=lambda b: b[2] * b[3])
    return min(boxes, key=lambda b: (b[0] + b[2] / 2 - near[0]) ** 2 + (b[1] + b[3] / 2 - near[1]) ** 2)


def detect_haar(gray: np.ndarray, near=None) -> Box | None:
    """The largest frontal face in a grayscale uint8 image (or the one nearest `near`), or None."""
    side = min(gray.shape)
    faces = _haar().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side // 6, side // 6))
    if len(faces) == 0:
        return None
    x, y, w, h = _pick([tuple(int(v) for v in f) for f in faces], near)
    return x, y, w, h


def detect_dlib(gray: np.ndarray, near=None) -> Face | None:
    """dlib's HOG detector (on the frame downscaled to DLIB_MAX_SIDE) and its 68 landmarks."""
    dlib, detector, predictor = _dlib()
    scale = min(1.0, DLIB_MAX_SIDE / max(gray.shape))
    small = gray if scale == 1 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found = detector(np.ascontiguousarray(small), 0)
    if len(found) == 0:
        return None
    boxes = [(round(r.left() / scale), round(r.top() / scale), round(r.width() / scale), round(r.height() / scale))
             for r in found]
    x, y, w, h = _pick(boxes, near)
    shape = predictor(np.ascontiguousarray(gray), dlib.rectangle(x, y, x + w - 1, y + h - 1))
    points = np.array([(p.x, p.y) for p in shape.parts()], np.float32)
    return Face((x, y, w, h), points, "dlib")


def detect(gray: np.ndarray, backend: str, near=None) -> Face | None:
    """One face on a grayscale uint8 frame with the named detector ("dlib" or "haar")."""
    if backend == "dlib":
        return detect_dlib(gray, near)
    if backend == "haar":
        box = detect_haar(gray, near)
        return None if box is None else Face(box, None, "haar")
    raise ValueError(f"face backend {backend!r} is not a detector; use one of dlib, haar")


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


def box_square(box: Box, margin: float, shape: tuple[int, int]) -> Square:
    """The upright square of `expand_box` (whole pixels: cropped by slicing, as without alignment)."""
    x, y, w, h = expand_box(box, margin, shape)
    return x + w / 2, y + h / 2, float(w), 0.0


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[complex, complex]:
    """Least-squares similarity dst ~ a * src + b over 2-D points, as complex numbers: |a| is the
    scale, arg(a) the rotation."""
    s, d = src[:, 0] + 1j * src[:, 1], dst[:, 0] + 1j * dst[:, 1]
    sc, dc = s - s.mean(), d - d.mean()
    a = np.sum(dc * np.conj(sc)) / np.sum(np.abs(sc) ** 2)
    return complex(a), complex(d.mean() - a * s.mean())


def clamp_square(sq: Square, shape: tuple[int, int]) -> Square:
    """Shrink a (turned) square until it fits the image, then shift it inside."""
    cx, cy, side, angle = sq
    H, W = shape[:2]
    t = math.radians(angle)
    k = abs(math.cos(t)) + abs(math.sin(t))      # extent of the turned square per unit of side
    side = min(side, min(H, W) / k)
    e = side * k / 2
    return min(max(cx, e), W - e), min(max(cy, e), H - e), side, angle


def align_square(landmarks: np.ndarray, margin: float, shape: tuple[int, int]) -> Square:
    """The face square from 68 landmarks: TEMPLATE's unit square (grown by `margin` on each side)
    carried by the similarity that best maps TEMPLATE onto the eye and nose points."""
    a, b = similarity(TEMPLATE, np.asarray(landmarks, np.float64)[EYES_NOSE])
    c = a * (0.5 + 0.5j) + b
    return clamp_square((c.real, c.imag, abs(a) * (1 + 2 * margin), math.degrees(np.angle(a))), shape)


def face_square(face: Face, margin: float, shape: tuple[int, int], align: bool = True) -> Square:
    if align and face.landmarks is not None:
        return align_square(face.landmarks, margin, shape)
    return box_square(face.box, margin, shape)


def crop_matrix(sq: Square, n: int) -> np.ndarray:
    """The 2 x 3 affine that takes frame pixels to the n x n crop of a square (OpenCV's pixel centres)."""
    cx, cy, side, angle = sq
    t = math.radians(angle)
    s = n / side
    A = s * np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    shift = A @ (np.array([0.5, 0.5]) - (cx, cy)) + n / 2 - 0.5
    return np.hstack([A, shift[:, None]])


def _whole(sq: Square) -> bool:
    cx, cy, side, angle = sq
    return angle == 0 and all(float(v).is_integer() for v in (side, cx - side / 2, cy - side / 2))


def crop(gray: np.ndarray, sq: Square, size: int) -> np.ndarray:
    """Crop a square and resize it to size x size (area interpolation) -> (size, size) uint8. An
    upright square on whole pixels is sliced; any other is first resampled at its own size."""
    cx, cy, side, angle = sq
    if _whole(sq):
        x, y, n = int(cx - side / 2), int(cy - side / 2), int(side)
        patch = gray[y:y + n, x:x + n]
    else:
        n = max(int(round(side)), 1)
        patch = cv2.warpAffine(gray, crop_matrix(sq, n), (n, n), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)


def centre_square(shape: tuple[int, int]) -> Square:
    """The last fallback: the centred square of the frame."""
    h, w = shape[:2]
    s = min(h, w)
    return (w - s) // 2 + s / 2, (h - s) // 2 + s / 2, float(s), 0.0


BOX_COLUMNS = ("clip", "x", "y", "w", "h")


def read_box_file(path: str | Path) -> dict[str, Box]:
    """Manual face boxes: a CSV with the columns clip,x,y,w,h (pixels on the reference frame); clip
    is dataset/subject/clip as `atnet corpus` writes them (e.g. casme2/sub01/EP02_01f), or for
    `atnet faces` the video's or folder's name."""
    path = Path(path)
    t = read_table(path, BOX_COLUMNS, "the box file")
    boxes: dict[str, Box] = {}
    for i, r in t.iterrows():
        clip = str(r["clip"]).strip()
        try:
            box = tuple(int(str(r[c]).strip()) for c in "xywh")
        except ValueError:
            raise CorpusError(f"{path} row {i + 2} ({clip}): x, y, w, h must be whole numbers of pixels, got "
                              f"{', '.join(str(r[c]) for c in 'xywh')}.") from None
        if box[2] <= 0 or box[3] <= 0 or box[0] < 0 or box[1] < 0:
            raise CorpusError(f"{path} row {i + 2} ({clip}): the box {box} needs x, y >= 0 and w, h > 0.")
        if clip in boxes:
            raise CorpusError(f"{path} row {i + 2}: clip {clip} is listed twice; keep one box per clip.")
        boxes[clip] = box
    return boxes


def manual_face(box: Box, shape: tuple[int, int], source: str) -> Face:
    """A manual box checked against the frame it is used on."""
    x, y, w, h = box
    H, W = shape[:2]
    if x >= W or y >= H:
        raise CorpusError(f"{source}: the box {box} lies outside the {W}x{H} frame; correct it in the box file.")
    return Face((x, y, min(w, W - x), min(h, H - y)), None, "manual")


def locate(gray: np.ndarray, backend: str, margin: float, align: bool = True, manual: Box | None = None,
           near=None, source: str = "") -> tuple[Square, str, Face | None]:
    """The crop square of one frame and the backend that served it. The order: the chosen backend;
    then the clip's manual box where the box file has one; then the Haar cascade (after dlib); then
    the centred square of the frame, recorded as "centre-square"."""
    if backend == "manual":
        if manual is None:
            raise CorpusError(f"{source}: the box file has no row for this clip; add one (clip,x,y,w,h) or pass "
                              f"--face dlib or --face haar.")
        face = manual_face(manual, gray.shape, source)
        return face_square(face, margin, gray.shape, align), "manual", face
    face = detect(gray, backend, near)
    if face is None and manual is not None:
        face = manual_face(manual, gray.shape, source)
    if face is None and backend == "dlib":
        face = detect(gray, "haar", near)
    if face is None:
        return centre_square(gray.shape), "centre-square", None
    return face_square(face, margin, gray.shape, align), face.backend, face
