"""Synthetic macro-expression corpora in the layouts of CK+, Oulu-CASIA, JAFFE and MUG, so that
pretraining is testable without their licences. The faces are the synthetic micro corpus's
(scikit-image's astronaut with per-subject geometry, shading and texture, `synthetic.identity`);
an expression is the same kind of action-unit displacement field, at full macro amplitude (4-8 px
at a 140 px face) with its skin folds, one prototype per basic emotion (EMFACS-style):

  happiness AU6+12, sadness AU1+4+15, surprise AU1+2+26, fear AU1+2+4+20+26, anger AU4+7+23,
  disgust AU9+15+16, neutral none.

Sequences run neutral -> apex (CK+, Oulu-CASIA: the last frame is the peak) or onset -> apex ->
offset (MUG); JAFFE is stills at the peak. Each layout also holds what its adapter must skip or
list: unlabelled CK+ sequences, Oulu's Thumbs.db, JAFFE's README. Deterministic per seed."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...core import parallel
from .macro import BASIC
from .synthetic import FOLD_GRAY, LM, CorpusShape, _bumps, identity

SHAPE = CorpusShape("macro", "macro", 30.0, (320, 240), 140.0, (0, 0, 0), 0)
TAGS = {"ckplus": 10, "oulu": 11, "jaffe": 12, "mug": 13}
FRAMES = 10   # frames per sequence (neutral -> apex; MUG: onset -> apex -> offset)
CK_CODES = {"neutral": 0, "anger": 1, "disgust": 3, "fear": 4, "happiness": 5, "sadness": 6, "surprise": 7}
JAFFE_CODES = {"anger": "AN", "disgust": "DI", "fear": "FE", "happiness": "HA", "neutral": "NE", "sadness": "SA",
               "surprise": "SU"}


def prototype(emotion: str) -> list:
    """Bumps (landmark, direction, weight, sigma in face units) of one basic emotion's prototype."""
    L = LM
    brow_up = [(L[k], (0.0, -1.0), 1.0, 0.09) for k in ("brow_in_l", "brow_in_r", "brow_out_l", "brow_out_r")]
    inner_up = [(L["brow_in_l"], (0.0, -1.0), 1.0, 0.08), (L["brow_in_r"], (0.0, -1.0), 1.0, 0.08)]
    brow_down = [(L["brow_in_l"], (0.55, 0.85), 1.0, 0.08), (L["brow_in_r"], (-0.55, 0.85), 1.0, 0.08)]
    corners_down = [(L["mouth_l"], (0.0, 1.0), 0.8, 0.08), (L["mouth_r"], (0.0, 1.0), 0.8, 0.08)]
    jaw = [(L["chin"], (0.0, 1.0), 1.0, 0.15)]
    return {
        "happiness": [(L["mouth_l"], (-0.45, -0.9), 1.0, 0.09), (L["mouth_r"], (0.45, -0.9), 1.0, 0.09),
                      (L["cheek_l"], (0.0, -1.0), 0.5, 0.08), (L["cheek_r"], (0.0, -1.0), 0.5, 0.08)],
        "sadness": inner_up + [(L["brow_in_l"], (0.5, 0.0), 0.5, 0.08), (L["brow_in_r"], (-0.5, 0.0), 0.5, 0.08)]
        + corners_down,
        "surprise": brow_up + jaw,
        "fear": brow_up + brow_down[:1] + [(L["mouth_l"], (-1.0, 0.2), 0.8, 0.08), (L["mouth_r"], (1.0, 0.2), 0.8, 0.08)]
        + jaw,
        "anger": brow_down + [(L["eye_l"], (0.0, -1.0), 0.5, 0.05), (L["eye_r"], (0.0, -1.0), 0.5, 0.05),
                              (L["mouth_l"], (0.6, 0.0), 0.7, 0.07), (L["mouth_r"], (-0.6, 0.0), 0.7, 0.07)],
        "disgust": [(L["nose_l"], (0.3, -1.0), 1.0, 0.07), (L["nose_r"], (-0.3, -1.0), 1.0, 0.07)] + corners_down
        + [(L["chin"], (0.0, 0.6), 0.5, 0.08)],
        "neutral": [],
    }[emotion]


