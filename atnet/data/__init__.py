"""Layer 3, data: the corpora as distributed (datasets/: one module per corpus, long videos
included), faces (detection, alignment, crops, video), and preparation (prepare.py: crops, flow
and ADM into the cache, as arrays). Imports core and features only."""
