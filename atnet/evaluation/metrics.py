"""Metrics (SPEC section 8), computed from a predictions table, pooled over folds: the true
positives, false positives and false negatives of each class are summed over every fold first, then

    UF1 = mean_c 2 TP_c / (2 TP_c + FP_c + FN_c)      UAR = mean_c TP_c / N_c      Acc = sum TP / N

Pooling is what MEGC 2019 and the paper report; it is not the mean of per-fold scores (a LOSO fold
often holds one class only, where per-fold F1 is meaningless). A class with no sample in the set
(N_c = 0) is left out of UAR and, when nothing was predicted as it either, out of UF1. The classes
are the class set's (k of them, ids 0..k-1): a predictions table names them in its p_<class>
columns, in id order; each record also holds every class's F1, recall and count, and the
pooled confusion matrix.

The MEGC 2019 log is read and written: a `casme2 sub01` line opens each subject, then one line per
clip `EP02_01f 1 1` (clip, truth, prediction; class ids negative 0, positive 1, surprise 2).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.cache import write_atomic
from ..core.classes import CLASSES, COMPOSITE, DATASETS, clip_identity
from ..core.errors import CorpusError
from ..core.readers import existing_file, one_line


def confusion(truth, pred, n_classes: int = len(CLASSES)) -> np.ndarray:
    """(n, n) counts, rows = truth, columns = prediction."""
    cm = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(cm, (np.asarray(truth, np.int64), np.asarray(pred, np.int64)), 1)
    return cm


def classes_of(preds: pd.DataFrame) -> tuple[str, ...]:
    """The classes a predictions table scores, in id order, from its p_<class> columns (a table
    without them, e.g. one read from a MEGC log, is the composite's three)."""
    found = tuple(c[2:] for c in preds.columns if str(c).startswith("p_"))
    return found or CLASSES


def per_class(cm: np.ndarray, classes) -> dict[str, dict]:
    """Each class's F1, recall and count (truth) from a pooled confusion matrix; None where undefined."""
    cm = np.asarray(cm, np.float64)
    tp, out = np.diag(cm), {}
    for i, c in enumerate(classes):
        den, n = 2 * tp[i] + cm[:, i].sum() - tp[i] + cm[i].sum() - tp[i], cm[i].sum()
        out[c] = {"f1": float(2 * tp[i] / den) if den else None, "recall": float(tp[i] / n) if n else None,
                  "n": int(n)}
    return out


def scores(cm: np.ndarray) -> dict[str, float]:
    """Acc, UF1 and UAR from a (pooled) confusion matrix."""
    cm = np.asarray(cm, np.float64)
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    n = cm.sum(1)
    f1_den = 2 * tp + fp + fn
    return {"acc": float(tp.sum() / cm.sum()) if cm.sum() else float("nan"),
            "uf1": float(np.mean(2 * tp[f1_den > 0] / f1_den[f1_den > 0])) if (f1_den > 0).any() else float("nan"),
            "uar": float(np.mean(tp[n > 0] / n[n > 0])) if (n > 0).any() else float("nan"),
            "n": int(cm.sum())}


def summarize(preds: pd.DataFrame, classes=None) -> list[dict]:
    """Pooled scores for the full set and each corpus of one predictions table (columns dataset,
    truth, pred as class ids; `classes` default: classes_of(preds)) -> [{"test_set", "acc", "uf1",
    "uar", "n", "per_class", "confusion"}], the corpora in atnet's order."""
    classes = tuple(classes or classes_of(preds))

    def record(test_set, part):
        cm = confusion(part["truth"], part["pred"], len(classes))
        return {"test_set": test_set, **scores(cm), "per_class": per_class(cm, classes), "confusion": cm.tolist()}
    present = set(preds["dataset"])
    return [record("full", preds)] + [record(name, preds[preds["dataset"] == name])
                                      for name in DATASETS + tuple(sorted(present - set(DATASETS))) if name in present]


def best_epoch_per_fold(epochs: pd.DataFrame) -> pd.DataFrame:
    """What test-fold selection reports (--trace-epochs; atnet never selects so): from the table of
    every epoch's test scores (protocols.epoch_table), each fold's predictions at the epoch with the
    most correct test clips, a tie going to the later epoch, as the public code of HTNet and
    others keeps each test subject's best epoch. One row per clip, `epoch` the one picked."""
    correct = epochs.assign(ok=epochs["truth"] == epochs["pred"]).groupby(["fold", "epoch"], sort=True)["ok"].sum()
    best = {fold: int(s[s == s.max()].index.get_level_values("epoch").max()) for fold, s in correct.groupby("fold")}
    picked = epochs[epochs["epoch"] == epochs["fold"].map(best)]
    return picked.reset_index(drop=True)


def write_megc_log(preds: pd.DataFrame, path: str | Path) -> None:
    """One block per dataset-qualified subject, in the table's order of first appearance."""
    lines = []
    for subject, part in preds.groupby("subject", sort=False):
        dataset, name = subject.split("/", 1)
        lines.append(f"{dataset} {name}")
        lines += [f"{c} {int(t)} {int(p)}" for c, t, p in zip(part["clip"], part["truth"], part["pred"])]
    write_atomic(path, "\n".join(lines) + "\n")


def read_megc_log(path: str | Path) -> pd.DataFrame:
    """-> DataFrame(dataset, subject, clip, truth, pred). A subject line is a dataset name (casme2,
    samm or smic: the composite's, as MEGC 2019 logs are) and a subject; every other line is a clip
    line with class ids 0-2. A malformed
    line, a clip listed twice for one subject, or a log with no clip line is one sentence naming
    the file and the line."""
    fix = "a MEGC 2019 log holds 'dataset subject' lines, each followed by 'clip truth pred' lines"
    path = existing_file(path, "a log file", "pass the log itself, e.g. DIR/predictions/atnet-cde.log of a run")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: cannot be read as text ({one_line(e)}); {fix}.") from None
    rows, first, dataset, subject = [], {}, None, None
    for i, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 2 and parts[0].lower() in COMPOSITE:
            dataset, subject = parts[0].lower(), f"{parts[0].lower()}/{parts[1]}"
            continue
        if len(parts) != 3:
            raise CorpusError(f"{path}:{i}: expected 'dataset subject' (dataset {', '.join(COMPOSITE)}) or "
                              f"'clip truth pred', got {one_line(line, 80)!r}; fix the line or regenerate the log.")
        if subject is None:
            raise CorpusError(f"{path}:{i}: the clip line {one_line(line, 80)!r} comes before any 'dataset subject' "
                              f"line; {fix}.")
        ids = [int(p) if re.fullmatch(r"[0-9]{1,3}", p) else -1 for p in parts[1:]]
        if not all(0 <= c < len(CLASSES) for c in ids):
            raise CorpusError(f"{path}:{i}: truth and prediction must be class ids 0 (negative), 1 (positive) or "
                              f"2 (surprise), got {parts[1]!r} and {parts[2]!r}; fix the line or regenerate the log.")
        key = clip_identity(subject, parts[0])   # EP02_01f and ep02_01F are one clip, counted once
        if key in first:
            raise CorpusError(f"{path}:{i}: clip {parts[0]} of {subject} is already listed on line {first[key]} "
                              f"(names compared ignoring letter case); a log lists each clip once, so delete one of "
                              f"the lines.")
        first[key] = i
        rows.append((dataset, subject, parts[0], ids[0], ids[1]))
    if not rows:
        raise CorpusError(f"{path}: holds no clip line, so there is nothing to score; {fix}.")
    return pd.DataFrame(rows, columns=["dataset", "subject", "clip", "truth", "pred"])
