"""The paper's Table II (CDE: Acc / UF1 / UAR) and Table III (HDE: UF1 / UAR) in the paper's shape,
our numbers beside the paper's, each row labelled with where it comes from (class set megc2019);
for any other class set, one table per protocol of the same shape (rows = methods, columns = the
full set and each corpus given), with no paper rows: the paper reports the composite only. A
table of the same shape as Table II for each protocol beyond the paper's two (loso-corpus,
k-fold-subjects)."""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ...core.readers import read_json
from ...methods import all_methods
from .. import splits


def labels() -> dict[str, str]:
    """Each registered method's row label, in the registry's (the tables') order."""
    return {n: m.label or n for n, m in all_methods().items() if m.group != "classifier"}


CDE_SETS = ("full", "casme2", "samm", "smic")
HDE_SETS = ("casme2", "samm", "smic")
SET_NAMES = {"full": "Full", "casme2": "CASME II", "samm": "SAMM", "smic": "SMIC", "casme3": "CAS(ME)^3",
             "mmew": "MMEW"}
MEGC2019 = "megc2019"   # the class set of the paper's tables


class Record(BaseModel):
    """One row of results.json (and of summary.json's "summary", which adds n_seeds and *_std)."""
    model_config = ConfigDict(extra="allow")
    method: str
    protocol: str
    test_set: str
    acc: float | None
    uf1: float | None
    uar: float | None
    n: int


class Summary(BaseModel):
    model_config = ConfigDict(extra="allow")
    summary: list[Record]


def read_results(path: str | Path) -> list[dict]:
    """results.json of a run folder, checked record by record."""
    return read_json(path, list[Record], "rerun the `atnet evaluate` that wrote it, or delete the file (the "
                                         "predictions/ of the run are kept) and rerun it")


def read_summary(path: str | Path) -> list[dict]:
    """The table rows of a reproduction's summary.json."""
    return read_json(path, Summary, "rerun `atnet reproduce` with the same --out; it recomputes summary.json from "
                                    "the saved predictions")["summary"]


def paper_records() -> list[dict]:
    """The paper's published numbers (real MEGC 2019 composite), as data."""
    text = resources.files(__package__).joinpath("paper_results.json").read_text()
    return json.loads(text)["records"]


def _cell(rec: dict | None, keys) -> str:
    """'0.795 / 0.761 / 0.764'; with several seeds each value is 'mean ± std'."""
    if rec is None:
        return " / ".join("-" for _ in keys)
    def one(k):
        if rec.get(k) is None:
            return "-"
        if rec.get("n_seeds", 1) > 1 and rec.get(f"{k}_std") is not None:
            return f"{rec[k]:.3f} ± {rec[f'{k}_std']:.3f}"
        return f"{rec[k]:.3f}"
    return " / ".join(one(k) for k in keys)


def table_rows(ours: list[dict], protocol: str, sets, keys, ours_label: str,
               with_paper: bool = True) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a table: per method, our row and the paper's row (where it has one)."""
    paper = {(r["method"], r["test_set"]): r for r in paper_records() if r["protocol"] == protocol and with_paper}
    mine = {(r["method"], r["test_set"]): r for r in ours if r["protocol"] == protocol}
    names = labels()
    methods = [m for m in names if any(k[0] == m for k in mine)] + \
        sorted({k[0] for k in mine} - set(names))      # your own features' rows (`--features`) after the methods
    head = ["method", "source"] + [f"{SET_NAMES.get(s, s)} {'/'.join(k.upper() if k != 'acc' else 'Acc' for k in keys)}"
                                   for s in sets]
    rows = []
    for m in methods:
        rows.append([names.get(m, m), ours_label] + [_cell(mine.get((m, s)), keys) for s in sets])
        if any(k[0] == m for k in paper):   # the rows beyond the paper have no paper row
            rows.append([names[m], "paper"] + [_cell(paper.get((m, s)), keys) for s in sets])
    return head, rows


def markdown(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _table(ours: list[dict], protocol: str, sets, keys, ours_label: str) -> str:
    return markdown(*table_rows(ours, protocol, sets, keys, ours_label))


def table_ii(ours: list[dict], ours_label: str = "ours") -> str:
    """CDE (leave one subject out over the composite): Acc / UF1 / UAR for the full set and each corpus."""
    return "Table II (CDE, leave one subject out): Acc / UF1 / UAR\n\n" + \
        _table(ours, "cde", CDE_SETS, ("acc", "uf1", "uar"), ours_label)


def beyond(ours: list[dict]) -> list[str]:
    """The protocols beyond the paper's two that `ours` holds records of, in the registry's order."""
    held = {r["protocol"] for r in ours}
    return [p for p in splits.names() if p not in splits.PAPER and p in held]


def beyond_title(protocol: str) -> str:
    p = splits.get(protocol)
    return f"{p.title or f'{p.name} ({p.description})'}: Acc / UF1 / UAR"


def table_beyond(ours: list[dict], protocol: str, ours_label: str = "ours") -> str:
    """A protocol beyond the paper's tables: Acc / UF1 / UAR, pooled over all folds and per corpus."""
    return beyond_title(protocol) + "\n\n" + _table(ours, protocol, CDE_SETS, ("acc", "uf1", "uar"), ours_label)


def table_loso_corpus(ours: list[dict], ours_label: str = "ours") -> str:
    """Per-corpus LOSO (beyond the paper's tables): Acc / UF1 / UAR, pooled over all folds and per corpus."""
    return table_beyond(ours, "loso-corpus", ours_label)


def class_set_tables(ours: list[dict], class_set: str, ours_label: str = "ours") -> list[tuple[str, list, list]]:
    """[(title, head, rows)]: one table per protocol run, Acc / UF1 / UAR for the full set and each
    corpus present (a class set other than megc2019: no paper rows)."""
    out = []
    for protocol in dict.fromkeys(r["protocol"] for r in ours):
        present = {r["test_set"] for r in ours if r["protocol"] == protocol}
        sets = [s for s in SET_NAMES if s in present] + sorted(present - set(SET_NAMES))   # full first
        head, rows = table_rows(ours, protocol, sets, ("acc", "uf1", "uar"), ours_label, with_paper=False)
        out.append((f"Class set {class_set}, {protocol}: Acc / UF1 / UAR", head, rows))
    return out


def tables_text(ours: list[dict], class_set: str = MEGC2019, ours_label: str = "ours") -> str:
    """The tables of a run's records: Tables II and III (and per-corpus LOSO) for megc2019, else
    class_set_tables."""
    if class_set != MEGC2019:
        return "\n\n".join(f"{title}\n\n{markdown(head, rows)}" for title, head, rows
                            in class_set_tables(ours, class_set, ours_label))
    text = table_ii(ours, ours_label) + "\n\n" + table_iii(ours, ours_label)
    for protocol in beyond(ours):   # loso-corpus, k-fold-subjects: a table each
        text += "\n\n" + table_beyond(ours, protocol, ours_label)
    return text


def table_iii(ours: list[dict], ours_label: str = "ours") -> str:
    """HDE (train on two corpora, test on the third): UF1 / UAR per held-out corpus."""
    return "Table III (HDE, train on two corpora, test on the third): UF1 / UAR\n\n" + \
        _table(ours, "hde", HDE_SETS, ("uf1", "uar"), ours_label)