def render(corpus: str, subject: int, emotion: str, take: int, seed: int, levels: np.ndarray) -> list[np.ndarray]:
    """uint8 frames of one sequence, the expression at each of `levels` (0 neutral .. 1 apex)."""
    base, affine = identity(SHAPE, seed, subject, TAGS[corpus])
    rng = np.random.default_rng([seed, TAGS[corpus], subject, BASIC.index(emotion), take])
    h, w = base.shape
    bumps = prototype(emotion)
    if bumps:
        fx, fy = _bumps(bumps, SHAPE.face_px, SHAPE.size, affine)
        scale = rng.uniform(4.0, 8.0) / max(float(np.sqrt(fx ** 2 + fy ** 2).max()), 1e-6)
        fx, fy = fx * scale, fy * scale
    else:
        fx = fy = np.zeros((h, w), np.float32)
    fold = FOLD_GRAY * (np.gradient(fx, axis=1) + np.gradient(fy, axis=0))
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = []
    for level in levels:
        img = cv2.remap(base, gx - np.float32(level) * fx, gy - np.float32(level) * fy, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)
        img = img + np.float32(level) * fold + rng.standard_normal((h, w), dtype=np.float32) * 1.5
        out.append(np.clip(img + 0.5, 0, 255).astype(np.uint8))
    return out


def rise(n: int = FRAMES) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.linspace(0, 1, n))


def rise_fall(n: int = FRAMES) -> np.ndarray:
    return np.sin(np.pi * np.linspace(0, 1, n)) ** 2


def _write(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"{path}: could not be written")


def write_ckplus(root: Path, subject: int, emotion: str, take: int, seed: int) -> None:
    subj, seq = f"S{100 + subject:03d}", f"{take * len(BASIC) + BASIC.index(emotion) + 1:03d}"
    frames = render("ckplus", subject, emotion, take, seed, rise())
    for k, img in enumerate(frames, 1):
        _write(root / "CK+" / "cohn-kanade-images" / subj / seq / f"{subj}_{seq}_{k:08d}.png", img)
    if not (emotion == "neutral" and take == 0):   # like the real release, some sequences have no label
        label = root / "CK+" / "Emotion" / subj / seq / f"{subj}_{seq}_{len(frames):08d}_emotion.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(f"   {CK_CODES[emotion]:.7e}\n")


def write_oulu(root: Path, subject: int, emotion: str, take: int, seed: int) -> None:
    if emotion == "neutral":   # Oulu-CASIA has six expressions
        return
    folder = root / "Oulu-CASIA" / "OriginalImg" / "VL" / "Strong" / f"P{subject + 1:03d}" / emotion.capitalize()
    for k, img in enumerate(render("oulu", subject, emotion, take, seed, rise())):
        _write(folder / f"{k:03d}.jpeg", img)
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0 not an image")


def write_jaffe(root: Path, subject: int, emotion: str, take: int, seed: int) -> None:
    [img] = render("jaffe", subject, emotion, take, seed, np.array([1.0]))
    code = f"{chr(65 + subject % 26)}{chr(65 + (subject * 7 + 3) % 26)}"
    _write(root / "jaffe" / f"{code}.{JAFFE_CODES[emotion]}{take + 1}.{subject * 30 + BASIC.index(emotion) * 4 + take}"
           f".tiff", img)
    (root / "jaffe" / "README").write_text("The Japanese Female Facial Expression (JAFFE) Database (synthetic stand-in)\n")


def write_mug(root: Path, subject: int, emotion: str, take: int, seed: int) -> None:
    folder = root / "MUG" / "subjects3" / f"{subject + 1:03d}" / emotion / f"take{take:03d}"
    for k, img in enumerate(render("mug", subject, emotion, take, seed, rise_fall())):
        _write(folder / f"img_{k:04d}.jpg", img)


WRITERS = {"ckplus": write_ckplus, "oulu": write_oulu, "jaffe": write_jaffe, "mug": write_mug}


def synthesize_macro(out: str | Path, seed: int = 0, subjects: int = 8, takes: int = 2, jobs: int = 2,
                     corpora=tuple(WRITERS)) -> dict[str, Path]:
    """Write the macro corpora under `out`; returns {corpus: the root its adapter takes}."""
    out = Path(out)
    work = [(WRITERS[c], out, s, e, t, seed) for c in corpora for s in range(subjects) for e in BASIC
            for t in range(takes)]
    for _ in parallel.run(_call, work, jobs):
        pass
    return macro_roots(out)


def _call(writer, out, subject, emotion, take, seed):
    writer(out, subject, emotion, take, seed)


def macro_roots(out: str | Path) -> dict[str, Path]:
    out = Path(out)
    return {"ckplus": out / "CK+", "oulu": out / "Oulu-CASIA", "jaffe": out / "jaffe", "mug": out / "MUG"}


__all__ = ["synthesize_macro", "macro_roots", "prototype"]
