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
labelled it, the label and probabilities. Every annotated video is shown, one with no proposal too.

What the run read comes from its run.json (evaluation/manifest.py): a recognition run's images are
those of the corpus it read (its roots, its synthetic corpus, its apex table's own images and
flows; none for a `--features` run, whose features hold none), prepared with its own settings;
corpus flags given to view win. A run written before run.json is shown as far as it can be, and the
page says what it cannot tell. Every file the page reads is checked (one sentence naming the file
and what is wrong), and `out` may be no file of the run nor lie in a corpus folder it reads.

Every clip and interval is an element that carries its identity in data attributes (data-key: the
Sample key dataset/subject/clip, since clip names repeat across subjects; data-dataset,
data-subject, data-clip, data-truth, data-pred; data-video, data-onset, data-offset, data-kind,
data-status), so that tests and your own scripts can find them. The page's data is JSON with `<`,
`>` and `&` escaped, so no name can end the script or change the document. Thumbnails are small JPEGs, stored
once per clip; the gallery shows the first `limit` matches with the rest one click away, and the
page says what it left out."""
from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..core.cache import write_atomic
from ..core.classes import CLASSES
from ..core.errors import CorpusError
from ..core.readers import empty_cell, one_line, read_table, whole_number
from ..data import classsets
from ..data.prepare import table_file
from ..evaluation import reports, splits
from ..evaluation.byo import once
from ..evaluation.manifest import NAME, manifest_of, run_of
from .outputs import CORPUS, FRAMES, Read, check_writes

THUMB = 72         # px, clip thumbnails (apex crop, flow)
FRAME = 112        # px, a spotted interval's frames


def pred_name() -> re.Pattern:
    """A predictions file's stem, METHOD-PROTOCOL[-seedN], for every registered protocol."""
    protocols = "|".join(re.escape(p) for p in splits.names())
    return re.compile(rf"^(?P<method>.+?)-(?P<protocol>{protocols})(?:-seed(?P<seed>\d+))?$")


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


KEY_COLUMNS = ("dataset", "subject", "clip")
RUN_READS = frozenset({".csv", ".json", ".npz"})   # what view reads in a run folder: no output of that kind there


def clip_key(dataset, subject, clip) -> str:
    """The Sample key, dataset/subject/clip (subject with or without its dataset prefix): clip names
    alone repeat across subjects (CASME II's EP02_01f is sub01's and sub02's)."""
    return f"{dataset}/{str(subject).split('/', 1)[-1]}/{clip}"


def _settings(run: Path) -> dict:
    """settings.json of a run written before run.json (a JSON mapping), {} if there is none."""
    path = run / "settings.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise CorpusError(f"{path}: not valid JSON ({one_line(e)}); delete it or rerun the run.") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: not a JSON mapping; delete it or rerun the run.")
    return data


def _class_id(value, path: Path, row: int, column: str, classes=CLASSES) -> int:
    n = whole_number(value)
    if n is None or not 0 <= n < len(classes):
        ids = ", ".join(f"{i} {c}" for i, c in enumerate(classes))
        raise CorpusError(f"{path} row {row}: {column} {value!r} is not a class id ({ids}); the file is damaged, "
                          f"rerun the run that wrote it.")
    return n


def _finite(value, path: Path, row: int, column: str, empty_ok: bool = False) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        if empty_ok:
            return None
        raise CorpusError(f"{path} row {row}: the {column!r} cell is empty; the file is damaged or cut short, rerun "
                          f"the run that wrote it.")
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not np.isfinite(f):
        raise CorpusError(f"{path} row {row}: {column} {value!r} is not a finite number; the file is damaged, rerun "
                          f"the run that wrote it.")
    return f


def _probability(value, path: Path, row: int, column: str) -> float:
    f = _finite(value, path, row, column)
    if not 0 <= f <= 1:
        raise CorpusError(f"{path} row {row}: {column} {value!r} is not a probability (0 to 1); the file is damaged, "
                          f"rerun the run that wrote it.")
    return f


