"""atnet: the Apex-Time Network for micro-expression recognition, end to end.

Layers, lowest first, one folder each; a layer imports only those below it (README, "Architecture";
checked by import-linter in `make test`):
core -> features -> data -> models -> training -> methods -> evaluation -> spotting -> app.

The Python API (imported on first use, so `import atnet` stays light):

    atnet.load_corpora({"casme2": ROOT, ...})   -> Corpus (samples, excluded)
    atnet.prepare_all(samples, PrepConfig(), cache_dir, jobs)   -> kept, prepared, excluded
      (not atnet.prepare: atnet.data.prepare is the module)
    atnet.evaluate(method, protocol, arrays, TrainConfig(), folds_dir)   -> predictions table
    atnet.train(samples, method, prep, train)   -> (Model, excluded); Model.save(path)
    atnet.load_model(path)   -> Model; Model.predict([atnet.clip(video, onset, apex, offset), ...])
    atnet.spot(sample, prep)   -> the sample with its apex spotted
    atnet.evaluate_run(atnet.Inputs(roots=...), methods, protocols, prep, train, out)   -> `atnet evaluate`
    atnet.demo(out), atnet.reproduce(atnet.Inputs(...), out, seeds=3)   -> `atnet demo`, `atnet reproduce`
    atnet.evaluate_features(features, ["cde"], out, labels=csv)   -> `atnet evaluate --features`
    atnet.read_predictions(path), atnet.compare(a, b)   -> `atnet score --predictions`, `atnet compare`
    atnet.register(atnet.Method(name, description, inputs, fit, predict))   -> a method of your own
    atnet.long_video(path, fps), atnet.spot_video(video)   -> `atnet spot` (long videos)
    atnet.evaluate_spotting({"samm-lv": ROOT, "casme-sq": ROOT}, out)   -> `atnet evaluate --task spot`
    with atnet.scheduler("local:4"): ...   -> `--scheduler`: the runs inside go to Dask
    atnet.view(run_folder, "page.html")   -> `atnet view`: one self-contained HTML page of a run
"""

__version__ = "0.1.0"
from .core.classes import CLASSES  # noqa: E402  (the class names, ids 0, 1, 2)

_API = {"load_corpora": ("data.datasets", "load_corpora"), "prepare_all": ("data.prepare", "prepare_all"),
        "to_arrays": ("data.prepare", "to_arrays"), "PrepConfig": ("data.prepare", "PrepConfig"),
        "TrainConfig": ("training", "TrainConfig"), "evaluate": ("evaluation.protocols", "evaluate"),
        "train": ("app.api", "train"), "load_model": ("app.api", "load_model"), "clip": ("app.api", "clip"),
        "clips_from_csv": ("app.api", "clips_from_csv"), "spot": ("app.api", "spot"), "Model": ("app.api", "Model"),
        "Inputs": ("app.runs", "Inputs"), "evaluate_run": ("app.runs", "evaluate_run"), "demo": ("app.runs", "demo"),
        "reproduce": ("app.runs", "reproduce"), "evaluate_features": ("app.runs", "evaluate_features"),
        "read_predictions": ("evaluation.byo", "read_predictions"), "compare": ("evaluation.byo", "compare"),
        "methods": ("methods", None), "register": ("methods", "register"), "Method": ("methods", "Method"),
        "long_video": ("spotting.run", "long_video"), "spot_video": ("spotting.run", "spot_video"),
        "evaluate_spotting": ("spotting.run", "evaluate_spotting"), "scheduler": ("core.parallel", "scheduler"),
        "view": ("app.view", "view")}


def __getattr__(name):
    if name in _API:
        from importlib import import_module
        module, attr = _API[name]
        found = import_module(f"{__name__}.{module}")
        return found if attr is None else getattr(found, attr)
    raise AttributeError(f"module 'atnet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
