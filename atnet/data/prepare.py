"""Preparation (paper section III.A): the face on the reference frame (the apex, or the onset), every
window frame cropped with its square (aligned by landmarks where the backend gives them), resized and
gray; optical flow of the 64 pairs around the apex; the ADM matrix. Cached per clip."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..core import parallel
from ..core.cache import NpzCache, file_stamp, make_key, sweep
from ..core.classes import CLASSES, DATASETS, clip_identity, corpus_clash
from ..core.config import bounded, check_fields
from ..core.readers import empty_cell, first_rows, one_line, read_gray, read_table, truncation
from ..features import BACKENDS as FLOW_BACKENDS, adm, assemble, flow, window_pairs
from ..features.oaflow import onset_apex_flow
from . import faces
from .datasets import CorpusError, Exclusion, Sample
from .faces.video import is_video, iter_video

VERSION = 4  # bump when the prepared output changes for the same inputs and settings (4: the onset-apex flow)


@dataclass(frozen=True)
class PrepConfig:
    size: int = bounded(224, 32, 1024)    # crop side, px (paper: 224)
    flow: str = "dis"                     # dis | farneback | tvl1
    adm_mean: str = "circular"            # circular | paper (the paper's arithmetic mean of angles)
    grid: int = bounded(8, 1, 256)        # ADM cells per side (paper: 8, i.e. 28 x 28 px cells at 224)
    half_window: int = bounded(32, 1, 500)  # flows on each side of the apex (paper: 32, i.e. 64 flows, 65 frames)
    face: str = faces.DEFAULT             # dlib (68 landmarks; the default where installed) | haar | manual (needs box_file)
    box_file: str = ""                    # CSV clip,x,y,w,h: the boxes for --face manual, else the fallback where no face is found
    reference: str = "apex"               # apex | onset: the frame whose face square crops the whole clip
    align: bool = True                    # turn and scale the square by the landmarks (eyes, nose) where the backend has them
    margin: float = bounded(0.1, 0.0, 2.0)  # square growth on each side, fraction of the face
    volume_size: int = bounded(112, 16, 512)  # side of the window frames kept for the handcrafted baselines, px
    oa_flow: str = "tvl1"                 # the onset-apex flow's backend (STSTNet's TV-L1; 2.3x DIS's accuracy on
                                          # the warp benchmark, for 0.6 s a clip)
    oa_size: int = bounded(28, 8, 512)    # side of the onset-apex flow image kept (u, v, strain), px, as the
                                          # MEGC 2019 repositories share them (STSTNet's input)

    def __post_init__(self):
        check_fields(self)
        for name in ("flow", "oa_flow"):
            if getattr(self, name) not in FLOW_BACKENDS:
                raise CorpusError(f"--{name.replace('_', '-')} {getattr(self, name)}: unknown; choose one of "
                                  f"{', '.join(FLOW_BACKENDS)}.")
        if self.grid > self.size // 4:
            raise CorpusError(f"--grid {self.grid} with --size {self.size}: an ADM cell must be at least 4 px, so "
                              f"use --grid {self.size // 4} or less (or a larger --size).")


@dataclass
class Prepared:
    apex: np.ndarray   # (size, size) uint8, the cropped apex frame
    adm: np.ndarray    # (2 * half_window, 2 * grid^2) float32, zero rows first
    n_valid: int       # rows that hold a real flow
    box: tuple         # x, y, w, h of the crop square (before its turn) in the original frame
    face: str          # the backend that served the clip: dlib | haar | manual | centre-square (no face found)
    volume: np.ndarray # (T, volume_size, volume_size) uint8: the window's frames inside onset..offset
    angle: float = 0.0 # the crop square's turn, degrees (0 without landmarks or alignment)
    # (68, 2) landmarks on the reference frame; (0, 2) without (haar, manual, centre-square)
    landmarks: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    # (oa_size, oa_size, 3) float32: the onset-apex flow's u, v (px of the crop) and optical strain
    flow: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 3), np.float32))


def read_frames(s: Sample, numbers) -> Iterator[tuple[int, np.ndarray]]:
    """(frame number, grayscale frame) for the given numbers, in ascending order: each from its image
    file, or, for a clip held in a video (every frame's file is the video, frame number = index in
    it; see faces.video.video_sample), decoded in order from the video's first frame."""
    index = dict(zip(s.frame_numbers, s.frames))
    wanted = sorted(set(numbers))
    if wanted and is_video(index[wanted[0]]):
        video, left = index[wanted[0]], set(wanted)
        for n, gray in iter_video(video):
            if n in left:
                left.discard(n)
                yield n, gray
                if not left:
                    return
        raise CorpusError(f"{video}: frame {min(left)} could not be decoded; re-encode the video or shorten the clip.")
    for n in wanted:
        yield n, read_gray(index[n])


