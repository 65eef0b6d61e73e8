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
NET     ?= resnet50
ARRAY   ?= 16x16
ENGINE  ?= array

SIM_ARGS := --format $(FORMAT) $(if $(UNIT),--unit $(UNIT)) $(if $(SEED),--seed $(SEED)) \
            $(if $(VECTORS),--vectors $(VECTORS)) $(if $(filter 1 yes true,$(WAVES)),--waves)

.PHONY: all install test regress sim cost sweep pe-costs bench lint clean

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

cost: $(STAMP)
	@$(VENV)/bin/lowbit cost --net $(NET) --format $(FORMAT) --array $(ARRAY) --engine $(ENGINE)

sweep: $(STAMP)
	@$(VENV)/bin/lowbit sweep --net $(NET) --engine $(ENGINE)

# re-measure every PE at gate level (~40 min on 2 cores) into models/data/pe_costs.json
pe-costs: $(STAMP)
	$(PY) -m models.pe_costs

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/golden_bench.py
	$(PY) bench/sim_bench.py
	$(PY) bench/cost_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf sim_build results lowbit-results .pytest_cache .ruff_cache
