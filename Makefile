# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/invdash.duckdb
PORT   ?= 8501

.PHONY: setup run test demo chromium lint bench clean

## setup: create .venv if missing and install invdash with its test and distributed (Ray) extras (torch pinned to the CPU build on disk)
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test,distributed]"
	touch $@

## demo: build the demo database if missing, with a stored forecast, reorder and recommendation
## run, so every page of `make run` opens on a working shop (runs stored in the file are reused)
demo: setup
	test -f $(DB) || { $(VENV)/bin/invdash demo --db $(DB) \
	  && $(VENV)/bin/invdash reorder --db $(DB) --quiet --out /dev/null \
	  && $(VENV)/bin/invdash recommend --db $(DB) --store-run > /dev/null; }

## run: set up, build the demo database if missing, start the dashboard on http://localhost:$(PORT)
run: demo
	INVDASH_DB=$(DB) $(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address localhost

## chromium: Debian's chromium for the browser test (never `playwright install`)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

## test: set up, install chromium if missing, run the whole test suite (browser test included)
test: setup chromium
	$(VENV)/bin/pytest -q

lint: setup
	$(VENV)/bin/ruff check invdash tests app.py pages

## bench: benchmark extras (statsforecast, mlforecast, lightgbm, implicit) for benchmarks/
bench: setup
	$(PY) -m pip install -q -e ".[test,distributed,bench]"

clean:
	rm -rf $(VENV) $(DB)
