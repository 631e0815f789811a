"""The command line: the only place that reads flags. Every PrepConfig and TrainConfig field is a flag
of the same name (paper values as defaults), so nothing is hidden in code.

  atnet synth OUT [--full]                     write the synthetic CASME II / SAMM / SMIC-HS corpora
  atnet prepare [corpora] [prep flags]         faces, crops, flow, ADM -> the on-disk cache
  atnet faces CLIP --out faces.csv            per-frame face, landmarks and crop of a video or folder
  atnet evaluate --protocol cde|hde --method M [corpora] --out DIR [flags]
  atnet report DIR                             Tables II and III from DIR/results.json
  atnet corpus [corpora] --out table.csv       the composite's Sample table, counts and what was left out
  atnet score --megc-log FILE                  Acc / UF1 / UAR of a MEGC 2019 log, in total and per corpus
  atnet demo [--out DIR]                       all of it on the synthetic corpus, in minutes
  atnet reproduce [corpora] [--seeds N]        all twelve rows of Tables II and III, resumable, with a report

Corpora: --casme2 ROOT --samm ROOT --smic ROOT (any subset), or --synthetic ROOT (written there
first if it is not already); with none given, the synthetic corpus under the cache folder.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, fields, replace
from pathlib import Path

import pandas as pd
from filelock import FileLock
from pydantic import BaseModel, ConfigDict

from . import CLASSES, faces, metrics, reports
from .cache import sweep, write_atomic
from .config import at_least, ranged_type
from .datasets import CorpusError, load_corpora, to_frame
from .datasets import synthetic
from .faces.table import clip_faces
from .features import BACKENDS as FLOW_BACKENDS
from .features.adm import MEANS as ADM_MEANS
from .features.apex_spot import METHODS as SPOT_METHODS
from .baselines import BASELINES
from .models import METHODS
from .prepare import PrepConfig, prepare_all, read_apex_table, to_arrays
from .protocols import PROTOCOLS, check_protocol, evaluate
from .readers import read_json
from .training import TrainConfig

CHOICES = {"flow": FLOW_BACKENDS, "adm_mean": ADM_MEANS, "face": faces.BACKENDS, "reference": ("apex", "onset"),
           "device": ("auto", "cpu", "cuda")}
DEFAULT_CACHE = Path(".cache/atnet")

# The demo's settings: the paper's recipe, scaled so that 3 methods x (16 CDE folds + 3 HDE folds)
# train in minutes on 2 CPU cores: a 32 px spatial input, LSTM(64), batch 32 with the lr doubled
# (linear scaling), 40 epochs with the lr / 10 every 16. Printed with the tables.
DEMO_NETWORKS = ("spatial", "temporal", "atnet")   # Micro-Attention: `atnet evaluate --method micro-attention`
DEMO_TRAIN = dict(epochs=40, lr_step=16, batch_size=32, lr=0.02, image_size=32, hidden=64)


def add_config_flags(p: argparse.ArgumentParser, cls) -> None:
    g = p.add_argument_group(f"{cls.__name__} (paper values as defaults)")
    for f in fields(cls):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            g.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None)
        else:
            rng = f.metadata.get("range")
            kind = ranged_type(type(f.default), rng) if rng else type(f.default)
            g.add_argument(flag, dest=f.name, type=kind, choices=CHOICES.get(f.name), default=None,
                           help=f"default {f.default}" + (f", range {range_text(rng)}" if rng else ""))


def range_text(rng) -> str:
    lo, hi, lo_open, hi_open = rng
    return (("(" if lo_open else "[") + ("-inf" if lo is None else str(lo)) + ", " +
            ("inf" if hi is None else str(hi)) + (")" if hi_open or hi is None else "]"))


def config_from(args, cls, **base):
    cfg = replace(cls(), **base)
    given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
    return replace(cfg, **given)


def add_corpus_flags(p: argparse.ArgumentParser, smic_apex: bool = True) -> None:
    g = p.add_argument_group("corpora")
    for name in ("casme2", "samm", "smic"):
        g.add_argument(f"--{name}", metavar="ROOT", help=f"{name} root as unpacked (README: 'Your corpora')")
    for name in ("casme2", "samm"):
        g.add_argument(f"--{name}-sheet", metavar="XLSX", help=f"the {name} spreadsheet, if not inside its root")
    g.add_argument("--synthetic", metavar="ROOT", help="the synthetic corpus (written there if absent)")
    g.add_argument("--cache", default=str(DEFAULT_CACHE), help="cache folder (default %(default)s)")
    g.add_argument("--jobs", type=at_least(1), default=2, help="worker processes (default %(default)s)")
    if smic_apex:
        g.add_argument("--smic-apex", choices=("middle", "spotted"), default="middle",
                       help="SMIC's apex (it has no annotation): the middle frame, as the MEGC 2019 composite "
                            "(default), or spotted by Liong et al.'s LBP feature difference")


def smic_apex(samples, args, prep: PrepConfig):
    """(samples, exclusions) with SMIC's apexes spotted where --smic-apex spotted asks for it."""
    if getattr(args, "smic_apex", "middle") == "middle" or not any(s.dataset == "smic" for s in samples):
        return samples, []
    from . import api
    spotted, failed = api.spot_all([s for s in samples if s.dataset == "smic"], prep, "lbp", args.jobs)
    by_key = {s.key: s for s in spotted}
    return [by_key.get(s.key, s) for s in samples if s.dataset != "smic" or s.key in by_key], failed


