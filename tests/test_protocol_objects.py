"""Protocols as objects in one registry (issue #31 item 3): the four built in; cde, hde and
loso-corpus split exactly as before (folds written out by hand); k-fold-subjects is subject-
independent, K folds, the same on every call; every refusal is one sentence; the fold files of
k-fold-subjects carry K; --folds without k-fold-subjects is refused; and evaluate runs it end to end."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.core.errors import CorpusError
from atnet.data.prepare import Arrays
from atnet.evaluation import protocols, reports, splits
from atnet.training import TrainConfig

from test_hardening_outputs import parse_refused, refused  # noqa: E402  (one line, no traceback, matching)

FOUR = ("cde", "hde", "loso-corpus", "k-fold-subjects")


def small() -> pd.DataFrame:
    """2 corpora, 5 subjects, 8 clips, the rows interleaved."""
    subjects = ["casme2/sub01", "samm/006", "casme2/sub02", "casme2/sub01", "samm/007", "casme2/sub03", "samm/007",
                "casme2/sub03"]
    return pd.DataFrame({"dataset": [s.split("/")[0] for s in subjects], "subject": subjects,
                         "clip": [f"c{i}" for i in range(8)]})


# what protocols.splits gave before the registry, on small()
BEFORE = {
    "cde": [("casme2/sub01", [1, 2, 4, 5, 6, 7], [0, 3]), ("casme2/sub02", [0, 1, 3, 4, 5, 6, 7], [2]),
            ("casme2/sub03", [0, 1, 2, 3, 4, 6], [5, 7]), ("samm/006", [0, 2, 3, 4, 5, 6, 7], [1]),
            ("samm/007", [0, 1, 2, 3, 5, 7], [4, 6])],
    "hde": [("casme2", [1, 4, 6], [0, 2, 3, 5, 7]), ("samm", [0, 2, 3, 5, 7], [1, 4, 6])],
    "loso-corpus": [("casme2/sub01", [2, 5, 7], [0, 3]), ("casme2/sub02", [0, 3, 5, 7], [2]),
                    ("casme2/sub03", [0, 2, 3], [5, 7]), ("samm/006", [4, 6], [1]), ("samm/007", [1], [4, 6])],
}


def labelled(subjects: int, corpora=("casme2", "samm")) -> pd.DataFrame:
    """`subjects` subjects over `corpora`, 1 to 3 clips each, the three classes in turn."""
    rows = [(corpora[s % len(corpora)], f"{corpora[s % len(corpora)]}/s{s:02d}") for s in range(subjects)
            for _ in range(1 + s % 3)]
    t = pd.DataFrame(rows, columns=["dataset", "subject"])
    t["clip"] = [f"c{i}" for i in range(len(t))]
    t["label"] = [("negative", "positive", "surprise")[i % 3] for i in range(len(t))]
    return t


def as_lists(folds):
    return [(name, list(map(int, tr)), list(map(int, te))) for name, tr, te in folds]


def test_the_four_are_registered():
    assert splits.names()[:4] == FOUR and protocols.ALL_PROTOCOLS == splits.names()
    assert protocols.PROTOCOLS == ("cde", "hde")
    for name in FOUR:
        p = splits.get(name)
        assert isinstance(p, splits.Protocol) and p.name == name and p.description and "\n" not in p.description


@pytest.mark.parametrize("name", ["cde", "hde", "loso-corpus"])
def test_cde_hde_and_loso_corpus_split_as_before(name):
    assert as_lists(splits.get(name).split(small())) == BEFORE[name]
    assert as_lists(protocols.splits(name, small(), folds=3)) == BEFORE[name]   # K is theirs to ignore


@pytest.mark.parametrize("k", [2, 3, 5])
def test_k_fold_subjects_is_subject_independent_with_k_folds(k):
    t = labelled(12)
    folds = splits.get("k-fold-subjects").split(t, k)
    assert [f[0] for f in folds] == [f"fold{i:02d}" for i in range(1, k + 1)]
    tested = []
    for _, train, test in folds:
        assert sorted([*train, *test]) == list(range(len(t)))
        assert not set(t["subject"].iloc[train]) & set(t["subject"].iloc[test])   # no subject in both
        tested += list(test)
    assert sorted(tested) == list(range(len(t)))            # every clip tested once
    fold_of = {s: {f for f, _, te in folds if s in set(t["subject"].iloc[te])} for s in t["subject"]}
    assert all(len(f) == 1 for f in fold_of.values())      # every subject in exactly one test fold
    assert as_lists(splits.get("k-fold-subjects").split(t, k)) == as_lists(folds)   # the same on every call
    assert as_lists(protocols.splits("k-fold-subjects", t.copy(), k)) == as_lists(folds)


def test_k_fold_subjects_defaults_to_ten_folds():
    assert len(protocols.splits("k-fold-subjects", labelled(16))) == splits.K_DEFAULT == 10


@pytest.mark.parametrize("name, table, k, sentence", [
    ("cde", small().iloc[[0, 3]], None, "--protocol cde leaves one subject out, so it needs at least two subjects; "
                                         "the clips given hold casme2/sub01: add corpora or subjects."),
    ("hde", small()[small()["dataset"] == "samm"], None, "--protocol hde trains on the other corpora and tests on "
                                                         "one, so it needs at least two corpora; the clips given are "
                                                         "from samm: add --casme2, --samm or --smic."),
    ("loso-corpus", small().iloc[:2], None, "--protocol loso-corpus leaves one subject out within each corpus, so "
                                            "each corpus needs at least two subjects; casme2 has 1: add its subjects "
                                            "or leave the corpus out."),
    ("k-fold-subjects", labelled(6), None, "k-fold-subjects with --folds 10 needs at least 10 subjects; the clips "
                                           "given hold 6: lower --folds or add subjects."),
    ("k-fold-subjects", labelled(6), 7, "k-fold-subjects with --folds 7 needs at least 7 subjects; the clips given "
                                        "hold 6: lower --folds or add subjects."),
    ("k-fold-subjects", labelled(6), 1, "k-fold-subjects with --folds 1 makes no split: it needs at least 2 folds; "
                                        "give --folds 2 or more."),
    ("k-fold-subjects", labelled(6).assign(label="negative").iloc[[0, 1, 3, 6, 7, 9]], 6,
     None),   # one clip per subject, all one class: 6 clips of it, K = 6 splits
    ("k-fold-subjects", labelled(4).iloc[[0, 1, 4, 6]], 4, "k-fold-subjects with --folds 4 spreads each class over "
                                                           "the folds, so some class needs at least 4 clips; the "
                                                           "clips given hold at most 2 of a class: lower --folds or "
                                                           "add clips."),
])
def test_each_refusal_is_one_sentence_saying_why(name, table, k, sentence):
    if sentence is None:
        assert len(protocols.splits(name, table, k)) == k
        return
    for call in (lambda: protocols.check_protocol(name, table, k), lambda: splits.get(name).split(table, k)):
        with pytest.raises(CorpusError) as e:
            call()
        assert str(e.value) == sentence


def test_an_unknown_protocol_lists_the_names():
    with pytest.raises(CorpusError, match=r"^--protocol loso: unknown; choose one of cde, hde, loso-corpus, "
                                          r"k-fold-subjects\.$"):
        splits.get("loso")


def test_a_registered_protocol_is_listed_and_bad_ones_are_refused(monkeypatch):
    from atnet.app.view import pred_name
    monkeypatch.setattr(splits, "_REGISTRY", dict(splits._REGISTRY))
    odd = splits.register(splits.Protocol("odd-even", "odd rows against even rows", lambda t, k: None,
                                          lambda t, k: [("odd", np.arange(0, len(t), 2), np.arange(1, len(t), 2))]))
    assert splits.get("odd-even") is odd and splits.names()[-1] == "odd-even"
    assert pred_name().match("atnet-odd-even-seed2").group("method", "protocol", "seed") == ("atnet", "odd-even", "2")
    with pytest.raises(ValueError, match="registered already"):
        splits.register(splits.Protocol("odd-even", "again", odd.refuse, odd.cut))
    with pytest.raises(ValueError, match="written into file names"):
        splits.Protocol("Odd/Even", "bad", odd.refuse, odd.cut)


def test_only_k_fold_subjects_fold_files_carry_k(tmp_path, monkeypatch):
    monkeypatch.setattr(protocols, "fit_predict_fold", lambda *a: np.full((len(a[5]), 3), 1 / 3))   # no training
    assert [splits.get(p).file_part(5) for p in FOUR] == ["cde", "hde", "loso-corpus", "k-fold-subjects5"]
    assert splits.get("k-fold-subjects").file_part() == "k-fold-subjects10"
    t = labelled(6)
    data = Arrays(t, None, None, features=np.random.default_rng(0).normal(size=(len(t), 4)))
    for protocol, k in (("k-fold-subjects", 3), ("k-fold-subjects", 2), ("hde", 3)):
        preds = protocols.evaluate("mine", protocol, data, TrainConfig(), tmp_path, progress=False, folds=k)
        assert len(preds) == len(t)
    names = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.glob("*.npy"))
    assert names == ["mine-hde-casme2", "mine-hde-samm", "mine-k-fold-subjects2-fold01", "mine-k-fold-subjects2-fold02",
                     "mine-k-fold-subjects3-fold01", "mine-k-fold-subjects3-fold02", "mine-k-fold-subjects3-fold03"]


def test_a_k_fold_table_is_reported_as_loso_corpus_is():
    records = [{"method": "atnet", "protocol": p, "test_set": s, "acc": 0.5, "uf1": 0.4, "uar": 0.3, "n": 9}
               for p in ("cde", "k-fold-subjects") for s in ("full", "casme2", "samm", "smic")]
    assert reports.beyond(records) == ["k-fold-subjects"]
    text = reports.table_beyond(records, "k-fold-subjects")
    assert text.startswith("Subject-independent K-fold (k-fold-subjects; not in the paper): Acc / UF1 / UAR")
    assert "| ATNet fusion | ours | 0.500 / 0.400 / 0.300 | 0.500 / 0.400 / 0.300 |" in text
    assert reports.table_loso_corpus(records).startswith("Per-corpus LOSO (leave one subject out within each corpus; "
                                                          "not in the paper): Acc / UF1 / UAR")


@pytest.mark.parametrize("argv", [["evaluate", "--folds", "5"],
                                  ["evaluate", "--protocol", "cde", "hde", "--folds", "5"],
                                  ["evaluate", "--features", "F.csv", "--folds", "3"], ["reproduce", "--folds", "3"]])
def test_folds_without_k_fold_subjects_is_refused(argv, tmp_path, monkeypatch):
    from atnet.app import cli
    monkeypatch.setattr(cli, "cmd_evaluate", lambda args: pytest.fail("ran"))
    monkeypatch.setattr(cli, "cmd_reproduce", lambda args: pytest.fail("ran"))
    refused(argv + ["--out", str(tmp_path / "out")], r"^error: --folds is K of --protocol k-fold-subjects, and no "
                                                     r"such protocol is given, so it would be ignored; add --protocol "
                                                     r"k-fold-subjects, or drop --folds\.$")
    assert not (tmp_path / "out").exists()


def test_folds_reaches_the_run_with_k_fold_subjects(tmp_path, monkeypatch):
    from atnet.app import cli
    seen = []
    monkeypatch.setattr(cli, "cmd_evaluate", lambda args: seen.append((args.protocol, args.folds)))
    main(["evaluate", "--protocol", "cde", "k-fold-subjects", "--folds", "4", "--out", str(tmp_path / "a")])
    main(["evaluate", "--protocol", "k-fold-subjects", "--out", str(tmp_path / "b")])
    assert seen == [(["cde", "k-fold-subjects"], 4), (["k-fold-subjects"], 10)]


@pytest.mark.parametrize("k, bound", [("1", "at least 2"), ("101", "at most 100")])
def test_folds_is_bounded_and_the_help_lists_the_protocols(k, bound, capsys):
    parse_refused(["evaluate", "--protocol", "k-fold-subjects", "--folds", k, "--out", "o"],
                  rf"argument --folds: {k} must be {bound}", capsys)
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in FOUR:
        assert f"{name}: {splits.get(name).description}" in text.replace("- ", "-")   # argparse wraps at a hyphen
    assert "for --protocol k-fold-subjects only" in text


@pytest.mark.slow
def test_evaluate_k_fold_subjects_end_to_end(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    main(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(tmp_path / "cache"), "--out", str(out),
          "--protocol", "k-fold-subjects", "--folds", "3", "--method", "hoof-n4-tim10", "--size", "64", "--jobs", "1"])
    preds = pd.read_csv(out / "predictions" / "hoof-n4-tim10-k-fold-subjects.csv")
    assert len(preds) == 18 and sorted(preds["fold"].unique()) == ["fold01", "fold02", "fold03"]
    assert (preds.groupby("subject")["fold"].nunique() == 1).all()     # a subject is in one test fold
    assert len(list((out / "folds").glob("hoof-n4-tim10-k-fold-subjects3-fold0*.npy"))) == 3
    records = json.loads((out / "results.json").read_text())
    assert {r["protocol"] for r in records} == {"k-fold-subjects"}
    assert "Subject-independent K-fold (k-fold-subjects; not in the paper)" in capsys.readouterr().out
