"""SMIC-HS (Li et al. 2013): SMIC/HS/s1/micro/negative/s1_ne_01/image0559740.bmp. Labels come from the
folders; a clip holds onset..offset only, so onset and offset are its first and last frame and
apex = floor((onset + offset) / 2). 100 fps. s1_ne_01 and s01_ne_01 name the same clip."""
from __future__ import annotations

import re
from pathlib import Path

from .base import Corpus, CorpusError, Exclusion, Sample, list_frames, map_label

FPS = 100.0
_SUBJECT = re.compile(r"^s(\d+)$", re.I)


def canonical_clip(name: str) -> str:
    """s1_ne_01 -> s01_ne_01."""
    head, _, rest = name.partition("_")
    m = _SUBJECT.match(head)
    return f"s{int(m.group(1)):02d}_{rest}" if m else name


def find_hs(root: Path) -> Path:
    for cand in (root / "HS", root / "SMIC" / "HS", root):
        if cand.is_dir() and any(_SUBJECT.match(p.name) for p in cand.iterdir() if p.is_dir()):
            return cand
    raise CorpusError(f"{root}: no HS/s1/micro/... tree inside; point --smic at the folder holding HS/.")


def load(root: str | Path) -> Corpus:
    hs = find_hs(Path(root))
    out = Corpus()
    for subj_dir in sorted(p for p in hs.iterdir() if p.is_dir() and _SUBJECT.match(p.name)):
        subject = f"s{int(_SUBJECT.match(subj_dir.name).group(1)):02d}"
        micro = subj_dir / "micro"
        if not micro.is_dir():
            out.excluded.append(Exclusion("smic", subject, f"no micro/ folder in {subj_dir}"))
            continue
        for emo_dir in sorted(p for p in micro.iterdir() if p.is_dir()):
            label = map_label("smic", emo_dir.name)
            for clip_dir in sorted(p for p in emo_dir.iterdir() if p.is_dir()):
                clip = canonical_clip(clip_dir.name)
                if label is None:
                    out.excluded.append(Exclusion("smic", f"{subject}/{clip}",
                                                  f"folder {emo_dir.name!r} is not negative/positive/surprise"))
                    continue
                frames, numbers = list_frames(clip_dir)
                if not frames:
                    out.excluded.append(Exclusion("smic", f"{subject}/{clip}", f"no image files in {clip_dir}"))
                    continue
                if numbers[-1] - numbers[0] + 1 != len(numbers):
                    out.excluded.append(Exclusion(
                        "smic", f"{subject}/{clip}",
                        f"{numbers[-1] - numbers[0] + 1 - len(numbers)} frames missing in {clip_dir}"))
                    continue
                onset, offset = numbers[0], numbers[-1]
                out.samples.append(Sample("smic", f"smic/{subject}", clip, label, onset,
                                          (onset + offset) // 2, offset, FPS, frames, numbers))
    return out