def corpus_roots(args) -> dict:
    real = {n: getattr(args, n) for n in ("casme2", "samm", "smic") if getattr(args, n)}
    if real:
        return real
    root = Path(args.synthetic or Path(args.cache) / "synthetic")
    if not (args.synthetic and (root / "synth.json").exists()):  # a corpus you name is used as it is
        synthetic.synthesize(root, jobs=args.jobs)                  # the default one is (re)built to match
    return synthetic.roots(root)


def load_corpus(args):
    return load_corpora(corpus_roots(args), {n: getattr(args, f"{n}_sheet", None) for n in ("casme2", "samm")})


def exclusions(items) -> pd.DataFrame:
    return pd.DataFrame([asdict(e) for e in items], columns=["dataset", "clip", "reason"])


APEX_METHODS = ("spatial", "micro-attention")


def load_and_prepare(args, prep: PrepConfig):
    if getattr(args, "apex_table", None):
        wrong = [m for m in getattr(args, "method", APEX_METHODS) if m not in APEX_METHODS]
        if wrong:
            raise CorpusError(f"{args.apex_table}: an apex-image table has no flow, so --method {wrong[0]} cannot "
                              f"run on it; use --method {' '.join(APEX_METHODS)}.")
        data, failed = read_apex_table(args.apex_table, prep)
        return data, exclusions(failed)
    corpus = load_corpus(args)
    for protocol in getattr(args, "protocol", None) or []:   # refused before any clip is prepared
        check_protocol(protocol, to_frame(corpus.samples))
    samples, unspotted = smic_apex(corpus.samples, args, prep)
    kept, prepared, failed = prepare_all(samples, prep, Path(args.cache) / "prepared", jobs=args.jobs)
    excluded = exclusions(corpus.excluded + unspotted + failed)
    if not kept:
        report_excluded(excluded, None)
        raise CorpusError("no clip could be prepared; see the reasons listed above.")
    report_fallbacks(kept, prepared, prep)
    return to_arrays(kept, prepared), excluded


FALLBACK = {"manual": "the box file's box", "haar": "OpenCV's Haar cascade",
            "centre-square": "the centred square of the frame (no face found by any backend)"}


def report_fallbacks(kept, prepared, prep: PrepConfig) -> None:
    """Every clip where the chosen backend found no face on the reference frame, with the fallback taken."""
    fallback = [(s.key, p.face) for s, p in zip(kept, prepared) if p.face != prep.face]
    if fallback:
        print(f"no face found by {prep.face} on the {prep.reference} frame of {len(fallback)} clip(s); the fallback "
              f"taken:")
        for key, served in fallback:
            print(f"  {key}: {FALLBACK.get(served, served)}")


