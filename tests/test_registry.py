"""The method registry: every method is found through it, `atnet methods` lists them, and a method
registered from outside (the README's example, run from the README's own text; or an entry point)
works in evaluate, reproduce, train, predict and compare like a built-in one."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atnet
from atnet import methods
from atnet.app import cli
from atnet.core.errors import CorpusError
from atnet.methods import Method, register, unregister

README = Path(__file__).resolve().parents[1] / "README.md"
BUILT_IN = ("lbptop-p4-tim10", "lbptop-p8-tim10", "lbptop-p4-tim64", "lbptop-p8-tim64", "hoof-n4-tim10",
            "hoof-n8-tim10", "hoof-n4-tim64", "hoof-n8-tim64", "micro-attention", "spatial", "temporal", "atnet",
            "flow-logreg", "spatial-fer", "atnet-fer", "oaflow", "atnet-oa", "atnet-oa-fer", "fer-probe", "ststnet",
            "logreg", "linear-svm", "poly-svm")


def readme_example() -> str:
    """The first Python block of the README's "Add a method" section: the method itself."""
    section = README.read_text().split("## Add a method", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture()
def centroid():
    namespace: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)
    yield methods.get("adm-centroid")
    unregister("adm-centroid")


def test_every_built_in_method_is_registered_in_the_tables_order():
    assert methods.names()[:len(BUILT_IN)] == BUILT_IN
    assert methods.names("paper") == BUILT_IN[:12] and methods.names("classifier") == BUILT_IN[-3:]
    assert methods.get("atnet").inputs == ("apex", "adm") and methods.get("hoof-n4-tim10").inputs == ("volumes",)
    assert [n for n in BUILT_IN if methods.get(n).savable] == ["micro-attention", "spatial", "temporal", "atnet",
                                                                "flow-logreg", "spatial-fer", "atnet-fer", "oaflow",
                                                                "atnet-oa", "atnet-oa-fer", "fer-probe", "ststnet"]
    assert methods.get("ststnet").inputs == ("flow",) and methods.get("atnet-oa").inputs == ("apex", "flow")


def test_atnet_methods_lists_each_with_what_it_reads(capsys):
    cli.main(["methods"])
    out = capsys.readouterr().out
    for name in BUILT_IN:
        row = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert ", ".join(methods.get(name).inputs) in row and methods.get(name).description in row


def test_a_bad_method_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"inputs \('optic',\); each must be one of apex, adm, volumes, features, "
                                         r"flow"):
        Method("x", "x", ("optic",), len, len)
    with pytest.raises(ValueError, match="a method named 'atnet' is registered already"):
        register(Method("atnet", "x", ("adm",), len, len))
    with pytest.raises(ValueError, match="give both save and load"):
        Method("x", "x", ("adm",), len, len, save=len)
    with pytest.raises(CorpusError, match="--method nope: no such method; choose one of lbptop-p4-tim10, "):
        methods.get("nope")


def test_the_readme_method_works_like_a_built_in_one(centroid, tiny_corpus, tmp_path, capsys):
    inputs = atnet.Inputs(synthetic=str(tiny_corpus), cache=str(tmp_path / "cache"), jobs=1)
    prep, train = atnet.PrepConfig(), atnet.TrainConfig(epochs=1)
    # evaluate: its folds are saved; a rerun reuses every one
    records = atnet.evaluate_run(inputs, ["adm-centroid"], ["cde"], prep, train, tmp_path / "run")
    full = next(r for r in records if r["test_set"] == "full")
    assert full["method"] == "adm-centroid" and full["n"] == 18
    preds = pd.read_csv(tmp_path / "run" / "predictions" / "adm-centroid-cde.csv")
    assert len(preds) == 18 and np.allclose(preds[["p_negative", "p_positive", "p_surprise"]].sum(axis=1), 1)
    capsys.readouterr()
    atnet.evaluate_run(inputs, ["adm-centroid"], ["cde"], prep, train, tmp_path / "run")
    assert "adm-centroid cde: 6 of 6 folds already saved, 0 to run" in capsys.readouterr().out
    # the same through the CLI, where --method offers it
    cli.main(["evaluate", "--method", "adm-centroid", "--protocol", "hde", "--synthetic", str(tiny_corpus),
              "--cache", str(tmp_path / "cache"), "--jobs", "1", "--out", str(tmp_path / "cli")])
    assert (tmp_path / "cli" / "predictions" / "adm-centroid-hde.csv").exists()
    # reproduce: not seeded, so it runs once whatever --seeds; its row is in the report
    atnet.reproduce(inputs, tmp_path / "rep", methods=["adm-centroid"], protocols=["cde"], seeds=2)
    assert sorted(p.name for p in (tmp_path / "rep" / "predictions").glob("*.csv")) == ["adm-centroid-cde.csv"]
    assert "adm-centroid" in (tmp_path / "rep" / "report.md").read_text()
    # train, save, load in this process, predict: the same labels as the fitted object gives
    samples = inputs.corpus().samples
    model, _ = atnet.train(samples, "adm-centroid", prep, train, cache=tmp_path / "cache")
    path = model.save(tmp_path / "centroid.safetensors")
    again = atnet.load_model(path)
    assert again.method == "adm-centroid" and np.array_equal(again.net, model.net)
    table, left = again.predict(samples, cache=tmp_path / "cache", spot_method="middle", progress=False)
    assert len(table) == 18 and not left
    cli.main(["info", str(path)])
    assert "method adm-centroid" in capsys.readouterr().out
    # compare: against a built-in method's run on the same clips
    atnet.evaluate_run(inputs, ["hoof-n4-tim10"], ["cde"], prep, train, tmp_path / "run")
    diff = atnet.compare(atnet.read_predictions(tmp_path / "run" / "predictions" / "adm-centroid-cde.csv"),
                         atnet.read_predictions(tmp_path / "run" / "predictions" / "hoof-n4-tim10-cde.csv"),
                         n_boot=200)
    assert set(diff["test_set"]) >= {"full"} and diff["diff"].notna().all()
    # a model file of a method this process has not registered names what to install
    unregister("adm-centroid")
    with pytest.raises(CorpusError, match="its method 'adm-centroid' is not registered here; install the package"):
        atnet.load_model(path)


def test_a_method_without_a_model_file_is_refused_by_train(tiny_corpus, tmp_path):
    samples = atnet.Inputs(synthetic=str(tiny_corpus)).corpus().samples
    with pytest.raises(CorpusError, match="--method hoof-n4-tim10: has no model file .* atnet train cannot keep it"):
        atnet.train(samples, "hoof-n4-tim10", cache=tmp_path)


PLUGIN = Method("from-a-package", "a method an installed package declares", ("adm",),
                lambda x, y, g, s: None, lambda f, x, s: np.full((len(x["adm"]), 3), 1 / 3))


def test_an_entry_point_registers_a_method(monkeypatch, capsys):
    import importlib.metadata as md
    found = [md.EntryPoint("mine", f"{__name__}:PLUGIN", "atnet.methods"),
             md.EntryPoint("broken", "no_such_module_here:X", "atnet.methods")]
    monkeypatch.setattr(md, "entry_points", lambda group=None: [e for e in found if e.group == group])
    monkeypatch.setattr(methods, "_loaded", False)
    try:
        assert methods.get("from-a-package") is PLUGIN
        assert "the method plug-in broken (no_such_module_here:X) could not be loaded" in capsys.readouterr().out
        assert "from-a-package" in cli.build_parser().parse_args(
            ["evaluate", "--method", "from-a-package", "--out", "x"]).method
    finally:
        unregister("from-a-package")
