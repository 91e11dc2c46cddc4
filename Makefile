# Needs only make and a Python 3.11, 3.12 or 3.13: every target creates the environment first.
# The first interpreter of that range found on the PATH is used; `make PYTHON=/path/to/python3.12` forces one.
SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(shell for p in python3 python3.11 python3.12 python3.13; do \
	command -v $$p >/dev/null 2>&1 && $$p -c '$(SUPPORTED)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
YEAR ?= 2024
LINTED := flows sources tests bench docs

.PHONY: setup build test bench bench-stages lint format clean clean-output images

setup: $(STAMP)

# A set-up that fails removes its half-made environment, so that the next `make` starts clean.
$(STAMP): pyproject.toml constraints.txt
	@if [ -z "$(PYTHON)" ] || ! $(PYTHON) -c '$(SUPPORTED)' 2>/dev/null; then \
		echo "recueil a besoin de Python 3.11, 3.12 ou 3.13, introuvable ici$(if $(PYTHON), ($(PYTHON) ne convient pas))."; \
		echo "Installez-en un (par exemple « sudo apt install python3 python3-venv ») ou indiquez-le : make PYTHON=/chemin/vers/python3.12"; \
		exit 1; fi
	@echo "Installation de l'environnement dans $(VENV)/ avec $$($(PYTHON) --version)…"
	@$(PYTHON) -m venv $(VENV) && \
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' || { \
		rm -rf $(VENV); \
		echo "L'installation a échoué (voir les messages ci-dessus) ; l'environnement incomplet a été supprimé."; \
		echo "Sur Debian ou Ubuntu, « python3 -m venv » demande le paquet python3-venv."; \
		exit 1; }
	@touch $(STAMP)

build: $(STAMP)
	$(BIN)/recueil build --year $(YEAR)

test: lint
	$(BIN)/pytest

# Whole commands beside their goals (several minutes: the 500-group edition is in it).
bench: $(STAMP)
	$(BIN)/python -m bench.run --year $(YEAR)

# One process, time per stage (read, check, merge, render, publish) of a cold, unchanged, one-group build.
bench-stages: $(STAMP)
	$(BIN)/python -m bench.stages --year $(YEAR)

# The README's pictures of the programme (docs/*.png), drawn again from the bundled edition.
images: $(STAMP)
	$(BIN)/python docs/make_images.py

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(STAMP)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

# The environment and the caches only: what recueil published in output/ is never touched here.
clean:
	@# The local Prefect server recueil keeps (flows/server.py) works in .prefect/: stopped first.
	@if [ -x $(BIN)/recueil ]; then $(BIN)/recueil server stop; fi
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache
	find . -path ./output -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Every edition built here, archives, last valid copies and snapshots included: say so, then do it.
clean-output:
	@echo "Suppression de tout ce que recueil a produit dans output/ :"
	@find output -mindepth 1 -maxdepth 1 ! -name .gitkeep -printf "  output/%P\n"
	@find output -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	@echo "Fait : éditions publiées, archives, brouillons, copies valides et instantanés supprimés."
