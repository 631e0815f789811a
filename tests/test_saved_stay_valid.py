"""What users saved with ca9d92d (before the method registry and the package re-layout) stays valid:

1. saved folds: every method's fold key (protocols.evaluate names each saved fold file with the key's
   first 16 hex digits, and a rerun reuses the files whose names it finds) is the one ca9d92d computed
   for the same data and settings, and evaluate finds the fold files ca9d92d would have written and
   trains nothing;
2. model files: a model file written by ca9d92d's `atnet train` loads, `atnet info` describes it, and
   it predicts what it predicted at ca9d92d.

The golden files under tests/data/golden/ (fold_keys.json, temporal-ca9d92d.*) were written by
benchmarks/make_saved_golden.py, which runs the calls of this module (CASES, arrays, fold_key, ...)
on the code of ca9d92d, so the two cannot drift apart. The fold keys are recorded without training
anything: the protocols module's `make_key` is replaced by one that records its argument and stops
evaluate. The data are small arrays built here from arithmetic alone (no random generator, no
corpus, no face detector), so the fingerprint in the key is the same on every machine.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"
COMMIT = "ca9d92d"
FOLD_KEYS = GOLDEN / "fold_keys.json"
PROTOCOLS = ("cde", "hde")   # the fold files checked (the key itself does not depend on the protocol)

# ------------------------------------------------------------------------------------ saved folds

# 12 clips: 4 dataset-qualified subjects of 2 corpora, each with one clip of every class, so the
# training clips of every fold (cde, hde, loso-corpus) hold all three classes
SUBJECTS = (("casme2", "casme2/sub01"), ("casme2", "casme2/sub02"), ("samm", "samm/006"), ("samm", "samm/007"))
LABELS = ("negative", "positive", "surprise")
N = len(SUBJECTS) * len(LABELS)


def table() -> pd.DataFrame:
    rows = [(d, s, f"EP{i:02d}_{j}", label) for i, (d, s) in enumerate(SUBJECTS) for j, label in enumerate(LABELS)]
    return pd.DataFrame(rows, columns=["dataset", "subject", "clip", "label"])


def arrays(Arrays):
    """The clips a network, the probe or a baseline reads (Arrays: prepare.Arrays of the code under
    test): apex (N, 32, 32) uint8, ADM (N, 64, 128) float32, window frames (T, 32, 32) uint8 of 5 to
    7 frames. Integer arithmetic only (the float32 ADM values are small dyadic fractions, exact), so
    the bytes, and the fingerprint, are the same on every machine and numpy version."""
    apex = ((np.arange(N * 32 * 32, dtype=np.int64) * 37 + 11) % 256).astype(np.uint8).reshape(N, 32, 32)
    adm = ((np.arange(N * 64 * 128, dtype=np.int64) * 13 % 1024) / 256.0 - 2.0).astype(np.float32).reshape(N, 64, 128)
    volumes = [((np.arange((5 + i % 3) * 32 * 32, dtype=np.int64) * (7 + i) + 3 * i) % 256).astype(np.uint8)
               .reshape(5 + i % 3, 32, 32) for i in range(N)]
    return Arrays(table(), apex, adm, volumes)


def feature_arrays(Arrays):
    """The clips of `evaluate --features`: the user's own (N, 5) float64 features and no frames (as
    byo.feature_arrays makes them)."""
    x = (np.arange(N * 5, dtype=np.int64).reshape(N, 5) * 11 % 17) / 8.0 - 1.0
    return Arrays(table(), None, None, None, features=x)


BASELINES = ("lbptop-p4-tim10", "lbptop-p8-tim10", "lbptop-p4-tim64", "lbptop-p8-tim64",
             "hoof-n4-tim10", "hoof-n8-tim10", "hoof-n4-tim64", "hoof-n8-tim64")
CLASSIFIERS = ("logreg", "linear-svm", "poly-svm")
FER = dict(spatial_backbone="fer-xception")
CHANGED = dict(epochs=7, hidden=16, seed=3, lr=0.05, batch_size=8, image_size=64, balance=False, dropout=0.25,
               device="cpu")


def _case(name: str, method: str, train: dict | None = None, svm: dict | None = None, flow: str = "dis",
          classifier: str = "logreg", features: bool = False) -> dict:
    return dict(name=name, method=method, train=train or {}, svm=svm, flow_backend=flow, classifier=classifier,
                features=features)


# Each case is one evaluate call as ca9d92d's runs made it: `train` are TrainConfig's arguments,
# `svm` BaselineConfig's (None: evaluate's default), `features`: the features Arrays, the run named
# `method` and classified by `classifier` (runs.evaluate_features at ca9d92d). "spatial-fer" and
# "atnet-fer" ran at ca9d92d as spatial and atnet with --spatial-backbone fer-xception.
CASES = ([_case(m, m) for m in ("spatial", "temporal", "atnet", "micro-attention")]
         + [_case(f"{m}/fer-xception", m, FER) for m in ("spatial", "atnet")]
         + [_case(f"{m}/changed", m, CHANGED) for m in ("spatial", "temporal", "atnet", "micro-attention")]
         + [_case("atnet/fer-xception/changed", "atnet", {**CHANGED, **FER})]
         + [_case("atnet/amp-bf16", "atnet", dict(amp="bf16"))]
         + [_case("fer-probe", "fer-probe")]
         + [_case(f"{b}/{flow}", b, flow=flow) for b in BASELINES for flow in ("dis", "farneback")]
         + [_case(f"{b}/{flow}/folded-none", b, svm=dict(hoof_bins="folded", svm_class_weight="none"), flow=flow)
            for b in BASELINES for flow in ("dis", "farneback")]
         + [_case(f"features-{c}", f"features-{c}", classifier=c, features=True) for c in CLASSIFIERS])

# The registry's names for the -fer rows (new code only): with a plain TrainConfig they must give
# the keys ca9d92d gave spatial and atnet with the fer backbone (the same saved folds)
ALIASES = {"spatial-fer": "spatial/fer-xception", "atnet-fer": "atnet/fer-xception"}


class _Recorded(Exception):
    """Stops evaluate once the fold key's description is recorded, before anything is computed."""


