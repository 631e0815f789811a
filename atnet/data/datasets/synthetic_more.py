"""Synthetic CAS(ME)^3 part A and MMEW corpora (`atnet synth OUT --corpus casme3|mmew`) in their
layouts, with their annotation workbooks in the official columns, so that their adapters and class
sets (casme3-3/4/7, mmew-6/5) are testable without the licensed corpora. The composite's synthetic
corpus (synthetic.py) is not touched: its clips and VERSION stay as they are.

Faces are the composite's (synthetic.identity: scikit-image's astronaut with one identity's
geometry, shading and texture per subject). A micro-expression is a smooth action-unit displacement
field with its skin folds (synthetic.FOLD_GRAY), peaking at 0.3-2 px (log-uniform), with the
nuisances of synthetic.render_clip: unannotated blinks (the eyes shift down 2-4 px for 100-150 ms),
a slow head drift and sway, an illumination gain drift, sensor noise and JPEG 92. Each emotion is
the EMFACS-style prototype the synthetic macro corpora use (synthetic_macro.prototype):
  happy / happiness AU6+12, sad / sadness AU1+4+15, surprise AU1+2+26, fear AU1+2+4+20+26,
  anger AU4+7+23, disgust AU9+15+16; others a one-sided lip corner (R12, as many real "others" are).
The seven emotions are only as separable as these fields are: fear shares surprise's raised brows
and dropped jaw, sad and anger both lower the inner brows, disgust and sad both pull the lip corners
down. Frames are smaller than the real ones (CAS(ME)^3 1280x720, MMEW 1920x1080): 320x180, a 110 px
face. Every draw is seeded by (seed, corpus, subject, video or clip).

CAS(ME)^3 part A (CASME3/): part_A/spNO.<n>/<letter>/color/<i>.jpg, i from 0, 30 fps, a video of
several seconds per letter holding several micro-expressions, a depth/ folder with one dummy file
beside color/ (the adapter reads color/ only); cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx, sheet label
(Subject, Filename, Onset, Apex, Offset, AU, Objective class, emotion; empty Sheet1 and Sheet3 as in
the official file), the emotions cycling through all seven (with at least seven micro-expressions),
and the official sheet's quirks: one `others` row written `Others`, one rendered micro-expression
whose row has offset 0, and one row with its apex before its onset that
CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx (two header-less blocks, as the official list) names;
the list's other row names no v2 row.

MMEW (MMEW/): Micro_Expression/<emotion>/<Filename>/<n>.jpg, n from 1 (the onset, as in the public
export), 90 fps, Filename S01-01-001 (subject, emotion code, take: happiness 01, surprise 02,
disgust 03, fear 05, sadness 06, anger 07 as in the public export; others 04, a guess: the export
has no others); MMEW_Micro_Exp.xlsx (Subject, Filename, OnsetFrame, ApexFrame, OffsetFrame, Action
Units, Estimated Emotion, remarks), all six emotions and others."""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from openpyxl import Workbook

from ...core import parallel
from ...core.cache import write_atomic
from .synthetic import FOLD_GRAY, HEAD_DRIFT_PX, HEAD_SWAY_PX, LM, CorpusShape, _bumps, _profile, identity
from .synthetic_macro import prototype

VERSION = 1                  # bump when the same settings render different frames
SIZE = (320, 180)            # frame width, height (the real: 1280x720, 1920x1080)
FACE_PX = 110.0
AMP_PX = (0.3, 2.0)          # peak displacement of a micro-expression, log-uniform
JPEG = 92
CASME3 = CorpusShape("casme3", "CASME3", 30.0, SIZE, FACE_PX, (0, 0, 0), 0)
MMEW = CorpusShape("mmew", "MMEW", 90.0, SIZE, FACE_PX, (0, 0, 0), 0)
TAGS = {"casme3": 31, "mmew": 32}         # identity seeds, apart from the other synthetic corpora's
CASME3_EMOTIONS = ("others", "happy", "surprise", "sad", "disgust", "fear", "anger")
MMEW_EMOTIONS = ("happiness", "surprise", "sadness", "disgust", "fear", "anger", "others")
MMEW_CODES = {"happiness": 1, "surprise": 2, "disgust": 3, "others": 4, "fear": 5, "sadness": 6, "anger": 7}
# emotion -> (AU string, objective class) as the sheets write them (objective classes: Davison et al. 2018)
AUS = {"happiness": ("6+12", "I"), "surprise": ("1+2+26", "II"), "anger": ("4+7+23", "III"),
       "disgust": ("9+15+16", "IV"), "sadness": ("1+4+15", "V"), "fear": ("1+2+4+20+26", "VI"),
       "others": ("R12", "VII")}
