"""--trace-epochs: every epoch's test predictions recorded beside the final ones, changing nothing of
them, and what picking each test fold's best epoch would report (never used to choose anything)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from atnet.app.cli import main
from atnet.evaluation.metrics import best_epoch_per_fold


def test_best_epoch_per_fold_keeps_the_epoch_with_most_correct_test_clips_a_tie_to_the_later():
    rows = []
    for fold, truth, preds in (("a", [0, 1], {1: [0, 0], 2: [0, 1], 3: [1, 1]}),      # epoch 2: both right
                               ("b", [2, 2], {1: [2, 0], 2: [0, 0], 3: [0, 2]})):     # 1 and 3 tie: 3
        for epoch, pred in preds.items():
            for i, (t, p) in enumerate(zip(truth, pred)):
                rows.append({"clip": f"{fold}{i}", "fold": fold, "epoch": epoch, "truth": t, "pred": p})
    picked = best_epoch_per_fold(pd.DataFrame(rows))
    assert dict(zip(picked["clip"], picked["epoch"])) == {"a0": 2, "a1": 2, "b0": 3, "b1": 3}
    assert (picked["truth"] == picked["pred"]).sum() == 3


FAST = ["--size", "64", "--epochs", "3", "--image-size", "32", "--hidden", "8", "--jobs", "1", "--face", "haar",
        "--protocol", "cde", "--method", "temporal", "hoof-n4-tim10"]


def test_tracing_records_every_epoch_and_leaves_the_final_predictions_as_they_are(tiny_corpus, tmp_path, capsys):
    cache = ["--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache")]
    main(["evaluate", *cache, "--out", str(tmp_path / "plain"), *FAST])
    main(["evaluate", *cache, "--out", str(tmp_path / "traced"), "--trace-epochs", *FAST])
    plain = pd.read_csv(tmp_path / "plain" / "predictions" / "temporal-cde.csv")
    traced = pd.read_csv(tmp_path / "traced" / "predictions" / "temporal-cde.csv")
    pd.testing.assert_frame_equal(plain, traced)                     # tracing changes nothing of the run
    epochs = pd.read_csv(tmp_path / "traced" / "epochs" / "temporal-cde.csv")
    assert sorted(set(epochs["epoch"])) == [1, 2, 3] and len(epochs) == 3 * len(traced)
    p = [c for c in traced.columns if c.startswith("p_")]
    last = traced[["subject", "clip"]].merge(epochs[epochs["epoch"] == 3], on=["subject", "clip"])
    assert len(last) == len(traced) and np.allclose(last[p].to_numpy(), traced[p].to_numpy(), atol=1e-6)
    rec = json.loads((tmp_path / "traced" / "epochs" / "temporal-cde.json").read_text())
    assert rec["best_epoch_per_test_fold"]["acc"] >= rec["last_epoch"]["acc"]   # more correct clips, never fewer
    assert not (tmp_path / "traced" / "epochs" / "hoof-n4-tim10-cde.csv").exists()   # no epochs: nothing to trace
    assert "picking each test fold's best epoch (a choice on the test fold, never made here)" in capsys.readouterr().out
