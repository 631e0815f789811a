"""Ranges of the PrepConfig and TrainConfig settings, kept on the fields themselves, so that the CLI
refuses a bad flag at parse time (argparse names the flag) and a notebook user building a config
by hand gets the same sentence (checked in __post_init__)."""
from __future__ import annotations

import argparse
import math
from dataclasses import field, fields

from .errors import CorpusError


def bounded(default, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False):
    """A dataclass field whose value must lie in [lo, hi] (open ends where asked)."""
    return field(default=default, metadata={"range": (lo, hi, lo_open, hi_open)})


def problem(value, rng) -> str | None:
    """Why `value` is outside rng, or None."""
    lo, hi, lo_open, hi_open = rng
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if lo is not None and (value <= lo if lo_open else value < lo):
        return f"must be {'above' if lo_open else 'at least'} {lo}"
    if hi is not None and (value >= hi if hi_open else value > hi):
        return f"must be {'below' if hi_open else 'at most'} {hi}"
    return None


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_fields(cfg) -> None:
    """Raise one sentence naming the flag of the first field outside its range."""
    for f in fields(cfg):
        rng = f.metadata.get("range")
        why = rng and problem(getattr(cfg, f.name), rng)
        if why:
            raise CorpusError(f"{flag(f.name)} {getattr(cfg, f.name)}: {why}.")


def ranged_type(kind, rng):
    """An argparse type that converts and checks the range (the parser's error names the flag)."""
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}")
        why = problem(value, rng)
        if why:
            raise argparse.ArgumentTypeError(f"{text} {why}")
        return value
    convert.__name__ = kind.__name__
    return convert


def at_least(n: int):
    """An argparse type for whole-number flags such as --jobs and --seeds."""
    return ranged_type(int, (n, None, False, False))


def between(lo, hi, kind=int):
    """An argparse type for a flag in [lo, hi] (the message and --help say the bounds)."""
    return ranged_type(kind, (lo, hi, False, False))
