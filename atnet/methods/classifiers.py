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

from .registry import Method, n_classes

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


def fit(name: str, x: np.ndarray, y: np.ndarray, groups: np.ndarray):
    """The classifier trained on these (training) clips, C chosen on them; a training set of one
    class gives that class's id array (it predicts that class)."""
    if name == "poly-svm":
        from .baselines import fit_svm
        return fit_svm(x, y)
    classes = np.unique(y)
    if len(classes) == 1:
        return classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make(name, choose_c(name, x, y, groups)).fit(x, y)


def predict(name: str, model, x: np.ndarray, n_classes: int = 3) -> np.ndarray:
    """-> (N, n_classes) scores: logreg's probabilities, the SVMs' softmax of decision values."""
    from .baselines import one_class, scores
    if isinstance(model, np.ndarray):
        return one_class(model, len(x), n_classes)
    if name == "logreg":
        out = np.zeros((len(x), n_classes))
        out[:, model.classes_] = model.predict_proba(x)
        return out
    return scores(model, x, n_classes)


def fit_predict(name: str, x_train: np.ndarray, y_train: np.ndarray, groups: np.ndarray, x_test: np.ndarray,
                n_classes: int = 3) -> np.ndarray:
    """-> (N, n_classes) scores of the test clips from the classifier trained on the training clips."""
    return predict(name, fit(name, x_train, y_train, groups), x_test, n_classes)


class LinearModel:
    """A fitted `logreg` as plain arrays, which a model file can hold without pickle: standardise,
    then linear, then softmax (a sigmoid with two classes), as scikit-learn's LogisticRegression
    predicts (tests/test_oaflow.py checks they agree)."""

    def __init__(self, mean, scale, coef, intercept, classes):
        self.mean, self.scale, self.coef, self.intercept = mean, scale, coef, intercept
        self.classes_ = classes

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        d = ((np.asarray(x, np.float64) - self.mean) / self.scale) @ self.coef.T + self.intercept
        if len(self.classes_) <= 2:
            p = 1 / (1 + np.exp(-d[:, 0]))
            return np.stack([1 - p, p], 1)
        e = np.exp(d - d.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)


def logreg_arrays(model) -> dict:
    """A fitted `logreg` (fit's result) -> {name: array} for a model file."""
    if isinstance(model, np.ndarray):   # a training set of one class
        return {"classes": model.astype(np.int64)}
    if not isinstance(model, LinearModel):
        scaler, lr = model.steps[0][1], model.steps[-1][1]
        model = LinearModel(scaler.mean_, scaler.scale_, lr.coef_, lr.intercept_, lr.classes_)
    return {"mean": np.asarray(model.mean, np.float64), "scale": np.asarray(model.scale, np.float64),
            "coef": np.asarray(model.coef, np.float64), "intercept": np.asarray(model.intercept, np.float64),
            "classes": np.asarray(model.classes_, np.int64)}


def logreg_from(tensors: dict):
    """Back from logreg_arrays (torch tensors or arrays); raises ValueError when they do not fit."""
    t = {k: (v.numpy() if hasattr(v, "numpy") else np.asarray(v)) for k, v in tensors.items()}
    if set(t) == {"classes"}:
        return t["classes"]
    if set(t) != {"mean", "scale", "coef", "intercept", "classes"}:
        raise ValueError(f"its tensors {sorted(t)} are not a logistic regression's (mean, scale, coef, intercept, "
                         f"classes)")
    d, k = len(t["mean"]), len(t["classes"])
    if (t["scale"].shape != (d,) or t["coef"].shape != ((1 if k <= 2 else k), d)
            or len(t["intercept"]) != len(t["coef"])):
        raise ValueError(f"its logistic regression's shapes do not fit together (mean {t['mean'].shape}, coef "
                         f"{t['coef'].shape}, intercept {t['intercept'].shape}, classes {t['classes'].shape})")
    return LinearModel(t["mean"], t["scale"], t["coef"], t["intercept"], t["classes"])


# ------------------------------------------------------------------------------------------ as methods

def make_method(name: str, description: str) -> Method:
    def key(_config) -> dict:
        return {"classifier": describe(name)}

    def fit_x(x: dict, y, groups, _config):
        return fit(name, x["features"], y, groups)

    def predict_x(model, x: dict, k: int) -> np.ndarray:
        return predict(name, model, x["features"], k)

    return Method(name, description, ("features",), fit_x, predict_x, config=n_classes, key=key,
                  group="classifier", init=f"your features, {name}")


METHODS = (
    make_method("logreg", "class-weighted logistic regression on standardised features, C chosen inside the fold"),
    make_method("linear-svm", "class-weighted linear SVM on standardised features, C chosen inside the fold"),
    make_method("poly-svm", "the handcrafted baselines' degree-2 polynomial SVM, nothing chosen"),
)
