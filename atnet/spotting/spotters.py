"""The spotters, by name: what `atnet methods` lists, `atnet evaluate --task spot --method` and
`atnet spot --spotter` take. A training-free spotter is a SpotConfig setting (spotting/method.py);
the learned one trains leave one subject out in evaluate, and on every video given in
`atnet train --task spot`, which writes its model file."""
from __future__ import annotations

from dataclasses import dataclass

from .learned import NAME as LEARNED


@dataclass(frozen=True)
class Spotter:
    name: str
    description: str
    learned: bool
    cite: str


SPOTTERS = {
    "lbp": Spotter("lbp", "LBP chi-square feature difference, contrast and threshold (the reference; MEGC 2019 "
                   "baseline)", False, "Li et al., IEEE TAC 2018; Moilanen et al., ICPR 2014"),
    "mdmd": Spotter("mdmd", "main directional maximal difference of the optical flow, then as lbp (MEGC 2020/2021 "
                    "baseline)", False, "Wang et al., Neurocomputing 230, 2017"),
    LEARNED: Spotter(LEARNED, "optical-flow block statistics per frame, a temporal convolutional network scoring "
                     "none / micro / macro per frame, intervals where a kind is above 0.5", True,
                     "after SOFTNet, Liong et al., ICIP 2021"),
}


def describe() -> str:
    """The spotters, one line each, for `atnet methods`."""
    lines = ["", "spotters (long videos: `atnet evaluate --task spot --method NAME`, "
             "`atnet spot --spotter NAME|MODEL`)"]
    for s in SPOTTERS.values():
        kind = "learned, model file (atnet train --task spot)" if s.learned else "training-free"
        lines.append(f"  {s.name:<10} {kind}: {s.description} [{s.cite}]")
    return "\n".join(lines)
