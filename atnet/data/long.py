"""Long videos (MEGC's spotting task): one recording, its annotated intervals, a corpus of them.
The long-video adapters (datasets/samm_lv.py, casme_sq.py) make these; spotting/ reads them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("micro", "macro")
FPS_RANGE = (5.0, 10000.0)   # frame rates spotting takes (--fps, or a video's own): under 5 fps a micro-expression
                             # (~0.25 s) is a frame or two


@dataclass(frozen=True)
class Interval:
    onset: int
    offset: int
    kind: str = "micro"            # micro | macro
    apex: int | None = None        # None where the corpus did not annotate it
    score: float = 0.0             # a proposal's peak contrast (ground truth: 0)
    label: str = ""                # negative | positive | surprise where the corpus says (CAS(ME)^2), else ""

    @property
    def length(self) -> int:
        return self.offset - self.onset + 1


@dataclass
class LongVideo:
    """One long recording: its frames (sorted by number) and its ground-truth intervals."""
    dataset: str                   # samm-lv | casme-sq | a name for your own video
    subject: str                   # dataset-qualified, e.g. samm-lv/006
    video: str                     # e.g. 006_1, or s15/15_0101disgustingteeth
    fps: float
    frames: list[Path] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    truth: list[Interval] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.video}"


@dataclass
class LongCorpus:
    videos: list[LongVideo] = field(default_factory=list)
    excluded: list = field(default_factory=list)       # datasets.Exclusion: each row or folder not used, and why

    def counts(self) -> dict:
        """videos, subjects, micro and macro intervals."""
        truth = [t for v in self.videos for t in v.truth]
        return {"videos": len(self.videos), "subjects": len({v.subject for v in self.videos}),
                "micro": sum(t.kind == "micro" for t in truth), "macro": sum(t.kind == "macro" for t in truth)}
