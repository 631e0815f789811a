"""MUG Facial Expression Database (Aifanti et al., "The MUG facial expression database", WIAMIS 2010),
as distributed:

    subjects3/001/happiness/take000/img_0000.jpg, img_0001.jpg, ...

(one folder per subject, per emotion: anger, disgust, fear, happiness, neutral, sadness, surprise;
one folder per take). Layout as read by public MUG loaders. A MUG take follows onset -> apex ->
offset, starting and ending near neutral, so its peak is the middle of the take: `peak_frames`
takes that many frames around the middle."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import CorpusError
from .base import Exclusion
from .macro import BASIC, MacroCorpus, add_sequence, check_peak_frames


def find(root: Path) -> Path:
    for cand in (root / "subjects3", *root.glob("*/subjects3"), root):
        if cand.is_dir() and any(p.is_dir() and p.name.isdigit() for p in cand.iterdir()):
            return cand
    raise CorpusError(f"{root}: no subjects3/<subject>/<emotion>/<take>/ tree inside; point --mug at the folder "
                      f"holding subjects3/.")


def load(root: str | Path, peak_frames: int = 1) -> MacroCorpus:
    base = find(Path(root))
    check_peak_frames(peak_frames)
    out = MacroCorpus()
    for subj in sorted(p for p in base.iterdir() if p.is_dir()):
        if not subj.name.isdigit():
            out.excluded.append(Exclusion("mug", subj.name, f"the folder {subj} is not a subject folder (001, ...), "
                                                            f"so it is not read"))
            continue
        for emo in sorted(p for p in subj.iterdir() if p.is_dir()):
            label = emo.name.lower() if emo.name.lower() in BASIC else None
            for take in sorted(p for p in emo.iterdir() if p.is_dir()):
                name = f"{subj.name}/{emo.name}/{take.name}"
                if label is None:
                    out.excluded.append(Exclusion("mug", name, f"folder {emo.name!r} is not one of MUG's seven "
                                                               f"emotions"))
                    continue
                add_sequence(out, "mug", take, subj.name, f"{emo.name}/{take.name}", label, peak_frames, "middle")
    return out
