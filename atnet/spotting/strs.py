"""STRS, the spot-then-recognise score of MEGC 2023-2025: spotting F1 x the F1 of the analysis
(recognition) of what was spotted. Inputs are two tables of subject, video, onset, offset, emotion
(`read_str_table`): the predictions and the ground truth. Two modes, both reported by `atnet score
--strs`:

reference
    What the challenge's reference implementation (genbing99/STRS-Metric, strs_metric.py @eb86468,
    `Evaluator.evaluate_STRS`) computes, so numbers compare with published ones. On its own sample
    data (../shared/data/annotations/strs/) it gives spotting TP 159, FP 85, FN 85, F1 0.6516;
    analysis TP 96, FP 63, FN 63, precision 0.5983, recall 0.5872, F1 0.5927, UF1 0.5766, "UAR"
    0.5983; STRS 0.3862. This mode reproduces them, and the departures below, exactly.
strict
    Spotting as atnet's MEGC metric (spotting/metric.py `match`: IoU >= 0.5 over inclusive frames,
    one-to-one, pairs taken by decreasing IoU) over every video either table names; the analysis on
    the matched pairs whose truth emotion is in the class set, per class TP/FP/FN (a predicted
    emotion outside the set is a miss of the truth's class), F1 = UF1 = mean per-class F1, UAR =
    mean per-class recall, precision = mean per-class precision; a class without any analysed pair
    (neither truth nor prediction) is left out of the means, one never predicted out of the
    precision, one never true out of the UAR, as atnet's recognition metrics do. No pair analysed
    gives analysis scores 0 (and STRS 0).

The class set (both modes): `classes` given (lower-cased), else every emotion in the truth, "others"
included (the reference's default, strs_metric.py line 98). Emotions are compared lower-cased;
subjects and videos as text, a whole number (006, 6) as a number, as pandas' parsing of the CSVs
makes the reference do.

How the reference departs from its own description ("a prediction is a TP when its IoU with a
ground-truth interval is >= 0.5", "F1-score for the analysis task", "UAR"); line numbers of
strs_metric.py @eb86468, each shown on a hand-made case in tests/test_strs.py:
 1. One prediction can match several truths (lines 57-63: no break after a match): every not yet
    matched truth it overlaps at IoU >= 0.5 is a TP pair, so TP + FP can exceed the predictions.
    One truth is matched at most once (line 60), as described.
 2. Matching is greedy in file order, not by IoU: each prediction, in the predictions' row order,
    takes every free truth in the truth's row order; a later, better prediction is then an FP and
    the analysis is scored on the worse one's emotion.
 3. Only subjects that have a prediction are scored (line 99): the truths of a subject without any
    prediction are not false negatives. Only videos the truth names for that subject are scored
    (line 110): a prediction in any other video (a video without an expression, or a misspelt name;
    names are compared exactly, line 114) is dropped, not a false positive. Both are counted under
    "ignored".
 4. The analysis is scored on the spotted TP pairs whose truth emotion is in the class set (lines
    28, 75), a prediction matched to two truths once per truth. A predicted emotion outside the set
    is a miss of the truth's class in precision/recall/F1, but in neither reported count.
 5. The reported analysis FN are the same pairs as its FP (line 87 takes the pairs predicted as the
    class and wrong, which is line 84's FP test): FN always equals FP (63 = 63 on the sample data).
    The counts are not used for any score.
 6. Per class, TP/FP/FN come from a 2x2 confusion matrix (line 35); where every analysed pair is the
    same for that class (none of them truth or prediction of it, or all of them truth and
    prediction of it) the matrix is 1x1, cannot be unpacked, and the bare `except` (line 36) scores
    the class 0. So a class absent from the pairs drags the means down, and a perfect analysis of
    one class (all pairs truth and prediction of it) scores precision 0 and recall 0.
 7. Analysis "F1" is the harmonic mean of the macro precision and the macro recall (line 45), not
    the mean of per-class F1s it reports as UF1 (0.5927 against 0.5766 on the sample); where both
    means are 0 it divides 0 by 0: F1 and STRS are NaN (numpy's RuntimeWarning), also when spotting
    found nothing.
 8. "UAR" is the mean per-class precision (line 47: `uar = np.mean(precision_list)`), equal to the
    reported precision (0.5983 on the sample); the mean per-class recall is the reported recall
    (0.5872).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ..core.errors import CorpusError
from ..core.readers import empty_cell, read_table, whole_number
from . import Interval
from .metric import THRESHOLD, iou, match

COLUMNS = ("subject", "video", "onset", "offset", "emotion")
MODES = ("reference", "strict")
FIX = "a spot-then-recognise table is a CSV with the columns subject,video,onset,offset,emotion, one row per interval"
_WHOLE = re.compile(r"[+-]?\d{1,18}")


def read_str_table(path: str | Path) -> pd.DataFrame:
    """A spot-then-recognise CSV (predictions or truth) -> DataFrame(subject, video, onset, offset,
    emotion) in the file's row order: subject and video as text, onset <= offset whole frame numbers
    (negative ones kept: a prediction may start before the first frame), emotion lower-cased. A
    missing column, an empty cell, a non-numeric frame or onset > offset is one sentence naming the
    file and the row."""
    t = read_table(path, COLUMNS, "a spot-then-recognise table")
    return _clean(t, str(path), first_row=2)


def _clean(t: pd.DataFrame, where: str, first_row: int = 0) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in t.columns]
    if missing:
        raise CorpusError(f"{where}: no column {missing[0]!r}; {FIX}.")
    t = t[list(COLUMNS)].reset_index(drop=True)
    rows = []
    for i, row in t.iterrows():
        at = f"{where}: row {i + first_row}"
        col = empty_cell(row, COLUMNS)
        if col:
            raise CorpusError(f"{at} has no {col}; fill it or delete the row.")
        onset, offset = whole_number(row["onset"]), whole_number(row["offset"])
        for name, got in (("onset", onset), ("offset", offset)):
            if got is None:
                raise CorpusError(f"{at}: {name} {str(row[name]).strip()!r} is not a whole frame number; write the "
                                  f"frame number.")
        if onset > offset:
            raise CorpusError(f"{at}: onset {onset} is after offset {offset}; write the interval's first frame as "
                              f"onset and its last as offset.")
        rows.append((str(row["subject"]).strip(), str(row["video"]).strip(), onset, offset,
                     str(row["emotion"]).strip().lower()))
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"onset": "int64", "offset": "int64"})


def _part(text: str) -> str:
    """A subject or video as it is compared: a whole number as a number (006 is 6)."""
    return str(int(text)) if _WHOLE.fullmatch(text) else text


def _videos(t: pd.DataFrame) -> dict[tuple[str, str], list[Interval]]:
    """(subject, video) -> its intervals in row order, the emotion as the label."""
    out: dict[tuple[str, str], list[Interval]] = {}
    for s, v, on, off, e in t.itertuples(index=False):
        out.setdefault((_part(s), _part(v)), []).append(Interval(int(on), int(off), label=e))
    return out


def _ratio(a, b, empty=0.0) -> float:
    return a / b if b else empty


def _spotting(tp: int, fp: int, fn: int) -> dict:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": _ratio(2 * p * r, p + r)}


def _class_counts(pairs: list[tuple[str, str]], c: str) -> tuple[int, int, int]:
    tp = sum(t == c and p == c for t, p in pairs)
    return tp, sum(t != c and p == c for t, p in pairs), sum(t == c and p != c for t, p in pairs)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _spot_reference(pred: dict, truth: dict, pred_subjects: list[str]):
    """Departures 1-3: the subjects of the predictions, the videos of the truth; each prediction in
    row order takes every free truth at IoU >= 0.5."""
    tp = fp = fn = 0
    pairs, scored, subjects = [], set(), set(pred_subjects)
    for s in pred_subjects:
        for (ts, v), gts in truth.items():
            if ts != s:
                continue
            scored.add((s, v))
            taken = set()
            for p in pred.get((s, v), []):
                hits = [i for i, g in enumerate(gts) if i not in taken and iou(p, g) >= THRESHOLD]
                taken.update(hits)
                pairs += [(gts[i].label, p.label) for i in hits]
                fp += not hits
            tp += len(taken)
            fn += len(gts) - len(taken)
    ignored = {"predictions": sum(len(x) for k, x in pred.items() if k not in scored),
               "truths": sum(len(x) for (s, _), x in truth.items() if s not in subjects)}
    return _spotting(tp, fp, fn), pairs, ignored


def _analysis_reference(pairs: list[tuple[str, str]], classes: tuple[str, ...]) -> dict:
    """Departures 4-8."""
    pairs = [(t, p) for t, p in pairs if t in classes]
    per_class = {}
    for c in classes:
        one_value = len({x for t, p in pairs for x in (t == c, p == c)}) < 2   # a 1x1 confusion matrix
        tp, fp, fn = (0, 0, 0) if one_value else _class_counts(pairs, c)
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_class[c] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": _ratio(2 * p * r, p + r)}
    precision = _mean([x["precision"] for x in per_class.values()])
    recall = _mean([x["recall"] for x in per_class.values()])
    wrong = sum(t != p and p in classes for t, p in pairs)
    return {"n": len(pairs), "tp": sum(t == p for t, p in pairs), "fp": wrong, "fn": wrong,
            "precision": precision, "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall, math.nan),
            "uf1": _mean([x["f1"] for x in per_class.values()]), "uar": precision, "per_class": per_class}


def _spot_strict(pred: dict, truth: dict):
    tp = fp = fn = 0
    pairs = []
    for key in sorted(set(pred) | set(truth)):
        gts, ps = truth.get(key, []), pred.get(key, [])
        m = match(gts, ps)
        pairs += [(gts[i].label, ps[j].label) for i, j, _ in m]
        tp, fp, fn = tp + len(m), fp + len(ps) - len(m), fn + len(gts) - len(m)
    return _spotting(tp, fp, fn), pairs, {"predictions": 0, "truths": 0}


def _analysis_strict(pairs: list[tuple[str, str]], classes: tuple[str, ...]) -> dict:
    pairs = [(t, p) for t, p in pairs if t in classes]
    per_class = {}
    for c in classes:
        tp, fp, fn = _class_counts(pairs, c)
        per_class[c] = {"tp": tp, "fp": fp, "fn": fn,
                        "precision": _ratio(tp, tp + fp, None), "recall": _ratio(tp, tp + fn, None),
                        "f1": _ratio(2 * tp, 2 * tp + fp + fn, None)}

    def mean(key):
        return _mean([x[key] for x in per_class.values() if x[key] is not None])
    uf1 = mean("f1")
    return {"n": len(pairs), "tp": sum(x["tp"] for x in per_class.values()),
            "fp": sum(x["fp"] for x in per_class.values()), "fn": sum(x["fn"] for x in per_class.values()),
            "precision": mean("precision"), "recall": mean("recall"), "f1": uf1, "uf1": uf1, "uar": mean("recall"),
            "per_class": per_class}


def strs(pred: pd.DataFrame, truth: pd.DataFrame, mode: str = "reference", classes=None) -> dict:
    """STRS of predictions against the truth (tables of subject, video, onset, offset, emotion, as
    `read_str_table` returns; other frames are checked the same way) ->
    {"mode", "classes", "spotting": {tp, fp, fn, precision, recall, f1},
     "analysis": {n (pairs analysed), tp, fp, fn, precision, recall, f1, uf1, uar, per_class},
     "strs": spotting f1 x analysis f1, "ignored": {predictions, truths} (rows the mode does not score),
     "outside": {emotion: truth rows} of the truth's emotions outside the classes (spotted, never analysed)}.
    `classes`: the analysis classes (default: the emotions in the truth, sorted)."""
    if mode not in MODES:
        raise CorpusError(f"mode {mode!r}: give one of {', '.join(MODES)}.")
    pred, truth = _clean(pred, "the predictions"), _clean(truth, "the truth")
    classes = tuple(dict.fromkeys(str(c).strip().lower() for c in classes)) if classes is not None \
        else tuple(sorted(set(truth["emotion"])))
    p, t = _videos(pred), _videos(truth)
    if mode == "reference":
        subjects = list(dict.fromkeys(_part(s) for s in pred["subject"]))
        spotting, pairs, ignored = _spot_reference(p, t, subjects)
        analysis = _analysis_reference(pairs, classes)
    else:
        spotting, pairs, ignored = _spot_strict(p, t)
        analysis = _analysis_strict(pairs, classes)
    outside = truth.loc[~truth["emotion"].isin(classes), "emotion"].value_counts()
    return {"mode": mode, "classes": classes, "spotting": spotting, "analysis": analysis,
            "strs": spotting["f1"] * analysis["f1"], "ignored": ignored,
            "outside": {str(e): int(n) for e, n in outside.items()}}


def both(pred: pd.DataFrame, truth: pd.DataFrame, classes=None) -> dict[str, dict]:
    """{"reference": strs(...), "strict": strs(...)}."""
    return {m: strs(pred, truth, m, classes) for m in MODES}


ROWS = [("spotting", "tp", "spotting TP"), ("spotting", "fp", "spotting FP"), ("spotting", "fn", "spotting FN"),
        ("spotting", "precision", "spotting precision"), ("spotting", "recall", "spotting recall"),
        ("spotting", "f1", "spotting F1"), ("analysis", "n", "pairs analysed"), ("analysis", "tp", "analysis TP"),
        ("analysis", "fp", "analysis FP"), ("analysis", "fn", "analysis FN"),
        ("analysis", "precision", "analysis precision"), ("analysis", "recall", "analysis recall"),
        ("analysis", "f1", "analysis F1"), ("analysis", "uf1", "analysis UF1"), ("analysis", "uar", "analysis UAR"),
        (None, "strs", "STRS"), ("ignored", "predictions", "predictions not scored"),
        ("ignored", "truths", "truths not scored")]


def table(results: dict[str, dict]) -> str:
    """A Markdown table: one row per number, one column per mode."""
    modes = list(results)

    def cell(r, group, key):
        v = r[key] if group is None else r[group][key]
        return str(v) if isinstance(v, int) else f"{v:.4f}"
    lines = ["| | " + " | ".join(modes) + " |", "| --- |" + " --- |" * len(modes)]
    lines += [f"| {name} | " + " | ".join(cell(results[m], g, k) for m in modes) + " |" for g, k, name in ROWS]
    return "\n".join(lines)


__all__ = ["COLUMNS", "MODES", "both", "read_str_table", "strs", "table"]
