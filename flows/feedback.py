"""The one feedback writer: each Google workbook's problems written back into it, in its
`Contrôles` tab (a table whose cell references open the sheet at that cell).

Used by `recueil build --feedback` and `recueil sheets feedback`, and, with notes on the cells, by
the watch (flows/watch.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from flows.model import SEVERITY_LABELS, Outcome, Problem, display_name
from flows.text import french_datetime
from sources.google.errors import write_refused
from sources.google.ids import cell_address, spreadsheet_id
from sources.google.write import Cell, batch_update, free_sheet_id, replace_tab, sheet_ids
from sources.workbook import match_key

FEEDBACK_TAB = "Contrôles"
HEADER = ["Gravité", "Onglet", "Cellule", "Valeur trouvée", "Message"]
# The sheetId asked for when recueil adds the tab: far from the small ones Google gives.
FEEDBACK_SHEET_ID = 7_400_000
_A1 = re.compile(r"[A-Z]{1,3}[1-9][0-9]*")


def feedback_rows(
    problems: Iterable[Problem], checked: dt.datetime, key: str, gids: dict[str, int]
) -> list[list[Cell]]:
    """The `Contrôles` tab: when it was checked, then one problem a row; a cell reference links to
    that cell of the workbook (`gids`, each tab's sheetId, makes the address)."""
    rows = [[Cell("Contrôle du"), Cell(french_datetime(checked))], []]
    problems = list(problems)
    if not problems:
        return [*rows, [Cell("Aucun problème")]]
    rows.append([Cell(text) for text in HEADER])
    for problem in problems:
        link = _link(problem, key, gids)
        rows.append(
            [
                Cell(SEVERITY_LABELS[problem.severity]),
                Cell(problem.tab or "", None if problem.cell else link),
                Cell(problem.cell or "", link),
                Cell(problem.found or ""),
                Cell(problem.message),
            ]
        )
    return rows


def _link(problem: Problem, key: str, gids: dict[str, int]) -> str | None:
    """The address opening the problem's cell (`B3`), row (`ligne 4`: its first cell) or tab."""
    tabs = {match_key(name): gid for name, gid in gids.items()}
    gid = tabs.get(match_key(problem.tab or "")) if problem.tab else None
    if gid is None:
        return None
    cell = problem.cell or ""
    if cell.startswith("ligne "):
        cell = f"A{cell.removeprefix('ligne ').strip()}"
    return cell_address(key, gid, cell if _A1.fullmatch(cell) else None)


def feedback_requests(
    problems: Iterable[Problem], checked: dt.datetime, key: str, gids: dict[str, int]
) -> list[dict[str, Any]]:
    """The requests that replace the workbook's `Contrôles` tab by its current problems."""
    return replace_tab(
        gids,
        FEEDBACK_TAB,
        feedback_rows(problems, checked, key, gids),
        free_sheet_id(gids, FEEDBACK_SHEET_ID),
    )


def write_controles(
    client: Any, key: str, problems: tuple[Problem, ...], checked: dt.datetime
) -> None:
    """Replace one workbook's `Contrôles` tab: one request for its tabs' IDs, one write."""
    batch_update(client, key, feedback_requests(problems, checked, key, sheet_ids(client, key)))


def write_feedback(
    client: Any,
    outcomes: Iterable[Outcome],
    checked: dt.datetime,
    write: Callable[[Any, str, tuple[Problem, ...], dt.datetime], None] = write_controles,
) -> dict[str, str]:
    """Write the `Contrôles` tab of each group and contribution workbook (the network's is the
    coordination's own); what could not be written, by sheet, with the French reason.

    A flow passes `write`, the same write as a Prefect task with its retries declared
    (flows/google_tasks.py).
    """
    refused: dict[str, str] = {}
    account = getattr(client, "service_account_email", "")
    for outcome in outcomes:
        if outcome.kind == "network":
            continue
        try:
            write(client, spreadsheet_id(outcome.sheet), outcome.problems, checked)
        except Exception as error:  # one workbook's refusal must not stop the others
            refused[outcome.sheet] = write_refused(error, account)
    return refused


def refusal_problem(outcome: Outcome, reason: str) -> Problem:
    """The warning a build adds to a workbook whose `Contrôles` tab could not be written."""
    return Problem(
        "warning",
        display_name(outcome.kind, outcome.name),
        f"l'onglet « Contrôles » n'a pas pu être écrit dans le classeur ({reason})",
    )
