"""The last valid copy of each workbook, kept so that a workbook with errors can still be printed."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from flows.check import EditionCheck, check_workbook
from flows.load import Fetched
from flows.manifest import fingerprint
from flows.model import Network, Outcome, Problem, display_name
from flows.validate import Checks
from sources.snapshot import METADATA, load_workbook, recover, safe_name, save_workbook
from sources.workbook import SourceError

VALID_FOLDER = "donnees-valides"


def settle(checked: EditionCheck, out: Path, checks: Checks | None = None) -> EditionCheck:
    """Keep each workbook that passed as its last valid copy; print the others from theirs (checked
    again by `checks`, else in this process)."""
    network = checked.record
    if network is None:
        return checked
    kept = valid_folder(out, network.programme.year)
    remember_valid(checked.fetched[1:], {**checked.groups, **checked.contributions}, kept)
    return replace(
        checked,
        groups={sheet: fall_back(o, kept, network, checks) for sheet, o in checked.groups.items()},
        contributions={
            sheet: fall_back(o, kept, network, checks) for sheet, o in checked.contributions.items()
        },
    )


def valid_folder(out: Path, year: int) -> Path:
    """Where an edition keeps the last valid copy of each workbook: `output/<year>/donnees-valides/`."""
    return out / str(year) / VALID_FOLDER


def remember_valid(
    fetched: list[Fetched] | tuple[Fetched, ...], outcomes: dict[str, Outcome], folder: Path
) -> None:
    """Save every workbook that passed all its checks as its new last valid copy."""
    checked = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for item in fetched:
        outcome = outcomes.get(item.sheet)
        if item.workbook is None or outcome is None or not outcome.ok:
            continue
        target = folder / safe_name(item.sheet)
        content = fingerprint(item.workbook.tabs)
        if _saved_content(target) == content:
            continue  # already the last valid copy: nothing to rewrite
        metadata = {
            "sheet": item.sheet,
            "kind": item.kind,
            "group": item.name,
            "validated": checked,
        }
        save_workbook(item.workbook, target, {**metadata, "content": content})


def _saved_content(saved: Path) -> str | None:
    try:
        return json.loads((saved / METADATA).read_text(encoding="utf-8")).get("content")
    except (OSError, ValueError):
        return None


def fall_back(
    outcome: Outcome, folder: Path, network: Network, checks: Checks | None = None
) -> Outcome:
    """The outcome, printed from the last valid copy when the current workbook cannot be."""
    saved = folder / safe_name(outcome.sheet)
    if outcome.record is not None:
        return outcome
    recover(saved)
    if not saved.is_dir():
        return outcome
    display = display_name(outcome.kind, outcome.name)
    try:
        workbook, metadata = load_workbook(saved, folder)
    except SourceError as error:
        unreadable = Problem(
            "warning",
            display,
            f"la dernière version valide ne peut pas être relue : {error.message}",
        )
        return replace(outcome, problems=outcome.problems + (unreadable,))
    replayed = check_workbook(
        Fetched(outcome.kind, outcome.name, outcome.sheet, workbook), network, checks=checks
    )
    if replayed.record is None:  # e.g. the reference list of centres changed since
        return outcome
    from flows.text import french_date

    date = workbook.modified or metadata.get("validated") or ""
    notice = Problem(
        "warning",
        display,
        f"la dernière version valide (données du {french_date(date)}) est imprimée à la place",
    )
    return replace(
        outcome, record=replayed.record, problems=outcome.problems + (notice,), data_date=date
    )
