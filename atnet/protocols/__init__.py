"""Protocols (SPEC section 8): splitters that only yield indices, and the runner that trains one model
per fold and writes every test sample's prediction.

  cde  composite database evaluation: leave one dataset-qualified subject out (68 folds on MEGC 2019)
  hde  holdout database evaluation: train on two corpora, test on the third (3 folds)
  loso-corpus  leave one subject out within each corpus alone: a fold trains on the other subjects
       of the held-out subject's corpus only (an extra of SPEC section 8; many papers report it)

Each finished fold is saved on its own (atomically, keyed by the data and the settings), so an
interrupted run resumes where it stopped and a rerun with the same settings trains nothing.
"""
from __future__ import annotations

import re
from importlib.resources import files
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import CLASSES
from .. import baselines
from ..baselines import BASELINES, BaselineConfig
from .. import classifiers, parallel, probe
from ..cache import atomic, file_digest, make_key, sweep
from ..errors import CorpusError
from ..models.fer_xception import WEIGHTS
from ..readers import existing_file
from ..prepare import Arrays
from ..training import KEY_NEUTRAL, TrainConfig, fit, predict

PROTOCOLS = ("cde", "hde")                        # the paper's (the demo and reproduce run these)
ALL_PROTOCOLS = PROTOCOLS + ("loso-corpus",)


