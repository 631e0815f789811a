import numpy as np
import pandas as pd
import pytest

from atnet.evaluation.protocols import loso, splits


def table():
    rows = []
    for ds, subs in [("casme2", ["sub01", "sub02", "sub03"]), ("samm", ["006", "007"]), ("smic", ["s01", "s02"])]:
        for s in subs:
            for k in range(3):
                rows.append((ds, f"{ds}/{s}", f"{s}_{k}"))
    # the same subject name in two corpora must stay two subjects
    rows.append(("smic", "smic/sub01", "x"))
    return pd.DataFrame(rows, columns=["dataset", "subject", "clip"])


def test_cde_never_puts_a_subject_in_train_and_test():
    t = table()
    folds = splits("cde", t)
    assert len(folds) == t["subject"].nunique() == 8
    seen = []
    for name, train, test in folds:
        assert set(t["subject"].iloc[test]) == {name}
        assert name not in set(t["subject"].iloc[train])
        assert len(train) + len(test) == len(t) and not set(train) & set(test)
        seen += list(test)
    assert sorted(seen) == list(range(len(t)))        # every sample tested exactly once


def test_hde_holds_out_one_corpus():
    t = table()
    folds = splits("hde", t)
    assert [f[0] for f in folds] == ["casme2", "samm", "smic"]
    for name, train, test in folds:
        assert set(t["dataset"].iloc[test]) == {name} and name not in set(t["dataset"].iloc[train])
        assert not set(t["subject"].iloc[test]) & set(t["subject"].iloc[train])


def test_hde_needs_two_corpora_and_unknown_protocols_are_refused():
    t = table()
    with pytest.raises(ValueError, match="two corpora"):
        splits("hde", t[t["dataset"] == "samm"])
    with pytest.raises(ValueError, match="cde"):
        splits("loso", t)


def test_loso_on_plain_groups():
    assert [(g, list(tr), list(te)) for g, tr, te in loso(["b", "a", "b"])] == [("a", [0, 2], [1]), ("b", [1], [0, 2])]


def test_a_fold_with_non_finite_scores_is_refused_and_not_saved(tmp_path, monkeypatch):
    from atnet.core.errors import CorpusError
    from atnet.data.prepare import Arrays
    from atnet.evaluation import protocols
    from atnet.evaluation.protocols import evaluate
    from atnet.training import TrainConfig
    t = table()
    t["label"] = ["negative", "positive", "surprise"] * (len(t) // 3) + ["negative"] * (len(t) % 3)
    x = np.random.default_rng(0).normal(size=(len(t), 5))
    real = protocols.fit_predict_fold

    def diverged(*args):
        out = real(*args)
        out[0] = np.nan
        return out
    monkeypatch.setattr(protocols, "fit_predict_fold", diverged)
    with pytest.raises(CorpusError, match=r"mine cde: fold \S+ gave NaN or infinite class scores for 1 of its 3 "
                                          r"clips, so nothing of it is saved; check the features"):
        evaluate("mine", "cde", Arrays(t, None, None, features=x), TrainConfig(), tmp_path, jobs=1, progress=False)
    assert not list(tmp_path.glob("*.npy"))
