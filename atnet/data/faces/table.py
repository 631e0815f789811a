"""`atnet faces`: one row per frame of a clip (a video or a folder of frames) with the face box, the
68 landmarks and the aligned square that frame would give as the reference, plus a montage of the
crops the pipeline takes (every frame cropped with the reference frame's square)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..datasets.base import CorpusError
from . import Square, crop, crop_matrix, locate
from .video import clip_frames, iter_clip

TILE = 128


def clip_faces(path: str | Path, backend: str, margin: float = 0.1, align: bool = True, manual=None,
               reference: int | None = None, montage_frames: int = 16):
    """(table, reference square, montage image or None). `reference` is a frame number (default:
    the first frame); the montage shows up to `montage_frames` frames spread over the clip."""
    path = Path(path)
    numbers, n = clip_frames(path)
    ref = numbers[0] if reference is None else reference
    if n and ref not in numbers:
        raise CorpusError(f"{path}: reference frame {ref} is outside the clip's frames {numbers[0]}..{numbers[-1]}; "
                          f"pass one of them.")
    show = {numbers[i] for i in np.linspace(0, n - 1, min(montage_frames, n)).round().astype(int)} if n else set()
    rows, kept, ref_sq, near = [], {}, None, None
    for number, gray in iter_clip(path):
        sq, served, face = locate(gray, backend, margin, align, manual, near, source=str(path))
        row = {"frame": number, "found": int(served == backend), "backend": served}
        if face is not None:
            x, y, w, h = face.box
            row.update(x=x, y=y, w=w, h=h)
            near = (x + w / 2, y + h / 2)
        row.update(cx=round(sq[0], 2), cy=round(sq[1], 2), side=round(sq[2], 2), angle=round(sq[3], 3))
        if face is not None and face.landmarks is not None:
            row.update({f"{a}{i}": round(float(v), 1) for i, p in enumerate(face.landmarks) for a, v in zip("xy", p)})
        rows.append(row)
        if number == ref:
            ref_sq = sq
        if number in show:
            kept[number] = (gray, face)
    if ref_sq is None:
        raise CorpusError(f"{path}: reference frame {ref} was not decoded; pass another --reference.")
    columns = ["frame", "found", "backend", "x", "y", "w", "h", "cx", "cy", "side", "angle"] + \
              [f"{a}{i}" for i in range(68) for a in "xy"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    return table, ref_sq, montage(kept, ref_sq) if kept else None


def montage(frames: dict, sq: Square, columns: int = 4) -> np.ndarray:
    """Tiles of frames cropped with one square, each frame's own landmarks drawn (red) and its
    number written: what the flow will see."""
    n = max(int(round(sq[2])), 1)
    M = crop_matrix(sq, n) * (TILE / n)
    tiles = []
    for number, (gray, face) in sorted(frames.items()):
        tile = cv2.cvtColor(crop(gray, sq, TILE), cv2.COLOR_GRAY2BGR)
        if face is not None and face.landmarks is not None:
            pts = face.landmarks @ M[:, :2].T + M[:, 2] + (TILE / n - 1) / 2
            for x, y in pts:
                cv2.circle(tile, (int(round(x)), int(round(y))), 1, (0, 0, 255), -1)
        cv2.putText(tile, str(number), (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)
