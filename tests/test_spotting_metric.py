"""The MEGC spotting metric on hand-made intervals."""
from __future__ import annotations

import pytest

from atnet.spotting import Interval
from atnet.spotting.metric import iou, match, score


def I(a, b, kind="micro"):
    return Interval(a, b, kind)


def test_iou_counts_frames_inclusively():
    assert iou(I(1, 10), I(1, 10)) == 1.0
    assert iou(I(1, 10), I(6, 15)) == pytest.approx(5 / 15)
    assert iou(I(1, 5), I(6, 10)) == 0.0          # touching, no shared frame
    assert iou(I(5, 5), I(6, 6)) == 0.0           # (SPOTTING.md's "+1 outside max" would give 1.0 here)


def test_an_iou_of_exactly_one_half_matches():
    truth, prop = I(1, 10), I(6, 20)               # inter 5, union 10 + 15 - 5 = 20: 0.25
    assert iou(truth, prop) == 0.25
    truth, prop = I(1, 10), I(1, 20)               # inter 10, union 20: exactly 0.5
    assert iou(truth, prop) == 0.5
    assert match([truth], [prop]) == [(0, 0, 0.5)]
    assert match([truth], [I(1, 21)]) == []        # 10 / 21 < 0.5
    s = score([([truth], [prop])])
    assert (s["micro"]["tp"], s["micro"]["fp"], s["micro"]["fn"]) == (1, 0, 0)


def test_one_proposal_over_two_truths_matches_one_of_them():
    truths = [I(1, 10), I(11, 20)]
    prop = [I(1, 18)]                              # 10/18 with the first, 8/20 with the second
    assert match(truths, prop) == [(0, 0, pytest.approx(10 / 18))]
    s = score([(truths, prop)])["micro"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 1)
    # two proposals on one truth: one matches, the other is a false positive
    s = score([([I(1, 10)], [I(1, 10), I(2, 10)])])["micro"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 0)
    # the better pairing wins: the second truth fits the proposal best
    assert match([I(1, 12), I(3, 10)], [I(3, 10)]) == [(1, 0, 1.0)]


def test_counts_are_summed_over_videos_then_scored_and_kinds_pooled_for_overall():
    videos = [([I(1, 10), I(100, 200, "macro")], [I(1, 10), I(300, 400, "macro")]),   # micro TP; macro FP + FN
              ([], [I(5, 9)]),                                                       # an empty video: one FP
              ([I(50, 60)], [])]                                                     # one FN
    s = score(videos)
    assert {k: (s[k]["tp"], s[k]["fp"], s[k]["fn"]) for k in s} == \
        {"micro": (1, 1, 1), "macro": (0, 1, 1), "overall": (1, 2, 2)}
    assert s["micro"]["f1"] == pytest.approx(0.5)
    assert s["overall"]["precision"] == pytest.approx(1 / 3) and s["overall"]["f1"] == pytest.approx(1 / 3)
    assert s["macro"]["f1"] == 0.0
    empty = score([([], [])])
    assert empty["overall"] == {"tp": 0, "fp": 0, "fn": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    # a proposal of the wrong kind matches nothing
    s = score([([I(1, 10)], [I(1, 10, "macro")])])
    assert (s["micro"]["fn"], s["macro"]["fp"], s["overall"]["tp"]) == (1, 1, 0)
