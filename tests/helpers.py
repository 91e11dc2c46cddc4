"""Small builders shared by the unit tests: in-memory workbooks and the bundled 2024 centres."""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path

from flows.centres import CentreIndex
from flows.parse import parse_network
from sources.local import read_workbook
from sources.workbook import Notice, Tab, Workbook

EDITION_2024 = Path(__file__).resolve().parent.parent / "sources" / "editions" / "2024"
# The working groups of the 2024 programme, in the order of its records (taken from the seed by hand).
SEED_GROUPS = (
    "Contractualisation",
    "Cosoter",
    "Développement économique",
    "Éducation",
    "Égalité femmes-hommes",
    "Transition",
    "Participation des habitants",
    "Questions urbaines",
    "Ressource & Communication",
    "Santé",
    "Sport et quartiers populaires",
    "Valeurs de la République et laïcité",
)
# A Santé group's Fiche and Travaux rows that pass every check.
SANTE_FICHE = (
    ("Groupe de travail", "Santé"),
    ("Nombre de CRPV impliqués", "2 CRPV"),
    ("Nombre de réunions", "Entre 2 et 3"),
    ("Groupe créé en", "2020"),
    ("Animation", "Normanvilles, Profession Banlieue"),
    ("Modalités de travail", "Visio"),
)
SANTE_TRAVAUX = (("Sujet", "Précisions"), ("Partage de ressources", ""))


def tab(name: str, *rows: tuple[str, ...]) -> Tab:
    """A tab from rows of cells, row 1 first."""
    return Tab(name, tuple(tuple(row) for row in rows))


def workbook(*tabs: Tab, name: str = "classeur", notices: tuple[Notice, ...] = ()) -> Workbook:
    """An in-memory workbook holding `tabs`, with what its reading noticed."""
    return Workbook(name, f"memoire:{name}", tuple(tabs), notices)


@cache
def centres_2024() -> CentreIndex:
    """The reference list of centres of the bundled 2024 network workbook."""
    network = parse_network(read_workbook(EDITION_2024 / "reseau")).record
    return CentreIndex(network.centres)


@cache
def network_2024():
    """The bundled 2024 network workbook, parsed."""
    return parse_network(read_workbook(EDITION_2024 / "reseau")).record


def free_port() -> int:
    """A port of 127.0.0.1 free at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prefect_home(folder: Path) -> Path:
    """`folder` made a Prefect home whose database is already migrated (the run's template,
    tests/conftest.py), so that a server started there answers in half the time."""
    import shutil
    import time

    template = Path(os.environ["RECUEIL_TESTS_FOLDER"]) / "prefect-modele"
    deadline = time.monotonic() + 120
    while not (template / "pret").exists():
        assert time.monotonic() < deadline, "the run's template Prefect database was never made"
        time.sleep(0.2)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template / "prefect.db", folder / "prefect.db")
    return folder


def run_probe(code: str, timeout: float = 120, **kwargs: object):
    """`code` run by this Python in a new process from the project's root, its output captured: what
    a fresh process imports or does, beyond this test process's state."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )
