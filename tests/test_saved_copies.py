"""Last valid copies and snapshots: names that replay, and a crash at any rename keeps a whole copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sources.snapshot import load_workbook, safe_name, save_workbook
from sources.workbook import SourceError, Tab, Workbook


def book(subject: str) -> Workbook:
    return Workbook(
        "gt-x",
        "ici",
        (
            Tab("Fiche :", (("Groupe de travail", "X"),)),
            Tab("FICHE", (("Groupe de travail", "Y"),)),
            Tab("Travaux", (("Sujet", "Précisions"), (subject, ""))),
        ),
        (),
        "2024-03-12T09:30:00+00:00",
    )


def test_tab_names_that_are_not_file_names_replay(tmp_path: Path) -> None:
    save_workbook(book("Un"), tmp_path / "gt-x", {"sheet": "gt-x"})
    saved, metadata = load_workbook(tmp_path / "gt-x")
    assert sorted(t.name for t in saved.tabs) == ["FICHE", "Fiche :", "Travaux"]
    assert saved.tab("Travaux").rows[1][0] == "Un"
    assert saved.modified == "2024-03-12T09:30:00+00:00"


def test_saved_names_are_bounded_and_never_collide() -> None:
    long = "Un sujet " * 40
    assert len(safe_name(long)) <= 100
    assert safe_name("gt/sante") != safe_name("gt_sante")
    assert safe_name("gt-sante") == "gt-sante"
    assert safe_name(long) != safe_name(long + "bis")


@pytest.mark.parametrize("failing_call", [1, 2])
def test_a_crash_at_either_rename_keeps_the_previous_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    folder = tmp_path / "gt-x"
    save_workbook(book("Ancien"), folder, {})
    real_replace, calls = os.replace, []

    def crash(source, target):
        calls.append(source)
        if len(calls) == failing_call:
            raise OSError("coupure simulée")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="coupure"):
        save_workbook(book("Nouveau"), folder, {})
    monkeypatch.setattr(os, "replace", real_replace)
    saved, _ = load_workbook(folder)  # the next read puts the previous copy back if need be
    assert saved.tab("Travaux").rows[1][0] == "Ancien"
    save_workbook(book("Nouveau"), folder, {})
    assert load_workbook(folder)[0].tab("Travaux").rows[1][0] == "Nouveau"
    assert [p.name for p in tmp_path.iterdir()] == ["gt-x"]


def test_a_crash_after_both_renames_keeps_the_new_copy(tmp_path: Path) -> None:
    folder = tmp_path / "gt-x"
    save_workbook(book("Ancien"), folder, {})
    save_workbook(book("Nouveau"), tmp_path / "staging", {})
    os.replace(folder, tmp_path / ".old-gt-x")  # as the first rename does
    os.replace(tmp_path / "staging", folder)  # the second; then the crash, before the clean-up
    assert load_workbook(folder)[0].tab("Travaux").rows[1][0] == "Nouveau"
    assert not (tmp_path / ".old-gt-x").exists()


@pytest.mark.parametrize(
    "metadata", ['{"modified": "pas une date"}', "[1, 2]", "{pas du json", '{"tabs": 3}']
)
def test_malformed_metadata_is_an_error_not_a_traceback(tmp_path: Path, metadata: str) -> None:
    save_workbook(book("Un"), tmp_path / "gt-x", {})
    (tmp_path / "gt-x" / "_recueil.json").write_text(metadata, encoding="utf-8")
    with pytest.raises(SourceError, match="_recueil.json illisible"):
        load_workbook(tmp_path / "gt-x")