def check_faces(cfg: PrepConfig) -> dict:
    """The manual boxes (clip -> box) the settings name, after checking the backend can run; any
    problem is one sentence naming the file or the flag."""
    if cfg.face not in faces.BACKENDS:
        raise CorpusError(f"--face {cfg.face}: unknown; use one of {', '.join(faces.BACKENDS)}.")
    if cfg.face == "dlib" and not faces.dlib_available():
        raise CorpusError(faces.DLIB_MISSING)
    if cfg.face == "manual" and not cfg.box_file:
        raise CorpusError("--face manual needs --box-file CSV (columns clip,x,y,w,h; clip as dataset/subject/clip).")
    return faces.read_box_file(cfg.box_file) if cfg.box_file else {}


def find_square(gray: np.ndarray, cfg: PrepConfig, manual=None, source: str = ""):
    """The crop square on the reference frame and the backend that served it (faces.locate)."""
    return faces.locate(gray, cfg.face, cfg.margin, cfg.align, manual, source=source)


def reference_frame(s: Sample, cfg: PrepConfig) -> int:
    n = s.apex if cfg.reference == "apex" else s.onset
    if n not in s.frame_numbers:
        folder = Path(s.frames[0]).parent if s.frames else "the clip"
        raise CorpusError(f"{folder}: the {cfg.reference} frame {n} is outside the clip's frames "
                          f"{s.frame_numbers[0]}..{s.frame_numbers[-1]}; correct the annotation or pass "
                          f"--reference apex.")
    return n


def prepare_clip(s: Sample, cfg: PrepConfig, manual=None) -> Prepared:
    index = dict(zip(s.frame_numbers, s.frames))
    pairs = window_pairs(s.frame_numbers, s.onset, s.apex, s.offset, cfg.half_window)
    ref = reference_frame(s, cfg)
    _, ref_full = next(read_frames(s, [ref]))
    if cfg.face == "manual" and manual is None:
        raise CorpusError(f"{cfg.box_file}: no row for the clip {s.key}; add one (clip,x,y,w,h) or pass --face dlib "
                          f"or --face haar.")
    sq, backend, face = find_square(ref_full, cfg, manual, source=f"{s.key} ({index[ref]})")
    crops = {ref: faces.crop(ref_full, sq, cfg.size)}
    onset = onset_frame(s)
    for n, img in read_frames(s, ({n for p in pairs for n in p} | {s.apex, onset}) - {ref}):
        if img.shape != ref_full.shape:
            raise CorpusError(f"{index[n]}: {img.shape} differs from the reference frame's {ref_full.shape}; "
                              f"all frames of a clip must have one size.")
        crops[n] = faces.crop(img, sq, cfg.size)
    rows = [adm(flow(crops[a], crops[b], cfg.flow), cfg.grid, cfg.adm_mean) for a, b in pairs]
    mat = assemble(rows, 2 * cfg.half_window, 2 * cfg.grid ** 2)
    used = sorted({n for p in pairs for n in p}) or [s.apex]
    volume = np.stack([cv2.resize(crops[n], (cfg.volume_size,) * 2, interpolation=cv2.INTER_AREA) for n in used])
    cx, cy, side, angle = sq
    box = (int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(side)), int(round(side)))
    marks = face.landmarks if face is not None and face.landmarks is not None else np.zeros((0, 2), np.float32)
    oa = onset_apex_flow(crops[onset], crops[s.apex], cfg.oa_flow, cfg.oa_size)
    return Prepared(crops[s.apex], mat, len(rows), box, backend, volume, float(angle), marks, oa)


