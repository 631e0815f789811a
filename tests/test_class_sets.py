"""Class sets (atnet/data/classsets.py): the counts each built-in set gives on the real spreadsheets,
every row it leaves out with its reason, the schema of a user's set, the refusal of a set that
cannot serve a corpus, and a k-class run end to end on the tiny synthetic corpus: predictions with
one probability per class, per-class scores, a model file that keeps its class set."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from atnet.app import api
from atnet.app.cli import main
from atnet.data import classsets
from atnet.data.datasets import CorpusError, casme2, load_corpora, samm, synthetic
from atnet.data.datasets.base import sheet_labels
from atnet.data.prepare import PrepConfig
from atnet.training import TrainConfig

ANNOTATIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "annotations"
CASME2_SHEET, SAMM_SHEET = "CASME2-coding-20140508.xlsx", "SAMM_Micro_FACS_Codes_v2.xlsx"


def labelled(corpus: str, classes: str):
    """(class counts, reasons of the rows left out, Counter) of a real sheet under a class set."""
    mod, name = (casme2, CASME2_SHEET) if corpus == "casme2" else (samm, SAMM_SHEET)
    rows = mod.read_sheet(ANNOTATIONS / name)
    if classsets.get(classes).rule(corpus).column == "objective" and corpus == "casme2":
        rows = casme2.with_objective(rows, ANNOTATIONS / "CASME2-ObjectiveClasses.xlsx")
    got = sheet_labels(corpus, rows, ANNOTATIONS / name, mod.COLUMN_MAP, mod.subject_folder, classes)
    kept = {n: label for _, n, label, _ in got if label}
    left = {n: why for _, n, label, why in got if not label}
    return kept, left


@pytest.mark.parametrize("corpus, classes, counts, left", [
    ("casme2", "casme2-5", {"others": 99, "disgust": 63, "happiness": 32, "repression": 27, "surprise": 25},
     {"emotion 'sadness' is left out of the class set casme2-5": 7, "emotion 'fear' is left out of the class set "
      "casme2-5": 2}),
    ("samm", "samm-5", {"anger": 57, "happiness": 26, "other": 26, "surprise": 15, "contempt": 12},
     {"emotion 'Disgust' is left out of the class set samm-5": 9, "emotion 'Fear' is left out of the class set "
      "samm-5": 8, "emotion 'Sadness' is left out of the class set samm-5": 6}),
    ("casme2", "megc2018-objective", {"III": 99, "IV": 26, "I": 25, "V": 20, "II": 15},
     {"objective class '7' is left out of the class set megc2018-objective": 69,
      "objective class '6' is left out of the class set megc2018-objective": 1}),
    ("samm", "megc2018-objective", {"I": 24, "III": 20, "II": 13, "IV": 8, "V": 3},
     {"objective class '7' is left out of the class set megc2018-objective": 84,
      "objective class '6' is left out of the class set megc2018-objective": 7}),
    ("casme2", "megc2019", {"negative": 88, "positive": 32, "surprise": 25},
     {"emotion 'others' is left out of the class set megc2019": 99, "emotion 'sadness' is left out of the class set "
      "megc2019": 7, "emotion 'fear' is left out of the class set megc2019": 2,
      "not in the official MEGC 2019 list (its ApexFrame is '/')": 1, "not in the official MEGC 2019 list": 1}),
    ("samm", "megc2019", {"negative": 92, "positive": 26, "surprise": 15},
     {"emotion 'Other' is left out of the class set megc2019": 26}),
], ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.realdata
@pytest.mark.skipif(not ANNOTATIONS.is_dir(), reason=f"{ANNOTATIONS} is absent")
def test_each_class_set_counts_the_real_sheet_and_lists_every_row_it_leaves_out(corpus, classes, counts, left):
    kept, out = labelled(corpus, classes)
    assert Counter(kept.values()) == counts
    assert Counter(out.values()) == left
    assert len(kept) + len(out) == {"casme2": 255, "samm": 159}[corpus]   # every row: kept, or left out with why


@pytest.mark.realdata
@pytest.mark.skipif(not ANNOTATIONS.is_dir(), reason=f"{ANNOTATIONS} is absent")
def test_megc2019_is_the_composite_list_in_circulation_clip_for_clip():
    """The lab-published 442-clip list: the same CASME II and SAMM clips, each with the same label."""
    listed = pd.read_csv(ANNOTATIONS / "classes" / "megc2019-composite-442.csv", dtype=str)
    for corpus in ("casme2", "samm"):
        kept, _ = labelled(corpus, "megc2019")
        part = listed[listed["dataset"] == corpus]
        theirs = {f"{s}/{f}": classsets.megc2019().classes[int(lab)]
                  for s, f, lab in zip(part["sub"], part["filename_o"], part["label"])}
        assert kept == theirs


@pytest.mark.realdata
@pytest.mark.skipif(not ANNOTATIONS.is_dir(), reason=f"{ANNOTATIONS} is absent")
def test_casme2_5_against_a_benchmark_list_differs_by_one_clip_the_2014_sheet_lacks():
    """A public benchmark's 5-class list has 247 clips: ours (the 2014 sheet) 246; the one more,
    sub24/EP02_07, has no row in the 2014 sheet (it is in later releases)."""
    bench = pd.read_csv(ANNOTATIONS / "classes" / "casme2-5classes.csv", header=None, dtype=str)
    theirs = {f"{s}/{c}" for s, c in zip(bench[0], bench[1])}
    kept, _ = labelled("casme2", "casme2-5")
    assert len(theirs) == 247 and theirs - set(kept) == {"sub24/EP02_07"} and set(kept) <= theirs
    rows = casme2.read_sheet(ANNOTATIONS / CASME2_SHEET)
    assert not ((rows["Subject"] == "24") & (rows["Filename"] == "EP02_07")).any()


def write_set(tmp_path: Path, **change) -> Path:
    raw = {"name": "mine", "classes": ["pos", "neg"],
           "corpora": {"casme2": {"map": {"happiness": "pos", "disgust": "neg"}, "left_out": ["others"]}}}
    raw.update(change)
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(raw))
    return path


def test_a_users_class_set_is_read_and_a_malformed_one_is_one_sentence(tmp_path):
    s = classsets.get(str(write_set(tmp_path)))
    assert s.classes == ("pos", "neg") and s.label("casme2", " Happiness ") == "pos" and s.label("casme2", "x") is None
    assert "left out of the class set mine" in s.rule("casme2").why_not("Others", "mine")
    bad = [(dict(classes=["pos"]), "classes"), (dict(classes=["pos", "pos"]), "twice"),
           (dict(corpora={"casme2": {"map": {"happiness": "joy"}}}), "'joy'"),
           (dict(corpora={"ckplus": {"map": {"happiness": "pos"}}}), "'ckplus'"),
           (dict(corpora={"casme2": {"column": "au", "map": {}}}), "column"),
           (dict(corpora={"casme2": {"map": {"happiness": "pos"}, "left_out": ["Happiness"]}}), "both mapped"),
           (dict(name="megc2019"), "built-in"), (dict(extra=1), "extra")]
    for change, said in bad:
        with pytest.raises(CorpusError) as e:
            classsets.get(str(write_set(tmp_path, **change)))
        assert said in str(e.value) and str(tmp_path / "mine.json") in str(e.value), change
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(CorpusError, match="not valid JSON"):
        classsets.get(str(tmp_path / "broken.json"))
    with pytest.raises(CorpusError, match="no such class set; choose one of megc2019, casme2-5"):
        classsets.get("casme9")


def test_a_set_that_cannot_serve_a_corpus_is_refused_before_any_is_read(tiny_corpus, tmp_path):
    roots = {**synthetic.roots(tiny_corpus), "samm": tmp_path / "not-even-there"}
    with pytest.raises(CorpusError, match=r"--classes casme2-5: the class set has no map for the corpus samm"):
        load_corpora(roots, classes="casme2-5")
    with pytest.raises(SystemExit):
        main(["evaluate", "--synthetic", str(tiny_corpus), "--classes", "casme9", "--out", str(tmp_path / "o")])


FAST = ["--size", "64", "--epochs", "1", "--image-size", "32", "--hidden", "8", "--jobs", "1", "--face", "haar"]


def test_a_five_class_run_writes_five_probabilities_per_class_scores_and_no_megc_log(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    main(["evaluate", "--synthetic", str(tiny_corpus), "--classes", "casme2-5", "--cache", str(tmp_path / "cache"),
          "--out", str(out), "--protocol", "cde", "--method", "temporal", "flow-logreg", *FAST])
    five = classsets.get("casme2-5").classes
    preds = pd.read_csv(out / "predictions" / "temporal-cde.csv")
    assert [c for c in preds.columns if c.startswith("p_")] == [f"p_{c}" for c in five]
    assert set(preds["dataset"]) == {"casme2"} and preds["pred"].between(0, 4).all()
    assert not list((out / "predictions").glob("*.log"))   # the MEGC 2019 log is the composite's format
    records = json.loads((out / "results.json").read_text())
    assert {r["class_set"] for r in records} == {"casme2-5"}
    full = next(r for r in records if r["method"] == "flow-logreg" and r["test_set"] == "full")
    assert list(full["per_class"]) == list(five) and len(full["confusion"]) == 5
    assert full["per_class"]["others"]["n"] == 0 and full["per_class"]["others"]["recall"] is None
    run = json.loads((out / "run.json").read_text())
    assert run["class_set"] == "casme2-5" and run["classes"] == list(five)
    text = capsys.readouterr().out
    assert "Class set casme2-5, cde" in text and "Table II" not in text
    with pytest.raises(SystemExit, match="holds runs of the class set casme2-5"):   # never two sets in one folder
        main(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--out", str(out),
              "--method", "flow-logreg", *FAST])
    main(["score", "--predictions", str(out / "predictions" / "flow-logreg-cde.csv")])
    assert f"| full | {len(preds)} |" in capsys.readouterr().out


def test_a_model_trained_with_samm_5_saves_loads_and_predicts_its_five_classes(tiny_corpus, tmp_path):
    samples = load_corpora({"samm": synthetic.roots(tiny_corpus)["samm"]}, classes="samm-5").samples
    model, _ = api.train(samples, "temporal", PrepConfig(size=64, face="haar"),
                         TrainConfig(epochs=1, hidden=8, batch_size=8), tmp_path / "cache", jobs=1, progress=False,
                         classes="samm-5")
    path = model.save(tmp_path / "samm5.safetensors")
    back = api.load_model(path)
    assert back.class_set == "samm-5" and back.classes == classsets.get("samm-5").classes
    out = tmp_path / "p.csv"
    main(["predict", str(path), "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--jobs", "1",
          "--out", str(out)])
    table = pd.read_csv(out)
    assert [c for c in table.columns if c.startswith("p_")] == [f"p_{c}" for c in back.classes]
    assert set(table["label"]) <= set(back.classes) and set(table["dataset"]) == {"samm"}
    assert "class set samm-5" in api.describe(back.meta)


def test_atnet_classes_counts_each_set_on_the_corpora_given(tiny_corpus, capsys):
    main(["classes", "--synthetic", str(tiny_corpus)])
    text = capsys.readouterr().out
    assert "megc2019 (built-in)" in text and "casme3-7 (built-in)" in text and "used by:" in text
    assert f"on {tiny_corpus / 'CASME2'}: negative 2, positive 2, surprise 2; 6 clips" in text
    assert f"on {tiny_corpus / 'CASME2'}: I 2, II 2, III 2, IV 0, V 0; 6 clips" in text   # the objective sheet


def test_compare_refuses_runs_of_two_class_sets(tmp_path):
    from atnet.evaluation import byo
    rows = [("casme2", "sub01", "EP01", 0, 0), ("casme2", "sub02", "EP02", 1, 1)]
    for name, classes in (("a", ("negative", "positive", "surprise")), ("b", ("happiness", "disgust"))):
        t = pd.DataFrame(rows, columns=["dataset", "subject", "clip", "truth", "pred"])
        for c in classes:
            t[f"p_{c}"] = 1 / len(classes)
        t.to_csv(tmp_path / f"{name}.csv", index=False)
    a, b = byo.read_predictions(tmp_path / "a.csv"), byo.read_predictions(tmp_path / "b.csv")
    assert b.attrs["classes"] == ("happiness", "disgust")
    with pytest.raises(CorpusError, match="runs of different class sets"):
        byo.compare(a, b)
