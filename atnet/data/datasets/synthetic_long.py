"""Synthetic long videos (`atnet synth OUT --long`) in the SAMM Long Videos and CAS(ME)^2 layouts,
with their workbooks, so that spotting is testable without the licensed corpora.

Each video is one synthetic subject's face (synthetic.identity: the astronaut with an identity's
geometry, shading and texture) over seconds to minutes, with what makes real recordings hard:
blinks every 2-6 s (larger than a micro-expression), a slow head drift (a smoothed random walk of
a few px) with a sway, a slow illumination drift (+-6 %), sensor noise and JPEG compression. On
that: micro-expressions (0.2-0.45 s, 0.5-2 px, the three classes' action units) and
macro-expressions (1-3 s, 3-6 px) at known, non-overlapping times, written into the workbook as
the corpus writes them (SAMM-LV: `Micro - 1/2` / `Macro`, V2 integer frames, 1-based;
CAS(ME)^2: three header-less sheets, `micro-expression` / `macro-expression`, the class in the
emotion column). Frames are 240 x 240 (a 150 px face) to keep the corpus small. Every draw is
seeded by (seed, corpus, subject, video)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from openpyxl import Workbook

from ...core import parallel
from ...core.classes import CLASSES
from .synthetic import LM, CorpusShape, _bumps, _profile, action_units, identity

SIZE = (240, 240)
FACE_PX = 150.0
LAYOUTS = {"samm-lv": dict(folder="SAMM-LV", fps=200.0, tag=21), "casme-sq": dict(folder="CASME_sq", fps=30.0, tag=22)}
EXPRESSIONS = ("disgust1", "anger1", "happy1", "disgust2", "anger2", "happy2")    # CAS(ME)^2 video names
CODES = ("0101", "0401", "0502", "0102", "0402", "0503")


@dataclass(frozen=True)
class Event:
    kind: str        # micro | macro | blink
    label: int       # class id for expressions (-1 for blinks)
    onset: int       # frame index (0-based)
    apex: int
    offset: int
    amp: float       # peak displacement, px


def plan_events(n: int, fps: float, rng, micro: int, macro: int) -> list[Event]:
    """Non-overlapping expressions (with 0.5 s between them) and blinks over n frames."""
    out: list[Event] = []
    taken: list[tuple[int, int]] = []
    want = ["macro"] * macro + ["micro"] * micro
    for kind in want:
        for _ in range(200):
            dur = rng.uniform(1.0, 3.0) if kind == "macro" else rng.uniform(0.2, 0.45)
            length = max(3, int(round(dur * fps)))
            start = int(rng.integers(int(fps), max(int(fps) + 1, n - length - int(fps))))
            gap = int(0.5 * fps)
            if all(start + length + gap < a or start > b + gap for a, b in taken):
                apex = start + int(round(length * rng.uniform(0.35, 0.6)))
                amp = rng.uniform(3.0, 6.0) if kind == "macro" else math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
                out.append(Event(kind, int(rng.integers(3)), start, apex, start + length - 1, amp))
                taken.append((start, start + length - 1))
                break
    t = rng.uniform(0.5, 3.0) * fps
    while t < n - fps:            # blinks may fall anywhere, as in real recordings
        length = max(2, int(round(rng.uniform(0.10, 0.15) * fps)))
        out.append(Event("blink", -1, int(t), int(t) + length // 2, int(t) + length - 1, rng.uniform(2.0, 4.0)))
        t += rng.uniform(2.0, 6.0) * fps
    return sorted(out, key=lambda e: e.onset)


def render(shape: CorpusShape, tag: int, seed: int, subject: int, video: int, n: int, events: list[Event]):
    """Yield (frame index, uint8 image)."""
    rng = np.random.default_rng([seed, tag, subject, video, 7])
    base, affine = identity(shape, seed, subject, tag=tag)
    w, h = shape.size
    fields = []
    for e in events:
        pts = action_units(e.label, rng) if e.kind != "blink" else \
            [(LM["eye_l"], (0, 1), 1.0, 0.06), (LM["eye_r"], (0, 1), 1.0, 0.06)]
        fx, fy = _bumps(pts, shape.face_px, shape.size, affine)
        peak = float(np.sqrt(fx ** 2 + fy ** 2).max()) or 1.0
        fx, fy = fx * (e.amp / peak), fy * (e.amp / peak)
        fold = 150.0 * (np.gradient(fx, axis=1) + np.gradient(fy, axis=0)) if e.kind != "blink" else None
        fields.append((e, fx, fy, fold))
    t = np.arange(n, dtype=np.float64)
    walk = np.cumsum(rng.standard_normal((n, 2)), axis=0)
    walk = cv2.GaussianBlur(walk.astype(np.float32), (1, 0), sigmaX=0, sigmaY=shape.fps) if n > 1 else walk
    walk = np.asarray(walk, np.float64)
    walk = 3.0 * (walk - walk.mean(0)) / (np.abs(walk - walk.mean(0)).max(0) + 1e-6)      # +-3 px drift
    sway = rng.uniform(0, 0.3) * np.sin(2 * math.pi * rng.uniform(0.1, 0.4) * t / shape.fps + rng.uniform(0, 6.3))
    gain = 1 + 0.06 * np.sin(2 * math.pi * t / (shape.fps * rng.uniform(20, 60)) + rng.uniform(0, 6.3))
    noise = rng.uniform(1.0, 2.0)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    active = [(e, fx, fy, fold) for e, fx, fy, fold in fields]
    for i in range(n):
        mx = gx - np.float32(walk[i, 0] + sway[i])
        my = gy - np.float32(walk[i, 1])
        shade = None
        for e, fx, fy, fold in active:
            if e.onset <= i <= e.offset:
                a = np.float32(_profile(np.array([float(i)]), e.onset, e.apex, e.offset)[0])
                mx, my = mx - a * fx, my - a * fy
                if fold is not None:
                    shade = a * fold if shade is None else shade + a * fold
        img = cv2.remap(base, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if shade is not None:
            img = img + shade
        img = img * np.float32(gain[i]) + rng.standard_normal((h, w), dtype=np.float32) * noise
        yield i, np.clip(img + 0.5, 0, 255).astype(np.uint8)


def video_dir(root: Path, layout: str, subject: int, video: int) -> Path:
    if layout == "samm-lv":
        return root / "SAMM_longvideos" / f"{subject + 6:03d}_{video + 1}"
    return root / "rawpic" / f"s{subject + 15}" / f"{subject + 15}_{CODES[video]}synthetic"


def frame_name(layout: str, d: Path, i: int, n: int) -> str:
    if layout == "samm-lv":
        return f"{d.name}_{i + 1:0{5 if n > 9999 else 4}d}.jpg"
    return f"img{i + 1:03d}.jpg"


def write_video(root: Path, layout: str, seed: int, subject: int, video: int, seconds: float,
                micro: int, macro: int) -> list[Event]:
    spec = LAYOUTS[layout]
    shape = CorpusShape(layout, spec["folder"], spec["fps"], SIZE, FACE_PX, (0, 0, 0), 0)
    n = int(round(seconds * spec["fps"]))
    rng = np.random.default_rng([seed, spec["tag"], subject, video])
    events = plan_events(n, spec["fps"], rng, micro, macro)
    d = video_dir(root, layout, subject, video)
    d.mkdir(parents=True, exist_ok=True)
    q = [cv2.IMWRITE_JPEG_QUALITY, 90]
    for i, img in render(shape, spec["tag"], seed, subject, video, n, events):
        cv2.imwrite(str(d / frame_name(layout, d, i, n)), img, q)
    return [e for e in events if e.kind != "blink"]


def write_workbooks(root: Path, layout: str, videos: dict) -> Path:
    """videos: {(subject, video): [Event]} -> the workbook, in the corpus's own format."""
    wb = Workbook()
    ws = wb.active
    if layout == "samm-lv":
        ws.title = "FACS_Movement_Only"
        for note in ["SAMM Long Videos Dataset - FACS Codes (synthetic, generated by atnet synth --long)", None,
                     "Symbol Key:", '"/" = or', None, "AU Help:", '"L2 or R2" = Unilateral AU 2', None,
                     "NOTE: Subjects with Apex Frame not annotated were labelled as -1."]:
            ws.append([note])
        ws.append(["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
                   "Action Units", "Notes"])
        for (s, v), events in sorted(videos.items()):
            for k, e in enumerate(events, 1):
                ws.append([f"{s + 6:03d}", f"{s + 6:03d}_{v + 1}_{k}", v + 1, e.onset + 1, e.apex + 1, e.offset + 1,
                           e.offset - e.onset + 1, "Macro" if e.kind == "macro" else "Micro - 1/2",
                           ("4+7", "12", "1+2")[e.label], None])
        path = root / "SAMM_LongVideos_V2_Release.xlsx"
    else:
        ws.title = "CASFEcode_final"
        rule1 = wb.create_sheet("naming rule1")
        rule2 = wb.create_sheet("naming rule2")
        for (s, v), events in sorted(videos.items()):
            for k, e in enumerate(events, 1):
                ws.append([s + 1, f"{EXPRESSIONS[v]}_{k}", e.onset + 1, e.apex + 1, e.offset + 1,
                           ("4+7", "12", "1+2")[e.label], CLASSES[e.label],
                           "macro-expression" if e.kind == "macro" else "micro-expression", CLASSES[e.label]])
                rule1.append([s + 15, f"s{s + 15}", s + 1])
        for code, name in zip(CODES, EXPRESSIONS):
            rule2.append([code, name])
        path = root / "CAS(ME)^2code_final.xlsx"
    wb.save(path)
    return path


def synthesize_long(out: str | Path, seed: int = 0, subjects: int = 3, videos: int = 2,
                    seconds: dict | None = None, micro: int = 4, macro: int = 2, jobs: int = 2) -> dict[str, Path]:
    """Both layouts under OUT (SAMM-LV/, CASME_sq/); returns {"samm-lv": root, "casme-sq": root}.
    `seconds`: video length per layout (default SAMM-LV 20 s at 200 fps, CAS(ME)^2 40 s at 30 fps)."""
    out = Path(out)
    seconds = {"samm-lv": 20.0, "casme-sq": 40.0, **(seconds or {})}
    roots = {}
    for layout, spec in LAYOUTS.items():
        root = out / spec["folder"]
        root.mkdir(parents=True, exist_ok=True)
        calls = [(root, layout, seed, s, v, seconds[layout], micro, macro)
                 for s in range(subjects) for v in range(videos)]
        events = dict(zip([(c[3], c[4]) for c in calls], parallel.run(write_video, calls, jobs)))
        write_workbooks(root, layout, events)
        roots[layout] = root
    return roots
