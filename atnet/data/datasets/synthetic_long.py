"""Synthetic long videos (`atnet synth OUT --long`) in the SAMM Long Videos and CAS(ME)^2 layouts,
with their workbooks, so that spotting is testable without the licensed corpora.

Each video is one synthetic subject's face (synthetic.identity: the astronaut with an identity's
geometry, shading and texture; one identity per subject) over seconds to minutes, with
micro-expressions (the three classes' action units as smooth local displacements) and
macro-expressions at known, non-overlapping times, written into the workbook as the corpus writes
them (SAMM-LV: `Micro - 1/2` / `Macro`, V2 integer frames, 1-based; CAS(ME)^2: three header-less
sheets, `micro-expression` / `macro-expression`, the class in the emotion column), and the nuisances
of a real recording, which no workbook lists. Frames are 240 x 240 (a 150 px face) to keep the
corpus small. Every draw is seeded by (seed, corpus, subject, video).

How hard the videos are is one `Nuisances` value. `REALISTIC` (the default) is modelled on a
measurement with real face photographs (60 s at 30 fps, micro-expressions of 1.5-3 px over 6-13
frames, macro-expressions of 4-8 px over 1-3 s, head motion up to 4 px and 1 degree, illumination
drift 5 %, sensor noise sigma 2, JPEG 92, unannotated blinks), on which the reference spotter scores
an overall F1 of 0.025-0.029 (published training-free baselines on the real corpora: 0.04-0.05):
  sensor noise     Gaussian, sigma 2 grey levels, new every frame (`noise`);
  compression      JPEG quality 92 (`jpeg`);
  blinks           unannotated, every 2-6 s, 0.1-0.4 s long: the upper eyelid slides down over the
                   eye by 5-8 px (about the eye's opening here: some blinks close it fully, some
                   not), hiding it: a larger and faster change than any micro-expression (`blink_*`);
  head motion      a random walk smoothed over 1 s and scaled to +-4 px over the video (so a video
                   of a few seconds moves faster than a long one), a 0.1-0.4 Hz sway of up to 0.3
                   px and an in-plane rotation about the face's centre, a random walk smoothed over
                   2 s and scaled to +-1 degree (`drift_px`, `sway_px`, `rotate_deg`);
  illumination     a slow gain drift of +-5 % over 20-60 s (`light`);
  micro-expression 0.2-0.45 s, peak displacement 1-3 px at the spotter's 128 px face crop (log-
                   uniform; x 1.41 in the frame, whose dlib face square is about 180 px) (`micro_*`);
  macro-expression 0.5-4 s, 4-8 px at the crop; those over 1.5 s hold their apex for 20-50 % of
                   their length (a plateau, as posed and spontaneous macro-expressions do) (`macro_*`,
                   `hold*`);
  skin shading     none (`fold` 0): the expressions are displacements only, as in the real-photo
                   measurement; the old term (150 grey levels per unit of divergence: about 50 grey
                   levels at a 3 px expression) made the skin change far more visibly than real skin
                   does at these amplitudes, and made expressions far easier to spot than blinks.
`CLEAN` (`atnet synth OUT --long --clean`) is the corpus as it was first written, frame for frame:
noise sigma 1-2, JPEG 90, blinks 0.10-0.15 s shifting the eyes by 2-4 px, a +-3 px drift and no
rotation, +-6 % illumination, micro-expressions 0.5-2 px and macro-expressions 3-6 px (frame px)
over 1-3 s with no plateau, and the shading term.
On the default corpus (3 subjects, 2 videos each, 4 micro- and 2 macro-expressions a video) the
reference scores an overall F1 of 0.13-0.14 with `--auto-p` on REALISTIC (0.36-0.47 on CLEAN) and
0.08-0.10 at p 0.15 (0.07-0.08 on CLEAN: at p 0.15 it proposes so many intervals that F1 follows
how many expressions a minute holds, here several times the real corpora's, more than how visible
they are)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from openpyxl import Workbook

from ...core import parallel
from ...core.classes import CLASSES
from .synthetic import FACE_CENTRE, LM, CorpusShape, _bumps, _profile, action_units, identity

SIZE = (240, 240)
FACE_PX = 150.0
CROP_PX = 128.0             # the spotter's face crop side (SpotConfig.crop)
SQUARE_PX = 1.2 * FACE_PX   # the face square it crops in these frames (dlib with the 0.1 margin: 170-205 px)
TO_FRAME = SQUARE_PX / CROP_PX    # px at the crop -> px in the frame
LAYOUTS = {"samm-lv": dict(folder="SAMM-LV", fps=200.0, tag=21), "casme-sq": dict(folder="CASME_sq", fps=30.0, tag=22)}
EXPRESSIONS = ("disgust1", "anger1", "happy1", "disgust2", "anger2", "happy2")    # CAS(ME)^2 video names
CODES = ("0101", "0401", "0502", "0102", "0402", "0503")


@dataclass(frozen=True)
class Nuisances:
    """What makes a long video hard; ranges are (low, high), drawn per video or per event. Lengths
    in seconds, displacements in frame px, noise in grey levels."""
    noise: tuple[float, float]          # sensor noise sigma, one per video, new noise every frame
    jpeg: int                           # JPEG quality of the frames
    blink_lid: bool                     # blinks: the eyelid covers the eye (True) or the eyes shift down
    blink_px: tuple[float, float]       # ... by this many px
    blink_s: tuple[float, float]        # blink length
    blink_every_s: tuple[float, float]  # time from one blink to the next
    drift_px: float                     # head drift: a smoothed random walk scaled to +- this
    sway_px: float                      # ... plus a sway of up to this amplitude
    rotate_deg: float                   # ... and an in-plane rotation, a smoothed random walk to +- this
    light: float                        # illumination: gain drift +- this share
    micro_s: tuple[float, float]        # micro-expression length
    micro_px: tuple[float, float]       # ... peak displacement (log-uniform)
    macro_s: tuple[float, float]        # macro-expression length
    macro_px: tuple[float, float]       # ... peak displacement (uniform)
    hold_after_s: float                 # macro-expressions longer than this hold their apex ...
    hold: tuple[float, float]           # ... for this share of their length
    fold: float                         # skin shading: grey levels per unit of divergence of the field


CLEAN = Nuisances(noise=(1.0, 2.0), jpeg=90, blink_lid=False, blink_px=(2.0, 4.0), blink_s=(0.10, 0.15),
                  blink_every_s=(2.0, 6.0), drift_px=3.0, sway_px=0.3, rotate_deg=0.0, light=0.06,
                  micro_s=(0.2, 0.45), micro_px=(0.5, 2.0), macro_s=(1.0, 3.0), macro_px=(3.0, 6.0),
                  hold_after_s=math.inf, hold=(0.0, 0.0), fold=150.0)
REALISTIC = Nuisances(noise=(2.0, 2.0), jpeg=92, blink_lid=True, blink_px=(5.0, 8.0), blink_s=(0.10, 0.40),
                      blink_every_s=(2.0, 6.0), drift_px=4.0, sway_px=0.3, rotate_deg=1.0, light=0.05,
                      micro_s=(0.2, 0.45), micro_px=(1.0 * TO_FRAME, 3.0 * TO_FRAME), macro_s=(0.5, 4.0),
                      macro_px=(4.0 * TO_FRAME, 8.0 * TO_FRAME), hold_after_s=1.5, hold=(0.2, 0.5), fold=0.0)


@dataclass(frozen=True)
class Event:
    kind: str        # micro | macro | blink
    label: int       # class id for expressions (-1 for blinks)
    onset: int       # frame index (0-based)
    apex: int
    offset: int
    amp: float       # peak displacement, px
    hold: int = 0    # frames held at the apex (centred on it)


def plan_events(n: int, fps: float, rng, micro: int, macro: int, nuisances: Nuisances = CLEAN) -> list[Event]:
    """Non-overlapping expressions (with 0.5 s between them) and blinks over n frames."""
    z = nuisances
    out: list[Event] = []
    taken: list[tuple[int, int]] = []
    want = ["macro"] * macro + ["micro"] * micro
    for kind in want:
        for _ in range(200):
            dur = rng.uniform(*z.macro_s) if kind == "macro" else rng.uniform(*z.micro_s)
            length = max(3, int(round(dur * fps)))
            start = int(rng.integers(int(fps), max(int(fps) + 1, n - length - int(fps))))
            gap = int(0.5 * fps)
            if start + length > n:    # a video too short for it
                continue
            if all(start + length + gap < a or start > b + gap for a, b in taken):
                apex = start + int(round(length * rng.uniform(0.35, 0.6)))
                amp = rng.uniform(*z.macro_px) if kind == "macro" else \
                    math.exp(rng.uniform(math.log(z.micro_px[0]), math.log(z.micro_px[1])))
                label = int(rng.integers(3))
                hold = int(round(length * rng.uniform(*z.hold))) if kind == "macro" and dur > z.hold_after_s else 0
                hold = min(hold, 2 * (apex - start) - 2, 2 * (start + length - 1 - apex) - 2)
                out.append(Event(kind, label, start, apex, start + length - 1, amp, max(hold, 0)))
                taken.append((start, start + length - 1))
                break
    t = rng.uniform(0.5, 3.0) * fps
    while t < n - fps:            # blinks may fall anywhere, as in real recordings
        length = max(2, int(round(rng.uniform(*z.blink_s) * fps)))
        out.append(Event("blink", -1, int(t), int(t) + length // 2, int(t) + length - 1, rng.uniform(*z.blink_px)))
        t += rng.uniform(*z.blink_every_s) * fps
    return sorted(out, key=lambda e: e.onset)


def strength(e: Event, i: int) -> float:
    """The event's share of its peak displacement at frame i: a raised cosine up from the onset, the
    hold (if any) around the apex, a raised cosine down to the offset."""
    if not e.hold:
        return float(_profile(np.array([float(i)]), e.onset, e.apex, e.offset)[0])
    top, end = e.apex - e.hold / 2, e.apex + e.hold / 2
    if top <= i <= end:
        return 1.0
    return float(_profile(np.array([float(i)]), e.onset, top if i < top else end, e.offset)[0])


def eyelids(face_px: float, size, affine) -> tuple[np.ndarray, np.ndarray]:
    """A blink's displacement field at full closure, peak 1: over each eye's opening and the lid
    above it the image moves down (the lid's skin slides over the eye); below the lower lid nothing
    moves, so the eye is hidden, not shifted."""
    w, h = size
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fy = np.zeros((h, w), np.float32)
    for name in ("eye_l", "eye_r"):
        cx, cy = affine @ np.array([*LM[name], 1.0])
        u, v = (gx - cx) / face_px, (gy - cy) / face_px
        across = np.exp(-u ** 2 / (2 * 0.06 ** 2))
        above, below = -0.04, 0.025          # from the upper lid's crease to the lower lid, face units
        down = np.where(v < above, np.exp(-(v - above) ** 2 / (2 * 0.035 ** 2)),
                        np.where(v > below, np.exp(-(v - below) ** 2 / (2 * 0.008 ** 2)), 1.0))
        fy = np.maximum(fy, (across * down).astype(np.float32))
    return np.zeros_like(fy), fy


def render(shape: CorpusShape, tag: int, seed: int, subject: int, video: int, n: int, events: list[Event],
           nuisances: Nuisances = CLEAN):
    """Yield (frame index, uint8 image)."""
    z = nuisances
    rng = np.random.default_rng([seed, tag, subject, video, 7])
    base, affine = identity(shape, seed, subject, tag=tag)
    w, h = shape.size
    fields = []
    for e in events:
        if e.kind == "blink" and z.blink_lid:
            fx, fy = eyelids(shape.face_px, shape.size, affine)
        else:
            pts = action_units(e.label, rng) if e.kind != "blink" else \
                [(LM["eye_l"], (0, 1), 1.0, 0.06), (LM["eye_r"], (0, 1), 1.0, 0.06)]
            fx, fy = _bumps(pts, shape.face_px, shape.size, affine)
        peak = float(np.sqrt(fx ** 2 + fy ** 2).max()) or 1.0
        fx, fy = fx * (e.amp / peak), fy * (e.amp / peak)
        fold = z.fold * (np.gradient(fx, axis=1) + np.gradient(fy, axis=0)) \
            if e.kind != "blink" and z.fold else None
        fields.append((e, fx, fy, fold))
    t = np.arange(n, dtype=np.float64)
    walk = np.cumsum(rng.standard_normal((n, 2)), axis=0)
    walk = cv2.GaussianBlur(walk.astype(np.float32), (1, 0), sigmaX=0, sigmaY=shape.fps) if n > 1 else walk
    walk = np.asarray(walk, np.float64)
    walk = z.drift_px * (walk - walk.mean(0)) / (np.abs(walk - walk.mean(0)).max(0) + 1e-6)      # +-drift px
    sway = rng.uniform(0, z.sway_px) * np.sin(2 * math.pi * rng.uniform(0.1, 0.4) * t / shape.fps + rng.uniform(0, 6.3))
    gain = 1 + z.light * np.sin(2 * math.pi * t / (shape.fps * rng.uniform(20, 60)) + rng.uniform(0, 6.3))
    noise = rng.uniform(*z.noise)
    turn = None
    if z.rotate_deg:       # a slower random walk than the drift's, to +- rotate_deg
        turn = np.cumsum(rng.standard_normal(n))
        if n > 1:
            turn = cv2.GaussianBlur(turn.astype(np.float32)[:, None], (1, 0), sigmaX=0, sigmaY=2 * shape.fps)[:, 0]
        turn = np.asarray(turn, np.float64) - np.mean(turn)
        turn = np.radians(z.rotate_deg) * turn / (np.abs(turn).max() + 1e-6)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    cx, cy = (affine @ np.array([*FACE_CENTRE, 1.0])).astype(np.float32)
    active = [(e, fx, fy, fold) for e, fx, fy, fold in fields]
    for i in range(n):
        if turn is None:
            mx = gx - np.float32(walk[i, 0] + sway[i])
            my = gy - np.float32(walk[i, 1])
        else:             # about the face's centre: the frame at p shows the face at R(p - c) + c - walk
            c, s = np.float32(math.cos(turn[i])), np.float32(math.sin(turn[i]))
            mx = cx + c * (gx - cx) - s * (gy - cy) - np.float32(walk[i, 0] + sway[i])
            my = cy + s * (gx - cx) + c * (gy - cy) - np.float32(walk[i, 1])
        shade = None
        for e, fx, fy, fold in active:
            if e.onset <= i <= e.offset:
                a = np.float32(strength(e, i))
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
                micro: int, macro: int, nuisances: Nuisances = CLEAN) -> list[Event]:
    spec = LAYOUTS[layout]
    shape = CorpusShape(layout, spec["folder"], spec["fps"], SIZE, FACE_PX, (0, 0, 0), 0)
    n = int(round(seconds * spec["fps"]))
    rng = np.random.default_rng([seed, spec["tag"], subject, video])
    events = plan_events(n, spec["fps"], rng, micro, macro, nuisances)
    d = video_dir(root, layout, subject, video)
    d.mkdir(parents=True, exist_ok=True)
    q = [cv2.IMWRITE_JPEG_QUALITY, nuisances.jpeg]
    for i, img in render(shape, spec["tag"], seed, subject, video, n, events, nuisances):
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
                    seconds: dict | None = None, micro: int = 4, macro: int = 2, jobs: int = 2,
                    nuisances: Nuisances = REALISTIC) -> dict[str, Path]:
    """Both layouts under OUT (SAMM-LV/, CASME_sq/); returns {"samm-lv": root, "casme-sq": root}.
    `subjects` (one identity each) with `videos` each; `seconds`: video length per layout (default
    SAMM-LV 20 s at 200 fps, CAS(ME)^2 60 s at 30 fps: 4 micro- and 2 macro-expressions a minute, the
    density of the real-photo measurement; CLEAN keeps its first 40 s); `micro`, `macro`: expressions
    per video (fewer where a video is too short for them); `nuisances`: REALISTIC, CLEAN (the first
    corpus, frame for frame) or any other Nuisances."""
    out = Path(out)
    seconds = {"samm-lv": 20.0, "casme-sq": 40.0 if nuisances == CLEAN else 60.0, **(seconds or {})}
    roots = {}
    for layout, spec in LAYOUTS.items():
        root = out / spec["folder"]
        root.mkdir(parents=True, exist_ok=True)
        calls = [(root, layout, seed, s, v, seconds[layout], micro, macro, nuisances)
                 for s in range(subjects) for v in range(videos)]
        events = dict(zip([(c[3], c[4]) for c in calls], parallel.run(write_video, calls, jobs)))
        write_workbooks(root, layout, events)
        roots[layout] = root
    return roots
