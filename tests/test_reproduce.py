"""`atnet reproduce` on the tiny synthetic corpus (a reduced configuration): the report comes out end
to end, every number in it is recomputed here from the saved predictions with scikit-learn, and a
run killed midway resumes, training only its unfinished folds, and ends with the same numbers."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score

from atnet.app.cli import main

FAST = ["--size", "64", "--epochs", "1", "--image-size", "32", "--hidden", "8", "--jobs", "1"]
SETS = {"cde": ("full", "casme2", "samm", "smic"), "hde": ("casme2", "samm", "smic")}


def reproduce_args(corpus, cache, out, methods, seeds=2):
    return ["reproduce", "--synthetic", str(corpus), "--cache", str(cache), "--out", str(out),
            "--seeds", str(seeds), "--method", *methods, *FAST]


def sklearn_scores(part: pd.DataFrame) -> dict:
    """Pooled scores computed independently of atnet.metrics."""
    truth, pred = part["truth"].to_numpy(), part["pred"].to_numpy()
    return {"acc": accuracy_score(truth, pred),
            "uf1": f1_score(truth, pred, labels=sorted(set(truth) | set(pred)), average="macro"),
            "uar": recall_score(truth, pred, labels=sorted(set(truth)), average="macro")}


def test_report_numbers_recomputed_from_predictions(tiny_corpus, tmp_path):
    out = tmp_path / "rep"
    methods = ["spatial", "micro-attention", "hoof-n4-tim10"]
    main(reproduce_args(tiny_corpus, tmp_path / "cache", out, methods))
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    for m in methods:
        for p in ("cde", "hde"):
            png = out / "figures" / f"confusion-{m}-{p}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"figures/{png.name}" in md and png.name in page
    assert (out / "figures" / "bars-cde.png").exists() and (out / "figures" / "bars-hde.png").exists()
    context = json.loads(md.split("```json\n")[1].split("```")[0])
    assert context["seeds"] == [0, 1] and context["packages"]["torch"] and context["train"]["epochs"] == 1

    # recompute every cell of Tables II and III from the predictions CSVs
    files = sorted((out / "predictions").glob("*.csv"))
    assert len(files) == 2 * (2 + 2 + 1)        # per protocol: 2 networks x 2 seeds + 1 baseline
    runs = []
    for f in files:
        method, protocol, seed = re.fullmatch(r"(.+)-(cde|hde)(?:-seed(\d+))?\.csv", f.name).groups()
        preds = pd.read_csv(f)
        for s in ("full", "casme2", "samm", "smic"):      # summary.json also pools HDE over all three
            part = preds if s == "full" else preds[preds["dataset"] == s]
            runs.append({"method": method, "protocol": protocol, "seed": seed, "test_set": s, **sklearn_scores(part)})
    ours = pd.DataFrame(runs).groupby(["method", "protocol", "test_set"])
    summary = {(r["method"], r["protocol"], r["test_set"]): r
               for r in json.loads((out / "summary.json").read_text())["summary"]}
    assert set(summary) == set(ours.groups)
    assert json.loads((out / "settings.json").read_text())["prep"]["size"] == 64     # what `atnet view` prepares with
    labels = {"spatial": "ATNet spatial", "micro-attention": "Micro-Attention", "hoof-n4-tim10": "HOOF N=4 TIM=10"}
    for (method, protocol, test_set), g in ours:
        rec = summary[(method, protocol, test_set)]
        keys = ("acc", "uf1", "uar") if protocol == "cde" else ("uf1", "uar")
        cells = []
        for k in keys:
            assert rec[k] == pytest.approx(g[k].mean(), abs=1e-12)
            if len(g) > 1:
                assert rec[f"{k}_std"] == pytest.approx(g[k].std(ddof=1), abs=1e-12)
                cells.append(f"{g[k].mean():.3f} ± {g[k].std(ddof=1):.3f}")
            else:
                cells.append(f"{g[k].mean():.3f}")
        if test_set not in SETS[protocol]:
            continue
        # the same cell, as printed in the Markdown and the HTML report
        table = md.split("## Table II" if protocol == "cde" else "## Table III")[1].split("## ")[0]
        row = next(line for line in table.splitlines() if line.startswith(f"| {labels[method]} | ours"))
        col = 2 + SETS[protocol].index(test_set)
        assert row.split(" | ")[col].strip(" |") == " / ".join(cells)
        assert f"<td>{' / '.join(cells)}</td>" in page


def fold_files(out):
    return {p.name: p.stat().st_mtime_ns for p in (out / "folds").glob("*.npy") if ".tmp" not in p.name}


@pytest.mark.slow
def test_killed_reproduction_resumes_only_unfinished_folds(tiny_corpus, tmp_path, capsys):
    methods, total = ["spatial", "temporal", "hoof-n4-tim10"], 2 * 2 * 9 + 9   # networks x seeds x folds + SVM
    cache = tmp_path / "cache"
    main(reproduce_args(tiny_corpus, cache, tmp_path / "whole", methods))     # uninterrupted, for reference
    capsys.readouterr()

    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "atnet", *reproduce_args(tiny_corpus, cache, out, methods)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(fold_files(out) if (out / "folds").exists() else {}) < 4:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed; give it more work"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = fold_files(out)
    assert 4 <= len(before) < total

    main(reproduce_args(tiny_corpus, cache, out, methods))
    said = re.findall(r"(\d+) of (\d+) folds already saved, (\d+) to run", capsys.readouterr().out)
    assert sum(int(s) for s, _, _ in said) == len(before)                 # every finished fold reused
    assert sum(int(t) for _, _, t in said) == total - len(before)          # only the others trained
    after = fold_files(out)
    assert len(after) == total and all(after[name] == mtime for name, mtime in before.items())

    whole = json.loads((tmp_path / "whole" / "summary.json").read_text())["summary"]
    resumed = json.loads((out / "summary.json").read_text())["summary"]
    key = lambda r: (r["method"], r["protocol"], r["test_set"])  # noqa: E731
    assert sorted(whole, key=key) == sorted(resumed, key=key)
    for name in fold_files(tmp_path / "whole"):
        np.testing.assert_array_equal(np.load(tmp_path / "whole" / "folds" / name), np.load(out / "folds" / name))
