"""`atnet view RUN --out page.html`: one self-contained HTML page of a run (no server, no network:
the script, the styles and every image are inside the file, so it opens from a disk or a mail).

Recognition runs (`evaluate`, `reproduce`, `demo`; a folder with predictions/): the pooled scores,
a confusion matrix per method, protocol and seed (a click on a cell filters the gallery to it), and
a gallery of every prediction row: the clip's apex crop and its onset-apex flow (direction as hue,
magnitude as brightness) from the prepared cache, truth, prediction, probabilities and fold,
filterable by run, corpus, subject, true and predicted class, and correct or not. Spotting runs
(`evaluate --task spot`: a folder with intervals.csv; or the CSV `atnet spot` writes): per video a
timeline (zoom with the wheel, drag to pan) of the score curves and thresholds, the annotated
intervals (found or missed) and the proposals (matched or false), filterable by kind and status;
a click on a proposal, or the keys n / p, shows its onset, apex and offset frames and, where a model
labelled it, the label and probabilities.

Every clip and interval is an element that carries its identity in data attributes (data-dataset,
data-subject, data-clip, data-truth, data-pred; data-video, data-onset, data-offset, data-kind,
data-status), so that tests and your own scripts can find them. Thumbnails are small JPEGs, stored
once per clip; the gallery shows the first `limit` matches with the rest one click away, and the
page says what it left out."""
from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..core.cache import write_atomic
from ..core.classes import CLASSES
from ..core.errors import CorpusError

THUMB = 72         # px, clip thumbnails (apex crop, flow)
FRAME = 112        # px, a spotted interval's frames
PRED_NAME = re.compile(r"^(?P<method>.+?)-(?P<protocol>cde|hde|loso-corpus)(?:-seed(?P<seed>\d+))?$")


def jpeg(img: np.ndarray, side: int, quality: int = 75) -> str:
    """A data: URL of img (grey or BGR) scaled to `side` px on its longer side."""
    h, w = img.shape[:2]
    s = side / max(h, w)
    small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode() if ok else ""


def flow_image(flow: np.ndarray) -> np.ndarray:
    """(F, F, >=2) u, v -> BGR: direction as hue, magnitude as brightness (scaled to the flow's own
    98th percentile)."""
    u, v = flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32)
    mag, ang = cv2.cartToPolar(u, v)
    top = float(np.percentile(mag, 98)) or 1.0
    hsv = np.zeros(flow.shape[:2] + (3,), np.uint8)
    hsv[..., 0] = (ang * 90 / np.pi).astype(np.uint8)
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / top * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def recognition_data(run: Path, inputs=None, images: bool = True) -> dict:
    """Everything the recognition page shows, as plain data (no HTML)."""
    rows, runs = [], []
    for f in sorted((run / "predictions").glob("*.csv")):
        m = PRED_NAME.match(f.stem)
        name = f.stem
        t = pd.read_csv(f)
        need = {"dataset", "subject", "clip", "truth", "pred"}
        if not need <= set(t.columns):
            raise CorpusError(f"{f}: not a predictions table (it lacks {', '.join(sorted(need - set(t.columns)))}); "
                              f"view a run folder atnet wrote.")
        runs.append({"run": name, "method": m["method"] if m else name, "protocol": m["protocol"] if m else "",
                     "seed": m["seed"] if m and m["seed"] else ""})
        probs = [c for c in t.columns if c.startswith("p_")]
        for r in t.itertuples(index=False):
            d = r._asdict()
            rows.append({"run": name, "dataset": d["dataset"], "subject": d["subject"], "clip": str(d["clip"]),
                         "fold": str(d.get("fold", "")), "truth": CLASSES[int(d["truth"])],
                         "pred": CLASSES[int(d["pred"])], "p": [round(float(d[c]), 3) for c in probs]})
    if not runs:
        raise CorpusError(f"{run}/predictions: no predictions CSV; view a run folder `atnet evaluate`, `reproduce` or "
                          f"`demo` wrote.")
    images_of, note = {}, ""
    if images:
        images_of, note = clip_images(run, {(r["dataset"], r["clip"]) for r in rows}, inputs)
    return {"kind": "recognition", "title": str(run), "runs": runs, "rows": rows, "classes": list(CLASSES),
            "scores": _read_json(run / "results.json", []), "images": images_of, "note": note}


