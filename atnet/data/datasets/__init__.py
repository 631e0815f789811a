"""Corpus adapters: one module per corpus, all producing the one Sample schema."""
from __future__ import annotations

from pathlib import Path

from . import casme2, ckplus, jaffe, mug, oulu, samm, smic
from .base import Corpus, CorpusError, Exclusion, Sample, label_maps, to_frame

ADAPTERS = {"casme2": casme2.load, "samm": samm.load, "smic": smic.load}
# macro-expression corpora, for pretraining the spatial stream (atnet/app/pretrain.py)
MACRO_ADAPTERS = {"ckplus": ckplus.load, "oulu": oulu.load, "jaffe": jaffe.load, "mug": mug.load}


def load_corpora(roots: dict[str, str | Path | None], sheets: dict[str, str | Path | None] | None = None) -> Corpus:
    """Read every corpus given as {"casme2": root, "samm": root, "smic": root} (None skips one);
    `sheets` names a CASME II or SAMM spreadsheet that is not inside its root."""
    sheets = sheets or {}
    out = Corpus()
    for name, root in roots.items():
        if root is None:
            continue
        if not Path(root).is_dir():
            raise CorpusError(f"{root}: no such folder; pass the {name} corpus root as you unpacked it.")
        part = ADAPTERS[name](root, sheets[name]) if sheets.get(name) else ADAPTERS[name](root)
        if not part.samples:
            raise CorpusError(f"{root}: no usable {name} clip found ({len(part.excluded)} left out); "
                              f"check the layout against the README's 'Your corpora' section.")
        out.extend(part)
    return out


__all__ = ["Corpus", "CorpusError", "Exclusion", "Sample", "load_corpora", "label_maps", "to_frame", "ADAPTERS",
           "MACRO_ADAPTERS"]
