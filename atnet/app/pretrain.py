"""Pretraining the spatial stream on macro-expressions (paper section III.C): the same ResNet-10 on one
gray channel, trained on the basic emotions of CK+, Oulu-CASIA, JAFFE and MUG (any subset), and
written as a weights file in the model-file format (`kind` "pretrained-spatial"). `--init-spatial`
on evaluate, reproduce and train starts the spatial stream of spatial, atnet and micro-attention
from such a file; the classifier head is always new.

Each macro image goes through the micro corpora's face pipeline (the face square found on it,
aligned where landmarks are, cropped at PrepConfig.size), cached like prepared clips.

ImageNet start (`--init-imagenet FILE`): a torchvision ResNet-18 state dict that the user supplies
(read with torch.load(weights_only=True): tensors only, no code). ResNet-10 has one block per stage
where ResNet-18 has two; the mapping, for stage k = 1..4:

    stem.weight                  <- conv1.weight summed over its 3 input (RGB) channels
    stages[k-1].conv1 / conv2    <- layer{k}.0.conv1 / conv2           (the first block's convs)
    stages[k-1].shortcut         <- layer{k}.0.downsample.0            (k = 2..4)
    stages[k-1].bn2              <- layer{k}.0.bn1                     (the BN between the two convs)
    stages[0].bn1                <- bn1 (the stem's BN: the BN before layer1's first conv)
    stages[k-1].bn1, k = 2..4    <- layer{k-1}.0.bn2                   (the BN before that conv)
    bn_out                       <- layer4.0.bn2
    bn_in                        stays new (ResNet-18 has no input BN)

ResNet-18 is post-activation and ResNet-10 pre-activation, so each BN is taken from the position
that normalises the same channels nearest the same conv; the statistics are a starting point, not an
equivalence. Micro-Attention's attention units have no counterpart and start new."""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..core import parallel
from ..core.cache import NpzCache, file_stamp, make_key
from ..core.errors import CorpusError
from ..core.provenance import corpus_summary, package_versions
from ..core.readers import one_line, read_gray
from ..data import faces
from ..data.datasets import MACRO_ADAPTERS as ADAPTERS, Exclusion
from ..data.datasets.macro import BASIC, MacroCorpus, MacroSample
from ..data.prepare import PrepConfig, check_faces, find_square
from ..methods.modelfile import header
from ..models import ATNet, refuse_nonfinite
from ..models.resnet10 import ResNet10
from ..training import TrainConfig, fit
from ..training.init import load_spatial_init

KIND = "pretrained-spatial"


def load_macro(roots: dict, peak_frames: int = 1) -> MacroCorpus:
    """Every macro corpus given as {"ckplus": root, "oulu": root, ...}."""
    out = MacroCorpus()
    for name, root in roots.items():
        if not root:
            continue
        if not Path(root).is_dir():
            raise CorpusError(f"{root}: no such folder; pass the {name} root as you unpacked it.")
        part = ADAPTERS[name](root, peak_frames=peak_frames)
        if not part.samples:
            raise CorpusError(f"{root}: no usable {name} image found ({len(part.excluded)} left out); check the "
                              f"layout against the module docstring of atnet/data/datasets/{name}.py.")
        out.extend(part)
    if not out.samples:
        raise CorpusError("no macro corpus given; pass --ckplus, --oulu, --jaffe or --mug.")
    return out


def _crop(s: MacroSample, cfg: PrepConfig, cache_dir: str, boxes: dict) -> np.ndarray | Exclusion:
    cache = NpzCache(cache_dir)
    try:
        key = make_key({"macro": 1, "cfg": asdict(cfg), "image": file_stamp(s.image)})
        hit = cache.get(key)
        if hit is not None:
            return hit["crop"]
        gray = read_gray(s.image)
        sq, _, _ = find_square(gray, cfg, boxes.get(f"{s.dataset}/{s.sequence}"), source=s.image)
        crop = faces.crop(gray, sq, cfg.size)
    except (CorpusError, OSError) as e:
        return Exclusion(s.dataset, f"{s.subject.split('/', 1)[1]}/{s.sequence}", str(e))
    cache.put(key, {"crop": crop})
    return crop


def prepare_macro(samples: list[MacroSample], cfg: PrepConfig, cache_dir: str | Path, jobs: int = 1):
    """(crops (N, S, S) uint8, labels (N,) ids into BASIC, kept samples, exclusions)."""
    boxes = check_faces(cfg)
    results = list(parallel.run(_crop, ((s, cfg, str(cache_dir), boxes) for s in samples), jobs))
    kept = [(s, r) for s, r in zip(samples, results) if not isinstance(r, Exclusion)]
    excluded = [r for r in results if isinstance(r, Exclusion)]
    if not kept:
        raise CorpusError("no macro image could be prepared; see the reasons listed.")
    crops = np.stack([r for _, r in kept])
    labels = np.array([BASIC.index(s.label) for s, _ in kept], np.int64)
    return crops, labels, [s for s, _ in kept], excluded


