"""run.json: the one manifest every run folder gets (evaluate, evaluate --features, reproduce, demo,
evaluate --task spot), so that `atnet view`, `report` and `compare` know what the run read and how:
the command, atnet's version, the inputs as given and resolved to absolute paths, the class set,
the configs the run used and which predictions file each method, protocol and seed wrote. Checked
with pydantic on write and on read: a damaged file is one sentence naming it and the field.

    write_manifest(out, "recognition", argv, RunInputs(...), {"prep": asdict(prep)}, runs)
    m = read_manifest(out / "run.json")          # a dict, or CorpusError
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, ValidationError

from ..core.cache import write_atomic
from ..core.classes import CLASSES
from ..core.errors import CorpusError
from ..core.readers import existing_file, one_line
from ..data.prepare import PrepConfig
from ..methods.baselines import BaselineConfig
from ..methods.modelfile import field_problem, schema
from ..training import TrainConfig

NAME = "run.json"
FORMAT = 1
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
FIX = "the file is damaged or was not written by atnet; delete it (the run's other files stay) or rerun the run"
SOURCES = ("default-synthetic", "synthetic", "corpora", "apex-table", "features", "long-videos")


class Given(BaseModel):
    """An input path as given (on the command line or in Python) and resolved to an absolute path."""
    model_config = STRICT
    given: str
    path: str


class RunInputs(BaseModel):
    """What the run read. `source` says which of these made its clips."""
    model_config = STRICT
    source: Literal[SOURCES]
    roots: dict[str, Given] = {}          # casme2/samm/smic, or samm-lv/casme-sq (spotting)
    sheets: dict[str, Given] = {}
    synthetic: Given | None = None        # the synthetic root read (the default one under the cache too)
    apex_table: Given | None = None
    features: Given | None = None
    labels: Given | None = None
    cache: Given | None = None
    smic_apex: str = "middle"
    classes: str = "megc2019"             # --classes: a built-in set's name, or the absolute path of a set's file


class Configs(BaseModel):
    model_config = STRICT
    prep: schema(PrepConfig) | None = None
    train: schema(TrainConfig) | None = None
    baselines: schema(BaselineConfig) | None = None
    spot: dict[str, float | int | str | bool | None] | None = None
    classifier: str | None = None
    seeds: list[int] | None = None


class Run(BaseModel):
    model_config = STRICT
    method: str
    protocol: str
    seed: int | None
    predictions: str                      # relative to the run folder's predictions/ (spotting: the folder)


class Manifest(BaseModel):
    model_config = STRICT
    format: Literal[FORMAT]
    kind: Literal["recognition", "spotting"]
    command: list[str]
    atnet: str
    classes: list[str]
    class_set: str = "megc2019"           # runs written before class sets were all megc2019's
    inputs: RunInputs
    configs: Configs
    runs: list[Run]


def given(path) -> Given | None:
    """An input path as given and as an absolute path (None when not given)."""
    if path is None or path == "":
        return None
    return Given(given=os.fspath(path), path=os.path.abspath(path))


def check_class_set(out: str | Path, class_set: str) -> None:
    """Refuse, before any work, to add runs of one class set to a run folder holding another's:
    their tables and scores would be read as one."""
    try:
        m = manifest_of(out)
    except CorpusError:   # damaged: write_manifest writes it anew, and says so
        return
    if m is not None and m["class_set"] != class_set:
        raise CorpusError(f"{Path(out) / NAME}: this run folder holds runs of the class set {m['class_set']}, and "
                          f"this command runs {class_set}; pass another --out.")


def write_manifest(out: str | Path, kind: str, command, inputs: RunInputs, configs: dict, runs: list[dict],
                   classes=CLASSES, class_set: str = "megc2019") -> Path:
    """Write OUT/run.json (checked first, atomically). The runs of an earlier command on the same
    folder (another method, protocol or seed) are kept; this command's replace theirs."""
    from .. import __version__
    path = Path(out) / NAME
    with FileLock(Path(out) / ".run.json.lock"):   # two runs on one folder: neither loses the other's runs
        old = []
        if path.exists():
            try:
                old = read_manifest(path)["runs"]
            except CorpusError as e:   # damaged: written anew, and said
                print(f"{e} It is written anew; it lists this command's predictions only.")
        new = [{k: r[k] for k in ("method", "protocol", "seed", "predictions")} for r in runs]
        mine = {r["predictions"] for r in new}
        raw = {"format": FORMAT, "kind": kind, "command": [str(a) for a in command or ()],
               "atnet": __version__, "classes": list(classes), "class_set": class_set,
               "inputs": inputs.model_dump(),
               "configs": configs, "runs": [r for r in old if r["predictions"] not in mine] + new}
        try:
            m = Manifest.model_validate(raw)
        except ValidationError as e:   # a bug of the writer, said as on read
            raise CorpusError(field_problem(path, e, fix="this is a bug of atnet, please report it")) from None
        write_atomic(path, json.dumps(m.model_dump(), indent=1))
    return path


