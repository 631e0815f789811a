"""Bring your own method: evaluate your per-clip features or score your predictions under the same
protocols, pooled metrics and subject-level comparison as atnet's own methods.

Labels and subjects come from the corpus roots, or from a table in `atnet corpus`'s CSV format
(dataset, subject, clip, label; subject as the corpus names it, e.g. sub01, 006, s01), so that
features made elsewhere can be evaluated without the frames.

Features (`read_features`), one of:
  - a folder of one file per clip, named `dataset-subject-clip.npy|.mat|.csv` (e.g.
    `casme2-sub01-EP02_01f.npy`): .npy any shape (flattened), .mat (MATLAB, read with scipy) the one
    numeric variable in it, .csv the numbers in it (no header);
  - a folder with an `index.csv` of dataset, subject, clip, file (the file relative to the folder);
  - one table (.csv): dataset, subject, clip columns, or one `key` column `dataset-subject-clip`,
    and one column per feature.
Every clip of the label table must have features (or, with on_missing="leave-out", is left out and
listed); features of a clip that is not in the table are listed and not used. Nothing is aligned
silently.

Predictions (`read_predictions`): a CSV of dataset, subject, clip, truth, pred (class ids 0-2 or
names negative / positive / surprise; subject plain or dataset-qualified), or a MEGC 2019 log.
`compare` gives the per-corpus difference of two such runs with a paired bootstrap over subjects."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.classes import CLASSES, clip_identity, corpus_clash
from ..core.errors import CorpusError
from ..core.readers import empty_cell, existing_file, one_line, read_table
from ..data.datasets import Exclusion
from ..data.prepare import Arrays
from .metrics import DATASETS, classes_of, confusion, read_megc_log, scores, summarize

LABEL_COLUMNS = ("dataset", "subject", "clip", "label")
KEY_COLUMNS = ("dataset", "subject", "clip")
FEATURE_SUFFIXES = (".npy", ".mat", ".csv")


def qualified(dataset: str, subject) -> str:
    subject = str(subject)
    return subject if subject.startswith(f"{dataset}/") else f"{dataset}/{subject}"


def no_empty_cells(path, t: pd.DataFrame, columns) -> None:
    """An empty cell is named (row and column), not read as the text 'nan'."""
    for i, row in t.iterrows():
        col = empty_cell(row, columns)
        if col:
            raise CorpusError(f"{path}: row {i + 2} has no {col}; fill it or delete the row.")


def read_labels(path: str | Path, classes: tuple[str, ...] = CLASSES) -> pd.DataFrame:
    """`atnet corpus`'s CSV -> the label table (dataset, subject dataset-qualified, clip, label, one
    of `classes`: the class set's, written in any letter case)."""
    t = read_table(path, LABEL_COLUMNS, "a label table (`atnet corpus --out` writes one)")
    no_empty_cells(path, t, LABEL_COLUMNS)
    t = t[list(LABEL_COLUMNS)].astype(str).apply(lambda c: c.str.strip())
    t["dataset"] = t["dataset"].str.lower()
    known_datasets(path, t)
    spelt = {c.lower(): c for c in classes}
    bad = t[~t["label"].str.lower().isin(spelt)]
    if len(bad):
        raise CorpusError(f"{path}: row {bad.index[0] + 2} has label {bad['label'].iloc[0]!r}; the class set's "
                          f"labels are {', '.join(classes)} (map yours first, as `atnet corpus --classes` does).")
    t["label"] = t["label"].str.lower().map(spelt)
    t["subject"] = [qualified(d, s) for d, s in zip(t["dataset"], t["subject"])]
    once(path, t)
    return t.reset_index(drop=True)


def _key(dataset: str, subject: str, clip: str) -> str:
    return f"{dataset}-{subject.split('/', 1)[-1]}-{clip}"


