"""Issue 30, run as a user would (the CLI, in-process): a flag the command does not read where it is
given is refused, naming it, never ignored; every name-taking flag lists its choices; an --out that
names a folder where a file is written is refused; export-flows writes over nothing it did not
write; train --task spot leaves out the subjects it is told to; --version; no message or --help
names a path of the package that does not exist; a plug-in method cannot replace a built-in one,
take a name unsafe in a file name, or have scores that are not probabilities written as such."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atnet
from atnet import methods
from atnet.app import api
from atnet.app.cli import build_parser, main
from atnet.app.flags import APPLIES, GOES_WITH, RUN_FOLDERS, mode
from atnet.core.errors import CorpusError
from atnet.data.prepare import PrepConfig
from atnet.methods import Method, check_scores, unregister
from atnet.methods.baselines import BaselineConfig
from atnet.spotting.method import SpotConfig
from atnet.training import TrainConfig

from test_hardening_outputs import refused  # noqa: E402  (one line, no traceback, matching)

ROOT = Path(atnet.__file__).parent.parent


def subparsers() -> dict[str, argparse.ArgumentParser]:
    p = build_parser()
    return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices


FIELDS = {f: getattr(c(), f) for c in (PrepConfig, TrainConfig, BaselineConfig, SpotConfig)
          for f in c.__dataclass_fields__}


def value_of(action: argparse.Action) -> list[str]:
    """A value this flag accepts at parse time (its first choice, its own default or its config
    field's), as command-line words."""
    if action.nargs == 0 or isinstance(action, argparse.BooleanOptionalAction):
        return []
    if action.choices:
        return [str(list(action.choices)[0])]
    default = action.default if action.default is not None else FIELDS.get(action.dest, "x")
    default = default[0] if isinstance(default, list) else default
    return [str(default)]


def mode_argv(cmd: str, mode: str, tmp: Path) -> list[str]:
    """The command line of `cmd` in `mode`, with nothing else given."""
    out = str(tmp / "out")
    return {("evaluate", "recognise"): ["evaluate", "--out", out],
            ("evaluate", "features"): ["evaluate", "--features", str(tmp / "f.csv"), "--out", out],
            ("evaluate", "features-labels"): ["evaluate", "--features", str(tmp / "f.csv"), "--labels",
                                              str(tmp / "l.csv"), "--out", out],
            ("evaluate", "spot"): ["evaluate", "--task", "spot", "--out", out],
            ("evaluate", "spot-tcn"): ["evaluate", "--task", "spot", "--method", "flow-tcn", "--out", out],
            ("train", "recognise"): ["train", "--out", out + ".safetensors"],
            ("train", "spot"): ["train", "--task", "spot", "--out", out + ".safetensors"],
            ("spot", "named"): ["spot", "V", "--out", out + ".csv"],
            ("spot", "file"): ["spot", "V", "--spotter", str(tmp / "s.safetensors"), "--out", out + ".csv"],
            ("synth", "clips"): ["synth", out], ("synth", "long"): ["synth", out, "--long"],
            ("synth", "macro"): ["synth", out, "--macro"],
            ("synth", "corpus"): ["synth", out, "--corpus", "mmew"]}[cmd, mode]


def mode_of(argv) -> str | None:
    try:
        return mode(build_parser().parse_args(argv))
    except CorpusError:   # no mode: --long with --macro
        return None


@pytest.fixture()
def no_command(monkeypatch):
    """Every command refuses to run: what is tested must be refused before any work."""
    from atnet.app import cli
    for name in dir(cli):
        if name.startswith("cmd_"):
            monkeypatch.setattr(cli, name, lambda args, name=name: pytest.fail(f"{name} ran: {args.argv}"))


def test_every_flag_a_mode_does_not_read_is_refused_naming_it(no_command, tmp_path):
    parsers = subparsers()
    tried = 0
    for (cmd, m), applies in APPLIES.items():
        actions = [a for a in parsers[cmd]._actions if a.dest != "help"]
        base = mode_argv(cmd, m, tmp_path)
        assert mode_of(base) == m
        for a in actions:
            flag = next((o for o in a.option_strings if o.startswith("--")), None)
            if not flag or a.dest in applies or mode_of(base + [flag] + value_of(a)) != m:
                continue   # read, or it makes another mode (--task, --features, --long), or none
            named = "/".join(o for o in a.option_strings if o.startswith("--"))
            text = refused(base + [flag] + value_of(a), rf"^error: {re.escape(named)} is .* and is not read by `atnet "
                                                        rf"{cmd}.*; .*(drop|add)")
            assert "--" in text.split("; ", 1)[1]   # says what to do, with flags
            tried += 1
        assert not (tmp_path / "out").exists()      # refused before any work: nothing written
    assert tried > 150


def test_the_flag_tables_name_flags_that_exist():
    parsers = subparsers()
    for cmd, dest, needs, _ in GOES_WITH:
        for c in [cmd] if cmd else [c for c, p in parsers.items() if dest in {a.dest for a in p._actions}]:
            assert {dest, *needs} <= {a.dest for a in parsers[c]._actions}, (c, dest, needs)


@pytest.mark.parametrize("argv, pattern", [
    (["evaluate", "--samm-lv", "LV", "--out", "OUT"],
     r"--samm-lv is a long-video corpus .* not read by `atnet evaluate` \(recognition, without --task spot\); add "
     r"--task spot"),
    (["evaluate", "--task", "spot", "--protocol", "cde", "--out", "OUT"],
     r"--protocol .* `atnet evaluate --task spot`"),
    (["evaluate", "--task", "spot", "--features", "F", "--out", "OUT"], r"--features is your own per-clip features"),
    (["evaluate", "--task", "spot", "--synthetic", "S", "--out", "OUT"], r"--synthetic is a corpus of clips"),
    (["evaluate", "--features", "F", "--method", "atnet", "--out", "OUT"], r"--method .* `atnet evaluate --features`"),
    (["evaluate", "--classifier", "logreg", "--out", "OUT"], r"--classifier .* goes with --features PATH"),
    (["evaluate", "--features", "F", "--labels", "L", "--synthetic", "S", "--out", "OUT"],
     r"--synthetic is a corpus of clips .* `atnet evaluate --features F --labels L` .* drop --labels"),
    (["evaluate", "--features", "F", "--labels", "L", "--cache", "C", "--out", "OUT"], r"--cache is the cache folder"),
    (["train", "--task", "spot", "--epochs", "3", "--out", "M"], r"--epochs is a training setting .* --task spot"),
    (["train", "--method", "flow-tcn", "--casme2", "C", "--out", "M"], r"--casme2 is a corpus of clips"),
    (["train", "--auto-p", "--out", "M"], r"--auto-p is a spotting setting"),
    (["evaluate", "--task", "spot", "--method", "lbp", "--tcn-steps", "5", "--out", "OUT"],
     r"--tcn-steps is a setting of the learned spotter flow-tcn .* it goes with --method flow-tcn"),
    (["spot", "V", "--tcn-steps", "5", "--out", "P.csv"], r"--tcn-steps is a setting of the learned spotter"),
    (["synth", "OUT", "--long", "--full"], r"--full is the size of the clip corpora"),
    (["synth", "OUT", "--long", "--macro"], r"--long and --macro: .* give one of them"),
    (["predict", "M", "--synthetic", "S", "--apex", "3", "--out", "P.csv"], r"--apex sets the apex of every INPUT.*"
                                                                             r"no INPUT .* is given"),
    (["predict", "M", "CLIP", "--subjects", "casme2/sub01", "--out", "P.csv"], r"--subjects .* no --casme2, --samm, "
                                                                                r"--smic, --casme3, --mmew or "
                                                                                r"--synthetic is given"),
    (["synth", "OUT", "--corpus", "mmew", "--long"], r"--long and --corpus: .* give one of them"),
    (["synth", "OUT", "--corpus", "casme3", "--full"], r"--full is the size of the clip corpora .* drop --corpus"),
    (["corpus", "--casme2-sheet", "X.xlsx", "--samm", "S", "--out", "P.csv"], r"--casme2-sheet names CASME II's "
                                                                               r"spreadsheet, and no --casme2"),
    (["spot", "--samm-lv", "LV", "--fps", "30", "--out", "P.csv"], r"--fps is the frame rate .* no VIDEO"),
    (["spot", "V", "--spotter", "S.safetensors", "--p", "0.3", "--out", "P.csv"], r"--p is a spotting setting and is "
                                                                                   r"not read by `atnet spot --spotter "
                                                                                   r"FILE` .* only --eyes is read"),
])
def test_a_flag_given_where_it_is_not_read_is_one_sentence(argv, pattern, no_command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(argv, pattern)
    assert not (tmp_path / "OUT").exists()


def test_a_run_name_unsafe_in_a_file_name_is_refused_at_parse_time(no_command, capsys):
    for name in ("a/b", "..", "", "x y"):
        with pytest.raises(SystemExit) as e:
            main(["evaluate", "--features", "F", "--name", name, "--out", "OUT"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "argument --name: " in err and "is written into file names" in err, err


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out == f"atnet {atnet.__version__}\n" == "atnet 0.1.0\n"


def test_every_flag_with_choices_lists_them_when_wrong(no_command, capsys):
    seen = 0
    for cmd, parser in subparsers().items():
        for a in parser._actions:
            if a.choices and a.option_strings:
                with pytest.raises(SystemExit) as e:
                    main([cmd, a.option_strings[-1], "zzz-no-such"])
                err = capsys.readouterr().err
                assert e.value.code == 2 and all(str(c) in err for c in a.choices), (cmd, a.option_strings, err)
                seen += 1
    assert seen > 40


def test_an_unknown_spotter_lists_the_spotters(tmp_path):
    refused(["spot", str(tmp_path), "--spotter", "lbq", "--out", str(tmp_path / "i.csv")],
            r"--spotter lbq: no such spotter, and no such file; choose one of lbp, mdmd, or pass a spotter file")


FILE_OUT = {"predict": ["predict", "M"], "spot": ["spot", "V"], "view": ["view", "RUN"], "corpus": ["corpus"],
            "train": ["train"], "pretrain": ["pretrain"], "faces": ["faces", "CLIP"], "spot-apex": ["spot-apex"]}


def test_an_out_naming_a_folder_where_a_file_is_written_is_refused(no_command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with_out = {c for c, p in subparsers().items() if any("--out" in a.option_strings for a in p._actions)}
    assert with_out - set(RUN_FOLDERS) == set(FILE_OUT)   # every command whose --out is a file is tried
    Path("had").mkdir()
    for cmd, argv in FILE_OUT.items():
        for out in ("newdir/", "had", "had/", ".", "newdir/."):
            refused(argv + ["--out", out], rf"^error: --out {re.escape(out)}: names a folder; pass a file name such as "
                                           rf"{re.escape(out.rstrip('/'))}/\w")
        assert not Path("newdir").exists() and list(Path("had").iterdir()) == []
    refused(["faces", "CLIP", "--out", "f.csv", "--montage", "newdir/"], r"--montage newdir/: names a folder; pass a "
                                                                         r"file name such as newdir/montage.png")
    text = refused(["predict", "M", "--out", "newdir/"], "names a folder")
    assert "newdir/predictions.csv" in text


def test_export_flows_writes_over_nothing_it_did_not_write(tiny_corpus, tmp_path):
    base = ["export-flows", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "c"), "--face", "haar",
            "--size", "64", "--jobs", "1", "--out"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused(base + [str(mine)], r"--out .*mine: holds files and no flows.csv of an earlier `atnet export-flows`.*"
                                r"pass a new or empty folder")
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    (mine / "flows.csv").write_text("a,b\n1,2\n")          # a flows.csv atnet did not write
    refused(base + [str(mine)], r"holds files and no flows.csv of an earlier")
    out = tmp_path / "flows"
    main(base + [str(out)])
    table = pd.read_csv(out / "flows.csv")
    main(base + [str(out)])                                  # an earlier export: written again
    stray = out / "casme2" / "stray.npy"
    np.save(stray, np.zeros(3))
    refused(base + [str(out)], r"casme2/stray.npy is not a flow its flows.csv lists.*move it")
    assert np.load(stray).shape == (3,) and pd.read_csv(out / "flows.csv").equals(table)


@pytest.fixture(scope="module")
def tiny_long(tmp_path_factory):
    from atnet.data.datasets.synthetic_long import synthesize_long
    out = tmp_path_factory.mktemp("tinylong")
    return synthesize_long(out, subjects=2, videos=1, seconds={"samm-lv": 1.0, "casme-sq": 6.0}, micro=1, macro=1,
                           jobs=2)


def test_train_task_spot_trains_only_on_the_subjects_not_left_out(tiny_long, tmp_path, capsys):
    from atnet.spotting import learned, run
    videos = run.load_long({"casme-sq": tiny_long["casme-sq"]}).videos
    subjects = sorted({v.subject for v in videos})
    assert len(subjects) == 2
    base = ["train", "--task", "spot", "--casme-sq", str(tiny_long["casme-sq"]), "--face", "haar", "--tcn-steps",
            "5", "--tcn-hidden", "4", "--jobs", "1", "--cache", str(tmp_path / "c"), "--out"]
    out = tmp_path / "s.safetensors"
    main(base + [str(out), "--leave-out-subjects", subjects[0]])
    assert "1 video(s) of 1 subject(s) not trained on" in capsys.readouterr().out
    kept = [v.key for v in videos if v.subject != subjects[0]]
    assert learned.load(out).trained_on == kept                 # the header lists what it saw: no held-out video
    main(base + [str(out), "--subjects", subjects[0]])
    assert learned.load(out).trained_on == [v.key for v in videos if v.subject == subjects[0]]
    refused(base + [str(tmp_path / "x.safetensors"), "--leave-out-subjects", "casme-sq/s99"],
            rf"--leave-out-subjects casme-sq/s99: no such subject among those given; .*one of {subjects[0]}, "
            rf"{subjects[1]}\.")
    refused(base + [str(tmp_path / "x.safetensors"), "--leave-out-subjects", *subjects], r"leave no video to train on")
    assert not (tmp_path / "x.safetensors").exists()


def test_no_message_or_help_names_a_path_of_the_package_that_does_not_exist(capsys):
    named = set()
    for path in (ROOT / "atnet").rglob("*.py"):          # every string of the package: messages, helps, docstrings
        named |= {(path.relative_to(ROOT), p.rstrip(".")) for p in re.findall(r"atnet/[\w./-]*[\w/]", path.read_text())}
    for cmd, parser in [("", build_parser()), *subparsers().items()]:
        named |= {(f"atnet {cmd} --help", p) for p in re.findall(r"atnet/[\w./-]*[\w/]", parser.format_help())}
    assert any("data/datasets" in p for _, p in named)
    missing = [(where, p) for where, p in named if not (ROOT / p).exists()]
    assert not missing, missing


# ------------------------------------------------------------------------------------------ plug-ins

def adm_method(name: str, scores) -> Method:
    return Method(name, "a plug-in for a test", ("adm",), lambda x, y, g, c: None,
                  lambda f, x, c: scores(len(x["adm"])))


FAKE_ATNET = adm_method("atnet", lambda n: np.full((n, 3), 1 / 3))
UPPER_ATNET = adm_method("ATNet", lambda n: np.full((n, 3), 1 / 3))
UNSAFE = "a/b"


def unsafe():
    return adm_method(UNSAFE, lambda n: np.full((n, 3), 1 / 3))


def test_a_plug_in_cannot_replace_a_built_in_method_nor_take_an_unsafe_name(monkeypatch, capsys):
    import importlib.metadata as md
    from types import SimpleNamespace
    found = [md.EntryPoint("evil", f"{__name__}:FAKE_ATNET", "atnet.methods")._for(SimpleNamespace(name="evil-pkg")),
             md.EntryPoint("slash", f"{__name__}:unsafe", "atnet.methods"),
             md.EntryPoint("upper", f"{__name__}:UPPER_ATNET", "atnet.methods")]
    monkeypatch.setattr(md, "entry_points", lambda group=None: [e for e in found if e.group == group])
    builtin = methods.get("atnet")
    monkeypatch.setattr(methods, "_loaded", False)
    assert methods.get("atnet") is builtin and UNSAFE not in methods.all_methods()
    out = capsys.readouterr().out
    assert re.search(r"the method plug-in evil \(.*:FAKE_ATNET, package evil-pkg\) declares a method named 'atnet', "
                     r"which is taken by a built-in method; the plug-in's is skipped", out), out
    assert re.search(r"the method plug-in slash \(.*:unsafe\) could not be loaded: method 'a/b': its name is written "
                     r"into file names", out), out
    assert "declares a method named 'ATNet', which is taken by a built-in method" in out and \
        "ATNet" not in methods.all_methods()
    with pytest.raises(ValueError, match="registered already, and 'ATNET' differs from it only in letter case"):
        methods.register(adm_method("ATNET", lambda n: np.full((n, 3), 1 / 3)))


@pytest.mark.parametrize("name", ["a/b", "../x", "", "-lead", "a b", "x\0", "é" * 3, "n" * 101])
def test_a_method_name_unsafe_in_a_file_name_is_refused(name):
    with pytest.raises(ValueError, match=r"its name is written into file names .* pick another name"):
        adm_method(name, lambda n: np.full((n, 3), 1 / 3))


BAD = {   # what a plug-in's predict may return for n clips, and what the sentence says
    "negative": (lambda n: np.tile([1.5, -0.5, 0.0], (n, 1)), r"row\(s\) hold negative values, e.g. row 1"),
    "sum": (lambda n: np.tile([0.9, 0.5, 0.3], (n, 1)), r"row 1 of \d+ sums to 1.7"),
    "strings": (lambda n: [["a", "b", "c"]] * n, r"not an array of numbers"),
    "ragged": (lambda n: [[1.0, 0.0, 0.0]] * (n - 1) + [[1.0, 0.0]], r"not an array of numbers"),
    "numeric strings": (lambda n: [["0.2", "0.3", "0.5"]] * n, r"not an array of numbers \(text or complex values"),
    "complex": (lambda n: np.full((n, 3), 1 / 3 + 1j), r"not an array of numbers \(text or complex values"),
    "object strings": (lambda n: np.array([[0.5, 0.5, "0"]] * n, dtype=object), r"\(text or complex values"),
    "shape": (lambda n: np.full((n, 2), 0.5), r"shape \(\d+, 2\)"),
    "one": (lambda n: np.full(n, 1.0), r"shape \(\d+,\)"),
}


@pytest.mark.parametrize("bad", BAD)
def test_scores_that_are_not_probabilities_are_refused_by_check_scores(bad):
    make, pattern = BAD[bad]
    with pytest.raises(CorpusError, match=rf"^method my-m: predict returned .*{pattern}.*; return an \(n, 3\) array "
                                          rf"of non-negative rows summing to 1"):
        check_scores("my-m", make(4), 4)
    good = np.array([[0.2, 0.3, 0.5], [np.nan, 0, 0]])   # NaN rows are the caller's to explain (divergence)
    assert np.array_equal(check_scores("my-m", good, 2), good, equal_nan=True)


@pytest.fixture()
def features_run(tmp_path):
    rows = [("casme2", f"sub0{s}", f"EP0{s}_{i}", c) for s in (1, 2, 3) for i, c in
            enumerate(("negative", "positive", "surprise"))]
    labels = pd.DataFrame(rows, columns=["dataset", "subject", "clip", "label"])
    labels.to_csv(tmp_path / "labels.csv", index=False)
    feats = labels[["dataset", "subject", "clip"]].assign(f0=np.arange(9.0), f1=np.arange(9.0) % 3)
    feats.to_csv(tmp_path / "feats.csv", index=False)
    return ["--features", str(tmp_path / "feats.csv"), "--labels", str(tmp_path / "labels.csv"), "--jobs", "1"]


@pytest.mark.parametrize("bad", ["negative", "sum", "strings", "ragged"])
def test_a_plug_in_whose_predict_is_not_probabilities_is_refused_in_evaluate_and_predict(bad, features_run,
                                                                                         tmp_path):
    make, pattern = BAD[bad]
    m = Method("my-m", "a classifier plug-in", ("features",), lambda x, y, g, c: None,
               lambda f, x, c: make(len(x["features"])), config=methods.registry.no_config, group="classifier")
    methods.register(m)
    try:
        refused(["evaluate", *features_run, "--classifier", "my-m", "--out", str(tmp_path / "run")],
                rf"^error: method my-m \(cde, fold casme2/sub01\): predict returned .*{pattern}")
        assert not list((tmp_path / "run").rglob("*.npy")) and not (tmp_path / "run" / "predictions").exists()
    finally:
        unregister("my-m")
    m = adm_method("my-adm", make)
    methods.register(m)
    try:
        model = api.Model(None, PrepConfig(), TrainConfig(), {"method": "my-adm"})
        with pytest.raises(CorpusError, match=rf"^method my-adm: predict returned .*{pattern}"):
            model.predict_arrays(np.zeros((4, 8, 8), np.uint8), np.zeros((4, 64, 2), np.float32))
    finally:
        unregister("my-adm")