def onset_frame(s: Sample) -> int:
    """The onset frame, or the clip's first frame after it where the onset itself is missing."""
    return min((n for n in s.frame_numbers if n >= s.onset), default=s.apex)


def clip_key(s: Sample, cfg: PrepConfig, manual=None) -> str:
    index = dict(zip(s.frame_numbers, s.frames))
    ref = reference_frame(s, cfg)
    used = sorted({n for p in window_pairs(s.frame_numbers, s.onset, s.apex, s.offset, cfg.half_window)
                   for n in p} | ({s.apex, ref, onset_frame(s)} & set(index)))
    settings = {**asdict(cfg), "box_file": manual}   # the clip's own box, not the file's name
    return make_key({"v": VERSION, "cfg": settings, "apex": s.apex, "onset": s.onset, "offset": s.offset,
                     "ref": ref, "frames": [file_stamp(index[n]) for n in used]})


def _cached(s: Sample, cfg: PrepConfig, cache_dir: str, manual=None) -> Prepared | Exclusion:
    cv2.setNumThreads(1)
    cache = NpzCache(cache_dir)
    try:
        key = clip_key(s, cfg, manual)
        hit = cache.get(key)
        if hit is not None:
            return Prepared(hit["apex"], hit["adm"], int(hit["n_valid"]), tuple(hit["box"].tolist()),
                            str(hit["face"]), hit["volume"], float(hit["angle"]), hit["landmarks"], hit["flow"])
        p = prepare_clip(s, cfg, manual)
    except (CorpusError, OSError) as e:
        return Exclusion(s.dataset, f"{s.subject.split('/', 1)[1]}/{s.clip}", str(e))
    cache.put(key, {"apex": p.apex, "adm": p.adm, "n_valid": np.int64(p.n_valid),
                    "box": np.asarray(p.box, np.int64), "face": np.asarray(p.face), "volume": p.volume,
                    "angle": np.float64(p.angle), "landmarks": np.asarray(p.landmarks, np.float32),
                    "flow": p.flow})
    return p


def prepare_all(samples: list[Sample], cfg: PrepConfig, cache_dir: str, jobs: int = 1,
                progress: bool = True) -> tuple[list[Sample], list[Prepared], list[Exclusion]]:
    """Prepare every sample (cached, in parallel, with a progress bar; a killed run resumes from the
    clips already cached). Returns the kept samples, their prepared data (each records the face
    backend that served it), and the samples left out with the reason (e.g. an unreadable frame)."""
    boxes = check_faces(cfg)
    sweep(cache_dir)   # temporary files of a killed run
    results = parallel.run(_cached, ((s, cfg, str(cache_dir), boxes.get(s.key)) for s in samples), jobs)
    kept, prepared, excluded = [], [], []
    for r, s in zip(tqdm(results, total=len(samples), desc="prepare", disable=not progress), samples):
        if isinstance(r, Exclusion):
            excluded.append(r)
        else:
            kept.append(s)
            prepared.append(r)
    return kept, prepared, excluded


@dataclass
class Arrays:
    """What the models see, one row per prepared sample."""
    table: pd.DataFrame   # dataset, subject (dataset-qualified), clip, label
    apex: np.ndarray | None     # (N, S, S) uint8 cropped apex frames (None: a table of flows only)
    adm: np.ndarray | None      # (N, 64, 128) float32 ADM matrices (None: a table of flows only)
    volumes: list | None = None   # per sample (T, S, S) uint8 window frames, for the handcrafted baselines
    features: np.ndarray | None = None   # (N, D) the user's own per-clip features (`--features`), if any
    flow: np.ndarray | None = None   # (N, F, F, 3) float32 onset-apex flow: u, v, optical strain
    classes: tuple[str, ...] = CLASSES   # the class set's classes, in id order (labels are among them)
    class_set: str = "megc2019"          # the class set's name (data/classsets.py)
    _digests: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def y(self) -> np.ndarray:
        """Class ids: each label's position in `classes`."""
        ids = self.table["label"].map({c: i for i, c in enumerate(self.classes)})
        if ids.isna().any():
            raise CorpusError(f"label {self.table['label'][ids.isna()].iloc[0]!r} is not one of the classes "
                              f"{', '.join(self.classes)}; read the corpora with the class set the run names.")
        return ids.to_numpy(np.int64)

    def fingerprint(self, parts: tuple[str, ...] = ("apex", "adm", "volumes")) -> str:
        """A key of the rows and the named arrays (each hashed once, then remembered)."""
        for part in parts:
            if part not in self._digests:
                arrays = getattr(self, part)
                arrays = arrays if isinstance(arrays, list) else [arrays] if arrays is not None else []
                self._digests[part] = [hashlib.sha256(a.tobytes()).hexdigest() for a in arrays]
        classes = {} if self.classes == CLASSES else {"classes": list(self.classes)}   # megc2019's keys as before
        return make_key({"rows": self.table[["subject", "clip", "label"]].to_numpy().tolist(),
                         **{part: self._digests[part] for part in parts}, **classes})


