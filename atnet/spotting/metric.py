"""The MEGC spotting metric (MEGC 2020 onwards; the 2019 rule is the same with k = 0.5).

A proposal W matches a ground-truth interval G when IoU >= 0.5, frames counted inclusively:
    inter = max(0, min(e_W, e_G) - max(s_W, s_G) + 1),   union = len_W + len_G - inter.
Matching is one-to-one within a video: pairs are taken in order of decreasing IoU (ties: earlier
truth, then earlier proposal), each truth and proposal used once; unmatched truths are false
negatives, unmatched proposals false positives. TP, FP and FN are summed over every video first;
precision, recall and F1 = 2PR / (P + R) are computed once on the sums. Micro and macro are scored
separately (a proposal counts for the kind it claims, against truths of that kind), and "overall"
pools the two kinds' counts.

(SPOTTING.md writes `inter = max(0, min(e) - max(s)) + 1`, which gives 1 for disjoint intervals
that touch nothing; the inclusive count used here is 0 for them and equal otherwise.)"""
from __future__ import annotations

from collections.abc import Iterable

from . import KINDS, Interval

THRESHOLD = 0.5


def iou(a: Interval, b: Interval) -> float:
    inter = max(0, min(a.offset, b.offset) - max(a.onset, b.onset) + 1)
    union = a.length + b.length - inter
    return inter / union if union > 0 else 0.0


def match(truth: list[Interval], proposals: list[Interval], threshold: float = THRESHOLD
          ) -> list[tuple[int, int, float]]:
    """One-to-one matches [(truth index, proposal index, IoU)] with IoU >= threshold."""
    pairs = sorted(((iou(t, p), i, j) for i, t in enumerate(truth) for j, p in enumerate(proposals)
                    if iou(t, p) >= threshold), key=lambda x: (-x[0], x[1], x[2]))
    used_t, used_p, out = set(), set(), []
    for v, i, j in pairs:
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            out.append((i, j, v))
    return sorted(out)


def match_by_kind(truth: list[Interval], proposals: list[Interval], threshold: float = THRESHOLD
                  ) -> list[tuple[int, int]]:
    """match() within each kind (a proposal against the truths of the kind it claims), as
    (truth index, proposal index) into the lists given."""
    out = []
    for kind in KINDS:
        ti = [i for i, t in enumerate(truth) if t.kind == kind]
        pi = [j for j, p in enumerate(proposals) if p.kind == kind]
        out += [(ti[a], pi[b]) for a, b, _ in match([truth[i] for i in ti], [proposals[j] for j in pi], threshold)]
    return out


def counts(truth: list[Interval], proposals: list[Interval], kind: str) -> dict[str, int]:
    """TP, FP, FN of one video for one kind."""
    t = [x for x in truth if x.kind == kind]
    p = [x for x in proposals if x.kind == kind]
    tp = len(match(t, p))
    return {"tp": tp, "fp": len(p) - tp, "fn": len(t) - tp}


def prf(c: dict[str, int]) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score(videos: Iterable[tuple[list[Interval], list[Interval]]]) -> dict[str, dict]:
    """(truth, proposals) per video -> {"micro"|"macro"|"overall": tp, fp, fn, precision, recall, f1}."""
    total = {k: {"tp": 0, "fp": 0, "fn": 0} for k in KINDS}
    for truth, proposals in videos:
        for kind in KINDS:
            for name, v in counts(truth, proposals, kind).items():
                total[kind][name] += v
    total["overall"] = {n: sum(total[k][n] for k in KINDS) for n in ("tp", "fp", "fn")}
    return {k: {**c, **prf(c)} for k, c in total.items()}
