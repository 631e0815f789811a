"""Handcrafted baselines of the paper (SPEC section 7): LBP-TOP and HOOF on the frames around the
apex (the same window ATNet's flows use, inside onset..offset), normalised to 10 or 64 frames by
TIM, each classified by a degree-2 polynomial SVM. Eight named settings, as the paper's rows:

  lbptop-p{4,8}-tim{10,64}   LBP-TOP radii (3, 3, 3), P neighbours, uniform patterns, 3 histograms
  hoof-n{4,8}-tim{10,64}     HOOF with N bins per flow of the TIM clip, concatenated in time

The SVM is scikit-learn's SVC(kernel="poly", degree=2, coef0=1, C=1, gamma="scale",
class_weight="balanced") on the L1-normalised histograms. Class weighting is the SVM's counterpart
of the class-balanced oversampling the networks train with (without it, on the synthetic corpus,
every LBP-TOP setting predicted the majority class only: CDE UF1 0.24). Nothing else is tuned: there
is no validation split to tune on honestly.

Two choices the paper leaves open are flags (BaselineConfig; measured in docs/benchmarks.md):
`--hoof-bins full|folded` (the full circle, as MEGC's code, or Chaudhry et al.'s left-right folded
bins) and `--svm-class-weight balanced|none`."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from sklearn.svm import SVC

from ..core import parallel
from ..core.errors import CorpusError
from ..features import flow
from ..features.hoof import hoof
from ..features.lbptop import lbp_top
from ..features.tim import tim
from .registry import Method


@dataclass(frozen=True)
class BaselineConfig:
    hoof_bins: str = "full"              # full (N bins over the circle, MEGC's code) | folded (Chaudhry et al.)
    svm_class_weight: str = "balanced"   # balanced (the networks' class balancing, for the SVM) | none

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise CorpusError(f"--{name.replace('_', '-')} {getattr(self, name)}: unknown; choose one of "
                                  f"{', '.join(allowed)}.")

    def key(self, method: str) -> dict:
        """What a baseline's fold key must cover beyond the flow backend (defaults add nothing, so
        folds saved before these flags existed stay valid)."""
        out = {"svm": repr(classifier(self))}
        if method.startswith("hoof") and self.hoof_bins != "full":
            out["hoof_bins"] = self.hoof_bins
        return out


CHOICES = {"hoof_bins": ("full", "folded"), "svm_class_weight": ("balanced", "none")}

BASELINES = tuple([f"lbptop-p{p}-tim{n}" for n in (10, 64) for p in (4, 8)] +
                  [f"hoof-n{b}-tim{n}" for n in (10, 64) for b in (4, 8)])


def parse(method: str) -> tuple[str, int, int]:
    """'lbptop-p4-tim10' -> ('lbptop', 4, 10)."""
    kind, k, n = method.split("-")
    return kind, int(k[1:]), int(n[3:])


def clip_feature(method: str, volume: np.ndarray, flow_backend: str = "dis", hoof_bins: str = "full") -> np.ndarray:
    """One clip's (T, H, W) uint8 face crops -> its feature vector."""
    kind, k, n = parse(method)
    frames = np.clip(np.rint(tim(volume, n)), 0, 255).astype(np.uint8)
    if kind == "lbptop":
        return lbp_top(frames, p=k, radii=(3, 3, 3))
    cv2.setNumThreads(1)
    return np.concatenate([hoof(flow(a, b, flow_backend), k, folded=hoof_bins == "folded")
                           for a, b in zip(frames[:-1], frames[1:])])


def features(method: str, volumes: list[np.ndarray], flow_backend: str = "dis", jobs: int = 1,
             hoof_bins: str = "full") -> np.ndarray:
    """(N, D) features of every clip (pure; in parallel over clips)."""
    rows = list(parallel.run(clip_feature, ((method, v, flow_backend, hoof_bins) for v in volumes), jobs))
    return np.stack(rows)