def report_excluded(excluded: pd.DataFrame, out: Path | None) -> None:
    if len(excluded):
        print(f"{len(excluded)} left out (clips, spreadsheet rows or folders), each with the reason:")
        for r in excluded.itertuples():
            print(f"  {r.dataset} {r.clip}: {r.reason}")
    if out is not None:
        write_atomic(out / "excluded.csv", excluded.to_csv(index=False))


def run_evaluations(data, methods, protocols, train: TrainConfig, out: Path, jobs: int,
                    flow_backend: str = "dis", seeds: list[int] | None = None) -> tuple[list[dict], list[dict]]:
    """Evaluate and write predictions (CSV + MEGC log) and results.json (records merged by key).
    With `seeds`, each network runs once per seed (files and records tagged with it); a baseline is
    deterministic and runs once. Returns (records, runs: which predictions file each run wrote)."""
    (out / "predictions").mkdir(parents=True, exist_ok=True)
    sweep(out)   # temporary files of a killed run
    path = out / "results.json"
    if path.exists():
        reports.read_results(path)   # a damaged file is named before any training, not after it
    records, runs = [], []
    for protocol in protocols:
        for method in methods:
            for seed in ([None] if seeds is None or method in BASELINES else seeds):
                cfg = train if seed is None else replace(train, seed=seed)
                name = f"{method}-{protocol}" + ("" if seed is None else f"-seed{seed}")
                preds = evaluate(method, protocol, data, cfg, out / "folds", jobs=jobs, flow_backend=flow_backend)
                write_atomic(out / "predictions" / f"{name}.csv", preds.to_csv(index=False))
                metrics.write_megc_log(preds, out / "predictions" / f"{name}.log")
                runs.append({"method": method, "protocol": protocol, "seed": seed, "predictions": f"{name}.csv"})
                new = [{"method": method, "protocol": protocol, "seed": seed, **r} for r in metrics.summarize(preds)]
                with FileLock(out / ".results.json.lock"):   # another run on this folder may write too
                    records = reports.read_results(path) if path.exists() else []
                    records = [r for r in records
                               if (r["method"], r["protocol"], r.get("seed")) != (method, protocol, seed)] + new
                    write_atomic(path, json.dumps(records, indent=1))   # whole, then renamed
                full = new[0]
                print(f"{method:>16} {protocol}{'' if seed is None else f' seed {seed}'}: Acc {full['acc']:.3f}  "
                      f"UF1 {full['uf1']:.3f}  UAR {full['uar']:.3f}  (n = {full['n']})", flush=True)
    return records, runs


def cmd_synth(args) -> None:
    root = synthetic.synthesize(args.out, seed=args.seed, full=args.full, jobs=args.jobs)
    corpus = load_corpora(synthetic.roots(root))
    print(f"{root}: {len(corpus.samples)} clips, {len({s.subject for s in corpus.samples})} subjects "
          f"({len(corpus.excluded)} annotation rows left out by the label maps, as in the real sheets)")


def cmd_prepare(args) -> None:
    data, excluded = load_and_prepare(args, config_from(args, PrepConfig))
    report_excluded(excluded, None)
    print(f"prepared {len(data.table)} clips into {Path(args.cache) / 'prepared'}")


def apex_flag(text: str):
    if text == "auto":
        return text
    return at_least(0)(text)


def cmd_faces(args) -> None:
    for target in (args.out, args.montage):   # before the work, not after it
        if target:
            out_file(target)
    manual = None
    if args.box_file:
        boxes = faces.read_box_file(args.box_file)
        clip = Path(args.clip)
        manual = boxes.get(clip.name, boxes.get(clip.stem))
    elif args.face == "manual":
        raise CorpusError("--face manual needs --box-file CSV (columns clip,x,y,w,h; clip as the video's or "
                          "folder's name).")
    if args.face == "dlib" and not faces.dlib_available():
        raise CorpusError(faces.DLIB_MISSING)
    table, ref, image = clip_faces(args.clip, args.face, args.margin, args.align, manual, args.reference)
    write_atomic(Path(args.out), table.to_csv(index=False))
    found = int(table["found"].sum())
    print(f"{args.clip}: a face found by {args.face} on {found} of {len(table)} frames; wrote {args.out}")
    missing = table.loc[table["found"] == 0]
    if len(missing):
        served = ", ".join(f"{f} ({FALLBACK.get(b, b)})" for f, b in zip(missing["frame"], missing["backend"]))
        print(f"no face found by {args.face} on frame(s): {served}")
    print(f"the pipeline's crop (the square on the reference frame): centre ({ref[0]:.1f}, {ref[1]:.1f}), "
          f"side {ref[2]:.1f} px, turned {ref[3]:.1f} degrees")
    if args.montage and image is not None:
        import cv2
        try:
            written = cv2.imwrite(args.montage, image)
        except cv2.error:
            written = False
        if not written:
            raise CorpusError(f"{args.montage}: the montage could not be written; pass a .png path you can write to.")
        print(f"wrote {args.montage}: frames cropped with that square, each frame's landmarks in red")


