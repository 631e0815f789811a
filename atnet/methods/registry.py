"""The method registry: a method is one `Method` object, found by name. Everything that runs,
saves, lists or reports a method (protocols, model files, the API, the CLI, the reports) asks the
registry what it is, instead of keeping its own list.

A method declares the inputs it reads (INPUTS), how its config comes from a run's settings, and
four functions:

  fit(x, y, groups, config) -> fitted     x: {input: array}, the training clips only; y: class ids
                                           0..k-1 (the run's class set, Settings.classes; a
                                           training fold may lack some); groups: dataset-qualified subjects
  predict(fitted, x, config) -> (N, k)    class scores of the test clips (rows sum to 1), one per class
  save(fitted) -> {name: array}           optional: the tensors of a model file (`atnet train`)
  load(tensors, meta) -> fitted           optional: back from a model file (meta: its header)
  trace(x, y, groups, config, x_test)     optional, for a method trained in epochs: fit, and the test
      -> (fitted, (epochs, n, k))         clips' scores after each epoch (--trace-epochs: recorded to
                                           show what picking an epoch on the test fold would report;
                                           never used to choose anything)

A method made outside atnet registers itself with `register(Method(...))` (or an entry point in
the group "atnet.methods" naming a Method) and then runs in evaluate, reproduce, train, predict and
compare as a built-in one does (README, "Add a method")."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.classes import CLASSES
from ..core.errors import CorpusError

# What a method can read, per clip: the arrays of prepare.Arrays of the same names.
INPUTS = {
    "apex": "the apex frame, face-cropped (S x S, uint8)",
    "adm": "the ADM sequence: statistics of the 64 optical flows around the apex (64 x 2 grid^2)",
    "volumes": "the face crops of the frames around the apex, for TIM and the handcrafted features",
    "features": "your own per-clip features (`evaluate --features`)",
    "flow": "the onset-apex optical flow: u, v and optical strain (F x F x 3), computed or from a table",
}
GROUPS = ("paper", "beyond", "classifier", "yours")   # the paper's rows, atnet's extras, --features classifiers, plug-ins
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")   # a name goes into file names: predictions/NAME-PROTOCOL.csv


def settings_itself(settings):
    return settings


def no_config(settings) -> None:
    """For a method with nothing to set."""
    return None


def n_classes(settings) -> int:
    """For a method whose only setting is the number of classes it scores (k of the class set)."""
    return len(settings.classes)


def repr_key(config) -> dict:
    """A fold key's part for a config without its own key function: its repr (dataclasses have a
    stable one)."""
    return {"config": repr(config)}


@dataclass(frozen=True)
class Method:
    name: str
    description: str                      # one line, for `atnet methods`
    inputs: tuple[str, ...]               # keys of INPUTS
    fit: Callable
    predict: Callable
    config: Callable = settings_itself    # a run's Settings -> this method's config
    key: Callable = repr_key              # config -> what a saved fold's key covers beyond the inputs
    features: Callable | None = None      # (x, config, jobs) -> x: label-free, computed once over all clips
    save: Callable | None = None
    load: Callable | None = None
    trace: Callable | None = None         # (x, y, groups, config, x_test) -> (fitted, (epochs, n, k) test scores)
    seeded: bool = False                  # starts from random weights: reproduce runs it once per seed
    group: str = "yours"                  # one of GROUPS
    label: str = ""                       # its row in the tables (default: the name)
    init: Callable | str = "scratch"      # config -> how it started (each report row says it)
    base: str = ""                        # a variant shares its base's saved folds and model files
    key_inputs: tuple[str, ...] = ()      # the inputs its fold key covers, where more than it reads
    adjust: Callable | None = None        # Settings -> Settings (a variant: spatial-fer is spatial, fer backbone)
    extra: dict = field(default_factory=dict)   # anything else a method wants to carry

    def __post_init__(self):
        if not isinstance(self.name, str) or not NAME.fullmatch(self.name):
            raise ValueError(f"method {self.name!r}: its name is written into file names (predictions/NAME-"
                             f"PROTOCOL.csv), so it must be 1 to 100 letters, digits and . _ + -, starting with a "
                             f"letter or digit; pick another name")
        unknown = [i for i in self.inputs if i not in INPUTS]
        if not self.inputs or unknown:
            raise ValueError(f"method {self.name!r}: inputs {self.inputs!r}; each must be one of {', '.join(INPUTS)}")
        if self.group not in GROUPS:
            raise ValueError(f"method {self.name!r}: group {self.group!r}; choose one of {', '.join(GROUPS)}")
        if (self.save is None) != (self.load is None):
            raise ValueError(f"method {self.name!r}: give both save and load (a model file), or neither")

    @property
    def fold_name(self) -> str:
        """The name its saved folds and model files carry."""
        return self.base or self.name

    @property
    def savable(self) -> bool:
        return self.save is not None

    def settings(self, s):
        """The run's settings as this method sees them (a variant's changes applied)."""
        return self.adjust(s) if self.adjust else s

    def config_of(self, s) -> Any:
        return self.config(self.settings(s))

    def init_text(self, config) -> str:
        return self.init(config) if callable(self.init) else self.init


_REGISTRY: dict[str, Method] = {}


def register(method: Method, replace: bool = False) -> Method:
    """Add a method; a name already taken is refused unless `replace`."""
    if not isinstance(method, Method):
        raise TypeError(f"register() takes an atnet.methods.Method, not {type(method).__name__}")
    if method.name in _REGISTRY and not replace and _REGISTRY[method.name] is not method:
        raise ValueError(f"a method named {method.name!r} is registered already; pick another name, or pass "
                         f"replace=True")
    other = taken(method.name)
    if other is not None and other.name != method.name:
        raise ValueError(f"a method named {other.name!r} is registered already, and {method.name!r} differs from it "
                         f"only in letter case (their predictions files would be one file where letter case is not "
                         f"told apart); pick another name")
    _REGISTRY[method.name] = method
    return method


def taken(name) -> Method | None:
    """The registered method whose name is `name`, letter case ignored, or None."""
    return next((m for n, m in _REGISTRY.items() if n.casefold() == str(name).casefold()), None)


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Method]:
    return _REGISTRY


def unknown(name: str, what: str = "--method", choices=None) -> CorpusError:
    names = choices if choices is not None else list(_REGISTRY)
    return CorpusError(f"{what} {name}: no such method; choose one of {', '.join(names)} (`atnet methods` lists "
                       f"them).")


def check_scores(name: str, scores, n: int, k: int = len(CLASSES)) -> np.ndarray:
    """What a method's predict returned for n clips, as an (n, k) float array of class probabilities
    (k: the classes of the run's class set); anything else is one sentence naming the method
    (`name`) and what is wrong. Rows holding NaN or inf are left to the caller, which knows why
    they come (a training that diverged)."""
    fix = f"return an (n, {k}) array of non-negative rows summing to 1, one row per clip and one column per class"
    try:
        raw = np.asarray(scores)
        if raw.dtype.kind in "USVc" or (raw.dtype.kind == "O" and any(isinstance(x, (str, bytes, complex))
                                                                      for x in raw.ravel())):
            raise TypeError("text or complex values, not real numbers")   # float("0.2") and 1+2j's cast would pass
        a = np.asarray(raw, dtype=np.float64)
    except (ValueError, TypeError, RuntimeError) as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CorpusError(f"method {name}: predict returned {type(scores).__name__} that is not an array of numbers "
                          f"({why}); {fix}.") from None
    if a.shape != (n, k):
        raise CorpusError(f"method {name}: predict returned scores of shape {a.shape} for {n} clip(s); {fix}.")
    finite = np.isfinite(a).all(1)
    sums = a.sum(1)
    off = np.flatnonzero(finite & ~np.isclose(sums, 1.0, rtol=0, atol=1e-3))
    negative = np.flatnonzero(finite & (a < 0).any(1))
    wrong = ([f"row {off[0] + 1} of {n} sums to {sums[off[0]]:.4g}"] if len(off) else []) + (
        [f"{len(negative)} row(s) hold negative values, e.g. row {negative[0] + 1}"] if len(negative) else [])
    if wrong:
        raise CorpusError(f"method {name}: predict returned scores that are not probabilities ({'; '.join(wrong)}); "
                          f"{fix}.")
    return a
