"""What was left out, and why: every clip, spreadsheet row or folder not used is listed with its
reason (excluded.csv), and every clip whose face the chosen backend did not find names the
fallback taken."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..core.cache import write_atomic
from .prepare import PrepConfig


def exclusions(items) -> pd.DataFrame:
    return pd.DataFrame([asdict(e) for e in items], columns=["dataset", "clip", "reason"])


FALLBACK = {"manual": "the box file's box", "haar": "OpenCV's Haar cascade",
            "centre-square": "the centred square of the frame (no face found by any backend)"}


def report_fallbacks(kept, prepared, prep: PrepConfig) -> None:
    """Every clip where the chosen backend found no face on the reference frame, with the fallback taken."""
    say_fallbacks([(s.key, p.face) for s, p in zip(kept, prepared)], prep)


def say_fallbacks(served_by, prep: PrepConfig, where: str = "") -> None:
    """(clip, backend that served it) pairs: print those the chosen backend did not serve. `where`
    names the frame and items (default: the reference frame of clips)."""
    fallback = [(key, served) for key, served in served_by if served != prep.face]
    if fallback:
        where = where or f"{prep.reference} frame of {len(fallback)} clip(s)"
        print(f"no face found by {prep.face} on the {where.format(n=len(fallback))}; the fallback taken:")
        for key, served in fallback:
            print(f"  {key}: {FALLBACK.get(served, served)}")


def report_excluded(excluded: pd.DataFrame, out: Path | None) -> None:
    if len(excluded):
        print(f"{len(excluded)} left out (clips, spreadsheet rows or folders), each with the reason:")
        for r in excluded.itertuples():
            print(f"  {r.dataset} {r.clip}: {r.reason}")
    if out is not None:
        write_atomic(out / "excluded.csv", excluded.to_csv(index=False))
