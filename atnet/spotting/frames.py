"""The frames of a long video, streamed: a frame folder or a video file in, the tracked face crop
of each frame out (one frame in memory at a time), for every spotter.

Faces: the face square of the first frame crops every frame (the same face code as the short clips:
dlib with landmarks and alignment, Haar as fallback); a long video drifts, so the face is detected
again every `redetect_s` seconds, and the crop moves only when the new square's centre or side
differs by more than `move` of the side (so that detector jitter is not taken for motion). The
differences that span a change of crop are not scored (method.Differences). A video whose first
frame shows no face is cropped by the centred square, and said so."""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..core import parallel
from ..core.errors import CorpusError
from ..data import faces
from ..data.datasets.base import Exclusion, list_frames
from ..data.faces.video import is_video, iter_video
from ..data.prepare import PrepConfig, find_square
from ..features.spot_features import eye_aspect_ratio
from . import FPS_RANGE, LongVideo
from .method import SpotConfig


def long_video(path: str | Path, fps: float | None = None) -> LongVideo:
    """Your own long recording: a folder of numbered frames or a video file (frames 0, 1, ...)."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: not found; pass a folder of numbered frames or a video file.")
    if path.is_dir():
        frames, numbers = list_frames(path)
        if not frames:
            raise CorpusError(f"{path}: no image files; pass a folder of numbered frames or a video file.")
        if not fps:
            raise CorpusError(f"{path}: a frame folder does not say its frame rate; pass --fps (e.g. 200 for "
                              f"SAMM, 30 for CAS(ME)^2).")
        return LongVideo("input", f"input/{path.name}", path.name, float(fps), [Path(f) for f in frames], list(numbers))
    if not is_video(path):
        raise CorpusError(f"{path}: neither a folder of frames nor a video (mp4, avi, mov, mkv, ...).")
    cap = cv2.VideoCapture(str(path))
    n, rate = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    if fps:
        rate = fps
    elif not rate or not math.isfinite(rate) or rate <= 0:
        raise CorpusError(f"{path}: the video does not say its frame rate; pass --fps.")
    elif not FPS_RANGE[0] <= rate <= FPS_RANGE[1]:
        raise CorpusError(f"{path}: the video says its frame rate is {rate:g}, outside {FPS_RANGE[0]:g} to "
                          f"{FPS_RANGE[1]:g}; pass its true rate with --fps.")
    return LongVideo("input", f"input/{path.stem}", path.stem, float(rate), [path] * max(n, 1), list(range(max(n, 1))))


HOLE_S = 0.1   # a run of missing frame numbers longer than this (and than 2 frames, a dropped frame or two) is a hole


def hole_limit(fps: float) -> int:
    """The most frames in a row a video may lack and still be spotted: 2, or 0.1 s where that is more
    (20 at SAMM-LV's 200 fps, 3 at CAS(ME)^2's 30)."""
    return max(2, round(HOLE_S * fps))


def holes(numbers) -> list[tuple[int, int]]:
    """(first, last) frame number of each run of numbers missing between a video's frames."""
    return [(a + 1, b - 1) for a, b in zip(numbers, numbers[1:]) if b - a > 1]


def check_spottable(video: LongVideo, cfg: SpotConfig, read: int | None = None) -> None:
    """The one check every spotter (lbp, mdmd, flow-tcn) makes of a video before reading it, and of
    the `read` frames once read: enough frames for one micro-expression interval, and no hole in its
    frame numbers over hole_limit (the frames either side of it would be taken for consecutive
    ones). Raises CorpusError in one sentence; each_video lists the video with it."""
    n = len(video.numbers) if read is None else read
    need = 2 * cfg.k(video.fps, "micro") + 1
    if n < need:   # no difference can be taken: nothing could be spotted, not "none found"
        raise CorpusError(f"{n} frame(s), fewer than the {need} of one micro-expression interval at {video.fps:g} "
                          f"fps, so nothing can be spotted; give a longer video.")
    long = [(a, b) for a, b in holes(video.numbers) if b - a + 1 > hole_limit(video.fps)]
    if long:
        a, b = long[0]
        raise CorpusError(f"frames {a}-{b} are missing ({b - a + 1} frames, {(b - a + 1) / video.fps:.2f} s at "
                          f"{video.fps:g} fps; {len(long)} such hole(s)), more than the {hole_limit(video.fps)} a "
                          f"video may skip, so the frames either side would be taken for consecutive ones; restore "
                          f"the frames, or give the parts either side as two videos.")


def short_holes(video: LongVideo) -> str | None:
    """What to say of a video spotted despite missing frames (each hole within hole_limit), or None."""
    found = holes(video.numbers)
    if not found or any(y - x + 1 > hole_limit(video.fps) for x, y in found):   # none, or left out (check_spottable)
        return None
    a, b = found[0]
    return (f"{video.key}: {sum(y - x + 1 for x, y in found)} frame(s) missing in {len(found)} hole(s) of at most "
            f"{hole_limit(video.fps)} (the first: frames {a}-{b}); spotted, the frames either side taken as "
            f"consecutive")


