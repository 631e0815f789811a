"""One function per command (`cmd_NAME`): each turns parsed flags into a call of the plain Python
functions of api.py and runs.py (or the layers below) and prints what they return."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from .. import methods
from ..core.cache import write_atomic
from ..data import classsets, faces
from ..data.datasets import CorpusError, load_corpora, synthetic, to_frame
from ..data.excluded import FALLBACK, exclusions, report_excluded, say_fallbacks
from ..data.faces.table import clip_faces
from ..data.faces.video import is_video
from ..data.long import LongCorpus
from ..data.prepare import PrepConfig
from ..evaluation import byo, metrics, reports
from ..evaluation.manifest import describe, manifest_of, predictions_text
from ..methods.baselines import BaselineConfig
from ..models import SPATIAL
from ..spotting.learned import NAME as LEARNED
from ..spotting.spotters import SPOTTERS
from ..training import TrainConfig
from . import api, runs
from .flags import config_from, inputs_from, load_corpus, long_roots, long_sheets, spot_config, spot_prep, train_flags
from .outputs import FRAMES, Read, check_flows_folder, check_writes
from .runs import load_and_prepare, print_tables, smic_apex, train_recipe


def cmd_synth(args) -> None:
    if args.clean and not args.long:
        raise CorpusError("--clean goes with --long (the clean long videos); the other corpora have no such choice.")
    if args.macro:   # the four macro-expression corpora, for pretraining
        from ..data.datasets import MACRO_ADAPTERS
        from ..data.datasets.synthetic_macro import synthesize_macro
        roots = synthesize_macro(args.out, seed=args.seed, subjects=8, takes=2, jobs=args.jobs)
        for name, load in MACRO_ADAPTERS.items():
            c = load(roots[name])
            print(f"{roots[name]}: {len(c.samples)} peak images of {len({x.subject for x in c.samples})} subjects "
                  f"({len(c.excluded)} left out)")
        return
    if args.long:    # long videos with micro- and macro-expressions, for spotting
        from ..data.datasets.synthetic_long import CLEAN, REALISTIC, synthesize_long
        from ..spotting.run import load_long
        roots = synthesize_long(args.out, seed=args.seed, jobs=args.jobs,
                                nuisances=CLEAN if args.clean else REALISTIC)
        for name, root in roots.items():
            c = load_long({name: root}).counts()
            print(f"{root}: {c['videos']} videos of {c['subjects']} subjects, {c['micro']} micro- and {c['macro']} "
                  f"macro-expressions")
        return
    if args.corpus:  # CAS(ME)^3 part A or MMEW, read back with the class set of all its emotions
        from ..data.datasets import synthetic_more
        write, classes = {"casme3": (synthetic_more.synthesize_casme3, "casme3-7"),
                          "mmew": (synthetic_more.synthesize_mmew, "mmew-6")}[args.corpus]
        root = write(args.out, seed=args.seed, jobs=args.jobs)
        c = load_corpora({args.corpus: root}, classes=classes)
        print(f"{root}: {len(c.samples)} micro-expressions of {len({s.subject for s in c.samples})} subjects in the "
              f"class set {classes} ({len(c.excluded)} annotation rows left out, as in the real sheet)")
        return
    root = synthetic.synthesize(args.out, seed=args.seed, full=args.full, jobs=args.jobs)
    corpus = load_corpora(synthetic.roots(root))
    print(f"{root}: {len(corpus.samples)} clips, {len({s.subject for s in corpus.samples})} subjects "
          f"({len(corpus.excluded)} annotation rows left out by the label maps, as in the real sheets)")


def cmd_export_flows(args) -> None:
    check_flows_folder(args.out)
    runs.export_flows(inputs_from(args), config_from(args, PrepConfig), args.out, args.format)


def cmd_prepare(args) -> None:
    data, excluded = load_and_prepare(inputs_from(args), config_from(args, PrepConfig))
    report_excluded(excluded, None)
    print(f"prepared {len(data.table)} clips into {Path(args.cache) / 'prepared'}")


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


def cmd_spot(args) -> None:
    from ..spotting import learned, run as spotting
    if args.spotter not in SPOTTERS and not Path(args.spotter).is_file():
        raise CorpusError(f"--spotter {args.spotter}: no such spotter, and no such file; choose one of "
                          f"{', '.join(n for n, s in SPOTTERS.items() if not s.learned)}, or pass a spotter file "
                          f"written by `atnet train --task spot`.")
    model = api.load_model(args.model) if args.model else None
    prep, spotter = spot_prep(args), None
    if args.spotter in SPOTTERS and SPOTTERS[args.spotter].learned:
        raise CorpusError(f"--spotter {args.spotter} is learned: train one with `atnet train --task spot --samm-lv "
                          f"ROOT --casme-sq ROOT --out spotter.safetensors`, then pass --spotter spotter.safetensors.")
    if args.spotter in SPOTTERS:
        cfg = spot_config(args, args.spotter)
    else:
        spotter = learned.load(args.spotter)
        cfg = spot_config(args)
    videos = [spotting.long_video(p, args.fps) for p in args.input]
    excluded, notes = [], []
    if any(long_roots(args).values()):
        corpus = spotting.load_long(long_roots(args), long_sheets(args))
        videos += corpus.videos
        excluded += corpus.excluded
        notes += corpus.notes
    if not videos:
        raise CorpusError("nothing to spot: pass videos or frame folders, or --samm-lv / --casme-sq ROOT.")
    results, failed, _, proposals = spotting.spot_thresholded(videos, cfg, prep, args.auto_p, args.jobs, spotter)
    report_excluded(exclusions(excluded + failed), None)
    spotting.report_notes(LongCorpus([r["video"] for r in results], notes=notes))   # rows changed, short holes
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
        for col in ["label"] + [f"p_{c}" for c in model.classes]:
            table[col] = ["" if i is None else labels[col].iloc[i] for i in found]
    write_atomic(Path(args.out), table.to_csv(index=False))
    frames, rate = spotting.throughput(results)
    print(f"spotted {len(table)} intervals ({(table['kind'] == 'micro').sum()} micro) in {len(results)} video(s), "
          f"{frames} frames at {rate:.0f} frames/s per process; wrote {args.out}")
    if any(r["video"].truth for r in results):
        print(spotting.score_table(results, proposals).to_string(index=False))


def cmd_evaluate(args) -> None:
    if args.task == "spot":
        from ..spotting.run import evaluate_spotters
        wrong = [m for m in args.method or [] if m not in SPOTTERS]
        if wrong:
            raise CorpusError(f"--method {' '.join(wrong)}: with --task spot, name spotters ({', '.join(SPOTTERS)}).")
        model = api.load_model(args.model) if args.model else None
        evaluate_spotters(long_roots(args), args.out, [spot_config(args, m) for m in args.method or ["lbp"]],
                          spot_prep(args), args.auto_p, args.jobs, long_sheets(args), model, args.cache,
                          argv=args.argv)
        return
    spotters = [m for m in args.method or [] if m in SPOTTERS]
    if spotters:
        raise CorpusError(f"--method {' '.join(spotters)}: spotters find expressions in long videos; pass --task spot "
                          f"with --samm-lv / --casme-sq, or name a recognition method.")
    args.method = args.method or ["atnet"]
    if args.features:   # your own features: no frames are read or prepared
        runs.evaluate_features(args.features, args.protocol, args.out, args.labels, inputs_from(args),
                               args.classifier, args.name, args.on_missing, argv=args.argv, folds=args.folds)
        return
    if args.labels:
        raise CorpusError("--labels goes with --features (labels for your own features); without --features the "
                          "labels come from the corpus roots.")
    say_init(args, args.method)
    runs.evaluate_run(inputs_from(args), args.method, args.protocol, config_from(args, PrepConfig),
                      config_from(args, TrainConfig), args.out, config_from(args, BaselineConfig), args.argv,
                      args.trace_epochs, args.folds)


def cmd_report(args) -> None:
    summary, path = Path(args.dir) / "summary.json", Path(args.dir) / "results.json"
    manifest = manifest_of(args.dir)   # a damaged run.json is refused before any table
    class_set = manifest["class_set"] if manifest else "megc2019"   # a run without run.json is older: megc2019's
    if summary.exists():   # a reproduction: mean ± std over seeds
        print_tables(reports.read_summary(summary), class_set=class_set)
    elif not path.exists():
        raise CorpusError(f"{path}: not found; run `atnet evaluate --out {args.dir}` or `atnet demo --out {args.dir}` "
                          f"first.")
    else:
        print_tables(reports.read_results(path), class_set=class_set)
    print(describe(args.dir, manifest))


def count_table(t: pd.DataFrame, classes=("negative", "positive", "surprise")) -> str:
    """SPEC section 2's table: clips per class (of the class set) and corpus, then samples / subjects."""
    names = list(dict.fromkeys(t["dataset"]))
    lines = ["| class | " + " | ".join(names) + " | total |", "|" + " --- |" * (len(names) + 2)]
    for c in classes:
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
    if getattr(args, "init_spatial", None) and any(m in SPATIAL for m in methods):
        print(spatial_init_text(args.init_spatial, bool(args.init_partial)))


