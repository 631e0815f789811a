"""The learned spotter `flow-tcn`: optical-flow block statistics per frame, a temporal convolutional
network that scores every frame as none / micro / macro, and intervals where a kind's score is the
larger half.

After SOFTNet's recipe (G. B. Liong, J. See and C. S. Chan, "Shallow optical flow three-stream CNN
for macro- and micro-expression spotting from long videos", ICIP 2021): optical flow between frames
a fixed time apart, a shallow network regressing a per-frame expression score from the annotated
intervals, the score cut into intervals. Where atnet differs, and why:
- features: per block of a 6 x 6 grid of the tracked face crop, the mean u, mean v and mean magnitude
  of the flow from the frame 0.2 s and 1.0 s before (DIS; the flow's affine part, head motion,
  removed), every n-th frame so that the network reads about `tcn_rate` = 30 frames a second whatever
  the camera's rate (SAMM-LV's 200 fps costs what CAS(ME)^2's 30 do). Each feature is scaled per
  video by its median and median absolute deviation: the video's own noise floor, which differs
  between cameras and sessions, becomes 1.
- network: a 1 x 1 convolution, six residual dilated convolutions (dilation 1 to 32, receptive
  field 127 samples, about 4 s: a macro-expression's onset, hold and offset in one view), a 1 x 1
  convolution to three classes per frame (SOFTNet regresses one score per frame with a 2D CNN on one
  flow image; a per-frame 3-class output lets one network spot both kinds and tell them apart).
- training: cross-entropy per frame with class weights (inverse square root of frequency), random
  20 s windows, Adam, a fixed number of steps (tcn_steps): nothing is chosen on held-out videos.
- intervals: each run of frames whose micro (macro) probability is above 0.5, gaps under 0.1 s
  (0.3 s) closed (intervals.run_intervals); variable length by construction.
Blinks are not masked: the eye blocks are features, and blinks, never annotated, are learned as
"none"."""
from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..core.cache import NpzCache, file_stamp, make_key
from ..core.errors import CorpusError
from ..core.readers import one_line
from ..features.flow import flow
from ..features.spot_features import block_flow_stats, remove_global_motion
from . import KINDS, Interval, LongVideo
from .frames import check_spottable, each_video, tracked_crops
from .intervals import run_intervals
from .method import SpotConfig

NAME = "flow-tcn"
FORMAT = "atnet-spotter"
VERSION = 1
FEATURE_FIELDS = ("crop", "blocks", "denoise", "redetect_s", "move", "tcn_rate", "tcn_lags")   # what features depend on
GAP_S = {"micro": 0.1, "macro": 0.3}


