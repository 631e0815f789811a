"""The command line end to end on the tiny synthetic corpus (a few seconds of real training)."""
import json

import pandas as pd
import pytest

from atnet.app.cli import main

FAST = ["--size", "64", "--epochs", "1", "--image-size", "32", "--hidden", "8", "--jobs", "1"]


def test_evaluate_writes_predictions_and_pooled_results(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--out", str(out),
            "--protocol", "cde", "hde", "--method", "temporal", "atnet", "hoof-n4-tim10", "lbptop-p4-tim10", *FAST]
    main(args)
    records = json.loads((out / "results.json").read_text())
    keys = {(r["method"], r["protocol"], r["test_set"]) for r in records}
    assert keys == {(m, p, t) for m in ("temporal", "atnet", "hoof-n4-tim10", "lbptop-p4-tim10") for p in ("cde", "hde")
                    for t in ("full", "casme2", "samm", "smic")}
    for r in records:
        assert {"method", "protocol", "test_set", "acc", "uf1", "uar"} <= set(r)
        assert 0 <= r["acc"] <= 1 and 0 <= r["uf1"] <= 1 and 0 <= r["uar"] <= 1
    preds = pd.read_csv(out / "predictions" / "atnet-cde.csv")
    assert len(preds) == 18 and preds["clip"].is_unique
    assert (preds.groupby("fold")["subject"].nunique() == 1).all()      # one subject per CDE fold
    assert (out / "predictions" / "atnet-hde.log").read_text().startswith("casme2 sub")
    text = capsys.readouterr().out
    assert "Table II" in text and "Table III" in text and "| ATNet fusion | paper | 0.693 / 0.631 / 0.613" in text
    # a rerun with the same settings trains nothing: every fold is reused
    folds = {p: p.stat().st_mtime_ns for p in (out / "folds").iterdir()}
    main(args)
    assert {p: p.stat().st_mtime_ns for p in (out / "folds").iterdir()} == folds
    main(["report", str(out)])
    assert "ATNet temporal" in capsys.readouterr().out


def test_user_mistakes_get_one_sentence(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["evaluate", "--samm", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert "no such folder" in str(e.value.code)
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path)])
    assert "results.json: not found" in str(e.value.code)