def frames_of(video: LongVideo) -> Iterator[tuple[int, np.ndarray]]:
    """(frame number, grey frame), streamed in order: one frame in memory at a time."""
    if video.frames and is_video(video.frames[0]):
        yield from iter_video(video.frames[0])
        return
    first = None
    for n, f in zip(video.numbers, video.frames):
        gray = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise CorpusError(f"{f}: cannot be read as an image; replace the frame or remove it from {f.parent}.")
        if first is None:
            first = (gray.shape, f)
        elif gray.shape != first[0]:   # as prepare_clip says it of a short clip
            raise CorpusError(f"{f}: {gray.shape} differs from the first frame's {first[0]} ({Path(first[1]).name}); "
                              f"all frames of a video must have one size.")
        yield n, gray


def _moved(a, b) -> float:
    return max(math.hypot(a[0] - b[0], a[1] - b[1]), abs(a[2] - b[2])) / max(a[2], 1.0)


def eye_points(face, square, size: int) -> np.ndarray | None:
    """The 12 eye landmarks (dlib's 36-47) in the pixels of the size x size crop of `square`: the
    detector's own where it gives landmarks, else the template's eye points placed in its box."""
    if face is None:
        return None
    if face.landmarks is not None:
        pts = np.asarray(face.landmarks[36:48], np.float64)
    else:
        x, y, w, h = face.box
        pts = np.array([x, y], np.float64) + faces.TEMPLATE[9:21] * np.array([w, h], np.float64)
    a = faces.crop_matrix(square, size)
    return pts @ a[:, :2].T + a[:, 2]


def ear_of(gray: np.ndarray, box) -> float:
    """The eye aspect ratio of the face in `box` (x, y, w, h) on this frame: dlib's 68 landmarks
    placed in the box (no detection), NaN without dlib."""
    if box is None or not faces.dlib_available():
        return float("nan")
    dlib, _, predictor = faces._dlib()
    x, y, w, h = box
    shape = predictor(np.ascontiguousarray(gray), dlib.rectangle(int(x), int(y), int(x + w - 1), int(y + h - 1)))
    return eye_aspect_ratio(np.array([(p.x, p.y) for p in shape.parts()], np.float32))


def tracked_crops(video: LongVideo, cfg: SpotConfig, prep: PrepConfig, info: dict) -> Iterator[tuple[np.ndarray, bool]]:
    """Per frame: the tracked face crop (cfg.crop px, blurred by cfg.denoise), and whether the crop
    moved there. `info` receives numbers, the face backend of the first frame, the re-crops, the eye
    points of the first face in crop pixels, and with cfg.eyes == "ear" the eye aspect ratio per frame."""
    square, box, every = None, None, max(1, round(cfg.redetect_s * video.fps))
    info.update(numbers=[], recrops=0, face=None, eyes=None, ear=[])
    for i, (n, gray) in enumerate(frames_of(video)):
        cut = False
        if i % every == 0:
            sq, served, face = find_square(gray, prep, None, source=video.key)
            if square is None:
                square, info["face"] = sq, served
                info["eyes"] = eye_points(face, sq, cfg.crop)
            elif served != "centre-square" and _moved(square, sq) > cfg.move:
                square, cut = sq, True
                info["recrops"] += 1
            if face is not None:
                box = face.box
        info["numbers"].append(n)
        if cfg.eyes == "ear":
            info["ear"].append(ear_of(gray, box))
        c = faces.crop(gray, square, cfg.crop)
        if cfg.denoise > 0:
            c = cv2.GaussianBlur(c, (0, 0), cfg.denoise)
        yield c, cut
    check_spottable(video, cfg, len(info["numbers"]))   # a video file may hold fewer frames than it said


def _one_video(func, video: LongVideo, *args):
    """func(video, *args) in a worker (OpenCV and torch single-threaded); a video that cannot be
    read or spotted becomes an Exclusion naming it and why."""
    import torch
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    try:
        return func(video, *args)
    except (CorpusError, OSError) as e:
        return Exclusion(video.dataset, video.video, f"spotting: {e}")


def each_video(func, videos: list[LongVideo], args: tuple, jobs: int = 1, desc: str = "spot",
               progress: bool = True) -> tuple[list[tuple[LongVideo, object]], list[Exclusion]]:
    """func(video, *args) for every video, one process per video, with a progress bar. Returns
    ([(video, result)] in the videos' order, [Exclusion] of the videos that failed, with the reason)."""
    from tqdm.auto import tqdm
    done, failed = [], []
    results = parallel.run(_one_video, ((func, v, *args) for v in videos), jobs)
    for v, r in zip(videos, tqdm(results, total=len(videos), desc=desc, disable=not progress)):
        if isinstance(r, Exclusion):
            failed.append(r)
        else:
            done.append((v, r))
    return done, failed