class _Recomputed(Exception):
    """evaluate set out to compute a fold (its method's inputs, or a fit) instead of reading it."""


def fold_key(protocols, TrainConfig, BaselineConfig, Arrays, case: dict, folds_dir: Path,
             method: str | None = None, train: dict | None = None) -> tuple[dict, str]:
    """(the description evaluate hashes into the fold key, as JSON data; the key) for one case, on
    the code whose protocols module, TrainConfig, BaselineConfig and Arrays are given. `method` and
    `train` replace the case's (for ALIASES)."""
    seen = []

    def record(description):
        seen.append(description)
        raise _Recorded

    real = protocols.make_key
    protocols.make_key = record
    try:
        data = feature_arrays(Arrays) if case["features"] else arrays(Arrays)
        svm = BaselineConfig(**case["svm"]) if case["svm"] is not None else None
        cfg = TrainConfig(**(case["train"] if train is None else train))
        protocols.evaluate(method or case["method"], "cde", data, cfg, folds_dir, jobs=1, progress=False,
                           flow_backend=case["flow_backend"], classifier=case["classifier"], svm=svm)
    except _Recorded:
        pass
    finally:
        protocols.make_key = real
    assert len(seen) == 1, f"{case['name']}: evaluate called make_key {len(seen)} times before stopping"
    return json.loads(json.dumps(seen[0], sort_keys=True, default=str)), real(seen[0])


def fold_names(table: pd.DataFrame, splits, protocol: str) -> list[tuple[str, list[str]]]:
    """[(fold, its test clips as dataset/clip)] of `protocol` on the table, in the splitter's order."""
    return [(fold, [f"{table['dataset'][i]}/{table['clip'][i]}" for i in test])
            for fold, _, test in splits(protocol, table)]


