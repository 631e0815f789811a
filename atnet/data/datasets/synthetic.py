"""The embedded synthetic corpus: three corpora shaped like CASME II, SAMM and SMIC-HS (their folder
layouts, frame naming, fps, resolutions and annotation files), so the same adapters read synthetic
and real data alike.

Faces are scikit-image's astronaut (a real face) with per-subject identity variation: geometry
(scale, aspect, roll, a smooth elastic warp), shading (a gradient, gamma) and texture (contrast,
a fixed low-pass texture). A micro-expression is a smooth local displacement field in the style of
facial action units, peaking at 0.2-2 px (log-uniform) with onset-apex-offset of 40-500 ms:
  positive: AU12 lip corners up and out (sometimes one side), with AU6 cheeks;
  negative: AU4 brows lowered and drawn together, AU9 nose wrinkle, AU15 lip corners down;
  surprise: AU1+2 brows raised, AU26 jaw dropped.
Skin that the movement compresses darkens and stretched skin lightens (folds and furrows, in
proportion to the field's divergence, a few gray levels at the largest expressions): the static
cue that lets an apex-frame classifier see anything, and that also disturbs brightness constancy
for the flow, as real wrinkles do.
What makes real clips hard is there too: blinks (larger than the expression), small head motion,
illumination drift, sensor noise and JPEG compression. Every random draw is seeded by
(seed, corpus, clip), so the corpus is deterministic whatever the number of workers.
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from openpyxl import Workbook
from tqdm.auto import tqdm

from ...core import parallel
from ...core.cache import atomic, write_atomic

# Landmarks on skimage.data.astronaut() (512 x 512), read off the image once by eye.
LM = {
    "brow_in_l": (214, 92), "brow_in_r": (235, 92), "brow_out_l": (195, 90), "brow_out_r": (255, 92),
    "eye_l": (202, 101), "eye_r": (247, 103), "cheek_l": (203, 117), "cheek_r": (246, 118),
    "nose_l": (214, 126), "nose_r": (237, 126), "mouth_l": (204, 141), "mouth_r": (246, 141),
    "chin": (224, 165),
}
FACE_CENTRE = (224.5, 113.5)  # centre of OpenCV's Haar box on the astronaut (177, 66, 95, 95)
FACE_SIZE = 95.0


@dataclass(frozen=True)
class CorpusShape:
    name: str
    folder: str
    fps: float
    size: tuple[int, int]        # frame width, height
    face_px: float               # mean face (Haar box) width in the frame
    classes: tuple[int, int, int]  # clips per class (negative, positive, surprise), full composite
    subjects: int                # subjects, full composite


SHAPES = (
    CorpusShape("casme2", "CASME2", 200.0, (640, 480), 240.0, (88, 32, 25), 24),
    CorpusShape("samm", "SAMM", 200.0, (400, 400), 280.0, (92, 26, 15), 28),
    CorpusShape("smic", "SMIC", 100.0, (640, 480), 190.0, (70, 51, 43), 16),
)
LABELS = ("negative", "positive", "surprise")
EMOTIONS = {"casme2": (("disgust", "repression"), ("happiness",), ("surprise",)),
            "samm": (("Anger", "Contempt", "Disgust", "Fear", "Sadness"), ("Happiness",), ("Surprise",))}
DEFAULT_SUBJECTS = (6, 6, 4)     # the demo's size: subjects per corpus
DEFAULT_FRACTION = 0.4          # ... and the fraction of the composite's clips per class
VERSION = 2                     # bump when the same settings render different clips
HEAD_DRIFT_PX = 0.45            # largest linear head drift over a clip (x and y)
HEAD_SWAY_PX = 0.15             # largest sinusoidal head sway amplitude
FOLD_GRAY = 150.0               # skin folding: gray levels per unit of area change (div of the AU field)


@dataclass(frozen=True)
class ClipPlan:
    corpus: str
    subject: int                 # index within the corpus
    name: str                    # clip name as the corpus writes it
    label: int
    start: int                   # first frame number
    n: int                       # frames in the clip
    onset: int
    apex: int
    offset: int


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    from skimage import data
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY).astype(np.float32)


def _smooth_field(rng, shape, scale_px, amp) -> np.ndarray:
    """A random smooth scalar field with standard deviation about `amp`."""
    h, w = shape
    small = rng.standard_normal((max(2, int(h / scale_px)) + 1, max(2, int(w / scale_px)) + 1)).astype(np.float32)
    f = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return f * (amp / (f.std() + 1e-6))


def identity(shape: CorpusShape, seed: int, subject: int, tag: int | None = None):
    """A subject's neutral face in frame coordinates and the astronaut -> frame affine (2 x 3).
    `tag` seeds a corpus that is not one of SHAPES (the synthetic macro corpora)."""
    rng = np.random.default_rng([seed, SHAPES.index(shape) if tag is None else tag, 1000 + subject])
    w, h = shape.size
    s = shape.face_px / FACE_SIZE * rng.uniform(0.92, 1.08)
    aspect = rng.uniform(0.94, 1.06)
    rot = math.radians(rng.uniform(-4, 4))
    cx, cy = w / 2 + rng.uniform(-0.05, 0.05) * w, h / 2 + rng.uniform(-0.04, 0.04) * h
    a = np.array([[s * aspect * math.cos(rot), -s * math.sin(rot)],
                  [s * aspect * math.sin(rot), s * math.cos(rot)]])
    t = np.array([cx, cy]) - a @ np.array(FACE_CENTRE)
    affine = np.hstack([a, t[:, None]]).astype(np.float32)
    img = cv2.warpAffine(astronaut(), affine, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    # elastic geometry: a smooth warp of about 2% of the face size
    ex = _smooth_field(rng, (h, w), shape.face_px / 2, 0.02 * shape.face_px)
    ey = _smooth_field(rng, (h, w), shape.face_px / 2, 0.02 * shape.face_px)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    img = cv2.remap(img, gx + ex, gy + ey, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    # texture and shading: contrast, gamma, a fixed low-pass texture, an illumination gradient
    img = (img - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-15, 15)
    img += _smooth_field(rng, (h, w), 3.0, rng.uniform(3, 8))
    ang = rng.uniform(0, 2 * math.pi)
    ramp = ((gx - w / 2) * math.cos(ang) + (gy - h / 2) * math.sin(ang)) / max(w, h)
    img *= 1 + rng.uniform(0.1, 0.5) * ramp
    img = 255 * (np.clip(img, 0, 255) / 255) ** rng.uniform(0.8, 1.25)
    return img.astype(np.float32), affine


def _bumps(points, sigma_px, shape, affine) -> tuple[np.ndarray, np.ndarray]:
    """Sum of Gaussian bumps, each ((x, y) on the astronaut, (dx, dy) unit-ish vector, weight)."""
    w, h = shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fx = np.zeros((h, w), np.float32)
    fy = np.zeros((h, w), np.float32)
    lin = affine[:, :2]
    for (px, py), (dx, dy), wt, sig in points:
        cx, cy = affine @ np.array([px, py, 1.0])
        vx, vy = lin @ np.array([dx, dy]) / np.linalg.norm(lin @ np.array([dx, dy]) + 1e-9)
        s = sig * sigma_px
        g = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * s * s)) * wt
        fx += g * vx
        fy += g * vy
    return fx, fy


def action_units(label: int, rng) -> list:
    """Bumps for one expression: (landmark, direction, weight, sigma in face-size units)."""
    L = LM
    if label == 1:  # positive: AU12 (+ AU6)
        sides = [("l", -1), ("r", 1)]
        if rng.random() < 0.25:
            sides = [sides[rng.integers(2)]]
        out = [(L[f"mouth_{s}"], (0.45 * sg, -0.9), 1.0, 0.09) for s, sg in sides]
        if rng.random() < 0.5:
            out += [(L[f"cheek_{s}"], (0.0, -1.0), 0.4, 0.08) for s, _ in sides]
        return out
    if label == 0:  # negative: AU4, AU9, AU15
        au = [rng.random() < 0.8, rng.random() < 0.5, rng.random() < 0.3]
        if not any(au):
            au[0] = True
        out = []
        if au[0]:
            out += [(L["brow_in_l"], (0.55, 0.85), 1.0, 0.08), (L["brow_in_r"], (-0.55, 0.85), 1.0, 0.08),
                    (L["brow_out_l"], (0.3, 0.7), 0.5, 0.08), (L["brow_out_r"], (-0.3, 0.7), 0.5, 0.08)]
        if au[1]:
            out += [(L["nose_l"], (0.3, -1.0), 0.8, 0.07), (L["nose_r"], (-0.3, -1.0), 0.8, 0.07)]
        if au[2]:
            out += [(L["mouth_l"], (0.0, 1.0), 0.8, 0.08), (L["mouth_r"], (0.0, 1.0), 0.8, 0.08)]
        return out
    out = [(L[k], (0.0, -1.0), 1.0, 0.09) for k in ("brow_in_l", "brow_in_r", "brow_out_l", "brow_out_r")]
    if rng.random() < 0.6:  # AU26
        out.append((L["chin"], (0.0, 1.0), 1.0, 0.15))
    return out


def _profile(t: np.ndarray, onset: float, apex: float, offset: float) -> np.ndarray:
    """Raised-cosine rise onset -> apex and fall apex -> offset; 0 outside."""
    up = np.clip((t - onset) / max(apex - onset, 1e-6), 0, 1)
    down = np.clip((offset - t) / max(offset - apex, 1e-6), 0, 1)
    return np.where(t <= apex, 0.5 - 0.5 * np.cos(np.pi * up), 0.5 - 0.5 * np.cos(np.pi * down))


def render_clip(shape: CorpusShape, plan: ClipPlan, seed: int, base: np.ndarray, affine: np.ndarray):
    """Yield (frame number, uint8 image) for one clip."""
    rng = np.random.default_rng([seed, SHAPES.index(shape), plan.start, plan.subject, plan.label, plan.n])
    w, h = shape.size
    face = shape.face_px
    amp = math.exp(rng.uniform(math.log(0.2), math.log(2.0)))        # peak displacement, px
    fx, fy = _bumps(action_units(plan.label, rng), face, shape.size, affine)
    peak = np.sqrt(fx ** 2 + fy ** 2).max()
    fx, fy = fx * (amp / peak), fy * (amp / peak)
    fold = FOLD_GRAY * (np.gradient(fx, axis=1) + np.gradient(fy, axis=0))  # compressed skin darkens
    t = np.arange(plan.start, plan.start + plan.n, dtype=np.float64)
    me = _profile(t, plan.onset, plan.apex, plan.offset)
    # blink: 100-150 ms, 2-4 px, at a random time
    blink = np.zeros_like(t)
    bx = by = None
    if rng.random() < 0.35:
        dur = rng.uniform(0.10, 0.15) * shape.fps
        b0 = rng.uniform(plan.start - dur / 2, plan.start + plan.n - dur / 2)
        blink = _profile(t, b0, b0 + dur / 2, b0 + dur)
        bx, by = _bumps([(LM["eye_l"], (0, 1), 1.0, 0.06), (LM["eye_r"], (0, 1), 1.0, 0.06)], face,
                        shape.size, affine)
        bx, by = bx * rng.uniform(2, 4), by * rng.uniform(2, 4)
    # head motion: a slow drift plus a sway, px
    drift = rng.uniform(-HEAD_DRIFT_PX, HEAD_DRIFT_PX, 2)
    sway_a, sway_f, sway_p = rng.uniform(0, HEAD_SWAY_PX), rng.uniform(0.5, 2.0), rng.uniform(0, 2 * math.pi)
    sec = (t - t[0]) / shape.fps
    frac = (t - t[0]) / max(plan.n - 1, 1)
    head = drift[None, :] * frac[:, None] + sway_a * np.sin(2 * math.pi * sway_f * sec + sway_p)[:, None]
    gain = 1 + rng.uniform(-0.04, 0.04) * frac + rng.uniform(0, 0.005) * np.sin(2 * math.pi * 10 * sec)
    noise = rng.uniform(1.0, 2.5)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for i, n in enumerate(range(plan.start, plan.start + plan.n)):
        mx = gx - np.float32(head[i, 0]) - np.float32(me[i]) * fx
        my = gy - np.float32(head[i, 1]) - np.float32(me[i]) * fy
        if bx is not None and blink[i] > 0:
            mx -= np.float32(blink[i]) * bx
            my -= np.float32(blink[i]) * by
        img = cv2.remap(base, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        img = (img + np.float32(me[i]) * fold) * np.float32(gain[i])
        img += rng.standard_normal((h, w), dtype=np.float32) * noise
        yield n, np.clip(img + 0.5, 0, 255).astype(np.uint8)


def plan_corpus(shape: CorpusShape, seed: int, n_subjects: int, fraction: float) -> list[ClipPlan]:
    rng = np.random.default_rng([seed, SHAPES.index(shape)])
    counts = [max(2, round(c * fraction)) for c in shape.classes]
    labels = rng.permutation(np.repeat(np.arange(3), counts))
    subj = np.concatenate([np.arange(n_subjects), rng.integers(0, n_subjects, len(labels) - n_subjects)])
    plans, used = [], set()
    for k, (lab, s) in enumerate(zip(labels, rng.permutation(subj))):
        ms = shape.fps / 1000
        rise, fall = rng.uniform(20, 250) * ms, rng.uniform(20, 250) * ms   # onset->apex, apex->offset
        rise, fall = max(1, round(rise)), max(1, round(fall))
        if shape.name == "smic":                                        # the clip is onset..offset
            pre = post = 0
            start = int(rng.integers(100000, 900000))
        else:
            pre, post = int(rng.integers(0, 31)), int(rng.integers(0, 31))
            start = int(rng.integers(1, 500)) if shape.name == "casme2" else int(rng.integers(1000, 6000))
        onset = start + pre
        apex, offset = onset + rise, onset + rise + fall
        if shape.name == "smic":
            apex = (onset + offset) // 2
        n = pre + rise + fall + 1 + post
        name = clip_name(shape.name, int(s), int(lab), k)
        plans.append(ClipPlan(shape.name, int(s), name, int(lab), start, n, onset, apex, offset))
        assert name not in used
        used.add(name)
    return plans


def subject_name(corpus: str, s: int) -> str:
    return {"casme2": f"sub{s + 1:02d}", "samm": f"{s + 6:03d}", "smic": f"s{s + 1}"}[corpus]


def clip_name(corpus: str, s: int, label: int, k: int) -> str:
    if corpus == "casme2":
        return f"EP{k % 20 + 1:02d}_{k // 20 + 1:02d}f"
    if corpus == "samm":
        return f"{s + 6:03d}_{k % 7 + 1}_{k // 7 + 1}"
    return f"s{s + 1}_{('ne', 'po', 'sur')[label]}_{k + 1:02d}"


def clip_dir(root: Path, shape: CorpusShape, p: ClipPlan) -> Path:
    subj = subject_name(shape.name, p.subject)
    if shape.name == "casme2":
        return root / "CASME2" / "CASME2_RAW_selected" / subj / p.name
    if shape.name == "samm":
        return root / "SAMM" / subj / p.name
    return root / "SMIC" / "HS" / subj / "micro" / LABELS[p.label] / p.name


def frame_file(shape: CorpusShape, p: ClipPlan, n: int) -> str:
    return {"casme2": f"img{n}.jpg", "samm": f"{subject_name('samm', p.subject)}_{n:05d}.jpg",
            "smic": f"image{n:07d}.bmp"}[shape.name]


def write_clip(root: Path, shape: CorpusShape, plan: ClipPlan, seed: int) -> None:
    base, affine = identity(shape, seed, plan.subject)
    d = clip_dir(root, shape, plan)
    d.mkdir(parents=True, exist_ok=True)
    q = [cv2.IMWRITE_JPEG_QUALITY, 92]
    for n, img in render_clip(shape, plan, seed, base, affine):
        cv2.imwrite(str(d / frame_file(shape, plan, n)), img, q if shape.name != "smic" else [])


OBJECTIVE_SHEET = "CASME2-ObjectiveClasses.xlsx"
OBJECTIVE = (3, 1, 2)   # objective class of each expression: negative III (AU4), positive I (AU12), surprise II (AU1+2)


def write_objective(root: Path, plans: dict[str, list[ClipPlan]]) -> None:
    """CASME II's objective-class sheet (MEGC 2018), in the shape of the real one: Subject, Filename,
    Objective Class; the left-out row EP99_01 is class 7."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Subject", "Filename", "Objective Class"])
    for r in sorted([[f"{p.subject + 1:02d}", p.name, OBJECTIVE[p.label]] for p in plans["casme2"]]
                    + [["01", "EP99_01", 7]]):
        ws.append(r)
    with atomic(root / "CASME2" / OBJECTIVE_SHEET) as tmp:
        wb.save(tmp)


