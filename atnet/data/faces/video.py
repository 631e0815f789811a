"""Clips as input: a folder of numbered frames or a video file (mp4, avi, ...), read in order.

Video is decoded with OpenCV, sequentially from the first frame (no seeking, so no keyframe
rounding): frame i is the i-th decoded frame, numbered from 0. The count is checked against the
count the container declares, so a truncated file is reported, not silently cut short."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ...core.readers import read_gray
from ..datasets.base import CorpusError, Sample, list_frames

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv"}
REENCODE = "re-encode it (e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`) or extract its frames into a folder"


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _open(path: Path) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise CorpusError(f"{path}: cannot be opened as a video; {REENCODE}.")
    return cap


def video_length(path: str | Path) -> int:
    """Frames the container declares (0 when it does not say)."""
    cap = _open(Path(path))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    return max(n, 0)


def iter_video(path: str | Path) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, grayscale uint8 frame) for every frame, in decoding order."""
    path = Path(path)
    cap = _open(path)
    declared = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    n = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield n, frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            n += 1
    finally:
        cap.release()
    if n == 0:
        raise CorpusError(f"{path}: no frame could be decoded; {REENCODE}.")
    if declared and n != declared:
        raise CorpusError(f"{path}: decoded {n} frames but the file declares {declared}; it is damaged or "
                          f"truncated: {REENCODE}.")


def clip_frames(path: str | Path) -> tuple[list[int], int]:
    """The frame numbers of a clip (a folder's file numbers or a video's 0..n-1) without decoding."""
    path = Path(path)
    if path.is_dir():
        numbers = list(list_frames(path)[1])
        if not numbers:
            raise CorpusError(f"{path}: no image files in the folder; pass a folder of numbered frames or a video.")
        return numbers, len(numbers)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or folder; pass a video file or a folder of frames.")
    if not is_video(path):
        raise CorpusError(f"{path}: neither a folder of frames nor a video ({', '.join(sorted(VIDEO_SUFFIXES))}); "
                          f"pass one of those.")
    n = video_length(path)
    return list(range(n)), n


def iter_clip(path: str | Path) -> Iterator[tuple[int, np.ndarray]]:
    """(frame number, grayscale uint8 frame) of a folder (ordered by the number in each file name)
    or of a video (0, 1, 2, ... in decoding order)."""
    path = Path(path)
    if not path.is_dir():
        clip_frames(path)   # the clear errors for a missing or unknown file
        yield from iter_video(path)
        return
    files, numbers = list_frames(path)
    if not files:
        raise CorpusError(f"{path}: no image files in the folder; pass a folder of numbered frames or a video.")
    for n, f in zip(numbers, files):
        yield n, read_gray(f)


def video_sample(path: str | Path, dataset: str, subject: str, clip: str, label: str, onset: int, apex: int,
                 offset: int) -> Sample:
    """A corpus Sample whose frames are a video's (frame numbers 0..n-1, the video's index): prepare
    reads it like a frame folder. onset, apex and offset are frame indices in the video."""
    path = Path(path)
    cap = _open(path)
    n, fps = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0), float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
    cap.release()
    if n == 0:
        n = sum(1 for _ in iter_video(path))
    if not 0 <= onset <= apex <= offset < n:
        raise CorpusError(f"{path}: onset {onset}, apex {apex}, offset {offset} must be in order within the video's "
                          f"frames 0..{n - 1}.")
    return Sample(dataset, f"{dataset}/{subject}", clip, label, onset, apex, offset, fps, (str(path),) * n,
                  tuple(range(n)))
