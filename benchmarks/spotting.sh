#!/usr/bin/env bash
# Spotting on the synthetic long videos (docs/benchmarks.md, "Spotting"): the reference method at the
# default p and with p chosen LOSO, then spot-then-recognise with a model trained on the synthetic
# short-clip corpus (the demo's recipe). Speed: benchmarks/bench_spot.py.
set -euo pipefail
A=${ATNET:-.venv/bin/atnet}
$A synth runs/long --long --clean      # the first, clean videos this section measured (realistic: bench_spot_realistic.py)
$A evaluate --task spot --samm-lv runs/long/SAMM-LV --casme-sq runs/long/CASME_sq --out runs/spot-fixed
$A train --method atnet --out runs/spot-model.safetensors
$A evaluate --task spot --samm-lv runs/long/SAMM-LV --casme-sq runs/long/CASME_sq --auto-p \
    --model runs/spot-model.safetensors --out runs/spot-auto
