"""Every method atnet can run, in one registry (registry.py): the ATNet networks and
Micro-Attention (networks.py), the eight handcrafted baselines (baselines.py), the FER probe
(probe.py), the classifiers of `--features` (classifiers.py), and any method registered from
outside (`register`, or an entry point in the group "atnet.methods").

    import atnet.methods as methods
    methods.get("atnet").inputs        -> ("apex", "adm")
    methods.names("paper")             -> the twelve rows of Tables II and III
    methods.register(methods.Method("mine", "my method", ("adm",), fit, predict))
"""
from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from importlib import import_module

from ..core.classes import CLASSES
from ..data.prepare import PrepConfig
from ..training import TrainConfig
from .baselines import BaselineConfig
from .registry import GROUPS, INPUTS, Method, check_scores, register, registered, unknown, unregister
from .registry import taken as registry_taken

ENTRY_POINTS = "atnet.methods"
_loaded = False


@dataclass(frozen=True)
class Settings:
    """What a run chose (flags, or a notebook's configs); each method takes its config from it.
    `classes`: the class set's classes, in id order; a method's predict returns one score per class
    (the protocols set it from the clips' class set)."""
    prep: PrepConfig = field(default_factory=PrepConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    baselines: BaselineConfig = field(default_factory=BaselineConfig)
    classifier: str = "logreg"
    classes: tuple[str, ...] = CLASSES


def _builtin() -> None:
    """Every module of this folder that defines METHODS (a new built-in method is one new file),
    registered in the tables' order: the paper's rows, the rows beyond the paper, the --features
    classifiers; within a group, by module name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name not in ("registry", "modelfile"):
            found += getattr(import_module(f"{__name__}.{info.name}"), "METHODS", ())
    for m in sorted(found, key=lambda m: GROUPS.index(m.group)):
        register(m)


def load_entry_points() -> None:
    """Register the methods other installed packages declare (entry point group "atnet.methods",
    each naming a Method or a function returning one or a list of them); once per process. A
    plug-in's method whose name is taken (a built-in's, or an earlier plug-in's) is not registered:
    the one registered first is kept, and the plug-in named."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from importlib.metadata import entry_points
    for ep in entry_points(group=ENTRY_POINTS):
        try:
            got = ep.load()
            got = got() if callable(got) and not isinstance(got, Method) else got
            for m in got if isinstance(got, (list, tuple)) else [got]:
                taken = registry_taken(getattr(m, "name", None))   # letter case ignored
                if taken is not None and taken is not m:
                    dist = getattr(getattr(ep, "dist", None), "name", None)
                    print(f"atnet: the method plug-in {ep.name} ({ep.value}"
                          + (f", package {dist}" if dist else "") + f") declares a method named {m.name!r}, "
                          f"which is taken by {'a built-in' if taken.group != 'yours' else 'another'} method; "
                          f"the plug-in's is skipped (rename it in that package)")
                    continue
                register(m)
        except Exception as e:   # a broken plug-in names itself and stops nothing else
            print(f"atnet: the method plug-in {ep.name} ({ep.value}) could not be loaded: {e}")


def all_methods() -> dict[str, Method]:
    load_entry_points()
    return registered()


def get(name: str, what: str = "--method") -> Method:
    """The method of that name; a name registered nowhere is one sentence listing the others."""
    methods = all_methods()
    if name not in methods:
        raise unknown(name, what, [n for n, m in methods.items() if m.group != "classifier"])
    return methods[name]


def names(*groups: str) -> tuple[str, ...]:
    """Registered names, in registration order (the tables' order), of the given groups (all by default)."""
    return tuple(n for n, m in all_methods().items() if not groups or m.group in groups)


def reading_only(available: set[str]) -> tuple[str, ...]:
    """The methods (not --features classifiers) that read only what `available` holds."""
    return tuple(n for n, m in all_methods().items() if m.group != "classifier" and set(m.inputs) <= available)


def describe_all() -> str:
    """`atnet methods`: every method with the inputs it reads, whether it makes a model file, and its description."""
    rows = [(m.name, ", ".join(m.inputs), m.group, "yes" if m.savable else "-", m.description)
            for m in all_methods().values()]
    head = ("method", "reads", "group", "model file", "description")
    width = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, width + [0])).rstrip()
    inputs = "\n".join(f"  {k}: {v}" for k, v in INPUTS.items())
    return "\n".join([line(head)] + [line(r) for r in rows]) + (
        f"\n\ninputs:\n{inputs}\ngroups: paper (rows of Tables II and III), beyond (atnet's extras), classifier "
        f"(`evaluate --features --classifier`), yours (registered from outside)")


_builtin()

__all__ = ["Method", "Settings", "INPUTS", "GROUPS", "check_scores", "register", "unregister", "get", "names",
           "all_methods", "reading_only", "describe_all", "BaselineConfig"]
