"""Model files: one `.safetensors` file per trained model. The tensors are the network's weights; the
file's header metadata holds one JSON document (key "atnet") with everything needed to use it:
the method, every PrepConfig and TrainConfig value, the class names, the training corpus (counts per
corpus and class, a digest of the sample list), package versions and the date.

safetensors stores raw tensors and a JSON header, so loading a model file never executes code
(unlike a pickled PyTorch checkpoint), and `atnet info` reads the header without the weights."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict, ValidationError

from . import CLASSES, __version__
from .cache import atomic
from .datasets.macro import BASIC
from .errors import CorpusError
from .models import ATNet, METHODS
from .prepare import PrepConfig
from .readers import existing_file, one_line
from .training import TrainConfig

FORMAT = 1   # bump when the layout of the file changes


class Meta(BaseModel):
    """The header a model file must hold (more keys are kept as they are)."""
    model_config = ConfigDict(extra="allow")
    format: int
    atnet: str
    method: str
    classes: list[str]
    prep: dict
    train: dict
    adm_dim: int
    corpus: dict


def header(**meta) -> dict:
    """The metadata of a new model file: the format, this atnet's version and the class names first."""
    return {"format": FORMAT, "atnet": __version__, "classes": list(CLASSES), **meta}


def save_model(path: str | Path, net: ATNet, meta: dict) -> Path:
    """Write the weights and `meta` (see `header`), atomically: a killed save leaves no half file."""
    from safetensors.torch import save_file
    path = Path(path)
    if not path.parent.is_dir():
        raise CorpusError(f"{path}: its folder does not exist; create it or pass another path.")
    Meta.model_validate(meta)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    with atomic(path) as tmp:
        save_file(state, str(tmp), metadata={"atnet": json.dumps(meta)})
    return path


FIX = "train it again with `atnet train`, or pass a model file that `atnet train` wrote"


def read_meta(path: str | Path) -> dict:
    """The JSON header of a model file, checked; the weights are not read."""
    from safetensors import safe_open
    path = existing_file(path, "a model file", FIX)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except Exception as e:   # safetensors raises its own error kinds on bad bytes
        raise CorpusError(f"{path}: not a readable model file ({one_line(e)}); {FIX}.") from None
    if "atnet" not in header:
        raise CorpusError(f"{path}: a safetensors file without atnet's metadata; {FIX}.")
    try:
        meta = Meta.model_validate(json.loads(header["atnet"])).model_dump()
    except (json.JSONDecodeError, ValidationError) as e:
        raise CorpusError(f"{path}: its metadata is damaged ({one_line(e, 120)}); {FIX}.") from None
    if meta["format"] != FORMAT:
        raise CorpusError(f"{path}: model file format {meta['format']} (atnet {meta['atnet']}), and this atnet "
                          f"{__version__} reads format {FORMAT}; {FIX}.")
    classes = list(BASIC) if meta.get("kind") == "pretrained-spatial" else list(CLASSES)
    if meta["method"] not in METHODS or list(meta["classes"]) != classes:
        raise CorpusError(f"{path}: method {meta['method']!r} with classes {meta['classes']} is not one this atnet "
                          f"knows; {FIX}.")
    return meta


def configs(meta: dict) -> tuple[PrepConfig, TrainConfig]:
    """The PrepConfig and TrainConfig a model was trained with (unknown keys are refused)."""
    out = []
    for cls, key in ((PrepConfig, "prep"), (TrainConfig, "train")):
        names = {f.name for f in fields(cls)}
        extra = sorted(set(meta[key]) - names)
        if extra:
            raise CorpusError(f"the model's {key} settings hold {extra[0]!r}, which this atnet does not know; {FIX}.")
        out.append(cls(**{**asdict(cls()), **meta[key]}))
    return out[0], out[1]


def load_weights(path: str | Path, meta: dict, device: str = "cpu") -> ATNet:
    """The network of a model file, its weights loaded (strictly: every tensor, every shape)."""
    from safetensors.torch import load_file
    try:
        state = load_file(str(path), device="cpu")
    except Exception as e:
        raise CorpusError(f"{path}: the weights cannot be read ({one_line(e)}); {FIX}.") from None
    train = meta["train"]
    net = ATNet(meta["method"], len(meta["classes"]), hidden=train.get("hidden", TrainConfig.hidden),
                adm_dim=meta["adm_dim"], dropout=train.get("dropout", TrainConfig.dropout),
                backbone=train.get("spatial_backbone", TrainConfig.spatial_backbone), pretrained=False)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CorpusError(f"{path}: its weights do not fit a {meta['method']} network ({one_line(e, 120)}); "
                          f"{FIX}.") from None
    return net.to(torch.device(device)).eval()