def to_arrays(samples: list[Sample], prepared: list[Prepared], classes: tuple[str, ...] = CLASSES,
              class_set: str = "megc2019") -> Arrays:
    """The prepared samples as arrays; `classes`: the class set's classes the labels are among."""
    table = pd.DataFrame({"dataset": [s.dataset for s in samples], "subject": [s.subject for s in samples],
                          "clip": [s.clip for s in samples], "label": [s.label for s in samples]})
    return Arrays(table, np.stack([p.apex for p in prepared]), np.stack([p.adm for p in prepared]),
                  [p.volume for p in prepared], flow=np.stack([p.flow for p in prepared]), classes=tuple(classes),
                  class_set=class_set)


APEX_COLUMNS = ("dataset", "subject", "clip", "label", "image")
TABLE_KEYS = ("dataset", "subject", "clip", "label")   # an apex table: these, and `image`, `flow` or both
FLOW_SUFFIXES = (".npy",)                               # else an image file (PNG, JPEG, ...)


def table_inputs(path: str | Path) -> set[str]:
    """What an apex table holds for the methods (registry INPUTS): "apex" with an `image` column,
    "flow" with a `flow` column; read from its header alone, before any work."""
    cols = set(read_table(path, TABLE_KEYS, TABLE_TEXT).columns)
    held = {"apex"} if "image" in cols else set()
    held |= {"flow"} if "flow" in cols else set()
    if not held:
        raise CorpusError(f"{path}: neither an 'image' nor a 'flow' column; {TABLE_TEXT} (a column image, flow or "
                          f"both).")
    return held


TABLE_TEXT = "an apex table (dataset, subject, clip, label, and image and/or flow)"


FLOW_SIDES = (8, 4096)    # a flow's side, px: under 8 its resize to --oa-size invents the motion; over 4096 it is
                          # no flow of a face crop (and its bytes are not read: the bound is checked on the header)
IMAGE_MIN_SIDE = 32       # an apex image's smaller side, px: the smallest --size; under it the face crop is invented
REAL = "iuf"              # the numpy kinds a flow may hold: integers and real floats (not complex, bool, text, objects)


def read_npy_flow(path: Path) -> np.ndarray:
    """A `.npy` flow as float32, its header (shape, dtype) checked before its data is read: an `.npz`
    under a `.npy` name, a pickled or non-real array, or one past FLOW_SIDES is one sentence."""
    try:
        f = np.load(path, mmap_mode="r", allow_pickle=False)   # reads the header; the data stays on disk
    except Exception as e:   # numpy raises several kinds on bad bytes, pickles and object arrays
        raise CorpusError(f"{path} cannot be read as a .npy array ({one_line(e, 100)})") from None
    if not isinstance(f, np.ndarray):   # np.load opens any zip archive as an .npz, whatever its name
        f.close()
        raise CorpusError(f"{path} is an .npz archive, not a .npy array; save the flow with numpy.save")
    if f.ndim != 3 or f.shape[2] not in (2, 3) or f.dtype.kind not in REAL or f.dtype.itemsize > 8:
        raise CorpusError(f"{path} holds an array of shape {f.shape} ({f.dtype}); a flow is H x W x 2 (u, v) or "
                          f"H x W x 3 (u, v, strain) real numbers (integers or floats of up to 64 bits)")
    if not FLOW_SIDES[0] <= min(f.shape[:2]) <= max(f.shape[:2]) <= FLOW_SIDES[1]:
        raise CorpusError(f"{path} is a flow of {f.shape[0]} x {f.shape[1]} px; a flow is read at {FLOW_SIDES[0]} "
                          f"to {FLOW_SIDES[1]} px a side")
    return np.array(f, dtype=np.float32)


