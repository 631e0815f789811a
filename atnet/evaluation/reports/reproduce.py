"""The reproduction report (`atnet reproduce`): every number recomputed from the saved predictions.

Each run of a method under a protocol (one per seed for the networks; the SVM baselines are
deterministic and run once) left a predictions table in DIR/predictions. From those tables alone
this module computes the pooled Acc / UF1 / UAR per run, their mean and standard deviation over
seeds, the confusion matrices, and writes:

  DIR/report.md, DIR/report.html    Tables II and III beside the paper's numbers (and one table per
                                    protocol beyond them that ran); settings, seeds, package
                                    versions, wall time; the figures
  DIR/summary.json                  the numbers of the tables (mean, std, n_seeds per cell)
  DIR/figures/confusion-M-P.png     pooled confusion matrix per method and protocol (summed over seeds)
  DIR/figures/bars-P.png            UF1 per test set and method (mean, std as error bars), paper as dots
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.cache import atomic, write_atomic
from .. import metrics
from . import (CDE_SETS, HDE_SETS, MEGC2019, SET_NAMES, beyond, beyond_title, class_set_tables, labels, markdown,
               paper_records, table_rows)

TABLES = {"cde": ("Table II (CDE, leave one subject out): Acc / UF1 / UAR", CDE_SETS, ("acc", "uf1", "uar")),
          "hde": ("Table III (HDE, train on two corpora, test on the third): UF1 / UAR", HDE_SETS, ("uf1", "uar"))}


def load_predictions(runs: list[dict], folder: Path) -> list[tuple[dict, pd.DataFrame]]:
    """runs: [{"method", "protocol", "seed" (None for a baseline), "predictions": file name}] ->
    each run with its predictions table, read once from DIR/predictions/<file>."""
    return [(run, pd.read_csv(folder / "predictions" / run["predictions"])) for run in runs]


def run_records(loaded: list[tuple[dict, pd.DataFrame]]) -> list[dict]:
    """One record per run and test set, computed from its predictions."""
    out = []
    for run, preds in loaded:
        for r in metrics.summarize(preds, metrics.classes_of(preds)):
            out.append({"method": run["method"], "protocol": run["protocol"], "seed": run["seed"], **r})
    return out


def aggregate(records: list[dict]) -> list[dict]:
    """Mean and sample standard deviation (ddof 1) over seeds, per method, protocol and test set."""
    df = pd.DataFrame(records)
    out = []
    for (method, protocol, test_set), g in df.groupby(["method", "protocol", "test_set"], sort=False):
        rec = {"method": method, "protocol": protocol, "test_set": test_set, "n": int(g["n"].iloc[0]),
               "n_seeds": len(g), "seeds": [None if pd.isna(s) else int(s) for s in g["seed"]]}
        for k in ("acc", "uf1", "uar"):
            rec[k] = float(g[k].mean())
            rec[f"{k}_std"] = float(g[k].std(ddof=1)) if len(g) > 1 else None
        out.append(rec)
    return out


def confusions(loaded: list[tuple[dict, pd.DataFrame]]) -> dict[tuple[str, str], np.ndarray]:
    """Pooled confusion matrix per (method, protocol), summed over its seeds."""
    cms: dict[tuple[str, str], np.ndarray] = {}
    for run, preds in loaded:
        key = (run["method"], run["protocol"])
        k = len(metrics.classes_of(preds))
        cms[key] = cms.get(key, 0) + metrics.confusion(preds["truth"], preds["pred"], k)
    return cms


def _plots(summary: list[dict], cms: dict, n_seeds: dict, fig_dir: Path, classes, class_set: str) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (method, protocol), cm in cms.items():
        fig, ax = plt.subplots(figsize=(max(3.6, 0.6 * len(classes) + 1.8), max(3.2, 0.5 * len(classes) + 1.7)),
                               dpi=100)
        ax.imshow(cm, cmap="Blues")
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                ax.text(j, i, int(cm[i, j]), ha="center", va="center",
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
        ax.set_xticks(range(len(classes)), classes, fontsize=8, rotation=45 if len(classes) > 3 else 0)
        ax.set_yticks(range(len(classes)), classes, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("truth")
        seeds = n_seeds[(method, protocol)]
        ax.set_title(f"{labels().get(method, method)}, {protocol.upper()}" + (f" ({seeds} seeds)" if seeds > 1 else ""),
                     fontsize=8)
        fig.tight_layout()
        path = fig_dir / f"confusion-{method}-{protocol}.png"
        with atomic(path) as tmp:
            fig.savefig(tmp, format="png")
        plt.close(fig)
        written.append(path)
    paper = {(r["method"], r["protocol"], r["test_set"]): r for r in paper_records()}
    for protocol, (_, sets, _) in (TABLES if class_set == MEGC2019 else {}).items():   # beside the paper's
        recs = {(r["method"], r["test_set"]): r for r in summary if r["protocol"] == protocol}
        names = labels()
        methods = [m for m in names if any(k[0] == m for k in recs)] + sorted({k[0] for k in recs} - set(names))
        if not methods:
            continue
        fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(sets) + 0.35 * len(methods)), 4), dpi=100)
        width = 0.8 / len(methods)
        for i, m in enumerate(methods):
            x = np.arange(len(sets)) + (i - (len(methods) - 1) / 2) * width
            ours = [recs.get((m, s), {}) for s in sets]
            ax.bar(x, [r.get("uf1", np.nan) for r in ours], width,
                   yerr=[r.get("uf1_std") or 0 for r in ours], label=names.get(m, m), color=plt.cm.tab20(i % 20))
            ax.plot(x, [paper.get((m, protocol, s), {}).get("uf1", np.nan) for s in sets], "k.", markersize=4)
        ax.set_xticks(range(len(sets)), [SET_NAMES[s] for s in sets])
        ax.set_ylabel("UF1 (bars: ours; dots: paper)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{protocol.upper()}: UF1 per test set")
        ax.legend(fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1, 1))
        fig.tight_layout()
        path = fig_dir / f"bars-{protocol}.png"
        with atomic(path) as tmp:
            fig.savefig(tmp, format="png")
        plt.close(fig)
        written.append(path)
    return written


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in rows)
    return f"<table>\n<tr>{cells}</tr>\n{body}</table>"


def inflation_rows(folder: Path, runs: list[dict]) -> list[list[str]]:
    """The rows of the test-fold-selection table, from epochs/NAME.json of the runs that traced epochs."""
    rows = []
    for run in runs:
        path = folder / "epochs" / (Path(run["predictions"]).stem + ".json")
        if not path.exists():
            continue
        r = json.loads(path.read_text())
        last, best = r["last_epoch"], r["best_epoch_per_test_fold"]
        rows.append([r["run"], str(r["epochs"]), f"{last['uf1']:.3f} / {last['uar']:.3f}",
                     f"{best['uf1']:.3f} / {best['uar']:.3f}", f"{best['uf1'] - last['uf1']:+.3f}"])
    return rows


def write_report(folder: str | Path, runs: list[dict], context: dict, label: str = "ours") -> list[dict]:
    """Compute every number from the predictions of `runs` and write the report files. `context`
    holds what the report states: corpus, settings, seeds, packages, wall time. Returns the summary."""
    folder = Path(folder)
    loaded = load_predictions(runs, folder)
    records = run_records(loaded)
    summary = aggregate(records)
    cms = confusions(loaded)
    n_seeds = {(r["method"], r["protocol"]): r["n_seeds"] for r in summary}
    class_set = context.get("class_set", MEGC2019)
    classes = metrics.classes_of(loaded[0][1]) if loaded else ()
    figures = _plots(summary, cms, n_seeds, folder / "figures", classes, class_set)
    write_atomic(folder / "summary.json", json.dumps({"runs": records, "summary": summary}, indent=1))

    md = ["# ATNet reproduction report", ""]
    page = ["<!doctype html><html><head><meta charset='utf-8'><title>ATNet reproduction report</title>",
            "<style>body{font-family:sans-serif;max-width:80em;margin:auto}table{border-collapse:collapse;"
            "font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}img{margin:4px}</style></head><body>",
            "<h1>ATNet reproduction report</h1>"]
    for line in context.get("notes", []):
        md += [line, ""]
        page.append(f"<p>{html.escape(line)}</p>")
    if class_set == MEGC2019:   # Tables II and III, then loso-corpus, k-fold-subjects
        tables = [(title, *table_rows(summary, p, sets, keys, label)) for p, (title, sets, keys) in TABLES.items()]
        tables += [(beyond_title(p), *table_rows(summary, p, CDE_SETS, ("acc", "uf1", "uar"), label))
                   for p in beyond(summary)]
    else:
        tables = class_set_tables(summary, class_set, label)
    for title, head, rows in tables:
        if not rows:
            continue
        md += [f"## {title}", "", markdown(head, rows), ""]
        page += [f"<h2>{html.escape(title)}</h2>", _html_table(head, rows)]
    inflation = inflation_rows(folder, runs)
    if inflation:
        title = "What picking each test subject's best epoch would have reported (not used: a choice on the test fold)"
        head = ["run", "epochs", "last epoch UF1 / UAR", "best epoch per test fold UF1 / UAR", "UF1 gain"]
        text = ("--trace-epochs recorded every epoch's test predictions beside the final ones. The tables above "
                "are the last epoch's, as atnet always reports. Many published numbers instead keep each test "
                "subject's best epoch; this is what that choice would report on these data.")
        md += [f"## {title}", "", text, "", markdown(head, inflation), ""]
        page += [f"<h2>{html.escape(title)}</h2>", f"<p>{html.escape(text)}</p>", _html_table(head, inflation)]
    md += ["## Figures", ""]
    page.append("<h2>Figures</h2>")
    for path in sorted(figures, key=lambda p: (not p.name.startswith("bars"), p.name)):
        rel = path.relative_to(folder).as_posix()
        md.append(f"![{path.stem}]({rel})")
        page.append(f"<img src='{rel}' alt='{path.stem}'>")
    settings = json.dumps({k: v for k, v in context.items() if k != "notes"}, indent=1)
    md += ["", "## Settings, seeds and packages", "", "```json", settings, "```", ""]
    page += ["<h2>Settings, seeds and packages</h2>", f"<pre>{html.escape(settings)}</pre>", "</body></html>"]
    write_atomic(folder / "report.md", "\n".join(md))
    write_atomic(folder / "report.html", "\n".join(page))
    return summary
