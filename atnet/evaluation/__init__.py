"""Layer 7, evaluation: protocols (folds, saved and resumed), metrics (pooled Acc, UF1, UAR; the
MEGC log), your own features and predictions (byo.py: read, compare), and the reports (Tables II
and III). Imports the layers below only."""