def predict_data(path: Path) -> dict:
    """The recognition page of `atnet predict`'s CSV: its rows (truth where the corpus gave one), no images."""
    t = pd.read_csv(path)
    probs = [f"p_{c}" for c in CLASSES if f"p_{c}" in t.columns]
    rows = [{"run": "predict", "dataset": _text(r.get("dataset")), "subject": _text(r.get("subject")),
             "clip": _text(r.get("clip")), "fold": "", "truth": _text(r.get("truth")) or "unknown",
             "pred": _text(r.get("label")), "p": [round(float(r[c]), 3) for c in probs]}
            for r in t.to_dict("records")]
    return {"kind": "recognition", "title": str(path), "runs": [{"run": "predict", "method": "", "protocol": "",
                                                                "seed": ""}], "rows": rows, "classes": list(CLASSES),
            "scores": [], "images": {}, "note": "atnet predict's table: no images (view a run folder for them)."}


def clip_images(run: Path, wanted: set, inputs=None) -> tuple[dict, str]:
    """{"dataset/clip": [apex URL, flow URL]} from the prepared cache (prepared now if it is not),
    with the run's own preparation settings; and a sentence when there are none."""
    from ..data.prepare import PrepConfig
    from .runs import Inputs, load_and_prepare
    settings = _read_json(run / "settings.json", {})
    try:
        prep = PrepConfig(**settings.get("prep", {}))
        data, _ = load_and_prepare(inputs or Inputs(), prep)
    except (CorpusError, OSError, TypeError, ValueError) as e:
        return {}, (f"No images: the run's clips could not be prepared again ({e}); pass the corpus flags it was "
                    f"run with.")
    out = {}
    for i, (d, c) in enumerate(zip(data.table["dataset"], data.table["clip"])):
        if (d, str(c)) not in wanted:
            continue
        apex = jpeg(data.apex[i], THUMB) if data.apex is not None else ""
        flow = jpeg(flow_image(data.flow[i]), THUMB) if data.flow is not None and data.flow[i].size else ""
        out[f"{d}/{c}"] = [apex, flow]
    missing = len(wanted) - len(out)
    return out, (f"{missing} clip(s) of the predictions are not among the clips prepared now, so they have no "
                 f"images (pass the corpus flags the run used)." if missing else "")


def spotting_data(run: Path, thumbs: int = 400) -> dict:
    """Everything the spotting page shows, as plain data: per video its curves, thresholds, truth and
    proposals (with status), and frames of the first `thumbs` proposals."""
    from ..data.long import Interval
    from ..spotting.metric import match_by_kind
    folder = run if run.is_dir() else None
    table = pd.read_csv(run / "intervals.csv" if folder else run)
    need = {"dataset", "video", "onset", "offset", "kind"}
    if not need <= set(table.columns):
        raise CorpusError(f"{run}: not a spotting table (it lacks {', '.join(sorted(need - set(table.columns)))}); "
                          f"view a folder `atnet evaluate --task spot` wrote or the CSV `atnet spot` wrote.")
    truth = pd.read_csv(folder / "truth.csv") if folder and (folder / "truth.csv").exists() else \
        pd.DataFrame(columns=["dataset", "video", "onset", "apex", "offset", "kind", "label"])
    curves = {}
    if folder and (folder / "curves.npz").exists():
        with np.load(folder / "curves.npz") as z:
            curves = {k: z[k] for k in z.files}
    settings = _read_json(folder / "settings.json", {}) if folder else {}
    videos = frames_of_videos(settings)
    out, shown = [], 0
    for (dataset, video), part in table.groupby(["dataset", "video"], sort=False):
        key = f"{dataset}/{video}"
        gt = truth[(truth["dataset"] == dataset) & (truth["video"] == video)]
        props = [Interval(int(r.onset), int(r.offset), r.kind) for r in part.itertuples()]
        gts = [Interval(int(r.onset), int(r.offset), r.kind) for r in gt.itertuples()]
        pairs = match_by_kind(gts, props)
        hit_t, hit_p = {i for i, _ in pairs}, {j for _, j in pairs}
        label_cols = [c for c in part.columns if c == "label" or c.startswith("p_")]
        proposals = []
        for i, r in enumerate(part.to_dict("records")):
            p = {"onset": int(r["onset"]), "offset": int(r["offset"]), "apex": _int(r.get("apex"), int(r["onset"])),
                 "kind": r["kind"], "score": _num(r.get("score")),
                 "status": ("matched" if i in hit_p else "false") if len(truth) else "unscored",
                 "label": {c: _text(r[c]) for c in label_cols if _text(r[c]) != ""}}
            if shown < thumbs and key in videos:
                p["frames"] = [frame_url(videos[key], n) for n in (p["onset"], p["apex"], p["offset"])]
                shown += 1
            proposals.append(p)
        numbers = curves.get(f"{key}|numbers")
        lo = int(min([q.onset for q in props + gts] + ([int(numbers[0])] if numbers is not None else [])))
        hi = int(max([q.offset for q in props + gts] + ([int(numbers[-1])] if numbers is not None else [])))
        out.append({"key": key, "dataset": dataset, "video": str(video), "first": lo, "last": hi,
                    "curves": {k: _curve(numbers, curves[f"{key}|{k}"]) for k in ("micro", "macro")
                               if numbers is not None and f"{key}|{k}" in curves},
                    "thresholds": {k: float(curves[f"{key}|{k}|threshold"]) for k in ("micro", "macro")
                                   if f"{key}|{k}|threshold" in curves},
                    "truth": [{"onset": q.onset, "offset": q.offset, "kind": q.kind,
                               "status": "found" if i in hit_t else "missed"} for i, q in enumerate(gts)],
                    "proposals": proposals})
    note = []
    total = sum(len(v["proposals"]) for v in out)
    if total > shown:
        note.append(f"{total - shown} of {total} proposals have no frames here (the page keeps the first {thumbs}"
                    + ("" if videos else "; the run does not say where its videos are") + ").")
    if not len(truth):
        note.append("No annotated intervals: proposals are not scored.")
    return {"kind": "spotting", "title": str(run), "videos": out, "note": " ".join(note),
            "scores": pd.read_csv(folder / "scores.csv").to_dict("records")
            if folder and (folder / "scores.csv").exists() else []}


