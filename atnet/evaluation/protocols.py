"""Protocols (SPEC section 8): splitters that only yield indices, and the runner that trains one model
per fold and writes every test sample's prediction.

  cde  composite database evaluation: leave one dataset-qualified subject out (68 folds on MEGC 2019)
  hde  holdout database evaluation: train on two corpora, test on the third (3 folds)
  loso-corpus  leave one subject out within each corpus alone: a fold trains on the other subjects
       of the held-out subject's corpus only (an extra of SPEC section 8; many papers report it)
  k-fold-subjects  K subject-independent folds (`folds`, default 10)

The protocols themselves are objects in a registry (splits.py: register, get, names); the functions
here take their names.

Each finished fold is saved on its own (atomically, keyed by the data and the settings), so an
interrupted run resumes where it stopped and a rerun with the same settings trains nothing.
"""
from __future__ import annotations

import re
import sys
from dataclasses import is_dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ..core import parallel
from ..core.cache import atomic, make_key, sweep
from ..core.errors import CorpusError
from ..data.prepare import Arrays, PrepConfig
from ..methods import INPUTS, BaselineConfig, Method, Settings, check_scores, get
from ..training import TrainConfig
from .splits import PAPER, get as get_protocol, loso, names  # noqa: F401  (loso: imported from here before splits.py)

PROTOCOLS = PAPER                                 # the paper's cde, hde (the demo and reproduce run these)
ALL_PROTOCOLS = names()                           # every registered protocol


def check_protocol(protocol: str, table: pd.DataFrame, folds: int | None = None) -> None:
    """One sentence when the samples (columns dataset, subject) cannot be split by `protocol` (with
    K = `folds` for k-fold-subjects): called before any clip is prepared, and again on what
    preparation kept."""
    get_protocol(protocol).check(table, folds)


