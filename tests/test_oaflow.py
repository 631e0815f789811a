"""The onset-apex flow: prepared with every clip, exported and read back as a table of flows (the
form the MEGC 2019 repositories share), and the methods that read it (ststnet, oaflow, atnet-oa,
flow-logreg) through evaluate, train and predict."""
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

import atnet
from atnet.app.cli import main
from atnet.data.datasets import synthetic
from atnet.data.prepare import PrepConfig, read_apex_table
from atnet.methods import Settings, get
from atnet.training import TrainConfig

SMALL = ["--size", "64", "--epochs", "2", "--image-size", "32", "--hidden", "8", "--jobs", "1"]
PROBS = ["p_negative", "p_positive", "p_surprise"]


@pytest.fixture(scope="module")
def exported(tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("flows")
    cache = out / "cache"
    main(["export-flows", "--synthetic", str(tiny_corpus), "--cache", str(cache), "--size", "64", "--jobs", "1",
          "--out", str(out / "npy")])
    return out, cache


def test_every_prepared_clip_has_its_onset_apex_flow(exported):
    out, _ = exported
    table = pd.read_csv(out / "npy" / "flows.csv", dtype=str)
    assert len(table) == 18 and list(table.columns) == ["dataset", "subject", "clip", "label", "flow"]
    flows = [np.load(out / "npy" / f) for f in table["flow"]]
    assert all(f.shape == (28, 28, 3) and f.dtype == np.float32 for f in flows)
    assert all((f[..., 2] >= 0).all() for f in flows)                     # strain is a magnitude
    assert np.mean([np.abs(f[..., :2]).max() > 0.05 for f in flows]) > 0.8   # the synthetic clips move


def test_a_table_of_flows_reads_spaces_channels_and_refuses_bad_rows(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for k, (d, subj) in enumerate([("casme2", "sub01"), ("casme2", "sub02"), ("samm", "006")]):
        for j, label in enumerate(["negative", "positive", "surprise"]):
            name = f"{d}_{subj}_{j} .npy" if j == 0 else f"{d}_{subj}_{j}.npy"   # a space before the extension
            np.save(tmp_path / name, rng.normal(size=(56, 56, 2 if k == 0 else 3)).astype(np.float32))   # resized
            rows.append((d, subj, f"c{j}", label, name))
    img = rng.integers(0, 256, (28, 28, 3)).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "published.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    rows.append(("smic", "s01", "png", "negative", "published.png"))
    np.save(tmp_path / "flat.npy", np.zeros((28, 28), np.float32))
    rows += [("smic", "s01", "missing", "negative", "nowhere.npy"), ("smic", "s01", "flat", "positive", "flat.npy")]
    pd.DataFrame(rows, columns=["dataset", "subject", "clip", "label", "flow"]).to_csv(tmp_path / "t.csv", index=False)
    data, excluded = read_apex_table(tmp_path / "t.csv", PrepConfig())
    assert data.apex is None and data.adm is None and data.flow.shape == (10, 28, 28, 3)
    assert set(data.table["clip"]) == {"c0", "c1", "c2", "png"}
    # a 2-channel array gets its strain computed; an image is read as RGB = u, v, strain
    assert (data.flow[0, ..., 2] >= 0).all() and data.flow[0, ..., 2].max() > 0
    png = data.flow[data.table.index[data.table["clip"] == "png"][0]]
    assert np.allclose(png, img.astype(np.float32))   # 28 px, as published: read as it is
    reasons = {e.clip: e.reason for e in excluded}
    assert reasons["s01/missing"] == f"{tmp_path / 't.csv'} row 12: its flow {tmp_path / 'nowhere.npy'} is not found; " \
                                     f"fix the file or the path"
    assert "flat.npy holds an array of shape (28, 28) (float32); a flow is H x W x 2 (u, v) or H x W x 3" in \
        reasons["s01/flat"]


def test_exported_flows_read_back_predict_as_the_corpus_does(exported, tiny_corpus, tmp_path):
    out, cache = exported
    base = ["--protocol", "hde", *SMALL, "--cache", str(cache)]
    main(["evaluate", "--synthetic", str(tiny_corpus), "--method", "flow-logreg", "oaflow", *base,
          "--out", str(tmp_path / "corpus")])
    main(["evaluate", "--apex-table", str(out / "npy" / "flows.csv"), "--method", "flow-logreg", "oaflow", *base,
          "--out", str(tmp_path / "table")])
    for m in ("flow-logreg", "oaflow"):
        a = pd.read_csv(tmp_path / "corpus" / "predictions" / f"{m}-hde.csv").sort_values("clip").reset_index(drop=True)
        b = pd.read_csv(tmp_path / "table" / "predictions" / f"{m}-hde.csv").sort_values("clip").reset_index(drop=True)
        assert (a["pred"] == b["pred"]).all() and np.allclose(a[PROBS], b[PROBS], atol=1e-6), m
    # a method that reads what the table lacks is refused before any work
    with pytest.raises(SystemExit, match=r"flows.csv: the table holds flow only, and --method spatial reads the apex "
                                         r"frame.*; use --method flow-logreg"):
        main(["evaluate", "--apex-table", str(out / "npy" / "flows.csv"), "--method", "spatial", *base,
              "--out", str(tmp_path / "no")])


def test_the_flow_methods_train_save_load_and_label_new_clips(exported, tiny_corpus, tmp_path):
    _, cache = exported
    samples = atnet.load_corpora(synthetic.roots(tiny_corpus)).samples
    prep, train = PrepConfig(size=64), TrainConfig(epochs=2, image_size=32, hidden=8, device="cpu")
    for name in ("ststnet", "atnet-oa", "flow-logreg"):
        model, _ = atnet.train(samples, name, prep, train, cache=cache)
        path = model.save(tmp_path / f"{name}.safetensors")
        again = atnet.load_model(path)
        a, _ = model.predict(samples[:6], cache=cache, spot_method="middle", progress=False)
        b, _ = again.predict(samples[:6], cache=cache, spot_method="middle", progress=False)
        assert len(a) == 6 and np.allclose(a[PROBS], b[PROBS], atol=1e-6), name


def test_ststnet_follows_the_release():
    cfg = get("ststnet").config_of(Settings(train=TrainConfig(seed=4)))
    assert (cfg.epochs, cfg.lr, cfg.batch_size, cfg.seed) == (500, 5e-5, 256, 4)
    from atnet.models import STSTNet
    assert sum(p.numel() for p in STSTNet().parameters()) == (3 * 3 * 3 + 1) * 16 + 2 * 16 + 400 * 3 + 3


def test_a_saved_logistic_regression_predicts_as_scikit_learn_does():
    """flow-logreg's and fer-probe's model files hold the logistic regression as arrays (no pickle)."""
    from atnet.methods import classifiers
    rng = np.random.default_rng(0)
    x, groups = rng.normal(size=(60, 7)), np.repeat(np.arange(6), 10)
    for y in (np.arange(60) % 3, (np.arange(60) % 3 > 0).astype(int), np.zeros(60, int)):   # 3, 2 and 1 classes
        model = classifiers.fit("logreg", x, y, groups)
        back = classifiers.logreg_from({k: torch.from_numpy(v) for k, v in classifiers.logreg_arrays(model).items()})
        assert np.allclose(classifiers.predict("logreg", back, x), classifiers.predict("logreg", model, x),
                           atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="do not fit together"):
        arrays = classifiers.logreg_arrays(classifiers.fit("logreg", x, np.arange(60) % 3, groups))
        classifiers.logreg_from({**arrays, "coef": arrays["coef"][:, :3]})
