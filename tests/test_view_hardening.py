"""`atnet view` on bad input: damaged run files are refused in one sentence naming the file (no
traceback, no page); no --out may land on a file of the run or inside a corpus folder it reads;
hostile names in every field reach the page intact without changing the document (Chromium); a
spotting page shows every annotated video, those with no proposal too. Run folders are written by
hand (small CSVs), except one real `evaluate --task spot` for its run.json."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.app.runs import Inputs
from atnet.app.view import view
from atnet.data.datasets.synthetic_long import synthesize_long
from atnet.evaluation.manifest import read_manifest, write_manifest
from test_view import browser, open_page  # noqa: F401  (test_view's Chromium fixture and page opener)

P = ["p_negative", "p_positive", "p_surprise"]


def blob(page: Path) -> dict:
    text = page.read_text()
    return json.loads(text.split('<script type="application/json" id="data">')[1].split("</script>")[0])


def rec_rows(datasets=("casme2", "samm"), subjects=("sub01", "006"), clips=("EP01_01f", "006_1_2")) -> pd.DataFrame:
    rows = [[d, f"{d}/{s}", c, 0, 0, 0.7, 0.2, 0.1, f"{d}/{s}"] for d, s, c in zip(datasets, subjects, clips)]
    rows.append([datasets[0], f"{datasets[0]}/{subjects[0]}", clips[0] + "b", 2, 1, 0.1, 0.5, 0.4, "f"])
    return pd.DataFrame(rows, columns=["dataset", "subject", "clip", "truth", "pred", *P, "fold"])


def write_rec(folder: Path, rows: pd.DataFrame, name: str = "m-cde") -> Path:
    (folder / "predictions").mkdir(parents=True)
    rows.to_csv(folder / "predictions" / f"{name}.csv", index=False)
    (folder / "results.json").write_text(json.dumps([{"method": "m", "protocol": "cde", "test_set": "full",
                                                      "acc": 0.5, "uf1": 0.5, "uar": 0.5, "n": len(rows)}]))
    (folder / "excluded.csv").write_text("dataset,clip,reason\n")
    return folder


def write_spot(folder: Path, video: str = "s15/v1", other: str = "s16/v2", label: str = "negative") -> Path:
    folder.mkdir(parents=True)
    pd.DataFrame([["casme-sq", "casme-sq/s15", video, 10, 14, 18, "micro", 0.5, True, label],
                  ["casme-sq", "casme-sq/s15", video, 40, 50, 60, "macro", 0.2, False, ""]],
                 columns=["dataset", "subject", "video", "onset", "apex", "offset", "kind", "score", "matched",
                          "label"]).to_csv(folder / "intervals.csv", index=False)
    pd.DataFrame([["casme-sq", "casme-sq/s15", video, 10, 14, 18, "micro", "negative"],
                  ["casme-sq", "casme-sq/s16", other, 5, 9, 13, "micro", "positive"],    # a video with no proposal
                  ["casme-sq", "casme-sq/s16", other, 30, 40, 50, "macro", ""]],
                 columns=["dataset", "subject", "video", "onset", "apex", "offset", "kind", "label"]
                 ).to_csv(folder / "truth.csv", index=False)
    key = f"casme-sq/{video}"
    np.savez(folder / "curves.npz", **{f"{key}|numbers": np.arange(80), f"{key}|micro": np.linspace(0, 1, 80),
                                       f"{key}|micro|threshold": np.float32(0.5)})
    pd.DataFrame([["casme-sq", "micro", 2, 1, 0, 1, 1.0, 0.5, 0.667]],
                 columns=["dataset", "kind", "videos", "tp", "fp", "fn", "precision", "recall", "f1"]
                 ).to_csv(folder / "scores.csv", index=False)
    (folder / "excluded.csv").write_text("dataset,clip,reason\n")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hard")
    return write_rec(root / "rec", rec_rows()), write_spot(root / "spot")


def refused(argv) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert isinstance(e.value.code, str) and e.value.code.startswith("error: "), e.value.code
    assert "\n" not in e.value.code.strip()
    return e.value.code


def cut(path: Path) -> None:
    """The file cut short 11 characters into its last row."""
    text = path.read_text().rstrip()
    path.write_text(text[:text.rfind("\n") + 12])


def edit_csv(column: str, value):
    def change(path: Path) -> None:
        t = pd.read_csv(path, dtype=str, keep_default_na=False)
        t.loc[0, column] = value
        t.to_csv(path, index=False)
    return change


def pickled(path: Path) -> None:
    np.savez(path, **{"casme-sq/s15/v1|numbers": np.array([{"a": 1}], dtype=object)})


def nan_curve(path: Path) -> None:
    np.savez(path, **{"casme-sq/s15/v1|numbers": np.arange(3), "casme-sq/s15/v1|micro": np.array([0, np.nan, 1.0])})


def short_curve(path: Path) -> None:
    np.savez(path, **{"casme-sq/s15/v1|numbers": np.arange(5), "casme-sq/s15/v1|micro": np.zeros(3)})


REC, SPOT = "rec", "spot"
DAMAGE = [   # (which run, file, how, what the sentence says)
    (REC, "predictions/m-cde.csv", lambda p: p.write_text(""), "m-cde.csv: is empty"),
    (REC, "predictions/m-cde.csv", cut, "m-cde.csv row 4: the "),
    (REC, "predictions/m-cde.csv", edit_csv("p_positive", "nan"), "m-cde.csv row 2: p_positive 'nan' is not a finite"),
    (REC, "predictions/m-cde.csv", edit_csv("p_positive", ""), "m-cde.csv row 2: the 'p_positive' cell is empty"),
    (REC, "predictions/m-cde.csv", edit_csv("truth", "3"), "m-cde.csv row 2: truth '3' is not a class id"),
    (REC, "predictions/m-cde.csv", edit_csv("truth", "-1"), "m-cde.csv row 2: truth '-1' is not a class id"),
    (REC, "predictions/m-cde.csv", edit_csv("pred", "negative"), "row 2: pred 'negative' is not a class id (0"),
    (REC, "predictions/m-cde.csv", edit_csv("truth", "nan"), "row 2: truth 'nan' is not a class id"),
    (REC, "predictions/m-cde.csv", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe"), "m-cde.csv: "),
    (REC, "predictions/m-cde.csv", lambda p: p.write_text("a,b\n1,2\n"), "m-cde.csv: no column 'dataset'"),
    (REC, "predictions/m-cde.csv", edit_csv("p_positive", "1.5"), "row 2: p_positive '1.5' is not a probability"),
    (REC, "predictions/m-cde.csv", lambda p: pd.read_csv(p).drop(columns="p_surprise").to_csv(p, index=False),
     "m-cde.csv: its probability columns are p_negative, p_positive, not"),
    (REC, "predictions/m-cde.csv", lambda p: pd.read_csv(p).assign(p_fear=0).to_csv(p, index=False),
     "m-cde.csv: its probability columns are"),
    (REC, "predictions/m-cde.csv", lambda p: p.write_text(p.read_text() + p.read_text().splitlines()[1] + "\n"),
     "m-cde.csv: rows 2 and 5 are both clip EP01_01f of casme2/sub01"),
    (REC, "results.json", lambda p: p.write_text(""), "results.json: not valid JSON"),
    (REC, "results.json", lambda p: p.write_text("{oops"), "results.json: not valid JSON"),
    (REC, "results.json", lambda p: p.write_text('{"method": "m"}'), "results.json: the top level"),
    (REC, "results.json", lambda p: p.write_text("[1]"), "results.json: [0] "),
    (REC, "results.json", lambda p: p.write_text('[{"method": "m", "protocol": "cde", "test_set": "full", "acc": NaN, '
                                                 '"uf1": 0.5, "uar": 0.5, "n": 3}]'),
     "results.json: [0].acc is nan, not a finite number"),
    (REC, "run.json", lambda p: p.write_text("[]"), "run.json: field the top level"),
    (SPOT, "intervals.csv", lambda p: p.write_text(""), "intervals.csv: is empty"),
    (SPOT, "intervals.csv", cut, "intervals.csv row 3: the "),
    (SPOT, "intervals.csv", lambda p: p.write_text("dataset,video,start\nx,y,1\n"), "intervals.csv: no column 'onset'"),
    (SPOT, "intervals.csv", edit_csv("onset", "ten"), "intervals.csv row 2: onset 'ten' is not a whole frame number"),
    (SPOT, "intervals.csv", edit_csv("offset", "1.5"), "intervals.csv row 2: offset '1.5' is not a whole frame"),
    (SPOT, "intervals.csv", edit_csv("apex", "x"), "intervals.csv row 2: apex 'x' is not a whole frame number"),
    (SPOT, "intervals.csv", edit_csv("kind", "blink"), "intervals.csv row 2: kind 'blink' is not one of micro"),
    (SPOT, "intervals.csv", edit_csv("score", "nan"), "intervals.csv row 2: score 'nan' is not a finite number"),
    (SPOT, "truth.csv", lambda p: p.write_text("dataset,video,a,b\n"), "truth.csv: no column 'onset'"),
    (SPOT, "truth.csv", edit_csv("onset", "-"), "truth.csv row 2: onset '-' is not a whole frame number"),
    (SPOT, "truth.csv", lambda p: p.write_text(""), "truth.csv: is empty"),
    (SPOT, "intervals.csv", edit_csv("onset", "30"), "intervals.csv row 2: onset 30 and offset 18 make no interval"),
    (SPOT, "truth.csv", edit_csv("onset", "-5"), "truth.csv row 2: onset -5 and offset 18 make no interval"),
    (SPOT, "curves.npz", lambda p: p.write_bytes(b"garbage" * 10), "curves.npz: not the score curves atnet writes"),
    (SPOT, "curves.npz", lambda p: p.write_bytes(b""), "curves.npz: not the score curves atnet writes"),
    (SPOT, "curves.npz", pickled, "curves.npz: not the score curves atnet writes"),
    (SPOT, "curves.npz", nan_curve, "curves.npz: casme-sq/s15/v1|micro holds NaN or infinite values"),
    (SPOT, "curves.npz", short_curve, "casme-sq/s15/v1|micro has 3 values for 5 frames"),
    (SPOT, "scores.csv", edit_csv("tp", "many"), "scores.csv row 2: tp 'many' is not a whole"),
    (SPOT, "scores.csv", edit_csv("f1", "inf"), "scores.csv row 2: f1 'inf' is not a finite number"),
    (SPOT, "scores.csv", lambda p: p.write_text('{"dataset": 1}'), "scores.csv: no column"),
    (SPOT, "settings.json", lambda p: p.write_text("{bad"), "settings.json: not valid JSON"),
]


@pytest.mark.parametrize("which, name, damage, said", DAMAGE, ids=[f"{d[1]}-{i}" for i, d in enumerate(DAMAGE)])
def test_a_damaged_run_file_is_refused_in_one_sentence(runs, tmp_path, which, name, damage, said):
    run = tmp_path / which
    shutil.copytree(runs[0] if which == REC else runs[1], run)
    if name == "run.json":
        write_manifest(run, "recognition", [], Inputs().manifest(), {}, [])
    damage(run / name)
    message = refused(["view", str(run), "--out", str(tmp_path / "p.html"), "--no-images"])
    assert str(run / name) in message and said in message, message
    assert not (tmp_path / "p.html").exists()


def test_probabilities_are_read_by_column_name(runs, tmp_path):
    run = tmp_path / "rec"
    shutil.copytree(runs[0], run)
    f = run / "predictions" / "m-cde.csv"
    t = pd.read_csv(f)
    t[["dataset", "subject", "clip", "truth", "pred", "p_surprise", "p_negative", "p_positive"]].to_csv(f, index=False)
    data = view(run, tmp_path / "p.html", images=False)
    assert [r["p"] for r in blob(data)["rows"]] == t[P].values.tolist()


def test_the_undamaged_runs_are_viewed(runs, tmp_path):
    for run in runs:
        main(["view", str(run), "--out", str(tmp_path / "p.html"), "--no-images"])
        assert blob(tmp_path / "p.html")["title"] == str(run)


@pytest.fixture(scope="module")
def spot_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("spothard")
    roots = synthesize_long(out / "long", subjects=1, videos=1, seconds={"samm-lv": 3.0, "casme-sq": 4.0}, micro=1,
                            macro=0, jobs=1)
    argv = ["evaluate", "--task", "spot", "--casme-sq", str(roots["casme-sq"]), "--face", "haar", "--jobs", "1",
            "--out", str(out / "run")]
    main(argv)
    return out / "run", roots["casme-sq"], argv


def test_a_spotting_run_writes_run_json(spot_run):
    run, root, argv = spot_run
    m = read_manifest(run / "run.json")
    assert m["kind"] == "spotting" and m["command"] == argv and m["inputs"]["source"] == "long-videos"
    assert m["inputs"]["roots"] == {"casme-sq": {"given": str(root), "path": os.path.abspath(root)}}
    assert m["configs"]["spot"]["spotter"] == "lbp" and m["configs"]["prep"]["face"] == "haar"
    assert m["runs"] == [{"method": "lbp", "protocol": "", "seed": None, "predictions": "intervals.csv"}]


def test_view_writes_over_no_file_of_the_run_or_its_corpus(runs, spot_run, tiny_corpus, tmp_path):
    rec, spot = runs
    real, long_root, _ = spot_run
    linked = tmp_path / "hard.csv"
    os.link(spot / "truth.csv", linked)
    (tmp_path / "soft.npz").symlink_to(spot / "curves.npz")
    frame = next(Path(tiny_corpus).rglob("*.jpg")).parent
    named = tmp_path / "named"   # a run whose run.json names the tiny corpus
    shutil.copytree(rec, named)
    write_manifest(named, "recognition", [], Inputs(synthetic=str(tiny_corpus)).manifest(), {}, [])
    cases = [(rec, rec / "predictions" / "m-cde.csv"), (rec, rec / "excluded.csv"), (rec, rec / "results.json"),
             (rec, rec / "predictions" / "new.csv"), (spot, spot / "intervals.csv"), (spot, spot / "curves.npz"),
             (spot, spot / "excluded.csv"), (spot, linked), (spot, tmp_path / "soft.npz"),
             (named, frame / "img999.jpg"), (named, named / "run.json"), (real, next(long_root.rglob("*.jpg"))),
             (real, real / "run.json")]
    for run, out in cases:
        before = out.read_bytes() if out.exists() else None
        message = refused(["view", str(run), "--out", str(out)])
        assert str(out) in message, message
        assert (out.read_bytes() if out.exists() else None) == before
    refused(["view", str(named), "--out", str(frame / "img999.jpg"), "--no-images"])   # and from Python:
    with pytest.raises(Exception, match="would change that input|is also an input"):
        view(named, frame / "x.png")


def test_a_spotting_page_shows_every_annotated_video(runs, tmp_path):
    data = blob(view(runs[1], tmp_path / "p.html", images=False))
    videos = {v["video"]: v for v in data["videos"]}
    assert set(videos) == {"s15/v1", "s16/v2"}
    assert videos["s16/v2"]["proposals"] == [] and [t["status"] for t in videos["s16/v2"]["truth"]] == ["missed"] * 2
    assert [t["status"] for t in videos["s15/v1"]["truth"]] == ["found"]


HOSTILE = ["<!--<script>", "</script><script>alert(1)</script>", "a&amp;b\"'<\u2028>\u2029", "]]><![CDATA[x",
           "__DATA__", "<!-- -->--!>"]


@pytest.mark.browser
def test_hostile_names_reach_the_page_intact(browser, tmp_path):
    folder = tmp_path / "run <!--<script>&__DATA__"
    rows = rec_rows(datasets=(HOSTILE[3], HOSTILE[1]), subjects=(HOSTILE[0], HOSTILE[4]),
                    clips=(HOSTILE[2], HOSTILE[5]))
    write_rec(folder, rows, name="<b>&x<\\script><!---cde")
    page, errors = open_page(browser, view(folder, tmp_path / "r.html", images=False))
    assert page.locator("#title").inner_text() == str(folder) and str(folder) in page.title()
    got = page.locator(".clip").evaluate_all("es => es.map(e => [e.dataset.dataset, e.dataset.subject, "
                                             "e.dataset.clip])")
    assert got == rows[["dataset", "subject", "clip"]].values.tolist()
    assert page.locator("table.cm").get_attribute("data-run") == "<b>&x<\\script><!---cde"
    assert not errors, errors
    spot = write_spot(tmp_path / "spot </script>", video=HOSTILE[1], other=HOSTILE[0], label=HOSTILE[5])
    page, errors = open_page(browser, view(spot, tmp_path / "s.html", images=False))
    assert page.locator("section.video").evaluate_all("es => es.map(e => e.dataset.video)") == \
        [f"casme-sq/{HOSTILE[1]}", f"casme-sq/{HOSTILE[0]}"]
    assert page.locator("rect.truth").count() == 3 and page.locator("rect.interval").count() == 2
    page.keyboard.press("n")
    assert HOSTILE[5] in page.locator("#detail").inner_text()
    assert not errors, errors


def test_view_writes_over_no_file_an_apex_table_names_in_another_folder(runs, tmp_path):
    flows = tmp_path / "elsewhere"
    flows.mkdir()
    np.save(flows / "a.npy", np.zeros((28, 28, 3), np.float32))
    (tmp_path / "t").mkdir()
    table = tmp_path / "t" / "flows.csv"
    pd.DataFrame([["casme2", "sub01", "EP01_01f", "negative", str(flows / "a.npy")]],
                 columns=["dataset", "subject", "clip", "label", "flow"]).to_csv(table, index=False)
    run = tmp_path / "run"
    shutil.copytree(runs[0], run)
    write_manifest(run, "recognition", [], Inputs(apex_table=str(table)).manifest(), {}, [])
    before = (flows / "a.npy").read_bytes()
    assert str(flows / "a.npy") in refused(["view", str(run), "--out", str(flows / "a.npy"), "--no-images"])
    assert (flows / "a.npy").read_bytes() == before
