"""The flags every command shares, and their checks: each PrepConfig, TrainConfig, BaselineConfig
and SpotConfig field is a flag of the same name (with its range), the corpus and subject flags,
and the output checks made before any command runs."""
from __future__ import annotations

import argparse
import os
from dataclasses import fields, replace

from ..core.config import between, ranged_type
from ..data import classsets, faces
from ..data.datasets import CorpusError
from ..data.prepare import PrepConfig
from ..evaluation import splits
from ..features import BACKENDS as FLOW_BACKENDS
from ..features.adm import MEANS as ADM_MEANS
from ..methods.baselines import CHOICES as BASELINE_CHOICES
from ..methods.baselines import BaselineConfig
from ..methods.registry import NAME
from ..models import BACKBONES
from ..spotting.learned import NAME as LEARNED
from ..spotting.method import EYES, INTERVALS, SpotConfig
from ..spotting.spotters import SPOTTERS
from ..training import TrainConfig
from .outputs import CORPUS, FEATURES, FRAMES, Read, check_writes, writable_name
from .runs import DEFAULT_CACHE, Inputs

JOBS_MAX = 4 * (os.cpu_count() or 1)   # worker processes (--jobs, --scheduler local:N): 4 per core at most
FRAME_MAX = 10 ** 9                     # a frame number flag
SEED_MAX = 2 ** 32 - 1                  # numpy's and torch's seeds
JOBS = between(1, JOBS_MAX)
JOBS_HELP = f"worker processes, 1 to {JOBS_MAX} (4 per core); default %(default)s"
DEVICE_HELP = "auto, cpu, cuda or cuda:N (default %(default)s)"
CHOICES = {"intervals": INTERVALS, "eyes": EYES, "flow": FLOW_BACKENDS, "oa_flow": FLOW_BACKENDS,
           "adm_mean": ADM_MEANS,
           "face": faces.BACKENDS, "reference": ("apex", "onset"),
           "amp": ("off", "bf16", "fp16"), "spatial_backbone": BACKBONES, **BASELINE_CHOICES}


def add_config_flags(p: argparse.ArgumentParser, cls, skip: tuple[str, ...] = ()) -> None:
    g = p.add_argument_group(f"{cls.__name__} (paper values as defaults)")
    for f in fields(cls):
        if f.name in skip:
            continue
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


def file_name(text: str) -> str:
    """An argparse type for a name written into file names (evaluate --name: predictions/NAME-PROTOCOL.csv)."""
    if not NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r}: the name is written into file names (predictions/NAME-PROTOCOL"
                                         f".csv), so use 1 to 100 letters, digits and . _ + -, starting with a letter "
                                         f"or digit")
    return text


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


CLIP_CORPORA = ("casme2", "samm", "smic", "casme3", "mmew")   # --NAME ROOT
SERVED_APART = ("casme3", "mmew")                              # ... read with a class set of their own
CLIP_SHEETS = {   # --NAME-sheet FILE: Inputs.sheets[NAME]
    "casme2": "the casme2 spreadsheet, if not inside its root",
    "samm": "the samm spreadsheet, if not inside its root",
    "casme2_objective": "CASME II's objective-class sheet (CASME2-ObjectiveClasses.xlsx), read by --classes "
                        "megc2018-objective, if not beside its coding sheet",
    "casme3": "CAS(ME)^3's label workbook (cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx), if not inside its root",
    "casme3_wrong": "CAS(ME)^3's list of rows wrongly labelled in v1, if not beside its label workbook",
    "mmew": "MMEW's annotation sheet (MMEW_Micro_Exp.xlsx or a CSV export), if not inside its root"}


