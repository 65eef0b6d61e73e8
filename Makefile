# lowbit: every target installs what it needs into .venv first (PyPI only).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

FORMAT  ?= mxfp4
UNIT    ?=
SEED    ?=
VECTORS ?=
WAVES   ?=
PYTEST_ARGS ?=

SIM_ARGS := --format $(FORMAT) $(if $(UNIT),--unit $(UNIT)) $(if $(SEED),--seed $(SEED)) \
            $(if $(VECTORS),--vectors $(VECTORS)) $(if $(filter 1 yes true,$(WAVES)),--waves)

.PHONY: all install test regress sim bench lint clean

all: test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

regress: $(STAMP)
	LOWBIT_REGRESS=1 $(PY) -m pytest -n 2 -m "rtl" $(PYTEST_ARGS)

sim: $(STAMP)
	@$(VENV)/bin/lowbit sim $(SIM_ARGS)

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/golden_bench.py
	$(PY) bench/sim_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf sim_build results lowbit-results .pytest_cache .ruff_cache
