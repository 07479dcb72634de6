# `make demo` and `make test` each build what they need on a fresh machine (.venv with the pinned set).
PYTHON ?= python3
VENV := .venv
VENV2 := .venv-numpy2
PY := $(VENV)/bin/python
PY2 := $(VENV2)/bin/python
XDIST := -n 2

.PHONY: demo test test-main test-numpy2 lint fuzz bench conformance gpu-check clean

$(VENV)/.installed: requirements.txt pyproject.toml setup.py minpy_array/_speedups.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV2)/.installed: requirements-numpy2.txt pyproject.toml setup.py minpy_array/_speedups.c
	test -x $(PY2) || $(PYTHON) -m venv $(VENV2)
	$(PY2) -m pip install -q --upgrade pip
	$(PY2) -m pip install -q -r requirements-numpy2.txt
	$(PY2) -m pip install -q --no-deps -e .
	touch $@

demo: $(VENV)/.installed
	MPLBACKEND=Agg $(PY) -m minpy_array.demo $(DEMO_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# two pytest workers on two cores: one BLAS/OpenMP thread each (NumPy, and torch, which follows NumPy's count)
TEST_ENV := OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1}

test-main: $(VENV)/.installed
	$(TEST_ENV) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-numpy2: $(VENV2)/.installed
	$(TEST_ENV) $(PY2) -m pytest $(XDIST) $(PYTEST_ARGS)

test: lint test-main test-numpy2

fuzz: $(VENV)/.installed
	MINPY_FUZZ_PROGRAMS=$${MINPY_FUZZ_PROGRAMS:-50000} $(PY) -m pytest tests/fuzz -p no:xdist

bench: $(VENV)/.installed
	$(PY) benchmarks/dispatch.py
	$(PY) benchmarks/autodiff.py
	$(PY) benchmarks/mlp.py
	$(PY) benchmarks/symbol.py
	$(PY) benchmarks/dask_scale.py

# on a machine with an NVIDIA GPU, CUDA PyTorch and NumPy 2 (no venv, no downloads: the machine's own python3)
gpu-check:
	$(PYTHON) benchmarks/gpu_check.py $(GPU_ARGS)

conformance: $(VENV)/.installed
	bash conformance/run.sh

clean:
	rm -rf $(VENV) $(VENV2) build *.egg-info
