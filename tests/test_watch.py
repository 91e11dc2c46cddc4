"""The watch, offline against the fake Google API: passes of the real `watch-sheets` flow, notes
on the cells that are wrong, taken back once fixed, the group's own notes and values untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fake_google import SERVICE_EMAIL, FakeGoogle
from tests.google_edition import NETWORK, SHEETS, key_of

COSOTER = key_of("gt-cosoter")


def values(google: FakeGoogle) -> dict[str, dict[str, list[list[str]]]]:
    """Every value of every tab of every workbook, but the tab recueil writes."""
    return {
        key: {
            tab: [list(r) for r in rows] for tab, rows in sheet.tabs.items() if tab != "Contrôles"
        }
        for key, sheet in google.spreadsheets.items()
    }


def grid_reads(google: FakeGoogle) -> set[str]:
    return {
        r.path.rsplit("/", 1)[-1]
        for r in google.requests(host=SHEETS, method="GET")
        if r.query.get("includeGridData") == ["true"]
    }


def one_pass(google: FakeGoogle, out: Path):
    from flows.watch import watch_sheets

    google.log.clear()
    return watch_sheets(google=NETWORK, out=str(out))


def test_notes_appear_on_the_wrong_cell_and_go_once_fixed(
    google: FakeGoogle, tmp_path: Path
) -> None:
    registered = len(google.spreadsheets) - 2  # all but the network workbook and the intruder
    first = one_pass(google, tmp_path)
    assert first.changed and len(first.reread) == registered and not first.refused
    assert google.spreadsheets[COSOTER].tabs["Contrôles"][2] == ["Aucun problème"]
    state = json.loads((tmp_path / "2024" / "veille.json").read_text(encoding="utf-8"))
    assert state["network"] == NETWORK and COSOTER in state["workbooks"]
    assert "private_key" not in json.dumps(state)

    # recueil's own writes changed the workbooks' modified times: a new watch (a new process would
    # read the same state) reads nothing again
    settled = one_pass(google, tmp_path)
    assert not settled.changed and grid_reads(google) == set()
    assert len(google.api_requests()) <= 2

    original = google.cell(COSOTER, "Fiche", "B2")
    google.spreadsheets[COSOTER].notes[("Fiche", 2, 0)] = "Note du groupe : à revoir en juin"
    google.set_cell(COSOTER, "Fiche", "B2", "quatorze")
    before = values(google)
    changed = one_pass(google, tmp_path)
    assert grid_reads(google) == {COSOTER}, "only the workbook edited is read again"
    assert changed.reread == ["Cosoter"] and changed.written == ["Cosoter"]
    writes = google.requests(host=SHEETS, method="POST")
    assert len(writes) == 1 and len(google.api_requests()) == 3, "listing, one read, one write"
    note = google.note(COSOTER, "Fiche", "B2")
    assert note.startswith("recueil : erreur — ") and "« quatorze »" in note
    assert google.background(COSOTER, "Fiche", "B2")
    assert google.note(COSOTER, "Fiche", "A3") == "Note du groupe : à revoir en juin"
    controls = google.spreadsheets[COSOTER].tabs["Contrôles"]
    assert controls[0][0] == "Contrôle du" and controls[2] == [
        "Gravité",
        "Onglet",
        "Cellule",
        "Valeur trouvée",
        "Message",
    ]
    assert controls[3][:4] == ["erreur", "Fiche", "B2", "quatorze"]
    gid = google.spreadsheets[COSOTER].sheet_ids["Fiche"]
    assert google.link(COSOTER, "Contrôles", "C4") == (
        f"https://docs.google.com/spreadsheets/d/{COSOTER}/edit#gid={gid}&range=B2"
    )
    assert values(google) == before, "notes and colours only: no value of the group's changed"

    assert not one_pass(google, tmp_path).changed
    assert len(google.api_requests()) <= 2

    google.set_cell(COSOTER, "Fiche", "B2", original)
    before = values(google)
    fixed = one_pass(google, tmp_path)
    assert fixed.written == ["Cosoter"]
    assert google.note(COSOTER, "Fiche", "B2") is None
    assert google.background(COSOTER, "Fiche", "B2") is None
    assert google.note(COSOTER, "Fiche", "A3") == "Note du groupe : à revoir en juin"
    assert google.spreadsheets[COSOTER].tabs["Contrôles"][2] == ["Aucun problème"]
    assert values(google) == before


def test_the_groups_colour_and_note_on_a_wrong_cell_stay(
    google: FakeGoogle, tmp_path: Path
) -> None:
    one_pass(google, tmp_path)
    sheet = google.spreadsheets[COSOTER]
    yellow = {"red": 1.0, "green": 1.0, "blue": 0.0}
    sheet.notes[("Fiche", 1, 1)] = "Chiffre à confirmer"
    sheet.backgrounds[("Fiche", 1, 1)] = yellow
    original = google.cell(COSOTER, "Fiche", "B2")
    google.set_cell(COSOTER, "Fiche", "B2", "quatorze")
    one_pass(google, tmp_path)
    assert google.note(COSOTER, "Fiche", "B2") == "Chiffre à confirmer"
    assert google.background(COSOTER, "Fiche", "B2") == yellow
    assert sheet.tabs["Contrôles"][3][:3] == ["erreur", "Fiche", "B2"], "said in the tab instead"
    google.set_cell(COSOTER, "Fiche", "B2", original)
    one_pass(google, tmp_path)
    assert google.note(COSOTER, "Fiche", "B2") == "Chiffre à confirmer"
    assert google.background(COSOTER, "Fiche", "B2") == yellow


def test_read_only_missing_and_429_cost_one_workbook_each(
    google: FakeGoogle, tmp_path: Path
) -> None:
    registered = len(google.spreadsheets) - 2
    google.spreadsheets[key_of("gt-sante")].writable = False
    gone = next(k for k in google.spreadsheets if k.startswith("contribution"))
    del google.spreadsheets[gone]
    google.fail(f"{key_of('gt-transition')}:batchUpdate", 429, times=3, retry_after="0")
    # a refusal is not tried again; a failure that outlasts the client's 6 tries is, by the task
    google.fail(f"{key_of('gt-education')}:batchUpdate", 403, times=5)
    google.fail(f"{COSOTER}:batchUpdate", 500, times=7)
    report = one_pass(google, tmp_path)
    assert len(google.requests(contains=f"{key_of('gt-education')}:batchUpdate")) == 1
    assert "Éducation" in report.refused and "Cosoter" in report.written
    assert len(google.requests(contains=f"{COSOTER}:batchUpdate")) == 8
    refused = report.refused["Santé"]
    assert "lecture seule" in refused and SERVICE_EMAIL in refused and "éditeur" in refused
    (missing,) = report.unreadable.values()
    assert "introuvable" in missing
    assert "Transition" in report.written, "a burst of 429 is waited out"
    assert len(report.written) == registered - 3

    again = one_pass(google, tmp_path)  # the missing workbook is said once, never a crash
    assert not again.changed and len(google.api_requests()) <= 2


def test_once_without_a_key_or_network_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    monkeypatch.delenv("RECUEIL_GOOGLE_NETWORK", raising=False)
    assert main(["sheets", "watch", "--once", "--out", str(tmp_path)]) == 2
    assert "classeur réseau" in capfd.readouterr().out
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absente.json"))
    assert main(["sheets", "watch", "--once", "--google", NETWORK]) == 2
    assert "GOOGLE_APPLICATION_CREDENTIALS" in capfd.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["sheets", "watch", "--every", "5s", "--google", NETWORK])
    assert usage.value.code == 2
    assert "trop court" in capfd.readouterr().err


def test_once_makes_one_pass(
    google: FakeGoogle, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    assert main(["sheets", "watch", "--once", "--google", NETWORK, "--out", str(tmp_path)]) == 0
    out = capfd.readouterr().out
    assert "Remarques écrites dans" in out and "Cosoter" in out
    assert (tmp_path / "2024" / "veille.json").is_file()
