"""JAFFE (Lyons et al., "Coding facial expressions with Gabor wavelets", FG 1998), as distributed: one
flat folder of 213 stills named <subject>.<expression><take>.<id>.tiff, e.g. KA.AN1.39.tiff (10
Japanese female subjects; AN anger, DI disgust, FE fear, HA happiness, NE neutral, SA sadness, SU
surprise), beside a README. Layout as read by public JAFFE loaders (the expression code is the two
letters after the first dot). Every still is a posed peak; the README and anything not named that
way is listed as not read."""
from __future__ import annotations

import re
from pathlib import Path

from ...core.errors import CorpusError
from .base import IMAGE_SUFFIXES, Exclusion
from .macro import MacroCorpus, MacroSample

CODES = {"AN": "anger", "DI": "disgust", "FE": "fear", "HA": "happiness", "NE": "neutral", "SA": "sadness",
         "SU": "surprise"}
NAME = re.compile(r"^([A-Z]{2})\.([A-Z]{2})(\d+)\.(\d+)$")


def load(root: str | Path, peak_frames: int = 1) -> MacroCorpus:
    root = Path(root)
    folder = next((c for c in (root / "jaffe", root / "JAFFE", root) if c.is_dir()
                   and any(p.suffix.lower() in (".tiff", ".tif") for p in c.iterdir())), None)
    if folder is None:
        raise CorpusError(f"{root}: no JAFFE .tiff stills inside; point --jaffe at the folder holding KA.AN1.39.tiff "
                          f"and the others.")
    out = MacroCorpus()
    for p in sorted(folder.iterdir()):
        if p.is_dir() or p.name.startswith("."):
            continue
        m = NAME.match(p.stem)
        if p.suffix.lower() not in IMAGE_SUFFIXES or m is None:
            if p.suffix.lower() in IMAGE_SUFFIXES or p.stem.upper() != "README":
                out.excluded.append(Exclusion("jaffe", p.name, f"{p} is not named <subject>.<code><take>.<id>.tiff, "
                                                               f"so it is not read"))
            continue
        if m.group(2) not in CODES:
            out.excluded.append(Exclusion("jaffe", p.name, f"expression code {m.group(2)!r} is not one of "
                                                           f"{', '.join(CODES)}"))
            continue
        out.samples.append(MacroSample("jaffe", f"jaffe/{m.group(1)}", p.stem, CODES[m.group(2)], str(p)))
    return out
