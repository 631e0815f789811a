"""The command line: the only place that reads flags (this file builds the parser and runs a command;
flags.py holds the shared flags and their checks, commands.py one function per command, each a
call of the plain functions a notebook calls). Every PrepConfig and TrainConfig field is a flag of
the same name (paper values as defaults), so nothing is hidden in code.

  atnet synth OUT [--full]                     write the synthetic CASME II / SAMM / SMIC-HS corpora
  atnet synth OUT --long [--clean]             synthetic long videos (SAMM-LV, CAS(ME)^2 layouts), realistic
  atnet synth OUT --corpus casme3|mmew         synthetic CAS(ME)^3 part A or MMEW, in their layouts and workbooks
  atnet prepare [corpora] [prep flags]         faces, crops, flow, ADM -> the on-disk cache
  atnet faces CLIP --out faces.csv            per-frame face, landmarks and crop of a video or folder
  atnet evaluate --protocol cde|hde --method M [corpora] --out DIR [flags]
  atnet report DIR                             Tables II and III from DIR/results.json
  atnet corpus [corpora] --out table.csv       the Sample table of a class set, counts and what was left out
  atnet classes [corpora]                      every class set (--classes NAME): classes, maps, counts on corpora
  atnet score --megc-log FILE                  Acc / UF1 / UAR of a MEGC 2019 log, in total and per corpus
  atnet score --strs PRED --truth TRUTH        STRS (spot-then-recognise score) of intervals with emotions
  atnet demo [--out DIR]                       all of it on the synthetic corpus, in minutes
  atnet reproduce [corpora] [--seeds N]        all twelve rows of Tables II and III, resumable, with a report
  atnet train [corpora] --method M --out MODEL one model on every clip given -> a model file (.safetensors)
  atnet info MODEL                             what a model file holds: method, settings, training corpus
  atnet pretrain --ckplus ROOT ... --out W     the spatial stream pretrained on macro-expressions
  atnet predict MODEL INPUT... --out CSV       label frame folders, videos or corpora (apex given or spotted)
  atnet spot-apex [corpora]                    apex spotting error against the annotated apexes, per corpus
  atnet view RUN --out page.html               one self-contained HTML page of a run: scores, clips, timelines
  atnet methods                                every method and spotter: what it reads, whether it makes a model file
  atnet evaluate --task spot --method lbp|mdmd|flow-tcn --samm-lv R --casme-sq R --out DIR   spotting, MEGC metric
  atnet train --task spot --samm-lv R --casme-sq R --out S   the learned spotter on every video -> a spotter file
  atnet spot VIDEO... [--spotter lbp|mdmd|S] [--model MODEL] --out CSV   find (and label) expressions in long videos
  atnet export-flows [corpora] --out DIR       onset-apex flows (u, v, strain) and their table, for --apex-table
  atnet --version                              the version of atnet

Corpora: --casme2 ROOT --samm ROOT --smic ROOT (any subset), or --synthetic ROOT (written there
first if it is not already); with none given, the synthetic corpus under the cache folder.
--casme3 ROOT (CAS(ME)^3 part A) and --mmew ROOT are read with a class set that serves them.
Class sets: --classes megc2019 (default: the composite's negative, positive, surprise), casme2-5,
samm-5, megc2018-objective, casme3-3/4/7, mmew-6/5, or a JSON file of your own (`atnet classes`).
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import __version__, methods
from ..core import parallel
from ..core.config import between, ranged_type
from ..data import faces
from ..data.datasets import CorpusError
from ..data.long import FPS_RANGE
from ..data.prepare import PrepConfig
from ..evaluation import splits
from ..evaluation.protocols import PROTOCOLS
from ..features.apex_spot import METHODS as SPOT_METHODS
from ..methods.baselines import BaselineConfig
from ..spotting.learned import NAME as LEARNED
from ..spotting.spotters import SPOTTERS
from ..training import TrainConfig
from . import runs
from .commands import (
    cmd_classes,
    cmd_compare,
    cmd_corpus,
    cmd_demo,
    cmd_evaluate,
    cmd_export_flows,
    cmd_faces,
    cmd_info,
    cmd_methods,
    cmd_predict,
    cmd_prepare,
    cmd_pretrain,
    cmd_report,
    cmd_reproduce,
    cmd_score,
    cmd_spot,
    cmd_view,
    cmd_spot_apex,
    cmd_synth,
    cmd_train,
)
from .flags import (
    DEVICE_HELP,
    FRAME_MAX,
    JOBS,
    JOBS_HELP,
    JOBS_MAX,
    RUN_FOLDERS,
    SEED_MAX,
    Parser,
    add_config_flags,
    add_corpus_flags,
    add_long_flags,
    add_subject_flags,
    apex_flag,
    check_applies,
    check_outputs,
    class_set_type,
    device_type,
    file_name,
    given_options,
)
from .outputs import fresh_folder
from .runs import DEFAULT_CACHE


TRACE_HELP = ("record every epoch's test predictions beside the final ones (epochs/), and report what picking each "
              "test subject's best epoch would have given: shown, clearly marked, never used to choose anything")


def protocols_help() -> str:
    """Every registered protocol with its description, for --protocol's help."""
    return "; ".join(f"{p}: {splits.get(p).description}" for p in splits.names()).replace("%", "%%")


