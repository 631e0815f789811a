"""The schema the macro-expression corpus adapters share (CK+, Oulu-CASIA, JAFFE, MUG), for
pretraining the spatial stream on the basic emotions (paper section III.C).

A macro sample is one image of a labelled expression: a posed sequence's peak frames (how many is
`peak_frames`, a flag), or a single still (JAFFE). Labels are the six basic emotions and neutral;
anything else (CK+'s contempt) is left out with the reason, as the micro adapters do."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import CorpusError
from .base import IMAGE_SUFFIXES, Exclusion, frame_number

BASIC = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")


@dataclass(frozen=True)
class MacroSample:
    dataset: str        # ckplus | oulu | jaffe | mug
    subject: str        # dataset-qualified: ckplus/S005, oulu/P001, jaffe/KA, mug/001
    sequence: str       # the sequence (or still) it comes from: S005_001, P001_Anger, KA.AN1.39
    label: str          # one of BASIC
    image: str          # the image file

    @property
    def key(self) -> str:   # one image per sample
        return self.image


@dataclass
class MacroCorpus:
    samples: list[MacroSample] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)

    def extend(self, other: "MacroCorpus") -> "MacroCorpus":
        self.samples += other.samples
        self.excluded += other.excluded
        return self


def numbered_images(folder: Path) -> list[tuple[int, Path]]:
    """(frame number, path) of a sequence folder's images in frame order; skips Thumbs.db, hidden
    files and non-images. An image without a number is a CorpusError naming it."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
             and not p.name.startswith(".")]
    return sorted((frame_number(p), p) for p in files)


def peak(frames: list, n: int, where: str = "end") -> list:
    """The n peak frames of a sequence: its last n (neutral -> apex sequences: CK+, Oulu-CASIA) or
    the n around its middle (onset -> apex -> offset sequences: MUG)."""
    n = max(1, min(n, len(frames)))
    if where == "end":
        return frames[-n:]
    start = max(0, (len(frames) - n) // 2)
    return frames[start:start + n]


def add_sequence(out: MacroCorpus, dataset: str, folder: Path, subject: str, sequence: str, label: str,
                 peak_frames: int, where: str = "end") -> None:
    """The peak frames of one sequence folder as samples, or the folder listed with the reason."""
    name = f"{subject}/{sequence}"
    try:
        frames = numbered_images(folder)
    except CorpusError as e:
        out.excluded.append(Exclusion(dataset, name, str(e)))
        return
    if not frames:
        out.excluded.append(Exclusion(dataset, name, f"no image files in {folder}"))
        return
    seq_id = f"{subject}_{sequence.replace('/', '_')}"
    for _, image in peak(frames, peak_frames, where):
        out.samples.append(MacroSample(dataset, f"{dataset}/{subject}", seq_id, label, str(image)))


def check_peak_frames(n: int) -> int:
    if n < 1:
        raise CorpusError(f"--peak-frames {n}: use 1 or more (the last frames of each sequence).")
    return n