def splits(protocol: str, table: pd.DataFrame, folds: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    return get_protocol(protocol).split(table, folds)


def fit_predict_fold(method: Method, x: dict, y: np.ndarray, groups: np.ndarray, train: np.ndarray,
                     test: np.ndarray, config, threads: int, trace: bool = False):
    """One fold (a task for parallel.run): `method` fitted on the training clips, scores of the test
    clips, on `threads` BLAS and torch threads. With `trace` (a method that has one): (scores, the
    test clips' scores after each epoch), recorded only, never used to choose anything."""
    with threadpool_limits(threads):
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
        x_train, x_test = {k: v[train] for k, v in x.items()}, {k: v[test] for k, v in x.items()}
        if trace:
            fitted, epochs = method.trace(x_train, y[train], groups[train], config, x_test)
            return method.predict(fitted, x_test, config), epochs
        return method.predict(method.fit(x_train, y[train], groups[train], config), x_test, config)


_FEATURES: dict = {}   # (method, data, config key) -> a method's label-free features, computed once per process


def method_inputs(method: Method, data: Arrays, config, key: dict, jobs: int, where: str = "") -> dict:
    """The arrays `method` reads, {input: array over all clips}, through its label-free `features`
    where it has one (computed once for CDE and HDE alike: they are the same clips; only the last
    few are kept)."""
    missing = [i for i in method.inputs if getattr(data, i, None) is None]
    if missing:
        raise CorpusError(f"{method.name} reads {INPUTS[missing[0]]}, and {where or 'the clips given'} hold none; "
                          f"pick a method that reads what they hold (`atnet methods` lists what each reads).")
    x = {i: getattr(data, i) for i in method.inputs}
    if method.features is None:
        return x
    cache = (method.name, data.fingerprint(method.inputs), make_key(key))
    if cache not in _FEATURES:
        while len(_FEATURES) >= 16:
            _FEATURES.pop(next(iter(_FEATURES)))
        _FEATURES[cache] = method.features(x, config, jobs)
    return _FEATURES[cache]


def _fold_file(folder: Path, method: str, protocol: str, fold: str, key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9-]+", "_", method)   # a features run may be named anything
    return folder / f"{safe}-{protocol}-{re.sub(r'[^A-Za-z0-9]+', '_', fold)}-{key[:16]}.npy"


def _trace_file(fold_file: Path) -> Path:
    """Where a fold's per-epoch test scores are kept (--trace-epochs): folds/trace/, same name."""
    return fold_file.parent / "trace" / fold_file.name


def as_settings(cfg, flow_backend: str, classifier: str, svm) -> Settings:
    """A run's Settings: given, or built from a TrainConfig and the older keyword arguments."""
    if isinstance(cfg, Settings):
        return cfg
    return Settings(PrepConfig(flow=flow_backend), cfg or TrainConfig(), svm or BaselineConfig(), classifier)


def evaluate(method: str | Method, protocol: str, data: Arrays, cfg: Settings | TrainConfig, folds_dir: str | Path,
             jobs: int = 1, progress: bool = True, flow_backend: str = "dis", classifier: str = "logreg",
             svm=None, name: str | None = None, folds: int | None = None, trace_epochs: bool = False) -> pd.DataFrame:
    """Train `method` (a registered name or a Method) once per fold of `protocol` and predict its
    test samples. `cfg` is the run's Settings (or a TrainConfig, with `flow_backend`, `classifier`
    and `svm` for the rest). When `data.features` holds the user's own per-clip features, the
    method is `cfg.classifier`'s and `method` names the run (`name` likewise names its saved folds).
    Returns the predictions table: dataset, subject, clip, fold, truth, pred (class ids of the
    clips' class set, data.classes) and one score per class, p_<class> (softmax probabilities; for
    the SVMs, a softmax of their decision values). With `trace_epochs`, a method trained in epochs
    (Method.trace) also records each fold's test scores after every epoch, beside its fold
    (folds/trace/); the table's attrs["epochs"] then holds them (epoch_table), and the final
    predictions are the same as without."""
    settings = replace(as_settings(cfg, flow_backend, classifier, svm), classes=tuple(data.classes))
    classes = settings.classes
    if data.features is not None and isinstance(method, str):   # your own features: the name is the run's
        name, method = name or method, get(settings.classifier, "--classifier")
    m = get(method) if isinstance(method, str) else method
    name = name or m.fold_name
    settings = m.settings(settings)
    config = m.config(settings)
    folds_dir = Path(folds_dir)
    folds_dir.mkdir(parents=True, exist_ok=True)
    key_of = m.key(config)
    parts = tuple(dict.fromkeys(m.key_inputs + m.inputs)) if m.key_inputs else m.inputs
    key = make_key({"data": data.fingerprint(parts), "cfg": key_of, "method": name})
    # `folds`: K of k-fold-subjects (the protocol's part of the fold files' names carries it), then the folds
    as_named, folds = get_protocol(protocol).file_part(folds), splits(protocol, data.table, folds)
    y = data.y
    for fold, tr, _ in folds:   # before any training: a classifier needs two classes to learn from
        if len(set(y[tr])) < 2:
            held = classes[int(y[tr][0])] if len(tr) else "nothing"
            raise CorpusError(f"{name} {protocol}: the training set of fold {fold} holds only {held}, and a "
                              f"classifier needs at least two classes; add clips of the other classes.")
    sweep(folds_dir)   # temporary files of a killed run
    trace = trace_epochs and m.trace is not None
    if trace:
        (folds_dir / "trace").mkdir(exist_ok=True)
        sweep(folds_dir / "trace")
    todo = [f for f in folds if not _fold_file(folds_dir, name, as_named, f[0], key).exists()
            or (trace and not _trace_file(_fold_file(folds_dir, name, as_named, f[0], key)).exists())]
    if progress:   # says what a rerun reuses: finished folds are never recomputed
        tag = f" seed {config.seed}" if m.seeded and hasattr(config, "seed") else ""
        print(f"{name} {protocol}{tag}: {len(folds) - len(todo)} of {len(folds)} folds already saved, "
              f"{len(todo)} to run", flush=True)
    x = method_inputs(m, data, config, key_of, jobs) if todo else {}
    groups = data.table["subject"].to_numpy()   # dataset-qualified
    threads = parallel.threads_per_task(jobs)
    devices = [d.strip() for d in config.device.split(",")] if is_dataclass(config) and hasattr(config, "device") \
        else []   # several GPUs: one fold on each in turn

    def fold_config(i: int):
        return replace(config, device=devices[i % len(devices)]) if len(devices) > 1 else config
    results = parallel.run(fit_predict_fold, ((m, x, y, groups, tr, te, fold_config(i), threads, trace)
                                              for i, (_, tr, te) in enumerate(todo)), jobs)
    bar = tqdm(results, total=len(todo), desc=f"{name} {protocol}", disable=not progress)
    for probs, (fold, _, test) in zip(bar, todo):
        probs, epochs = probs if trace else (probs, None)
        probs = check_scores(f"{m.name} ({protocol}, fold {fold})", probs, len(test), len(classes))   # a plug-in's
        if not np.isfinite(probs).all():   # never saved: a rerun trains the fold again
            fix = (f"the training diverged; run again with a lower --lr (now {config.lr:g})"
                   if hasattr(config, "lr") else "check the features for extreme values")
            raise CorpusError(f"{name} {protocol}: fold {fold} gave NaN or infinite class scores for "
                              f"{int((~np.isfinite(probs)).any(1).sum())} of its {len(probs)} clips, so nothing of "
                              f"it is saved; {fix}.")
        if epochs is not None:   # first, so a saved fold always has its trace
            with atomic(_trace_file(_fold_file(folds_dir, name, as_named, fold, key))) as tmp, open(tmp, "wb") as f:
                np.save(f, np.asarray(epochs, np.float32))
        with atomic(_fold_file(folds_dir, name, as_named, fold, key)) as tmp, open(tmp, "wb") as f:
            np.save(f, probs.astype(np.float32))
    out = []
    for fold, _, test in folds:
        probs = np.load(_fold_file(folds_dir, name, as_named, fold, key))
        part = data.table.iloc[test][["dataset", "subject", "clip"]].copy()
        part["fold"] = fold
        part["truth"] = y[test]
        part["pred"] = probs.argmax(1)
        for c, name_c in enumerate(classes):
            part[f"p_{name_c}"] = probs[:, c]
        out.append(part)
    preds = pd.concat(out).sort_index().reset_index(drop=True)
    if trace:
        preds.attrs["epochs"] = epoch_table(data, folds, y, classes,
                                            [np.load(_trace_file(_fold_file(folds_dir, name, as_named, f, key)))
                                             for f, _, _ in folds])
    return preds


def epoch_table(data: Arrays, folds, y: np.ndarray, classes, traces: list[np.ndarray]) -> pd.DataFrame:
    """Every test clip's scores after every epoch: dataset, subject, clip, fold, epoch (1..E), truth,
    pred, p_<class> (the last epoch's rows are the predictions)."""
    out = []
    for (fold, _, test), scores in zip(folds, traces):
        for e, probs in enumerate(scores, 1):
            part = data.table.iloc[test][["dataset", "subject", "clip"]].copy()
            part["fold"], part["epoch"], part["truth"], part["pred"] = fold, e, y[test], probs.argmax(1)
            for c, name_c in enumerate(classes):
                part[f"p_{name_c}"] = probs[:, c]
            out.append(part)
    return pd.concat(out, ignore_index=True)
