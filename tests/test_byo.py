"""Your own method under atnet's protocols: features in every accepted format give identical
predictions, missing and extra clips are refused or listed, `atnet score --predictions` and
`atnet compare` on runs whose answer is known, and per-corpus LOSO."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy.io import savemat

from atnet.app.cli import main
from atnet.core.classes import CLASSES
from atnet.core.errors import CorpusError
from atnet.evaluation import byo
from atnet.evaluation.metrics import write_megc_log
from atnet.evaluation.protocols import splits


@pytest.fixture(scope="module")
def labels(tiny_corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    main(["corpus", "--synthetic", str(tiny_corpus), "--out", str(path)])
    return path


def vector(dataset, subject, clip, label) -> np.ndarray:
    """A clip's made-up features: its class, plus noise fixed by its name (exact in every format)."""
    seed = int(hashlib.sha256(f"{dataset}{subject}{clip}".encode()).hexdigest()[:8], 16)
    noise = np.random.default_rng(seed).integers(-8, 8, 6) / 8
    return np.concatenate([np.eye(3)[CLASSES.index(label)] * 2, noise])


def write_formats(t: pd.DataFrame, root) -> dict:
    """The same features in each accepted format -> {format: path}."""
    out = {}
    for fmt in ("npy", "mat", "csv"):
        d = root / fmt
        d.mkdir()
        for r in t.itertuples():
            v, name = vector(r.dataset, r.subject, r.clip, r.label), f"{r.dataset}-{r.subject}-{r.clip}"
            if fmt == "npy":
                np.save(d / f"{name}.npy", v)
            elif fmt == "mat":
                savemat(d / f"{name}.mat", {"feat": v.reshape(1, -1)})
            else:
                np.savetxt(d / f"{name}.csv", v[None], delimiter=",", fmt="%.6f")
        out[fmt] = d
    d = root / "index"
    d.mkdir()
    rows = []
    for i, r in enumerate(t.itertuples()):
        np.save(d / f"clip{i}.npy", vector(r.dataset, r.subject, r.clip, r.label))
        rows.append([r.dataset, r.subject, r.clip, f"clip{i}.npy"])
    pd.DataFrame(rows, columns=["dataset", "subject", "clip", "file"]).to_csv(d / "index.csv", index=False)
    out["index"] = d
    feats = np.stack([vector(r.dataset, r.subject, r.clip, r.label) for r in t.itertuples()])
    cols = pd.DataFrame(feats, columns=[f"f{i}" for i in range(feats.shape[1])])
    pd.concat([t[["dataset", "subject", "clip"]], cols], axis=1).to_csv(root / "table.csv", index=False)
    keyed = pd.concat([pd.DataFrame({"key": t["dataset"] + "-" + t["subject"] + "-" + t["clip"]}), cols], axis=1)
    keyed.sample(frac=1, random_state=0).to_csv(root / "keyed.csv", index=False)   # any row order
    out["table"], out["keyed"] = root / "table.csv", root / "keyed.csv"
    return out


def test_every_feature_format_gives_the_same_predictions(labels, tmp_path):
    t = pd.read_csv(labels, dtype=str)
    paths = write_formats(t, tmp_path)
    got = {}
    for fmt, path in paths.items():
        out = tmp_path / f"run-{fmt}"
        main(["evaluate", "--features", str(path), "--labels", str(labels), "--protocol", "cde", "hde",
              "--classifier", "logreg", "--out", str(out)])
        got[fmt] = pd.read_csv(out / "predictions" / "features-logreg-cde.csv")
        assert (out / "predictions" / "features-logreg-hde.log").exists()
    first = got.pop("npy")
    assert len(first) == len(t) == 18 and first["fold"].nunique() == 6
    assert (first["pred"] == first["truth"]).mean() > 0.9     # the features hold the class
    for fmt, preds in got.items():
        pd.testing.assert_frame_equal(first, preds, obj=fmt)


def test_missing_and_extra_clips_are_refused_or_listed(labels, tmp_path, capsys):
    t = pd.read_csv(labels, dtype=str)
    d = write_formats(t, tmp_path)["npy"]
    gone = "-".join(t.loc[3, ["dataset", "subject", "clip"]])
    (d / f"{gone}.npy").unlink()
    np.save(d / "samm-999-999_1_1.npy", np.zeros(9))
    base = ["evaluate", "--features", str(d), "--labels", str(labels), "--protocol", "cde", "--out"]
    with pytest.raises(SystemExit, match=f"no features for 1 of the 18 clips \\(first: {gone}\\); add them, or pass "
                                         "--on-missing leave-out"):
        main(base + [str(tmp_path / "refused")])
    main(base + [str(tmp_path / "left"), "--on-missing", "leave-out", "--classifier", "linear-svm"])
    printed = capsys.readouterr().out
    assert f"{gone}: in the label table, but no features given" in printed
    assert "samm-999-999_1_1: features given, but the clip is not in the label table; not used" in printed
    excluded = pd.read_csv(tmp_path / "left" / "excluded.csv")
    assert sorted(excluded["clip"]) == sorted([gone, "samm-999-999_1_1"])
    assert len(pd.read_csv(tmp_path / "left" / "predictions" / "features-linear-svm-cde.csv")) == 17
    np.save(d / f"{gone}.npy", np.zeros(4))
    with pytest.raises(SystemExit, match="feature vectors differ in length"):
        main(base + [str(tmp_path / "ragged")])


