"""run.json: every run kind writes it (checked with pydantic), `atnet view`, `report` and `compare`
read it; `view` prepares the corpus the run read (never the default synthetic one for a run that did
not read it: a --features run shows no images, an apex-table run the table's own); clips are keyed
dataset/subject/clip, so two subjects' clips of one name each show their own images (Chromium)."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atnet
from atnet.app import runs as runs_module
from atnet.app.cli import main
from atnet.app.runs import Inputs
from atnet.app.runs import load_and_prepare
from atnet.app.view import THUMB, clip_key, image_source, jpeg, view
from atnet.core.classes import CLASSES
from atnet.data.datasets import synthetic
from atnet.data.prepare import PrepConfig
from atnet.evaluation.manifest import read_manifest, write_manifest

from test_view import browser, open_page  # noqa: E402,F401  (test_view's Chromium fixture and page opener)

FAST = ["--size", "64", "--face", "haar", "--jobs", "1"]


def blob(page: Path) -> dict:
    text = page.read_text()
    return json.loads(text.split('<script type="application/json" id="data">')[1].split("</script>")[0])


@pytest.fixture(scope="module")
def rec(tiny_corpus, tmp_path_factory):
    """One recognition run (a baseline, HDE: the fastest) on the tiny corpus, its cache, and its argv."""
    out = tmp_path_factory.mktemp("manifest")
    argv = ["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(out / "cache"), *FAST,
            "--method", "hoof-n4-tim10", "--protocol", "hde", "--out", str(out / "run")]
    main(argv)
    return out / "run", out / "cache", argv


@pytest.fixture
def no_synthesis(monkeypatch):
    """Any synthesis or preparation of a corpus fails the test."""
    def refuse(*a, **k):
        raise AssertionError("a corpus was synthesized or prepared")
    monkeypatch.setattr(synthetic, "synthesize", refuse)
    monkeypatch.setattr(runs_module, "prepare_all", refuse)


def test_evaluate_writes_run_json(rec, tiny_corpus):
    run, cache, argv = rec
    m = read_manifest(run / "run.json")
    assert m["command"] == argv and m["atnet"] == atnet.__version__ and m["classes"] == list(CLASSES)
    assert m["kind"] == "recognition" and m["inputs"]["source"] == "synthetic"
    assert m["inputs"]["synthetic"] == {"given": str(tiny_corpus), "path": os.path.abspath(tiny_corpus)}
    assert m["configs"]["prep"]["size"] == 64 and m["configs"]["prep"]["face"] == "haar"
    assert m["configs"]["train"] is not None and m["configs"]["baselines"] is not None
    assert m["runs"] == [{"method": "hoof-n4-tim10", "protocol": "hde", "seed": None,
                          "predictions": "hoof-n4-tim10-hde.csv"}]
    assert (run / "settings.json").exists()   # kept for older code


def test_view_prepares_the_corpus_the_run_read(rec, tmp_path, monkeypatch):
    run, cache, _ = rec
    monkeypatch.setattr(synthetic, "synthesize", lambda *a, **k: pytest.fail("synthesized"))
    data = blob(view(run, tmp_path / "p.html"))   # no flags: run.json names the corpus and the cache
    assert len(data["images"]) == 18 and all(v[0].startswith("data:image/jpeg") for v in data["images"].values())
    assert all(r["key"] == f"{r['dataset']}/{r['subject'].split('/')[-1]}/{r['clip']}" for r in data["rows"])
    assert "run.json" not in data["note"]


def test_flags_given_to_view_win_over_run_json(rec, tmp_path):
    run, _, _ = rec
    given = Inputs(roots={"casme2": str(tmp_path)}, cache=str(tmp_path))
    assert image_source(run, read_manifest(run / "run.json"), given)[0] is given
    source = image_source(run, read_manifest(run / "run.json"), Inputs())[0]
    assert source.synthetic == read_manifest(run / "run.json")["inputs"]["synthetic"]["path"]


def in_chromium(browser, page_file: Path, rows: pd.DataFrame) -> list:
    """The page opened in Chromium: one gallery element per predictions row, keyed by its clip, and no
    console error; returns each element's (apex src, flow src) in the rows' order."""
    page, errors = open_page(browser, page_file)
    srcs = []
    for r in rows.itertuples():
        element = page.locator(f".clip[data-key='{clip_key(r.dataset, r.subject, r.clip)}']")
        assert element.count() == 1, r.clip
        srcs.append(tuple(element.locator(f"img.{k}").get_attribute("src") if element.locator(f"img.{k}").count()
                          else None for k in ("apex", "flow")))
    assert not errors, errors
    return srcs


@pytest.mark.browser
def test_a_features_run_shows_no_images_and_prepares_nothing(tiny_corpus, tmp_path, no_synthesis, monkeypatch,
                                                              browser):
    labels = tmp_path / "labels.csv"
    main(["corpus", "--synthetic", str(tiny_corpus), "--out", str(labels)])
    t = pd.read_csv(labels, dtype=str)
    x = np.eye(3)[[CLASSES.index(c) for c in t["label"]]] + np.random.default_rng(0).normal(0, 0.1, (len(t), 3))
    feats = pd.concat([t[["dataset", "subject", "clip"]], pd.DataFrame(x, columns=["f0", "f1", "f2"])], axis=1)
    feats.to_csv(tmp_path / "f.csv", index=False)
    main(["evaluate", "--features", str(tmp_path / "f.csv"), "--labels", str(labels), "--protocol", "hde",
          "--classifier", "poly-svm", "--out", str(tmp_path / "run")])
    m = read_manifest(tmp_path / "run" / "run.json")
    assert m["inputs"]["source"] == "features" and m["inputs"]["features"]["path"] == str(tmp_path / "f.csv")
    assert m["inputs"]["labels"]["path"] == str(labels) and m["configs"]["classifier"] == "poly-svm"
    assert m["runs"][0]["predictions"] == "features-poly-svm-hde.csv"
    data = blob(view(tmp_path / "run", tmp_path / "p.html"))
    assert data["images"] == {} and "No images" in data["note"] and "hold no images" in data["note"]
    rows = pd.read_csv(tmp_path / "run" / "predictions" / "features-poly-svm-hde.csv", dtype=str)
    assert not any(a or f for a, f in in_chromium(browser, tmp_path / "p.html", rows))   # every clip, no image
    # an older --features run (no run.json) is recognised by its settings.json: nothing prepared either
    (tmp_path / "run" / "run.json").unlink()
    data = blob(view(tmp_path / "run", tmp_path / "p.html"))
    assert data["images"] == {} and "hold no images" in data["note"] and "no run.json" in data["note"]


def fake_run(folder: Path, table: pd.DataFrame, inputs: Inputs, prep: PrepConfig, name: str = "m-cde") -> Path:
    """A run folder as evaluate writes it, without training: predictions (truth as pred) and run.json."""
    (folder / "predictions").mkdir(parents=True)
    ids = table["label"].map(CLASSES.index)
    table.assign(truth=ids, pred=ids, fold=table["subject"]).to_csv(folder / "predictions" / f"{name}.csv",
                                                                    index=False)
    write_manifest(folder, "recognition", [], inputs.manifest(), {"prep": asdict(prep)},
                   [{"method": "m", "protocol": "cde", "seed": None, "predictions": f"{name}.csv"}])
    return folder


@pytest.mark.browser
def test_an_apex_table_run_shows_the_tables_own_flows(rec, tiny_corpus, tmp_path, monkeypatch, browser):
    _, cache, _ = rec
    main(["export-flows", "--synthetic", str(tiny_corpus), "--cache", str(cache), *FAST, "--out",
          str(tmp_path / "flows")])
    table = tmp_path / "flows" / "flows.csv"
    inputs = Inputs(apex_table=str(table), cache=str(cache))
    assert inputs.manifest().source == "apex-table" and inputs.manifest().synthetic is None
    run = fake_run(tmp_path / "run", pd.read_csv(table, dtype=str), inputs, PrepConfig(size=64, face="haar"))
    monkeypatch.setattr(synthetic, "synthesize", lambda *a, **k: pytest.fail("synthesized"))
    monkeypatch.setattr(runs_module, "prepare_all", lambda *a, **k: pytest.fail("a corpus prepared"))
    data = blob(view(run, tmp_path / "p.html"))
    assert len(data["images"]) == 18
    assert all(a == "" and f.startswith("data:image/jpeg") for a, f in data["images"].values())  # flows only
    rows = pd.read_csv(run / "predictions" / "m-cde.csv", dtype=str)
    shown = in_chromium(browser, tmp_path / "p.html", rows)
    want = [data["images"][clip_key(r.dataset, r.subject, r.clip)][1] for r in rows.itertuples()]
    assert [f for _, f in shown] == want


def test_a_run_without_run_json_still_shows_and_says_so(rec, tmp_path):
    run, cache, _ = rec
    old = tmp_path / "old"
    shutil.copytree(run, old)
    (old / "run.json").unlink()
    data = blob(view(old, tmp_path / "p.html", images=False))
    assert len(data["rows"]) == 18 and "no run.json" in data["note"]


def test_the_default_synthetic_corpus_is_recorded_as_such(tmp_path):
    m = Inputs(cache=str(tmp_path / "c")).manifest()
    assert m.source == "default-synthetic" and m.synthetic.path == str(tmp_path / "c" / "synthetic")
    assert Inputs(roots={"casme2": "x"}, sheets={"casme2": "s.xlsx"}).manifest().source == "corpora"
    write_manifest(tmp_path, "recognition", [], m, {}, [])
    got = image_source(tmp_path, read_manifest(tmp_path / "run.json"))[0]
    assert got.cache == str(tmp_path / "c") and not got.synthetic and not got.roots


@pytest.mark.parametrize("change, said", [
    (lambda m: m["configs"]["prep"].update(size="big"), "field configs.prep.size is 'big', not a whole number"),
    (lambda m: m.update(runs={}), "field runs is {}, not a list"),
    (lambda m: m.pop("inputs"), "field inputs is missing"),
    (lambda m: m["runs"][0].update(seed=1.5), "field runs.0.seed"),
])
def test_a_damaged_run_json_is_refused_naming_the_field(rec, tmp_path, change, said, capsys):
    run, _, _ = rec
    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    m = json.loads((bad / "run.json").read_text())
    change(m)
    (bad / "run.json").write_text(json.dumps(m))
    for argv in (["view", str(bad), "--out", str(tmp_path / "p.html"), "--no-images"], ["report", str(bad)]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert str(bad / "run.json") in str(e.value.code) and said in str(e.value.code), e.value.code
    (bad / "run.json").write_text("{not json")
    with pytest.raises(SystemExit, match="run.json: not valid JSON"):
        main(["view", str(bad), "--out", str(tmp_path / "p.html"), "--no-images"])
    assert not (tmp_path / "p.html").exists()


def test_report_and_compare_read_run_json(rec, tmp_path, capsys):
    run, _, argv = rec
    main(["report", str(run)])
    out = capsys.readouterr().out
    assert f"made by atnet {' '.join(argv)} (atnet {atnet.__version__}) from the synthetic corpus" in out
    a = run / "predictions" / "hoof-n4-tim10-hde.csv"
    b = tmp_path / "b.csv"
    shutil.copy(a, b)
    main(["compare", str(a), str(b), "--boot", "100"])
    out = capsys.readouterr().out
    assert f"A = {a}: hoof-n4-tim10 under hde, from the synthetic corpus" in out
    assert f"B = {b}: no run.json of its run lists it" in out
    old = tmp_path / "old"
    shutil.copytree(run, old, ignore=shutil.ignore_patterns("run.json", "folds"))
    main(["report", str(old)])
    assert f"{old} has no run.json (an older atnet wrote it)" in capsys.readouterr().out


def shared_name_corpus(tiny_corpus, root: Path) -> Path:
    """CASME II of the tiny corpus with sub02's EP04_01f renamed EP01_01f, the name of a clip of sub01."""
    import openpyxl
    shutil.copytree(Path(tiny_corpus) / "CASME2", root)
    frames = root / "CASME2_RAW_selected"
    (frames / "sub02" / "EP04_01f").rename(frames / "sub02" / "EP01_01f")
    sheet = next(root.glob("CASME2-coding-*.xlsx"))   # not the objective-class sheet beside it
    book = openpyxl.load_workbook(sheet)
    for row in book.active.iter_rows(min_row=2):
        if str(row[0].value) in ("2", "02") and row[1].value == "EP04_01f":
            row[1].value = "EP01_01f"
    book.save(sheet)
    return root


