"""Where a result came from, for model files and reports: the versions of the packages that made
it, and a summary of the samples it was trained on. The lowest layer: standard library only."""
from __future__ import annotations

import hashlib
import os

from .classes import CLASSES

VERSIONED = ("atnet", "torch", "numpy", "opencv-contrib-python-headless", "scikit-image", "scikit-learn", "pandas",
             "joblib", "matplotlib", "dlib-bin", "face_recognition_models", "safetensors")


def package_versions() -> dict:
    import platform
    from importlib import metadata
    out = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def corpus_summary(samples: list, classes=CLASSES) -> dict:
    """Counts per corpus and class, and a digest of the sorted sample list (key and label); for
    micro Samples and macro MacroSamples alike."""
    counts: dict = {}
    for s in samples:
        counts.setdefault(s.dataset, {c: 0 for c in classes})[s.label] += 1
    listing = "\n".join(sorted(f"{s.key} {s.label}" for s in samples))
    return {"samples": len(samples), "subjects": len({s.subject for s in samples}), "counts": counts,
            "digest": hashlib.sha256(listing.encode()).hexdigest()}