def read_manifest(path: str | Path) -> dict:
    """run.json checked against the schema; one sentence naming the file and the field if not."""
    path = existing_file(path, "a run manifest", FIX)
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise CorpusError(f"{path}: not valid JSON ({one_line(e)}); {FIX}.") from None
    try:
        m = Manifest.model_validate(raw)
    except ValidationError as e:
        raise CorpusError(field_problem(path, e, fix=FIX).replace(": header field ", ": field ")) from None
    return m.model_dump()


def manifest_of(run: str | Path) -> dict | None:
    """The manifest of a run folder, None for a run written before run.json (or not a folder)."""
    path = Path(run) / NAME
    return read_manifest(path) if Path(run).is_dir() and (path.exists() or path.is_symlink()) else None


def run_of(manifest: dict | None, predictions: str) -> dict | None:
    """The manifest's entry of a predictions file (by its name), or None."""
    for r in (manifest or {}).get("runs", []):
        if r["predictions"] == predictions:
            return r
    return None


def inputs_text(inputs: dict) -> str:
    """What a run read, in words: 'the corpora casme2 /data/CASME2, samm /data/SAMM'."""
    if inputs["source"] == "apex-table":
        return f"the apex table {inputs['apex_table']['path']}"
    if inputs["roots"]:
        corpus = "the corpora " + ", ".join(f"{n} {g['path']}" for n, g in inputs["roots"].items())
    elif inputs["synthetic"]:
        corpus = ("the default " if inputs["source"] == "default-synthetic" else "the ") + \
            f"synthetic corpus {inputs['synthetic']['path']}"
    else:
        corpus = ""
    if inputs["source"] == "features":
        labels = inputs["labels"]["path"] if inputs["labels"] else corpus
        return f"the features {inputs['features']['path']} (labels: {labels})"
    return corpus


def describe(run: str | Path, manifest: dict | None) -> str:
    """One sentence on a run folder: what command of which atnet made it from what, or that it
    has no run.json (and so what cannot be said)."""
    if manifest is None:
        return (f"{run} has no {NAME} (an older atnet wrote it): the command, the inputs and the settings it ran "
                f"with are not known.")
    command = "atnet " + " ".join(manifest["command"]) if manifest["command"] else "a call from Python"
    return (f"{run}: made by {command} (atnet {manifest['atnet']}) from {inputs_text(manifest['inputs'])}; "
            f"{len(manifest['runs'])} predictions file(s).")


def predictions_text(path: str | Path) -> str:
    """One sentence on a predictions file: its method, protocol and seed and its run's inputs from
    the run's run.json (when it sits in RUN/predictions/), or what is not known without one."""
    path = Path(path)
    run = path.parent.parent if path.parent.name == "predictions" else None
    manifest = manifest_of(run) if run is not None else None
    entry = run_of(manifest, path.name)
    if entry is None:
        return (f"{path}: no {NAME} of its run lists it, so its method, protocol and corpus are known only from "
                f"its name.")
    seed = "" if entry["seed"] is None else f", seed {entry['seed']}"
    return (f"{path}: {entry['method']} under {entry['protocol']}{seed}, from "
            f"{inputs_text(manifest['inputs'])} (atnet {manifest['atnet']}).")