def lags(cfg: SpotConfig) -> list[float]:
    try:
        out = [float(x) for x in cfg.tcn_lags.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or not all(0 < x <= 10 for x in out):
        raise CorpusError(f"--tcn-lags {cfg.tcn_lags}: give seconds above 0 and at most 10, comma-separated "
                          f"(e.g. 0.2,1.0).")
    return out


def step_of(fps: float, cfg: SpotConfig) -> int:
    """Read every n-th frame: about cfg.tcn_rate frames a second."""
    return max(1, round(fps / cfg.tcn_rate))


def crop_features(crops, fps: float, cfg: SpotConfig) -> tuple[np.ndarray, list[int]]:
    """(T, len(lags) x 3 x blocks²) float32 raw features of every step-th frame, and those frames'
    indices. A flow that spans a change of crop is NaN (see normalise)."""
    step = step_of(fps, cfg)
    rate = fps / step
    lag = [max(1, round(s * rate)) for s in lags(cfg)]
    d = 3 * cfg.blocks ** 2
    held: deque = deque(maxlen=max(lag) + 1)
    cuts: deque = deque(maxlen=max(lag) + 1)
    rows, index, cut_since = [], [], False
    for i, (c, cut) in enumerate(crops):
        cut_since = cut_since or cut
        if i % step:
            continue
        held.append(c)
        cuts.append(cut_since)
        cut_since = False
        row = []
        for g in lag:
            if len(held) <= g or any(list(cuts)[-g:]):
                row.append(np.full(d, np.nan, np.float32))
            else:
                row.append(block_flow_stats(remove_global_motion(flow(held[-1 - g], held[-1])), cfg.blocks))
        rows.append(np.concatenate(row))
        index.append(i)
    return (np.stack(rows) if rows else np.zeros((0, len(lag) * d), np.float32)), index


def normalise(x: np.ndarray) -> np.ndarray:
    """Each feature less its median over the video, over its median absolute deviation (the video's
    noise floor becomes 1); clipped to +-20; NaN (no flow) -> 0."""
    if not len(x):
        return x
    med = np.nanmedian(x, 0)
    mad = np.nanmedian(np.abs(x - med), 0) * 1.4826
    med, mad = np.nan_to_num(med), np.nan_to_num(mad)
    z = (x - med) / (mad + 1e-4)
    return np.nan_to_num(np.clip(z, -20, 20), nan=0.0).astype(np.float32)


def labels_of(numbers: list[int], truth: list[Interval]) -> np.ndarray:
    """Per frame number: 0 none, 1 micro, 2 macro (the annotated intervals, inclusive)."""
    n = np.asarray(numbers)
    y = np.zeros(len(n), np.int64)
    for t in truth:
        y[(n >= t.onset) & (n <= t.offset)] = 1 + KINDS.index(t.kind)
    return y


def network(d: int, hidden: int):
    import torch
    from torch import nn

    class TCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.inp = nn.Conv1d(d, hidden, 1)
            self.convs = nn.ModuleList(nn.Conv1d(hidden, hidden, 3, padding=r, dilation=r)
                                       for r in (1, 2, 4, 8, 16, 32))
            self.out = nn.Conv1d(hidden, 3, 1)

        def forward(self, x):            # (B, d, T) -> (B, 3, T)
            h = torch.relu(self.inp(self.drop(x)))
            for c in self.convs:
                h = h + torch.relu(c(h))
            return self.out(h)

    return TCN()


@dataclass
class Fitted:
    net: object            # the TCN, in eval mode
    cfg: SpotConfig
    d: int
    trained_on: list       # video keys


def fit(series: list[tuple[np.ndarray, np.ndarray]], cfg: SpotConfig, trained_on: list | None = None) -> Fitted:
    """Train on (normalised features (T, d), labels (T,)) of each training video."""
    import torch
    series = [(x, y) for x, y in series if len(x)]
    if not series:
        raise CorpusError("the learned spotter has no training video with frames; give long videos with annotations.")
    d = series[0][0].shape[1]
    torch.manual_seed(cfg.tcn_seed)
    rng = np.random.default_rng(cfg.tcn_seed)
    net = network(d, cfg.tcn_hidden)
    counts = np.bincount(np.concatenate([y for _, y in series]), minlength=3).astype(float)
    w = np.where(counts > 0, np.sqrt(counts.sum() / np.maximum(counts, 1) / 3), 0.0)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(w / w[w > 0].mean(), dtype=torch.float32),
                                        reduction="none")
    opt = torch.optim.Adam(net.parameters(), lr=cfg.tcn_lr, weight_decay=1e-4)
    window = max(8, round(20 * cfg.tcn_rate))
    lengths = np.array([len(x) for x, _ in series], float)
    net.train()
    for _ in range(cfg.tcn_steps):
        xb = np.zeros((8, d, window), np.float32)
        yb = np.zeros((8, window), np.int64)
        mb = np.zeros((8, window), np.float32)
        for b, v in enumerate(rng.choice(len(series), 8, p=lengths / lengths.sum())):
            x, y = series[v]
            start = int(rng.integers(0, max(1, len(x) - window + 1)))
            part = slice(start, start + window)
            n = len(x[part])
            xb[b, :, :n], yb[b, :n], mb[b, :n] = x[part].T, y[part], 1
        out = net(torch.from_numpy(xb))
        loss = (loss_fn(out, torch.from_numpy(yb)) * torch.from_numpy(mb)).sum() / max(mb.sum(), 1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return Fitted(net, cfg, d, list(trained_on or []))


def probabilities(fitted: Fitted, x: np.ndarray) -> np.ndarray:
    """(T, d) normalised features -> (T, 3) probabilities of none, micro, macro."""
    import torch
    if not len(x):
        return np.zeros((0, 3), np.float32)
    if x.shape[1] != fitted.d:
        raise CorpusError(f"the spotter reads {fitted.d} features per frame, these frames give {x.shape[1]}; "
                          f"spot with the settings it was trained with.")
    with torch.no_grad():
        return torch.softmax(fitted.net(torch.from_numpy(x.T[None].copy())), 1)[0].T.numpy()


def decode(p: np.ndarray, numbers: list[int], index: list[int], step: int, rate: float) -> list[Interval]:
    """Intervals of each kind where its probability is above 0.5 (frame numbers; each read frame
    stands for the `step` frames from it on)."""
    read = [numbers[i] for i in index]
    out = []
    for j, kind in enumerate(KINDS, 1):
        for q in run_intervals(p[:, j], 0.5, kind, read, gap=round(GAP_S[kind] * rate)):
            last = min(index[read.index(q.offset)] + step - 1, len(numbers) - 1)
            out.append(replace(q, offset=numbers[last]))
    return sorted(out, key=lambda x: (x.onset, x.kind))


def curves(p: np.ndarray, index: list[int], n: int) -> dict:
    """Each kind's probability at every frame (linear between read frames), as the timelines draw."""
    return {kind: {"contrast": np.interp(np.arange(n), index, p[:, j]) if len(index) else np.zeros(n),
                   "threshold": 0.5, "k": 0} for j, kind in enumerate(KINDS, 1)}


def spot_crops(crops, fps: float, fitted: Fitted, info: dict) -> tuple[list[Interval], dict]:
    """Proposals of one video from its tracked crops (frames.tracked_crops, which fills `info`)."""
    x, index = crop_features(crops, fps, fitted.cfg)
    p = probabilities(fitted, normalise(x))
    numbers, step = info["numbers"], step_of(fps, fitted.cfg)
    return decode(p, numbers, index, step, fps / step), curves(p, index, len(numbers))


def features_key(video: LongVideo, cfg: SpotConfig, prep) -> str:
    frames = sorted({str(f) for f in video.frames})
    return make_key({"what": "spot-features", "version": VERSION, "frames": [file_stamp(f) for f in frames],
                     "numbers": [video.numbers[0], video.numbers[-1], len(video.numbers)] if video.numbers else [],
                     "fps": video.fps, "spot": {f: getattr(cfg, f) for f in FEATURE_FIELDS},
                     "face": [prep.face, prep.margin, prep.align]})


def video_features(video: LongVideo, cfg: SpotConfig, prep, cache: str | Path | None = None) -> dict:
    """A video's raw features (crop_features) with what spotting reports: {"x", "index", "numbers",
    "face", "recrops", "seconds"}; kept in `cache` (one .npz per video and settings, written
    atomically, so an interrupted run resumes). A video no spotter can read is refused first, as the
    training-free spotters refuse it (frames.check_spottable)."""
    check_spottable(video, cfg)
    store = NpzCache(Path(cache) / "spot-features") if cache else None
    key = features_key(video, cfg, prep) if store else ""
    hit = store.get(key) if store else None
    if hit is not None:
        meta = json.loads(str(hit["meta"]))
        return {"x": hit["x"], "index": hit["index"].tolist(), "numbers": hit["numbers"].tolist(), **meta}
    t0 = time.perf_counter()
    info: dict = {}
    x, index = crop_features(tracked_crops(video, replace(cfg, eyes="keep"), prep, info), video.fps, cfg)
    meta = {"face": info["face"], "recrops": info["recrops"], "seconds": time.perf_counter() - t0}
    if store:
        store.put(key, {"x": x, "index": np.asarray(index, np.int64), "numbers": np.asarray(info["numbers"], np.int64),
                        "meta": np.array(json.dumps(meta))})
    return {"x": x, "index": index, "numbers": info["numbers"], **meta}


def result_of(video: LongVideo, feats: dict, fitted: Fitted) -> dict:
    """A spotting result (as run.spot_video gives) from a video's features and a fitted spotter."""
    t0 = time.perf_counter()
    p = probabilities(fitted, normalise(feats["x"]))
    step = step_of(video.fps, fitted.cfg)
    numbers = feats["numbers"]
    return {"video": video, "proposals": decode(p, numbers, feats["index"], step, video.fps / step),
            "trace": curves(p, feats["index"], len(numbers)), "numbers": numbers, "face": feats["face"],
            "recrops": feats["recrops"], "blinks": [], "seconds": feats["seconds"] + time.perf_counter() - t0}


def training_series(videos: list[LongVideo], feats: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(normalise(f["x"]), labels_of([f["numbers"][i] for i in f["index"]], v.truth))
            for v, f in zip(videos, feats)]


def _fold(subject: str, videos: list[LongVideo], feats: list[dict], cfg: SpotConfig) -> list[dict]:
    import torch
    torch.set_num_threads(1)
    train = [i for i, v in enumerate(videos) if v.subject != subject]
    fitted = fit(training_series([videos[i] for i in train], [feats[i] for i in train]), cfg,
                 [videos[i].key for i in train])
    return [result_of(v, f, fitted) for v, f in zip(videos, feats) if v.subject == subject]


def all_features(videos: list[LongVideo], cfg: SpotConfig, prep, jobs: int = 1, cache=None, progress: bool = True):
    """Every video's features (one process per video); a video that fails is listed with the reason.
    Returns (the videos kept, their features, the videos left out)."""
    lags(cfg)
    done, failed = each_video(video_features, videos, (cfg, prep, cache), jobs, "spot features", progress)
    return [v for v, _ in done], [f for _, f in done], failed


def spot_loso(videos: list[LongVideo], cfg: SpotConfig, prep, jobs: int = 1, cache=None, progress: bool = True
              ) -> tuple[list[dict], list]:
    """Leave one subject out: each subject's videos spotted by a spotter trained on the other
    subjects' videos only. Returns (results as run.spot_all gives them, videos left out)."""
    from ..core import parallel
    kept, feats, failed = all_features(videos, cfg, prep, jobs, cache, progress)
    subjects = sorted({v.subject for v in kept})
    if len(subjects) < 2:
        raise CorpusError(f"leave one subject out needs videos of 2 or more subjects; these have "
                          f"{len(subjects)}. Give more videos, or train with `atnet train --task spot` and spot "
                          f"with --spotter MODEL.")
    out = []
    for part in parallel.run(_fold, ((s, kept, feats, cfg) for s in subjects), jobs):
        out += part
    order = {v.key: i for i, v in enumerate(kept)}
    return sorted(out, key=lambda r: order[r["video"].key]), failed


def train(videos: list[LongVideo], cfg: SpotConfig, prep, jobs: int = 1, cache=None, progress: bool = True
          ) -> tuple[Fitted, list]:
    """A spotter trained on every video given (for `atnet spot --spotter MODEL`)."""
    kept, feats, failed = all_features(videos, cfg, prep, jobs, cache, progress)
    return fit(training_series(kept, feats), cfg, [v.key for v in kept]), failed


def save(fitted: Fitted, path: str | Path) -> None:
    """A safetensors file: the network's tensors and a JSON header (format, spotter, settings, videos)."""
    from safetensors.torch import save_file

    from ..core.cache import atomic
    meta = {"format": FORMAT, "version": VERSION, "spotter": NAME, "d": fitted.d, "spot": asdict(fitted.cfg),
            "trained_on": fitted.trained_on}
    with atomic(Path(path)) as tmp:
        save_file({k: v.contiguous() for k, v in fitted.net.state_dict().items()}, str(tmp),
                  metadata={FORMAT: json.dumps(meta)})


def describe(fitted: Fitted) -> str:
    """What `atnet info` says of a spotter file."""
    c = fitted.cfg
    return (f"spotter {NAME}: {fitted.d} features per frame (flows {c.tcn_lags} s back, {c.blocks} x {c.blocks} "
            f"blocks, crop {c.crop} px, denoise {c.denoise:g}), read at about {c.tcn_rate:g} frames/s; "
            f"{c.tcn_hidden} channels, {c.tcn_steps} steps, seed {c.tcn_seed}; trained on "
            f"{len(fitted.trained_on)} video(s): {', '.join(fitted.trained_on[:6])}"
            + (" ..." if len(fitted.trained_on) > 6 else ""))


def is_spotter_file(path: str | Path) -> bool:
    """Whether `path` is a spotter file (safetensors whose header says so)."""
    try:
        from safetensors import safe_open
        with safe_open(str(path), "pt") as f:
            return json.loads((f.metadata() or {}).get(FORMAT, "{}")).get("format") == FORMAT
    except Exception:
        return False


DAMAGED = "the file is damaged or was written by another atnet; train it again with `atnet train --task spot`"


def header_model():
    """The header a spotter file must hold: every field's type and range (SpotConfig's, as a model
    file's settings are checked), no other key."""
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    from ..methods.modelfile import schema

    class Header(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
        format: Literal[FORMAT]
        version: int = Field(ge=1, le=VERSION)
        spotter: Literal[NAME]
        d: int = Field(ge=1)
        spot: schema(SpotConfig)
        trained_on: list[str]
    return Header


def read_header(path: Path) -> tuple[SpotConfig, int, list, dict]:
    """(settings, features per frame, videos trained on, {tensor: shape}) of a spotter file, from its
    header alone (safe_open reads no tensor data): each field checked against its type and range, d
    against the features its settings make; nothing is built."""
    from pydantic import ValidationError
    from safetensors import safe_open

    from ..methods.modelfile import field_problem
    try:
        with safe_open(str(path), "pt") as f:
            raw = (f.metadata() or {}).get(FORMAT, "{}")
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except Exception as e:   # safetensors raises its own error kinds on bad bytes
        raise CorpusError(f"{path}: not a readable safetensors file ({one_line(e)}); pass a spotter file from "
                          f"`atnet train --task spot`.") from None
    try:
        meta = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise CorpusError(f"{path}: its {FORMAT} metadata is not JSON ({one_line(e, 120)}); {DAMAGED}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CorpusError(f"{path}: not a spotter file (its header does not say {FORMAT}); a recognition model "
                          f"goes to --model, a spotter from `atnet train --task spot` to --spotter.")
    try:
        meta = header_model().model_validate(meta).model_dump()
    except ValidationError as e:
        raise CorpusError(field_problem(path, e, fix=DAMAGED)) from None
    try:
        cfg = SpotConfig(**meta["spot"])
        d = len(lags(cfg)) * 3 * cfg.blocks ** 2
    except CorpusError as e:   # choices and settings together, said as flags: here they are the header's
        raise CorpusError(f"{path}: the header's settings are refused ({str(e).rstrip('.')}); {DAMAGED}.") from None
    if meta["d"] != d:
        raise CorpusError(f"{path}: header field d is {meta['d']}, and its settings (spot.blocks {cfg.blocks}, "
                          f"spot.tcn_lags {cfg.tcn_lags}) make {d} features per frame; {DAMAGED}.")
    return cfg, d, meta["trained_on"], shapes


def load(path: str | Path) -> Fitted:
    """A spotter file: its header checked, then its tensors' shapes (from the header) against the
    network its settings make, built without storage (models.misfit, as for model files), before any
    weight is read or network allocated."""
    from safetensors.torch import load_file

    from ..models import misfit, refuse_nonfinite
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: not found; pass a spotter file from `atnet train --task spot`.")
    cfg, d, trained_on, shapes = read_header(path)
    try:
        why = misfit(lambda: network(d, cfg.tcn_hidden), shapes)
    except ValueError as e:
        why = str(e)
    if why:
        raise CorpusError(f"{path}: its weights do not fit a {NAME} spotter of its header's settings ({why}); "
                          f"{DAMAGED}.")
    try:
        tensors = load_file(str(path))
    except Exception as e:
        raise CorpusError(f"{path}: the weights cannot be read ({one_line(e)}); {DAMAGED}.") from None
    refuse_nonfinite(tensors, path, f"the training diverged or {DAMAGED}")
    net = network(d, cfg.tcn_hidden)
    net.load_state_dict(tensors)
    net.eval()
    return Fitted(net, cfg, d, list(trained_on))
