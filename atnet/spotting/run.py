"""Spotting as plain functions: a long video (a frame folder, a video file, or a corpus's LongVideo)
in, proposals out; a corpus scored with the MEGC metric (the learned spotter leave one subject out);
the spotted micro-expressions labelled by a model from `atnet train`. The CLI (`atnet spot`,
`atnet evaluate --task spot`, `atnet train --task spot`) only parses flags. Faces and frames:
spotting/frames.py."""
from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import CorpusError
from ..data.datasets.base import Exclusion, Sample
from ..data.excluded import exclusions, report_excluded, say_fallbacks
from ..data.faces.video import is_video
from ..data.prepare import PrepConfig, check_faces
from ..evaluation.manifest import RunInputs, given, write_manifest
from ..features.apex_spot import lbp_histograms
from . import KINDS, Interval, LongVideo, learned
from .frames import check_spottable, each_video, long_video, short_holes, tracked_crops
from .intervals import blinks, eye_blocks, without_blinks
from .method import SpotConfig, combine, propose, spot_histograms, threshold
from .metric import match, match_by_kind, score

__all__ = ["long_video", "spot_video", "spot_all", "evaluate_spotting"]

P_GRID = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)   # --auto-p: chosen on the training subjects


def spot_video(video: LongVideo, cfg: SpotConfig = SpotConfig(), prep: PrepConfig = PrepConfig(),
               spotter=None) -> dict:
    """Spot one long video -> {"video", "proposals", "trace", "numbers", "face", "recrops", "blinks",
    "seconds"}. cfg.spotter names a training-free spotter (lbp, mdmd); `spotter`, a fitted learned
    spotter (learned.Fitted, from learned.fit or learned.load), replaces it."""
    t0 = time.perf_counter()
    info: dict = {}
    if spotter is None and cfg.spotter == learned.NAME:
        raise CorpusError(f"{learned.NAME} is learned: pass a fitted spotter (learned.load('spotter.safetensors') or "
                          f"learned.fit), or evaluate it leave one subject out with spot_thresholded.")
    if spotter is not None:     # the features must be the ones it was trained on
        cfg = replace(spotter.cfg, eyes=cfg.eyes)
    check_spottable(video, cfg)
    crops = tracked_crops(video, cfg, prep, info)
    if spotter is not None:
        proposals, trace = learned.spot_crops(crops, video.fps, spotter, info)
    else:
        feats = ((lbp_histograms(c, cfg.blocks).astype(np.float32), cut) for c, cut in crops) \
            if cfg.spotter == "lbp" else crops
        keep = (lambda: None if info["eyes"] is None else ~eye_blocks(info["eyes"], cfg.crop, cfg.blocks)) \
            if cfg.eyes == "mask" else None
        proposals, trace = spot_histograms(feats, video.numbers, video.fps, cfg, keep)
    numbers = info["numbers"]
    found = []
    if cfg.eyes == "ear":
        found = [(numbers[a], numbers[b]) for a, b in blinks(np.array(info["ear"]), video.fps)]
        proposals = without_blinks(proposals, found)
    return {"video": video, "proposals": proposals, "trace": trace, "numbers": numbers, "face": info["face"],
            "recrops": info["recrops"], "blinks": found, "seconds": time.perf_counter() - t0}


def spot_all(videos: list[LongVideo], cfg: SpotConfig = SpotConfig(), prep: PrepConfig = PrepConfig(),
             jobs: int = 1, progress: bool = True, spotter=None) -> tuple[list[dict], list[Exclusion]]:
    """Spot every video (one process per video); a video that fails is listed with the reason.
    `spotter`: a fitted learned spotter (learned.load), else cfg.spotter's training-free method."""
    check_faces(prep)
    done, failed = each_video(spot_video, videos, (cfg, prep, spotter), jobs, "spot", progress)
    return [r for _, r in done], failed


