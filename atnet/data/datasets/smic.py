"""SMIC-HS (Li et al. 2013): SMIC/HS/s1/micro/negative/s1_ne_01/image0559740.bmp. Labels come from the
folders; a clip holds onset..offset only, so onset and offset are its first and last frame and
apex = floor((onset + offset) / 2). 100 fps.

Names are normalised before anything is counted: the subject folder s1 and s01 are subject s01, the
clip s1_ne_01 and s01_ne_01 are the clip s01_ne_01. A clip found twice (under s1/ and s01/, or in two
emotion folders) is kept once, the first in sorted path order, and the others are listed. Anything
under HS/ that looks like a clip but is not read (a folder that is not a subject, a clip directly
under micro/, images outside a clip folder, non_micro/) is listed with the reason."""
from __future__ import annotations

import re
from pathlib import Path

from ..classsets import ClassSet, get as get_classes
from .base import IMAGE_SUFFIXES, Corpus, CorpusError, Exclusion, Sample, list_frames

FPS = 100.0
_SUBJECT = re.compile(r"^s(\d+)$", re.I)
EMOTIONS = ("negative", "positive", "surprise")


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


def _images(folder: Path) -> int:
    return sum(1 for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def load(root: str | Path, classes: ClassSet | str | None = None) -> Corpus:
    """SMIC-HS's clips, labelled by the class set `classes` (default megc2019) from their folders."""
    rule = get_classes(classes).rule("smic")
    name_of_set = get_classes(classes).name
    hs = find_hs(Path(root))
    out = Corpus()
    seen: dict[str, Path] = {}     # subject/clip -> the folder kept

    def skip(name: str, reason: str):
        out.excluded.append(Exclusion("smic", name, reason))

    for subj_dir in sorted(p for p in hs.iterdir() if p.is_dir()):
        m = _SUBJECT.match(subj_dir.name)
        if m is None:
            skip(subj_dir.name, f"the folder {subj_dir} is not a subject folder (s1, s01, ...), so it is not read; "
                                f"rename it or move it out of {hs}")
            continue
        subject = f"s{int(m.group(1)):02d}"
        micro = subj_dir / "micro"
        if not micro.is_dir():
            skip(subject, f"no micro/ folder in {subj_dir}")
            continue
        for other in sorted(p for p in subj_dir.iterdir() if p.is_dir() and p.name != "micro"):
            skip(f"{subject}/{other.name}", f"the folder {other} is not read: only micro/ holds the composite's "
                                            f"clips")
        for emo_dir in sorted(p for p in micro.iterdir() if p.is_dir()):
            label = rule.label(emo_dir.name)
            if label is None and emo_dir.name.lower() not in EMOTIONS and _images(emo_dir):
                skip(f"{subject}/{canonical_clip(emo_dir.name)}",
                     f"{emo_dir} holds frames directly under micro/, so its label is unknown; move it into "
                     f"micro/{'|'.join(EMOTIONS)}/")
                continue
            if _images(emo_dir):
                skip(f"{subject}/{emo_dir.name}", f"{_images(emo_dir)} image file(s) lie directly in {emo_dir}, "
                                                  f"outside any clip folder, and are not read; move them into "
                                                  f"their clip's folder")
            for clip_dir in sorted(p for p in emo_dir.iterdir() if p.is_dir()):
                clip = canonical_clip(clip_dir.name)
                name = f"{subject}/{clip}"
                if label is None:
                    skip(name, f"folder {emo_dir.name!r} is not negative/positive/surprise" if emo_dir.name.lower()
                         not in EMOTIONS else rule.why_not(emo_dir.name, name_of_set))
                    continue
                if name in seen:
                    skip(name, f"{clip_dir} is the same clip as {seen[name]} (SMIC names s1_ne_01 and s01_ne_01 "
                               f"alike), which is kept; remove one copy")
                    continue
                try:
                    frames, numbers = list_frames(clip_dir)
                except CorpusError as e:
                    skip(name, str(e))
                    continue
                if not frames:
                    skip(name, f"no image files in {clip_dir}")
                    continue
                if numbers[-1] - numbers[0] + 1 != len(numbers):
                    skip(name, f"{numbers[-1] - numbers[0] + 1 - len(numbers)} frames missing in {clip_dir}")
                    continue
                seen[name] = clip_dir
                onset, offset = numbers[0], numbers[-1]
                out.samples.append(Sample("smic", f"smic/{subject}", clip, label, onset,
                                          (onset + offset) // 2, offset, FPS, frames, numbers))
    return out
