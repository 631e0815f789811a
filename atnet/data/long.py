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


def truth_interval(onset: int, apex: int | None, offset: int, first: int, last: int
                   ) -> tuple[int, int | None, int, str] | str:
    """(onset, apex or None, offset, what was changed or "") of an annotated row of a video whose frames
    run from `first` to `last`, or why the row makes no interval, as SAMM-LV and CAS(ME)^2 mark
    things: onset 0 is the first frame (SAMM-LV V2's macro-expressions running from the start); an
    offset of 0 or less was not annotated, and the apex ends the interval (MEGC's loaders, for
    CAS(ME)^2's 44 such rows); an apex of 0 or less was not annotated (SAMM-LV's -1); an apex
    outside the interval is taken as not annotated, the interval kept, since onset and offset are
    what is scored (3 CAS(ME)^2 rows, a few frames past the offset)."""
    if onset < 0:
        return f"onset {onset} is not a frame number (0 is the first frame); fix the row to use it"
    apex = apex if apex is not None and apex > 0 else None
    note = ""
    if offset <= 0:
        if apex is None:
            return f"offset {offset} and the apex are not annotated, so the row makes no interval; fix the row"
        offset, note = apex, f"offset {offset} is not annotated: the apex {apex} ends the interval"
    onset = max(onset, first)
    if offset < onset:
        return f"offset {offset} is before onset {onset}; fix the row to use it"
    if offset > last:
        return f"offset {offset} is past the video's last frame {last}"
    if apex is not None and not onset <= apex <= offset:
        apex, note = None, f"apex {apex} lies outside onset {onset} to offset {offset}: taken as not annotated"
    return onset, apex, offset, note


@dataclass
class LongCorpus:
    videos: list[LongVideo] = field(default_factory=list)
    excluded: list = field(default_factory=list)       # datasets.Exclusion: each row or folder not used, and why
    notes: list = field(default_factory=list)          # str: each row used with a change, and what was changed

    def counts(self) -> dict:
        """videos, subjects, micro and macro intervals."""
        truth = [t for v in self.videos for t in v.truth]
        return {"videos": len(self.videos), "subjects": len({v.subject for v in self.videos}),
                "micro": sum(t.kind == "micro" for t in truth), "macro": sum(t.kind == "macro" for t in truth)}
