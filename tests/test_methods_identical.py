"""Every method predicts what it predicted at ca9d92d (before the method registry and the package
re-layout): the same clips, the same predicted class, the same probabilities (within ATOL).

The golden files under tests/data/golden/ were written by benchmarks/make_golden.py, which runs
`capture` below on the code of ca9d92d. Only the top-level API is used (atnet.Inputs,
atnet.evaluate_run, atnet.evaluate_features, atnet.PrepConfig, atnet.TrainConfig), so this file
needs no change when modules move. The corpus is the tiny synthetic one of conftest.py (18 clips,
6 subjects); the protocol is HDE (3 folds: a few folds, and about a third of CDE's 6 trainings per
network).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"
PROTOCOL = "hde"
# the demo's recipe (runs.DEMO_TRAIN at ca9d92d), pinned to the CPU: on a GPU host "auto" would
# train on CUDA, whose kernels differ from the CPU's by far more than ATOL
TRAIN = dict(epochs=40, lr_step=16, batch_size=32, lr=0.02, image_size=32, hidden=64, device="cpu")
NETWORKS = ("spatial", "temporal", "atnet", "micro-attention", "spatial-fer", "atnet-fer")
PROBES = ("fer-probe",)
BASELINES = ("lbptop-p4-tim10", "lbptop-p8-tim10", "lbptop-p4-tim64", "lbptop-p8-tim64",
             "hoof-n4-tim10", "hoof-n8-tim10", "hoof-n4-tim64", "hoof-n8-tim64")
METHODS = NETWORKS + PROBES + BASELINES                    # through atnet.evaluate_run
CLASSIFIERS = ("logreg", "linear-svm", "poly-svm")         # through atnet.evaluate_features
ROWS = METHODS + tuple(f"features-{c}" for c in CLASSIFIERS)
KEY = ["dataset", "subject", "clip"]
COLUMNS = KEY + ["fold", "truth", "pred", "p_negative", "p_positive", "p_surprise"]
PROBS = ["p_negative", "p_positive", "p_surprise"]
# Why a tolerance at all: the probabilities are sums of float32 products, and their order (BLAS
# build, SIMD width, thread count: torch gets the machine's cores with jobs=1) may change across
# machines and library builds; the same code on the same machine gives them bit for bit (checked
# when the golden files were written). 1e-5 is far below any change a refactor could cause.
ATOL = 1e-5


def golden_path(row: str) -> Path:
    return GOLDEN / f"{row}-{PROTOCOL}.csv"


def read(path: Path) -> pd.DataFrame:
    """A predictions CSV, the names as text (a SAMM subject "006" stays "006")."""
    t = pd.read_csv(path, dtype={"dataset": str, "subject": str, "clip": str, "fold": str})
    return t[COLUMNS]


def features_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """A small per-clip features table (dataset, subject, clip, f0..f5), deterministic: seeded
    noise, plus a shift by the clip's label on the first three columns so the classifiers learn
    something (and make a few mistakes: the shift is about the noise's size)."""
    t = predictions[KEY + ["truth"]].sort_values(KEY).reset_index(drop=True)
    rng = np.random.default_rng(2019)
    x = rng.normal(size=(len(t), 6))
    x[np.arange(len(t)), t["truth"].to_numpy()] += 1.5
    t = t[KEY].copy()
    for j in range(x.shape[1]):
        t[f"f{j}"] = np.round(x[:, j], 6)   # written and read back exactly
    return t


def capture(corpus_root: str | Path, work: str | Path) -> dict[str, pd.DataFrame]:
    """Every row's predictions ({row: table of COLUMNS}) on the synthetic corpus at corpus_root,
    run under `work` (a fresh folder: a run folder reuses the folds already saved in it)."""
    import atnet
    work = Path(work)
    inputs = atnet.Inputs(synthetic=str(corpus_root), cache=str(work / "cache"), jobs=1)
    atnet.evaluate_run(inputs, list(METHODS), [PROTOCOL], atnet.PrepConfig(), atnet.TrainConfig(**TRAIN),
                       work / "run")
    out = {m: read(work / "run" / "predictions" / f"{m}-{PROTOCOL}.csv") for m in METHODS}
    features = work / "features.csv"
    features_table(out[BASELINES[0]]).to_csv(features, index=False)
    for c in CLASSIFIERS:
        atnet.evaluate_features(features, [PROTOCOL], work / f"features-{c}", inputs=inputs, classifier=c, jobs=1)
        out[f"features-{c}"] = read(work / f"features-{c}" / "predictions" / f"features-{c}-{PROTOCOL}.csv")
    return out


def differences(row: str, got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    """What differs between a row's predictions now and its golden file (empty: identical)."""
    problems = []
    if got[KEY].duplicated().any():
        problems.append(f"{row}: {int(got[KEY].duplicated().sum())} clips predicted more than once")
    g, w = (t.set_index(KEY).sort_index() for t in (got, want))
    only_now, only_then = g.index.difference(w.index), w.index.difference(g.index)
    if len(only_now) or len(only_then):
        problems.append(f"{row}: {len(only_now)} clips predicted now but not at ca9d92d (first: "
                        f"{list(only_now[:1])}), {len(only_then)} clips then but not now (first: {list(only_then[:1])})")
    both = g.index.intersection(w.index)
    g, w = g.loc[both], w.loc[both]
    for col in ("fold", "truth"):
        bad = g[col] != w[col]
        if bad.any():
            problems.append(f"{row}: {int(bad.sum())} of {len(both)} clips have another {col} "
                            f"(first: {bad[bad].index[0]}: {w[col][bad].iloc[0]} then, {g[col][bad].iloc[0]} now)")
    bad = g["pred"] != w["pred"]
    if bad.any():
        problems.append(f"{row}: {int(bad.sum())} of {len(both)} clips have another pred "
                        f"(first: {bad[bad].index[0]}: {w['pred'][bad].iloc[0]} then, {g['pred'][bad].iloc[0]} now)")
    gap = (g[PROBS] - w[PROBS]).abs().max(axis=1, skipna=False).fillna(np.inf)   # a NaN counts as a difference
    bad = gap > ATOL
    if bad.any():
        problems.append(f"{row}: {int(bad.sum())} of {len(both)} clips have probabilities off by more than {ATOL} "
                        f"(largest {gap.max():.3g}, at {gap.idxmax()})")
    return problems


def test_the_golden_set_covers_every_method():
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    assert set(manifest["rows"]) == set(ROWS), \
        f"golden rows missing: {sorted(set(ROWS) - set(manifest['rows']))}, extra: " \
        f"{sorted(set(manifest['rows']) - set(ROWS))}; rerun benchmarks/make_golden.py on the old code"
    assert manifest["protocol"] == PROTOCOL and manifest["train"] == TRAIN
    missing = [r for r in ROWS if not golden_path(r).is_file()]
    assert not missing, f"no golden file for {missing}"
    for r in ROWS:
        t = read(golden_path(r))
        assert len(t) == 18 and t["fold"].nunique() == 3, f"{r}: golden file holds {len(t)} clips"


@pytest.fixture(scope="module")
def current(tiny_corpus, tmp_path_factory):
    return capture(tiny_corpus, tmp_path_factory.mktemp("identical"))


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS)
def test_predictions_are_those_of_ca9d92d(row, current):
    assert row in current, f"{row}: no predictions now"
    problems = differences(row, current[row], read(golden_path(row)))
    assert not problems, "\n".join(problems)
