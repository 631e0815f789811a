"""Classifiers for per-clip feature vectors: the fer probe's and bring-your-own features'
(`atnet evaluate --features`). One fold's classifier sees that fold's training clips only.

  poly-svm    the handcrafted baselines' SVM exactly as they run it (baselines.classifier(): degree-2
              polynomial, C = 1, gamma "scale", class-weighted); nothing chosen
  linear-svm  LinearSVC, class-weighted, on standardised features; C from C_GRID
  logreg      LogisticRegression, class-weighted, on standardised features; C from C_GRID

Speed (benchmarks/bench_features.py: 442 clips x 2,352 features, docs/benchmarks.md): each fold's
scikit-learn code runs on `threads` BLAS threads (threadpoolctl; one when folds run in parallel: two
OpenBLAS threads on a busy 2-core machine made one fit 10-20x slower, measured), and folds run in
worker processes (--jobs). linear-svm first rotates the standardised features onto the span of the
training clips (PCA keeping every component): an L2-regularised linear model's weights lie in that
span, so the problem and its solution are the same, in at most as many dimensions as training
clips (2,352 -> 350 here), and liblinear's dual solver does the same iterations at a fraction of
the cost. logreg is left on the raw dimensions: lbfgs converged no faster after the rotation.

Where C is chosen, it is by subject-grouped cross-validation on the fold's training clips (GroupKFold
over dataset-qualified subjects, up to 5 splits, scored by macro F1 = UF1); never on a test fold. A
training set with one subject cannot be split by subject and keeps C = 1. Scores: logreg's
probabilities; for the SVMs a softmax of their one-vs-rest decision values (as the baselines)."""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

CLASSIFIERS = ("poly-svm", "linear-svm", "logreg")
C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)


def make(name: str, c: float = 1.0):
    """The named classifier (an unfitted scikit-learn estimator) with regularisation C."""
    if name == "poly-svm":
        from .baselines import classifier
        return classifier()
    if name == "linear-svm":
        return make_pipeline(StandardScaler(), PCA(svd_solver="full"),
                             LinearSVC(C=c, class_weight="balanced", dual=True, max_iter=20000))
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000))
    raise ValueError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")


def describe(name: str) -> str:
    """What a fold key must cover: the estimator and the grid searched."""
    return repr(make(name)) + ("" if name == "poly-svm" else f" C in {C_GRID}")


def choose_c(name: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """C by subject-grouped cross-validation on these (training) clips; 1.0 with one subject."""
    n = len(set(groups))
    if n < 2:
        return 1.0
    step = make(name).steps[-1][0]
    search = GridSearchCV(make(name), {f"{step}__C": list(C_GRID)}, scoring="f1_macro",
                          cv=GroupKFold(n_splits=min(5, n)))
    with warnings.catch_warnings():   # a split whose training part lacks a class scores it 0; that is the point
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning, ConvergenceWarning))
        search.fit(x, y, groups=groups)
    return float(search.best_params_[f"{step}__C"])


def _softmax(d: np.ndarray) -> np.ndarray:
    e = np.exp(d - d.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def fit_predict_fold(name: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray, train: np.ndarray,
                     test: np.ndarray, threads: int = 1) -> np.ndarray:
    """One fold (a task for parallel.run): fit_predict on x[train] -> scores of x[test], on
    `threads` BLAS threads."""
    with threadpool_limits(threads):
        return fit_predict(name, x[train], y[train], groups[train], x[test])


def fit_predict(name: str, x_train: np.ndarray, y_train: np.ndarray, groups: np.ndarray, x_test: np.ndarray,
                n_classes: int = 3) -> np.ndarray:
    """-> (N, n_classes) scores of the test clips from the classifier trained on the training clips."""
    if name == "poly-svm":
        from .baselines import fit_predict as svm
        return svm(x_train, y_train, x_test, n_classes)
    out = np.zeros((len(x_test), n_classes))
    classes = np.unique(y_train)
    if len(classes) == 1:
        out[:, classes[0]] = 1
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make(name, choose_c(name, x_train, y_train, groups)).fit(x_train, y_train)
    if name == "logreg":
        out[:, model.classes_] = model.predict_proba(x_test)
    else:
        d = model.decision_function(x_test)
        out[:, model.classes_] = _softmax(d if d.ndim == 2 else np.stack([-d, d], 1))
    return out
