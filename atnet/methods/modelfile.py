"""Model files: one `.safetensors` file per trained model. The tensors are what the method's `save`
gives (a network's weights; a plug-in's arrays); the file's header metadata holds one JSON document
(key "atnet") with everything needed to use it: the method (a registered name; its `load` reads
the tensors back), every PrepConfig and TrainConfig value, the class set and its class names (in id
order: `predict` labels with them), the training corpus (counts per corpus and class, a digest of
the sample list), package versions and the date.

safetensors stores raw tensors and a JSON header, so loading a model file never executes code
(unlike a pickled PyTorch checkpoint), and `atnet info` reads the header without the weights."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Annotated, Literal, get_type_hints

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .. import __version__
from ..core.cache import atomic
from ..core.classes import CLASSES
from ..core.errors import CorpusError
from ..core.readers import existing_file, one_line
from ..data import classsets
from ..data.datasets.macro import BASIC
from ..data.faces import BACKENDS as FACE_BACKENDS
from ..data.prepare import PrepConfig
from ..features import BACKENDS as FLOW_BACKENDS
from ..features.adm import MEANS as ADM_MEANS
from ..models import BACKBONES, nonfinite, refuse_nonfinite
from ..training import AMP, TrainConfig
from . import all_methods

FORMAT = 1   # bump when the layout of the file changes


DAMAGED = "the file is damaged or was not written by atnet train"
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)   # JSON as written: no "64" for 64, no NaN
CHOICES = {"flow": FLOW_BACKENDS, "oa_flow": FLOW_BACKENDS, "adm_mean": ADM_MEANS,
           "face": FACE_BACKENDS, "reference": ("apex", "onset"),
           "spatial_backbone": BACKBONES, "amp": AMP}
DEVICE = r"^\s*(auto|cpu|cuda(:\d+)?)(\s*,\s*(auto|cpu|cuda(:\d+)?))*\s*$"


def schema(cls) -> type[BaseModel]:
    """The header schema of a config dataclass: each field's type, its range and its choices."""
    hints = get_type_hints(cls)
    specs = {}
    for f in fields(cls):
        kind = Literal[tuple(CHOICES[f.name])] if f.name in CHOICES else hints[f.name]
        lo, hi, lo_open, hi_open = f.metadata.get("range", (None, None, False, False))
        limits = {k: v for k, v in ((("gt" if lo_open else "ge"), lo), (("lt" if hi_open else "le"), hi))
                  if v is not None}
        if f.name == "device":
            limits["pattern"] = DEVICE
        specs[f.name] = (Annotated[kind, Field(**limits)], f.default)
    return create_model(f"{cls.__name__}Header", __config__=STRICT, **specs)


class Corpus(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    samples: int = Field(ge=0)
    subjects: int = Field(ge=0)
    counts: dict[str, dict[str, Annotated[int, Field(ge=0)]]]
    digest: str


class Meta(BaseModel):
    """The header a model file must hold (more keys are kept as they are). Types are strict: a field
    of the wrong type is refused on read, naming it, before any config or network is built."""
    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)
    format: int
    atnet: str
    method: str
    classes: list[str]
    class_set: str = classsets.DEFAULT    # files written before class sets were megc2019's
    prep: schema(PrepConfig)
    train: schema(TrainConfig)
    adm_dim: int = Field(ge=1)
    corpus: Corpus
    kind: str | None = None
    date: str | None = None
    packages: dict | None = None


