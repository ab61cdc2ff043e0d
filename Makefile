# Two commands: `make run` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
B      ?=

.PHONY: setup run test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: pip takes the CPU build on this machine's disk; a plain
	# dependency on torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(STAMP)

run: setup
	$(VENV)/bin/aios serve

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench $(B)

lint: setup
	$(VENV)/bin/ruff check aios tests bench
	$(VENV)/bin/ruff format --check aios tests bench
	$(VENV)/bin/mypy aios/kernel

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
