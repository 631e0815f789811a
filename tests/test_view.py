"""`atnet view`: the pages of a recognition run and a spotting run, opened in headless Chromium
(Debian's chromium, driven by playwright; `make test` installs it): no console errors, one element per
CSV row, a filter click changes what is shown as expected, and a screenshot kept as an artefact
(tests/artefacts/)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from atnet.app.cli import main
from atnet.data.datasets.synthetic_long import synthesize_long

pytestmark = pytest.mark.browser
ARTEFACTS = Path(__file__).parent / "artefacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install chromium` (make test does it), then rerun.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("#count")
    return page, errors


@pytest.fixture(scope="module")
def recognition_run(tmp_path_factory, tiny_corpus):
    out = tmp_path_factory.mktemp("rec")
    cache = out / "cache"
    main(["evaluate", "--synthetic", str(tiny_corpus), "--cache", str(cache), "--size", "64", "--face", "haar",
          "--method", "flow-logreg", "hoof-n4-tim10", "--protocol", "cde", "hde",
          "--jobs", "1", "--out", str(out / "run")])
    return out / "run", tiny_corpus, cache


def test_the_recognition_page(browser, recognition_run, tmp_path):
    run, corpus, cache = recognition_run
    html = tmp_path / "rec.html"
    main(["view", str(run), "--synthetic", str(corpus), "--cache", str(cache), "--out", str(html)])   # prep: the run's
    rows = pd.concat([pd.read_csv(f).assign(run=f.stem) for f in sorted((run / "predictions").glob("*.csv"))])
    page, errors = open_page(browser, html)
    assert page.locator(".clip").count() == len(rows)
    assert page.locator("table.cm").count() == rows["run"].nunique()
    assert page.locator(".clip img.apex[src^='data:image/jpeg']").count() > 0       # thumbnails are inline
    # a confusion-matrix cell filters the gallery to its clips
    one = rows[rows["run"] == rows["run"].iloc[0]]
    t, p = one["truth"].iloc[0], one["pred"].iloc[0]
    classes = ("negative", "positive", "surprise")
    cell = page.locator(f"td.cell[data-run='{one['run'].iloc[0]}'][data-truth='{classes[t]}']"
                        f"[data-pred='{classes[p]}']")
    n = int(cell.inner_text())
    assert n == ((one["truth"] == t) & (one["pred"] == p)).sum()
    cell.click()
    assert int(page.locator("#count").get_attribute("data-matching")) == n
    assert page.locator(".clip:visible").count() == min(n, 240)
    page.select_option("#f-run", "")
    page.select_option("#f-truth", "")
    page.select_option("#f-pred", "")
    page.select_option("#f-correct", "no")
    assert int(page.locator("#count").get_attribute("data-matching")) == (rows["truth"] != rows["pred"]).sum()
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "view-recognition.png"), full_page=False)
    assert not errors, errors


@pytest.fixture(scope="module")
def spot_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("spotview")
    roots = synthesize_long(out / "long", subjects=2, videos=1, seconds={"samm-lv": 3.0, "casme-sq": 20.0}, micro=3,
                            macro=1, jobs=2)
    main(["evaluate", "--task", "spot", "--casme-sq", str(roots["casme-sq"]), "--face", "haar", "--jobs", "1",
          "--out", str(out / "run")])
    return out / "run"


def test_the_spotting_page(browser, spot_run, tmp_path):
    html = tmp_path / "spot.html"
    main(["view", str(spot_run), "--out", str(html)])
    intervals, truth = pd.read_csv(spot_run / "intervals.csv"), pd.read_csv(spot_run / "truth.csv")
    page, errors = open_page(browser, html)
    assert page.locator("rect.interval").count() == len(intervals)
    assert page.locator("rect.truth").count() == len(truth)
    matched = page.locator("rect.interval[data-status='matched']").count()
    assert matched == int(intervals["matched"].sum())
    assert page.locator("rect.truth[data-status='found']").count() == matched        # one-to-one
    page.select_option("#f-kind", "micro")
    assert int(page.locator("#count").get_attribute("data-shown")) == (intervals["kind"] == "micro").sum()
    page.select_option("#f-status", "false")
    assert int(page.locator("#count").get_attribute("data-shown")) == \
        ((intervals["kind"] == "micro") & ~intervals["matched"].astype(bool)).sum()
    page.select_option("#f-status", "")
    page.keyboard.press("n")                                  # the first proposal: its frames are shown
    assert page.locator("#detail img").count() == 3
    first = intervals[intervals["kind"] == "micro"].iloc[0]
    assert f"{first['onset']}-{first['apex']}-{first['offset']}" in page.locator("#detail").inner_text()
    assert page.locator("svg.timeline polyline").count() == 2 * intervals["video"].nunique()
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "view-spotting.png"), full_page=False)
    assert not errors, errors


def test_view_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["view", str(tmp_path), "--out", str(tmp_path / "p.html")])
    assert "neither a recognition run" in str(e.value.code)


def test_a_predict_table_becomes_a_gallery_without_images(tmp_path):
    import json

    from atnet.app.view import view
    t = pd.DataFrame({"input": ["a", "b"], "dataset": ["input", "input"], "subject": ["input/a", "input/b"],
                      "clip": ["a", "b"], "onset": [0, 0], "apex": [3, 4], "offset": [8, 9],
                      "apex_source": ["given", "spotted"], "face": ["dlib", "haar"], "truth": ["", "positive"],
                      "label": ["negative", "positive"], "p_negative": [0.7, 0.1], "p_positive": [0.2, 0.8],
                      "p_surprise": [0.1, 0.1]})
    t.to_csv(tmp_path / "p.csv", index=False)
    text = view(tmp_path / "p.csv", tmp_path / "p.html").read_text()
    blob = text.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    data = json.loads(blob)
    assert [(r["truth"], r["pred"], r["p"]) for r in data["rows"]] == [("unknown", "negative", [0.7, 0.2, 0.1]),
                                                                      ("positive", "positive", [0.1, 0.8, 0.1])]
    assert data["images"] == {} and "no images" in data["note"]