def imagenet_to_resnet10(state: dict) -> dict:
    """A torchvision ResNet-18 state dict -> a ResNet10 state dict (module docstring's mapping)."""
    def bn(dst: str, src: str) -> dict:
        out = {f"{dst}.{p}": state[f"{src}.{p}"] for p in ("weight", "bias", "running_mean", "running_var")}
        if f"{src}.num_batches_tracked" in state:
            out[f"{dst}.num_batches_tracked"] = state[f"{src}.num_batches_tracked"]
        return out
    try:
        out = {"stem.weight": state["conv1.weight"].sum(dim=1, keepdim=True)}
        out.update(bn("stages.0.bn1", "bn1"))
        for k in range(1, 5):
            dst, src = f"stages.{k - 1}", f"layer{k}.0"
            out[f"{dst}.conv1.weight"] = state[f"{src}.conv1.weight"]
            out[f"{dst}.conv2.weight"] = state[f"{src}.conv2.weight"]
            out.update(bn(f"{dst}.bn2", f"{src}.bn1"))
            if k > 1:
                out[f"{dst}.shortcut.weight"] = state[f"{src}.downsample.0.weight"]
                out.update(bn(f"{dst}.bn1", f"layer{k - 1}.0.bn2"))
        out.update(bn("bn_out", "layer4.0.bn2"))
    except KeyError as e:
        raise CorpusError(f"the ImageNet state dict has no {e.args[0]!r}; pass a torchvision ResNet-18 state dict "
                          f"(torchvision.models.resnet18(weights=...).state_dict(), saved with torch.save).") from None
    return out


IMAGENET_FIX = "save a torchvision ResNet-18's state dict with torch.save(model.state_dict(), path)"


def load_imagenet(path: str | Path) -> dict:
    """A ResNet10 state dict from a torchvision ResNet-18 state dict file (tensors only): every
    tensor finite, every mapped tensor of ResNet-10's shape."""
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:   # pickle, zip and torch errors on bad bytes; weights_only refuses code
        raise CorpusError(f"{path}: not a readable PyTorch state dict ({one_line(e)}); {IMAGENET_FIX}.") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else None
    if not isinstance(state, dict):
        raise CorpusError(f"{path}: holds no state dict; {IMAGENET_FIX}.")
    odd = [k for k, v in state.items() if not torch.is_tensor(v)]
    if odd:
        raise CorpusError(f"{path}: {odd[0]!r} is a {type(state[odd[0]]).__name__}, not a tensor; {IMAGENET_FIX}.")
    refuse_nonfinite(state, path, IMAGENET_FIX)
    mapped = imagenet_to_resnet10(state)
    want = ResNet10().state_dict()
    for k, v in mapped.items():
        if tuple(v.shape) != tuple(want[k].shape):
            raise CorpusError(f"{path}: a tensor mapped to ResNet-10's {k} has shape {tuple(v.shape)}, and ResNet-10's "
                              f"{tuple(want[k].shape)}: not a ResNet-18; {IMAGENET_FIX}.")
    return mapped


def imagenet_text(path: str | Path) -> str:
    """What --init-imagenet loads, as one line (the file checked first)."""
    mapped, total = load_imagenet(path), len(ResNet10().state_dict())
    return (f"--init-imagenet {path}: {len(mapped)} of ResNet-10's {total} tensors loaded (its input BN starts new: "
            f"ResNet-18 has none)")


def pretrain(samples: list[MacroSample], prep: PrepConfig, train: TrainConfig, cache: str | Path = ".cache/atnet",
             jobs: int = 1, init_imagenet: str | Path | None = None) -> tuple[ATNet, dict, list[Exclusion]]:
    """Train the spatial stream on the basic emotions (from scratch or from ImageNet). Returns the
    network, its model-file metadata (kind "pretrained-spatial", classes BASIC) and the images left out."""
    if train.spatial_backbone != "resnet10":
        raise CorpusError("atnet pretrain trains the paper's ResNet-10; fer-xception is already pretrained (on "
                          "FER2013), so drop --spatial-backbone here and pass it to evaluate or train instead.")
    crops, labels, kept, excluded = prepare_macro(samples, prep, Path(cache) / "macro", jobs)
    if len(set(labels)) < 2:
        raise CorpusError("every macro image given has one emotion; pretraining needs at least two.")
    start = load_imagenet(init_imagenet) if init_imagenet else None
    net = fit("spatial", crops, np.zeros((len(crops), 1, 1), np.float32), labels, train, n_classes=len(BASIC),
              spatial_state=start)
    meta = header(BASIC, "basic-emotions", method="spatial", kind=KIND, prep=asdict(prep), train=asdict(train),
                  adm_dim=1,
                  corpus=corpus_summary(kept, BASIC),
                  init=f"imagenet {Path(init_imagenet).name}" if init_imagenet else "scratch",
                  packages=package_versions(), date=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    return net.cpu().eval(), meta, excluded


def spatial_init_text(path: str | Path, partial: bool = False) -> str:
    """What --init-spatial loads, as one line (the file checked first, as training will load it)."""
    loaded, total = load_spatial_init(ResNet10(), path, partial)
    rest = "" if loaded == total else f"; the other {total - loaded} start new (--init-partial)"
    return f"--init-spatial {path}: {loaded} of the spatial stream's {total} tensors loaded{rest}"