def diff(golden, now, where: str = "") -> list[str]:
    """The parts of two descriptions that differ, one line each (dotted paths)."""
    if isinstance(golden, dict) and isinstance(now, dict):
        out = []
        for k in sorted(set(golden) | set(now), key=str):
            at = f"{where}.{k}" if where else str(k)
            if k not in now:
                out.append(f"  {at}: only in {COMMIT}'s ({golden[k]!r})")
            elif k not in golden:
                out.append(f"  {at}: only in the new code's ({now[k]!r})")
            else:
                out += diff(golden[k], now[k], at)
        return out
    return [] if golden == now else [f"  {where or '(whole)'}: {COMMIT} {golden!r}, now {now!r}"]


def dummy_probs(case_index: int, fold_index: int, n: int) -> np.ndarray:
    """Distinct rows for each saved fold file, so a file read for the wrong fold shows."""
    rows = np.arange(n, dtype=np.float64)[:, None] + np.array([1.0, 2.0, 3.0]) + 10 * fold_index + 100 * case_index
    return (rows / rows.sum(1, keepdims=True)).astype(np.float32)


def test_fold_keys_are_those_of_ca9d92d(tmp_path, monkeypatch):
    from atnet.data.prepare import Arrays
    from atnet.evaluation import protocols
    from atnet.methods import BaselineConfig
    from atnet.training import TrainConfig

    golden = json.loads(FOLD_KEYS.read_text())
    by_name = {c["name"]: c for c in golden["cases"]}
    assert sorted(by_name) == sorted(c["name"] for c in CASES), "the golden file and CASES list other cases; " \
        "rewrite the golden file with benchmarks/make_saved_golden.py --code <a ca9d92d worktree>"
    failed = []
    for case in CASES:
        want = by_name[case["name"]]
        description, key = fold_key(protocols, TrainConfig, BaselineConfig, Arrays, case, tmp_path / "folds")
        if key != want["key"]:
            failed.append(f"{case['name']}: fold key {key[:16]}, {COMMIT} {want['key'][:16]}; the description "
                          f"differs in\n" + "\n".join(diff(want["description"], description) or ["  (nothing?)"]))
    for alias, name in ALIASES.items():
        case = next(c for c in CASES if c["name"] == name)
        description, key = fold_key(protocols, TrainConfig, BaselineConfig, Arrays, case, tmp_path / "folds",
                                    method=alias, train={})
        want = by_name[name]
        if key != want["key"]:
            failed.append(f"{alias} with TrainConfig(): fold key {key[:16]}, {COMMIT}'s {name} {want['key'][:16]}; "
                          f"the description differs in\n" + "\n".join(diff(want["description"], description)
                                                                         or ["  (nothing?)"]))
    import sklearn
    if failed and sklearn.__version__ != golden["versions"]["sklearn"]:   # not the refactor's doing, perhaps
        failed.append(f"(the golden keys were written with scikit-learn {golden['versions']['sklearn']}, this is "
                      f"{sklearn.__version__}: the baselines' and classifiers' keys hold its repr of the estimator)")
    assert not failed, f"{len(failed)} fold key(s) differ from {COMMIT}'s, so folds saved there would be " \
                       f"computed again:\n" + "\n".join(failed)

    # and evaluate reuses the fold files ca9d92d would have written: each read back for its own fold,
    # nothing computed (method_inputs computes a method's features, fit_predict_fold trains a fold)
    def recompute(*args, **kwargs):
        raise _Recomputed
    monkeypatch.setattr(protocols, "method_inputs", recompute)
    monkeypatch.setattr(protocols, "fit_predict_fold", recompute)
    folds = {p: fold_names(table(), protocols.splits, p) for p in PROTOCOLS}
    assert folds == {p: [(f, clips) for f, clips in golden["folds"][p]] for p in PROTOCOLS}, "the folds changed"
    runs = [(c["name"], c, c["method"], c["train"]) for c in CASES]
    runs += [(alias, next(c for c in CASES if c["name"] == name), alias, {}) for alias, name in ALIASES.items()]
    for i, (label, case, method, train) in enumerate(runs):
        saved = tmp_path / "saved" / label.replace("/", "_")
        saved.mkdir(parents=True)
        data = feature_arrays(Arrays) if case["features"] else arrays(Arrays)
        svm = BaselineConfig(**case["svm"]) if case["svm"] is not None else None
        for protocol in PROTOCOLS:
            expected = []
            for f, ((_, clips), name) in enumerate(zip(folds[protocol], by_name[case["name"]]["files"][protocol])):
                probs = dummy_probs(i, f, len(clips))
                np.save(saved / name, probs)
                expected += [(clip, *map(float, row)) for clip, row in zip(clips, probs)]
            try:
                got = protocols.evaluate(method, protocol, data, TrainConfig(**train), saved, jobs=1, progress=False,
                                         flow_backend=case["flow_backend"], classifier=case["classifier"], svm=svm)
            except _Recomputed:
                pytest.fail(f"{label} {protocol}: evaluate computes folds although {COMMIT}'s fold files are there: "
                            f"{', '.join(by_name[case['name']]['files'][protocol])}")
            got = [(f"{d}/{k}", a, b, s) for d, k, a, b, s in
                   got[["dataset", "clip", "p_negative", "p_positive", "p_surprise"]].itertuples(index=False)]
            assert sorted(got) == sorted(expected), f"{label} {protocol}: not the scores of {COMMIT}'s fold files"