def predictions(truth_pred: dict) -> pd.DataFrame:
    """{subject: [(truth, pred), ...]} -> a predictions table."""
    rows = [(s.split("/")[0], s, f"c{i}", t, p) for s, pairs in truth_pred.items() for i, (t, p) in enumerate(pairs)]
    return pd.DataFrame(rows, columns=["dataset", "subject", "clip", "truth", "pred"])


def test_compare_on_runs_whose_difference_is_known(tmp_path, capsys):
    subjects = [f"casme2/s{i}" for i in range(6)] + [f"smic/s{i}" for i in range(4)]
    truth = {s: [(0, 0), (1, 1), (2, 2)] for s in subjects}
    perfect = predictions(truth)
    same = byo.compare(perfect, perfect)
    assert (same["diff"] == 0).all() and (same["lo"] == 0).all() and (same["hi"] == 0).all()
    wrong = predictions({s: [(0, 1), (1, 2), (2, 0)] for s in subjects})   # every clip wrong
    r = byo.compare(perfect, wrong).set_index(["test_set", "metric"])
    assert r.loc[("full", "uf1"), "diff"] == 1.0 and r.loc[("full", "uf1"), "lo"] == 1.0
    assert r.loc[("smic", "uar"), "subjects"] == 4 and r.loc[("casme2", "uar"), "clips"] == 18
    # B wrong on one subject only: A is better, but a resample without that subject ties
    one_off = predictions({**truth, "casme2/s0": [(0, 1), (1, 2), (2, 0)]})
    r = byo.compare(perfect, one_off, n_boot=500).set_index(["test_set", "metric"])
    assert r.loc[("full", "uar"), "diff"] == pytest.approx(0.1)
    assert r.loc[("full", "uar"), "lo"] == 0.0 and r.loc[("full", "uar"), "hi"] > 0.1
    assert r.loc[("smic", "uf1"), "diff"] == 0 and r.loc[("smic", "uf1"), "hi"] == 0
    # through the CLI: one run as a predictions CSV with class names, the other as a MEGC log
    named = perfect.assign(truth=[CLASSES[i] for i in perfect["truth"]], pred=[CLASSES[i] for i in perfect["pred"]],
                           subject=perfect["subject"].str.split("/").str[1])
    named.to_csv(tmp_path / "a.csv", index=False)
    write_megc_log(wrong, tmp_path / "b.log")
    main(["compare", str(tmp_path / "a.csv"), str(tmp_path / "b.log"), "--boot", "200"])
    out = capsys.readouterr().out
    assert "| full | UF1 | 1.0000 | 0.0000 | +1.0000 | [+1.0000, +1.0000] | 10 | 30 |" in out
    main(["score", "--predictions", str(tmp_path / "a.csv")])
    assert "| full | 30 | 1.0000 | 1.0000 | 1.0000 |" in capsys.readouterr().out
    with pytest.raises(CorpusError, match="the runs hold different clips: 3 in one only"):
        byo.compare(perfect, perfect[perfect["subject"] != "smic/s1"])
    bad = named.copy()
    bad.loc[2, "pred"] = "happy"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(SystemExit, match="bad.csv: row 4, pred is 'happy'; use class ids 0-2 or negative"):
        main(["score", "--predictions", str(tmp_path / "bad.csv")])


def test_loso_corpus_trains_each_fold_on_its_own_corpus():
    t = pd.DataFrame({"dataset": ["casme2"] * 4 + ["samm"] * 4,
                      "subject": ["casme2/a", "casme2/a", "casme2/b", "casme2/c", "samm/x", "samm/y", "samm/y", "samm/z"]})
    folds = splits("loso-corpus", t)
    assert [f[0] for f in folds] == ["casme2/a", "casme2/b", "casme2/c", "samm/x", "samm/y", "samm/z"]
    for name, tr, te in folds:
        assert set(t.subject[te]) == {name}
        assert set(t.dataset[tr]) == {name.split("/")[0]} and name not in set(t.subject[tr])
    with pytest.raises(CorpusError, match="smic has 1: add its subjects or leave the corpus out"):
        splits("loso-corpus", pd.concat([t, pd.DataFrame({"dataset": ["smic"], "subject": ["smic/s1"]})]))
