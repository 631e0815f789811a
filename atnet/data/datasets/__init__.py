"""Corpus adapters: one module per corpus, all producing the one Sample schema."""
from __future__ import annotations

from pathlib import Path

from . import casme2, casme3, ckplus, jaffe, mmew, mug, oulu, samm, smic
from ..classsets import ClassSet, get as get_classes
from .base import Corpus, CorpusError, Exclusion, Sample, to_frame

# each adapter: load(root, classes=..., **sheets) -> Corpus; the keyword names the spreadsheets it takes
ADAPTERS = {"casme2": casme2.load, "samm": samm.load, "smic": smic.load, "casme3": casme3.load, "mmew": mmew.load}
SHEETS = {"casme2": {"casme2": "sheet", "casme2_objective": "objective"}, "samm": {"samm": "sheet"},
          "casme3": {"casme3": "sheet", "casme3_wrong": "wrong"}, "mmew": {"mmew": "sheet"}}
# macro-expression corpora, for pretraining the spatial stream (atnet/app/pretrain.py)
MACRO_ADAPTERS = {"ckplus": ckplus.load, "oulu": oulu.load, "jaffe": jaffe.load, "mug": mug.load}


def load_corpora(roots: dict[str, str | Path | None], sheets: dict[str, str | Path | None] | None = None,
                 classes: ClassSet | str | None = None) -> Corpus:
    """Read every corpus given as {"casme2": root, "samm": root, "smic": root, "casme3": root, "mmew":
    root} (None skips one), labelled by the class set `classes` (a name, a JSON path or a ClassSet;
    default megc2019; a set that cannot serve a corpus given is refused before any is read); `sheets`
    names a spreadsheet that is not inside its root ({"casme2": ..., "casme2_objective": ..., "samm": ...,
    "casme3": ..., "casme3_wrong": ..., "mmew": ...})."""
    sheets = sheets or {}
    classes = get_classes(classes)
    given = {n: r for n, r in roots.items() if r is not None}
    classes.check_corpora(given)
    out = Corpus()
    for name, root in given.items():
        if not Path(root).is_dir():
            raise CorpusError(f"{root}: no such folder; pass the {name} corpus root as you unpacked it.")
        kw = {arg: sheets[key] for key, arg in SHEETS.get(name, {}).items() if sheets.get(key)}
        part = ADAPTERS[name](root, classes=classes, **kw)
        if not part.samples:
            raise CorpusError(f"{root}: no usable {name} clip found ({len(part.excluded)} left out); "
                              f"check the layout against the README's 'Your corpora' section.")
        out.extend(part)
    return out


__all__ = ["Corpus", "CorpusError", "Exclusion", "Sample", "load_corpora", "to_frame", "ADAPTERS", "SHEETS",
           "MACRO_ADAPTERS"]
