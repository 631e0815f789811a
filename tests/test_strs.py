"""STRS (atnet/spotting/strs.py): the reference implementation's numbers on its own sample data
(../shared/data/annotations/strs, marked realdata), and one hand-made case for each way the
reference (genbing99/STRS-Metric strs_metric.py @eb86468) departs from its description, scored in
both modes; the reader's refusals; `atnet score --strs`."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.core.errors import CorpusError
from atnet.spotting.strs import COLUMNS, both, read_str_table, strs

ANNOTATIONS = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations",
                                Path("/work/shared/data/annotations")) if p.is_dir()), None)
SAMPLE = ANNOTATIONS / "strs" if ANNOTATIONS else None
needs = pytest.mark.skipif(SAMPLE is None or not (SAMPLE / "gt.csv").is_file(),
                           reason="../shared/data/annotations/strs (the reference's sample data) is absent")


def table(*rows) -> pd.DataFrame:
    """Rows (video, onset, offset, emotion) of subject 1, or (subject, video, onset, offset, emotion)."""
    return pd.DataFrame([r if len(r) == 5 else (1, *r) for r in rows], columns=list(COLUMNS))


def numbers(r: dict) -> dict:
    s, a = r["spotting"], r["analysis"]
    out = {k: s[k] for k in ("tp", "fp", "fn")} | {f"a_{k}": a[k] for k in ("tp", "fp", "fn")}
    out |= {k: round(v, 4) for k, v in (("spot_f1", s["f1"]), ("precision", a["precision"]), ("recall", a["recall"]),
                                         ("f1", a["f1"]), ("uf1", a["uf1"]), ("uar", a["uar"]), ("strs", r["strs"]))}
    return out


# ---------------------------------------------------------------------------------------- the sample data

@pytest.mark.realdata
@needs
def test_the_reference_numbers_on_its_sample_data():
    pred, truth = read_str_table(SAMPLE / "pred.csv"), read_str_table(SAMPLE / "gt.csv")
    assert len(pred) == len(truth) == 244 and (pred["onset"] < 0).sum() == 8   # predictions from before the first frame
    r = both(pred, truth)
    assert r["reference"]["classes"] == ("disgust", "happiness", "others", "repression", "surprise")
    assert numbers(r["reference"]) == {"tp": 159, "fp": 85, "fn": 85, "a_tp": 96, "a_fp": 63, "a_fn": 63,
                                       "spot_f1": 0.6516, "precision": 0.5983, "recall": 0.5872, "f1": 0.5927,
                                       "uf1": 0.5766, "uar": 0.5983, "strs": 0.3862}
    # departure 8: its "UAR" is the macro precision; departure 5: FN analysis = FP analysis
    assert r["reference"]["analysis"]["uar"] == r["reference"]["analysis"]["precision"]
    # strict: the same spotting here (one truth and one prediction per video), F1 = UF1, UAR = macro recall
    assert numbers(r["strict"]) == {"tp": 159, "fp": 85, "fn": 85, "a_tp": 96, "a_fp": 63, "a_fn": 63,
                                    "spot_f1": 0.6516, "precision": 0.5983, "recall": 0.5872, "f1": 0.5766,
                                    "uf1": 0.5766, "uar": 0.5872, "strs": 0.3758}
    assert r["reference"]["ignored"] == r["strict"]["ignored"] == {"predictions": 0, "truths": 0}


@pytest.mark.realdata
@needs
def test_score_strs_prints_both_modes_of_the_sample(capsys):
    main(["score", "--strs", str(SAMPLE / "pred.csv"), "--truth", str(SAMPLE / "gt.csv")])
    out = capsys.readouterr().out
    assert "| | reference | strict |" in out and "| STRS | 0.3862 | 0.3758 |" in out
    assert "| analysis F1 | 0.5927 | 0.5766 |" in out and "| spotting TP | 159 | 159 |" in out


# ---------------------------------------------------------------------------------------- departures

def test_one_prediction_over_two_truths():
    """Departure 1: the reference matches a prediction to every free truth at IoU >= 0.5 (no break
    after a match): two TPs from one prediction, and its emotion analysed against both truths."""
    truth = table(("v", 0, 9, "a"), ("v", 1, 10, "b"))
    pred = table(("v", 0, 10, "a"))                      # IoU 10/11 with each
    r = both(pred, truth)
    assert numbers(r["reference"]) == {"tp": 2, "fp": 0, "fn": 0, "a_tp": 1, "a_fp": 1, "a_fn": 1, "spot_f1": 1.0,
                                       "precision": 0.25, "recall": 0.5, "f1": 0.3333, "uf1": 0.3333, "uar": 0.25,
                                       "strs": 0.3333}
    assert r["reference"]["spotting"]["tp"] > len(pred)
    # strict: one-to-one; the tie goes to the earlier truth, b is missed; b has no analysed pair (left out)
    assert numbers(r["strict"]) == {"tp": 1, "fp": 0, "fn": 1, "a_tp": 1, "a_fp": 0, "a_fn": 0, "spot_f1": 0.6667,
                                    "precision": 1.0, "recall": 1.0, "f1": 1.0, "uf1": 1.0, "uar": 1.0,
                                    "strs": 0.6667}


def test_matching_follows_the_file_order_not_the_iou():
    """Departure 2: the first prediction in the file takes the truth although the second fits it
    exactly; the second is a false positive, and the analysis scores the first one's emotion. One
    truth is still matched once only."""
    truth = table(("v", 0, 9, "a"), ("w", 0, 9, "b"))
    pred = table(("v", 0, 14, "b"), ("v", 0, 9, "a"), ("w", 0, 9, "b"))   # IoU 10/15, then 1
    r = both(pred, truth)
    for m in ("reference", "strict"):
        assert (r[m]["spotting"]["tp"], r[m]["spotting"]["fp"], r[m]["spotting"]["fn"]) == (2, 1, 0)
    assert r["reference"]["analysis"]["tp"] == 1 and round(r["reference"]["analysis"]["f1"], 4) == 0.3333
    assert r["strict"]["analysis"]["tp"] == 2 and r["strict"]["analysis"]["f1"] == 1.0
    assert round(r["reference"]["strs"], 4) == 0.2667 and round(r["strict"]["strs"], 4) == 0.8


def test_a_subject_without_predictions_is_not_scored_by_the_reference():
    """Departure 3: only subjects with a prediction are scored (line 99)."""
    truth = table((1, "v", 0, 9, "a"), (1, "w", 0, 9, "b"), (2, "v", 0, 9, "a"))
    pred = table((1, "v", 0, 9, "a"), (1, "w", 0, 9, "b"))
    r = both(pred, truth)
    assert (r["reference"]["spotting"]["fn"], r["reference"]["spotting"]["f1"], r["reference"]["strs"]) == (0, 1, 1)
    assert r["reference"]["ignored"] == {"predictions": 0, "truths": 1}
    assert r["strict"]["spotting"]["fn"] == 1 and round(r["strict"]["strs"], 4) == 0.8


def test_a_prediction_in_a_video_the_truth_does_not_name_is_dropped_by_the_reference():
    """Departure 3: only the truth's videos are scored (line 110), names compared exactly (line
    114): a video without an expression and a misspelt name lose their predictions silently. A
    subject or video written as a whole number matches with any leading zeros (pandas parses them
    as numbers in the reference)."""
    truth = table(("006", "v", 0, 9, "a"), (6, "w", 0, 9, "b"), (6, "EP01", 0, 9, "a"))
    pred = table((6, "v", 0, 9, "a"), ("06", "w", 0, 9, "b"), (6, "x", 0, 9, "a"), (6, "ep01", 0, 9, "a"))
    r = both(pred, truth)
    ref, strict = r["reference"]["spotting"], r["strict"]["spotting"]
    assert (ref["tp"], ref["fp"], ref["fn"]) == (2, 0, 1) and r["reference"]["ignored"]["predictions"] == 2
    assert (strict["tp"], strict["fp"], strict["fn"]) == (2, 2, 1) and r["strict"]["ignored"]["predictions"] == 0


def test_an_emotion_outside_the_class_set():
    """Departures 4 and 5: a pair whose truth is outside the set is not analysed (a prediction of a
    there is no FP of a, in both modes); a predicted emotion outside the set is a miss of the truth's
    class in recall, but in no reported count of the reference (its FN are its FP, line 87)."""
    truth = table(("v", 0, 9, "a"), ("w", 0, 9, "a"), ("u", 0, 9, "b"), ("t", 0, 9, "others"))
    pred = table(("v", 0, 9, "zz"), ("w", 0, 9, "a"), ("u", 0, 9, "b"), ("t", 0, 9, "a"))
    r = both(pred, truth, classes=("A", "b"))           # classes compared lower-cased
    assert r["reference"]["classes"] == ("a", "b") and r["reference"]["outside"] == {"others": 1}
    assert numbers(r["reference"]) == {"tp": 4, "fp": 0, "fn": 0, "a_tp": 2, "a_fp": 0, "a_fn": 0, "spot_f1": 1.0,
                                       "precision": 1.0, "recall": 0.75, "f1": 0.8571, "uf1": 0.8333, "uar": 1.0,
                                       "strs": 0.8571}
    assert numbers(r["strict"]) == {"tp": 4, "fp": 0, "fn": 0, "a_tp": 2, "a_fp": 0, "a_fn": 1, "spot_f1": 1.0,
                                    "precision": 1.0, "recall": 0.75, "f1": 0.8333, "uf1": 0.8333, "uar": 0.75,
                                    "strs": 0.8333}
    assert r["reference"]["analysis"]["n"] == r["strict"]["analysis"]["n"] == 3


def test_a_class_with_no_prediction():
    """Departures 7 and 8: with c never predicted, the reference's F1 is the harmonic mean of the
    macro precision and recall (c's precision counted 0), and its "UAR" is that macro precision."""
    truth = table(*[(f"v{i}", 0, 9, e) for i, e in enumerate("aaabbc")])
    pred = table(*[(f"v{i}", 0, 9, e) for i, e in enumerate("aabbba")])
    r = both(pred, truth)
    assert numbers(r["reference"]) == {"tp": 6, "fp": 0, "fn": 0, "a_tp": 4, "a_fp": 2, "a_fn": 2, "spot_f1": 1.0,
                                       "precision": 0.4444, "recall": 0.5556, "f1": 0.4938, "uf1": 0.4889,
                                       "uar": 0.4444, "strs": 0.4938}
    # strict: c's precision is undefined (left out of the mean), its recall and F1 are 0
    assert numbers(r["strict"]) == {"tp": 6, "fp": 0, "fn": 0, "a_tp": 4, "a_fp": 2, "a_fn": 2, "spot_f1": 1.0,
                                    "precision": 0.6667, "recall": 0.5556, "f1": 0.4889, "uf1": 0.4889,
                                    "uar": 0.5556, "strs": 0.4889}
    assert r["strict"]["analysis"]["per_class"]["c"] == {"tp": 0, "fp": 0, "fn": 1, "precision": None, "recall": 0.0,
                                                         "f1": 0.0}


def test_a_class_absent_from_the_pairs_scores_zero_in_the_reference():
    """Departure 6: a class of the set with no analysed pair gives a 1x1 confusion matrix, scored 0."""
    truth = table(("v", 0, 9, "a"), ("w", 0, 9, "b"))
    r = both(truth, truth, classes=("a", "b", "c"))
    assert round(r["reference"]["analysis"]["f1"], 4) == round(r["reference"]["strs"], 4) == 0.6667
    assert r["strict"]["analysis"]["f1"] == r["strict"]["strs"] == 1.0


def test_a_perfect_analysis_of_one_class_is_nan_in_the_reference():
    """Departures 6 and 7: every pair truth and prediction of a: a 1x1 matrix, precision and recall
    0, F1 0/0 = NaN; so is STRS where spotting found nothing."""
    truth = table(("v", 0, 9, "a"), ("w", 0, 9, "a"))
    r = both(truth, truth)
    assert r["reference"]["analysis"]["tp"] == 2 and r["reference"]["analysis"]["precision"] == 0
    assert math.isnan(r["reference"]["analysis"]["f1"]) and math.isnan(r["reference"]["strs"])
    assert r["strict"]["strs"] == 1.0
    missed = both(table(("v", 50, 59, "a")), table(("v", 0, 9, "a"), ("w", 0, 9, "b")))
    assert missed["reference"]["spotting"]["f1"] == 0 and math.isnan(missed["reference"]["strs"])
    assert missed["strict"]["strs"] == 0 and missed["strict"]["analysis"]["n"] == 0


def test_an_unknown_mode_is_refused():
    with pytest.raises(CorpusError, match="mode 'loose': give one of reference, strict"):
        strs(table(("v", 0, 9, "a")), table(("v", 0, 9, "a")), mode="loose")


# ---------------------------------------------------------------------------------------- the reader

def write(tmp_path, text: str, name: str = "t.csv") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def test_the_reader_keeps_rows_in_order_lower_cases_emotions(tmp_path):
    t = read_str_table(write(tmp_path, "subject,video,onset,offset,emotion,score\n006, EP01 ,-3,40.0,Happiness,0.9\n"
                                       "6,EP01,5,5,SURPRISE,0.1\n"))
    assert list(t.columns) == list(COLUMNS)
    assert t.values.tolist() == [["006", "EP01", -3, 40, "happiness"], ["6", "EP01", 5, 5, "surprise"]]


@pytest.mark.parametrize("text, says", [
    ("subject,video,onset,emotion\n1,v,0,a\n", r"t.csv: no column 'offset' \(found"),
    ("subject,video,onset,offset,emotion\n1,v,0,9,a\n1,v,x,9,a\n", r"t.csv: row 3: onset 'x' is not a whole frame"),
    ("subject,video,onset,offset,emotion\n1,v,0,9.5,a\n", r"t.csv: row 2: offset '9.5' is not a whole frame number"),
    ("subject,video,onset,offset,emotion\n1,v,10,9,a\n", r"t.csv: row 2: onset 10 is after offset 9; write"),
    ("subject,video,onset,offset,emotion\n1,v,0,9,a\n1,v,0,9,\n", r"t.csv: row 3 has no emotion; fill it or delete"),
    ("subject,video,onset,offset,emotion\n1,,0,9,a\n", r"t.csv: row 2 has no video"),
    ("", r"t.csv: is empty"),
])
def test_the_reader_refuses_in_one_sentence(tmp_path, text, says):
    with pytest.raises(CorpusError, match=says) as e:
        read_str_table(write(tmp_path, text))
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------------------- the CLI

def test_score_strs_prints_both_modes_and_takes_a_class_set(tmp_path, capsys):
    table(("v", 0, 9, "a"), ("v", 1, 10, "b")).to_csv(tmp_path / "gt.csv", index=False)
    table(("v", 0, 10, "a")).to_csv(tmp_path / "pred.csv", index=False)
    main(["score", "--strs", str(tmp_path / "pred.csv"), "--truth", str(tmp_path / "gt.csv")])
    out = capsys.readouterr().out
    assert "analysis classes (the emotions in the truth): a, b" in out
    assert "| | reference | strict |" in out and "| STRS | 0.3333 | 0.6667 |" in out
    assert "| spotting TP | 2 | 1 |" in out and "| analysis UAR | 0.2500 | 1.0000 |" in out
    main(["score", "--strs", str(tmp_path / "pred.csv"), "--truth", str(tmp_path / "gt.csv"), "--mode", "strict",
          "--classes", "megc2019"])
    out = capsys.readouterr().out
    assert "(the class set megc2019): negative, positive, surprise" in out and "| | strict |" in out
    assert "not among the classes (spotting counts them, the analysis does not): a 1, b 1" in out


@pytest.mark.parametrize("argv, says", [
    (["--strs", "P.csv"], "--strs PREDICTIONS is scored against --truth TRUTH"),
    (["--megc-log", "L", "--truth", "T.csv"], "--truth is the ground truth of spot-then-recognise predictions, and "
                                               "no --strs PREDICTIONS is given"),
    (["--predictions", "P.csv", "--classes", "megc2019"], "--classes names the analysis classes of STRS, and no "
                                                          "--strs"),
    (["--strs", "P.csv", "--predictions", "Q.csv", "--truth", "T.csv"], "give one of --megc-log FILE, --predictions "
                                                                          "FILE or --strs"),
    (["--strs", "nowhere.csv", "--truth", "T.csv"], "nowhere.csv: not found"),
])
def test_score_strs_refusals(argv, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=says):
        main(["score", *argv])
