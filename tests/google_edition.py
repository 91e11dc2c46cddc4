"""The bundled 2024 edition as the fake Google API serves it: one Drive folder, each workbook named
by its address in the network workbook, plus one workbook the network does not register."""

from __future__ import annotations

import pytest

from sources.local import read_workbook
from tests.fake_google import FakeGoogle
from tests.helpers import EDITION_2024

NETWORK = "reseau2024" + "N" * 20
SHEETS = "sheets.googleapis.com"


def key_of(sheet: str) -> str:
    return sheet.replace("-", "")[:18].ljust(24, "K")


def use_edition_2024(fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> FakeGoogle:
    """The fake emptied, then given the bundled 2024 edition; the clients sent to it, quick to retry."""
    for name, value in fake.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RECUEIL_GOOGLE_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("RECUEIL_GOOGLE_TIMEOUT_SECONDS", "1")
    fake.spreadsheets.clear()
    fake.log.clear()
    fake.failures.clear()
    network = read_workbook(EDITION_2024 / "reseau")
    tabs = {t.name: [list(r) for r in t.rows] for t in network.tabs}
    for tab in ("Groupes", "Contributions"):
        for row in tabs[tab][1:]:
            sheet = row[1]
            book = read_workbook(next(p for p in EDITION_2024.iterdir() if p.stem == sheet))
            fake.add(
                key_of(sheet),
                f"{tab} {row[0]}",
                {t.name: [list(r) for r in t.rows] for t in book.tabs},
                folder="dossier",
            )
            row[1] = f"https://docs.google.com/spreadsheets/d/{key_of(sheet)}/edit#gid=0"
    fake.add(NETWORK, "Réseau RNCRPV 2024", tabs, folder="dossier")
    fake.add("intrus" + "I" * 20, "Classeur non inscrit", {"Feuille 1": [["x"]]}, folder="dossier")
    return fake