@pytest.mark.browser
def test_two_subjects_with_one_clip_name_each_show_their_own_images(tiny_corpus, rec, tmp_path, browser):
    _, cache, _ = rec
    root = shared_name_corpus(tiny_corpus, tmp_path / "CASME2")
    inputs, prep = Inputs(roots={"casme2": str(root)}, cache=str(cache), jobs=1), PrepConfig(size=64, face="haar")
    data, _ = load_and_prepare(inputs, prep)
    keys = [clip_key(d, s, c) for d, s, c in zip(data.table["dataset"], data.table["subject"], data.table["clip"])]
    assert {"casme2/sub01/EP01_01f", "casme2/sub02/EP01_01f"} <= set(keys)
    run = fake_run(tmp_path / "run", data.table, inputs, prep)
    page, errors = open_page(browser, view(run, tmp_path / "p.html"))
    own = {}
    for i, key in enumerate(keys):
        element = page.locator(f".clip[data-key='{key}']")
        assert element.count() == 1
        own[key] = element.locator("img.apex").get_attribute("src")
        assert own[key] == jpeg(data.apex[i], THUMB), key      # the clip's own apex, prepared apart
    assert own["casme2/sub01/EP01_01f"] != own["casme2/sub02/EP01_01f"]
    assert not errors, errors