def cmd_evaluate(args) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    prep, train = config_from(args, PrepConfig), config_from(args, TrainConfig)
    data, excluded = load_and_prepare(args, prep)
    report_excluded(excluded, out)
    write_atomic(out / "settings.json", json.dumps({"prep": asdict(prep), "train": asdict(train)}, indent=1))
    records, _ = run_evaluations(data, args.method, args.protocol, train, out, args.jobs, prep.flow)
    print_tables(records)


def print_tables(records: list[dict], label: str = "ours") -> str:
    text = reports.table_ii(records, label) + "\n\n" + reports.table_iii(records, label)
    print("\n" + text + "\n")
    return text


def cmd_report(args) -> None:
    summary, path = Path(args.dir) / "summary.json", Path(args.dir) / "results.json"
    if summary.exists():   # a reproduction: mean ± std over seeds
        print_tables(reports.read_summary(summary))
        return
    if not path.exists():
        raise CorpusError(f"{path}: not found; run `atnet evaluate --out {args.dir}` or `atnet demo --out {args.dir}` "
                          f"first.")
    print_tables(reports.read_results(path))


def count_table(t: pd.DataFrame) -> str:
    """SPEC section 2's table: clips per class and corpus, then samples / subjects."""
    names = [d for d in ("casme2", "samm", "smic") if d in set(t["dataset"])]
    lines = ["| class | " + " | ".join(names) + " | total |", "|" + " --- |" * (len(names) + 2)]
    for c in ("negative", "positive", "surprise"):
        n = [int(((t["dataset"] == d) & (t["label"] == c)).sum()) for d in names]
        lines.append(f"| {c} | " + " | ".join(map(str, n)) + f" | {sum(n)} |")
    per = [f"{(t['dataset'] == d).sum()} / {t.loc[t['dataset'] == d, 'subject'].nunique()}" for d in names]
    lines.append("| samples / subjects | " + " | ".join(per) + f" | {len(t)} / {t['subject'].nunique()} |")
    return "\n".join(lines)


def out_file(path) -> Path:
    """An output file's path, checked before any work: its folder must exist and it must not be one."""
    path = Path(path)
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder; pass the path of the file to write.")
    if not path.parent.is_dir():
        raise CorpusError(f"{path}: its folder does not exist; create it or pass another path.")
    return path


def select_subjects(samples, keep: list[str] | None = None, drop: list[str] | None = None):
    """(kept samples, exclusions): --subjects keeps only those subjects, --leave-out-subjects drops
    them; subjects as dataset/subject (casme2/sub01). A name that matches nothing is refused."""
    from .datasets import Exclusion
    names = {s.subject for s in samples}
    for flag, given in (("--subjects", keep), ("--leave-out-subjects", drop)):
        unknown = [g for g in given or [] if g not in names]
        if unknown:
            raise CorpusError(f"{flag} {unknown[0]}: no such subject among the clips given; write subjects as "
                              f"dataset/subject, e.g. {sorted(names)[0]}.")
    out, left = [], []
    for smp in samples:
        if (keep and smp.subject not in keep) or (drop and smp.subject in drop):
            left.append(Exclusion(smp.dataset, f"{smp.subject.split('/', 1)[1]}/{smp.clip}",
                                  "subject left out by --subjects / --leave-out-subjects"))
        else:
            out.append(smp)
    return out, left