def read_image_flow(path: Path) -> np.ndarray:
    """A flow image as float32 RGB = u, v, strain at 0-255: an 8-bit image as it is, a 16-bit one
    scaled by its own range (x 255 / 65535), so that 8- and 16-bit images of one flow read alike."""
    data = np.fromfile(path, np.uint8)
    problem = truncation(data.tobytes(), path.suffix)
    try:
        img = None if problem else cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error:   # a header declaring a size past OpenCV's limits
        img = None
    if img is None:
        raise CorpusError(f"{path} is not a readable image or .npy array{f' ({problem})' if problem else ''}")
    grey_alpha = data[:8].tobytes() == b"\x89PNG\r\n\x1a\n" and len(data) > 25 and data[25] == 4  # PNG colour type 4
    if img.ndim != 3 or img.shape[2] < 3 or grey_alpha:   # OpenCV decodes a grey + alpha PNG as four channels
        shape = f"{img.shape[:2]} grey and alpha" if grey_alpha else f"shape {img.shape}"
        raise CorpusError(f"{path} is an image of {shape}; a flow image has three channels (R, G, B = "
                          f"u, v, strain)")
    if img.dtype not in (np.uint8, np.uint16):
        raise CorpusError(f"{path} is an image of {img.dtype} values; a flow image is 8- or 16-bit (save other "
                          f"values as a .npy array)")
    if not FLOW_SIDES[0] <= min(img.shape[:2]) <= max(img.shape[:2]) <= FLOW_SIDES[1]:
        raise CorpusError(f"{path} is a flow image of {img.shape[0]} x {img.shape[1]} px; a flow is read at "
                          f"{FLOW_SIDES[0]} to {FLOW_SIDES[1]} px a side")
    f = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32)
    return f * np.float32(255 / 65535) if img.dtype == np.uint16 else f


def read_flow_file(path: Path, size: int) -> np.ndarray:
    """One precomputed onset-apex flow -> (size, size, 3) float32 u, v, strain. A `.npy` array of
    H x W x 2 (u, v: the strain is computed) or H x W x 3 (u, v, strain); or an image whose first
    three channels, as RGB, are u, v and strain (the 8-bit PNG or JPEG images the MEGC 2019
    repositories distribute; 16-bit ones scaled to 0-255). Raises CorpusError in one sentence (the
    caller names the row)."""
    from ..features.oaflow import strain
    if path.is_dir():
        raise CorpusError(f"{path} is a folder, not a flow file")
    if not path.is_file():
        raise CorpusError(f"{path} is not found")
    if path.suffix.lower() in FLOW_SUFFIXES:
        f = read_npy_flow(path)
        if not np.isfinite(f).all():
            raise CorpusError(f"{path} holds NaN or infinite values")
        if f.shape[2] == 2:
            f = np.dstack([f, strain(f)])
    else:
        f = read_image_flow(path)
    if f.shape[0] != size or f.shape[1] != size:
        f = cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(f, dtype=np.float32)


def table_file(table: str | Path, cell: str) -> Path:
    """The file an apex table's image or flow cell names: absolute, or relative to the folder the
    table really is in (a symbolic link to the table followed, so a table beside its images reads
    them however it is reached)."""
    return Path(table).resolve().parent / str(cell).strip()


