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
	# the compose specification's JSON schema, for tests/test_docker.py (it ships in
	# the docker-compose 1.x wheel; only the file is kept, nothing is installed)
	$(PY) -m pip download --quiet --no-deps docker-compose==1.29.2 -d $(VENV)/cache/compose
	$(PY) -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('$(VENV)/cache/compose/*.whl')[0]); open('$(VENV)/compose_spec.json', 'wb').write(z.read('compose/config/compose_spec.json'))"
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