def preset_train(args, real: bool) -> tuple[str, TrainConfig]:
    """The training recipe: the paper's or the demo's (auto: demo on the synthetic corpus, paper on
    real corpora), then every training flag given."""
    preset = args.preset if args.preset != "auto" else ("paper" if real else "demo")
    return preset, config_from(args, TrainConfig, **(DEMO_TRAIN if preset == "demo" else {}))


def cmd_train(args) -> None:
    from . import api
    out = out_file(args.out)
    prep = config_from(args, PrepConfig)
    preset, train = preset_train(args, bool(args.casme2 or args.samm or args.smic))
    corpus = load_corpus(args)
    samples, held = select_subjects(corpus.samples, args.subjects, args.leave_out_subjects)
    samples, unspotted = smic_apex(samples, args, prep)
    model, failed = api.train(samples, args.method, prep, train, args.cache, args.jobs)
    report_excluded(exclusions(corpus.excluded + held + unspotted + failed), None)
    model.meta["smic_apex"] = args.smic_apex
    model.meta["preset"] = preset
    model.save(out)
    print(api.describe(model.meta))
    print(f"wrote {out}")


def cmd_info(args) -> None:
    from . import api
    from .modelfile import read_meta
    print(api.describe(read_meta(args.model)))


def cmd_predict(args) -> None:
    from . import api
    out = out_file(args.out)
    model = api.load_model(args.model, args.device)
    auto = args.apex == "auto"
    apex = None if auto or args.apex is None else int(args.apex)
    clips, left = [], []
    for item in args.inputs:
        clips.append(api.clip(item, args.onset, apex, args.offset))
    if args.clips:
        clips += api.clips_from_csv(args.clips)
    if args.casme2 or args.samm or args.smic or args.synthetic:
        corpus = load_corpus(args)
        samples, held = select_subjects(corpus.samples, args.subjects, args.leave_out_subjects)
        clips += [api.Clip(smp, spot=auto) for smp in samples]
        left += corpus.excluded + held
    if not clips:
        raise CorpusError("nothing to label; pass frame folders or videos, --clips CSV, or corpus roots "
                          "(--casme2, --samm, --smic, --synthetic).")
    table, failed = model.predict(clips, args.cache, args.jobs, args.spot)
    report_excluded(exclusions(left + failed), None)
    fallback = table.loc[table["face"] != model.prep.face]
    if len(fallback):
        print(f"no face found by {model.prep.face} on the {model.prep.reference} frame of {len(fallback)} clip(s); "
              f"the fallback taken:")
        for r in fallback.itertuples():
            print(f"  {r.input}: {FALLBACK.get(r.face, r.face)}")
    write_atomic(out, table.to_csv(index=False))
    print(f"labelled {len(table)} clip(s) with {args.model} ({model.method}): "
          + ", ".join(f"{c} {int((table['label'] == c).sum())}" for c in CLASSES))
    known = table["truth"].isin(CLASSES)
    if known.any():
        print("where the corpus gives the label: " + ", ".join(
            f"{k} {v:.3f}" for k, v in metrics.scores(metrics.confusion(
                table.loc[known, "truth"].map(CLASSES.index), table.loc[known, "label"].map(CLASSES.index))).items()
            if k != "n") + f" (n = {int(known.sum())})")
    print(f"wrote {args.out}")


def cmd_spot_apex(args) -> None:
    from . import api
    prep = config_from(args, PrepConfig)
    out = out_file(args.out) if args.out else None
    corpus = load_corpus(args)
    annotated = [smp for smp in corpus.samples if smp.dataset != "smic"]
    if not annotated:
        raise CorpusError("SMIC has no annotated apex (its apex is the middle frame), so spotting cannot be "
                          "measured on it; pass --casme2 or --samm.")
    tables = []
    for method in args.spot:
        spotted, failed = api.spot_all(annotated, prep, method, args.jobs)
        report_excluded(exclusions(failed), None)
        t = api.spotting_table(annotated, spotted)
        t.insert(0, "method", method)
        tables.append(t)
    t = pd.concat(tables, ignore_index=True)
    print("| method | corpus | clips | MAE (frames) | within ±5 | within ±10 |\n| --- | --- | --- | --- | --- | --- |")
    for r in t.itertuples():
        print(f"| {r.method} | {r.corpus} | {r.clips} | {r.mae_frames:.1f} | {r.within_5:.3f} | {r.within_10:.3f} |")
    if any(smp.dataset == "smic" for smp in corpus.samples):
        print("SMIC is not in the table: it has no annotated apex.")
    if out:
        write_atomic(out, t.to_csv(index=False))
        print(f"wrote {args.out}")