def inputs_from(args) -> Inputs:
    """Where the clips come from, from the corpora flags."""
    return Inputs(roots={n: getattr(args, n, None) for n in CLIP_CORPORA if getattr(args, n, None)},
                  sheets={n: getattr(args, f"{n}_sheet") for n in CLIP_SHEETS if getattr(args, f"{n}_sheet", None)},
                  synthetic=getattr(args, "synthetic", None), apex_table=getattr(args, "apex_table", None),
                  cache=args.cache, jobs=args.jobs, smic_apex=getattr(args, "smic_apex", "middle"),
                  classes=getattr(args, "classes", None) or classsets.DEFAULT)


def load_corpus(args):
    return inputs_from(args).corpus()


def class_set_type(text: str) -> str:
    """An argparse type for --classes: a built-in class set's name or a class-set JSON file, checked."""
    try:
        classsets.get(text)
    except CorpusError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix(f"--classes {text}: ")) from None
    return text


def add_corpus_flags(p: argparse.ArgumentParser, smic_apex: bool = True, classes: bool = True) -> None:
    g = p.add_argument_group("corpora")
    for name in CLIP_CORPORA:
        apart = " (with a class set that serves it, not megc2019)" if name in SERVED_APART else ""
        g.add_argument(f"--{name}", metavar="ROOT", help=f"{name} root as unpacked (README: 'Your corpora'){apart}")
    for name, text in CLIP_SHEETS.items():
        g.add_argument(f"--{name.replace('_', '-')}-sheet", metavar="FILE" if name == "mmew" else "XLSX", help=text)
    if classes:
        g.add_argument("--classes", type=class_set_type, metavar="SET", default=classsets.DEFAULT,
                       help=f"the class set the clips are labelled by: {', '.join(classsets.names())} (default "
                            f"{classsets.DEFAULT}, the MEGC 2019 composite's three), or a class-set JSON file of your "
                            f"own; `atnet classes` lists them with their maps")
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


def apex_flag(text: str):
    if text == "auto":
        return text
    return between(0, FRAME_MAX)(text)


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
    add_config_flags(p, SpotConfig, skip=("spotter",))   # the spotter is --method (evaluate, train) or --spotter (spot)


def spot_config(args, spotter: str | None = None) -> SpotConfig:
    """SpotConfig from the flags, with the spotter named by --method or --spotter."""
    given = {k: v for k, v in given_flags(args, SpotConfig).items() if k != "spotter"}   # spot's --spotter may be a file
    return replace(SpotConfig(), **given, **({"spotter": spotter} if spotter else {}))


def spot_prep(args) -> PrepConfig:
    return replace(PrepConfig(), **{k: getattr(args, k) for k in ("face", "margin", "align", "box_file")
                                    if getattr(args, k, None) is not None})


# Every path flag a command reads, and the suffixes of the files it reads inside a folder given there.
READ_FLAGS = {**{n: CORPUS for n in ("casme2", "samm", "smic", "casme3", "synthetic", "samm_lv", "casme_sq", "ckplus",
                                     "oulu", "jaffe", "mug")},
              "mmew": CORPUS | {".csv"},   # its annotation may be a CSV export
              **{n: FRAMES for n in ("inputs", "input", "clip")},
              "features": FEATURES,
              **{n: CORPUS for n in ("model", "a", "b", "megc_log", "predictions", "strs", "truth", "clips",
                                     "apex_table", "labels", "casme2_sheet", "casme2_objective_sheet", "samm_sheet",
                                     "casme3_sheet", "casme3_wrong_sheet", "mmew_sheet", "samm_lv_sheet",
                                     "casme_sq_sheet", "box_file",
                                     "init_spatial", "init_imagenet", "spotter", "run")}}
# --out (synth: OUT) is a folder for these commands; elsewhere a file
RUN_FOLDERS = ("evaluate", "reproduce", "demo", "synth", "export-flows")
OUT_EXAMPLES = {"predict": "predictions.csv", "spot": "intervals.csv", "corpus": "composite.csv", "view": "page.html",
                "train": "model.safetensors", "pretrain": "weights.safetensors", "faces": "faces.csv",
                "spot-apex": "spotting.csv"}   # a file name to suggest where --out names a folder


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
        check_writes(command_reads(args), files=[("--out", out, OUT_EXAMPLES.get(args.cmd, "out.csv")),
                                                 ("--montage", getattr(args, "montage", None), "montage.png")])