def at_threshold(result: dict, p: float, variable: bool = False) -> list[Interval]:
    """A video's proposals at another p (from its saved contrast curves; nothing is re-read), blinks
    found in it dropped as at spotting."""
    found = {kind: propose(result["trace"][kind]["contrast"], result["trace"][kind]["k"], p, kind, result["numbers"],
                           variable) for kind in KINDS}
    return without_blinks(combine(found["micro"], found["macro"]), result.get("blinks", []))


def choose_p_loso(results: list[dict], variable: bool = False) -> dict[str, float]:
    """--p auto: for each subject, the p of P_GRID with the best overall F1 on the other subjects'
    videos (ties: the smaller p); the held-out subject's own videos never take part."""
    subjects = sorted({r["video"].subject for r in results})
    table = {p: [(r["video"].subject, r["video"].truth, at_threshold(r, p, variable)) for r in results]
             for p in P_GRID}
    out = {}
    for s in subjects:
        f1 = {p: score((t, q) for subj, t, q in rows if subj != s)["overall"]["f1"] for p, rows in table.items()}
        out[s] = max(P_GRID, key=lambda p: (f1[p], -p))
    return out


NO_P = ("--auto-p chooses the threshold p of the training-free spotters (lbp, mdmd); the learned spotter has "
        "none (its intervals are where a kind's probability is above 0.5), so leave --auto-p out.")


def spot_thresholded(videos: list[LongVideo], cfg: SpotConfig, prep: PrepConfig, auto_p: bool = False,
                     jobs: int = 1, spotter=None, cache: str | Path | None = None
                     ) -> tuple[list[dict], list[Exclusion], dict, dict | None]:
    """spot_all, then with `auto_p` each subject's proposals at the p chosen on the other subjects.
    With cfg.spotter == "flow-tcn" and no fitted `spotter`: the learned spotter, leave one subject
    out (learned.spot_loso; its features kept in `cache`). Returns (results, failed, p chosen per
    subject, proposals per video key or None for the results' own)."""
    if auto_p and (spotter is not None or cfg.spotter == learned.NAME):
        raise CorpusError(NO_P)
    if spotter is None and cfg.spotter == learned.NAME:
        check_faces(prep)
        results, failed = learned.spot_loso(videos, cfg, prep, jobs, cache)
        return results, failed, {}, None
    results, failed = spot_all(videos, cfg, prep, jobs, spotter=spotter)
    if not auto_p:
        return results, failed, {}, None
    variable = cfg.intervals == "variable"
    chosen = choose_p_loso(results, variable)
    return results, failed, chosen, {r["video"].key: at_threshold(r, chosen[r["video"].subject], variable)
                                     for r in results}


def throughput(results: list[dict]) -> tuple[int, float]:
    """(frames spotted, frames per second per process)."""
    frames = sum(len(r["numbers"]) for r in results)
    seconds = sum(r["seconds"] for r in results)
    return frames, frames / seconds if seconds else 0.0


def proposal_name(video: str, onset: int) -> str:
    """The clip name a spotted interval is labelled under: video@onset."""
    return f"{video.replace('/', '_')}@{onset}"


def intervals_table(results: list[dict], proposals: dict | None = None) -> pd.DataFrame:
    """One row per proposal: dataset, subject, video, onset, apex, offset, kind, score, matched
    (whether it matches a ground-truth interval of its kind with IoU >= 0.5; empty without truth)."""
    rows = []
    for r in results:
        v = r["video"]
        props = (proposals or {}).get(v.key, r["proposals"])
        hit = {j for _, j in match_by_kind(v.truth, props)}
        for j, q in enumerate(props):
            rows.append([v.dataset, v.subject, v.video, q.onset, q.apex, q.offset, q.kind, round(q.score, 6),
                         (j in hit) if v.truth else ""])
    return pd.DataFrame(rows, columns=["dataset", "subject", "video", "onset", "apex", "offset", "kind", "score",
                                       "matched"])


