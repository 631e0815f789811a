"""`atnet view`: page size and time to write it, for the demo's run, a 442-clip run and a spotting run;
and the README's screenshots of each page (docs/images/view-*.png), taken in headless Chromium.

Runs made (or reused, when their folder exists) under OUT:
  demo      `atnet demo --out OUT/demo` (the README's first command: 12 rows, CDE and HDE, synthetic corpus)
  run442    `atnet synth OUT/full --full` (442 clips, the composite's size), then `atnet evaluate
            --method flow-logreg hoof-n4-tim10 --protocol cde hde`
  spot      `atnet synth OUT/long --long` (realistic), then `atnet evaluate --task spot --method lbp`
Then `atnet view` on each (the recognition pages with their images: the clips are prepared again
from the cache) and a screenshot of the first screen of each page, and of the page opened in Chromium
(time to load, until the gallery is drawn).

Run: .venv/bin/python benchmarks/bench_view.py [--out runs/bench-view] [--screenshots docs/images]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

ATNET = str(Path(".venv/bin/atnet"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def sh(*args: str) -> None:
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def runs(out: Path, cache: str) -> dict:
    if not (out / "demo" / "results.json").exists():
        sh(ATNET, "demo", "--out", str(out / "demo"), "--cache", cache)
    if not (out / "run442" / "results.json").exists():
        sh(ATNET, "synth", str(out / "full"), "--full")
        sh(ATNET, "evaluate", "--synthetic", str(out / "full"), "--cache", cache, "--method", "flow-logreg",
           "hoof-n4-tim10", "--protocol", "cde", "hde", "--out", str(out / "run442"))
    if not (out / "spot" / "intervals.csv").exists():
        sh(ATNET, "synth", str(out / "long"), "--long")
        sh(ATNET, "evaluate", "--task", "spot", "--samm-lv", str(out / "long" / "SAMM-LV"), "--casme-sq",
           str(out / "long" / "CASME_sq"), "--method", "lbp", "--cache", cache, "--out", str(out / "spot"))
    return {"demo": (out / "demo", []), "run442": (out / "run442", ["--synthetic", str(out / "full")]),
            "spot": (out / "spot", [])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench-view")
    ap.add_argument("--cache", default=".cache/atnet")
    ap.add_argument("--screenshots", default="docs/images")
    args = ap.parse_args()
    out, shots = Path(args.out), Path(args.screenshots)
    out.mkdir(parents=True, exist_ok=True)
    shots.mkdir(parents=True, exist_ok=True)
    rows = []
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=FLAGS)
        for name, (run, extra) in runs(out, args.cache).items():
            html = out / f"{name}.html"
            t = time.perf_counter()
            sh(ATNET, "view", str(run), "--out", str(html), "--cache", args.cache, *extra)
            write_s = time.perf_counter() - t
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            t = time.perf_counter()
            page.goto(html.resolve().as_uri())
            page.wait_for_selector("#count")
            load_s = time.perf_counter() - t
            elements = page.locator(".clip, rect.interval").count()
            if name in ("demo", "spot"):
                if name == "demo":
                    page.locator("#gallery").scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"view-{'recognition' if name == 'demo' else 'spotting'}.png"))
            page.close()
            rows.append((name, elements, html.stat().st_size / 1e6, write_s, load_s))
        browser.close()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; `atnet view` (the wall time of the "
          f"command, images included) and Chromium's load (until the page has drawn its elements)")
    print("| run | clips or intervals | page, MB | write, s | open in Chromium, s |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.2f} |")


if __name__ == "__main__":
    main()
