"""Oulu-CASIA NIR&VIS (Zhao et al., "Facial expression recognition from near-infrared videos", Image
and Vision Computing 2011), as distributed:

    OriginalImg/VL/Strong/P001/Anger/000.jpeg, 001.jpeg, ...

(the OriginalImg/ or Cropped/ tree; VL visible or NI near-infrared light; Strong, Weak or Dark
illumination; 80 subjects P001.. in the usual release; six expressions). Layout as read by public
loaders of the VL/Strong set (the subset most papers pretrain on). Each sequence runs from neutral
to the apex, so its last frames are the peak; `peak_frames` takes that many. Windows' Thumbs.db and
other non-image files are skipped."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import CorpusError
from .base import Exclusion
from .macro import MacroCorpus, add_sequence, check_peak_frames

EMOTIONS = {"anger": "anger", "disgust": "disgust", "fear": "fear", "happiness": "happiness",
            "sadness": "sadness", "surprise": "surprise"}


def find(root: Path, modality: str, lighting: str) -> Path:
    for tree in ("OriginalImg", "Cropped"):
        for cand in (root / tree / modality / lighting, *root.glob(f"*/{tree}/{modality}/{lighting}")):
            if cand.is_dir():
                return cand
    raise CorpusError(f"{root}: no OriginalImg/{modality}/{lighting}/ (or Cropped/...) inside; point --oulu at the "
                      f"folder holding OriginalImg/.")


def load(root: str | Path, peak_frames: int = 1, modality: str = "VL", lighting: str = "Strong") -> MacroCorpus:
    base = find(Path(root), modality, lighting)
    check_peak_frames(peak_frames)
    out = MacroCorpus()
    for subj in sorted(p for p in base.iterdir() if p.is_dir()):
        for emo in sorted(p for p in subj.iterdir() if p.is_dir()):
            name = f"{subj.name}/{emo.name}"
            label = EMOTIONS.get(emo.name.lower())
            if label is None:
                out.excluded.append(Exclusion("oulu", name, f"folder {emo.name!r} is not one of Oulu-CASIA's six "
                                                            f"expressions"))
                continue
            add_sequence(out, "oulu", emo, subj.name, emo.name, label, peak_frames, "end")
    return out