def _read_vector(path: Path) -> np.ndarray:
    """One clip's feature file -> a 1-D float64 vector."""
    fix = "write one numeric array per clip (.npy, .mat or a headerless .csv)"
    try:
        suffix = path.suffix.lower()   # x.NPY is a .npy file, not text
        if suffix == ".npy":
            v = np.load(path, allow_pickle=False)
        elif suffix == ".mat":
            from scipy.io import loadmat
            arrays = [a for k, a in loadmat(path).items() if not k.startswith("__") and isinstance(a, np.ndarray)
                      and a.dtype.kind in "fiub"]
            if len(arrays) != 1:
                raise CorpusError(f"{path}: holds {len(arrays)} numeric variables; keep exactly one (the clip's "
                                  f"feature vector).")
            v = arrays[0]
        else:
            v = np.loadtxt(path, delimiter=",", ndmin=1)
        v = np.asarray(v, np.float64).ravel()
    except CorpusError:
        raise
    except Exception as e:   # numpy, scipy and the OS each raise their own kinds
        raise CorpusError(f"{path}: cannot be read as features ({one_line(e)}); {fix}.") from None
    if v.size == 0 or not np.isfinite(v).all():
        raise CorpusError(f"{path}: holds {'no number' if v.size == 0 else 'NaN or infinite values'}; {fix}.")
    return v


def _from_files(files: dict[str, Path]) -> dict[str, np.ndarray]:
    return {k: _read_vector(p) for k, p in files.items()}


def _from_table(path: Path) -> dict[str, np.ndarray]:
    t = read_table(path, (), "a features table (dataset, subject, clip or key, then one column per feature)")
    keys = ["key"] if "key" in t.columns else list(KEY_COLUMNS)
    if not set(keys) <= set(t.columns):
        raise CorpusError(f"{path}: a features table needs dataset, subject and clip columns (or one 'key' column "
                          f"dataset-subject-clip); its columns are {', '.join(map(str, t.columns[:8]))}.")
    no_empty_cells(path, t, keys)
    values = t.drop(columns=keys)
    numeric = values.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() | ~np.isfinite(numeric.to_numpy(np.float64, na_value=np.nan))
    if values.shape[1] == 0 or bad.to_numpy().any():
        row, col = (np.argwhere(bad.to_numpy())[0] if values.shape[1] else (0, 0))
        what = "no feature column" if values.shape[1] == 0 else \
            f"row {row + 2}, column {values.columns[col]!r} is {values.iat[row, col]!r}, not a finite number"
        raise CorpusError(f"{path}: {what}; every feature cell must be a number.")
    if keys == ["key"]:
        names = t["key"].astype(str).str.strip()
    else:
        names = [_key(str(d).strip().lower(), str(s).strip(), str(c).strip())
                 for d, s, c in zip(t["dataset"], t["subject"], t["clip"])]
    out = {}
    for i, (name, row) in enumerate(zip(names, numeric.to_numpy(np.float64))):
        if name in out:
            raise CorpusError(f"{path}: row {i + 2} repeats clip {name}; keep one row per clip.")
        out[name] = row
    return out