def write_sheets(root: Path, plans: dict[str, list[ClipPlan]], seed: int) -> None:
    rng = np.random.default_rng([seed, 99])
    # CASME II: sheet 1, Subject, Filename, (blank), OnsetFrame, ApexFrame, OffsetFrame, (blank), AUs, Emotion
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
               "Estimated Emotion"])
    rows = []
    for p in plans["casme2"]:
        emo = rng.choice(EMOTIONS["casme2"][p.label])
        rows.append([f"{p.subject + 1:02d}", p.name, None, p.onset, p.apex, p.offset, None,
                     ("12", "4+L10", "1+2")[p.label], str(emo)])
    rows.append(["01", "EP99_01", None, 10, 20, 30, None, "4", "others"])  # left out by the label map
    for r in sorted(rows, key=lambda r: (r[0], r[1])):
        ws.append(r)
    wb.create_sheet("Sheet2")
    wb.create_sheet("Sheet3")
    wb.save(root / "CASME2" / "CASME2-coding-20140508.xlsx")
    write_objective(root, plans)
    # SAMM: sheet MICRO_ONLY, a notes block, then the header row
    wb = Workbook()
    ws = wb.active
    ws.title = "MICRO_ONLY"
    for note in ["SAMM Dataset - Master FACS Codes (synthetic, generated by atnet synth)", None,
                 "Emotional and Objective Classes, as in the official sheet", None, None, "Symbol Key:",
                 '"/" = or', '"?" = some AU\'s continue for a while and have unclear offset', None,
                 "AU Help:", '"L2 or R2" = Unilateral AU 2', '"A2" = Asymmetric AU 2', None]:
        ws.append([note])
    ws.append(["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame",
               "Duration", "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"])
    for p in plans["samm"]:
        emo = rng.choice(EMOTIONS["samm"][p.label])
        ws.append([f"{p.subject + 6:03d}", p.name, p.name.split("_")[1], p.onset, p.apex, p.offset,
                   p.offset - p.onset + 1, "Micro - 1/2", ("4+7", "12", "1+2")[p.label], str(emo),
                   (3, 1, 6)[p.label], None])
    ws.append(["006", "006_9_9", 9, 100, 110, 120, 21, "Micro - 1/2", "7", "Other", 7, None])
    wb.save(root / "SAMM" / "SAMM_Micro_FACS_Codes_v2.xlsx")