def cmd_corpus(args) -> None:
    out_file(args.out)
    corpus = load_corpus(args)
    t = to_frame(corpus.samples)
    print(count_table(t))
    report_excluded(exclusions(corpus.excluded), None)
    t["subject"] = t["subject"].str.split("/", n=1).str[1]   # as the corpus writes it
    write_atomic(Path(args.out), t.to_csv(index=False))
    print(f"wrote {len(t)} samples to {args.out}")


def cmd_score(args) -> None:
    preds = metrics.read_megc_log(args.megc_log)
    print("| test set | n | Acc | UF1 | UAR |\n| --- | --- | --- | --- | --- |")
    for r in metrics.summarize(preds):
        print(f"| {r['test_set']} | {r['n']} | {r['acc']:.4f} | {r['uf1']:.4f} | {r['uar']:.4f} |")


def cmd_demo(args) -> None:
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    args.synthetic = args.casme2 = args.samm = args.smic = None
    prep, train = PrepConfig(), replace(TrainConfig(), **DEMO_TRAIN)
    data, excluded = load_and_prepare(args, prep)
    report_excluded(excluded, out)
    settings = {"corpus": f"synthetic (seed 0, default size): {len(data.table)} clips, "
                          f"{data.table['subject'].nunique()} subjects",
                "prep": asdict(prep), "train": asdict(train)}
    write_atomic(out / "settings.json", json.dumps(settings, indent=1))
    records, _ = run_evaluations(data, BASELINES + DEMO_NETWORKS, PROTOCOLS, train, out, args.jobs, prep.flow)
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


REPRODUCE_METHODS = BASELINES + ("micro-attention",) + DEMO_NETWORKS   # the twelve rows of Tables II and III
VERSIONED = ("atnet", "torch", "numpy", "opencv-contrib-python-headless", "scikit-image", "scikit-learn", "pandas",
             "joblib", "matplotlib", "dlib-bin", "face_recognition_models")


def package_versions() -> dict:
    from importlib import metadata
    import platform
    out = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


class Invocation(BaseModel):
    """One row of a reproduction's invocations.json."""
    model_config = ConfigDict(extra="allow")
    started: str
    wall_s: float
    folds_trained: int


def cmd_reproduce(args) -> None:
    from .reports.reproduce import write_report
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    real = bool(args.apex_table or args.casme2 or args.samm or args.smic)
    preset = args.preset if args.preset != "auto" else ("paper" if real else "demo")
    prep = config_from(args, PrepConfig)
    train = config_from(args, TrainConfig, **(DEMO_TRAIN if preset == "demo" else {}))
    seeds = [train.seed + i for i in range(args.seeds)]
    methods = args.method or (APEX_METHODS if args.apex_table else REPRODUCE_METHODS)
    args.method = methods
    data, excluded = load_and_prepare(args, prep)
    report_excluded(excluded, out)
    source = (f"apex-image table {args.apex_table}" if args.apex_table else "real corpora" if real
              else "synthetic (seed 0, default size)")
    corpus = (f"{source}: {len(data.table)} clips, {data.table['subject'].nunique()} subjects, "
              f"{len(excluded)} left out (excluded.csv)")
    saved = set((out / "folds").glob("*.npy")) if (out / "folds").exists() else set()
    records, runs = run_evaluations(data, methods, args.protocol, train, out, args.jobs, prep.flow, seeds=seeds)
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
                  "The 'paper' rows are the paper's numbers on the real MEGC 2019 composite (442 clips)"
                  + ("" if real else "; the 'ours' rows are this run on the synthetic corpus, not the same data") + ".",
                  "Every number here is computed from the predictions in predictions/ (one CSV per method, protocol "
                  "and seed); a fold's model is trained on the other folds only, with no choice made on a test fold.",
                  f"Wall time on {os.cpu_count()} cores: {wall:.0f} s for the command that wrote this report, "
                  f"{sum(c['wall_s'] for c in calls):.0f} s over the {len(calls)} command(s) that worked on this folder "
                  f"(invocations.json); folds saved by an earlier run are reused, never recomputed."],
        "command": "atnet " + " ".join(args.argv),
        "corpus": corpus, "preset": preset, "methods": list(methods), "protocols": list(args.protocol),
        "seeds": seeds, "prep": asdict(prep), "train": asdict(train), "invocations": calls,
        "packages": package_versions()}
    summary = write_report(out, runs, context, "ours" if real else "ours (synthetic)")
    print_tables(summary, "ours" if real else "ours (synthetic)")
    print(f"Wrote {out / 'report.md'}, {out / 'report.html'}, figures in {out / 'figures'}, "
          f"predictions in {out / 'predictions'} ({wall:.0f} s).")


