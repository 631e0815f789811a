"""CK+ (Lucey et al., "The Extended Cohn-Kanade Dataset (CK+)", CVPR Workshops 2010), as distributed:

    cohn-kanade-images/S005/001/S005_001_00000001.png ... S005_001_00000011.png
    Emotion/S005/001/S005_001_00000011_emotion.txt      one float, e.g. "   3.0000000e+00"

Layout as read by public loaders (Open-Debin/Emotion-FAN data/frame/readme.md: the
cohn-kanade-images/S005 ... tree; ymitiku/Ck-dataset-preprocess: the Emotion folder beside it, the
last frames of a sequence as its labelled peak). Codes: 0 neutral, 1 anger, 2 contempt, 3 disgust,
4 fear, 5 happy, 6 sadness, 7 surprise. Only 327 of the 593 sequences have an emotion file; the
labelled frame is the sequence's peak (its last frame), and `peak_frames` takes that many frames
ending there. Contempt is not a basic emotion here and is left out with the reason."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import CorpusError
from ...core.readers import whole_number
from .base import Exclusion
from .macro import MacroCorpus, MacroSample, check_peak_frames, numbered_images, peak

CODES = {0: "neutral", 1: "anger", 2: "contempt", 3: "disgust", 4: "fear", 5: "happiness", 6: "sadness",
         7: "surprise"}


def find(root: Path, name: str) -> Path:
    for cand in (root / name, *root.glob(f"*/{name}")):
        if cand.is_dir():
            return cand
    raise CorpusError(f"{root}: no {name}/ inside; point --ckplus at the folder holding cohn-kanade-images/ and "
                      f"Emotion/.")


def load(root: str | Path, peak_frames: int = 1) -> MacroCorpus:
    root = Path(root)
    images, emotions = find(root, "cohn-kanade-images"), find(root, "Emotion")
    check_peak_frames(peak_frames)
    out = MacroCorpus()
    for subj in sorted(p for p in images.iterdir() if p.is_dir()):
        for seq in sorted(p for p in subj.iterdir() if p.is_dir()):
            name = f"{subj.name}/{seq.name}"

            def skip(reason: str):
                out.excluded.append(Exclusion("ckplus", name, reason))

            labels = sorted((emotions / subj.name / seq.name).glob("*_emotion.txt"))
            if not labels:
                skip(f"no emotion file in {emotions / subj.name / seq.name} (CK+ labels 327 of its 593 sequences)")
                continue
            try:
                text = labels[-1].read_text().strip()
            except (OSError, UnicodeDecodeError) as e:
                skip(f"{labels[-1]}: cannot be read ({e}); restore the file")
                continue
            code = whole_number(text)
            if code not in CODES:
                skip(f"{labels[-1]}: {text[:40]!r} is not an emotion code 0-7; restore the file")
                continue
            if CODES[code] == "contempt":
                skip("emotion contempt (code 2) is not one of the basic emotions used for pretraining")
                continue
            try:
                frames = numbered_images(seq)
            except CorpusError as e:
                skip(str(e))
                continue
            labelled = whole_number(labels[-1].name.split("_")[-2])
            frames = [f for f in frames if labelled is None or f[0] <= labelled]
            if not frames:
                skip(f"no image frames up to the labelled frame in {seq}")
                continue
            for _, image in peak(frames, peak_frames, "end"):
                out.samples.append(MacroSample("ckplus", f"ckplus/{subj.name}", f"{subj.name}_{seq.name}",
                                               CODES[code], str(image)))
    return out
