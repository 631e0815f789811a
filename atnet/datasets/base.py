"""The one Sample schema every corpus adapter produces, and helpers the adapters share."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


class CorpusError(ValueError):
    """A user-fixable problem with a corpus on disk; the message names the file and the fix."""


@dataclass(frozen=True)
class Sample:
    dataset: str                  # casme2 | samm | smic
    subject: str                  # dataset-qualified: casme2/sub01, samm/006, smic/s01
    clip: str                     # as the corpus names it: EP02_01f, 006_1_2, s01_ne_01
    label: str                    # negative | positive | surprise
    onset: int                    # frame numbers as the corpus numbers its files
    apex: int
    offset: int
    fps: float
    frames: tuple[str, ...] = field(repr=False)          # image paths ordered by frame number
    frame_numbers: tuple[int, ...] = field(repr=False)   # the number in each file name

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.subject.split('/', 1)[1]}/{self.clip}"


@dataclass(frozen=True)
class Exclusion:
    dataset: str
    clip: str                     # subject/clip as the corpus writes it
    reason: str


@dataclass
class Corpus:
    samples: list[Sample] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)

    def extend(self, other: "Corpus") -> "Corpus":
        self.samples += other.samples
        self.excluded += other.excluded
        return self


@lru_cache(maxsize=None)
def label_maps() -> dict:
    """MEGC 2019 label maps (data, not code): atnet/datasets/label_maps.json."""
    return json.loads(resources.files("atnet.datasets").joinpath("label_maps.json").read_text())


def map_label(dataset: str, emotion: str) -> str | None:
    """The composite label for a corpus emotion, or None when the composite leaves it out."""
    return label_maps()[dataset]["map"].get(str(emotion).strip().lower())


def frame_number(path: Path) -> int:
    m = _LAST_NUMBER.search(path.stem)
    if m is None:
        raise CorpusError(f"{path}: no frame number in the file name; frames must be named like img46.jpg.")
    return int(m.group(1))


def list_frames(folder: Path) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Image files of a clip folder ordered by the number in their names (never by string order)."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    numbered = sorted((frame_number(p), str(p)) for p in files)
    return tuple(p for _, p in numbered), tuple(n for n, _ in numbered)


def check_frames(dataset: str, name: str, folder: Path, onset: int, apex: int, offset: int):
    """Frames of a listed clip, or the reason it cannot be used (as a string)."""
    if not folder.is_dir():
        return f"no folder {folder}"
    frames, numbers = list_frames(folder)
    if not frames:
        return f"no image files in {folder}"
    if not (onset <= apex <= offset):
        return f"onset {onset}, apex {apex}, offset {offset} are not in order"
    have = set(numbers)
    for what, n in (("apex", apex), ("onset", onset), ("offset", offset)):
        if not numbers[0] <= n <= numbers[-1]:
            return (f"{what} frame {n} is outside the frames {numbers[0]}..{numbers[-1]} in {folder}; "
                    f"correct the spreadsheet row or restore the frames")
    if apex not in have:
        return f"apex frame {apex} is missing from {folder}"
    missing = [n for n in range(max(onset, numbers[0]), min(offset, numbers[-1]) + 1) if n not in have]
    if missing:
        return f"{len(missing)} frames missing between onset and offset in {folder} (first: {missing[0]})"
    return frames, numbers


def to_frame(samples: list[Sample]) -> pd.DataFrame:
    """The Sample table: one row per sample (frames as a count)."""
    cols = ["dataset", "subject", "clip", "label", "onset", "apex", "offset", "fps", "n_frames"]
    return pd.DataFrame([[s.dataset, s.subject, s.clip, s.label, s.onset, s.apex, s.offset, s.fps,
                          len(s.frames)] for s in samples], columns=cols)