def field_problem(path, e: ValidationError, lead: str = "", fix: str = DAMAGED) -> str:
    """The first error of a header's validation as one sentence naming the file and the field."""
    err = e.errors()[0]
    where = ".".join(map(str, err["loc"])) or "the top level"
    kind, ctx, value = err["type"], err.get("ctx", {}), one_line(repr(err.get("input")), 60)
    expected = {"int": "a whole number", "float": "a number", "string": "text", "bool": "true or false",
                "dict": "a mapping", "model": "a mapping", "list": "a list"}.get(kind.split("_")[0])
    if kind == "missing":
        why = "is missing"
    elif kind == "extra_forbidden":
        why = "is not a setting this atnet knows"
    elif kind == "literal_error":
        why = f"is {value}, not one of {ctx['expected']}"
    elif kind == "finite_number":
        why = f"is {value}, not a finite number"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "at least", "greater_than": "above", "less_than_equal": "at most",
                 "less_than": "below"}[kind]
        why = f"is {value}, not {bound} {next(iter(ctx.values()))}"
    elif kind == "string_pattern_mismatch":
        why = f"is {value}, not auto, cpu, cuda, cuda:N or a list of those"
    elif expected and kind.endswith(("_type", "_parsing", "_from_float")):
        why = f"is {value}, not {expected}"
    else:
        why = f"is {value} ({one_line(err['msg'], 80).lower()})"
    return f"{path}: {lead}header field {where} {why}; {fix}."


def clash(path, meta: dict) -> str | None:
    """Header settings that each pass but do not fit together, as one sentence (or None)."""
    prep = {**asdict(PrepConfig()), **meta["prep"]}
    train = {**asdict(TrainConfig()), **meta["train"]}
    if prep["grid"] > prep["size"] // 4:
        return (f"{path}: header fields prep.grid {prep['grid']} and prep.size {prep['size']} do not fit together "
                f"(an ADM cell must be at least 4 px); {DAMAGED}.")
    if train["spatial_backbone"] == "fer-xception" and train["init_spatial"]:
        return (f"{path}: header fields train.spatial_backbone fer-xception and train.init_spatial "
                f"{train['init_spatial']!r} do not fit together; {DAMAGED}.")
    if meta.get("kind") != "pretrained-spatial" and meta["adm_dim"] != 2 * prep["grid"] ** 2:
        return (f"{path}: header field adm_dim is {meta['adm_dim']}, and prep.grid {prep['grid']} makes "
                f"{2 * prep['grid'] ** 2}; {DAMAGED}.")
    try:
        configs(meta)
    except CorpusError as e:   # a check of the configs the header schema does not repeat
        return f"{path}: the header's settings are refused ({str(e).rstrip('.')}); {DAMAGED}."
    return None


def header(classes=CLASSES, class_set: str = classsets.DEFAULT, **meta) -> dict:
    """The metadata of a new model file: the format, this atnet's version, the class set and its
    class names first."""
    return {"format": FORMAT, "atnet": __version__, "classes": list(classes), "class_set": class_set, **meta}


def classes_problem(meta: dict) -> str | None:
    """Why a header's classes cannot be a model's (or None): fewer than two, a name twice, or not
    the classes of the built-in class set it names."""
    classes, name = list(meta["classes"]), meta.get("class_set", classsets.DEFAULT)
    if meta.get("kind") == "pretrained-spatial":
        return None if classes == list(BASIC) else f"classes {classes} are not the macro corpora's {list(BASIC)}"
    if len(classes) < 2 or len(set(classes)) != len(classes) or not all(classsets.NAME.fullmatch(c) for c in classes):
        return f"classes {classes} are not two or more distinct class names"
    if name in classsets.names() and classes != list(classsets.get(name).classes):
        return f"classes {classes} are not those of the class set {name} ({list(classsets.get(name).classes)})"
    return None


def save_model(path: str | Path, net, meta: dict) -> Path:
    """Write the weights (a network, or {name: tensor or numpy array}, as a method's `save` gives)
    and `meta` (see `header`), atomically: a killed save leaves no half file. Weights holding NaN or
    an infinity (training diverged) are refused, not written."""
    from safetensors.torch import save_file
    path = Path(path)
    if not path.parent.is_dir():
        raise CorpusError(f"{path}: its folder does not exist; create it or pass another path.")
    try:
        Meta.model_validate(meta)
    except ValidationError as e:
        raise CorpusError(field_problem(path, e, "not written: ", "pass settings of the types PrepConfig and "
                                        "TrainConfig declare")) from None
    state = {k: (torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v).detach().cpu()
             .contiguous() for k, v in (net.state_dict() if hasattr(net, "state_dict") else net).items()}
    bad = nonfinite(state)
    if bad:
        raise CorpusError(f"{path}: not written: {len(bad)} of the model's {len(state)} tensors hold NaN or "
                          f"infinite values (e.g. {bad[0]}), so the training diverged; train again with a lower "
                          f"--lr.")
    with atomic(path) as tmp:
        save_file(state, str(tmp), metadata={"atnet": json.dumps(meta)})
    return path


