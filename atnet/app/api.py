"""The Python API for new footage: train one model on every clip given, save it as a model file,
load it, and label clips (frame folders, videos, or whole corpora), spotting the apex where it is
not given. The CLI's `train`, `info`, `predict` and `spot-apex` only parse flags and call these.

    import atnet
    corpus = atnet.load_corpora({"casme2": "/data/CASME2", "samm": "/data/SAMM"})
    model, left_out = atnet.train(corpus.samples, "atnet")
    model.save("atnet.safetensors")
    model = atnet.load_model("atnet.safetensors")
    clip = atnet.clip("interview.mp4", onset=120, offset=180)      # apex spotted
    table, left_out = model.predict([clip])
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..core import parallel
from ..core.provenance import corpus_summary, package_versions
from ..core.readers import read_table, whole_number
from ..data import classsets
from ..data import faces
from ..data.datasets import CorpusError, Exclusion, Sample
from ..data.datasets.base import list_frames
from ..data.faces.video import is_video, video_length, video_sample
from ..data.prepare import (
    Arrays,
    PrepConfig,
    check_faces,
    find_square,
    onset_frame,
    prepare_all,
    read_frames,
    to_arrays,
)
from ..evaluation.protocols import method_inputs
from ..features.apex_spot import METHODS as SPOT_METHODS, spot_apex
from ..methods import Method, Settings, all_methods, check_scores, get as get_method
from ..methods.modelfile import configs, header, load_weights, read_meta, save_model
from ..training import TrainConfig, resolve_device

DEFAULT_CACHE = Path(".cache/atnet")
SPOT_SIZE = 128   # face crop side for apex spotting, px


# ------------------------------------------------------------------------------------------ clips

@dataclass(frozen=True)
class Clip:
    """A sample to label, and whether its apex is to be spotted (it was not given)."""
    sample: Sample
    spot: bool = False


def clip(path: str | Path, onset: int | None = None, apex: int | None = None, offset: int | None = None,
         name: str | None = None) -> Clip:
    """A clip of new footage: a folder of numbered frames (frame numbers from the file names) or a
    video (frames 0, 1, ... in decoding order). onset and offset default to the first and last frame;
    apex None means spot it (`spot`) before preparing. The label is unknown ("")."""
    path = Path(path)
    name = name or (path.stem if path.is_file() else path.name)
    if not path.exists():
        raise CorpusError(f"{path}: not found; pass a folder of numbered frames or a video file.")
    if path.is_dir():
        frames, numbers = list_frames(path)
        if not frames:
            raise CorpusError(f"{path}: no image files in the folder; pass a folder of numbered frames or a video.")
        on = numbers[0] if onset is None else onset
        off = numbers[-1] if offset is None else offset
        ap = on if apex is None else apex
        if not numbers[0] <= on <= ap <= off <= numbers[-1]:
            raise CorpusError(f"{path}: onset {on}, apex {ap}, offset {off} must be in order within the frames "
                              f"{numbers[0]}..{numbers[-1]}; pass other --onset/--apex/--offset.")
        s = Sample("input", f"input/{name}", name, "", on, ap, off, 0.0, frames, numbers)
    elif is_video(path):
        n = video_length(path)
        on = 0 if onset is None else onset
        off = (n - 1 if n else 0) if offset is None else offset
        s = video_sample(path, "input", name, name, "", on, on if apex is None else apex, off)
    else:
        raise CorpusError(f"{path}: neither a folder of frames nor a video (mp4, avi, mov, mkv, ...).")
    return Clip(s, spot=apex is None)


def clips_from_csv(path: str | Path) -> list[Clip]:
    """A CSV of clip,onset,apex,offset (clip: a frame folder or video, relative to the CSV's folder
    or absolute; apex empty or 'auto' to spot it; onset and offset empty for the first and last
    frame)."""
    path = Path(path)
    t = read_table(path, ("clip", "onset", "apex", "offset"), "a clip list")
    out = []
    for i, r in t.iterrows():
        if pd.isna(r["clip"]) or not str(r["clip"]).strip():
            raise CorpusError(f"{path} row {i + 2}: the clip cell is empty; write the frame folder or video there, "
                              f"or delete the row.")
        where = Path(str(r["clip"]).strip())
        where = where if where.is_absolute() else path.parent / where
        got = {}
        for c in ("onset", "apex", "offset"):
            cell = "" if pd.isna(r[c]) else str(r[c]).strip()
            if cell == "" or (c == "apex" and cell.lower() == "auto"):
                got[c] = None
                continue
            got[c] = whole_number(cell)
            if got[c] is None:
                raise CorpusError(f"{path} row {i + 2}: {c} {cell!r} is not a whole frame number"
                                  + ("" if c != "apex" else " (or empty/auto to spot the apex)") + "; fix the cell.")
        out.append(clip(where, **got))
    once([f"{path} row {i + 2}" for i in range(len(out))], out)
    return out


def clip_source(c: Clip) -> tuple:
    """What makes two clips one: the same frames (folder or video, links resolved) and window."""
    s = c.sample
    first = Path(s.frames[0]) if s.frames else Path(s.clip)
    where = first if is_video(first) else first.parent
    return (os.path.realpath(where), s.onset, None if c.spot else s.apex, s.offset)


def once(origins: list[str], clips: list[Clip]) -> None:
    """Refuse a clip given twice (the same frames and window): it would be labelled, and counted, twice."""
    seen = {}
    for origin, c in zip(origins, clips):
        key = clip_source(c)
        if key in seen:
            raise CorpusError(f"{origin} and {seen[key]} are the same clip ({key[0]}, onset {key[1]}, offset "
                              f"{key[3]}); give each clip once.")
        seen[key] = origin


def select_subjects(samples, keep: list[str] | None = None, drop: list[str] | None = None):
    """(kept samples, the others): keep only the subjects in `keep` (--subjects), drop those in `drop`
    (--leave-out-subjects); subjects as dataset/subject (casme2/sub01). A name that matches nothing
    is refused. The others are the user's choice, not a problem: the CLI counts them in one line."""
    names = {s.subject for s in samples}
    for flag, given in (("--subjects", keep), ("--leave-out-subjects", drop)):
        unknown = [g for g in given or [] if g not in names]
        if unknown:
            listed = sorted(names)
            shown = ", ".join(listed[:12]) + (f" and {len(listed) - 12} more" if len(listed) > 12 else "")
            raise CorpusError(f"{flag} {unknown[0]}: no such subject among those given; write subjects as "
                              f"dataset/subject, one of {shown or 'none (nothing was read)'}.")
    def chosen(s: Sample) -> bool:
        return not ((keep and s.subject not in keep) or (drop and s.subject in drop))
    return [s for s in samples if chosen(s)], [s for s in samples if not chosen(s)]