def cmd_train(args) -> None:
    out = Path(args.out)
    if args.task == "spot" or args.method == LEARNED:
        from ..spotting import learned
        from ..spotting.run import load_long, report_notes
        if args.method not in (None, LEARNED):
            raise CorpusError(f"--method {args.method} is a recognition method; with --task spot the method is "
                              f"{LEARNED} (the learned spotter).")
        corpus = load_long(long_roots(args), long_sheets(args))
        videos, held = api.select_subjects(corpus.videos, args.subjects, args.leave_out_subjects)
        if held:   # the spotter file's header lists the videos it was trained on (trained_on)
            print(f"{len(held)} video(s) of {len({v.subject for v in held})} subject(s) not trained on, as "
                  f"--subjects / --leave-out-subjects ask")
        if not videos:
            raise CorpusError("--subjects / --leave-out-subjects leave no video to train on; keep at least one "
                              "subject.")
        fitted, failed = learned.train(videos, spot_config(args, LEARNED), spot_prep(args), args.jobs, args.cache)
        report_excluded(exclusions(corpus.excluded + failed), None)
        report_notes(LongCorpus(videos, notes=corpus.notes))
        learned.save(fitted, out)
        print(f"wrote {out}: the {LEARNED} spotter trained on {len(fitted.trained_on)} video(s); spot with "
              f"`atnet spot VIDEO --spotter {out}`")
        return
    args.method = args.method or "atnet"
    if args.init_spatial and args.method not in SPATIAL:
        raise CorpusError(f"--init-spatial starts a spatial stream, and --method {args.method} has none; drop "
                          f"--init-spatial or pass --method {', '.join(SPATIAL)}.")
    say_init(args, [args.method])
    prep, inputs = config_from(args, PrepConfig), inputs_from(args)
    preset, train = train_recipe(args.preset, inputs.real, train_flags(args))
    corpus = inputs.corpus()
    samples, held = api.select_subjects(corpus.samples, args.subjects, args.leave_out_subjects)
    say_selected(held, "trained on")
    samples, unspotted = smic_apex(samples, inputs, prep)
    model, failed = api.train(samples, args.method, prep, train, args.cache, args.jobs, classes=inputs.class_set())
    report_excluded(exclusions(corpus.excluded + unspotted + failed), None)
    model.meta["smic_apex"] = args.smic_apex
    model.meta["preset"] = preset
    model.save(out)
    print(api.describe(model.meta))
    print(f"wrote {out}")