def prob_columns(t: pd.DataFrame, path: Path, classes=CLASSES) -> list[str]:
    """The class-probability columns in the page's class order (the run's class set): all of them or
    none (the page shows p[i] as class i's, so a column missing, unknown or out of order would be
    shown as another class's)."""
    want = [f"p_{c}" for c in classes]
    have = [c for c in t.columns if str(c).startswith("p_")]
    if have and sorted(have) != sorted(want):
        raise CorpusError(f"{path}: its probability columns are {', '.join(have)}, not {', '.join(want)}; the file "
                          f"is damaged or of another atnet, rerun the run that wrote it.")
    return want if have else []


def _frame(value, path: Path, row: int, column: str) -> int:
    n = whole_number(value)
    if n is None:
        raise CorpusError(f"{path} row {row}: {column} {value!r} is not a whole frame number; the file is damaged, "
                          f"rerun the run that wrote it.")
    return n


def _full(t: pd.DataFrame, path: Path, columns) -> None:
    """Every cell of `columns` filled (a CSV cut mid-row leaves its last cells empty)."""
    for i, r in t.iterrows():
        empty = empty_cell(r, columns)
        if empty:
            raise CorpusError(f"{path} row {i + 2}: the {empty!r} cell is empty; the file is damaged or cut short, "
                              f"rerun the run that wrote it.")


def read_scores(path: Path) -> list[dict]:
    """results.json's records for the page (every number finite)."""
    records = reports.read_results(path)
    for i, r in enumerate(records):
        for k, v in r.items():
            if isinstance(v, float) and not np.isfinite(v):
                raise CorpusError(f"{path}: [{i}].{k} is {v}, not a finite number; rerun the `atnet evaluate` that "
                                  f"wrote it, or delete the file (the page then shows no scores).")
    return records


def recognition_data(run: Path, inputs=None, images: bool = True, manifest: dict | None = None) -> dict:
    """Everything the recognition page shows, as plain data (no HTML)."""
    rows, runs = [], []
    classes = tuple(manifest["classes"]) if manifest else CLASSES
    for f in sorted((run / "predictions").glob("*.csv")):
        entry = run_of(manifest, f.name)
        m = pred_name().match(f.stem)
        name = f.stem
        t = read_table(f, KEY_COLUMNS + ("truth", "pred"), "a predictions table (a run folder atnet wrote)")
        _full(t, f, KEY_COLUMNS + ("truth", "pred"))
        if entry:
            runs.append({"run": name, "method": entry["method"], "protocol": entry["protocol"],
                         "seed": "" if entry["seed"] is None else str(entry["seed"])})
        else:
            runs.append({"run": name, "method": m["method"] if m else name, "protocol": m["protocol"] if m else "",
                         "seed": m["seed"] if m and m["seed"] else ""})
        probs = prob_columns(t, f, classes)
        once(f, t.assign(subject=[f"{d}/{str(s).split('/', 1)[-1]}" for d, s in zip(t["dataset"], t["subject"])]))
        for i, d in enumerate(t.to_dict("records")):
            rows.append({"run": name, "dataset": d["dataset"], "subject": d["subject"], "clip": d["clip"],
                         "key": clip_key(d["dataset"], d["subject"], d["clip"]), "fold": _text(d.get("fold")),
                         "truth": classes[_class_id(d["truth"], f, i + 2, "truth", classes)],
                         "pred": classes[_class_id(d["pred"], f, i + 2, "pred", classes)],
                         "p": [round(_probability(d[c], f, i + 2, c), 3) for c in probs]})
    if not runs:
        raise CorpusError(f"{run}/predictions: no predictions CSV; view a run folder `atnet evaluate`, `reproduce` or "
                          f"`demo` wrote.")
    notes = [] if manifest else ["This run has no run.json (an older atnet wrote it): the page cannot say what "
                                 "corpus and command made it."]
    images_of = {}
    if images:
        source, why = image_source(run, manifest, inputs)
        if source is None:
            notes.append(why)
        else:
            if why:
                notes.append(why)
            images_of, note = clip_images(run, {r["key"] for r in rows}, source, manifest)
            notes += [note] if note else []
    scores = read_scores(run / "results.json") if (run / "results.json").exists() else []
    return {"kind": "recognition", "title": str(run), "runs": runs, "rows": rows, "classes": list(classes),
            "scores": scores, "images": images_of, "note": " ".join(notes)}


