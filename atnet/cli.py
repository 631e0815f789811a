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
  atnet train [corpora] --method M --out MODEL one model on every clip given -> a model file (.safetensors)
  atnet info MODEL                             what a model file holds: method, settings, training corpus
  atnet pretrain --ckplus ROOT ... --out W     the spatial stream pretrained on macro-expressions
  atnet predict MODEL INPUT... --out CSV       label frame folders, videos or corpora (apex given or spotted)
  atnet spot-apex [corpora]                    apex spotting error against the annotated apexes, per corpus
  atnet methods                                every method: what it reads, whether it makes a model file

Corpora: --casme2 ROOT --samm ROOT --smic ROOT (any subset), or --synthetic ROOT (written there
first if it is not already); with none given, the synthetic corpus under the cache folder.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd

from . import CLASSES, api, byo, faces, methods, metrics, parallel, reports, runs
from .methods.baselines import CHOICES as BASELINE_CHOICES, BaselineConfig
from .cache import write_atomic
from .config import between, ranged_type
from .datasets import CorpusError, load_corpora, synthetic, to_frame
from .faces.table import clip_faces
from .faces.video import is_video
from .features import BACKENDS as FLOW_BACKENDS
from .features.adm import MEANS as ADM_MEANS
from .features.apex_spot import METHODS as SPOT_METHODS
from .models import BACKBONES
from .outputs import CORPUS, FEATURES, FRAMES, Read, check_writes, fresh_folder, writable_name
from .prepare import PrepConfig
from .protocols import ALL_PROTOCOLS, PROTOCOLS
from .runs import (DEFAULT_CACHE, FALLBACK, Inputs, exclusions, load_and_prepare, print_tables,
                   report_excluded, say_fallbacks, smic_apex, train_recipe)
from .spotting import FPS_RANGE
from .spotting.method import SpotConfig
from .training import TrainConfig

JOBS_MAX = 4 * (os.cpu_count() or 1)   # worker processes (--jobs, --scheduler local:N): 4 per core at most
FRAME_MAX = 10 ** 9                     # a frame number flag
SEED_MAX = 2 ** 32 - 1                  # numpy's and torch's seeds
JOBS = between(1, JOBS_MAX)
JOBS_HELP = f"worker processes, 1 to {JOBS_MAX} (4 per core); default %(default)s"
DEVICE_HELP = "auto, cpu, cuda or cuda:N (default %(default)s)"
CHOICES = {"flow": FLOW_BACKENDS, "adm_mean": ADM_MEANS, "face": faces.BACKENDS, "reference": ("apex", "onset"),
           "amp": ("off", "bf16", "fp16"), "spatial_backbone": BACKBONES, **BASELINE_CHOICES}


def add_config_flags(p: argparse.ArgumentParser, cls) -> None:
    g = p.add_argument_group(f"{cls.__name__} (paper values as defaults)")
    for f in fields(cls):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            g.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None)
        elif f.name == "device":
            g.add_argument(flag, dest=f.name, type=device_type(several=True), default=None,
                           help=f"default {f.default}; auto, cpu, cuda, cuda:N, or cuda:0,cuda:1 (one fold per GPU)")
        else:
            rng = f.metadata.get("range")
            kind = ranged_type(type(f.default), rng) if rng else type(f.default)
            g.add_argument(flag, dest=f.name, type=kind, choices=CHOICES.get(f.name), default=None,
                           help=f"default {f.default}" + (f", range {range_text(rng)}" if rng else ""))


def device_type(several: bool = False):
    """An argparse type for --device: auto, cpu, cuda, cuda:N (a comma list of cuda:N where several)."""
    def convert(text: str) -> str:
        parts = [t.strip() for t in text.split(",")] if several else [text.strip()]
        ok = all(t in ("auto", "cpu", "cuda") or (t.startswith("cuda:") and t[5:].isdigit()) for t in parts)
        if not ok or (len(parts) > 1 and not all(t.startswith("cuda") for t in parts)):
            raise argparse.ArgumentTypeError(f"{text!r} is not a device; use auto, cpu, cuda or cuda:N"
                                             + (" (several GPUs: cuda:0,cuda:1)" if several else ""))
        import torch
        count = torch.cuda.device_count() if torch.cuda.is_available() else None
        for t in parts:
            if count is not None and t.startswith("cuda:") and int(t[5:]) >= count:
                raise argparse.ArgumentTypeError(f"{t}: this machine has {count} CUDA device(s), cuda:0 to "
                                                 f"cuda:{count - 1}")
        return ",".join(parts)
    convert.__name__ = "device"
    return convert


