"""Spotting micro- and macro-expressions in long videos (MEGC's spotting task), then recognising them.

  atnet/data/datasets/samm_lv.py, casme_sq.py   the long-video corpora as distributed -> LongVideo
  atnet/data/datasets/synthetic_long.py          synthetic long videos in both layouts (`atnet synth --long`)
  spotting/metric.py                             the MEGC metric (IoU >= 0.5, one-to-one, summed over videos)
  spotting/method.py                             the training-free reference method (feature difference)
  spotting/run.py                                spot a video or a corpus, score it, label what was spotted
  spotting/strs.py                               STRS, the spot-then-recognise score (MEGC 2023-2025), two modes
"""
from ..data.long import FPS_RANGE, KINDS, Interval, LongCorpus, LongVideo

__all__ = ["FPS_RANGE", "KINDS", "Interval", "LongCorpus", "LongVideo"]
