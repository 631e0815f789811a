"""The one Sample schema every corpus adapter produces, and helpers the adapters share."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...core.errors import CorpusError, one_line_text
from ...core.readers import first_rows, frame_triplet
from ..classsets import ClassSet, get as get_classes

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


@dataclass(frozen=True)
class Sample:
    dataset: str                  # casme2 | samm | smic | casme3 | mmew
    subject: str                  # dataset-qualified: casme2/sub01, samm/006, smic/s01
    clip: str                     # as the corpus names it: EP02_01f, 006_1_2, s01_ne_01
    label: str                    # a class of the class set it was read with (megc2019: negative | positive | surprise)
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

    def __post_init__(self):      # one line each, whatever a cell or file name held
        for name in ("dataset", "clip", "reason"):
            object.__setattr__(self, name, one_line_text(getattr(self, name)))


@dataclass
class Corpus:
    samples: list[Sample] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)

    def extend(self, other: "Corpus") -> "Corpus":
        self.samples += other.samples
        self.excluded += other.excluded
        return self


def first_glob(root: Path, patterns) -> Path | None:
    """The first path (sorted) matching the first pattern that matches anything under root."""
    for pattern in patterns:
        found = sorted(root.glob(pattern))
        if found:
            return found[0]
    return None


def tree_folder(root: Path, names: tuple[str, ...], flag: str) -> Path:
    """The corpus's frame tree: ROOT/NAME or ROOT/*/NAME for the first of `names` found, or one
    sentence saying where to point `flag`."""
    for name in names:
        for cand in (root / name, *root.glob(f"*/{name}")):
            if cand.is_dir():
                return cand
    raise CorpusError(f"{root}: no {names[0]}/ folder inside; point {flag} at the folder that holds it.")


def frame_number(path: Path) -> int:
    m = _LAST_NUMBER.search(path.stem)
    if m is None:
        raise CorpusError(f"{path}: no frame number in the file name; frames must be named like img46.jpg, so "
                          f"move this image out of the clip's folder.")
    return int(m.group(1))


def list_frames(folder: Path) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Image files of a clip folder ordered by the number in their names (never by string order).
    An image without a number (Thumbs.jpg) or two files with one number (img1.jpg, img01.jpg) is
    a CorpusError naming the file: the adapters leave that clip out with the reason."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    numbered = sorted((frame_number(p), str(p)) for p in files)
    for (a, pa), (b, pb) in zip(numbered, numbered[1:]):
        if a == b:
            raise CorpusError(f"{pb}: frame number {b} is also that of {Path(pa).name}; keep one file per frame "
                              f"number in {folder}.")
    return tuple(p for _, p in numbered), tuple(n for n, _ in numbered)


def check_frames(dataset: str, name: str, folder: Path, onset: int, apex: int, offset: int):
    """Frames of a listed clip, or the reason it cannot be used (as a string)."""
    got = read_folder(folder)
    return got if isinstance(got, str) else check_listed(folder, *got, onset, apex, offset)


def read_folder(folder: Path) -> tuple[tuple[str, ...], tuple[int, ...]] | str:
    """list_frames of a folder, or the reason it cannot be read (as a string)."""
    try:
        if not folder.is_dir():
            return f"no folder {folder}"
        return list_frames(folder)
    except CorpusError as e:
        return str(e)
    except OSError as e:   # e.g. a name longer than the file system allows
        return f"{folder}: cannot be read as a folder ({e.strerror})"


def check_listed(folder: Path, frames: tuple[str, ...], numbers: tuple[int, ...], onset: int, apex: int,
                 offset: int):
    """check_frames on a folder listed already (list_frames): a video holding several clips is
    listed once for all of them."""
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


def sheet_labels(dataset: str, rows: pd.DataFrame, sheet: Path, columns: dict, subject_name,
                 classes: ClassSet | str | None = None) -> list[tuple[int, str, str | None, str]]:
    """What a class set makes of each spreadsheet row, reading no frame: [(row number, subject/clip,
    class or None, why it is left out or "")], in the sheet's order. A row is left out when it repeats
    an earlier one (same subject and clip), when the set leaves its value out or does not know it,
    or when the set excludes the clip. `columns` maps subject, clip, emotion (and objective, where
    the sheet has one) to the sheet's column names."""
    classes = get_classes(classes)
    rule = classes.rule(dataset)
    column = columns.get(rule.column)
    if column is None or column not in rows.columns:
        raise CorpusError(f"{sheet}: the class set {classes.name} reads the {rule.column} class of each {dataset} "
                          f"clip, and this sheet has no such column; give the sheet that holds it.")
    names = [f"{subject_name(r[columns['subject']])}/{str(r[columns['clip']]).strip()}" for _, r in rows.iterrows()]
    repeats = first_rows(names, list(rows.index))
    out = []
    for (n, row), name in zip(rows.iterrows(), names):
        label = rule.label(row[column])
        if n in repeats:
            why = (f"row {n} of {sheet.name} repeats row {repeats[n]} (the same subject and clip); row {repeats[n]} "
                   f"is kept, so delete one of them")
        elif label is None:
            why = rule.why_not(row[column], classes.name)
        else:
            why = rule.exclude.get(name, "")
        out.append((n, name, None if why else label, why))
    return out


def samples_from_sheet(dataset: str, rows: pd.DataFrame, sheet: Path, tree: Path, columns: dict,
                       subject_name, fps: float, subject_folders: str, classes: ClassSet | str | None = None) -> Corpus:
    """The Samples of a corpus annotated in a spreadsheet (CASME II, SAMM), labelled by the class set
    `classes` (sheet_labels). `rows` is indexed by the spreadsheet's own row numbers; `columns` maps
    subject, clip, emotion (objective), onset, apex, offset to the sheet's column names;
    `subject_name` turns a Subject cell into the folder name. A row repeated (same subject and clip)
    is left out with the row it repeats, which is kept; a clip folder on disk with no row is listed
    as not read (`subject_folders`: a glob for the subject folders)."""
    out = Corpus()
    labelled = sheet_labels(dataset, rows, sheet, columns, subject_name, classes)
    for n, name, label, why in labelled:
        subject, clip = name.split("/", 1)
        got = why or frame_triplet(rows.loc[n], (columns["onset"], columns["apex"], columns["offset"]),
                                   f"{sheet.name} row {n}")
        if isinstance(got, str):
            out.excluded.append(Exclusion(dataset, name, got))
            continue
        onset, apex, offset = got
        got = check_frames(dataset, name, tree / subject / clip, onset, apex, offset)
        if isinstance(got, str):
            out.excluded.append(Exclusion(dataset, name, got))
            continue
        frames, numbers = got
        out.samples.append(Sample(dataset, f"{dataset}/{subject}", clip, label, onset, apex, offset, fps,
                                  frames, numbers))
    listed = {name for _, name, _, _ in labelled}
    subjects = set(tree.glob(subject_folders))
    for folder in sorted(p for p in tree.iterdir() if p.is_dir() and p not in subjects):
        out.excluded.append(Exclusion(dataset, folder.name, f"the folder {folder} is not a subject folder "
                                                            f"({subject_folders}), so it is not read"))
    for folder in sorted(p for p in tree.glob(f"{subject_folders}/*") if p.is_dir()):
        name = f"{folder.parent.name}/{folder.name}"
        if name not in listed:
            out.excluded.append(Exclusion(dataset, name, f"the folder {folder} has no row in {sheet.name}, so it is "
                                                         f"not read; add its row to use it"))
    return out