def predict_data(path: Path) -> dict:
    """The recognition page of `atnet predict`'s CSV: its rows (truth where the corpus gave one), no images."""
    t = read_table(path, KEY_COLUMNS + ("label",), "atnet predict's table")
    classes = tuple(str(c)[2:] for c in t.columns if str(c).startswith("p_"))   # the model's, in id order
    probs = prob_columns(t, path, classes)
    rows = [{"run": "predict", "dataset": _text(r.get("dataset")), "subject": _text(r.get("subject")),
             "clip": _text(r.get("clip")), "key": clip_key(_text(r.get("dataset")), _text(r.get("subject")),
                                                           _text(r.get("clip"))),
             "fold": "", "truth": _text(r.get("truth")) or "unknown",
             "pred": _text(r.get("label")), "p": [round(_probability(r[c], path, i + 2, c), 3) for c in probs]}
            for i, r in enumerate(t.to_dict("records"))]
    return {"kind": "recognition", "title": str(path), "runs": [{"run": "predict", "method": "", "protocol": "",
                                                                "seed": ""}], "rows": rows, "classes": list(classes),
            "scores": [], "images": {}, "note": "atnet predict's table: no images (view a run folder for them)."}


def _given_flags(inputs) -> bool:
    return inputs is not None and bool(any(inputs.roots.values()) or inputs.synthetic or inputs.apex_table)


def _as_given(g: dict) -> str:
    """A run.json path as the run gave it, where that still names the same place from here, else its
    absolute path: prepared clips are cached under their frame paths as written, so the run's own
    cache entries are found (`atnet view runs/demo` prepares nothing again)."""
    return g["given"] if os.path.abspath(g["given"]) == g["path"] else g["path"]


def image_source(run: Path, manifest: dict | None, inputs=None):
    """(runs.Inputs the run's clips are prepared from, or None; a sentence for the page). Corpus
    flags passed to view win; else the corpus run.json names; a `--features` run has no images."""
    from .runs import DEFAULT_CACHE, Inputs
    classes = manifest["inputs"]["classes"] if manifest else "megc2019"   # the clips are read as the run read them
    if _given_flags(inputs):
        return (inputs if inputs.classes == classes else replace(inputs, classes=classes)), ""
    jobs = inputs.jobs if inputs is not None else 2
    if manifest is None:
        settings = _settings(run)
        if settings.get("features"):
            return None, (f"No images: the run classified the features in {settings['features']}, which hold no "
                          f"images.")
        return inputs or Inputs(), ("Its images are those of the default synthetic corpus (pass the corpus flags "
                                    "the run used if it read another).")
    got = manifest["inputs"]
    cache = inputs.cache if inputs is not None and inputs.cache != str(DEFAULT_CACHE) else \
        _as_given(got["cache"]) if got["cache"] else str(DEFAULT_CACHE)
    source = got["source"]
    if source == "features":
        return None, f"No images: the run classified the features in {got['features']['path']}, which hold no images."
    if source == "apex-table":
        return Inputs(apex_table=_as_given(got["apex_table"]), cache=cache, jobs=jobs, classes=classes), ""
    if source == "corpora":
        return Inputs(roots={n: _as_given(g) for n, g in got["roots"].items()},
                      sheets={n: _as_given(g) for n, g in got["sheets"].items()}, cache=cache, jobs=jobs,
                      smic_apex=got["smic_apex"], classes=classes), ""
    if source == "synthetic":
        return Inputs(synthetic=_as_given(got["synthetic"]), cache=cache, jobs=jobs, smic_apex=got["smic_apex"],
                      classes=classes), ""
    if source == "default-synthetic":
        return Inputs(cache=str(Path(_as_given(got["synthetic"])).parent), jobs=jobs, classes=classes), ""
    raise CorpusError(f"{run / NAME}: inputs.source is {source!r}, not a recognition run's; view a folder "
                      f"`atnet evaluate`, `reproduce` or `demo` wrote.")


