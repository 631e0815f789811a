"""Class sets: which classes a run recognises, and how each corpus's own labels map onto them. Data,
not code: the built-in sets are atnet/data/class_sets.json; a user's set is a JSON file of the same
shape (`--classes my.json`), checked with a schema before any work.

A class set is a name, its ordered classes (class id = position), and for each corpus it serves:
  column    the annotation the map reads: "emotion" (the estimated emotion, or SMIC's folder) or
            "objective" (the objective class, I-VII: SAMM's column, CASME II's separate sheet)
  map       the corpus's value (written lower-case) -> a class of the set
  left_out  the values the set leaves out on purpose (each such clip is listed with the reason)
  exclude   subject/clip -> why the set drops that clip (e.g. not in an official list)
A value in neither map nor left_out is left out too, with its own reason (an unknown label).
A corpus with no entry cannot be served: a run asking for it is refused before any work.

    import atnet.data.classsets as cs
    s = cs.get("casme2-5")            # or cs.get("path/to/my.json")
    s.classes                         -> ("happiness", "disgust", "repression", "surprise", "others")
    s.label("casme2", "Disgust")      -> "disgust"
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.classes import CLASSES, CORPORA
from ..core.errors import CorpusError
from ..core.readers import read_json

DEFAULT = "megc2019"
COLUMNS = ("emotion", "objective")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")   # goes into run folders' records and model headers


@dataclass(frozen=True)
class Rule:
    """How one corpus's labels map onto a class set."""
    column: str
    map: dict = field(hash=False)
    left_out: tuple[str, ...] = ()
    exclude: dict = field(default_factory=dict, hash=False)

    def label(self, value) -> str | None:
        return self.map.get(norm(value))

    def why_not(self, value, name: str) -> str:
        """The reason a clip of this value has no class in the set `name`."""
        v = norm(value)
        what = "objective class" if self.column == "objective" else "emotion"
        if v in ("", "nan", "none"):
            return f"no {what} is given for it, so the class set {name} cannot label it"
        if v in self.left_out:
            return f"{what} {value!r} is left out of the class set {name}"
        return (f"{what} {value!r} is not one the class set {name} knows (it maps "
                f"{', '.join(sorted(self.map))}; it leaves out {', '.join(self.left_out) or 'nothing'})")


@dataclass(frozen=True)
class ClassSet:
    name: str
    classes: tuple[str, ...]
    corpora: dict = field(hash=False)           # corpus -> Rule
    description: str = ""
    papers: tuple[str, ...] = ()
    source: str = "built-in"                    # built-in, or the JSON file it was read from

    @property
    def k(self) -> int:
        return len(self.classes)

    def serves(self, corpus: str) -> bool:
        return corpus in self.corpora

    def rule(self, corpus: str) -> Rule:
        """The corpus's rule; a corpus the set has no map for is one sentence."""
        if corpus not in self.corpora:
            raise CorpusError(f"--classes {self.name}: the class set has no map for the corpus {corpus} (it serves "
                              f"{', '.join(self.corpora)}); leave {corpus} out or choose a set that serves it "
                              f"(`atnet classes` lists them).")
        return self.corpora[corpus]

    def label(self, corpus: str, value) -> str | None:
        return self.rule(corpus).label(value)

    def index(self, label: str) -> int:
        return self.classes.index(label)

    def check_corpora(self, corpora) -> None:
        """Refuse, before any work, corpora the set cannot serve."""
        for c in corpora:
            self.rule(c)


def norm(value) -> str:
    """A label cell as the maps write it: stripped, lower-case; a whole number without its '.0'."""
    text = str(value).strip().lower()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


class _RuleSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = "emotion"
    map: dict[str, str]
    left_out: list[str] = []
    exclude: dict[str, str] = {}

    @field_validator("column")
    @classmethod
    def _column(cls, v):
        if v not in COLUMNS:
            raise ValueError(f"must be one of {', '.join(COLUMNS)}")
        return v


class _SetSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    papers: list[str] = []
    classes: list[str] = Field(min_length=2)
    corpora: dict[str, _RuleSchema] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v):
        if not NAME.fullmatch(v):
            raise ValueError("must be 1 to 64 letters, digits and . _ + -, starting with a letter or digit")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes {self.classes} name a class twice")
        bad = [c for c in self.classes if not NAME.fullmatch(c)]
        if bad:   # a class becomes a column name, p_<class>
            raise ValueError(f"class {bad[0]!r}: a class name is 1 to 64 letters, digits and . _ + -")
        for corpus, rule in self.corpora.items():
            if corpus not in CORPORA:
                raise ValueError(f"corpus {corpus!r} is not one atnet reads ({', '.join(CORPORA)})")
            wrong = [v for v in rule.map.values() if v not in self.classes]
            if wrong:
                raise ValueError(f"{corpus} maps onto {wrong[0]!r}, which is not one of the classes {self.classes}")
            both = set(map(norm, rule.map)) & set(map(norm, rule.left_out))
            if both:
                raise ValueError(f"{corpus}: {sorted(both)[0]!r} is both mapped and left out")
        return self


def _build(raw: dict, source: str) -> ClassSet:
    s = _SetSchema.model_validate(raw)
    rules = {c: Rule(r.column, {norm(k): v for k, v in r.map.items()}, tuple(norm(v) for v in r.left_out),
                     dict(r.exclude)) for c, r in s.corpora.items()}
    return ClassSet(s.name, tuple(s.classes), rules, s.description, tuple(s.papers), source)


@lru_cache(maxsize=1)
def builtin() -> dict[str, ClassSet]:
    raw = json.loads(resources.files("atnet.data").joinpath("class_sets.json").read_text())
    return {s["name"]: _build(s, "built-in") for s in raw["sets"]}


def names() -> tuple[str, ...]:
    return tuple(builtin())


def read(path: str | Path) -> ClassSet:
    """A user's class set from a JSON file; anything that does not fit the schema is one sentence."""
    fix = "a class set is {\"name\", \"classes\": [...], \"corpora\": {corpus: {\"map\": {...}}}} as in " \
          "atnet/data/class_sets.json"
    s = _build(read_json(path, _SetSchema, fix), str(path))   # the schema's complaint is one sentence there
    if s.name in builtin():
        raise CorpusError(f"{path}: names its class set {s.name!r}, which is a built-in set's name; rename it so "
                          f"that runs of the two are never taken for one another.")
    return s


def get(name_or_path: str | Path | ClassSet | None = None) -> ClassSet:
    """A built-in set by name, a user's set from a .json path, or the set itself (None: megc2019)."""
    if isinstance(name_or_path, ClassSet):
        return name_or_path
    text = str(name_or_path or DEFAULT)
    if text in builtin():
        return builtin()[text]
    if text.lower().endswith(".json") or Path(text).is_file():
        return read(text)
    raise CorpusError(f"--classes {text}: no such class set; choose one of {', '.join(builtin())}, or give a JSON "
                      f"file of your own (`atnet classes` lists them).")


def megc2019() -> ClassSet:
    s = builtin()[DEFAULT]
    assert s.classes == CLASSES
    return s