def read_features(path: str | Path, table: pd.DataFrame, on_missing: str = "refuse"
                  ) -> tuple[np.ndarray, pd.DataFrame, list[Exclusion]]:
    """(features (N, D) in the table's order, the table rows kept, what was left out). `table` is
    the label table (dataset, subject dataset-qualified, clip, label)."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: not found; pass a folder of per-clip feature files, or one features table.")
    if path.is_dir():
        index = path / "index.csv"
        if index.exists():
            t = read_table(index, ("dataset", "subject", "clip", "file"), "a features index")
            no_empty_cells(index, t, ("dataset", "subject", "clip", "file"))
            files = {_key(str(d).strip().lower(), str(s).strip(), str(c).strip()): path / str(f).strip()
                     for d, s, c, f in zip(t["dataset"], t["subject"], t["clip"], t["file"])}
            for k, f in files.items():
                existing_file(f, f"the features of {k}", f"fix {index}")
        else:
            files = {}
            for f in sorted(path.iterdir()):
                if f.suffix.lower() in FEATURE_SUFFIXES:
                    if f.stem in files:
                        raise CorpusError(f"{path}: {files[f.stem].name} and {f.name} are both features of "
                                          f"{f.stem}; keep one.")
                    files[f.stem] = f
            if not files:
                raise CorpusError(f"{path}: holds no .npy, .mat or .csv file; name one file per clip "
                                  f"dataset-subject-clip (e.g. casme2-sub01-EP02_01f.npy) or add an index.csv.")
        vectors = _from_files(files)
    elif path.suffix.lower() == ".csv":
        vectors = _from_table(path)
    else:
        raise CorpusError(f"{path}: give a folder of per-clip files or a .csv table of features.")
    keys = [_key(d, s, c) for d, s, c in zip(table["dataset"], table["subject"], table["clip"])]
    excluded = [Exclusion(k.split("-", 1)[0], k, "features given, but the clip is not in the label table; not used")
                for k in sorted(set(vectors) - set(keys))]
    missing = [k for k in keys if k not in vectors]
    if missing and on_missing == "refuse":
        raise CorpusError(f"{path}: no features for {len(missing)} of the {len(keys)} clips (first: {missing[0]}); "
                          f"add them, or pass --on-missing leave-out to leave those clips out (listed).")
    excluded += [Exclusion(k.split("-", 1)[0], k, "in the label table, but no features given") for k in missing]
    kept = [i for i, k in enumerate(keys) if k in vectors]
    dims = {len(vectors[keys[i]]) for i in kept}
    if len(dims) > 1:
        sizes = sorted(dims)
        odd = next(keys[i] for i in kept if len(vectors[keys[i]]) != len(vectors[keys[kept[0]]]))
        raise CorpusError(f"{path}: feature vectors differ in length ({sizes[0]} to {sizes[-1]} values; {odd} differs "
                          f"from {keys[kept[0]]}); every clip needs the same length.")
    if not kept:
        raise CorpusError(f"{path}: no clip of the label table has features; name files dataset-subject-clip, "
                          f"e.g. {keys[0] if keys else 'casme2-sub01-EP02_01f'}.npy.")
    x = np.stack([vectors[keys[i]] for i in kept])
    return x, table.iloc[kept].reset_index(drop=True), excluded


def feature_arrays(path: str | Path, table: pd.DataFrame, on_missing: str = "refuse", classes=CLASSES,
                   class_set: str = "megc2019") -> tuple[Arrays, list[Exclusion]]:
    """Arrays holding the given features (no frames) for the protocol runner."""
    x, kept, excluded = read_features(path, table, on_missing)
    return Arrays(kept, None, None, None, features=x, classes=tuple(classes), class_set=class_set), excluded


def read_predictions(path: str | Path) -> pd.DataFrame:
    """A predictions CSV (dataset, subject, clip, truth, pred, and p_<class> columns naming its
    classes in id order; without them the composite's three) or a MEGC 2019 log -> the table
    (subject dataset-qualified, truth and pred class ids; `attrs["classes"]` its classes)."""
    path = existing_file(path, "a predictions file", "pass a run's predictions/NAME.csv or NAME.log")
    if path.suffix.lower() != ".csv":
        t = read_megc_log(path)
        t.attrs["classes"] = CLASSES
        return t
    columns = ("dataset", "subject", "clip", "truth", "pred")
    t = read_table(path, columns, "a predictions file")
    classes = classes_of(t)
    if t.empty:
        raise CorpusError(f"{path}: has its header and no prediction row; pass a run's predictions/NAME.csv.")
    no_empty_cells(path, t, columns)
    t = t[list(columns)].astype(str).apply(lambda c: c.str.strip())
    t["dataset"] = t["dataset"].str.lower()
    known_datasets(path, t)
    by_text = {**{c.lower(): i for i, c in enumerate(classes)}, **{str(i): i for i in range(len(classes))},
               **{f"{i}.0": i for i in range(len(classes))}}
    for col in ("truth", "pred"):
        ids = []
        for i, v in enumerate(t[col].astype(str).str.strip().str.lower()):
            if v not in by_text:
                raise CorpusError(f"{path}: row {i + 2}, {col} is {v!r}; use class ids 0-{len(classes) - 1} or "
                                  f"{', '.join(classes)}.")
            ids.append(by_text[v])
        t[col] = ids
    t.attrs["classes"] = classes
    t["subject"] = [qualified(d, s) for d, s in zip(t["dataset"], t["subject"])]
    once(path, t)
    return t


def known_datasets(path, t: pd.DataFrame) -> None:
    """Every row names one of the composite's corpora, and a dataset-qualified subject the same one:
    a row of another dataset would count in the full set and in no corpus."""
    bad = t[~t["dataset"].isin(DATASETS)]
    if len(bad):
        raise CorpusError(f"{path}: row {bad.index[0] + 2} names dataset {bad['dataset'].iloc[0]!r}; use one of "
                          f"{', '.join(DATASETS)} (a row of another dataset would count in the full set and in no "
                          f"corpus).")
    for i, (d, s) in enumerate(zip(t["dataset"], t["subject"])):
        head = corpus_clash(d, s)
        if head:
            raise CorpusError(f"{path}: row {i + 2}: subject {s!r} names the corpus {head}, but the row's dataset is "
                              f"{d}; fix one of the two.")


def once(path, t: pd.DataFrame) -> None:
    """Each clip once: names compared ignoring letter case (EP02_01f and ep02_01F are one clip)."""
    key = pd.Series([clip_identity(s, c) for s, c in zip(t["subject"], t["clip"])], index=t.index)
    dup = key.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        j = int(np.flatnonzero((key == key.iloc[i]).to_numpy())[0])
        r = t.iloc[i]
        raise CorpusError(f"{path}: rows {j + 2} and {i + 2} are both clip {r['clip']} of {r['subject']} (names "
                          f"compared ignoring letter case); keep one row per clip.")


def score(path: str | Path) -> list[dict]:
    """Pooled Acc / UF1 / UAR (full set and per corpus) of a predictions file, over its classes."""
    t = read_predictions(path)
    return summarize(t, t.attrs["classes"])


def compare(a: pd.DataFrame, b: pd.DataFrame, n_boot: int = 2000, seed: int = 0, level: float = 0.95,
            names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Per test set (full and each corpus) and metric (UF1, UAR): A's score, B's, A - B, and a paired
    bootstrap interval of A - B: the subjects (dataset-qualified) drawn with replacement, both runs
    scored on the same draw, pooled as the metric is. The two runs must hold the same clips with
    the same truth; a clip in one only is refused, naming it."""
    classes = a.attrs.get("classes", CLASSES)
    if tuple(b.attrs.get("classes", CLASSES)) != tuple(classes):
        raise CorpusError(f"the runs score different classes ({names[0]}: {', '.join(classes)}; {names[1]}: "
                          f"{', '.join(b.attrs.get('classes', CLASSES))}), so they are runs of different class sets; "
                          f"compare runs of one class set.")
    key = ["subject", "clip"]
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    only = m[m["_merge"] != "both"]
    if len(only):
        r = only.iloc[0]
        side = names[0] if r["_merge"] == "left_only" else names[1]
        raise CorpusError(f"the runs hold different clips: {len(only)} in one only (first: {r['subject']} "
                          f"{r['clip']}, only in {side}); compare runs on the same clips.")
    if (m["truth_a"] != m["truth_b"]).any():
        r = m[m["truth_a"] != m["truth_b"]].iloc[0]
        raise CorpusError(f"the runs disagree on the truth of {r['subject']} {r['clip']} ({r['truth_a']} vs "
                          f"{r['truth_b']}); they were not scored on the same labels.")
    m["dataset"] = m["subject"].str.split("/", n=1).str[0]
    rng = np.random.default_rng(seed)
    rows = []
    for test_set in ("full",) + DATASETS:
        part = m if test_set == "full" else m[m["dataset"] == test_set]
        if not len(part):
            continue
        subjects = sorted(set(part["subject"]))
        codes = part["subject"].map({s: i for i, s in enumerate(subjects)}).to_numpy()
        n = len(classes)
        # per subject confusion matrices, so a bootstrap draw is a sum of counts
        cm = {side: np.zeros((len(subjects), n, n), np.int64) for side in ("a", "b")}
        for side in ("a", "b"):
            np.add.at(cm[side], (codes, part["truth_a"].to_numpy(), part[f"pred_{side}"].to_numpy()), 1)
        draws = rng.integers(0, len(subjects), (n_boot, len(subjects)))
        counts = np.stack([np.bincount(d, minlength=len(subjects)) for d in draws])   # (n_boot, S)
        for metric in ("uf1", "uar"):
            full = {s: scores(confusion(part["truth_a"], part[f"pred_{s}"], n))[metric] for s in ("a", "b")}
            diffs = np.array([scores(np.tensordot(c, cm["a"], 1))[metric] - scores(np.tensordot(c, cm["b"], 1))[metric]
                              for c in counts])
            lo, hi = np.nanquantile(diffs, [(1 - level) / 2, (1 + level) / 2])
            rows.append({"test_set": test_set, "metric": metric, names[0]: full["a"], names[1]: full["b"],
                         "diff": full["a"] - full["b"], "lo": float(lo), "hi": float(hi),
                         "subjects": len(subjects), "clips": len(part)})
    return pd.DataFrame(rows)