def clip_images(run: Path, wanted: set, inputs, manifest: dict | None = None) -> tuple[dict, str]:
    """{"dataset/subject/clip": [apex URL, flow URL]} from the prepared cache (prepared now if it is
    not), with the run's own preparation settings; and a sentence when some or all have none."""
    from ..data.prepare import PrepConfig
    from .runs import load_and_prepare
    prep = (manifest["configs"]["prep"] if manifest else _settings(run).get("prep")) or {}
    try:
        data, _ = load_and_prepare(inputs, PrepConfig(**prep))
    except (CorpusError, OSError, TypeError, ValueError) as e:
        return {}, (f"No images: the run's clips could not be prepared again ({one_line(e)}); pass the corpus flags "
                    f"it was run with.")
    out = {}
    for i, (d, s, c) in enumerate(zip(data.table["dataset"], data.table["subject"], data.table["clip"])):
        key = clip_key(d, s, c)
        if key not in wanted:
            continue
        apex = jpeg(data.apex[i], THUMB) if data.apex is not None else ""
        flow = jpeg(flow_image(data.flow[i]), THUMB) if data.flow is not None and data.flow[i].size else ""
        out[key] = [apex, flow]
    missing = len(wanted) - len(out)
    return out, (f"{missing} clip(s) of the predictions are not among the clips prepared now, so they have no "
                 f"images (pass the corpus flags the run used)." if missing else "")


def read_intervals(path: Path, truth: bool = False) -> pd.DataFrame:
    """intervals.csv (or atnet spot's CSV) or truth.csv, every frame a whole number and every kind known."""
    from ..data.long import KINDS
    what = "the annotated intervals (truth.csv)" if truth else "a spotting table"
    t = read_table(path, ("dataset", "video", "onset", "offset", "kind"), what)
    _full(t, path, ("dataset", "video", "onset", "offset", "kind"))
    for i, r in t.iterrows():
        onset, offset = (_frame(r[c], path, i + 2, c) for c in ("onset", "offset"))
        if not 0 <= onset <= offset:
            raise CorpusError(f"{path} row {i + 2}: onset {onset} and offset {offset} make no interval (frames count "
                              f"from 0, the onset at or before the offset); the file is damaged, rerun the run that "
                              f"wrote it.")
        if r["kind"] not in KINDS:
            raise CorpusError(f"{path} row {i + 2}: kind {r['kind']!r} is not one of {', '.join(KINDS)}; the file is "
                              f"damaged, rerun the run that wrote it.")
        if "apex" in t.columns and not pd.isna(r["apex"]):
            _frame(r["apex"], path, i + 2, "apex")
        if "score" in t.columns:
            _finite(r["score"], path, i + 2, "score", empty_ok=True)
    return t


def read_curves(path: Path) -> dict:
    """curves.npz: numeric arrays only (never pickles), every value finite."""
    try:
        with np.load(path, allow_pickle=False) as z:
            curves = {k: z[k] for k in z.files}
    except Exception as e:   # not a zip, a truncated one, a pickled object array: numpy raises many kinds
        raise CorpusError(f"{path}: not the score curves atnet writes ({one_line(e)}); delete it (the page then "
                          f"shows no curves) or rerun the run.") from None
    for k, v in curves.items():
        if v.dtype.kind not in "iuf" or (v.dtype.kind == "f" and not np.isfinite(v).all()):
            raise CorpusError(f"{path}: {k} holds {'non-numeric' if v.dtype.kind not in 'iuf' else 'NaN or infinite'} "
                              f"values; delete it (the page then shows no curves) or rerun the run.")
        if v.ndim > 1 or (k.endswith("|threshold") and v.ndim != 0):
            raise CorpusError(f"{path}: {k} has shape {v.shape}, not the curves' shape; delete it or rerun the run.")
    for k, v in curves.items():
        if k.endswith("|numbers"):
            for kind in ("micro", "macro"):
                c = curves.get(k[:-len("numbers")] + kind)
                if c is not None and (c.ndim != 1 or len(c) != len(v)):
                    raise CorpusError(f"{path}: {k[:-len('numbers')] + kind} has {c.size} values for {len(v)} "
                                      f"frames; delete it or rerun the run.")
    return curves