class Parser(argparse.ArgumentParser):
    """A flag error is one line naming the flag (and where the usage is), not the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="atnet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("synth", help="write the synthetic corpora")
    s.add_argument("out")
    s.add_argument("--full", action="store_true", help="the full composite's size (442 clips, 68 subjects)")
    s.add_argument("--seed", type=at_least(0), default=0)
    s.add_argument("--jobs", type=at_least(1), default=2)
    s.set_defaults(func=cmd_synth)
    s = sub.add_parser("prepare", help="faces, crops, flow and ADM into the cache")
    add_corpus_flags(s)
    add_config_flags(s, PrepConfig)
    s.set_defaults(func=cmd_prepare)
    s = sub.add_parser("evaluate", help="train and test under a protocol; write predictions and scores")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="corpora as apex frames only: a CSV of dataset, subject, "
                                                       "clip, label, image (for --method spatial or micro-attention)")
    s.add_argument("--protocol", nargs="+", choices=PROTOCOLS, default=["cde"])
    s.add_argument("--method", nargs="+", choices=METHODS + BASELINES, default=["atnet"])
    s.add_argument("--out", required=True, help="run folder: predictions, results.json, excluded.csv")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    s.set_defaults(func=cmd_evaluate)
    s = sub.add_parser("reproduce", help="every row of Tables II and III, resumable, with a report (MD, HTML, PNG)")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="apex frames only (the spatial and Micro-Attention rows)")
    s.add_argument("--protocol", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS))
    s.add_argument("--method", nargs="+", choices=METHODS + BASELINES, default=None,
                   help="default: all twelve rows (the two apex methods with --apex-table)")
    s.add_argument("--seeds", type=at_least(1), default=3, help="runs per network, seeds seed .. seed+N-1 (default %(default)s)")
    s.add_argument("--preset", choices=("auto", "paper", "demo"), default="auto",
                   help="training recipe before any flag: the paper's, or the demo's CPU-sized one "
                        "(auto: demo on the synthetic corpus, paper on real corpora)")
    s.add_argument("--out", default="runs/reproduce", help="run folder (default %(default)s); rerun to resume")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    s.set_defaults(func=cmd_reproduce)
    s = sub.add_parser("report", help="print Tables II and III from a run folder")
    s.add_argument("dir")
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("corpus", help="write the composite's Sample table; print counts and left-out clips")
    add_corpus_flags(s)
    s.add_argument("--out", required=True, help="CSV: dataset,subject,clip,label,onset,apex,offset,fps,n_frames")
    s.set_defaults(func=cmd_corpus)
    s = sub.add_parser("score", help="pooled Acc / UF1 / UAR of a MEGC 2019 log")
    s.add_argument("--megc-log", required=True, metavar="FILE")
    s.set_defaults(func=cmd_score)
    s = sub.add_parser("train", help="train one model on every clip given and write a model file")
    add_corpus_flags(s)
    s.add_argument("--method", choices=METHODS, default="atnet", help="default %(default)s")
    s.add_argument("--preset", choices=("auto", "paper", "demo"), default="auto",
                   help="training recipe before any flag (auto: demo on the synthetic corpus, paper on real corpora)")
    s.add_argument("--subjects", nargs="+", metavar="DATASET/SUBJECT", help="train on these subjects only")
    s.add_argument("--leave-out-subjects", nargs="+", metavar="DATASET/SUBJECT",
                   help="leave these subjects out (e.g. to label them afterwards)")
    s.add_argument("--out", required=True, metavar="MODEL", help="the model file to write (.safetensors)")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("info", help="print what a model file holds: method, settings, training corpus")
    s.add_argument("model")
    s.set_defaults(func=cmd_info)
    s = sub.add_parser("predict", help="label clips (frame folders, videos, or corpora) with a model file")
    s.add_argument("model")
    s.add_argument("inputs", nargs="*", metavar="INPUT", help="frame folders or video files")
    add_corpus_flags(s, smic_apex=False)
    s.add_argument("--clips", metavar="CSV", help="clip,onset,apex,offset per row (apex empty or auto: spotted)")
    s.add_argument("--onset", type=at_least(0), help="onset frame of every INPUT (default: its first frame)")
    s.add_argument("--offset", type=at_least(0), help="offset frame of every INPUT (default: its last frame)")
    s.add_argument("--apex", type=apex_flag, help="apex frame of every INPUT, or auto to spot it (the default "
                                                  "for INPUTs; with corpora, auto spots every clip's apex)")
    s.add_argument("--spot", choices=SPOT_METHODS, default="lbp", help="apex spotting method (default %(default)s)")
    s.add_argument("--subjects", nargs="+", metavar="DATASET/SUBJECT", help="label these corpus subjects only")
    s.add_argument("--leave-out-subjects", nargs="+", metavar="DATASET/SUBJECT", help="do not label these")
    s.add_argument("--device", choices=CHOICES["device"], default="auto")
    s.add_argument("--out", required=True, help="predictions CSV: one row per clip")
    s.set_defaults(func=cmd_predict)
    s = sub.add_parser("spot-apex", help="apex spotting error against the annotated apexes, per corpus")
    add_corpus_flags(s, smic_apex=False)
    s.add_argument("--spot", nargs="+", choices=SPOT_METHODS, default=list(SPOT_METHODS))
    s.add_argument("--out", help="also write the table as CSV")
    add_config_flags(s, PrepConfig)
    s.set_defaults(func=cmd_spot_apex)
    s = sub.add_parser("faces", help="per-frame faces, landmarks and crop of a video or a folder of frames")
    s.add_argument("clip", help="a video file (mp4, avi, ...) or a folder of numbered frames")
    s.add_argument("--out", required=True, help="CSV: frame,found,backend,x,y,w,h,cx,cy,side,angle,x0,y0..x67,y67")
    s.add_argument("--montage", metavar="PNG", help="also write a montage of the crops the pipeline takes")
    s.add_argument("--face", choices=faces.BACKENDS, default=PrepConfig.face, help="default %(default)s")
    s.add_argument("--box-file", metavar="CSV", help="manual boxes: clip,x,y,w,h, clip = the video's or folder's name")
    s.add_argument("--margin", type=ranged_type(float, PrepConfig.__dataclass_fields__["margin"].metadata["range"]),
                   default=PrepConfig.margin, help="default %(default)s")
    s.add_argument("--align", action=argparse.BooleanOptionalAction, default=PrepConfig.align)
    s.add_argument("--reference", type=at_least(0), metavar="FRAME", help="the frame whose square crops the clip "
                                                                  "(default: the first)")
    s.set_defaults(func=cmd_faces)
    s = sub.add_parser("demo", help="synth, prepare, CDE and HDE for spatial, temporal and fusion")
    s.add_argument("--out", default="runs/demo")
    s.add_argument("--cache", default=str(DEFAULT_CACHE))
    s.add_argument("--jobs", type=at_least(1), default=2)
    s.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args.func(args)
    except CorpusError as e:   # user mistakes: one sentence, no traceback; anything else is a bug and shows one
        sys.exit(f"error: {e}")
    except KeyboardInterrupt:
        print("\ninterrupted: every clip and fold finished so far is saved; run the same command again to resume.",
              file=sys.stderr)
        sys.exit(130)
