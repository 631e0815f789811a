"""atnet: the Apex-Time Network for micro-expression recognition, end to end.

Pipeline (each a subpackage, dependencies point one way):
datasets -> faces -> features -> models -> training -> protocols -> metrics -> reports; cli on top.

The Python API (imported on first use, so `import atnet` stays light):

    atnet.load_corpora({"casme2": ROOT, ...})   -> Corpus (samples, excluded)
    atnet.prepare_all(samples, PrepConfig(), cache_dir, jobs)   -> kept, prepared, excluded
      (not atnet.prepare: that name is the module atnet/prepare.py)
    atnet.evaluate(method, protocol, arrays, TrainConfig(), folds_dir)   -> predictions table
    atnet.train(samples, method, prep, train)   -> (Model, excluded); Model.save(path)
    atnet.load_model(path)   -> Model; Model.predict([atnet.clip(video, onset, apex, offset), ...])
    atnet.spot(sample, prep)   -> the sample with its apex spotted
    atnet.evaluate_run(atnet.Inputs(roots=...), methods, protocols, prep, train, out)   -> `atnet evaluate`
    atnet.demo(out), atnet.reproduce(atnet.Inputs(...), out, seeds=3)   -> `atnet demo`, `atnet reproduce`
    atnet.evaluate_features(features, ["cde"], out, labels=csv)   -> `atnet evaluate --features`
    atnet.read_predictions(path), atnet.compare(a, b)   -> `atnet score --predictions`, `atnet compare`
    atnet.long_video(path, fps), atnet.spot_video(video)   -> `atnet spot` (long videos)
    atnet.evaluate_spotting({"samm-lv": ROOT, "casme-sq": ROOT}, out)   -> `atnet evaluate --task spot`
    with atnet.scheduler("local:4"): ...   -> `--scheduler`: the runs inside go to Dask
"""

__version__ = "0.1.0"
CLASSES = ("negative", "positive", "surprise")  # MEGC 2019 ids 0, 1, 2

_API = {"load_corpora": ("datasets", "load_corpora"), "prepare_all": ("prepare", "prepare_all"),
        "to_arrays": ("prepare", "to_arrays"), "PrepConfig": ("prepare", "PrepConfig"),
        "TrainConfig": ("training", "TrainConfig"), "evaluate": ("protocols", "evaluate"),
        "train": ("api", "train"), "load_model": ("api", "load_model"), "clip": ("api", "clip"),
        "clips_from_csv": ("api", "clips_from_csv"), "spot": ("api", "spot"), "Model": ("api", "Model"),
        "Inputs": ("runs", "Inputs"), "evaluate_run": ("runs", "evaluate_run"), "demo": ("runs", "demo"),
        "reproduce": ("runs", "reproduce"), "evaluate_features": ("runs", "evaluate_features"),
        "read_predictions": ("byo", "read_predictions"), "compare": ("byo", "compare"),
        "long_video": ("spotting.run", "long_video"), "spot_video": ("spotting.run", "spot_video"),
        "evaluate_spotting": ("spotting.run", "evaluate_spotting"), "scheduler": ("parallel", "scheduler")}


def __getattr__(name):
    if name in _API:
        from importlib import import_module
        module, attr = _API[name]
        return getattr(import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module 'atnet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