def test_demo_and_reproduce_write_run_json(tmp_path, monkeypatch):
    """Their wiring, with the preparation and the training replaced (the demo trains for minutes)."""
    from atnet.data.excluded import exclusions
    from atnet.data.prepare import Arrays
    from atnet.evaluation.reports import reproduce as report
    table = pd.DataFrame({"dataset": ["casme2"], "subject": ["casme2/sub01"], "clip": ["EP01"], "label": ["negative"]})
    done = [{"method": "spatial", "protocol": "cde", "seed": 7, "init": "new", "predictions": "spatial-cde-seed7.csv"}]
    monkeypatch.setattr(runs_module, "load_and_prepare", lambda *a, **k: (Arrays(table, None, None), exclusions([])))
    monkeypatch.setattr(runs_module, "run_evaluations", lambda *a, **k: ([], done))
    monkeypatch.setattr(runs_module, "print_tables", lambda *a, **k: "")
    monkeypatch.setattr(report, "write_report", lambda *a, **k: [])
    runs_module.demo(tmp_path / "demo", cache=tmp_path / "c", argv=["demo", "--out", "x"])
    m = read_manifest(tmp_path / "demo" / "run.json")
    assert m["command"] == ["demo", "--out", "x"] and m["inputs"]["source"] == "default-synthetic"
    assert m["inputs"]["synthetic"]["path"] == str(tmp_path / "c" / "synthetic")
    assert m["configs"]["train"]["epochs"] == runs_module.DEMO_TRAIN["epochs"]
    assert m["runs"] == [{k: done[0][k] for k in ("method", "protocol", "seed", "predictions")}]
    runs_module.reproduce(Inputs(roots={"casme2": str(tmp_path)}), tmp_path / "rep", methods=["spatial"], seeds=2)
    m = read_manifest(tmp_path / "rep" / "run.json")
    assert m["command"] == [] and m["inputs"]["source"] == "corpora" and m["configs"]["seeds"] == [0, 1]
    assert m["inputs"]["roots"]["casme2"]["path"] == str(tmp_path)


