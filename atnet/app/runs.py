"""The runs behind the CLI, as plain functions a notebook can call: where the clips come from
(`Inputs`), preparing them, evaluating methods under protocols into a run folder (`evaluate_run`),
the demo (`demo`), and the reproduction of Tables II and III (`reproduce`). The CLI only builds
these arguments from flags.

    from atnet.app.runs import Inputs, evaluate_run, reproduce
    inputs = Inputs(roots={"casme2": "/data/CASME2", "samm": "/data/SAMM", "smic": "/data/SMIC"})
    records = evaluate_run(inputs, ["atnet"], ["cde", "hde"], PrepConfig(), TrainConfig(), "runs/x")
    summary = reproduce(inputs, "runs/full", seeds=3)
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock
from pydantic import BaseModel, ConfigDict

from .. import methods as registry
from ..core.cache import atomic, sweep, write_atomic
from ..core.provenance import package_versions
from ..core.readers import read_json
from ..data import classsets
from ..data.datasets import Corpus, CorpusError, load_corpora, synthetic, synthetic_more, to_frame
from ..data.excluded import exclusions, report_excluded, report_fallbacks
from ..data.prepare import PrepConfig, prepare_all, read_apex_table, table_inputs, to_arrays
from ..evaluation import metrics, reports
from ..evaluation.manifest import RunInputs, check_class_set, given, write_manifest
from ..evaluation.protocols import PROTOCOLS, check_protocol, evaluate
from ..methods import BaselineConfig, Method, Settings
from ..methods.baselines import BASELINES
from ..training import TrainConfig

DEFAULT_CACHE = Path(".cache/atnet")

# The demo's settings: the paper's recipe, scaled so that 3 methods x (16 CDE folds + 3 HDE folds)
# train in minutes on 2 CPU cores: a 32 px spatial input, LSTM(64), batch 32 with the lr doubled
# (linear scaling), 40 epochs with the lr / 10 every 16. Printed with the tables.
DEMO_NETWORKS = ("spatial", "temporal", "atnet")   # Micro-Attention: `atnet evaluate --method micro-attention`
DEMO_TRAIN = dict(epochs=40, lr_step=16, batch_size=32, lr=0.02, image_size=32, hidden=64)


def paper_methods() -> tuple[str, ...]:
    """The twelve rows of Tables II and III (the registry's group "paper")."""
    return registry.names("paper")


def reproduce_methods() -> tuple[str, ...]:
    """What `atnet reproduce` runs by default: the paper's rows and the rows beyond the paper (fer's
    FER2013 mini-Xception, frozen with a probe or fine-tuned as the spatial stream; the onset-apex
    flow methods)."""
    return registry.names("paper", "beyond")


def evaluate_methods() -> tuple[str, ...]:
    """What --method takes: every registered method but the --features classifiers."""
    return registry.names("paper", "beyond", "yours")


def table_methods(path) -> tuple[str, ...]:
    """Those that read only what an apex table holds (its apex images, its flows, or both)."""
    return registry.reading_only(table_inputs(path))


def row_of(method: Method, settings: Settings) -> Method:
    """The row a method's results go in: a run whose settings already are a variant's is that
    variant's row (spatial with --spatial-backbone fer-xception is spatial-fer), so that it never
    overwrites the ResNet-10 row in one run folder."""
    for v in registry.all_methods().values():
        if v.base == method.name and v.adjust is not None and v.adjust(settings) == settings:
            return v
    return method


@dataclass
class Inputs:
    """Where the clips come from: real corpus roots ({"casme2": ROOT, ...}; `sheets` names a
    spreadsheet that is not inside its root), a synthetic corpus root (written there if absent), or
    an apex table (apex images, onset-apex flows or both); with none, the synthetic corpus under `cache` (built to
    match). `classes`: the class set the clips are labelled by (a built-in name or a JSON file; default megc2019)."""
    roots: dict = field(default_factory=dict)
    sheets: dict = field(default_factory=dict)
    synthetic: str | None = None
    apex_table: str | None = None
    cache: str = str(DEFAULT_CACHE)
    jobs: int = 2
    smic_apex: str = "middle"    # middle | spotted (SMIC has no apex annotation)
    classes: str = classsets.DEFAULT

    @property
    def real(self) -> bool:
        return bool(self.apex_table or any(self.roots.values()))

    def class_set(self) -> classsets.ClassSet:
        return classsets.get(self.classes)

    def corpus_roots(self) -> dict:
        """The roots read: the real ones given, or the synthetic corpora the class set serves (the
        composite's three; CAS(ME)^3 and MMEW in ROOT/CASME3 and ROOT/MMEW). A synthetic corpus you
        name is used as it is; the default one, and a part you name that is not there, is written to
        match."""
        real = {n: r for n, r in self.roots.items() if r}
        if real:
            return real
        root, cs = Path(self.synthetic or Path(self.cache) / "synthetic"), self.class_set()
        served = {}
        if any(cs.serves(n) for n in synthetic.roots(root)):
            if not (self.synthetic and (root / "synth.json").exists()):
                synthetic.synthesize(root, jobs=self.jobs)
            served = {n: r for n, r in synthetic.roots(root).items() if cs.serves(n)}
        for shape, write in ((synthetic_more.CASME3, synthetic_more.synthesize_casme3),
                             (synthetic_more.MMEW, synthetic_more.synthesize_mmew)):
            if cs.serves(shape.name):
                folder = root / shape.folder
                served[shape.name] = folder if self.synthetic and (folder / "synth.json").exists() else \
                    write(root, jobs=self.jobs)
        if not served:
            raise CorpusError(f"--classes {cs.name}: the class set serves {', '.join(cs.corpora)}, none of which the "
                              f"synthetic corpus can stand in for; give the corpora it serves.")
        return served

    def corpus(self) -> Corpus:
        return load_corpora(self.corpus_roots(), self.sheets, self.class_set())

    def manifest(self, features=None, labels=None) -> RunInputs:
        """What run.json records of these inputs (and of `--features`, `--labels`)."""
        real = {n: given(r) for n, r in self.roots.items() if r}
        default = not (real or self.synthetic or self.apex_table)
        source = ("features" if features else "apex-table" if self.apex_table else "corpora" if real
                  else "synthetic" if self.synthetic else "default-synthetic")
        corpus = not self.apex_table and not (features and labels)   # a corpus was read (for labels, too)
        return RunInputs(source=source, roots=real if corpus else {},
                         sheets={n: given(p) for n, p in self.sheets.items() if p} if corpus and real else {},
                         synthetic=given(self.synthetic or Path(self.cache) / "synthetic")
                         if corpus and not real and (self.synthetic or default) else None,
                         apex_table=given(self.apex_table), features=given(features), labels=given(labels),
                         cache=given(self.cache), smic_apex=self.smic_apex,
                         classes=self.classes if self.classes in classsets.names() else os.path.abspath(self.classes))


def smic_apex(samples, inputs: Inputs, prep: PrepConfig):
    """(samples, exclusions) with SMIC's apexes spotted where inputs.smic_apex is "spotted"."""
    if inputs.smic_apex == "middle" or not any(s.dataset == "smic" for s in samples):
        return samples, []
    from . import api
    spotted, failed = api.spot_all([s for s in samples if s.dataset == "smic"], prep, "lbp", inputs.jobs)
    by_key = {s.key: s for s in spotted}
    return [by_key.get(s.key, s) for s in samples if s.dataset != "smic" or s.key in by_key], failed


def load_and_prepare(inputs: Inputs, prep: PrepConfig, methods=(), protocols=(), folds: int | None = None):
    """(Arrays, exclusions table): the clips read and prepared (cached); that the methods and
    protocols (k-fold-subjects with K = `folds`) can run on them is checked before any clip is prepared."""
    for m in methods:
        registry.get(m)   # an unknown name is refused before any work
    cs = inputs.class_set()   # read once (a set of your own is a file)
    if inputs.apex_table:
        held = table_inputs(inputs.apex_table)
        fits = registry.reading_only(held)
        wrong = [m for m in methods if m not in fits]
        if wrong:
            needs = [i for i in registry.get(wrong[0]).inputs if i not in held]
            raise CorpusError(f"{inputs.apex_table}: the table holds {' and '.join(sorted(held))} only, and --method "
                              f"{wrong[0]} reads {registry.INPUTS[needs[0]]}; use --method {' '.join(fits)}.")
        data, failed = read_apex_table(inputs.apex_table, prep, cs.classes, cs.name)
        return data, exclusions(failed)
    corpus = inputs.corpus()
    for protocol in protocols:
        check_protocol(protocol, to_frame(corpus.samples), folds)
    samples, unspotted = smic_apex(corpus.samples, inputs, prep)
    kept, prepared, failed = prepare_all(samples, prep, Path(inputs.cache) / "prepared", jobs=inputs.jobs)
    excluded = exclusions(corpus.excluded + unspotted + failed)
    if not kept:
        report_excluded(excluded, None)
        raise CorpusError("no clip could be prepared; see the reasons listed above.")
    report_fallbacks(kept, prepared, prep)
    return to_arrays(kept, prepared, cs.classes, cs.name), excluded


def run_evaluations(data, methods, protocols, settings: Settings, out: Path, jobs: int,
                    seeds: list[int] | None = None, trace_epochs: bool = False,
                    folds: int | None = None) -> tuple[list[dict], list[dict]]:
    """Evaluate and write predictions (CSV + MEGC log) and results.json (records merged by key).
    `methods` are registered names (with `data.features`: the names of your features' rows, each
    classified by settings.classifier). With `seeds`, each seeded method (a network) runs once per
    seed (files and records tagged with it); the others are deterministic and run once. Returns
    (records, runs: which predictions file each run wrote). With `trace_epochs`, the methods trained
    in epochs also write every epoch's test scores (epochs/NAME.csv) and what picking each test
    fold's best epoch would have reported (epochs/NAME.json; write_inflation). `folds`: K of
    k-fold-subjects (default 10)."""
    (out / "predictions").mkdir(parents=True, exist_ok=True)
    sweep(out)   # temporary files of a killed run
    path = out / "results.json"
    if path.exists():
        reports.read_results(path)   # a damaged file is named before any training, not after it
    records, runs = [], []
    for protocol in protocols:
        for given in methods:
            if data.features is not None:   # your features: the row is yours, the method the classifier
                method, row = registry.get(settings.classifier, "--classifier"), given
            else:
                method = registry.get(given)
                method = row_of(method, method.settings(settings))
                row = method.name
            base = method.settings(settings)
            init = method.init_text(method.config(base))
            once = seeds is None or not method.seeded or data.features is not None
            for seed in ([None] if once else seeds):
                run_settings = base if seed is None else replace(base, train=replace(base.train, seed=seed))
                name = f"{row}-{protocol}" + ("" if seed is None else f"-seed{seed}")
                preds = evaluate(method, protocol, data, run_settings, out / "folds", jobs=jobs,
                                 name=row if data.features is not None else None, trace_epochs=trace_epochs,
                                 folds=folds)
                if "epochs" in preds.attrs:
                    write_inflation(out, name, preds, data.classes)
                write_atomic(out / "predictions" / f"{name}.csv", preds.to_csv(index=False))
                if data.class_set == classsets.DEFAULT:   # the MEGC 2019 log format is the composite's
                    metrics.write_megc_log(preds, out / "predictions" / f"{name}.log")
                runs.append({"method": row, "protocol": protocol, "seed": seed, "init": init,
                             "predictions": f"{name}.csv"})
                new = [{"method": row, "protocol": protocol, "seed": seed, "init": init, "class_set": data.class_set,
                        **r} for r in metrics.summarize(preds, data.classes)]
                with FileLock(out / ".results.json.lock"):   # another run on this folder may write too
                    records = reports.read_results(path) if path.exists() else []
                    records = [r for r in records
                               if (r["method"], r["protocol"], r.get("seed")) != (row, protocol, seed)] + new
                    write_atomic(path, json.dumps(records, indent=1))   # whole, then renamed
                full = new[0]
                print(f"{row:>16} {protocol}{'' if seed is None else f' seed {seed}'}: Acc {full['acc']:.3f}  "
                      f"UF1 {full['uf1']:.3f}  UAR {full['uar']:.3f}  (n = {full['n']})", flush=True)
    return records, runs


def write_inflation(out: Path, name: str, preds: pd.DataFrame, classes) -> dict:
    """epochs/NAME.csv (every epoch's test scores) and epochs/NAME.json: the scores at the last
    epoch (what atnet reports) beside those of each test fold's best epoch (metrics.best_epoch_per_fold:
    a choice on the test fold, which atnet never makes), full set; said in one line."""
    epochs = preds.attrs["epochs"]
    (out / "epochs").mkdir(exist_ok=True)
    write_atomic(out / "epochs" / f"{name}.csv", epochs.to_csv(index=False))
    final = metrics.summarize(preds, classes)[0]
    picked = metrics.summarize(metrics.best_epoch_per_fold(epochs), classes)[0]
    rec = {"run": name, "epochs": int(epochs["epoch"].max()),
           "last_epoch": {k: final[k] for k in ("acc", "uf1", "uar", "n")},
           "best_epoch_per_test_fold": {k: picked[k] for k in ("acc", "uf1", "uar", "n")}}
    write_atomic(out / "epochs" / f"{name}.json", json.dumps(rec, indent=1))
    print(f"{name}: at the last epoch UF1 {final['uf1']:.3f} UAR {final['uar']:.3f}; picking each test fold's best "
          f"epoch (a choice on the test fold, never made here) would report UF1 {picked['uf1']:.3f} UAR "
          f"{picked['uar']:.3f} ({picked['uf1'] - final['uf1']:+.3f})", flush=True)
    return rec


def print_tables(records: list[dict], label: str = "ours", class_set: str = classsets.DEFAULT) -> str:
    text = reports.tables_text(records, class_set, label)
    print("\n" + text + "\n")
    return text


def evaluate_run(inputs: Inputs, methods, protocols, prep: PrepConfig, train: TrainConfig,
                 out: str | Path, svm: BaselineConfig | None = None, argv=(), trace_epochs: bool = False,
                 folds: int | None = None) -> list[dict]:
    """`atnet evaluate`: prepare, then every method under every protocol, written to `out`
    (predictions, MEGC logs, results.json, excluded.csv, settings.json, run.json; `argv`: the
    command line, for run.json; `folds`: K of k-fold-subjects). Returns the records."""
    out = Path(out)
    check_class_set(out, inputs.class_set().name)
    out.mkdir(parents=True, exist_ok=True)
    data, excluded = load_and_prepare(inputs, prep, methods, protocols, folds)
    report_excluded(excluded, out)
    svm = svm or BaselineConfig()
    configs = {"prep": asdict(prep), "train": asdict(train), "baselines": asdict(svm)}
    write_atomic(out / "settings.json", json.dumps(configs, indent=1))
    records, done = run_evaluations(data, methods, protocols, Settings(prep, train, svm), out, inputs.jobs,
                                    trace_epochs=trace_epochs, folds=folds)
    write_manifest(out, "recognition", argv, inputs.manifest(), configs, done, data.classes, data.class_set)
    print_tables(records, class_set=data.class_set)
    return records


def describe_class_sets(inputs: Inputs | None = None, only: str | None = None) -> str:
    """`atnet classes`: every class set (or `only`), its classes, the corpora it serves and the
    papers that use it; with `inputs`, the clips of each class per corpus given (read with each set
    that serves them) and the count left out."""
    sets = [classsets.get(only)] if only else [classsets.get(n) for n in classsets.names()]
    roots = inputs.corpus_roots() if inputs is not None else {}
    lines = []
    for s in sets:
        lines += [f"{s.name} ({s.source}): {s.description}", f"  classes (ids 0..{s.k - 1}): {', '.join(s.classes)}"]
        for corpus, rule in s.corpora.items():
            mapped = ", ".join(f"{v} -> {c}" for v, c in rule.map.items())
            lines.append(f"  {corpus} ({rule.column}): {mapped}; left out: {', '.join(rule.left_out) or 'none'}"
                         + (f"; {len(rule.exclude)} clip(s) excluded by name" if rule.exclude else ""))
            if corpus in roots:
                try:
                    got = load_corpora({corpus: roots[corpus]}, inputs.sheets, s)
                except CorpusError as e:
                    lines.append(f"    on {roots[corpus]}: cannot be read with this set: {e}")
                    continue
                counts = pd.Series([x.label for x in got.samples]).value_counts()
                lines.append(f"    on {roots[corpus]}: " + ", ".join(f"{c} {int(counts.get(c, 0))}" for c in s.classes)
                             + f"; {len(got.samples)} clips, {len(got.excluded)} left out (`atnet corpus --classes "
                               f"{s.name}` lists them)")
        if s.papers:
            lines.append(f"  used by: {'; '.join(s.papers)}")
        lines.append("")
    return "\n".join(lines).rstrip()


FLOW_FORMATS = ("npy", "png")


def export_flows(inputs: Inputs, prep: PrepConfig, out: str | Path, fmt: str = "npy") -> Path:
    """`atnet export-flows`: every clip's onset-apex flow (u, v, strain at prep.oa_size), as the
    flow tables of the MEGC 2019 repositories hold them, with the table (flows.csv: dataset,
    subject, clip, label, flow) that `--apex-table` reads back. `npy`: the float32 values as they
    are (a table read back predicts exactly as the corpus does); `png`: 8-bit RGB, each channel
    of each clip min-max to 0-255, as the published images (magnitudes are lost). Returns the table."""
    import cv2
    if fmt not in FLOW_FORMATS:
        raise CorpusError(f"--format {fmt}: unknown; choose one of {', '.join(FLOW_FORMATS)}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data, excluded = load_and_prepare(inputs, prep)
    report_excluded(excluded, out)
    rows = []
    for r, f in zip(data.table.itertuples(), data.flow):
        rel = Path(r.dataset) / r.subject.split("/", 1)[1] / f"{r.clip}.{fmt}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "npy":
            with atomic(out / rel) as tmp, open(tmp, "wb") as fh:
                np.save(fh, f)
        else:
            lo, hi = f.min(axis=(0, 1)), f.max(axis=(0, 1))
            img = np.rint((f - lo) / np.where(hi > lo, hi - lo, 1) * 255).astype(np.uint8)
            ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
            with atomic(out / rel) as tmp:
                Path(tmp).write_bytes(buf.tobytes())
        rows.append({"dataset": r.dataset, "subject": r.subject, "clip": r.clip, "label": r.label,
                     "flow": rel.as_posix()})
    table = out / "flows.csv"
    write_atomic(table, pd.DataFrame(rows).to_csv(index=False))
    print(f"wrote {len(rows)} onset-apex flows ({fmt}, {prep.oa_size} x {prep.oa_size} x 3: u, v, strain) and {table}; "
          f"evaluate them with --apex-table {table}")
    return table


def evaluate_features(features: str | Path, protocols, out: str | Path, labels: str | Path | None = None,
                      inputs: Inputs | None = None, classifier: str = "logreg", name: str | None = None,
                      on_missing: str = "refuse", jobs: int | None = None, argv=(),
                      folds: int | None = None) -> list[dict]:
    """`atnet evaluate --features`: your per-clip features (byo.read_features's formats) through the
    same protocols, classified by `classifier` (the registry's group "classifier"); labels and subjects from
    `labels` (`atnet corpus`'s CSV) or from the corpora of `inputs`. Folds run `jobs` at a time
    (default: inputs.jobs, 2). Writes what evaluate_run writes under the row `name` (default
    features-CLASSIFIER); `folds`: K of k-fold-subjects. Returns the records."""
    from ..evaluation import byo
    if classifier not in registry.names("classifier"):
        raise CorpusError(f"--classifier {classifier}: unknown; choose one of "
                          f"{', '.join(registry.names('classifier'))}.")
    out = Path(out)
    cs = (inputs or Inputs()).class_set()
    check_class_set(out, cs.name)
    out.mkdir(parents=True, exist_ok=True)
    if labels:
        table, excluded = byo.read_labels(labels, cs.classes), []
    else:
        corpus = (inputs or Inputs()).corpus()
        table, excluded = to_frame(corpus.samples)[["dataset", "subject", "clip", "label"]], list(corpus.excluded)
    for protocol in protocols:
        check_protocol(protocol, table, folds)
    data, left = byo.feature_arrays(features, table, on_missing, cs.classes, cs.name)
    report_excluded(exclusions(excluded + left), out)
    for protocol in protocols:   # again, on what has features
        check_protocol(protocol, data.table, folds)
    name = name or f"features-{classifier}"
    write_atomic(out / "settings.json", json.dumps({"features": str(features), "labels": str(labels or ""),
                                                    "classifier": classifier, "name": name,
                                                    "dimensions": int(data.features.shape[1])}, indent=1))
    jobs = jobs or (inputs or Inputs()).jobs
    records, done = run_evaluations(data, [name], protocols, Settings(classifier=classifier), out, jobs, folds=folds)
    write_manifest(out, "recognition", argv, (inputs or Inputs()).manifest(features, labels),
                   {"classifier": classifier}, done, cs.classes, cs.name)
    print_tables(records, class_set=cs.name)
    return records


def demo(out: str | Path = "runs/demo", cache: str | Path = DEFAULT_CACHE, jobs: int = 2, argv=()) -> list[dict]:
    """`atnet demo`: the embedded synthetic corpus, the eight baselines and ATNet's three streams,
    CDE and HDE, with the demo's CPU-sized recipe; writes tables.md beside the run's files."""
    t0 = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    inputs = Inputs(cache=str(cache), jobs=jobs)
    prep, train = PrepConfig(), replace(TrainConfig(), **DEMO_TRAIN)
    data, excluded = load_and_prepare(inputs, prep)
    report_excluded(excluded, out)
    settings = {"corpus": f"synthetic (seed 0, default size): {len(data.table)} clips, "
                          f"{data.table['subject'].nunique()} subjects",
                "prep": asdict(prep), "train": asdict(train)}
    write_atomic(out / "settings.json", json.dumps(settings, indent=1))
    records, done = run_evaluations(data, BASELINES + DEMO_NETWORKS, PROTOCOLS, Settings(prep, train),
                                    out, jobs)
    write_manifest(out, "recognition", argv, inputs.manifest(), {"prep": asdict(prep), "train": asdict(train),
                                                                 "baselines": asdict(BaselineConfig())}, done)
    text = print_tables(records, "ours (synthetic)")
    wall = time.time() - t0
    lines = [f"Demo settings: corpus {settings['corpus']}; crop {prep.size} px, flow {prep.flow}, "
             f"ADM mean {prep.adm_mean}; spatial input {train.image_size} px, {train.epochs} epochs "
             f"(lr {train.lr} / 10 every {train.lr_step}), LSTM hidden {train.hidden}, batch {train.batch_size}, "
             f"class-balanced {train.balance}, device {train.device}. Baselines: the window's frames at "
             f"{prep.volume_size} px, class-weighted degree-2 polynomial SVMs.",
             "The paper rows are the paper's numbers on the real MEGC 2019 composite (442 clips); the 'ours' "
             "rows are this run on the synthetic corpus. They are not the same data.",
             f"Wall time {wall:.0f} s on {os.cpu_count()} cores (peak memory: benchmarks/bench_demo.py)."]
    print("\n".join(lines))
    write_atomic(out / "tables.md", text + "\n\n" + "\n\n".join(lines) + "\n")
    print(f"\nWrote {out / 'results.json'}, {out / 'tables.md'}, predictions in {out / 'predictions'}.")
    return records


class Invocation(BaseModel):
    """One row of a reproduction's invocations.json."""
    model_config = ConfigDict(extra="allow")
    started: str
    wall_s: float
    folds_trained: int


def train_recipe(preset: str, real: bool, overrides: dict | None = None) -> tuple[str, TrainConfig]:
    """(preset, TrainConfig): the paper's recipe or the demo's CPU-sized one (auto: demo on the
    synthetic corpus, paper on real corpora), then `overrides` (the training flags given)."""
    preset = preset if preset != "auto" else ("paper" if real else "demo")
    return preset, replace(TrainConfig(), **{**(DEMO_TRAIN if preset == "demo" else {}), **(overrides or {})})


def reproduce(inputs: Inputs, out: str | Path = "runs/reproduce", methods=None, protocols=PROTOCOLS,
              seeds: int = 3, preset: str = "auto", prep: PrepConfig | None = None,
              train_overrides: dict | None = None, command: str = "", svm: BaselineConfig | None = None,
              argv=(), trace_epochs: bool = False, folds: int | None = None) -> list[dict]:
    """`atnet reproduce`: every row of Tables II and III (or `methods`), networks once per seed,
    resumable fold by fold, with report.md / report.html / figures / summary.json. `argv`: the
    command line, for run.json and (unless `command` says otherwise) the report; `folds`: K of
    k-fold-subjects. Returns the summary rows (mean and std over seeds)."""
    from ..evaluation.reports.reproduce import write_report
    t0 = time.time()
    out = Path(out)
    check_class_set(out, inputs.class_set().name)
    out.mkdir(parents=True, exist_ok=True)
    real = inputs.real
    prep = prep or PrepConfig()
    preset, train = train_recipe(preset, real, train_overrides)
    seeds = [train.seed + i for i in range(seeds)]
    methods = list(methods or (table_methods(inputs.apex_table) if inputs.apex_table else reproduce_methods()))
    data, excluded = load_and_prepare(inputs, prep, methods, protocols, folds)
    report_excluded(excluded, out)
    source = (f"apex table {inputs.apex_table}" if inputs.apex_table else "real corpora" if real
              else "synthetic (seed 0, default size)")
    corpus = (f"{source}: {len(data.table)} clips, {data.table['subject'].nunique()} subjects, "
              f"{len(excluded)} left out (excluded.csv)")
    saved = set((out / "folds").glob("*.npy")) if (out / "folds").exists() else set()
    svm = svm or BaselineConfig()
    configs = {"prep": asdict(prep), "train": asdict(train), "baselines": asdict(svm), "seeds": seeds}
    write_atomic(out / "settings.json", json.dumps(configs, indent=1))   # for an older `atnet view`
    records, runs = run_evaluations(data, methods, protocols, Settings(prep, train, svm), out, inputs.jobs, seeds,
                                    trace_epochs, folds)
    write_manifest(out, "recognition", argv, inputs.manifest(), configs, runs, data.classes, data.class_set)
    wall = time.time() - t0
    log = out / "invocations.json"     # every command that worked on this folder, so a resumed run's cost adds up
    with FileLock(out / ".invocations.json.lock"):
        calls = read_json(log, list[Invocation], "delete it; it only sums the wall time of earlier commands") \
            if log.exists() else []
        calls.append({"started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0)), "wall_s": round(wall, 1),
                      "folds_trained": len(set((out / "folds").glob("*.npy")) - saved)})
        write_atomic(log, json.dumps(calls, indent=1))
    context = {
        "notes": [f"Corpus: {corpus}.",
                  f"Networks: {len(seeds)} seed(s) {seeds}; cells are mean ± sample standard deviation over seeds "
                  "when there are several. The SVM baselines are deterministic and run once.",
                  f"Training preset: {preset} (" + ("the paper's recipe" if preset == "paper" else
                                                    f"the demo's recipe, scaled for CPU: {json.dumps(DEMO_TRAIN)}")
                  + "; the exact settings are listed below).",
                  ("The 'paper' rows are the paper's numbers on the real MEGC 2019 composite (442 clips)"
                   if data.class_set == classsets.DEFAULT else f"Class set {data.class_set} ("
                   f"{', '.join(data.classes)}): no paper rows, as the paper reports the MEGC 2019 composite only")
                  + ("" if real else "; the 'ours' rows are this run on the synthetic corpus, not the same data") + ".",
                  "How each row started: " + "; ".join(sorted({f"{r['method']}: {r['init']}" for r in runs})) + ".",
                  "Rows marked 'beyond the paper' use fer's FER2013 mini-Xception (MIT licence, weights shipped "
                  "with atnet): not part of ATNet, and the paper has no numbers for them.",
                  "Every number here is computed from the predictions in predictions/ (one CSV per method, protocol "
                  "and seed); a fold's model is trained on the other folds only, with no choice made on a test fold.",
                  f"Wall time on {os.cpu_count()} cores: {wall:.0f} s for the command that wrote this report, "
                  f"{sum(c['wall_s'] for c in calls):.0f} s over the {len(calls)} command(s) that worked on this folder "
                  f"(invocations.json); folds saved by an earlier run are reused, never recomputed."],
        "command": command or ("atnet " + " ".join(argv) if argv else ""), "corpus": corpus, "preset": preset,
        "class_set": data.class_set, "classes": list(data.classes),
        "methods": methods, "protocols": list(protocols),
        "seeds": seeds, "prep": asdict(prep), "train": asdict(train), "baselines": asdict(svm), "invocations": calls,
        "packages": package_versions()}
    summary = write_report(out, runs, context, "ours" if real else "ours (synthetic)")
    print_tables(summary, "ours" if real else "ours (synthetic)", data.class_set)
    print(f"Wrote {out / 'report.md'}, {out / 'report.html'}, figures in {out / 'figures'}, "
          f"predictions in {out / 'predictions'} ({wall:.0f} s).")
    return summary