def classifier(cfg: BaselineConfig | None = None) -> SVC:
    weight = "balanced" if cfg is None or cfg.svm_class_weight == "balanced" else None
    return SVC(kernel="poly", degree=2, coef0=1.0, C=1.0, gamma="scale", class_weight=weight)


def scores(svm: SVC, x: np.ndarray, n_classes: int = 3) -> np.ndarray:
    """(N, n_classes) softmax of the one-vs-rest decision values (scores, not calibrated
    probabilities; the argmax is the SVM's prediction)."""
    out = np.zeros((len(x), n_classes))
    d = svm.decision_function(x)
    d = d if d.ndim == 2 else np.stack([-d, d], 1)
    e = np.exp(d - d.max(1, keepdims=True))
    out[:, svm.classes_] = e / e.sum(1, keepdims=True)
    return out


def one_class(classes: np.ndarray, n: int, n_classes: int = 3) -> np.ndarray:
    """The scores of a classifier whose training set held one class: that class, always."""
    out = np.zeros((n, n_classes))
    out[:, classes[0]] = 1
    return out


def fit_svm(x: np.ndarray, y: np.ndarray, cfg: BaselineConfig | None = None):
    """The SVM trained on these clips; a training set of one class gives that class's id array
    (it predicts that class)."""
    classes = np.unique(y)
    return classes if len(classes) == 1 else classifier(cfg).fit(x, y)


def predict_svm(svm, x: np.ndarray, n_classes: int = 3) -> np.ndarray:
    """(N, n_classes) scores of fit_svm's result (`scores`, or the one class)."""
    return one_class(svm, len(x), n_classes) if isinstance(svm, np.ndarray) else scores(svm, x, n_classes)


def fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, n_classes: int = 3,
                cfg: BaselineConfig | None = None) -> np.ndarray:
    """Train the SVM and score the test clips -> (N, n_classes) scores (`scores`)."""
    return predict_svm(fit_svm(x_train, y_train, cfg), x_test, n_classes)


# ------------------------------------------------------------------------------------------ as methods

@dataclass(frozen=True)
class Handcrafted:
    """A baseline's config: the SVM's open choices and the flow backend (HOOF's flow)."""
    svm: BaselineConfig
    flow: str
    n_classes: int = 3            # of the run's class set (the data's part of the key covers it)


def make_method(name: str) -> Method:
    kind, k, n = parse(name)

    def config(settings) -> Handcrafted:
        return Handcrafted(settings.baselines, settings.prep.flow, len(settings.classes))

    def key(cfg: Handcrafted) -> dict:
        return {"flow": cfg.flow, **cfg.svm.key(name)}

    def features_of(x: dict, cfg: Handcrafted, jobs: int) -> dict:
        if x.get("volumes") is None:
            raise CorpusError(f"{name} needs the clips' frames; an apex table has none.")
        return {"x": features(name, x["volumes"], cfg.flow, jobs, cfg.svm.hoof_bins)}

    def fit(x: dict, y, groups, cfg: Handcrafted):
        return fit_svm(x["x"], y, cfg.svm)

    def predict(svm, x: dict, cfg: Handcrafted) -> np.ndarray:
        return predict_svm(svm, x["x"], cfg.n_classes)

    what = (f"LBP-TOP, radii (3, 3, 3), {k} neighbours" if kind == "lbptop" else f"HOOF, {k} bins per flow") + \
        f", on the window's frames normalised to {n} by TIM; degree-2 polynomial SVM"
    label = f"LBP-TOP {{3,3,3,{k}}} TIM={n}" if kind == "lbptop" else f"HOOF N={k} TIM={n}"
    return Method(name, what, ("volumes",), fit, predict, config=config, key=key, features=features_of,
                  group="paper", label=label, init="none (handcrafted features)")


METHODS = tuple(make_method(name) for name in BASELINES)