def _int(v, default: int) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _num(v) -> float | None:
    try:
        f = float(v)
        return round(f, 4) if np.isfinite(f) else None
    except (TypeError, ValueError):
        return None


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else str(v)


def _curve(numbers: np.ndarray, values: np.ndarray, most: int = 1500) -> list:
    """[[frame, value], ...], at most `most` points (each the maximum of its stretch, so peaks stay)."""
    n = len(values)
    step = max(1, -(-n // most))
    out = []
    for s in range(0, n, step):
        j = s + int(np.argmax(values[s:s + step]))
        out.append([int(numbers[j]), round(float(values[j]), 5)])
    return out


def frames_of_videos(settings: dict) -> dict:
    """{video key: {frame number: path}} of the corpora the run names (settings.json's roots)."""
    roots = settings.get("roots") or {}
    if not roots:
        return {}
    from ..spotting.run import load_long
    try:
        corpus = load_long(roots, settings.get("sheets") or {})
    except (CorpusError, OSError):
        return {}
    return {v.key: dict(zip(v.numbers, v.frames)) for v in corpus.videos}


def frame_url(frames: dict, n: int) -> str:
    path = frames.get(n)
    if path is None:
        return ""
    from ..data.faces.video import is_video
    if is_video(path):
        cap = cv2.VideoCapture(str(path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, n)
        ok, img = cap.read()
        cap.release()
        return jpeg(img, FRAME) if ok else ""
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return jpeg(img, FRAME) if img is not None else ""


def page(data: dict) -> str:
    """The HTML of one page from recognition_data or spotting_data."""
    from importlib.resources import files
    template = (files("atnet.app") / "view.html").read_text()
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return template.replace("__TITLE__", html.escape(data["title"])).replace("__DATA__", blob)


def view(run: str | Path, out: str | Path, inputs=None, images: bool = True, thumbs: int = 400) -> Path:
    """Write the page of a run folder (or of `atnet spot`'s CSV) to `out`; returns `out`. `inputs`
    (runs.Inputs): where a recognition run's clips come from, for their images (default: the
    synthetic corpus under the cache, as the commands default)."""
    run, out = Path(run), Path(out)
    if not run.exists():
        raise CorpusError(f"{run}: not found; pass a run folder (or the CSV `atnet spot` wrote).")
    head = set(pd.read_csv(run, nrows=0).columns) if run.is_file() else set()
    if "label" in head and "kind" not in head:     # atnet predict's table
        data = predict_data(run)
    elif run.is_file() or (run / "intervals.csv").exists():
        data = spotting_data(run, thumbs if images else 0)
    elif (run / "predictions").is_dir():
        data = recognition_data(run, inputs, images)
    else:
        raise CorpusError(f"{run}: neither a recognition run (predictions/) nor a spotting run (intervals.csv); "
                          f"pass a folder `atnet evaluate`, `reproduce`, `demo` or `evaluate --task spot` wrote.")
    write_atomic(out, page(data))
    return out