# ------------------------------------------------------------------------------------------ apex spotting

def spot(s: Sample, prep: PrepConfig, method: str = "lbp", box=None) -> Sample:
    """The sample with its apex spotted inside onset..offset (features.apex_spot): the face square
    of the onset frame crops every frame, then the frame of largest difference to the onset.
    `box` is the clip's manual box (PrepConfig.box_file), if any."""
    if method not in SPOT_METHODS:
        raise CorpusError(f"--spot {method}: unknown; choose one of {', '.join(SPOT_METHODS)}.")
    numbers = [n for n in s.frame_numbers if s.onset <= n <= s.offset]
    if method == "middle":   # no frame to read
        return replace(s, apex=spot_apex([], numbers, method))
    crops, square = [], None
    for n, gray in read_frames(s, numbers):
        if square is None:   # the onset frame's square crops every frame
            square, _, _ = find_square(gray, prep, box, source=s.key)
        crops.append(faces.crop(gray, square, SPOT_SIZE))
    return replace(s, apex=spot_apex(crops, numbers, method, prep.flow))


def _spot_or_exclude(s: Sample, prep: PrepConfig, method: str, box) -> Sample | Exclusion:
    try:
        return spot(s, prep, method, box)
    except (CorpusError, OSError) as e:
        return Exclusion(s.dataset, f"{s.subject.split('/', 1)[1]}/{s.clip}", f"apex spotting: {e}")


def spot_all(samples: list[Sample], prep: PrepConfig, method: str = "lbp", jobs: int = 1,
             progress: bool = True) -> tuple[list[Sample], list[Exclusion]]:
    """Spot the apex of every sample (in parallel); samples that fail are returned as exclusions."""
    boxes = check_faces(prep) if method != "middle" and samples else {}   # once, as prepare_all does
    results = parallel.run(_spot_or_exclude, ((s, prep, method, boxes.get(s.key)) for s in samples), jobs)
    kept, failed = [], []
    for r in tqdm(results, total=len(samples), desc="spot apex", disable=not progress or not samples):
        (failed if isinstance(r, Exclusion) else kept).append(r)
    return kept, failed


def spotting_table(samples: list[Sample], spotted: list[Sample]) -> pd.DataFrame:
    """Per corpus: clips, mean absolute error in frames, share within +-5 and +-10 frames of the
    annotated apex."""
    truth = {s.key: s.apex for s in samples}
    rows = pd.DataFrame({"dataset": [s.dataset for s in spotted],
                         "error": [abs(s.apex - truth[s.key]) for s in spotted]})
    out = []
    for name, part in [*rows.groupby("dataset", sort=False), ("all", rows)]:
        out.append({"corpus": name, "clips": len(part), "mae_frames": part["error"].mean(),
                    "within_5": (part["error"] <= 5).mean(), "within_10": (part["error"] <= 10).mean()})
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------ models

