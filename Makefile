# Set-up and everyday commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench docs clean serve

install: $(STAMP)

# Re-installs only when the dependency pins change, so `make install` is idempotent and cheap.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,web]'
	touch $(STAMP)

# The flagship study (docs/flagship.md): about 5 minutes on 2 cores; rerun to resume.
demo: install
	$(BIN)/enforcesim data build
	$(BIN)/enforcesim study flagship --out out/flagship
	@echo "Report: out/flagship/report.html (figures in out/flagship/figures/)"

# The web app on http://127.0.0.1:8000/ (docs/web-api.md); PORT=8080 make serve for another port.
PORT ?= 8000
serve: install
	$(BIN)/enforcesim serve --port $(PORT) --data out/web

test: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

bench: install
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/execution.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/per_person.py

docs: install
	$(BIN)/python -m enforcesim.docgen

clean:
	rm -rf out .pytest_cache
