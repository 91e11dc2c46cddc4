"""A new group's workbook, as SHEETS.md describes it: tabs, labels, hints and drop-down lists."""

from __future__ import annotations

from collections.abc import Iterable

from flows import contract
from flows.model import Centre
from sources.google.write import (
    batch_update,
    bold,
    create_spreadsheet,
    dropdown,
    put_values,
    share,
)

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


def create_group_workbook(
    client: object, name: str, centres: Iterable[Centre], shares: Iterable[str]
) -> str:
    """A new group workbook that follows SHEETS.md, shared with `shares`; its spreadsheet ID."""
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
    key, ids = create_spreadsheet(client, body)
    fiche = [
        [f.label, name if f.name == "name" else "", HINTS.get(f.name, "")]
        for f in contract.FICHE.fields
    ]
    fiche[0][2] = INSTRUCTIONS
    values = {f"'{contract.FICHE.name}'!A1": fiche}
    values |= {f"'{spec.name}'!A1": [[f.label for f in spec.fields]] for spec in tabs[1:]}
    put_values(client, key, values)
    members, meetings = ids[contract.MEMBERS.name], ids[contract.MEETINGS.name]
    requests = [
        dropdown(members, 0, [c.sigle for c in centres], DROPDOWN_ROWS),
        dropdown(members, 1, list(contract.ROLES), DROPDOWN_ROWS),
        dropdown(meetings, 1, list(contract.MEETING_FORMATS), DROPDOWN_ROWS),
        bold(ids[contract.FICHE.name], len(fiche), 1),
        *(bold(ids[spec.name], 1, len(spec.fields)) for spec in tabs[1:]),
    ]
    batch_update(client, key, requests)
    for address in shares:
        share(client, key, address)
    return key
