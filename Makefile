# Needs only python3 and make: every target creates the environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
YEAR ?= 2024

.PHONY: setup build test bench lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/recueil build --year $(YEAR)

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m flows.bench --year $(YEAR)

lint: $(STAMP)
	$(BIN)/ruff check flows sources tests bench
	$(BIN)/ruff format --check flows sources tests bench

format: $(STAMP)
	$(BIN)/ruff format flows sources tests bench
	$(BIN)/ruff check --fix flows sources tests bench

clean:
	rm -rf $(VENV) .prefect output/*/
