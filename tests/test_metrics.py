import numpy as np
import pandas as pd
import pytest

from atnet.evaluation.metrics import confusion, read_megc_log, scores, summarize, write_megc_log


def test_scores_on_a_hand_computed_confusion_matrix():
    # rows truth, columns prediction (negative, positive, surprise)
    cm = np.array([[6, 2, 2],
                   [1, 3, 0],
                   [0, 1, 1]])
    s = scores(cm)
    assert s["acc"] == pytest.approx(10 / 16)
    # F1: negative 12/(12+1+4) = 12/17, positive 6/(6+3+1) = 0.6, surprise 2/(2+2+1) = 0.4
    assert s["uf1"] == pytest.approx((12 / 17 + 0.6 + 0.4) / 3)
    # recall: 6/10, 3/4, 1/2
    assert s["uar"] == pytest.approx((0.6 + 0.75 + 0.5) / 3)
    # UAR is the mean recall, not the mean precision (6/7, 3/6, 1/3), which differs here
    macro_precision = (6 / 7 + 3 / 6 + 1 / 3) / 3
    assert abs(s["uar"] - macro_precision) > 0.05


def test_pooled_is_not_the_mean_of_folds():
    # two LOSO folds, each holding one class only
    preds = pd.DataFrame({"dataset": ["casme2"] * 4, "subject": ["casme2/sub01"] * 2 + ["casme2/sub02"] * 2,
                          "clip": ["a", "b", "c", "d"], "truth": [0, 0, 1, 1], "pred": [0, 1, 1, 1]})
    full = summarize(preds)[0]
    cm = confusion([0, 0, 1, 1], [0, 1, 1, 1])
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    assert full["uf1"] == pytest.approx((2 / 3 + 4 / 5) / 2)   # surprise absent from truth and predictions
    assert full["uar"] == pytest.approx((0.5 + 1.0) / 2)


def test_summary_has_the_full_set_and_each_corpus():
    preds = pd.DataFrame({"dataset": ["casme2", "samm", "smic"], "subject": ["casme2/sub01", "samm/006", "smic/s01"],
                          "clip": ["EP01_01f", "006_1_2", "s01_ne_01"], "truth": [0, 1, 2], "pred": [0, 1, 0]})
    out = {r["test_set"]: r for r in summarize(preds)}
    assert set(out) == {"full", "casme2", "samm", "smic"}
    assert out["smic"]["acc"] == 0 and out["casme2"]["acc"] == 1 and out["full"]["n"] == 3


def test_megc_log_round_trip(tmp_path):
    preds = pd.DataFrame({"dataset": ["casme2", "casme2", "samm"],
                          "subject": ["casme2/sub01", "casme2/sub01", "samm/006"],
                          "clip": ["EP02_01f", "EP03_02f", "006_1_2"], "truth": [1, 0, 2], "pred": [1, 2, 2]})
    path = tmp_path / "log.txt"
    write_megc_log(preds, path)
    assert path.read_text().splitlines() == ["casme2 sub01", "EP02_01f 1 1", "EP03_02f 0 2", "samm 006",
                                             "006_1_2 2 2"]
    back = read_megc_log(path)
    pd.testing.assert_frame_equal(back, preds[["dataset", "subject", "clip", "truth", "pred"]])


def test_malformed_megc_log_names_the_line(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text("casme2 sub01\nEP02_01f one 1\n")
    with pytest.raises(ValueError, match=r"log.txt:2"):
        read_megc_log(path)