# ------------------------------------------------------------------------------------ model files

# (method, TrainConfig arguments) of the model files ca9d92d wrote; trained on the tiny corpus of
# conftest.py, prepared with PrepConfig() defaults, on the CPU
MODELS = {"temporal": dict(epochs=2, hidden=8, batch_size=8, device="cpu")}
PREDICTED = ["dataset", "subject", "clip", "onset", "apex", "offset", "apex_source", "face", "truth", "label",
             "p_negative", "p_positive", "p_surprise"]
# The golden probabilities were computed on prepared arrays (face crop, optical flow, ADM) made from
# the corpus on the machine that wrote them; here the corpus and its arrays are made again on this
# machine. Same code and libraries give them bit for bit; another BLAS, OpenCV or torch build may
# move a probability by float rounding, far below ATOL.
ATOL = 1e-5


def model_file(method: str) -> Path:
    return GOLDEN / f"{method}-{COMMIT}.safetensors"


def predicted(model, samples, cache) -> pd.DataFrame:
    """The model's predictions of the clips (apexes given: no spotting), the columns kept in the
    golden CSV (not `input`, a path on the machine that made it)."""
    t, left = model.predict(samples, cache=cache, spot_method="middle", progress=False)
    assert not left, [e.reason for e in left]
    return t[PREDICTED].sort_values(["dataset", "subject", "clip"]).reset_index(drop=True)


@pytest.mark.parametrize("method", list(MODELS))
def test_a_model_file_written_by_ca9d92d_loads_and_predicts_the_same(method, tiny_corpus, tmp_path, capsys):
    import atnet
    from atnet.app.api import describe
    from atnet.app.cli import main
    from atnet.data.datasets import synthetic

    path = model_file(method)
    model = atnet.load_model(path)
    assert model.method == method and model.meta["train"]["hidden"] == MODELS[method].get("hidden", 512)
    text = describe(model.meta)
    assert text.startswith(f"method {method}, classes negative, positive, surprise")
    assert "trained on 18 clips of 6 subjects" in text
    main(["info", str(path)])
    assert text in capsys.readouterr().out

    samples = atnet.load_corpora(synthetic.roots(tiny_corpus)).samples
    got = predicted(model, samples, tmp_path / "cache")
    want = pd.read_csv(GOLDEN / f"{method}-{COMMIT}.csv", dtype={"dataset": str, "subject": str, "clip": str})
    assert len(got) == len(want) == 18
    pd.testing.assert_frame_equal(got.drop(columns=["p_negative", "p_positive", "p_surprise"]),
                                  want.drop(columns=["p_negative", "p_positive", "p_surprise"]), check_dtype=False)
    np.testing.assert_allclose(got[["p_negative", "p_positive", "p_surprise"]].to_numpy(),
                               want[["p_negative", "p_positive", "p_surprise"]].to_numpy(), rtol=0, atol=ATOL)