def read_apex_table(path: str | Path, cfg: PrepConfig, classes: tuple[str, ...] = CLASSES,
                    class_set: str = "megc2019") -> tuple[Arrays, list[Exclusion]]:
    """An apex table (CSV: dataset, subject, clip, label, and `image`, `flow` or both; paths relative
    to the folder the CSV really is in, a symbolic link to it followed, or absolute), for corpora
    distributed as apex frames or as onset-apex flow images only. Each image gets the same face box
    and crop as a clip's apex frame; each flow is read by read_flow_file. With images the ADM is all
    zeros: only the methods that read what the table holds apply. Rows are one clip as `atnet score`
    counts them (core.classes: a subject naming another corpus is left out, names compared ignoring
    letter case)."""
    path = Path(path)
    held = table_inputs(path)
    columns = TABLE_KEYS + (("image",) if "apex" in held else ()) + (("flow",) if "flow" in held else ())
    t = read_table(path, columns, "an apex table")
    t = t.apply(lambda c: c.str.strip())
    boxes = check_faces(cfg) if "apex" in held else {}
    rows, crops, flows, excluded = [], [], [], []
    subjects = [s if "/" in str(s) else f"{d}/{s}" for d, s in zip(t["dataset"], t["subject"])]
    repeats = first_rows([clip_identity(s, c) for s, c in zip(subjects, t["clip"])], [i + 2 for i in range(len(t))])
    for (i, r), subject in zip(t.iterrows(), subjects):
        name, where = f"{r['subject']}/{r['clip']}", f"{path} row {i + 2}"
        label = str(r["label"]).strip().lower()
        empty = empty_cell(r, columns)

        def leave(why: str):
            excluded.append(Exclusion(str(r["dataset"]), name, f"{where}: {why}"))
        if empty:
            leave(f"the {empty!r} cell is empty; fill it in to use the row")
            continue
        if i + 2 in repeats:
            excluded.append(Exclusion(r["dataset"], name, f"{where} repeats row {repeats[i + 2]} (the same dataset, "
                                                          f"subject and clip, names compared ignoring letter case), "
                                                          f"which is kept; delete one"))
            continue
        if r["dataset"] not in DATASETS:
            leave(f"dataset must be {', '.join(DATASETS[:-1])} or {DATASETS[-1]}")
            continue
        clash = corpus_clash(r["dataset"], r["subject"])
        if clash:
            leave(f"subject {r['subject']!r} names the corpus {clash}, but the row's dataset is {r['dataset']}; fix "
                  f"one of the two")
            continue
        label = {c.lower(): c for c in classes}.get(label)   # written in any letter case
        if label is None:
            leave(f"label {r['label']!r} is not one of the classes {', '.join(classes)}")
            continue
        crop = oa = None
        if "flow" in held:
            try:
                oa = read_flow_file(table_file(path, r["flow"]), cfg.oa_size)
            except CorpusError as e:
                leave(f"its flow {e}; fix the file or the path")
                continue
        if "apex" in held:
            image = table_file(path, r["image"])
            key = f"{r['dataset']}/{str(r['subject']).split('/')[-1]}/{r['clip']}"
            try:
                gray = read_gray(str(image))     # a 16-bit image is read at 0-255, as OpenCV converts it
                if min(gray.shape) < IMAGE_MIN_SIDE:
                    raise CorpusError(f"{image}: an image of {gray.shape[0]} x {gray.shape[1]} px; an apex image is "
                                      f"at least {IMAGE_MIN_SIDE} px a side (a smaller face crop would be invented "
                                      f"by the resize); give the full-size frame.")
                sq, _, _ = find_square(gray, cfg, boxes.get(key), f"{image} ({key})")
            except CorpusError as e:
                leave(f"its image {e}")
                continue
            crop = faces.crop(gray, sq, cfg.size)
        crops.append(crop)
        flows.append(oa)
        rows.append({"dataset": r["dataset"], "subject": subject, "clip": r["clip"], "label": label})
    if not rows:
        first = f"; the first: {excluded[0].reason}" if excluded else ""
        raise CorpusError(f"{path}: no usable row ({len(excluded)} left out{first}).")
    apex = np.stack(crops) if "apex" in held else None
    adm_zero = np.zeros((len(rows), 2 * cfg.half_window, 2 * cfg.grid ** 2), np.float32) if apex is not None else None
    return Arrays(pd.DataFrame(rows), apex, adm_zero, flow=np.stack(flows) if "flow" in held else None,
                  classes=tuple(classes), class_set=class_set), excluded