def read_spot_scores(path: Path) -> list[dict]:
    t = read_table(path, ("dataset", "kind", "tp", "fp", "fn", "precision", "recall", "f1"), "a spotting scores table")
    _full(t, path, ("dataset", "kind"))
    out = []
    for i, r in enumerate(t.to_dict("records")):
        row = {"dataset": r["dataset"], "kind": r["kind"]}
        for c in ("tp", "fp", "fn"):
            row[c] = _frame(r[c], path, i + 2, c)
        for c in ("precision", "recall", "f1"):
            row[c] = _finite(r[c], path, i + 2, c, empty_ok=True)
        out.append(row)
    return out


def long_inputs(run: Path, manifest: dict | None) -> tuple[dict, dict]:
    """({corpus: root}, {corpus: sheet}) of the long videos a spotting run read: its run.json's, or
    for an older run its settings.json's; none for atnet spot's CSV."""
    if manifest:
        return ({n: g["path"] for n, g in manifest["inputs"]["roots"].items()},
                {n: g["path"] for n, g in manifest["inputs"]["sheets"].items()})
    settings = _settings(run) if run.is_dir() else {}
    return settings.get("roots") or {}, settings.get("sheets") or {}


def spotting_data(run: Path, thumbs: int = 400, manifest: dict | None = None) -> dict:
    """Everything the spotting page shows, as plain data: per video (every one with a proposal or an
    annotated interval) its curves, thresholds, truth and proposals (with status), and frames of the
    first `thumbs` proposals."""
    from ..data.long import Interval
    from ..spotting.metric import match_by_kind
    folder = run if run.is_dir() else None
    table = read_intervals(run / "intervals.csv" if folder else run)
    truth = read_intervals(folder / "truth.csv", truth=True) if folder and (folder / "truth.csv").exists() else \
        pd.DataFrame(columns=["dataset", "video", "onset", "apex", "offset", "kind", "label"])
    curves = read_curves(folder / "curves.npz") if folder and (folder / "curves.npz").exists() else {}
    videos = frames_of_videos(*long_inputs(run, manifest)) if thumbs else {}
    parts = dict(list(table.groupby(["dataset", "video"], sort=False)))
    truths = dict(list(truth.groupby(["dataset", "video"], sort=False)))
    out, shown = [], 0
    for dataset, video in list(parts) + [v for v in truths if v not in parts]:   # every annotated video too
        key = f"{dataset}/{video}"
        part, gt = parts.get((dataset, video), table.iloc[:0]), truths.get((dataset, video), truth.iloc[:0])
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
        numbers = numbers if numbers is not None and len(numbers) else None
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
    if folder and not manifest:
        note.append("This run has no run.json (an older atnet wrote it): the page cannot say what command made it.")
    return {"kind": "spotting", "title": str(run), "videos": out, "note": " ".join(note),
            "scores": read_spot_scores(folder / "scores.csv") if folder and (folder / "scores.csv").exists() else []}


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


def frames_of_videos(roots: dict, sheets: dict) -> dict:
    """{video key: {frame number: path}} of the long-video corpora the run names."""
    if not roots:
        return {}
    from ..spotting.run import load_long
    try:
        corpus = load_long(roots, sheets)
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


def embed(data: dict) -> str:
    """The page's data as JSON that no string in it can end or change the HTML around it: `<`, `>`
    and `&` as JSON escapes (so no `</script>` or `<!--`), and no NaN (not JSON)."""
    try:
        blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except ValueError as e:
        raise CorpusError(f"{data['title']}: the run holds a value that is not a finite number ({one_line(e)}); "
                          f"rerun the run that wrote it.") from None
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                   ("\u2029", "\\u2029")):
        blob = blob.replace(c, esc)
    return blob


def page(data: dict) -> str:
    """The HTML of one page from recognition_data or spotting_data."""
    from importlib.resources import files
    template = (files("atnet.app") / "view.html").read_text()
    parts = {"__TITLE__": html.escape(data["title"]), "__DATA__": embed(data)}
    return re.sub("__TITLE__|__DATA__", lambda m: parts[m.group()], template)   # one pass: a title may hold either


