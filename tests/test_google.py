"""Google Sheets and Drive, offline: the real gspread and google-auth clients against the fake API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from flows.settings import resolve
from sources.google.read import GoogleSource
from sources.local import read_workbook
from tests.fake_google import READONLY, SERVICE_EMAIL, WRITE, FakeGoogle
from tests.google_edition import NETWORK, SHEETS, key_of
from tests.helpers import EDITION_2024
from tests.pdftext import flat, pdf_text


def reaching(network: str) -> GoogleSource:
    """The edition whose network workbook is `network`, reached with the settings of the test's
    environment, as a command resolves them."""
    return GoogleSource(network, settings=resolve().google)


def sheet_reads(fake: FakeGoogle, key: str) -> int:
    return len(fake.requests(host=SHEETS, method="GET", contains=key))


def test_a_full_pull_reads_each_workbook_once_after_one_listing(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from flows.build import build_edition
    from tests.test_states import read_back

    state = build_edition(google=NETWORK, out=str(tmp_path), return_state=True)
    report = state.result()
    assert [str(p) for p in report.problems] == []
    assert (tmp_path / "2024" / "programme-2024.pdf").is_file()
    # Each read waits on Google: a task each, side by side (files on disk are one task for all).
    reads = [task.name for task in read_back(state)[1] if task.name.startswith("lire · ")]
    assert len([r for r in reads if r.startswith("lire · https://docs.google.com/")]) == 14, reads
    assert sheet_reads(google, NETWORK) == 1
    for sheet in ("gt-cosoter", "gt-sante", "contribution-culture"):
        assert sheet_reads(google, key_of(sheet)) == 1
    workbooks = len(google.requests(host=SHEETS))
    assert workbooks == 15
    (listing,) = google.requests(host="www.googleapis.com")
    assert "mimeType" in listing.query["q"][0], "one Drive listing for every modified time"
    assert len(google.api_requests()) == workbooks + 1 <= 2 * workbooks
    assert {s for r in google.log if r.host != "oauth2.googleapis.com" for s in r.scopes} <= {
        READONLY,
        "https://www.googleapis.com/auth/drive.readonly",
    }
    text = flat(pdf_text(tmp_path / "2024" / "programme-2024.pdf"))
    assert "Groupe de travail « Santé » Nombre de CRPV impliqués 8 CRPV" in text


def test_snapshots_are_a_local_edition_without_credentials(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from flows.build import build_edition

    build_edition(google=NETWORK, out=str(tmp_path / "en-ligne"))
    snapshots = tmp_path / "en-ligne" / "2024" / "snapshots"
    metadata = json.loads(
        (snapshots / key_of("gt-sante") / "_recueil.json").read_text(encoding="utf-8")
    )
    assert metadata["spreadsheet_id"] == key_of("gt-sante")
    assert metadata["modified"] == "2024-03-12T09:30:00.000Z"
    assert metadata["title"] == "Groupes Santé" and metadata["pulled"]
    everything = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (tmp_path / "en-ligne").rglob("*")
        if p.suffix in (".json", ".csv", ".html")
    )
    assert "PRIVATE KEY" not in everything and "private_key" not in everything

    google.spreadsheets.clear()  # offline from here: nothing to pull
    report = build_edition(source=str(snapshots), out=str(tmp_path / "hors-ligne"))
    assert [str(p) for p in report.errors] == []
    online = flat(pdf_text(tmp_path / "en-ligne" / "2024" / "programme-2024.pdf"))
    offline = flat(pdf_text(tmp_path / "hors-ligne" / "2024" / "programme-2024.pdf"))
    assert online == offline


def test_an_unchanged_workbook_is_not_downloaded_again(google: FakeGoogle, tmp_path: Path) -> None:
    from flows.build import build_edition

    build_edition(google=NETWORK, out=str(tmp_path))
    google.log.clear()
    build_edition(google=NETWORK, out=str(tmp_path))
    assert sheet_reads(google, key_of("gt-cosoter")) == 0
    assert len(google.requests(host=SHEETS)) == 1, "only the network workbook is pulled again"
    assert len(google.api_requests()) == 2, "and one listing tells that nothing else changed"

    fiche = [list(r) for r in google.spreadsheets[key_of("gt-cosoter")].tabs["Fiche"]]
    fiche[1][1] = "12 CRPV"
    google.edit(key_of("gt-cosoter"), "Fiche", fiche, modified="2024-04-02T08:00:00.000Z")
    google.log.clear()
    report = build_edition(google=NETWORK, out=str(tmp_path))
    assert sheet_reads(google, key_of("gt-cosoter")) == 1
    assert sheet_reads(google, key_of("gt-sante")) == 0
    assert report.exit_code == 0
    text = flat(pdf_text(tmp_path / "2024" / "programme-2024.pdf"))
    assert "Groupe de travail « Cosoter » Nombre de CRPV impliqués 12 CRPV" in text


def test_a_change_that_leaves_the_values_keeps_the_datas_date(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from flows.build import build_edition

    build_edition(google=NETWORK, out=str(tmp_path))
    cosoter, sante = (google.spreadsheets[key_of(s)] for s in ("gt-cosoter", "gt-sante"))
    cosoter.backgrounds[("Fiche", 1, 1)] = {"red": 1.0}  # a group colours a cell…
    cosoter.changed(by_us=False)
    sante.tabs["Contrôles"] = [["Contrôlé le 2 avril 2024"]]  # …recueil wrote its own tab
    sante.add_tab("Contrôles")
    sante.changed(by_us=True)
    network = google.spreadsheets[NETWORK]
    network.changed(by_us=False)  # someone opened and reformatted the network workbook
    google.log.clear()
    report = build_edition(google=NETWORK, out=str(tmp_path))
    assert sheet_reads(google, key_of("gt-cosoter")) == 1, "Drive's time moved: read again"
    dates = {o.sheet: o.modified for o in report.outcomes}
    for sheet in ("gt-cosoter", "gt-sante"):
        assert dates[f"https://docs.google.com/spreadsheets/d/{key_of(sheet)}/edit#gid=0"] == (
            "2024-03-12T09:30:00.000Z"
        ), "the data did not change, nor does their date"
    assert report.outcomes[0].modified == "2024-03-12T09:30:00.000Z"

    google.log.clear()
    build_edition(google=NETWORK, out=str(tmp_path))
    assert len(google.requests(host=SHEETS)) == 1, "only the network: the copies are current"

    cosoter.tabs["Fiche"][1][1] = "12 CRPV"
    cosoter.changed(by_us=False)
    report = build_edition(google=NETWORK, out=str(tmp_path))
    moved = {o.sheet: o.modified for o in report.outcomes}
    assert moved[f"https://docs.google.com/spreadsheets/d/{key_of('gt-cosoter')}/edit#gid=0"] == (
        cosoter.modified
    ), "a value changed: the data's date is Drive's"


def test_bursts_of_429_and_500_are_retried(google: FakeGoogle) -> None:
    from flows.check import check_source

    google.fail(key_of("gt-sante"), 429, times=3, retry_after="0")
    google.fail(key_of("gt-transition"), 500, times=2)
    google.fail(key_of("gt-cosoter"), 503, times=1)
    outcomes = check_source(reaching(NETWORK), resolve().prefect_home)
    assert all(o.ok for o in outcomes), [str(p) for o in outcomes for p in o.problems]
    assert len(google.requests(contains=key_of("gt-sante"))) == 1 + 3, "read, plus 3 refused"
    assert len(google.requests(contains=key_of("gt-transition"))) == 1 + 2


def test_retry_after_is_honoured(google: FakeGoogle) -> None:

    google.fail("/v4/spreadsheets/" + NETWORK, 429, times=1, retry_after="1")
    started = time.monotonic()
    reaching(NETWORK).read_network()
    assert time.monotonic() - started >= 1.0


def test_a_workbook_that_keeps_failing_is_reported_and_the_others_go_on(google: FakeGoogle) -> None:
    from flows.check import check_source

    google.fail(key_of("gt-sante"), 500, times=100)
    outcomes = {o.name: o for o in check_source(reaching(NETWORK), resolve().prefect_home)}
    assert "erreur 500" in str(outcomes["Santé"].errors[0])
    assert len(google.requests(contains=key_of("gt-sante"))) == 6, "the first try and 5 retries"
    assert outcomes["Cosoter"].ok and outcomes["Transition"].ok


def test_403_says_whom_to_share_with_and_404_names_the_group(google: FakeGoogle) -> None:
    from flows.check import check_source

    google.spreadsheets[key_of("gt-sante")].shared = False
    del google.spreadsheets[key_of("gt-cosoter")]
    outcomes = {o.name: o for o in check_source(reaching(NETWORK), resolve().prefect_home)}
    refused = str(outcomes["Santé"].errors[0])
    assert refused.startswith("GT Santé : accès refusé au classeur " + key_of("gt-sante"))
    assert SERVICE_EMAIL in refused
    missing = str(outcomes["Cosoter"].errors[0])
    assert missing.startswith(
        "GT Cosoter : classeur Google introuvable (identifiant " + key_of("gt-cosoter")
    )
    assert len(google.requests(contains=key_of("gt-sante"))) == 1, "a 403 is not retried"


def test_a_timeout_is_retried(google: FakeGoogle) -> None:

    google.stall("/v4/spreadsheets/" + NETWORK, seconds=1.5, times=1)
    workbook = reaching(NETWORK).read_network()
    assert workbook.tab("Programme") is not None
    assert sheet_reads(google, NETWORK) == 2


def test_the_sheets_quota_is_never_exceeded() -> None:
    from sources.google.auth import SlidingWindow

    window = SlidingWindow(limit=3, period=0.5)
    started = time.monotonic()
    stamps = []
    for _ in range(7):
        window.acquire()
        stamps.append(time.monotonic() - started)
    assert all(stamps[i + 3] - stamps[i] >= 0.5 - 1e-3 for i in range(len(stamps) - 3))
    assert stamps[2] < 0.2, "a burst within the quota is not slowed down"


def test_a_failed_pull_falls_back_to_the_last_valid_copy(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from flows.build import build_edition

    assert build_edition(google=NETWORK, out=str(tmp_path)).exit_code == 0
    fiche = google.spreadsheets[key_of("gt-sante")].tabs["Fiche"]
    google.edit(key_of("gt-sante"), "Fiche", fiche, modified="2024-04-02T08:00:00.000Z")
    google.fail(key_of("gt-sante"), 503, times=100)
    report = build_edition(google=NETWORK, out=str(tmp_path))
    assert report.exit_code == 1 and report.draft
    sante = next(o for o in report.outcomes if o.name == "Santé")
    assert sante.status == "fallback"
    text = flat(pdf_text(tmp_path / "2024" / "brouillon" / "programme-2024.pdf"))
    assert "Groupe de travail « Santé » Données du 12 mars 2024" in text
    assert "Nombre de CRPV impliqués 8 CRPV" in text[text.index("« Santé » Données du") :]


def test_feedback_writes_each_workbooks_problems_as_raw_values(
    google: FakeGoogle, tmp_path: Path
) -> None:
    from flows.build import build_edition

    fiche = [list(r) for r in google.spreadsheets[key_of("gt-cosoter")].tabs["Fiche"]]
    fiche[1][1] = "=SOMME(A1:A3)"
    google.edit(key_of("gt-cosoter"), "Fiche", fiche, modified="2024-04-02T08:00:00.000Z")
    report = build_edition(google=NETWORK, out=str(tmp_path), feedback=True)
    cosoter = google.spreadsheets[key_of("gt-cosoter")].tabs["Contrôles"]
    assert cosoter[0][0] == "Contrôle du"
    assert cosoter[2] == ["Gravité", "Onglet", "Cellule", "Valeur trouvée", "Message"]
    assert cosoter[3][:4] == ["erreur", "Fiche", "B2", "=SOMME(A1:A3)"]
    assert google.spreadsheets[key_of("gt-sante")].tabs["Contrôles"][2] == ["Aucun problème"]
    writes = [r for r in google.log if r.method != "GET" and r.host == SHEETS]
    assert writes and all(WRITE in r.scopes for r in writes)
    reads = [
        r
        for r in google.log
        if r.method == "GET"
        and r.host == SHEETS
        and "fields" in r.query
        and "includeGridData" in r.query
    ]
    assert all(READONLY in r.scopes and WRITE not in r.scopes for r in reads)
    assert report.exit_code == 1

    google.edit(
        key_of("gt-cosoter"),
        "Fiche",
        [list(r) for r in read_workbook(EDITION_2024 / "gt-cosoter").tab("Fiche").rows],
        modified="2024-04-03T08:00:00.000Z",
    )
    build_edition(google=NETWORK, out=str(tmp_path), feedback=True)
    assert google.spreadsheets[key_of("gt-cosoter")].tabs["Contrôles"][2] == ["Aucun problème"], (
        "the tab is replaced"
    )


def test_sheets_init_creates_a_workbook_that_follows_the_contract(
    google: FakeGoogle, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main
    from flows.parse import parse_group
    from tests.helpers import centres_2024

    assert (
        main(
            ["sheets", "init", "Habitat", "--share", "coordination@rncrpv.fr", "--google", NETWORK]
        )
        == 0
    )
    out = capfd.readouterr().out
    key = next(k for k in google.spreadsheets if k.startswith("cree"))
    assert key in out and "onglet « Groupes »" in out
    created = google.spreadsheets[key]
    assert list(created.tabs) == ["Fiche", "Travaux", "Membres", "Réunions"]
    assert created.tabs["Fiche"][0][:2] == ["Groupe de travail", "Habitat"]
    assert created.tabs["Membres"][0] == ["CRPV", "Rôle"]
    (permission,) = created.permissions
    assert (permission["type"], permission["role"], permission["emailAddress"]) == (
        "user",
        "writer",
        "coordination@rncrpv.fr",
    )
    validations = [r["setDataValidation"] for r in created.formats if "setDataValidation" in r]
    centres = [v["userEnteredValue"] for v in validations[0]["rule"]["condition"]["values"]]
    assert "Profession Banlieue" in centres and len(centres) == 20
    create = next(f["create"] for f in created.formats if "create" in f)
    assert create["sheets"][1]["properties"]["gridProperties"]["frozenRowCount"] == 1
    # the new workbook reads back through the same path as any group's: only its blanks are reported
    parsed = parse_group(reaching(NETWORK).read(key), "GT Habitat", centres_2024())
    labels = {p.message for p in parsed.problems}
    assert "« Nombre de CRPV impliqués » est obligatoire et n'est pas rempli" in labels
    assert not any("inconnu" in m for m in labels)


def test_sheets_list_marks_unregistered_workbooks(
    google: FakeGoogle, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli import main

    monkeypatch.setenv("COLUMNS", "250")
    assert main(["sheets", "list", "--folder", "dossier", "--google", NETWORK]) == 0
    out = capfd.readouterr().out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert "non inscrit" in lines["Classeur non inscrit"]
    assert "oui" in lines["Groupes Santé"]


def test_missing_credentials_fail_fast(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absente.json"))
    assert main(["build", "--google", NETWORK, "--out", str(tmp_path)]) == 2
    assert "GOOGLE_APPLICATION_CREDENTIALS" in capfd.readouterr().out
    assert not (tmp_path / "2024").exists()
