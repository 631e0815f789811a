"""Protocols as objects, as scikit-learn's splitters are: a `Protocol` says in one sentence why a
table of samples (columns dataset and subject, dataset-qualified; label where it stratifies)
cannot be split (`check`), and splits it into folds of indices only (`split`): [(fold name, train
indices, test indices)]. Nothing here trains: protocols.evaluate runs a method over the folds.

A registry holds them by name, as the methods' does: `register(Protocol(...))`, `get(name)`,
`names()`. Built in:

  cde              leave one dataset-qualified subject out (68 folds on MEGC 2019; on one corpus,
                   the single-corpus LOSO papers report)
  hde              train on the other corpora, test on one (3 folds)
  loso-corpus      leave one subject out within each corpus alone (a fold trains on its corpus only)
  k-fold-subjects  K subject-independent folds (K from `folds`, default 10, as DFME's protocol)

Saved folds are keyed by the fold's name, so a protocol's folds (names, indices, order) never
change once it is registered.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from ..core.errors import CorpusError

Folds = list[tuple[str, np.ndarray, np.ndarray]]
PAPER = ("cde", "hde")                         # the paper's (Tables II and III)
K_DEFAULT = 10                                 # k-fold-subjects' K where none is given (DFME's 10 folds)
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")   # goes into file names: predictions/METHOD-PROTOCOL.csv


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str                                  # one line, for --help
    refuse: Callable[[pd.DataFrame, int], str | None]  # (table, K) -> why it cannot be split (one sentence), or None
    cut: Callable[[pd.DataFrame, int], Folds]         # (table, K) -> [(fold name, train, test)]
    takes_folds: bool = False                         # reads K (--folds): its saved folds' file names carry K
    title: str = ""                                   # its table in the reports (default: name and description)

    def __post_init__(self):
        if not isinstance(self.name, str) or not NAME.fullmatch(self.name):
            raise ValueError(f"protocol {self.name!r}: its name is written into file names, so it must be 1 to 40 "
                             f"lower-case letters, digits and -, starting with a letter or digit")

    def check(self, table: pd.DataFrame, folds: int | None = None) -> None:
        """Nothing, or a CorpusError in one sentence: why `table` cannot be split, naming what to add."""
        why = self.refuse(table, K_DEFAULT if folds is None else folds)
        if why:
            raise CorpusError(why)

    def split(self, table: pd.DataFrame, folds: int | None = None) -> Folds:
        """[(fold name, train indices, test indices)] of `table`'s rows (checked first); `folds` is K
        where the protocol takes one (k-fold-subjects), ignored elsewhere."""
        self.check(table, folds)
        return self.cut(table, K_DEFAULT if folds is None else folds)

    def file_part(self, folds: int | None = None) -> str:
        """The protocol's part of a saved fold's file name: k-fold-subjects5 for K = 5, so that folds
        of another K are never taken for these; the name alone elsewhere."""
        return f"{self.name}{K_DEFAULT if folds is None else folds}" if self.takes_folds else self.name


_REGISTRY: dict[str, Protocol] = {}


def register(protocol: Protocol, replace: bool = False) -> Protocol:
    """Add a protocol; a name already taken is refused unless `replace`."""
    if not isinstance(protocol, Protocol):
        raise TypeError(f"register() takes an atnet.evaluation.splits.Protocol, not {type(protocol).__name__}")
    if protocol.name in _REGISTRY and not replace and _REGISTRY[protocol.name] is not protocol:
        raise ValueError(f"a protocol named {protocol.name!r} is registered already; pick another name, or pass "
                         f"replace=True")
    _REGISTRY[protocol.name] = protocol
    return protocol


def get(name: str) -> Protocol:
    if name not in _REGISTRY:
        raise CorpusError(f"--protocol {name}: unknown; choose one of {', '.join(_REGISTRY)}.")
    return _REGISTRY[name]


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def loso(groups) -> Folds:
    """Leave one group out: [(group, train indices, test indices)], groups in sorted order."""
    groups = np.asarray(groups)
    return [(str(g), np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in sorted(set(groups))]


def _cde_refuse(table: pd.DataFrame, k: int) -> str | None:
    if table["subject"].nunique() < 2:
        held = ", ".join(sorted(set(table["subject"]))) or "none"
        return (f"--protocol cde leaves one subject out, so it needs at least two subjects; the clips given hold "
                f"{held}: add corpora or subjects.")
    return None


def _hde_refuse(table: pd.DataFrame, k: int) -> str | None:
    if table["dataset"].nunique() < 2:
        held = ", ".join(sorted(set(table["dataset"]))) or "none"
        return (f"--protocol hde trains on the other corpora and tests on one, so it needs at least two corpora; the "
                f"clips given are from {held}: add --casme2, --samm or --smic.")
    return None


def _loso_corpus_refuse(table: pd.DataFrame, k: int) -> str | None:
    counts = table.groupby("dataset")["subject"].nunique()
    if (counts < 2).any():
        name = counts[counts < 2].index[0]
        return (f"--protocol loso-corpus leaves one subject out within each corpus, so each corpus needs at least two "
                f"subjects; {name} has {counts[name]}: add its subjects or leave the corpus out.")
    return None


def _loso_corpus(table: pd.DataFrame, k: int) -> Folds:
    """The folds of CDE, each trained on its own corpus only."""
    same = table["dataset"].to_numpy()
    return [(name, tr[same[tr] == same[te[0]]], te) for name, tr, te in loso(table["subject"])]


def _k_fold_refuse(table: pd.DataFrame, k: int) -> str | None:
    if k < 2:
        return f"k-fold-subjects with --folds {k} makes no split: it needs at least 2 folds; give --folds 2 or more."
    held = table["subject"].nunique()
    if held < k:
        return (f"k-fold-subjects with --folds {k} needs at least {k} subjects; the clips given hold {held}: lower "
                f"--folds or add subjects.")
    most = int(table["label"].value_counts().max()) if "label" in table and len(table) else k
    if most < k:
        return (f"k-fold-subjects with --folds {k} spreads each class over the folds, so some class needs at least "
                f"{k} clips; the clips given hold at most {most} of a class: lower --folds or add clips.")
    return None


def _k_fold(table: pd.DataFrame, k: int) -> Folds:
    """scikit-learn's StratifiedGroupKFold without shuffling over the dataset-qualified subjects:
    every subject in one test fold only, each fold's classes near the whole table's. Chosen over
    GroupKFold because its order is the same on every machine and version (subjects sorted by a
    stable sort), whereas GroupKFold broke ties between subjects of as many clips with numpy's
    unstable argsort before scikit-learn 1.9 (scikit-learn#28464, #29495), and atnet accepts 1.4
    on: the same fold name would hold other clips on another install, and saved folds are found by
    their name. Without a label column every row counts as one class."""
    subjects = table["subject"].to_numpy()
    y = table["label"].to_numpy() if "label" in table else np.zeros(len(table), dtype=int)
    width = max(2, len(str(k)))
    with warnings.catch_warnings():   # a class with fewer clips than K: that class is missing from some folds
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        parts = list(StratifiedGroupKFold(n_splits=k).split(np.zeros((len(y), 1)), y, subjects))
    return [(f"fold{i:0{width}d}", np.asarray(tr), np.asarray(te)) for i, (tr, te) in enumerate(parts, 1)]


register(Protocol("cde", "composite database evaluation (Table II): leave one dataset-qualified subject out over the "
                         "corpora given (on one corpus, the single-corpus LOSO papers report)",
                  _cde_refuse, lambda table, k: loso(table["subject"])))
register(Protocol("hde", "holdout database evaluation (Table III): train on the other corpora, test on one",
                  _hde_refuse, lambda table, k: loso(table["dataset"])))
register(Protocol("loso-corpus", "leave one subject out within each corpus alone: a fold trains on the other "
                                 "subjects of its corpus only (not in the paper)",
                  _loso_corpus_refuse, _loso_corpus,
                  title="Per-corpus LOSO (leave one subject out within each corpus; not in the paper)"))
register(Protocol("k-fold-subjects", "K subject-independent folds, each class spread over them (--folds K, default "
                                     f"{K_DEFAULT} as DFME's 10-fold protocol; not in the paper)",
                  _k_fold_refuse, _k_fold, takes_folds=True,
                  title="Subject-independent K-fold (k-fold-subjects; not in the paper)"))