def add_folds_flag(s: argparse.ArgumentParser) -> None:
    s.add_argument("--folds", type=between(2, 100), default=splits.K_DEFAULT, metavar="K",
                   help="K, 2 to 100, for --protocol k-fold-subjects only (default %(default)s, as DFME's 10-fold "
                        "protocol); one K per run folder: its predictions are METHOD-k-fold-subjects.csv, so a "
                        "second K replaces the first's")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="atnet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"atnet {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("synth", help="write the synthetic corpora")
    s.add_argument("out")
    s.add_argument("--full", action="store_true", help="the full composite's size (442 clips, 68 subjects)")
    s.add_argument("--macro", action="store_true", help="instead, the macro-expression corpora in the layouts of "
                                                        "CK+, Oulu-CASIA, JAFFE and MUG (for pretraining)")
    s.add_argument("--long", action="store_true", help="instead, long videos in the layouts of SAMM Long Videos and "
                                                       "CAS(ME)^2 with their workbooks (for spotting)")
    s.add_argument("--corpus", choices=("casme3", "mmew"), help="instead, CAS(ME)^3 part A or MMEW in their layouts "
                                                                 "with their annotation workbooks (small frames)")
    s.add_argument("--clean", action="store_true", help="with --long: the first, clean long videos (weak noise and "
                                                        "head motion, small blinks, shaded expressions) instead of the "
                                                        "realistic ones")
    s.add_argument("--seed", type=between(0, SEED_MAX), default=0, help=f"0 to {SEED_MAX}; default %(default)s")
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.set_defaults(func=cmd_synth)
    s = sub.add_parser("prepare", help="faces, crops, flow and ADM into the cache")
    add_corpus_flags(s)
    add_config_flags(s, PrepConfig)
    s.set_defaults(func=cmd_prepare)
    s = sub.add_parser("export-flows", help="every clip's onset-apex flow (u, v, strain) and a table --apex-table reads")
    add_corpus_flags(s)
    s.add_argument("--out", required=True, metavar="DIR", help="folder for the flows and flows.csv")
    s.add_argument("--format", choices=runs.FLOW_FORMATS, default="npy",
                   help="npy: float32 values as they are; png: 8-bit RGB, each channel min-max (default %(default)s)")
    add_config_flags(s, PrepConfig)
    s.set_defaults(func=cmd_export_flows)
    s = sub.add_parser("evaluate", help="train and test under a protocol; write predictions and scores")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="corpora as apex frames only: a CSV of dataset, subject, "
                                                       "clip, label, image (for the apex methods: spatial, "
                                                       "micro-attention, fer-probe, spatial-fer)")
    s.add_argument("--protocol", nargs="+", choices=splits.names(), default=["cde"],
                   help=protocols_help() + "; default cde")
    add_folds_flag(s)
    s.add_argument("--method", nargs="+", choices=runs.evaluate_methods() + tuple(SPOTTERS), default=None,
                   help="networks, baselines, and beyond the paper: fer-probe (fer's frozen FER2013 network + "
                        "logistic regression), spatial-fer / atnet-fer (= --spatial-backbone fer-xception); default "
                        "atnet. With --task spot, spotters: lbp (default), mdmd, flow-tcn (learned, LOSO)")
    s.add_argument("--out", required=True, help="run folder: predictions, results.json, excluded.csv")
    s.add_argument("--trace-epochs", action="store_true", help=TRACE_HELP)
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
    g.add_argument("--name", type=file_name, help="the row name of your method (default features-CLASSIFIER; letters, "
                                                  "digits and . _ + -)")
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
    s.add_argument("--spotter", metavar="NAME|MODEL", default="lbp",
                   help="lbp (default) or mdmd (training-free), or a spotter file from `atnet train --task spot`")
    s.add_argument("--out", required=True, help="CSV: one row per interval (onset, apex, offset, kind, score, "
                                                "label and p_* with --model)")
    s.add_argument("--face", choices=faces.BACKENDS, default=None, help=f"default {PrepConfig.face}")
    s.add_argument("--cache", default=str(DEFAULT_CACHE))
    s.add_argument("--jobs", type=JOBS, default=2, help=JOBS_HELP)
    s.add_argument("--scheduler", metavar="ADDRESS", help=f"spot the videos on Dask (ADDRESS or local:N, N from 1 to "
                                                          f"{JOBS_MAX})")
    add_long_flags(s)
    s.set_defaults(func=cmd_spot)
    s = sub.add_parser("view", help="one self-contained HTML page of a run folder (or of atnet spot's CSV)")
    s.add_argument("run", metavar="RUN", help="a folder evaluate, reproduce, demo or evaluate --task spot wrote, or "
                                              "the CSV atnet spot wrote")
    s.add_argument("--out", required=True, metavar="HTML", help="the page to write")
    s.add_argument("--no-images", action="store_true", help="no thumbnails (recognition: nothing is prepared again)")
    add_corpus_flags(s, classes=False)   # the run's run.json names its class set
    s.set_defaults(func=cmd_view)
    s = sub.add_parser("reproduce", help="every row of Tables II and III, resumable, with a report (MD, HTML, PNG)")
    add_corpus_flags(s)
    s.add_argument("--apex-table", metavar="CSV", help="apex frames only (the apex methods' rows)")
    s.add_argument("--protocol", nargs="+", choices=splits.names(), default=list(PROTOCOLS),
                   help=protocols_help() + f"; default {' '.join(PROTOCOLS)}")
    add_folds_flag(s)
    s.add_argument("--method", nargs="+", choices=runs.evaluate_methods(), default=None,
                   help="default: the twelve rows of the paper and three beyond it (fer-probe, spatial-fer, "
                        "atnet-fer); the apex methods only with --apex-table")
    s.add_argument("--trace-epochs", action="store_true", help=TRACE_HELP)
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
    s = sub.add_parser("classes", help="every class set: its classes, its map per corpus, and its counts on the "
                                       "corpora given")
    add_corpus_flags(s)
    s.set_defaults(func=cmd_classes)
    s = sub.add_parser("score", help="pooled Acc / UF1 / UAR of a MEGC 2019 log or a predictions CSV; STRS of "
                                     "spot-then-recognise intervals")
    s.add_argument("--megc-log", metavar="FILE")
    s.add_argument("--predictions", metavar="FILE", help="CSV of dataset, subject, clip, truth, pred (or a MEGC log)")
    s.add_argument("--strs", metavar="PREDICTIONS", help="spot-then-recognise CSV of subject, video, onset, offset, "
                                                         "emotion: its STRS (MEGC 2023-2025) against --truth")
    s.add_argument("--truth", metavar="TRUTH", help="the ground truth of --strs, a CSV of the same columns")
    s.add_argument("--mode", choices=("reference", "strict", "both"), default="both",
                   help="STRS as the challenge's reference code computes it, atnet's strict one-to-one scoring, or "
                        "both (default; docs/strs.md)")
    s.add_argument("--classes", type=class_set_type, metavar="SET",
                   help="the analysis classes of --strs: a class set's (e.g. megc2019); default the truth's emotions")
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
    s.add_argument("--method", choices=[n for n, m in methods.all_methods().items() if m.savable] + [LEARNED],
                   default=None, help="a method that makes a model file (`atnet methods`); default atnet, with "
                                      f"--task spot {LEARNED}")
    s.add_argument("--task", choices=("recognise", "spot"), default="recognise",
                   help="recognise (default): a recognition model from the clips; spot: a spotter from the long "
                        "videos (--samm-lv, --casme-sq), for `atnet spot --spotter MODEL`")
    s.add_argument("--preset", choices=("auto", "paper", "demo"), default="auto",
                   help="training recipe before any flag (auto: demo on the synthetic corpus, paper on real corpora)")
    add_subject_flags(s, "train on")
    s.add_argument("--out", required=True, metavar="MODEL", help="the model file to write (.safetensors)")
    add_config_flags(s, PrepConfig)
    add_config_flags(s, TrainConfig)
    add_long_flags(s)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("pretrain", help="pretrain the spatial stream on macro-expressions (CK+, Oulu-CASIA, JAFFE, MUG)")
    g = s.add_argument_group("macro-expression corpora (any subset)")
    for name in ("ckplus", "oulu", "jaffe", "mug"):
        g.add_argument(f"--{name}", metavar="ROOT", help=f"the {name} root as unpacked (atnet/data/datasets/{name}.py)")
    s.add_argument("--peak-frames", type=between(1, 100), default=3,
                   help="frames per sequence, 1 to 100: the last ones (CK+, Oulu-CASIA) or the middle ones (MUG); "
                        "default %(default)s")
    s.add_argument("--init-imagenet", metavar="PTH", help="start from a torchvision ResNet-18 ImageNet state dict "
                                                          "(atnet/app/pretrain.py documents the mapping)")
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
    add_corpus_flags(s, smic_apex=False, classes=False)   # the model file's class set labels the corpora
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
    given = given_options(build_parser(), args.argv)
    if argv is None:   # a command, not a call from Python: Ctrl-C ends it within parallel.STOP_S, whatever hangs
        parallel.ctrl_c_deadline()
    try:
        check_outputs(args)
        check_applies(args, given)
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