def synthesize(out: str | Path, seed: int = 0, full: bool = False, jobs: int = 2, progress: bool = True,
               subjects: tuple[int, int, int] | None = None, fraction: float | None = None) -> Path:
    """Write the three corpora under `out` (CASME2/, SAMM/, SMIC/): the demo's size by default, the
    full composite's with `full`, or any `subjects` per corpus and `fraction` of the composite's
    clips per class. Reuses a finished corpus with the same settings; a partial one (killed midway)
    is rebuilt from scratch."""
    out = Path(out)
    settings = {"seed": seed, "version": VERSION,
                "subjects": list(subjects or ([s.subjects for s in SHAPES] if full else DEFAULT_SUBJECTS)),
                "fraction": fraction or (1.0 if full else DEFAULT_FRACTION)}
    marker = out / "synth.json"
    if marker.exists() and _marker(marker) == settings:
        if not (out / "CASME2" / OBJECTIVE_SHEET).exists():   # a corpus written before the objective sheet
            plan = plan_corpus(SHAPES[0], seed, settings["subjects"][0], settings["fraction"])
            write_objective(out, {"casme2": plan})
        return out
    for shape in SHAPES:
        shutil.rmtree(out / shape.folder, ignore_errors=True)
    marker.unlink(missing_ok=True)
    plans = {s.name: plan_corpus(s, seed, n, settings["fraction"])
             for s, n in zip(SHAPES, settings["subjects"])}
    work = [(s, p) for s in SHAPES for p in plans[s.name]]
    for s in SHAPES:
        (out / s.folder).mkdir(parents=True, exist_ok=True)
    jobs_iter = parallel.run(write_clip, ((out, s, p, seed) for s, p in work), jobs)
    for _ in tqdm(jobs_iter, total=len(work), desc="synth", disable=not progress):
        pass
    write_sheets(out, plans, seed)
    write_atomic(marker, json.dumps(settings))
    return out


def _marker(path: Path):
    """The settings a finished corpus was written with; None if the marker is damaged (rebuilt)."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def roots(out: str | Path) -> dict[str, Path]:
    out = Path(out)
    return {"casme2": out / "CASME2", "samm": out / "SAMM", "smic": out / "SMIC"}
