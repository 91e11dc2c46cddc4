"""The scale benchmark's synthetic editions are real editions of the size asked for."""

from __future__ import annotations

import csv
from pathlib import Path

from bench.generate import generate


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_synthetic_edition_has_the_groups_asked_for_each_named_once(tmp_path: Path) -> None:
    edition = generate(30, tmp_path / "edition")
    registered = _read(edition / "reseau" / "Groupes.csv")[1:]
    assert len(registered) == 30
    assert len({name for name, _ in registered}) == 30
    for name, sheet in registered:
        folder = edition / sheet
        if folder.is_dir():
            fiche = dict((row[0], row[1]) for row in _read(folder / "Fiche.csv") if row)
            assert fiche["Groupe de travail"] == name
        else:
            assert any((edition / f"{sheet}{suffix}").is_file() for suffix in (".xlsx", ".ods"))


def test_a_smaller_edition_drops_the_workbooks_it_does_not_register(tmp_path: Path) -> None:
    edition = generate(5, tmp_path / "edition")
    registered = {sheet for _, sheet in _read(edition / "reseau" / "Groupes.csv")[1:]}
    assert len(registered) == 5
    on_disk = {p.name.removesuffix(".xlsx") for p in edition.iterdir() if p.name.startswith("gt-")}
    assert on_disk == registered
