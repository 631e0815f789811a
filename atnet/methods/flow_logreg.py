"""`flow-logreg` (beyond the paper): class-weighted logistic regression on the onset-apex flow image,
flattened (28 x 28 x 3 = 2,352 values: u, v, strain, area-resized), standardised, its C chosen
by subject-grouped cross-validation inside the training fold (classifiers.py's `logreg`). The
plain referee for flow methods: on the real composite's published flows a logistic regression
scored UF1 0.692 (the issue tracker's measurement, C fixed at 1), above STSTNet trained honestly."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from . import classifiers
from .registry import Method, n_classes

SIZE = 28


def features_of(x: dict, _config, jobs: int) -> dict:
    f = torch.from_numpy(np.ascontiguousarray(x["flow"], dtype=np.float32)).permute(0, 3, 1, 2)
    if f.shape[-1] != SIZE:
        f = F.interpolate(f, size=(SIZE, SIZE), mode="area")
    return {"features": f.reshape(len(f), -1).numpy().astype(np.float64)}


def key(_config) -> dict:
    return {"classifier": classifiers.describe("logreg"), "size": SIZE}


def fit(x: dict, y, groups, _config):
    return classifiers.fit("logreg", x["features"], y, groups)


def save(model) -> dict:
    return classifiers.logreg_arrays(model)


def load(tensors: dict, meta: dict):
    return classifiers.logreg_from(tensors)


def predict(model, x: dict, k: int) -> np.ndarray:
    return classifiers.predict("logreg", model, x["features"], k)


METHODS = (Method("flow-logreg", "logistic regression on the flattened onset-apex flow (28 x 28 x 3), C chosen inside "
                  "the fold (beyond the paper)", ("flow",), fit, predict, config=n_classes, key=key,
                  features=features_of, save=save, load=load, group="beyond",
                  label="logistic regression, onset-apex flow (beyond the paper)",
                  init="none (linear model)"),)
