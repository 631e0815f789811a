"""Write the golden files of tests/test_saved_stay_valid.py from the code in --code (default: this
checkout): every method's fold key and fold file names (fold_keys.json), and a model file written
by `atnet train`'s API with the predictions it makes (METHOD-COMMIT.safetensors, METHOD-COMMIT.csv).

The cases, the arrays and the recording are the test module's own (imported from it), so the golden
files and the test cannot drift apart. To capture an older commit without touching this checkout
(run from outside the checkout, so that its folder is not first on the path):

    git worktree add /tmp/old ca9d92d
    cd /tmp && /work/main/.venv/bin/python /work/main/benchmarks/make_saved_golden.py --code /tmp/old
    git worktree remove /tmp/old --force

The fold keys take a few seconds (nothing is trained: evaluate is stopped at its make_key); the
model files, the tiny synthetic corpus and a two-epoch training, about a minute on 2 cores.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
MAX_MODEL_BYTES = 200_000   # a model file larger than this is not committed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--code", default=str(HERE), help="the checkout whose atnet is captured (default: this one)")
    ap.add_argument("--out", default=str(HERE / "tests" / "data" / "golden"))
    ap.add_argument("--skip-models", action="store_true", help="write fold_keys.json only")
    args = ap.parse_args()
    code = Path(args.code).resolve()
    # first on the path: before the current directory and the venv's editable install of this checkout
    sys.path.insert(0, str(code))
    import atnet
    where = Path(atnet.__file__).resolve()
    if code not in where.parents:
        sys.exit(f"atnet was imported from {where}, not from {code}")
    try:   # after the layers (atnet/data, atnet/evaluation, atnet/methods)
        from atnet.data.datasets import synthetic
        from atnet.data.prepare import Arrays
        from atnet.evaluation import protocols
        from atnet.methods import BaselineConfig
    except ImportError:   # ca9d92d
        from atnet import protocols
        from atnet.baselines import BaselineConfig
        from atnet.datasets import synthetic
        from atnet.prepare import Arrays
    from atnet.training import TrainConfig
    commit = subprocess.run(["git", "-C", str(code), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(code), "status", "--porcelain", "--", "atnet"], capture_output=True,
                           text=True).stdout.strip()
    print(f"capturing atnet from {where} (commit {commit}{', atnet/ modified' if dirty else ''})", flush=True)

    spec = importlib.util.spec_from_file_location("saved", HERE / "tests" / "test_saved_stay_valid.py")
    test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test)
    out = Path(args.out)
    if out.resolve() == (HERE / "tests" / "data" / "golden").resolve() and not commit.startswith(test.COMMIT):
        sys.exit(f"the golden files are {test.COMMIT}'s, and this is {commit[:7]}: capture {test.COMMIT} (--code), "
                 f"or write elsewhere (--out)")
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="saved-golden-") as tmp:
        tmp = Path(tmp)
        cases = []
        for case in test.CASES:
            description, key = test.fold_key(protocols, TrainConfig, BaselineConfig, Arrays, case, tmp / "folds")
            files = {p: [protocols._fold_file(Path(), description["method"], p, fold, key).name
                         for fold, _ in test.fold_names(test.table(), protocols.splits, p)] for p in test.PROTOCOLS}
            cases.append({"name": case["name"], "method": case["method"], "key": key, "description": description,
                          "files": files})
            print(f"  {case['name']}: {key[:16]}", flush=True)
        import sklearn
        golden = {"commit": commit, "atnet_modified": bool(dirty),
                  # the baselines' and classifiers' keys hold scikit-learn's repr of their estimator
                  "versions": {"sklearn": sklearn.__version__},
                  "what": "protocols.evaluate's fold key (make_key's argument and result) per case of "
                          "tests/test_saved_stay_valid.py CASES, and the names of the fold files it saves",
                  "folds": {p: test.fold_names(test.table(), protocols.splits, p) for p in test.PROTOCOLS},
                  "cases": cases}
        (out / test.FOLD_KEYS.name).write_text(json.dumps(golden, indent=1, sort_keys=False) + "\n")
        print(f"wrote {len(cases)} fold keys to {out / test.FOLD_KEYS.name}", flush=True)
        if args.skip_models:
            return

        synthetic.synthesize(tmp / "synth", jobs=2, progress=False, subjects=(2, 2, 2), fraction=0.02)
        samples = atnet.load_corpora(synthetic.roots(tmp / "synth")).samples
        for method, train in test.MODELS.items():
            model, left = atnet.train(samples, method, atnet.PrepConfig(), TrainConfig(**train), tmp / "cache",
                                      jobs=1, progress=False)
            assert not left, left
            path = model.save(tmp / f"{method}.safetensors")
            size = path.stat().st_size
            if size > MAX_MODEL_BYTES:
                print(f"  {method}: its model file has {size} bytes, over {MAX_MODEL_BYTES}: not written", flush=True)
                continue
            # the file as a user has it: read back, then predicting
            table = test.predicted(atnet.load_model(path), samples, tmp / "cache")
            target = out / test.model_file(method).name
            target.write_bytes(path.read_bytes())
            table.to_csv(out / f"{method}-{test.COMMIT}.csv", index=False)
            print(f"  {method}: wrote {target} ({size} bytes) and the predictions of {len(table)} clips", flush=True)


if __name__ == "__main__":
    main()
