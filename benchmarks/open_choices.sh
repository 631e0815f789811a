#!/usr/bin/env bash
# The paper's open choices, measured on the default synthetic corpus, CDE (docs/benchmarks.md,
# "Open choices"). Networks: 3 seeds each with the demo recipe (`reproduce` gives mean ± std); the
# SVM baselines are deterministic and run once. Each run folder is resumable.
set -euo pipefail
A=${ATNET:-.venv/bin/atnet}
BASE="lbptop-p4-tim10 lbptop-p8-tim10 lbptop-p4-tim64 lbptop-p8-tim64 hoof-n4-tim10 hoof-n8-tim10 hoof-n4-tim64 hoof-n8-tim64"
HOOF="hoof-n4-tim10 hoof-n8-tim10 hoof-n4-tim64 hoof-n8-tim64"
$A evaluate --method $BASE --protocol cde --out runs/oc-base                                  # defaults: 112 px, balanced, full-circle HOOF
$A evaluate --method $HOOF --protocol cde --hoof-bins folded --out runs/oc-hoof-folded        # Chaudhry et al.'s folded bins
$A evaluate --method $BASE --protocol cde --svm-class-weight none --out runs/oc-svm-none       # SVMs without class weighting
$A evaluate --method $BASE --protocol cde --volume-size 224 --out runs/oc-base-224             # baselines on 224 px crops
$A reproduce --method temporal --protocol cde --out runs/oc-adm-circular                        # ADM direction: circular mean (default)
$A reproduce --method temporal --protocol cde --adm-mean paper --out runs/oc-adm-paper          # the paper's arithmetic mean of angles
$A reproduce --method spatial --protocol cde --dropout 0 --out runs/oc-spatial-nodrop           # spatial classifier without dropout
$A reproduce --method spatial --protocol cde --out runs/oc-spatial-drop                         # with dropout 0.5 (default)