FIX = "train it again with `atnet train`, or pass a model file that `atnet train` wrote"


def read_meta(path: str | Path) -> dict:
    """The JSON header of a model file, checked against its schema (every field's type, range and
    choices, then the settings together); the weights are not read."""
    from safetensors import safe_open
    path = existing_file(path, "a model file", FIX)
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except Exception as e:   # safetensors raises its own error kinds on bad bytes
        raise CorpusError(f"{path}: not a readable model file ({one_line(e)}); {FIX}.") from None
    if "atnet-spotter" in header:   # spotting/learned.py's files
        raise CorpusError(f"{path}: a spotter file (from `atnet train --task spot`), not a recognition model; pass "
                          f"it to `atnet spot --spotter`.")
    if "atnet" not in header:
        raise CorpusError(f"{path}: a safetensors file without atnet's metadata; {FIX}.")
    try:
        raw = json.loads(header["atnet"])
    except (ValueError, RecursionError) as e:   # ValueError: bad JSON, a 5000-digit number
        raise CorpusError(f"{path}: its metadata is not JSON ({one_line(e, 120)}); {DAMAGED}.") from None
    if not isinstance(raw, dict):
        raise CorpusError(f"{path}: its metadata is {one_line(repr(raw), 60)}, not a mapping; {DAMAGED}.")
    if raw.get("format") != FORMAT and isinstance(raw.get("format"), int) and isinstance(raw.get("atnet"), str):
        raise CorpusError(f"{path}: model file format {raw['format']} (atnet {raw['atnet']}), and this atnet "
                          f"{__version__} reads format {FORMAT}; {FIX}.")
    try:
        meta = Meta.model_validate(raw).model_dump(exclude_unset=True)
    except ValidationError as e:
        raise CorpusError(field_problem(path, e)) from None
    wrong = classes_problem(meta)
    method = all_methods().get(meta["method"])
    if method is None and wrong is None:
        raise CorpusError(f"{path}: its method {meta['method']!r} is not registered here; install the package that "
                          f"provides it (entry point group atnet.methods) or call atnet.methods.register first, as "
                          f"when it was trained (`atnet methods` lists what is registered).")
    if method is None or not method.savable or wrong is not None:
        raise CorpusError(f"{path}: method {meta['method']!r} with classes {meta['classes']} is not one this atnet "
                          f"knows; {FIX}.")
    problem = clash(path, meta)
    if problem:
        raise CorpusError(problem)
    return meta


def configs(meta: dict) -> tuple[PrepConfig, TrainConfig]:
    """The PrepConfig and TrainConfig a model was trained with (a header read by read_meta: unknown
    keys and wrong types are refused there; fields it lacks take their defaults)."""
    return (PrepConfig(**{**asdict(PrepConfig()), **meta["prep"]}),
            TrainConfig(**{**asdict(TrainConfig()), **meta["train"]}))


def load_weights(path: str | Path, meta: dict, device: str = "cpu"):
    """What a model file's method fitted (a network, its weights loaded strictly: every tensor,
    every shape, every value finite), read back by the method's `load`; a network goes to `device`."""
    from safetensors.torch import load_file
    try:
        state = load_file(str(path), device="cpu")
    except Exception as e:
        raise CorpusError(f"{path}: the weights cannot be read ({one_line(e)}); {FIX}.") from None
    refuse_nonfinite(state, path, f"the training diverged or the file is damaged; {FIX}")
    try:
        fitted = all_methods()[meta["method"]].load(state, meta)
    except ValueError as e:
        raise CorpusError(f"{path}: {one_line(e, 300)}; {FIX}.") from None
    return fitted.to(torch.device(device)) if isinstance(fitted, torch.nn.Module) else fitted