def truth_table(results: list[dict]) -> pd.DataFrame:
    """One row per annotated interval of every video spotted: dataset, subject, video, onset, apex,
    offset, kind, label."""
    rows = [[r["video"].dataset, r["video"].subject, r["video"].video, t.onset, t.apex, t.offset, t.kind, t.label]
            for r in results for t in r["video"].truth]
    return pd.DataFrame(rows, columns=["dataset", "subject", "video", "onset", "apex", "offset", "kind", "label"])


def save_curves(results: list[dict], chosen: dict, path: Path) -> None:
    """Each video's score curves (float32, one value per frame) and thresholds as used (with --auto-p,
    its subject's p), for `atnet view`: keys VIDEO_KEY|numbers, VIDEO_KEY|KIND, VIDEO_KEY|KIND|threshold."""
    from ..core.cache import atomic
    arrays = {}
    for r in results:
        key = r["video"].key
        p = chosen.get(r["video"].subject)
        arrays[f"{key}|numbers"] = np.asarray(r["numbers"], np.int64)
        for kind, t in thresholds(r, p).items():
            arrays[f"{key}|{kind}"] = np.asarray(r["trace"][kind]["contrast"], np.float32)
            arrays[f"{key}|{kind}|threshold"] = np.float32(t)
    with atomic(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def score_table(results: list[dict], proposals: dict | None = None) -> pd.DataFrame:
    """Per corpus and kind (micro, macro, overall): TP, FP, FN, precision, recall, F1 (MEGC metric)."""
    rows = []
    for dataset in sorted({r["video"].dataset for r in results}):
        part = [r for r in results if r["video"].dataset == dataset]
        s = score((r["video"].truth, (proposals or {}).get(r["video"].key, r["proposals"])) for r in part)
        for kind in ("macro", "micro", "overall"):
            rows.append({"dataset": dataset, "kind": kind, "videos": len(part), **s[kind]})
    return pd.DataFrame(rows)


def label_micro(model, results: list[dict], proposals: dict | None = None, cache: str | Path = ".cache/atnet",
                jobs: int = 1, progress: bool = True) -> tuple[pd.DataFrame, list[Exclusion]]:
    """Spot, then recognise: every spotted micro-expression (its onset, peak as apex, offset) labelled
    by `model` (api.Model). Returns one row per micro proposal (video, onset, apex, offset, label,
    p_*; truth where it matches an annotated interval with a label) and the proposals left out."""
    from ..data.faces.video import video_sample
    samples, truth = [], {}
    for r in results:
        v = r["video"]
        props = [q for q in (proposals or {}).get(v.key, r["proposals"]) if q.kind == "micro"]
        gt = [t for t in v.truth if t.kind == "micro"]
        matched = {j: gt[i] for i, j, _ in match(gt, props)}
        for j, q in enumerate(props):
            name = proposal_name(v.video, q.onset)
            if v.frames and is_video(v.frames[0]):
                s = video_sample(v.frames[0], v.dataset, v.subject.split("/", 1)[-1], name, "", q.onset, q.apex,
                                 q.offset)
            else:
                idx = [i for i, n in enumerate(v.numbers) if q.onset <= n <= q.offset]
                s = Sample(v.dataset, v.subject, name, "", q.onset, q.apex, q.offset, v.fps,
                           tuple(str(v.frames[i]) for i in idx), tuple(v.numbers[i] for i in idx))
            samples.append(s)
            truth[s.key] = matched[j].label if j in matched else ""
    table, excluded = model.predict(samples, cache=cache, jobs=jobs, spot_method="lbp", progress=progress)
    if len(table):
        table["truth"] = [truth.get(f"{d}/{s.split('/', 1)[-1]}/{c}", "") for d, s, c in
                          zip(table["dataset"], table["subject"], table["clip"])]
    return table, excluded


def thresholds(result: dict, p: float | None = None) -> dict[str, float]:
    """Each scale's threshold at `p` (None: the p the video was spotted at, as in its trace)."""
    return {kind: result["trace"][kind]["threshold"] if p is None else threshold(result["trace"][kind]["contrast"], p)
            for kind in KINDS}


def timeline(result: dict, path: str | Path, proposals: list[Interval] | None = None, p: float | None = None):
    """A figure of one video: the contrast curves with the thresholds at `p` (the p its proposals
    were cut at: the subject's LOSO choice with --auto-p; None: the p it was spotted at), the ground
    truth and the proposals as bars (micro red, macro blue). Returns the (closed) figure."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    v, numbers = result["video"], np.asarray(result["numbers"])
    props = result["proposals"] if proposals is None else proposals
    fig, (ax, bars) = plt.subplots(2, 1, figsize=(10, 3.2), dpi=90, sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1.2]})
    for (kind, t), colour in zip(thresholds(result, p).items(), ("tab:red", "tab:blue")):
        tr = result["trace"][kind]
        ax.plot(numbers, tr["contrast"], color=colour, lw=0.7, label=f"{kind} contrast (k = {tr['k']})")
        ax.axhline(t, color=colour, ls="--", lw=0.7, label=f"{kind} threshold")
    ax.legend(fontsize=7, loc="upper right")
    at = "" if p is None else f" at p = {p:g}"
    ax.set_title(f"{v.key}: {len(v.truth)} annotated, {len(props)} spotted{at}", fontsize=9)
    for row, items in ((1, v.truth), (0, props)):
        for q in items:
            bars.broken_barh([(q.onset, q.length)], (row + 0.1, 0.8),
                             color="tab:red" if q.kind == "micro" else "tab:blue")
    bars.set_yticks([0.5, 1.5], ["spotted", "truth"], fontsize=7)
    bars.set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return fig


def spotter_label(cfg: SpotConfig, auto_p: bool = False) -> str:
    """A spotter's row name with the settings that change its proposals."""
    if cfg.spotter == learned.NAME:
        return f"atnet {learned.NAME} (learned, leave one subject out)"
    name = {"lbp": "LBP feature difference", "mdmd": "MDMD"}[cfg.spotter]
    extra = [f"{cfg.intervals} intervals"] + (["eyes masked"] if cfg.eyes == "mask" else []) + \
        (["blinks dropped (EAR)"] if cfg.eyes == "ear" else []) + \
        ([f"denoise {cfg.denoise:g} px"] if cfg.denoise else [])
    return f"atnet {name} ({', '.join(extra)}; " + ("p by LOSO)" if auto_p else f"p = {cfg.p})")


def settings(cfg: SpotConfig, prep: PrepConfig, p) -> dict:
    return {"spot": {**asdict(cfg), "p": p}, "face": prep.face, "align": prep.align, "margin": prep.margin}



LOADERS = {"samm-lv": "samm_lv", "casme-sq": "casme_sq"}
NAMES = {"samm-lv": "SAMM-LV", "casme-sq": "CAS(ME)^2"}


def load_long(roots: dict, sheets: dict | None = None):
    """{"samm-lv": ROOT, "casme-sq": ROOT} -> a LongCorpus of every video of those corpora."""
    from importlib import import_module

    from . import LongCorpus
    out = LongCorpus()
    for name, root in roots.items():
        if root:
            part = import_module(f"atnet.data.datasets.{LOADERS[name]}").load(root, (sheets or {}).get(name))
            out.videos += part.videos
            out.excluded += part.excluded
            out.notes += part.notes
    if not out.videos:
        raise CorpusError("no annotated long video was found; pass --samm-lv ROOT and/or --casme-sq ROOT "
                          "(README: 'Spotting in long videos').")
    return out


def notes_of(corpus) -> list[str]:
    """What was used with a change (an annotation row's apex or offset) or despite missing frames."""
    return list(corpus.notes) + [n for n in map(short_holes, corpus.videos) if n]


def report_notes(corpus) -> None:
    notes = notes_of(corpus)
    if notes:
        print(f"{len(notes)} used with a change (annotation rows, videos with short holes), each said:")
        for n in notes:
            print(f"  {n}")


def published_table(scores: pd.DataFrame, label: str) -> str:
    """Markdown: our F1 (macro / micro / overall) per corpus beside SPOTTING.md's published rows."""
    import json
    from importlib.resources import files
    pub = json.loads((files("atnet.spotting") / "published.json").read_text())
    sets = [d for d in ("casme-sq", "samm-lv") if d in set(scores["dataset"])]
    head = "| method | " + " | ".join(f"{NAMES[d]} F1 macro / micro / overall" for d in sets) + " |"
    lines = [head, "|" + " --- |" * (len(sets) + 1)]
    ours = {(r.dataset, r.kind): r.f1 for r in scores.itertuples()}
    lines.append(f"| {label} | " + " | ".join(" / ".join(f"{ours[(d, k)]:.4f}" for k in ("macro", "micro", "overall"))
                                                for d in sets) + " |")
    for row in pub["rows"]:
        lines.append(f"| {row['method']} (published) | " + " | ".join(" / ".join(f"{v:.4f}" for v in row[d])
                                                                      for d in sets) + " |")
    return "\n".join(lines)


def evaluate_spotting(roots: dict, out: str | Path, cfg: SpotConfig = SpotConfig(), prep: PrepConfig = PrepConfig(),
                      auto_p: bool = False, jobs: int = 1, sheets: dict | None = None, model=None,
                      cache: str | Path = ".cache/atnet", figures: bool = True, argv=()) -> pd.DataFrame:
    """`atnet evaluate --task spot`: spot every video of the long-video corpora, score with the MEGC
    metric, and write OUT/intervals.csv, scores.csv, report.md (beside the published rows),
    excluded.csv, settings.json, run.json (`argv`: the command line) and figures/timeline-*.png.
    With `auto_p`, each subject's videos are spotted at the p chosen on the other subjects
    (choose_p_loso). With `model`, the spotted micro-expressions are labelled (labels.csv; accuracy
    on those matching a labelled interval)."""
    import json

    from ..core.cache import write_atomic
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    corpus = load_long(roots, sheets)
    results, failed, chosen, proposals = spot_thresholded(corpus.videos, cfg, prep, auto_p, jobs, cache=cache)
    excluded = list(corpus.excluded) + failed
    report_excluded(exclusions(excluded), None)
    report_notes(corpus)
    say_fallbacks([(r["video"].key, r["face"]) for r in results], prep, "first frame of {n} video(s)")
    if not results:
        raise CorpusError("no video could be spotted; see the reasons listed above.")
    scores = score_table(results, proposals)
    write_atomic(out / "intervals.csv", intervals_table(results, proposals).to_csv(index=False))
    write_atomic(out / "scores.csv", scores.to_csv(index=False))
    write_atomic(out / "excluded.csv", pd.DataFrame([asdict(e) for e in excluded],
                                                    columns=["dataset", "clip", "reason"]).to_csv(index=False))
    frames, rate = throughput(results)
    info = {**settings(cfg, prep, "auto (LOSO)" if auto_p else cfg.p), "p_chosen": chosen,
            "videos": len(results), "frames": frames, "spot_seconds": round(sum(r["seconds"] for r in results), 1),
            "frames_per_second_per_process": round(rate, 1) if rate else None,
            "recrops": sum(r["recrops"] for r in results),
            "no_face_first_frame": [r["video"].key for r in results if r["face"] == "centre-square"],
            "notes": notes_of(corpus),
            "roots": {k: str(v) for k, v in roots.items() if v}, "sheets": {k: str(v) for k, v in (sheets or {}).items()
                                                                          if v}}
    write_atomic(out / "settings.json", json.dumps(info, indent=1))
    write_atomic(out / "truth.csv", truth_table(results).to_csv(index=False))
    save_curves(results, chosen, out / "curves.npz")
    write_manifest(out, "spotting", argv,
                   RunInputs(source="long-videos", roots={k: given(v) for k, v in roots.items() if v},
                             sheets={k: given(v) for k, v in (sheets or {}).items() if v}, cache=given(cache)),
                   {"prep": asdict(prep), "spot": {**asdict(cfg), "auto_p": bool(auto_p)}},
                   [{"method": cfg.spotter, "protocol": "loso" if auto_p or cfg.spotter == learned.NAME else "",
                     "seed": None, "predictions": "intervals.csv"}])
    if figures:
        for r in results:
            timeline(r, out / "figures" / f"timeline-{r['video'].key.replace('/', '_')}.png",
                     (proposals or {}).get(r["video"].key), chosen.get(r["video"].subject))
    label = spotter_label(cfg, auto_p)
    text = ["# Spotting report", "", f"Videos: {len(results)} ({frames} frames), {len(excluded)} rows or folders "
            "left out (excluded.csv). MEGC metric: IoU >= 0.5, one-to-one, TP/FP/FN summed over videos.", "",
            "| corpus | kind | videos | TP | FP | FN | precision | recall | F1 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    text += [f"| {NAMES.get(r.dataset, r.dataset)} | {r.kind} | {r.videos} | {r.tp} | {r.fp} | {r.fn} | "
             f"{r.precision:.4f} | {r.recall:.4f} | {r.f1:.4f} |" for r in scores.itertuples()]
    text += ["", "Beside the published rows (on the real corpora; ours here on the corpora given, which may "
             "be synthetic: not the same data):", "", published_table(scores, label)]
    if model is not None:
        labels, left = label_micro(model, results, proposals, cache, jobs)
        write_atomic(out / "labels.csv", labels.to_csv(index=False))
        known = labels[labels["truth"].isin(model.classes)] if len(labels) else labels
        acc = float((known["label"] == known["truth"]).mean()) if len(known) else float("nan")
        text += ["", f"Spot, then recognise: {len(labels)} spotted micro-expressions labelled "
                 f"({len(left)} left out); on the {len(known)} that match an annotated, labelled micro-expression, "
                 f"accuracy {acc:.3f}."]
        info["recognise"] = {"labelled": len(labels), "matched_with_label": len(known), "accuracy": acc}
        write_atomic(out / "settings.json", json.dumps(info, indent=1))
    text += ["", f"Speed: {info['frames_per_second_per_process']} frames/s per process (face tracking, crop, "
             f"LBP, differences), {jobs} process(es).", "", "Timelines: figures/."]
    write_atomic(out / "report.md", "\n".join(text) + "\n")
    print("\n".join(text))
    return scores


def evaluate_spotters(roots: dict, out: str | Path, cfgs: list[SpotConfig], prep: PrepConfig = PrepConfig(),
                      auto_p: bool = False, jobs: int = 1, sheets: dict | None = None, model=None,
                      cache: str | Path = ".cache/atnet", figures: bool = True, argv=()) -> pd.DataFrame:
    """evaluate_spotting for one spotter (into OUT) or several (each into OUT/NAME, and OUT/report.md
    with their scores side by side). Returns the scores, a `spotter` column naming each."""
    from ..core.cache import write_atomic
    if len(cfgs) == 1:
        return evaluate_spotting(roots, out, cfgs[0], prep, auto_p, jobs, sheets, model, cache, figures, argv).assign(
            spotter=cfgs[0].spotter)
    parts = []
    for cfg in cfgs:
        p = auto_p and cfg.spotter != learned.NAME     # --auto-p is the training-free spotters' threshold
        parts.append(evaluate_spotting(roots, Path(out) / cfg.spotter, cfg, prep, p, jobs, sheets, model, cache,
                                       figures, argv).assign(spotter=spotter_label(cfg, p)))
    scores = pd.concat(parts, ignore_index=True)
    lines = ["# Spotters compared", "", "MEGC metric; each spotter's run in its own folder.", "",
             "| spotter | corpus | kind | precision | recall | F1 |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.spotter} | {NAMES.get(r.dataset, r.dataset)} | {r.kind} | {r.precision:.4f} | {r.recall:.4f} | "
              f"{r.f1:.4f} |" for r in scores.itertuples()]
    write_atomic(Path(out) / "report.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return scores