def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, str]:
    """{dest: flag} of the flags written on the command line (whatever their value: `--protocol cde`
    is given even though cde is the default): `argv` parsed again with every default suppressed."""
    seen = []

    def suppress(p: argparse.ArgumentParser) -> None:
        if p in seen:
            return
        seen.append(p)
        p._defaults.clear()
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for child in a.choices.values():
                    suppress(child)
            elif a.dest != "help":
                a.default = argparse.SUPPRESS
    suppress(parser)
    flags = {a.dest: "/".join(o for o in a.option_strings if o.startswith("--")) for p in seen for a in p._actions
             if a.option_strings}   # --balance/--no-balance
    return {d: flags[d] for d in vars(parser.parse_args(argv)) if d in flags}


# Which flags each command reads, where that depends on what it is asked to do (its "mode"): any
# other flag given there would be ignored, so it is refused, naming it (check_applies).
PREP, TRAIN, BASELINE = ({f.name for f in fields(c)} for c in (PrepConfig, TrainConfig, BaselineConfig))
SPOTTING = {f.name for f in fields(SpotConfig)} - {"spotter"} | {"auto_p"}
TCN = {f for f in SPOTTING if f.startswith("tcn_")}   # the learned spotter's (flow-tcn) alone
CLIPS = {*CLIP_CORPORA, *(f"{n}_sheet" for n in CLIP_SHEETS), "synthetic", "smic_apex", "apex_table", "classes"}
LONG = {"samm_lv", "samm_lv_sheet", "casme_sq", "casme_sq_sheet"}
SPOT_PREP = {"face", "margin", "align", "box_file"}   # spot_prep's: the face square of long videos
OWN = {"features", "labels", "classifier", "on_missing", "name"}
COMMON = {"cache", "jobs", "scheduler", "out", "task", "method"}
APPLIES = {
    ("evaluate", "recognise"): COMMON | CLIPS | PREP | TRAIN | BASELINE | {"protocol", "folds", "trace_epochs"},
    ("evaluate", "features"): COMMON - {"method"} | CLIPS | OWN | {"protocol", "folds"},
    ("evaluate", "features-labels"): COMMON - {"method", "cache"} | OWN | {"protocol", "folds", "classes"},
    ("evaluate", "spot"): COMMON | LONG | SPOTTING - TCN | SPOT_PREP | {"model"},
    ("evaluate", "spot-tcn"): COMMON | LONG | SPOTTING | SPOT_PREP | {"model"},
    ("train", "recognise"): COMMON | CLIPS | PREP | TRAIN | {"preset", "subjects", "leave_out_subjects"},
    ("train", "spot"): COMMON | LONG | SPOTTING - {"auto_p"} | SPOT_PREP | {"subjects", "leave_out_subjects"},
    ("spot", "named"): COMMON | LONG | SPOTTING - TCN | {"input", "fps", "model", "spotter", "face"},
    ("spot", "file"): COMMON | LONG | {"input", "fps", "model", "spotter", "face", "eyes"},   # the rest: the file's
    ("synth", "clips"): {"out", "full", "seed", "jobs", "clean"},   # --clean without --long: cmd_synth says so
    ("synth", "corpus"): {"out", "corpus", "seed", "jobs", "clean"},
    ("synth", "long"): {"out", "long", "clean", "seed", "jobs"},
    ("synth", "macro"): {"out", "macro", "seed", "jobs", "clean"},
}
MODE_TEXT = {   # (command, mode): how the sentence names it, and what to do instead
    ("evaluate", "recognise"): ("atnet evaluate` (recognition, without --task spot", "add --task spot to evaluate "
                                "spotting in long videos, or drop it"),
    ("evaluate", "features"): ("atnet evaluate --features` (your features, classified as they are: no frame is "
                               "read, no network trained", "drop it, or drop --features"),
    ("evaluate", "features-labels"): ("atnet evaluate --features F --labels L` (labels and subjects from L: no "
                                      "corpus or cache is read", "drop it, or drop --labels to take the labels from "
                                      "the corpus"),
    ("evaluate", "spot"): ("atnet evaluate --task spot` (spotters on the long videos of --samm-lv / --casme-sq",
                           "drop it, or drop --task spot to evaluate recognition on --casme2/--samm/--smic"),
    ("evaluate", "spot-tcn"): ("atnet evaluate --task spot` (spotters on the long videos of --samm-lv / --casme-sq",
                               "drop it, or drop --task spot to evaluate recognition on --casme2/--samm/--smic"),
    ("train", "recognise"): ("atnet train` (a recognition model, without --task spot", "add --task spot to train a "
                             "spotter on long videos, or drop it"),
    ("train", "spot"): ("atnet train --task spot` (the flow-tcn spotter on the long videos of --samm-lv / "
                        "--casme-sq", "drop it, or drop --task spot to train a recognition model"),
    ("spot", "named"): ("atnet spot --spotter lbp|mdmd` (training-free", "drop it: a spotter file (--spotter FILE) "
                        "keeps the settings it was trained with (`atnet train --task spot --tcn-...`)"),
    ("spot", "file"): ("atnet spot --spotter FILE` (a learned spotter: the settings it was trained with are its "
                       "file's, and of the spotting settings only --eyes is read", "drop it, or pass --spotter lbp or "
                       "mdmd"),
    ("synth", "clips"): ("atnet synth` (the clip corpora", "drop it, or add --long (long videos) or --macro"),
    ("synth", "corpus"): ("atnet synth --corpus` (CAS(ME)^3 part A or MMEW, at one size", "drop it, or drop --corpus"),
    ("synth", "long"): ("atnet synth --long` (long videos", "drop it, or drop --long"),
    ("synth", "macro"): ("atnet synth --macro` (the macro-expression corpora", "drop it, or drop --macro"),
}
WHAT = [   # what a flag is, for the sentence; the first group holding it
    (LONG, "a long-video corpus (spotting)"), ({"full"}, "the size of the clip corpora"),
    (TCN, f"a setting of the learned spotter {LEARNED}"), (SPOTTING, "a spotting setting"),
    (CLIPS, "a corpus of clips (recognition)"),
    (OWN - {"features"}, "a flag of your own features (--features)"), ({"features"}, "your own per-clip features"),
    ({"model"}, "a model to label what is spotted"), ({"cache"}, "the cache folder"),
    ({"method"}, "the choice of methods"),
    (PREP, "a setting of the frames' preparation"), (TRAIN | {"preset"}, "a training setting"),
    (BASELINE, "a setting of the handcrafted baselines"), ({"protocol"}, "a recognition protocol"),
    ({"folds"}, "the number of folds of a recognition protocol"),
]
GOES_WITH = [   # (command or None for all, flag, the flags one of which it needs, what it does)
    (None, "casme2_sheet", ("casme2",), "names CASME II's spreadsheet"),
    (None, "samm_sheet", ("samm",), "names SAMM's spreadsheet"),
    (None, "casme2_objective_sheet", ("casme2",), "names CASME II's objective-class sheet"),
    (None, "casme3_sheet", ("casme3",), "names CAS(ME)^3's label workbook"),
    (None, "casme3_wrong_sheet", ("casme3",), "names CAS(ME)^3's list of rows wrongly labelled in v1"),
    (None, "mmew_sheet", ("mmew",), "names MMEW's annotation sheet"),
    (None, "samm_lv_sheet", ("samm_lv",), "names SAMM Long Videos' workbook"),
    (None, "casme_sq_sheet", ("casme_sq",), "names CAS(ME)^2's workbook"),
    ("predict", "onset", ("inputs",), "sets the onset of every INPUT (--clips rows and corpora carry their own)"),
    ("predict", "offset", ("inputs",), "sets the offset of every INPUT (--clips rows and corpora carry their own)"),
    ("predict", "apex", ("inputs",), "sets the apex of every INPUT (--clips rows and corpora carry their own)"),
    ("predict", "subjects", (*CLIP_CORPORA, "synthetic"), "chooses among the corpora's clips"),
    ("predict", "leave_out_subjects", (*CLIP_CORPORA, "synthetic"), "chooses among the corpora's clips"),
    ("spot", "fps", ("input",), "is the frame rate of the frame folders given as VIDEO"),
    ("score", "truth", ("strs",), "is the ground truth of spot-then-recognise predictions"),
    ("score", "mode", ("strs",), "chooses how STRS is computed"),
    ("score", "classes", ("strs",), "names the analysis classes of STRS"),
]
NEEDS_TEXT = {("inputs",): "INPUT (frame folders or videos)", ("input",): "VIDEO (frame folders)",
              ("strs",): "--strs PREDICTIONS",
              (*CLIP_CORPORA, "synthetic"): "--casme2, --samm, --smic, --casme3, --mmew or --synthetic"}