def loso(groups) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Leave one group out: [(group, train indices, test indices)], groups in sorted order."""
    groups = np.asarray(groups)
    return [(str(g), np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in sorted(set(groups))]


def check_protocol(protocol: str, table: pd.DataFrame) -> None:
    """One sentence when the samples (columns dataset, subject) cannot be split by `protocol`:
    called before any clip is prepared, and again on what preparation kept."""
    if protocol not in ALL_PROTOCOLS:
        raise CorpusError(f"--protocol {protocol}: unknown; choose one of {', '.join(ALL_PROTOCOLS)}.")
    if protocol == "cde" and table["subject"].nunique() < 2:
        held = ", ".join(sorted(set(table["subject"]))) or "none"
        raise CorpusError(f"--protocol cde leaves one subject out, so it needs at least two subjects; the clips "
                          f"given hold {held}: add corpora or subjects.")
    if protocol == "loso-corpus":
        counts = table.groupby("dataset")["subject"].nunique()
        if (counts < 2).any():
            name = counts[counts < 2].index[0]
            raise CorpusError(f"--protocol loso-corpus leaves one subject out within each corpus, so each corpus "
                              f"needs at least two subjects; {name} has {counts[name]}: add its subjects or leave "
                              f"the corpus out.")
    if protocol == "hde" and table["dataset"].nunique() < 2:
        held = ", ".join(sorted(set(table["dataset"]))) or "none"
        raise CorpusError(f"--protocol hde trains on the other corpora and tests on one, so it needs at least two "
                          f"corpora; the clips given are from {held}: add --casme2, --samm or --smic.")


def splits(protocol: str, table: pd.DataFrame) -> list[tuple[str, np.ndarray, np.ndarray]]:
    check_protocol(protocol, table)
    if protocol == "loso-corpus":   # the same folds as CDE, each trained on its own corpus only
        same = table["dataset"].to_numpy()
        return [(name, tr[same[tr] == same[te[0]]], te) for name, tr, te in loso(table["subject"])]
    return loso(table["subject"] if protocol == "cde" else table["dataset"])


def _run_fold(method, apex, adm, y, train, test, cfg: TrainConfig, threads: int) -> np.ndarray:
    import torch
    torch.set_num_threads(threads)
    model = fit(method, apex[train], adm[train], y[train], cfg)
    return predict(model, apex[test], adm[test], cfg)


_FEATURES: dict = {}   # (method, data, flow, bins) -> a baseline's features, computed once per process


def _features(method: str, data: Arrays, flow_backend: str, jobs: int, hoof_bins: str) -> np.ndarray:
    """A baseline's clip features, computed once for CDE and HDE alike (they are the same clips);
    only the last few are kept."""
    key = (method, data.fingerprint(("volumes",)), flow_backend, hoof_bins)
    if key not in _FEATURES:
        while len(_FEATURES) >= 16:
            _FEATURES.pop(next(iter(_FEATURES)))
        _FEATURES[key] = baselines.features(method, data.volumes, flow_backend, jobs, hoof_bins)
    return _FEATURES[key]


def _fold_file(folder: Path, method: str, protocol: str, fold: str, key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9-]+", "_", method)   # a features run may be named anything
    return folder / f"{safe}-{protocol}-{re.sub(r'[^A-Za-z0-9]+', '_', fold)}-{key[:16]}.npy"


def evaluate(method: str, protocol: str, data: Arrays, cfg: TrainConfig, folds_dir: str | Path,
             jobs: int = 1, progress: bool = True, flow_backend: str = "dis",
             classifier: str = "logreg", svm: BaselineConfig | None = None) -> pd.DataFrame:
    """Train `method` once per fold of `protocol` and predict its test samples. `method` is a
    network of models.METHODS, a baseline of baselines.BASELINES, a probe of probe.PROBES, or, when
    `data.features` holds the user's own per-clip features, any name for them (classified by
    `classifier`, one of classifiers.CLASSIFIERS). `svm` holds the baselines' open choices.
    Returns the predictions table: dataset, subject, clip, fold, truth, pred (class ids) and one
    score per class (softmax probabilities; for the SVMs, a softmax of their decision values)."""
    folds_dir = Path(folds_dir)
    folds_dir.mkdir(parents=True, exist_ok=True)
    kind = ("features" if data.features is not None else "svm" if method in BASELINES
            else "probe" if method in probe.PROBES else "network")
    if kind == "svm" and data.volumes is None:
        raise CorpusError(f"{method} needs the clips' frames; an apex-image table has none.")
    # the key covers what the method reads: window frames for an SVM, apex frames for a probe, the
    # given features for theirs, apex frames and ADM for a network
    if kind == "svm":
        svm = svm or BaselineConfig()
        settings, parts = {"flow": flow_backend, **svm.key(method)}, ("volumes",)
    elif kind in ("probe", "features"):
        classifier = probe.CLASSIFIER if kind == "probe" else classifier
        settings, parts = {"classifier": classifiers.describe(classifier)}, ("apex",) if kind == "probe" else ("features",)
    else:
        settings, parts = asdict(cfg), ("apex", "adm")
        for name, neutral in KEY_NEUTRAL.items():   # at these defaults nothing changed: saved folds stay valid
            if settings[name] == neutral:
                del settings[name]
    if kind == "probe" or (kind == "network" and cfg.spatial_backbone == "fer-xception"):   # the shipped weights
        settings["fer_weights"] = file_digest(files("atnet.models") / WEIGHTS)
    if kind == "network" and cfg.init_spatial:   # the weights' content, not only their file name
        settings["init_spatial"] = file_digest(existing_file(cfg.init_spatial, "a weights file", "pass a weights "
                                                             "file written by `atnet pretrain` to --init-spatial"))
    key = make_key({"data": data.fingerprint(parts), "cfg": settings, "method": method})
    folds = splits(protocol, data.table)
    y = data.y
    for name, tr, _ in folds:   # before any training: a classifier needs two classes to learn from
        if len(set(y[tr])) < 2:
            held = CLASSES[int(y[tr][0])] if len(tr) else "nothing"
            raise CorpusError(f"{method} {protocol}: the training set of fold {name} holds only {held}, and a "
                              f"classifier needs at least two classes; add clips of the other classes.")
    sweep(folds_dir)   # temporary files of a killed run
    todo = [f for f in folds if not _fold_file(folds_dir, method, protocol, f[0], key).exists()]
    if progress:   # says what a rerun reuses: finished folds are never recomputed
        tag = f" seed {cfg.seed}" if kind == "network" else ""
        print(f"{method} {protocol}{tag}: {len(folds) - len(todo)} of {len(folds)} folds already saved, "
              f"{len(todo)} to run", flush=True)
    if kind == "svm":   # features once (pure, parallel over clips; kept for the next protocol), then one SVM per fold
        x = _features(method, data, flow_backend, jobs, svm.hoof_bins) if todo else None
        results = (baselines.fit_predict(x[tr], y[tr], x[te], cfg=svm) for _, tr, te in todo)
    elif kind in ("probe", "features"):   # features once, then one classifier per fold (C chosen inside it)
        x = data.features if kind == "features" else probe.features(data.apex) if todo else None
        groups = data.table["subject"].to_numpy()   # dataset-qualified
        threads = parallel.threads_per_task(jobs)
        results = parallel.run(classifiers.fit_predict_fold, ((classifier, x, y, groups, tr, te, threads)
                                                              for _, tr, te in todo), jobs)
    else:          # workers get the arrays a network reads, not the window frames
        threads = parallel.threads_per_task(jobs)
        devices = [d.strip() for d in cfg.device.split(",")]   # several GPUs: one fold on each in turn
        work = ((method, data.apex, data.adm, y, tr, te, replace(cfg, device=devices[i % len(devices)]), threads)
                for i, (_, tr, te) in enumerate(todo))
        results = parallel.run(_run_fold, work, jobs)
    bar = tqdm(results, total=len(todo), desc=f"{method} {protocol}", disable=not progress)
    for probs, (name, _, _) in zip(bar, todo):
        if not np.isfinite(probs).all():   # never saved: a rerun trains the fold again
            fix = (f"the training diverged; run again with a lower --lr (now {cfg.lr:g})" if kind == "network"
                   else "check the features for extreme values")
            raise CorpusError(f"{method} {protocol}: fold {name} gave NaN or infinite class scores for "
                              f"{int((~np.isfinite(probs)).any(1).sum())} of its {len(probs)} clips, so nothing of "
                              f"it is saved; {fix}.")
        with atomic(_fold_file(folds_dir, method, protocol, name, key)) as tmp, open(tmp, "wb") as f:
            np.save(f, probs.astype(np.float32))
    parts = []
    for name, _, test in folds:
        probs = np.load(_fold_file(folds_dir, method, protocol, name, key))
        part = data.table.iloc[test][["dataset", "subject", "clip"]].copy()
        part["fold"] = name
        part["truth"] = y[test]
        part["pred"] = probs.argmax(1)
        for c, name_c in enumerate(CLASSES):
            part[f"p_{name_c}"] = probs[:, c]
        parts.append(part)
    return pd.concat(parts).sort_index().reset_index(drop=True)