def cmd_pretrain(args) -> None:
    from ..methods.modelfile import save_model
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
    from ..spotting import learned
    if learned.is_spotter_file(args.model):
        print(learned.describe(learned.load(args.model)))
        return
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
        if model.class_set not in classsets.names():
            raise CorpusError(f"{args.model}: its class set {model.class_set} is one of your own, so the corpora's "
                              f"labels cannot be mapped onto it here; label their clips as frame folders or a --clips "
                              f"CSV instead.")
        corpus = replace(inputs_from(args), classes=model.class_set).corpus()   # truth in the model's classes
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
          + ", ".join(f"{c} {int((table['label'] == c).sum())}" for c in model.classes))
    known = table["truth"].isin(model.classes)
    if known.any():
        print("where the corpus gives the label: " + ", ".join(
            f"{k} {v:.3f}" for k, v in metrics.scores(metrics.confusion(
                table.loc[known, "truth"].map(model.classes.index), table.loc[known, "label"].map(model.classes.index),
                len(model.classes))).items()
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
    inputs = inputs_from(args)
    corpus = inputs.corpus()
    t = to_frame(corpus.samples)
    print(f"class set {inputs.class_set().name}:")
    print(count_table(t, inputs.class_set().classes))
    report_excluded(exclusions(corpus.excluded), None)
    t["subject"] = t["subject"].str.split("/", n=1).str[1]   # as the corpus writes it
    write_atomic(Path(args.out), t.to_csv(index=False))
    print(f"wrote {len(t)} samples to {args.out}")


def cmd_classes(args) -> None:
    inputs = inputs_from(args)
    named = any(a == "--classes" or a.startswith("--classes=") for a in args.argv)   # else every set
    print(runs.describe_class_sets(inputs if inputs.roots or inputs.synthetic else None,
                                   args.classes if named else None))


def cmd_score(args) -> None:
    if sum(x is not None for x in (args.megc_log, args.predictions, args.strs)) != 1:
        raise CorpusError("give one of --megc-log FILE, --predictions FILE or --strs PREDICTIONS --truth TRUTH.")
    if args.strs:
        return score_strs(args)
    preds = metrics.read_megc_log(args.megc_log) if args.megc_log else byo.read_predictions(args.predictions)
    print("| test set | n | Acc | UF1 | UAR |\n| --- | --- | --- | --- | --- |")
    for r in metrics.summarize(preds, preds.attrs.get("classes")):
        print(f"| {r['test_set']} | {r['n']} | {r['acc']:.4f} | {r['uf1']:.4f} | {r['uar']:.4f} |")


def score_strs(args) -> None:
    from ..spotting import strs
    if not args.truth:
        raise CorpusError("--strs PREDICTIONS is scored against --truth TRUTH (the same columns); add it.")
    pred, truth = strs.read_str_table(args.strs), strs.read_str_table(args.truth)
    classes = classsets.get(args.classes).classes if args.classes else None
    modes = strs.MODES if args.mode == "both" else (args.mode,)
    results = {m: strs.strs(pred, truth, m, classes) for m in modes}
    named = f"the class set {args.classes}" if args.classes else "the emotions in the truth"
    print(f"STRS of {args.strs} against {args.truth}; analysis classes ({named}): "
          f"{', '.join(results[modes[0]]['classes'])}\n")
    print(strs.table(results))
    outside = results[modes[0]]["outside"]
    if outside:
        print(f"\nTruth intervals whose emotion is not among the classes (spotting counts them, the analysis does "
              f"not): {', '.join(f'{e} {n}' for e, n in outside.items())}; map their emotions onto the classes first "
              f"to analyse them.")


def cmd_compare(args) -> None:
    said = [predictions_text(args.a), predictions_text(args.b)]   # a damaged run.json is refused before any work
    a, b = byo.read_predictions(args.a), byo.read_predictions(args.b)
    table = byo.compare(a, b, n_boot=args.boot, seed=args.seed, names=("A", "B"))
    print(f"A = {said[0]}\nB = {said[1]}\nA - B with a {args.boot}-draw paired bootstrap over subjects "
          f"(95% interval; an interval that excludes 0 is a difference beyond subject-sampling noise):\n")
    print("| test set | metric | A | B | A - B | 95% interval | subjects | clips |\n" + "|" + " --- |" * 8)
    for r in table.itertuples():
        print(f"| {r.test_set} | {r.metric.upper()} | {r.A:.4f} | {r.B:.4f} | {r.diff:+.4f} | "
              f"[{r.lo:+.4f}, {r.hi:+.4f}] | {r.subjects} | {r.clips} |")


def cmd_methods(args) -> None:
    from ..spotting.spotters import describe
    print(methods.describe_all() + "\n" + describe())


def cmd_demo(args) -> None:
    runs.demo(args.out, args.cache, args.jobs, args.argv)


def cmd_reproduce(args) -> None:
    say_init(args, args.method or ["spatial"])
    runs.reproduce(inputs_from(args), args.out, args.method, args.protocol, args.seeds, args.preset,
                   config_from(args, PrepConfig), train_flags(args), svm=config_from(args, BaselineConfig),
                   argv=args.argv, trace_epochs=args.trace_epochs, folds=args.folds)


def cmd_view(args) -> None:
    from .view import view
    out = view(args.run, args.out, inputs_from(args), images=not args.no_images)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); open it in a browser")