def range_text(rng) -> str:
    lo, hi, lo_open, hi_open = rng
    return (("(" if lo_open else "[") + ("-inf" if lo is None else str(lo)) + ", " +
            ("inf" if hi is None else str(hi)) + (")" if hi_open or hi is None else "]"))


def given_flags(args, cls) -> dict:
    """The flags of `cls`'s fields given on the command line."""
    return {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}


def config_from(args, cls, **base):
    return replace(cls(), **{**base, **given_flags(args, cls)})


def train_flags(args) -> dict:
    """The training flags given on the command line (to override a preset)."""
    return given_flags(args, TrainConfig)


def inputs_from(args) -> Inputs:
    """Where the clips come from, from the corpora flags."""
    return Inputs(roots={n: getattr(args, n, None) for n in ("casme2", "samm", "smic") if getattr(args, n, None)},
                  sheets={n: getattr(args, f"{n}_sheet") for n in ("casme2", "samm") if getattr(args, f"{n}_sheet", None)},
                  synthetic=getattr(args, "synthetic", None), apex_table=getattr(args, "apex_table", None),
                  cache=args.cache, jobs=args.jobs, smic_apex=getattr(args, "smic_apex", "middle"))


def load_corpus(args):
    return inputs_from(args).corpus()


def add_corpus_flags(p: argparse.ArgumentParser, smic_apex: bool = True) -> None:
    g = p.add_argument_group("corpora")
    for name in ("casme2", "samm", "smic"):
        g.add_argument(f"--{name}", metavar="ROOT", help=f"{name} root as unpacked (README: 'Your corpora')")
    for name in ("casme2", "samm"):
        g.add_argument(f"--{name}-sheet", metavar="XLSX", help=f"the {name} spreadsheet, if not inside its root")
    g.add_argument("--synthetic", metavar="ROOT", help="the synthetic corpus (written there if absent)")
    g.add_argument("--cache", default=str(DEFAULT_CACHE), help="cache folder (default %(default)s)")
    g.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    g.add_argument("--scheduler", metavar="ADDRESS", help="run clips and folds on Dask: a scheduler's address "
                                                           f"(tcp://host:8786) or local:N, N from 1 to {JOBS_MAX} "
                                                           "(README: 'Several machines')")
    if smic_apex:
        g.add_argument("--smic-apex", choices=("middle", "spotted"), default="middle",
                       help="SMIC's apex (it has no annotation): the middle frame, as the MEGC 2019 composite "
                            "(default), or spotted by Liong et al.'s LBP feature difference")


