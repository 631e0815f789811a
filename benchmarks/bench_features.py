"""`atnet evaluate --features` at a realistic size: 442 clips x 2,352 features (a flattened 28 x 28 x 3
onset-apex flow image per clip, as labs share them), CDE (68 leave-one-subject-out folds), per
classifier, beside the way C was chosen before (GridSearchCV over the plain pipeline, 6 C x 5
subject-grouped inner splits, on the 2,352 raw dimensions).

The features are made up but shaped like the real ones: the composite's 442 clips, 68 subjects and
class counts (CASME II 145 / 24, SAMM 133 / 28, SMIC 164 / 16; 250 negative, 109 positive, 83
surprise), each clip a smooth random u, v, strain field plus a per-subject offset plus a weak class
pattern, so that the classifiers face what they face on real flows: far more dimensions than clips,
separable training sets at large C, a weak signal. Only the time is measured; the UF1 printed beside
it shows the runs did the same work (it says nothing about real data).

Run: .venv/bin/python benchmarks/bench_features.py [--jobs 2] [--before-folds 2]
The "before" rows time the first --before-folds folds as da9a1f7 ran them (one process, folds one
after another, BLAS threads as the machine gives them) and project to 68 (a whole run took about 80
minutes for logreg); the "after" rows are whole CDE runs through atnet.evaluate_features.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import atnet
from atnet.methods import names
from atnet.methods.classifiers import C_GRID

CLASSIFIERS = names("classifier")
from atnet.evaluation.protocols import splits

CORPORA = {"casme2": (24, 145), "samm": (28, 133), "smic": (16, 164)}
CLASS_COUNTS = {"negative": 250, "positive": 109, "surprise": 83}


def smooth(rng, shape) -> np.ndarray:
    f = rng.normal(0, 1, shape).astype(np.float32)
    return np.stack([cv2.GaussianBlur(f[..., c], (0, 0), 2.0) for c in range(shape[-1])], -1)


def made_up(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.array(sum(([c] * n for c, n in CLASS_COUNTS.items()), []))
    rng.shuffle(labels)
    patterns = {c: smooth(rng, (28, 28, 3)) for c in CLASS_COUNTS}
    rows, x, i = [], [], 0
    for dataset, (subjects, clips) in CORPORA.items():
        offsets = [smooth(rng, (28, 28, 3)) for _ in range(subjects)]
        for k in range(clips):
            s = k % subjects
            label = labels[i]
            i += 1
            rows.append({"dataset": dataset, "subject": f"s{s:02d}", "clip": f"c{k:03d}", "label": label})
            x.append((smooth(rng, (28, 28, 3)) + 0.5 * offsets[s] + 0.12 * patterns[label]).ravel())
    return pd.DataFrame(rows), np.asarray(x, np.float64)


def before(name: str, x_train, y_train, groups, x_test) -> np.ndarray:
    """C as chosen at da9a1f7: GridSearchCV over StandardScaler + the classifier on every dimension."""
    clf = (LogisticRegression(class_weight="balanced", max_iter=5000) if name == "logreg"
           else LinearSVC(class_weight="balanced", max_iter=20000))
    model = make_pipeline(StandardScaler(), clf)
    step = model.steps[-1][0]
    search = GridSearchCV(model, {f"{step}__C": list(C_GRID)}, scoring="f1_macro",
                          cv=GroupKFold(n_splits=min(5, len(set(groups)))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning, ConvergenceWarning))
        search.fit(x_train, y_train, groups=groups)
    return search.predict(x_test)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--before-folds", type=int, default=2)
    args = ap.parse_args()
    table, x = made_up()
    print(f"{len(table)} clips x {x.shape[1]} features, {table.groupby(['dataset', 'subject']).ngroups} subjects; "
          f"{os.cpu_count()} cores, --jobs {args.jobs}\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        table.to_csv(tmp / "labels.csv", index=False)
        feats = table[["dataset", "subject", "clip"]].join(pd.DataFrame(x, columns=[f"f{j}" for j in range(x.shape[1])]))
        feats.to_csv(tmp / "features.csv", index=False)
        q = table.assign(subject=table["dataset"] + "/" + table["subject"])
        folds = splits("cde", q)
        y = q["label"].map({c: i for i, c in enumerate(CLASS_COUNTS)}).to_numpy()
        groups = q["subject"].to_numpy()
        print("| classifier | before: s/fold (first folds) | before: projected CDE min | after: CDE min "
              "(whole run) | speed-up | after: UF1 |\n| --- | --- | --- | --- | --- | --- |", flush=True)
        for name in CLASSIFIERS:
            if name == "poly-svm":
                per_fold, projected = float("nan"), float("nan")   # unchanged: nothing is chosen
            else:
                t = time.perf_counter()
                for _, tr, te in folds[:args.before_folds]:
                    before(name, x[tr], y[tr], groups[tr], x[te])
                per_fold = (time.perf_counter() - t) / args.before_folds
                projected = per_fold * len(folds) / 60   # it ran its folds one after another, as shipped
            t = time.perf_counter()
            records = atnet.evaluate_features(tmp / "features.csv", ["cde"], tmp / f"run-{name}",
                                              labels=tmp / "labels.csv", classifier=name, jobs=args.jobs)
            after = (time.perf_counter() - t) / 60
            uf1 = next(r["uf1"] for r in records if r["protocol"] == "cde" and r["test_set"] == "full")
            ratio = projected / after if projected == projected else float("nan")
            print(f"| {name} | {per_fold:.1f} | {projected:.1f} | {after:.2f} | {ratio:.1f}x | {uf1:.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