def test_a_damaged_run_json_is_written_anew_and_said(tmp_path, capsys):
    (tmp_path / "run.json").write_text("{")
    one = {"method": "m", "protocol": "cde", "seed": None, "predictions": "m-cde.csv"}
    write_manifest(tmp_path, "recognition", [], Inputs(cache=str(tmp_path)).manifest(), {}, [one])
    assert f"{tmp_path / 'run.json'}: not valid JSON" in capsys.readouterr().out
    two = {**one, "protocol": "hde", "predictions": "m-hde.csv"}
    write_manifest(tmp_path, "recognition", [], Inputs(cache=str(tmp_path)).manifest(), {}, [two])
    assert read_manifest(tmp_path / "run.json")["runs"] == [one, two]     # an earlier command's runs are kept


def test_view_reads_the_corpus_by_the_path_the_run_gave(tmp_path, monkeypatch):
    """Prepared clips are cached under their frame paths as written: a run given a relative path is
    viewed with that path from the same folder (its cache entries found), and from another folder
    with the absolute one."""
    monkeypatch.chdir(tmp_path)
    m = {"inputs": Inputs(synthetic="rel/synth", cache="rel/cache").manifest().model_dump(), "configs": {}}
    src, _ = image_source(tmp_path, m)
    assert (src.synthetic, src.cache) == ("rel/synth", "rel/cache")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    src, _ = image_source(tmp_path, m)
    assert (src.synthetic, src.cache) == (str(tmp_path / "rel" / "synth"), str(tmp_path / "rel" / "cache"))