def mode(args) -> str | None:
    """What the command is asked to do, where the flags it reads depend on it (APPLIES)."""
    if args.cmd == "evaluate":
        if args.task == "spot":
            return "spot-tcn" if LEARNED in (args.method or []) else "spot"
        return ("features-labels" if args.labels else "features") if args.features else "recognise"
    if args.cmd == "train":
        return "spot" if args.task == "spot" or args.method == LEARNED else "recognise"
    if args.cmd == "spot":
        return "named" if args.spotter in SPOTTERS else "file"
    if args.cmd == "synth":
        both = [f for f, v in (("--long", args.long), ("--macro", args.macro), ("--corpus", args.corpus)) if v]
        if len(both) > 1:
            raise CorpusError(f"{' and '.join(both)}: each writes other corpora; give one of them.")
        return "long" if args.long else "macro" if args.macro else "corpus" if args.corpus else "clips"
    return None


def check_applies(args, given: dict[str, str]) -> None:
    """Refuse a flag given where the command does not read it (it would be ignored): one sentence
    naming the flag, what it is and what to do."""
    m = mode(args)
    if (args.cmd, m) in APPLIES:
        for dest, flag in given.items():
            if dest not in APPLIES[args.cmd, m]:
                what = next((w for group, w in WHAT if dest in group), "a flag")
                where, fix = MODE_TEXT[args.cmd, m]
                if m == "features-labels" and dest not in CLIPS | {"cache"}:   # not read with --features at all
                    where, fix = MODE_TEXT[args.cmd, "features"]
                if dest in OWN - {"features"}:
                    fix = "it goes with --features PATH; add that, or drop it"
                if dest in TCN and (args.cmd, m) == ("evaluate", "spot"):
                    fix = f"it goes with --method {LEARNED}; add that, or drop it"
                raise CorpusError(f"{flag} is {what} and is not read by `{where}); {fix}.")
    for cmd, dest, needs, does in GOES_WITH:
        if cmd in (None, args.cmd) and dest in given and not any(getattr(args, n, None) for n in needs):
            need = NEEDS_TEXT.get(needs, " or ".join("--" + n.replace("_", "-") for n in needs))
            raise CorpusError(f"{given[dest]} {does}, and no {need} is given, so it would be ignored; pass "
                              f"{need}, or drop {given[dest]}.")
    takes = [p for p in splits.names() if splits.get(p).takes_folds]   # k-fold-subjects
    if "folds" in given and not set(takes) & set(getattr(args, "protocol", None) or []):
        raise CorpusError(f"--folds is K of --protocol {' or '.join(takes)}, and no such protocol is given, so it "
                          f"would be ignored; add --protocol {takes[0]}, or drop --folds.")


class Parser(argparse.ArgumentParser):
    """A flag error is one line naming the flag (and where the usage is), not the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")