@dataclass
class Model:
    """A trained method (a network, or what a registered method's fit returned) with the settings
    it was trained with (read from its model file)."""
    net: object   # the fitted method: for the networks, the ATNet
    prep: PrepConfig
    train: TrainConfig
    meta: dict
    path: str = ""   # the model file it was read from, if any (named in messages)

    @property
    def method(self) -> str:
        return self.meta["method"]

    @property
    def spec(self) -> Method:
        """The registered method (its name is the model file's)."""
        return get_method(self.method)

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes it labels with, in id order (its class set's)."""
        return tuple(self.meta.get("classes", classsets.megc2019().classes))

    @property
    def class_set(self) -> str:
        return self.meta.get("class_set", classsets.DEFAULT)

    def config(self):
        return self.spec.config_of(Settings(self.prep, self.train, classes=self.classes))

    def save(self, path: str | Path) -> Path:
        return save_model(path, self.spec.save(self.net), self.meta)

    def predict_inputs(self, arrays, jobs: int = 1) -> np.ndarray:
        """(N, k) class probabilities of prepared clips (prepare.Arrays), k = len(self.classes)."""
        config = self.config()
        x = method_inputs(self.spec, arrays, config, self.spec.key(config), jobs, "the clips to label")
        return check_scores(self.method, self.spec.predict(self.net, x, config), len(arrays.table), len(self.classes))

    def predict_arrays(self, apex: np.ndarray, adm: np.ndarray) -> np.ndarray:
        """(N, k) class probabilities of prepared arrays (apex (N, S, S) uint8, adm (N, 64, 128))."""
        return self.predict_inputs(Arrays(pd.DataFrame(index=range(len(apex))), apex, adm))

    def predict(self, clips: list[Clip | Sample], cache: str | Path = DEFAULT_CACHE, jobs: int = 1,
                spot_method: str = "lbp", progress: bool = True) -> tuple[pd.DataFrame, list[Exclusion]]:
        """Label clips: apexes spotted where not given, every clip prepared with the model's own
        PrepConfig (so exactly as its training clips were), then classified. Returns one row per
        clip (input, dataset, subject, clip, onset, apex, offset, apex_source, face, truth, label,
        p_<class>) and the clips left out, each with the reason."""
        clips = [c if isinstance(c, Clip) else Clip(c) for c in clips]
        given = [c.sample for c in clips if not c.spot]
        spotted, excluded = spot_all([c.sample for c in clips if c.spot], self.prep, spot_method, jobs, progress)
        source = {**{id(s): "given" for s in given}, **{id(s): "spotted" for s in spotted}}   # kept are these
        kept, prepared, left = prepare_all(given + spotted, self.prep, Path(cache) / "prepared", jobs, progress)
        excluded += left
        if "adm" in self.spec.inputs:   # no flow: the temporal stream would read zeros as "no motion"
            still = [s for s, p in zip(kept, prepared) if p.n_valid == 0]
            excluded += [Exclusion(s.dataset, f"{s.subject.split('/', 1)[1]}/{s.clip}",
                                   f"onset {s.onset}, apex {s.apex}, offset {s.offset} hold no two consecutive "
                                   f"frames near the apex ({len(s.frame_numbers)} frame(s) in the clip), so there is "
                                   f"no motion for the {self.method} model to read; give a clip of at least two "
                                   f"consecutive frames") for s in still]
            kept, prepared = [s for s, p in zip(kept, prepared) if p.n_valid], [p for p in prepared if p.n_valid]
        if "flow" in self.spec.inputs:   # onset = apex: a zero flow would read as "no motion"
            still = [onset_frame(s) >= s.apex for s in kept]
            excluded += [Exclusion(s.dataset, f"{s.subject.split('/', 1)[1]}/{s.clip}",
                                   f"onset {s.onset} and apex {s.apex} are the same frame, so there is no onset-apex "
                                   f"motion for the {self.method} model to read; give the onset, or let the apex be "
                                   f"spotted after it") for s, z in zip(kept, still) if z]
            kept, prepared = [s for s, z in zip(kept, still) if not z], [p for p, z in zip(prepared, still) if not z]
        columns = ["input", "dataset", "subject", "clip", "onset", "apex", "offset", "apex_source", "face", "truth",
                   "label"] + [f"p_{c}" for c in self.classes]
        if not kept:
            return pd.DataFrame(columns=columns), excluded
        arrays = to_arrays(kept, prepared, self.classes, self.class_set)   # labels are the truth, if known
        probs = self.predict_inputs(arrays, jobs)
        bad = ~np.isfinite(probs).all(axis=1)
        if bad.any():
            first = kept[int(np.flatnonzero(bad)[0])]
            raise CorpusError(f"{self.path or 'the model'}: its class probabilities are NaN or infinite for "
                              f"{int(bad.sum())} of {len(kept)} clip(s) (e.g. {first.key}), so nothing is labelled; "
                              f"the network overflows on these inputs; train the model again (e.g. with a lower --lr).")
        rows = []
        for s, p, pr in zip(kept, prepared, probs):
            where = s.frames[0] if is_video(s.frames[0]) else str(Path(s.frames[0]).parent)
            rows.append([where, s.dataset, s.subject, s.clip, s.onset, s.apex, s.offset, source[id(s)], p.face,
                         s.label, self.classes[int(pr.argmax())], *map(float, pr)])
        return pd.DataFrame(rows, columns=columns), excluded


def train(samples: list[Sample], method: str = "atnet", prep: PrepConfig | None = None,
          train_cfg: TrainConfig | None = None, cache: str | Path = DEFAULT_CACHE, jobs: int = 1,
          progress: bool = True, classes: classsets.ClassSet | str | None = None) -> tuple[Model, list[Exclusion]]:
    """Train one model on every sample (no test fold): prepared as in `evaluate`, trained with the
    fixed recipe (the model after the last epoch). `method` is any registered method that makes a
    model file (`atnet methods`); `classes` is the class set the samples were read with (default
    megc2019), recorded in the model file. Returns the model and the samples left out."""
    spec = get_method(method)
    if not spec.savable:
        makes = ", ".join(n for n, m in all_methods().items() if m.savable)
        raise CorpusError(f"--method {method}: has no model file (its method declares no save and load), so atnet "
                          f"train cannot keep it; evaluate it with `atnet evaluate`, or train one of {makes}.")
    prep, train_cfg, cs = prep or PrepConfig(), train_cfg or TrainConfig(), classsets.get(classes)
    settings = spec.settings(Settings(prep, train_cfg, classes=cs.classes))
    kept, prepared, excluded = prepare_all(samples, prep, Path(cache) / "prepared", jobs, progress)
    if not kept:
        raise CorpusError("no clip could be prepared, so there is nothing to train on; see the reasons listed.")
    arrays = to_arrays(kept, prepared, cs.classes, cs.name)
    if len(set(arrays.y)) < 2:
        raise CorpusError(f"every clip given is {cs.classes[int(arrays.y[0])]}; a classifier needs at least two "
                          f"classes.")
    resolve_device(settings.train.device)
    config = spec.config(settings)
    x = method_inputs(spec, arrays, config, spec.key(config), jobs)
    fitted = spec.fit(x, arrays.y, arrays.table["subject"].to_numpy(), config)
    if hasattr(fitted, "cpu"):
        fitted = fitted.cpu().eval()
    meta = header(cs.classes, cs.name, method=spec.fold_name, prep=asdict(prep), train=asdict(settings.train),
                  adm_dim=int(arrays.adm.shape[-1]), corpus=corpus_summary(kept, cs.classes),
                  packages=package_versions(),
                  date=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    return Model(fitted, prep, settings.train, meta), excluded


def load_model(path: str | Path, device: str = "cpu") -> Model:
    """A model file written by `train(...).save` / `atnet train`. Never executes code from the file."""
    meta = read_meta(path)
    if meta.get("kind") == "pretrained-spatial":
        raise CorpusError(f"{path}: holds a spatial stream pretrained on macro-expressions, not a micro-expression "
                          f"model; start training from it with --init-spatial {path}.")
    prep, train_cfg = configs(meta)
    dev = str(resolve_device(device))
    return Model(load_weights(path, meta, dev), prep, replace(train_cfg, device=device), meta, str(path))


def describe(meta: dict) -> str:
    """`atnet info`: the model file's metadata in a few lines."""
    c = meta["corpus"]
    lines = [f"method {meta['method']}, classes {', '.join(meta['classes'])} (class set "
             f"{meta.get('class_set', classsets.DEFAULT)}); atnet {meta['atnet']}, "
             f"model file format {meta['format']}, written {meta.get('date', '?')}",
             f"trained on {c['samples']} {'images' if meta.get('kind') == 'pretrained-spatial' else 'clips'} of "
             f"{c['subjects']} subjects (sample-list digest {c['digest'][:16]}):"]
    for d, counts in c["counts"].items():
        lines.append(f"  {d}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append("prep: " + json.dumps(meta["prep"]))
    lines.append("train: " + json.dumps(meta["train"]))
    if meta.get("packages"):
        lines.append("packages: " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items()))
    return "\n".join(lines)