def add_subject_flags(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--subjects", nargs="+", metavar="DATASET/SUBJECT", help=f"{verb} these subjects only")
    p.add_argument("--leave-out-subjects", nargs="+", metavar="DATASET/SUBJECT",
                   help="leave these subjects out (after training on the others, to label them)")


def cmd_synth(args) -> None:
    if args.macro:   # the four macro-expression corpora, for pretraining
        from .datasets import MACRO_ADAPTERS
        from .datasets.synthetic_macro import synthesize_macro
        roots = synthesize_macro(args.out, seed=args.seed, subjects=8, takes=2, jobs=args.jobs)
        for name, load in MACRO_ADAPTERS.items():
            c = load(roots[name])
            print(f"{roots[name]}: {len(c.samples)} peak images of {len({x.subject for x in c.samples})} subjects "
                  f"({len(c.excluded)} left out)")
        return
    if args.long:    # long videos with micro- and macro-expressions, for spotting
        from .datasets.synthetic_long import synthesize_long
        from .spotting.run import load_long
        roots = synthesize_long(args.out, seed=args.seed, jobs=args.jobs)
        for name, root in roots.items():
            c = load_long({name: root}).counts()
            print(f"{root}: {c['videos']} videos of {c['subjects']} subjects, {c['micro']} micro- and {c['macro']} "
                  f"macro-expressions")
        return
    root = synthetic.synthesize(args.out, seed=args.seed, full=args.full, jobs=args.jobs)
    corpus = load_corpora(synthetic.roots(root))
    print(f"{root}: {len(corpus.samples)} clips, {len({s.subject for s in corpus.samples})} subjects "
          f"({len(corpus.excluded)} annotation rows left out by the label maps, as in the real sheets)")


def cmd_prepare(args) -> None:
    data, excluded = load_and_prepare(inputs_from(args), config_from(args, PrepConfig))
    report_excluded(excluded, None)
    print(f"prepared {len(data.table)} clips into {Path(args.cache) / 'prepared'}")


def apex_flag(text: str):
    if text == "auto":
        return text
    return between(0, FRAME_MAX)(text)


def cmd_faces(args) -> None:
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


def long_roots(args) -> dict:
    return {n: getattr(args, n.replace("-", "_"), None) for n in ("samm-lv", "casme-sq")}


def long_sheets(args) -> dict:
    return {n: getattr(args, n.replace("-", "_") + "_sheet", None) for n in ("samm-lv", "casme-sq")}


def add_long_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("long-video corpora (spotting)")
    g.add_argument("--samm-lv", metavar="ROOT", help="SAMM Long Videos: the folder holding SAMM_longvideos/")
    g.add_argument("--samm-lv-sheet", metavar="XLSX", help="its release workbook, if not inside ROOT")
    g.add_argument("--casme-sq", metavar="ROOT", help="CAS(ME)^2: the folder holding rawpic/")
    g.add_argument("--casme-sq-sheet", metavar="XLSX", help="its coding workbook, if not inside ROOT")
    g.add_argument("--auto-p", action="store_true", help="choose the threshold p per held-out subject on the other "
                                                         "subjects' videos (LOSO) instead of --p")
    add_config_flags(p, SpotConfig)


def spot_prep(args) -> PrepConfig:
    return replace(PrepConfig(), **{k: getattr(args, k) for k in ("face", "margin", "align", "box_file")
                                    if getattr(args, k, None) is not None})


def cmd_spot(args) -> None:
    from .spotting import run as spotting
    model = api.load_model(args.model) if args.model else None
    cfg, prep = config_from(args, SpotConfig), spot_prep(args)
    videos = [spotting.long_video(p, args.fps) for p in args.input]
    excluded = []
    if any(long_roots(args).values()):
        corpus = spotting.load_long(long_roots(args), long_sheets(args))
        videos += corpus.videos
        excluded += corpus.excluded
    if not videos:
        raise CorpusError("nothing to spot: pass videos or frame folders, or --samm-lv / --casme-sq ROOT.")
    results, failed, _, proposals = spotting.spot_thresholded(videos, cfg, prep, args.auto_p, args.jobs)
    report_excluded(exclusions(excluded + failed), None)
    say_fallbacks([(r["video"].key, r["face"]) for r in results], prep, "first frame of {n} video(s)")
    if not results:
        raise CorpusError("no video could be spotted; see the reasons listed above.")
    table = spotting.intervals_table(results, proposals)
    if model is not None:      # spot, then recognise: one row per interval, micro ones labelled
        labels, left = spotting.label_micro(model, results, proposals, args.cache, args.jobs)
        report_excluded(exclusions(left), None)
        row = {(d, c): i for i, (d, c) in enumerate(zip(labels["dataset"], labels["clip"]))}
        found = [row.get((d, spotting.proposal_name(v, o))) if k == "micro" else None
                 for d, v, o, k in zip(table["dataset"], table["video"], table["onset"], table["kind"])]
        for col in ["label"] + [f"p_{c}" for c in CLASSES]:
            table[col] = ["" if i is None else labels[col].iloc[i] for i in found]
    write_atomic(Path(args.out), table.to_csv(index=False))
    frames, rate = spotting.throughput(results)
    print(f"spotted {len(table)} intervals ({(table['kind'] == 'micro').sum()} micro) in {len(results)} video(s), "
          f"{frames} frames at {rate:.0f} frames/s per process; wrote {args.out}")
    if any(r["video"].truth for r in results):
        print(spotting.score_table(results, proposals).to_string(index=False))


def cmd_evaluate(args) -> None:
    if args.task == "spot":
        from .spotting.run import evaluate_spotting
        model = api.load_model(args.model) if args.model else None
        evaluate_spotting(long_roots(args), args.out, config_from(args, SpotConfig), spot_prep(args), args.auto_p,
                          args.jobs, long_sheets(args), model, args.cache)
        return
    if args.features:   # your own features: no frames are read or prepared
        runs.evaluate_features(args.features, args.protocol, args.out, args.labels, inputs_from(args),
                               args.classifier, args.name, args.on_missing)
        return
    if args.labels:
        raise CorpusError("--labels goes with --features (labels for your own features); without --features the "
                          "labels come from the corpus roots.")
    say_init(args, args.method)
    runs.evaluate_run(inputs_from(args), args.method, args.protocol, config_from(args, PrepConfig),
                      config_from(args, TrainConfig), args.out, config_from(args, BaselineConfig))


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


def say_selected(others, verb: str) -> None:
    if others:
        print(f"{len(others)} clip(s) of {len({s.subject for s in others})} subject(s) not {verb}, as "
              f"--subjects / --leave-out-subjects ask")


def say_init(args, methods) -> None:
    """--init-spatial checked before any work, as training will load it: how many tensors it fills."""
    from .pretrain import spatial_init_text
    if getattr(args, "init_spatial", None) and any(m in ("spatial", "atnet", "micro-attention") for m in methods):
        print(spatial_init_text(args.init_spatial, bool(args.init_partial)))


def cmd_train(args) -> None:
    out = Path(args.out)
    if args.init_spatial and args.method == "temporal":
        raise CorpusError("--init-spatial starts a spatial stream, and --method temporal has none; drop "
                          "--init-spatial or pass --method spatial, atnet or micro-attention.")
    say_init(args, [args.method])
    prep, inputs = config_from(args, PrepConfig), inputs_from(args)
    preset, train = train_recipe(args.preset, inputs.real, train_flags(args))
    corpus = inputs.corpus()
    samples, held = api.select_subjects(corpus.samples, args.subjects, args.leave_out_subjects)
    say_selected(held, "trained on")
    samples, unspotted = smic_apex(samples, inputs, prep)
    model, failed = api.train(samples, args.method, prep, train, args.cache, args.jobs)
    report_excluded(exclusions(corpus.excluded + unspotted + failed), None)
    model.meta["smic_apex"] = args.smic_apex
    model.meta["preset"] = preset
    model.save(out)
    print(api.describe(model.meta))
    print(f"wrote {out}")


def cmd_pretrain(args) -> None:
    from .modelfile import save_model
    from .pretrain import imagenet_text, load_macro, pretrain
    out = Path(args.out)
    say_init(args, ["spatial"])
    if args.init_imagenet:
        print(imagenet_text(args.init_imagenet))
    prep = config_from(args, PrepConfig)
    _, train = train_recipe(args.preset, True, train_flags(args))
    corpus = load_macro({n: getattr(args, n) for n in ("ckplus", "oulu", "jaffe", "mug")}, args.peak_frames)
    net, meta, failed = pretrain(corpus.samples, prep, train, args.cache, args.jobs, args.init_imagenet)
    report_excluded(exclusions(corpus.excluded + failed), None)
    save_model(out, net, meta)
    print(api.describe(meta))
    print(f"wrote {out}; start a spatial, atnet or micro-attention stream from it with --init-spatial {out}")


def cmd_info(args) -> None:
    print(api.describe(api.read_meta(args.model)))


def cmd_predict(args) -> None:
    out = Path(args.out)
    model = api.load_model(args.model, args.device)
    auto = args.apex == "auto"
    apex = None if auto or args.apex is None else int(args.apex)
    clips, left = [], []
    for item in args.inputs:
        clips.append(api.clip(item, args.onset, apex, args.offset))
    origins = [f"INPUT {item}" for item in args.inputs]
    if args.clips:
        clips += api.clips_from_csv(args.clips)
        origins += [f"a row of {args.clips}"] * (len(clips) - len(origins))
    api.once(origins, clips)
    check_writes([Read(c.sample.frames[0] if is_video(c.sample.frames[0]) else Path(c.sample.frames[0]).parent, FRAMES)
                  for c in clips], files=[("--out", args.out)])   # the folders and videos a --clips CSV names
    if args.casme2 or args.samm or args.smic or args.synthetic:
        corpus = load_corpus(args)
        samples, held = api.select_subjects(corpus.samples, args.subjects, args.leave_out_subjects)
        say_selected(held, "labelled")
        clips += [api.Clip(smp, spot=auto) for smp in samples]
        left += corpus.excluded
    if not clips:
        raise CorpusError("nothing to label; pass frame folders or videos, --clips CSV, or corpus roots "
                          "(--casme2, --samm, --smic, --synthetic).")
    table, failed = model.predict(clips, args.cache, args.jobs, args.spot)
    report_excluded(exclusions(left + failed), None)
    if not len(table):
        raise CorpusError("no clip could be labelled; see the reasons listed above.")
    say_fallbacks(zip(table["input"], table["face"]), model.prep)
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
    prep = config_from(args, PrepConfig)
    out = Path(args.out) if args.out else None
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
    corpus = load_corpus(args)
    t = to_frame(corpus.samples)
    print(count_table(t))
    report_excluded(exclusions(corpus.excluded), None)
    t["subject"] = t["subject"].str.split("/", n=1).str[1]   # as the corpus writes it
    write_atomic(Path(args.out), t.to_csv(index=False))
    print(f"wrote {len(t)} samples to {args.out}")


def cmd_score(args) -> None:
    if (args.megc_log is None) == (args.predictions is None):
        raise CorpusError("give one of --megc-log FILE or --predictions FILE.")
    preds = metrics.read_megc_log(args.megc_log) if args.megc_log else byo.read_predictions(args.predictions)
    print("| test set | n | Acc | UF1 | UAR |\n| --- | --- | --- | --- | --- |")
    for r in metrics.summarize(preds):
        print(f"| {r['test_set']} | {r['n']} | {r['acc']:.4f} | {r['uf1']:.4f} | {r['uar']:.4f} |")


def cmd_compare(args) -> None:
    a, b = byo.read_predictions(args.a), byo.read_predictions(args.b)
    table = byo.compare(a, b, n_boot=args.boot, seed=args.seed, names=("A", "B"))
    print(f"A = {args.a}\nB = {args.b}\nA - B with a {args.boot}-draw paired bootstrap over subjects "
          f"(95% interval; an interval that excludes 0 is a difference beyond subject-sampling noise):\n")
    print("| test set | metric | A | B | A - B | 95% interval | subjects | clips |\n" + "|" + " --- |" * 8)
    for r in table.itertuples():
        print(f"| {r.test_set} | {r.metric.upper()} | {r.A:.4f} | {r.B:.4f} | {r.diff:+.4f} | "
              f"[{r.lo:+.4f}, {r.hi:+.4f}] | {r.subjects} | {r.clips} |")


def cmd_methods(args) -> None:
    print(methods.describe_all())


def cmd_demo(args) -> None:
    runs.demo(args.out, args.cache, args.jobs)


def cmd_reproduce(args) -> None:
    say_init(args, args.method or ["spatial"])
    runs.reproduce(inputs_from(args), args.out, args.method, args.protocol, args.seeds, args.preset,
                   config_from(args, PrepConfig), train_flags(args), "atnet " + " ".join(args.argv),
                   config_from(args, BaselineConfig))


# Every path flag a command reads, and the suffixes of the files it reads inside a folder given there.
READ_FLAGS = {**{n: CORPUS for n in ("casme2", "samm", "smic", "synthetic", "samm_lv", "casme_sq", "ckplus", "oulu",
                                     "jaffe", "mug")},
              **{n: FRAMES for n in ("inputs", "input", "clip")},
              "features": FEATURES,
              **{n: CORPUS for n in ("model", "a", "b", "megc_log", "predictions", "clips", "apex_table", "labels",
                                     "casme2_sheet", "samm_sheet", "samm_lv_sheet", "casme_sq_sheet", "box_file",
                                     "init_spatial", "init_imagenet")}}
RUN_FOLDERS = ("evaluate", "reproduce", "demo", "synth")   # --out (synth: OUT) is a folder; elsewhere a file


def command_reads(args) -> list[Read]:
    reads = []
    for name, suffixes in READ_FLAGS.items():
        value = getattr(args, name, None)
        for v in (value if isinstance(value, list) else [value]):
            if v:
                reads.append(Read(v, suffixes))
    return reads


def check_outputs(args) -> None:
    """Before any work: every output is a path the file system takes and none is an input of the
    command (outputs.check_writes); --scheduler names something that can run."""
    address = getattr(args, "scheduler", None)
    if address is not None:
        n = address.split(":", 1)[1] if address.startswith("local:") else None
        if not address.strip():
            raise CorpusError("--scheduler '': empty; give a scheduler's address (tcp://host:8786) or local:N, or "
                              "leave the flag out to run on this machine.")
        if n is not None and (not n.isdigit() or not 1 <= int(n) <= JOBS_MAX):
            raise CorpusError(f"--scheduler {address}: write local:N with N workers, e.g. local:2; N from 1 to "
                              f"{JOBS_MAX} (4 per core of this machine).")
    if getattr(args, "cache", None) is not None:
        writable_name(args.cache, "--cache", folder=True)
    out = getattr(args, "out", None)
    if out is None:
        return
    if args.cmd in RUN_FOLDERS:
        check_writes(command_reads(args), folder=out, flag="OUT" if args.cmd == "synth" else "--out")
    else:
        check_writes(command_reads(args), files=[("--out", out), ("--montage", getattr(args, "montage", None))])


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
    s.add_argument("--macro", action="store_true", help="instead, the macro-expression corpora in the layouts of "
                                                        "CK+, Oulu-CASIA, JAFFE and MUG (for pretraining)")
    s.add_argument("--long", action="store_true", help="instead, long videos in the layouts of SAMM Long Videos and "
                                                       "CAS(ME)^2 with their workbooks (for spotting)")
    s.add_argument("--seed", type=between(0, SEED_MAX), default=0, help=f"0 to {SEED_MAX}; default %(default)s")
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.set_defaults(func=cmd_synth)
    s = sub.add_parser("prepare", help="faces, crops, flow and ADM into the cache")
    add_corpus_flags(s)
    add_config_flags(s, PrepConfig)
    s.set_defaults(func=cmd_prepare)
    s = sub.add_parser("evaluate", help="train and test under a protocol; write predictions and scores")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="corpora as apex frames only: a CSV of dataset, subject, "
                                                       "clip, label, image (for the apex methods: spatial, "
                                                       "micro-attention, fer-probe, spatial-fer)")
    s.add_argument("--protocol", nargs="+", choices=ALL_PROTOCOLS, default=["cde"],
                   help="cde, hde (the paper's) or loso-corpus (LOSO within each corpus alone); default cde")
    s.add_argument("--method", nargs="+", choices=runs.evaluate_methods(), default=["atnet"],
                   help="networks, baselines, and beyond the paper: fer-probe (fer's frozen FER2013 network + "
                        "logistic regression), spatial-fer / atnet-fer (= --spatial-backbone fer-xception)")
    s.add_argument("--out", required=True, help="run folder: predictions, results.json, excluded.csv")
    g = s.add_argument_group("your own features (README: 'Your own method under the same protocols')")
    g.add_argument("--features", metavar="PATH", help="per-clip features: a folder of dataset-subject-clip.npy|.mat|"
                                                      ".csv files (or with an index.csv), or one CSV table")
    g.add_argument("--labels", metavar="CSV", help="dataset, subject, clip, label (`atnet corpus`'s CSV); default: "
                                                   "from the corpus flags")
    g.add_argument("--classifier", choices=methods.names("classifier"), default="logreg",
                   help="poly-svm (the baselines' SVM), linear-svm or logreg (C by subject-grouped CV inside each "
                        "training fold); default %(default)s")
    g.add_argument("--on-missing", choices=("refuse", "leave-out"), default="refuse",
                   help="a clip of the label table without features: refuse (default) or leave it out, listed")
    g.add_argument("--name", help="the row name of your method (default features-CLASSIFIER)")
    s.add_argument("--task", choices=("recognise", "spot"), default="recognise",
                   help="recognise (default): the clips' classes; spot: find the expressions in long videos "
                        "(--samm-lv, --casme-sq) and score them with the MEGC metric")
    s.add_argument("--model", metavar="MODEL", help="with --task spot: label the spotted micro-expressions")
    add_long_flags(s)
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    add_config_flags(s, BaselineConfig)
    s.set_defaults(func=cmd_evaluate)
    s = sub.add_parser("spot", help="find micro- and macro-expressions in long videos; optionally label them")
    s.add_argument("input", nargs="*", help="videos or folders of numbered frames")
    s.add_argument("--fps", type=between(*FPS_RANGE, kind=float),
                   help=f"frame rate of frame folders (videos say theirs), {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g}")
    s.add_argument("--model", metavar="MODEL", help="label each spotted micro-expression with this model file")
    s.add_argument("--out", required=True, help="CSV: one row per interval (onset, apex, offset, kind, score, "
                                                "label and p_* with --model)")
    s.add_argument("--face", choices=faces.BACKENDS, default=None, help=f"default {PrepConfig.face}")
    s.add_argument("--cache", default=str(DEFAULT_CACHE))
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.add_argument("--scheduler", metavar="ADDRESS", help=f"spot the videos on Dask (ADDRESS or local:N, N from 1 to "
                                                          f"{JOBS_MAX})")
    add_long_flags(s)
    s.set_defaults(func=cmd_spot)
    s = sub.add_parser("reproduce", help="every row of Tables II and III, resumable, with a report (MD, HTML, PNG)")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="apex frames only (the apex methods' rows)")
    s.add_argument("--protocol", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS))
    s.add_argument("--method", nargs="+", choices=runs.evaluate_methods(), default=None,
                   help="default: the twelve rows of the paper and three beyond it (fer-probe, spatial-fer, "
                        "atnet-fer); the apex methods only with --apex-table")
    s.add_argument("--seeds", type=between(1, 100), default=3,
                   help="runs per network, seeds seed .. seed+N-1, 1 to 100 (default %(default)s)")
    s.add_argument("--preset", choices=("auto", "paper", "demo"), default="auto",
                   help="training recipe before any flag: the paper's, or the demo's CPU-sized one "
                        "(auto: demo on the synthetic corpus, paper on real corpora)")
    s.add_argument("--out", default="runs/reproduce", help="run folder (default %(default)s); rerun to resume")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    add_config_flags(s, BaselineConfig)
    s.set_defaults(func=cmd_reproduce)
    s = sub.add_parser("report", help="print Tables II and III from a run folder")
    s.add_argument("dir")
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("corpus", help="write the composite's Sample table; print counts and left-out clips")
    add_corpus_flags(s)
    s.add_argument("--out", required=True, help="CSV: dataset,subject,clip,label,onset,apex,offset,fps,n_frames")
    s.set_defaults(func=cmd_corpus)
    s = sub.add_parser("score", help="pooled Acc / UF1 / UAR of a MEGC 2019 log or a predictions CSV")
    s.add_argument("--megc-log", metavar="FILE")
    s.add_argument("--predictions", metavar="FILE", help="CSV of dataset, subject, clip, truth, pred (or a MEGC log)")
    s.set_defaults(func=cmd_score)
    s = sub.add_parser("compare", help="A - B per corpus with a paired bootstrap interval over subjects")
    s.add_argument("a", metavar="A", help="predictions CSV or MEGC log (e.g. RUN/predictions/atnet-cde.csv)")
    s.add_argument("b", metavar="B", help="the other run's, on the same clips")
    s.add_argument("--boot", type=between(100, 100000), default=2000,
                   help="bootstrap draws, 100 to 100000 (default %(default)s)")
    s.add_argument("--seed", type=between(0, SEED_MAX), default=0, help=f"0 to {SEED_MAX}; default %(default)s")
    s.set_defaults(func=cmd_compare)
    s = sub.add_parser("train", help="train one model on every clip given and write a model file")
    add_corpus_flags(s)
    s.add_argument("--method", choices=[n for n, m in methods.all_methods().items() if m.savable], default="atnet",
                   help="a method that makes a model file (`atnet methods`); default %(default)s")
    s.add_argument("--preset", choices=("auto", "paper", "demo"), default="auto",
                   help="training recipe before any flag (auto: demo on the synthetic corpus, paper on real corpora)")
    add_subject_flags(s, "train on")
    s.add_argument("--out", required=True, metavar="MODEL", help="the model file to write (.safetensors)")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("pretrain", help="pretrain the spatial stream on macro-expressions (CK+, Oulu-CASIA, JAFFE, MUG)")
    g = s.add_argument_group("macro-expression corpora (any subset)")
    for name in ("ckplus", "oulu", "jaffe", "mug"):
        g.add_argument(f"--{name}", metavar="ROOT", help=f"the {name} root as unpacked (atnet/datasets/{name}.py)")
    s.add_argument("--peak-frames", type=between(1, 100), default=3,
                   help="frames per sequence, 1 to 100: the last ones (CK+, Oulu-CASIA) or the middle ones (MUG); "
                        "default %(default)s")
    s.add_argument("--init-imagenet", metavar="PTH", help="start from a torchvision ResNet-18 ImageNet state dict "
                                                          "(atnet/pretrain.py documents the mapping)")
    s.add_argument("--preset", choices=("paper", "demo"), default="paper", help="training recipe before any flag")
    s.add_argument("--cache", default=str(DEFAULT_CACHE), help="cache folder (default %(default)s)")
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.add_argument("--out", required=True, metavar="WEIGHTS", help="the weights file to write (.safetensors)")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    s.set_defaults(func=cmd_pretrain)
    s = sub.add_parser("info", help="print what a model file holds: method, settings, training corpus")
    s.add_argument("model")
    s.set_defaults(func=cmd_info)
    s = sub.add_parser("predict", help="label clips (frame folders, videos, or corpora) with a model file")
    s.add_argument("model")
    s.add_argument("inputs", nargs="*", metavar="INPUT", help="frame folders or video files")
    add_corpus_flags(s, smic_apex=False)
    s.add_argument("--clips", metavar="CSV", help="clip,onset,apex,offset per row (apex empty or auto: spotted)")
    s.add_argument("--onset", type=between(0, FRAME_MAX), help="onset frame of every INPUT (default: its first frame)")
    s.add_argument("--offset", type=between(0, FRAME_MAX), help="offset frame of every INPUT (default: its last frame)")
    s.add_argument("--apex", type=apex_flag, help="apex frame of every INPUT, or auto to spot it (the default "
                                                  "for INPUTs; with corpora, auto spots every clip's apex)")
    s.add_argument("--spot", choices=SPOT_METHODS, default="lbp", help="apex spotting method (default %(default)s)")
    add_subject_flags(s, "label")
    s.add_argument("--device", type=device_type(), default="auto", help=DEVICE_HELP)
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
    s.add_argument("--reference", type=between(0, FRAME_MAX), metavar="FRAME", help="the frame whose square crops the clip "
                                                                  "(default: the first)")
    s.set_defaults(func=cmd_faces)
    s = sub.add_parser("demo", help="synth, prepare, CDE and HDE for spatial, temporal and fusion")
    s.add_argument("--out", default="runs/demo")
    s.add_argument("--cache", default=str(DEFAULT_CACHE))
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.set_defaults(func=cmd_demo)
    s = sub.add_parser("methods", help="every method: what it reads, whether it makes a model file, what it is")
    s.set_defaults(func=cmd_methods)
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if argv is None:   # a command, not a call from Python: Ctrl-C ends it within parallel.STOP_S, whatever hangs
        parallel.ctrl_c_deadline()
    try:
        check_outputs(args)
        with fresh_folder(args.out if args.cmd in RUN_FOLDERS else None), \
                parallel.scheduler(getattr(args, "scheduler", None)):
            args.func(args)
    except CorpusError as e:   # user mistakes: one sentence, no traceback; anything else is a bug and shows one
        sys.exit(f"error: {e}")
    except BrokenPipeError:   # the output piped into a command that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        parallel.stop()   # workers still computing are ended now, not waited for at exit
        print("\ninterrupted: every clip and fold finished so far is saved; run the same command again to resume.",
              file=sys.stderr)
        sys.exit(130)
