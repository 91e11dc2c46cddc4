"""The `recueil sheets` commands: write the checks back into the workbooks, create a group's
workbook, list a Drive folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flows import contract
from flows.model import Centre, Problem
from flows.render import french_datetime
from sources.google import SHEETS_API

FEEDBACK_TAB = "Contrôles"
DROPDOWN_ROWS = 500
INSTRUCTIONS = (
    "Mode d'emploi : colonne A, les libellés (ne pas les modifier) ; colonne B, vos réponses. "
    "Dans une cellule, une ligne par élément (Alt+Entrée). Les onglets Travaux, Membres et Réunions "
    "ont leurs en-têtes en ligne 1 et une ligne par élément. Le contrôle de recueil écrit ses remarques "
    "dans l'onglet « Contrôles »."
)
HINTS = {
    "name": "le nom du groupe, tel qu'il sera imprimé",
    "crpv_count": "un nombre entier (ex. 14)",
    "meetings": "ex. « 8 », « Entre 6 et 8 sur l'année », « 1/mois sauf en août »",
    "created": "ex. « 2019 » ou « Mai 2022 (fusion de deux groupes) »",
    "animation": "un centre par ligne, éventuellement suivi de « : » et des personnes",
    "methods": "un élément par ligne",
    "contact": "une adresse électronique",
}


def feedback_rows(problems: Iterable[Problem], checked: dt.datetime) -> list[list[str]]:
    """The `Contrôles` tab of one workbook: when it was checked, then one problem a row."""
    rows = [["Contrôle du", french_datetime(checked)], []]
    problems = list(problems)
    if not problems:
        return [*rows, ["Aucun problème"]]
    rows.append(["Gravité", "Onglet", "Cellule", "Valeur trouvée", "Message"])
    for problem in problems:
        severity = "erreur" if problem.severity == "error" else "avertissement"
        rows.append(
            [severity, problem.tab or "", problem.cell or "", problem.found or "", problem.message]
        )
    return rows


def write_feedback(
    client: Any, key: str, problems: Iterable[Problem], checked: dt.datetime
) -> None:
    """Replace the workbook's `Contrôles` tab by its current problems, as raw values only."""
    http = client.http_client
    metadata = http.fetch_sheet_metadata(key, params={"fields": "sheets.properties(sheetId,title)"})
    titles = [s["properties"]["title"] for s in metadata.get("sheets", [])]
    if FEEDBACK_TAB in titles:
        http.values_clear(key, f"'{FEEDBACK_TAB}'")
    else:
        http.batch_update(
            key, {"requests": [{"addSheet": {"properties": {"title": FEEDBACK_TAB}}}]}
        )
    # RAW: a value or a message is stored as text; nothing written back can become a formula.
    http.values_update(
        key,
        f"'{FEEDBACK_TAB}'!A1",
        params={"valueInputOption": "RAW"},
        body={"values": feedback_rows(problems, checked)},
    )


def create_group_workbook(
    client: Any, name: str, centres: Iterable[Centre], shares: Iterable[str]
) -> str:
    """A new group workbook that follows SHEETS.md, shared with `shares`; its spreadsheet ID."""
    http = client.http_client
    tabs = [contract.FICHE, contract.TOPICS, contract.MEMBERS, contract.MEETINGS]
    body = {
        "properties": {"title": f"GT {name}", "locale": "fr_FR"},
        "sheets": [
            {
                "properties": {
                    "title": spec.name,
                    "gridProperties": {"frozenRowCount": 0, "frozenColumnCount": 1}
                    if spec.shape == "labels"
                    else {"frozenRowCount": 1},
                }
            }
            for spec in tabs
        ],
    }
    created = http.request("post", SHEETS_API, json=body).json()
    key = created["spreadsheetId"]
    ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in created["sheets"]}

    fiche = [
        [f.label, name if f.name == "name" else "", HINTS.get(f.name, "")]
        for f in contract.FICHE.fields
    ]
    fiche[0][2] = INSTRUCTIONS
    data = [{"range": f"'{contract.FICHE.name}'!A1", "values": fiche}]
    data += [
        {"range": f"'{spec.name}'!A1", "values": [[f.label for f in spec.fields]]}
        for spec in tabs[1:]
    ]
    http.values_batch_update(key, {"valueInputOption": "RAW", "data": data})

    def dropdown(tab: str, column: int, values: list[str]) -> dict[str, Any]:
        return {
            "setDataValidation": {
                "range": {
                    "sheetId": ids[tab],
                    "startRowIndex": 1,
                    "endRowIndex": DROPDOWN_ROWS,
                    "startColumnIndex": column,
                    "endColumnIndex": column + 1,
                },
                "rule": {
                    "condition": {
                        "type": "ONE_OF_LIST",
                        "values": [{"userEnteredValue": v} for v in values],
                    },
                    "showCustomUi": True,
                    "strict": False,
                },
            }
        }

    def bold(tab: str, rows: int, columns: int) -> dict[str, Any]:
        return {
            "repeatCell": {
                "range": {"sheetId": ids[tab], "endRowIndex": rows, "endColumnIndex": columns},
                "cell": {
                    "userEnteredFormat": {"textFormat": {"bold": True}, "wrapStrategy": "WRAP"}
                },
                "fields": "userEnteredFormat(textFormat,wrapStrategy)",
            }
        }

    requests = [
        dropdown(contract.MEMBERS.name, 0, [c.sigle for c in centres]),
        dropdown(contract.MEMBERS.name, 1, list(contract.ROLES)),
        dropdown(contract.MEETINGS.name, 1, list(contract.MEETING_FORMATS)),
        bold(contract.FICHE.name, len(fiche), 1),
        *(bold(spec.name, 1, len(spec.fields)) for spec in tabs[1:]),
    ]
    http.batch_update(key, {"requests": requests})
    for address in shares:
        http.insert_permission(key, address, perm_type="user", role="writer", notify=True)
    return key