def corpus_reads(inputs) -> list[Read]:
    """The corpus files and folders a recognition page's images are read from (runs.Inputs)."""
    if inputs is None:
        return []
    reads = [Read(r, CORPUS) for r in inputs.roots.values() if r] + [Read(p) for p in inputs.sheets.values() if p]
    if inputs.apex_table:
        reads += [Read(inputs.apex_table), Read(Path(inputs.apex_table).parent, FRAMES | {".npy", ".csv"})]
        reads += [Read(f) for f in table_files(Path(inputs.apex_table))]   # its rows may name files elsewhere
    elif not any(inputs.roots.values()):
        reads.append(Read(inputs.synthetic or Path(inputs.cache) / "synthetic", CORPUS))
    return reads


def table_files(table: Path) -> list[Path]:
    """The image and flow files an apex table's rows name, as read_apex_table finds them
    (prepare.table_file); none if the table cannot be read (the page then says so)."""
    try:
        t = pd.read_csv(table, dtype=str, keep_default_na=False)
    except Exception:   # missing, empty, binary: the page's own reading says what is wrong
        return []
    return [table_file(table, p) for c in ("image", "flow") if c in t.columns for p in t[c] if p.strip()]


def run_reads(run: Path) -> list[Read]:
    """Every file of a run folder (by any name: links are compared as files), and the folder itself."""
    if run.is_file():
        return [Read(run)]
    return [Read(f) for f in sorted(run.rglob("*")) if f.is_file()] + [Read(run, RUN_READS)]


def _columns(path: Path) -> set:
    try:
        return set(pd.read_csv(path, nrows=0).columns)
    except Exception as e:   # empty, binary, undecodable
        raise CorpusError(f"{path}: cannot be read as a CSV ({one_line(e)}); pass a run folder or the CSV "
                          f"`atnet spot` or `atnet predict` wrote.") from None


def view(run: str | Path, out: str | Path, inputs=None, images: bool = True, thumbs: int = 400) -> Path:
    """Write the page of a run folder (or of `atnet spot`'s CSV) to `out`; returns `out`. `inputs`
    (runs.Inputs): where a recognition run's clips come from, for their images; corpus roots,
    --synthetic or an apex table given there win over the run's run.json (default: what run.json
    names; for a run without one, the synthetic corpus under the cache, as the commands default).
    `out` may not be a file of the run or of a corpus it reads."""
    run, out = Path(run), Path(out)
    if not run.exists():
        raise CorpusError(f"{run}: not found; pass a run folder (or the CSV `atnet spot` wrote).")
    manifest = manifest_of(run)
    if manifest and manifest["class_set"] in classsets.names() and \
            manifest["classes"] != list(classsets.get(manifest["class_set"]).classes):
        raise CorpusError(f"{run / NAME}: classes is {manifest['classes']}, and this atnet's class set "
                          f"{manifest['class_set']} has {list(classsets.get(manifest['class_set']).classes)}; view the "
                          f"run with the atnet that wrote it ({manifest['atnet']}).")
    head = _columns(run) if run.is_file() else set()
    reads = run_reads(run)
    if "label" in head and "kind" not in head:     # atnet predict's table
        check_writes(reads, files=[("--out", out)])
        data = predict_data(run)
    elif run.is_file() or (run / "intervals.csv").exists():
        check_writes(reads + [Read(r, CORPUS) for r in long_inputs(run, manifest)[0].values() if r],
                     files=[("--out", out)])
        data = spotting_data(run, thumbs if images else 0, manifest)
    elif (run / "predictions").is_dir():
        source = image_source(run, manifest, inputs)[0]   # its corpus, even with no images: never written into
        check_writes(reads + corpus_reads(source), files=[("--out", out)])
        data = recognition_data(run, inputs, images, manifest)
    else:
        raise CorpusError(f"{run}: neither a recognition run (predictions/) nor a spotting run (intervals.csv); "
                          f"pass a folder `atnet evaluate`, `reproduce`, `demo` or `evaluate --task spot` wrote.")
    write_atomic(out, page(data))
    return out
