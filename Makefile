# Two entry points: `make demo` and `make test`. Each creates (or reuses) .venv and installs
# everything it needs on a fresh machine (torch 2.13.0: on this kind of machine pip takes the CPU
# wheel that lies in /opt/wheels; elsewhere install the CPU wheel first).
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet "torch==2.13.0"
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $(STAMP)

.PHONY: demo test bench install
install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/atnet demo --out runs/demo

test: $(STAMP) $(CHROMIUM)
	$(VENV)/bin/python -m pytest -q -m "not gpu"

# Debian's Chromium for the `atnet view` page tests (tests/test_view.py), driven by playwright
$(CHROMIUM):
	command -v apt-get >/dev/null && (apt-get install -y -q chromium >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) || \
	  echo "chromium could not be installed: tests/test_view.py will fail; install Debian's chromium package"

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_flow_adm.py
	$(VENV)/bin/python benchmarks/bench_train.py
	$(VENV)/bin/python benchmarks/bench_baselines.py
	$(VENV)/bin/python benchmarks/bench_faces.py
	$(VENV)/bin/python benchmarks/bench_demo.py
	$(VENV)/bin/python benchmarks/bench_demo_stages.py
	$(VENV)/bin/python benchmarks/bench_spot.py
	$(VENV)/bin/python benchmarks/bench_gpu.py
	$(VENV)/bin/python benchmarks/bench_dask.py
	$(VENV)/bin/python benchmarks/bench_features.py