SHEET_NAME = "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
WRONG_NAME = "CAS(ME)3_part_A_wrongly_labeled_me_in_V1.xlsx"
MMEW_SHEET = "MMEW_Micro_Exp.xlsx"


@dataclass(frozen=True)
class Expression:
    emotion: str       # as the corpus writes it (CAS(ME)^3: happy, sad; MMEW: happiness, sadness)
    onset: int         # frame numbers
    apex: int
    offset: int


def basic(emotion: str) -> str:
    """The macro corpora's name of an emotion: happy -> happiness, sad -> sadness."""
    return {"happy": "happiness", "sad": "sadness"}.get(emotion.lower(), emotion.lower())


def expression_bumps(emotion: str) -> list:
    """Bumps (landmark, direction, weight, sigma in face units) of one emotion."""
    e = basic(emotion)
    if e == "others":    # one lip corner up and out (R12)
        return [(LM["mouth_r"], (0.45, -0.9), 1.0, 0.09)]
    return prototype(e)


def render(shape: CorpusShape, seed: int, subject: int, video: int, numbers: range, expressions: list[Expression]):
    """Yield (frame number, uint8 image) of one video (CAS(ME)^3) or clip (MMEW)."""
    tag = TAGS[shape.name]
    rng = np.random.default_rng([seed, tag, subject, video, 5])
    base, affine = identity(shape, seed, subject, tag=tag)
    w, h = shape.size
    t = np.arange(numbers.start, numbers.stop, dtype=np.float64)
    fields = []
    for e in expressions:
        fx, fy = _bumps(expression_bumps(e.emotion), shape.face_px, shape.size, affine)
        amp = math.exp(rng.uniform(math.log(AMP_PX[0]), math.log(AMP_PX[1])))
        peak = float(np.sqrt(fx ** 2 + fy ** 2).max()) or 1.0
        fx, fy = fx * (amp / peak), fy * (amp / peak)
        fold = FOLD_GRAY * (np.gradient(fx, axis=1) + np.gradient(fy, axis=0))   # compressed skin darkens
        fields.append((_profile(t, e.onset, e.apex, e.offset), fx, fy, fold))
    # blinks, 100-150 ms, eyes 2-4 px down: every 2-6 s in a video, one in a third of short clips
    starts = []
    if len(t) < 2 * shape.fps:
        if rng.random() < 0.35:
            starts.append(rng.uniform(t[0], t[-1]))
    else:
        b = t[0] + rng.uniform(0.5, 3.0) * shape.fps
        while b < t[-1]:
            starts.append(b)
            b += rng.uniform(2.0, 6.0) * shape.fps
    bx, by = _bumps([(LM["eye_l"], (0, 1), 1.0, 0.06), (LM["eye_r"], (0, 1), 1.0, 0.06)], shape.face_px,
                    shape.size, affine)
    blink = np.zeros_like(t)
    for b in starts:
        dur = rng.uniform(0.10, 0.15) * shape.fps
        blink = np.maximum(blink, _profile(t, b, b + dur / 2, b + dur) * rng.uniform(2, 4))
    # head motion: a slow drift plus a sway (px); illumination gain drift; sensor noise
    sec = (t - t[0]) / shape.fps
    frac = (t - t[0]) / max(len(t) - 1, 1)
    drift = rng.uniform(-HEAD_DRIFT_PX, HEAD_DRIFT_PX, 2)
    sway_a, sway_f, sway_p = rng.uniform(0, HEAD_SWAY_PX), rng.uniform(0.5, 2.0), rng.uniform(0, 2 * math.pi)
    head = drift[None, :] * frac[:, None] + sway_a * np.sin(2 * math.pi * sway_f * sec + sway_p)[:, None]
    gain = 1 + rng.uniform(-0.04, 0.04) * frac + rng.uniform(0, 0.005) * np.sin(2 * math.pi * 10 * sec)
    noise = rng.uniform(1.0, 2.5)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for i, n in enumerate(numbers):
        mx = gx - np.float32(head[i, 0]) - np.float32(blink[i]) * bx
        my = gy - np.float32(head[i, 1]) - np.float32(blink[i]) * by
        shade = None
        for level, fx, fy, fold in fields:
            if level[i] > 0:
                a = np.float32(level[i])
                mx, my = mx - a * fx, my - a * fy
                shade = a * fold if shade is None else shade + a * fold
        img = cv2.remap(base, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if shade is not None:
            img = img + shade
        img = img * np.float32(gain[i]) + rng.standard_normal((h, w), dtype=np.float32) * np.float32(noise)
        yield n, np.clip(img + 0.5, 0, 255).astype(np.uint8)


def write_frames(folder: Path, shape: CorpusShape, seed: int, subject: int, video: int, numbers: range,
                 expressions: list[Expression]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, img in render(shape, seed, subject, video, numbers, expressions):
        if not cv2.imwrite(str(folder / f"{n}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, JPEG]):
            raise OSError(f"{folder / f'{n}.jpg'}: could not be written")


def _finished(root: Path, settings: dict) -> bool:
    """A corpus written with these settings is there (its marker says so); otherwise the folder is
    cleared for a fresh one (a partial corpus, killed midway, is rebuilt)."""
    marker = root / "synth.json"
    try:
        if json.loads(marker.read_text()) == settings:
            return True
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return False


# ---------------------------------------------------------------------------------------- CAS(ME)^3

def plan_video(rng, n: int, count: int, fps: float) -> list[tuple[int, int, int]]:
    """`count` non-overlapping (onset, apex, offset) in frames 0..n-1, one per equal slot: onset to
    apex 0.1-0.27 s, apex to offset 0.13-0.4 s (shorter where the slot is short)."""
    slot = n // count
    if slot < 8:
        raise ValueError(f"a video of {n} frames is too short for {count} micro-expressions")
    out = []
    for k in range(count):
        rise = min(int(rng.integers(3, 9)) * fps / 30, (slot - 2) / 3)
        fall = min(int(rng.integers(4, 13)) * fps / 30, slot - 3 - rise)
        rise, fall = max(1, int(rise)), max(1, int(fall))
        onset = k * slot + 1 + int(rng.integers(0, slot - rise - fall - 1))
        out.append((onset, onset + rise, onset + rise + fall))
    return out


def synthesize_casme3(out: str | Path, seed: int = 0, subjects: int = 4, videos: int = 2, seconds: float = 8.0,
                      per_video: int = 3, jobs: int = 2) -> Path:
    """Write CASME3/ under `out` (see the module's docstring) and return it: `subjects` (spNO.1, ...),
    `videos` each (a, b, ...) of `seconds` at 30 fps, `per_video` micro-expressions in each (one more
    in spNO.1/a: the row with offset 0). Reuses a finished corpus of the same settings."""
    root = Path(out) / CASME3.folder
    settings = {"seed": seed, "version": VERSION, "subjects": subjects, "videos": videos, "seconds": seconds,
                "per_video": per_video}
    if _finished(root, settings):
        return root
    n = int(round(seconds * CASME3.fps))
    if n < 30:
        raise ValueError(f"seconds={seconds}: a video is 1 s (30 frames) at least")
    rng = np.random.default_rng([seed, TAGS["casme3"]])
    total = subjects * videos * per_video
    emotions = list(rng.permutation(np.resize(np.array(CASME3_EMOTIONS), total)))
    plans, rows = [], []
    for s in range(subjects):
        for v in range(videos):
            count = per_video + (s == 0 and v == 0)
            spans = plan_video(np.random.default_rng([seed, TAGS["casme3"], s, v]), n, count, CASME3.fps)
            exprs = [Expression("others" if k == per_video else str(emotions.pop()), *span)
                     for k, span in enumerate(spans)]
            plans.append((s, v, exprs))
            for k, e in enumerate(exprs):
                rows.append([f"spNO.{s + 1}", "abcdefghijklm"[v], e.onset, e.apex, 0 if k == per_video else e.offset,
                             *AUS[basic(e.emotion)], e.emotion])
    capital = next((r for r in rows if r[-1] == "others" and r[4]), None)
    if capital:
        capital[-1] = "Others"            # the official sheet writes 3 of its 161 others so
    last = plans[-1]
    wrong = [f"spNO.{last[0] + 1}", "abcdefghijklm"[last[1]], n - 15, n - 25, n - 5, "4+20", "VI", "fear"]
    rows.append(wrong)                    # apex before onset, as spNO.149/d's; named by the v1 list
    calls = [(root / "part_A" / f"spNO.{s + 1}" / "abcdefghijklm"[v] / "color", CASME3, seed, s, v, range(n), exprs)
             for s, v, exprs in plans]
    for _ in parallel.run(write_frames, calls, jobs):
        pass
    for s, v, _ in plans:                 # depth maps, which the adapter does not read: one dummy file each
        depth = root / "part_A" / f"spNO.{s + 1}" / "abcdefghijklm"[v] / "depth"
        depth.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(depth / "0.png"), np.zeros((4, 4), np.uint8))
    wb = Workbook()
    ws = wb.active
    ws.title = "label"
    ws.append(["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"])
    for r in sorted(rows, key=lambda r: (r[0], r[1], r[2])):    # the official order: subject as text
        ws.append(r)
    wb.create_sheet("Sheet1")
    wb.create_sheet("Sheet3")
    wb.save(root / SHEET_NAME)
    wb = Workbook()                       # two header-less blocks, as the official list
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["spNO.1", "a", n + 100, n + 110, n + 120, "12", "I", "happy"])    # a v1 row v2 no longer has
    ws.append([None] * 8)
    ws.append([*wrong[:6], "Others", "Micro-expression", "VII", None, wrong[4] - wrong[2]])
    wb.save(root / WRONG_NAME)
    write_atomic(root / "synth.json", json.dumps(settings))
    return root


# ---------------------------------------------------------------------------------------- MMEW

def synthesize_mmew(out: str | Path, seed: int = 0, subjects: int = 4, clips: int = 7,
                    frames: tuple[int, int] = (24, 45), jobs: int = 2) -> Path:
    """Write MMEW/ under `out` (see the module's docstring) and return it: `subjects` (S01, ...) with
    `clips` clips each, the emotions cycling through the six and others, each clip frames 1..offset
    with offset drawn from `frames` (90 fps: 0.27-0.5 s). Reuses a finished corpus of the same settings."""
    root = Path(out) / MMEW.folder
    settings = {"seed": seed, "version": VERSION, "subjects": subjects, "clips": clips, "frames": list(frames)}
    if _finished(root, settings):
        return root
    rng = np.random.default_rng([seed, TAGS["mmew"]])
    emotions = list(rng.permutation(np.resize(np.array(MMEW_EMOTIONS), subjects * clips)))
    calls, rows, takes = [], [], {}
    for s in range(subjects):
        for k in range(clips):
            emotion = str(emotions.pop())
            offset = int(rng.integers(frames[0], frames[1] + 1))
            apex = max(2, int(round(offset * rng.uniform(0.3, 0.5))))
            take = takes[s, emotion] = takes.get((s, emotion), 0) + 1
            name = f"S{s + 1:02d}-{MMEW_CODES[emotion]:02d}-{take:03d}"
            calls.append((root / "Micro_Expression" / emotion / name, MMEW, seed, s, k, range(1, offset + 1),
                          [Expression(emotion, 1, apex, offset)]))
            rows.append([s + 1, name, 1, apex, offset, AUS[emotion][0], emotion, None])
    for _ in parallel.run(write_frames, calls, jobs):
        pass
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
               "remarks"])
    for r in sorted(rows, key=lambda r: r[1]):
        ws.append(r)
    wb.save(root / MMEW_SHEET)
    write_atomic(root / "synth.json", json.dumps(settings))
    return root


__all__ = ["synthesize_casme3", "synthesize_mmew", "expression_bumps"]
