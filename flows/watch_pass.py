"""One pass of the watch: groups see their workbook's problems within minutes, on the cells themselves.

Each pass asks Drive once for the modified time of every spreadsheet shared with the service account,
re-reads only the registered workbooks (the network's included) changed since the previous pass,
checks the edition again (unchanged workbooks come from their snapshot, their checks remembered), and
writes each workbook whose problems changed, in one request: a note on each cell at fault (and a
light background), the notes that no longer apply removed, the `Contrôles` tab replaced.

Only recueil's own notes and backgrounds are ever removed: those it recorded in the state and that
still carry its text; a note or a colour of the group's is left as it is (a problem on such a cell
is then in the `Contrôles` tab only). Values are never written: every change is an `updateCells`
whose field mask is the note or the background, and Google's answer to the write (the values as
they then stand) is compared with what was read, so that a change of the group's made meanwhile is
read at the next pass rather than taken for recueil's own.

What a pass knows is kept in `output/<year>/veille.json` (never credentials): a restarted watch
carries on where it stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.check import Remembered, check_edition
from flows.feedback import FEEDBACK_TAB, feedback_requests
from flows.model import Outcome, Problem
from sources.google.drive import Listed
from sources.google.errors import read_only, write_refused
from sources.google.ids import spreadsheet_id
from sources.google.read import GoogleSource, grid_workbook
from sources.google.write import a1, annotate, batch_update
from sources.workbook import Workbook, match_key

STATE_FILE = "veille.json"
NOTE_PREFIX = "recueil : "
# Light enough to read the value through; one colour per severity.
BACKGROUNDS = {
    "error": {"red": 0.99, "green": 0.87, "blue": 0.85},
    "warning": {"red": 1.0, "green": 0.95, "blue": 0.8},
}
_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]*)")

Write = Callable[[Any, str, list[dict[str, Any]]], dict[str, Any]]


def write_remarks(client: Any, key: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """One workbook's notes and `Contrôles` tab in one request; the answer holds its values after."""
    return batch_update(client, key, requests, values_after=True)


@dataclass
class PassReport:
    """What one pass did, for the command line and the flow's log."""

    checked: str
    year: int | None = None
    changed: bool = False  # False: Drive said nothing changed, nothing was read
    reread: list[str] = field(default_factory=list)  # workbooks downloaded, by name
    written: list[str] = field(default_factory=list)  # workbooks whose remarks were written
    refused: dict[str, str] = field(default_factory=dict)  # name → why nothing could be written
    unreadable: dict[str, str] = field(default_factory=dict)  # name → why it could not be read
    errors: int = 0
    warnings: int = 0
    network_read: bool = True  # False: the network workbook itself could not be read


# --- the state on disk


def find_state(out_dir: Path, network_key: str) -> Path | None:
    """The state of the watch of this network workbook, in any year's folder."""
    for path in sorted(out_dir.glob(f"*/{STATE_FILE}"), reverse=True):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("network") == network_key:
                return path
        except (OSError, ValueError):
            continue
    return None


def load_state(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a state that cannot be read costs one full pass, nothing else
    return state if isinstance(state, dict) else {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partiel")
    partial.write_text(json.dumps(state, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


# --- one pass


def watch_pass(
    network: str,
    out_dir: Path,
    reader: Any,
    writer: Any,
    write: Write = write_remarks,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    *,
    check_cache: Path,
) -> PassReport:
    """One pass of the watch of the edition whose network workbook is `network`; checks are
    remembered in the folder `check_cache`."""
    network_key = spreadsheet_id(network)
    state_path = find_state(out_dir, network_key)
    state = load_state(state_path)
    entries: dict[str, dict[str, Any]] = state.get("workbooks", {})
    snapshots = state_path.parent / "snapshots" if state_path and entries else None
    source = GoogleSource(network, reader, snapshots=snapshots)
    checked = now()
    report = PassReport(checked.isoformat(timespec="seconds"), state.get("year"))
    listing = source.listed()
    known = _known(entries, listing)
    if entries and not _changed(entries, known, listing):
        _save(state_path, state, entries, known, checked)
        return report

    report.changed = True
    source.known = known
    remembered = Remembered(check_cache)
    edition = check_edition(source, out=out_dir, check=remembered.check, across=remembered.across)
    network_fetched = edition.fetched[0]
    if network_fetched.workbook is None:
        report.network_read = False
        report.unreadable["Réseau"] = (
            network_fetched.problem.message if network_fetched.problem else ""
        )
        return report
    outcomes = edition.outcomes
    report.errors = sum(len(o.errors) for o in outcomes)
    report.warnings = sum(len(o.problems) - len(o.errors) for o in outcomes)
    if edition.record is None:  # the network's own errors: nothing else was read
        _remember(entries, network_key, listing, network_fetched.workbook)
        _save(state_path, state, entries, {}, checked)
        return report
    report.year = edition.record.programme.year
    state_path = out_dir / str(report.year) / STATE_FILE
    fetched = {f.sheet: f for f in edition.fetched[1:]}
    _remember(entries, network_key, listing, network_fetched.workbook)
    registered = {network_key}
    for outcome in outcomes[1:]:
        key = _key(outcome.sheet)
        if key is None:
            continue
        registered.add(key)
        if key in source.pulled:
            report.reread.append(outcome.name)
        workbook = fetched[outcome.sheet].workbook
        entry = _remember(entries, key, listing, workbook)
        if workbook is None:
            report.unreadable[outcome.name] = (
                outcome.problems[0].message if outcome.problems else ""
            )
            continue
        _feedback(
            report, entry, key, outcome, workbook, source, listing.get(key), writer, write, checked
        )
    for stale in set(entries) - registered:  # a workbook no longer registered
        del entries[stale]
    state.update(network=network_key, year=report.year)
    _save(state_path, state, entries, {}, checked)
    return report


def _key(sheet: str) -> str | None:
    try:
        return spreadsheet_id(sheet)
    except Exception:  # a `Feuille` cell that names no workbook: its problem is the network's
        return None


def _known(entries: dict[str, dict[str, Any]], listing: dict[str, Listed]) -> dict[str, str]:
    """The Drive time at which each workbook's snapshot is known to be current: the one read, or the
    one of recueil's own write when Google's answer showed the values untouched since the read."""
    known = {}
    for key, entry in entries.items():
        listed = listing.get(key)
        if entry.get("modified") is None:
            continue
        known[key] = entry["modified"]
        if listed and listed.modified != entry["modified"] and listed.by_us and entry.get("ours"):
            known[key] = listed.modified
    return known


def _changed(
    entries: dict[str, dict[str, Any]], known: dict[str, str], listing: dict[str, Listed]
) -> bool:
    for key, entry in entries.items():
        listed = listing.get(key)
        if listed is None:
            if not entry.get("missing"):
                return True  # it disappeared since: say so
        elif listed.modified != known.get(key):
            return True
    return False


def _remember(
    entries: dict[str, dict[str, Any]],
    key: str,
    listing: dict[str, Listed],
    workbook: Workbook | None,
) -> dict[str, Any]:
    entry = entries.setdefault(key, {})
    listed = listing.get(key)
    entry["missing"] = workbook is None and listed is None
    # A workbook that could not be read is read again at the next pass.
    entry["modified"] = (listed.modified if listed else workbook.modified) if workbook else None
    entry["ours"] = False
    return entry


def _save(
    path: Path | None,
    state: dict[str, Any],
    entries: dict[str, dict[str, Any]],
    known: dict[str, str],
    checked: dt.datetime,
) -> None:
    for key, modified in known.items():
        if key in entries and entries[key].get("modified") != modified:
            entries[key]["modified"], entries[key]["ours"] = modified, False
    state["workbooks"] = entries
    state["checked"] = checked.isoformat(timespec="seconds")
    if path is not None:
        save_state(path, state)


# --- one workbook's remarks


def note_text(problems: list[Problem]) -> str:
    """The note of a cell: recueil's prefix, then each problem and what is expected."""
    lines = []
    for problem in problems:
        found = f" (valeur trouvée : « {problem.found} »)" if problem.found else ""
        severity = "erreur" if problem.severity == "error" else "avertissement"
        lines.append(f"{severity} — {problem.message}{found}")
    body = "\n".join(lines)
    return f"{NOTE_PREFIX}{body}\nCette note disparaît d'elle-même une fois la cellule corrigée."


def _feedback(
    report: PassReport,
    entry: dict[str, Any],
    key: str,
    outcome: Outcome,
    workbook: Workbook,
    source: GoogleSource,
    listed: Listed | None,
    writer: Any,
    write: Write,
    checked: dt.datetime,
) -> None:
    """Write one workbook's remarks when they differ from those written last."""
    read = source.pulled.get(key)
    placed: dict[str, dict[str, Any]] = dict(entry.get("notes", {}))
    gids = dict(read.sheet_ids) if read else dict(entry.get("gids") or {})
    if not gids:
        gids = dict(source.snapshot_metadata(key).get("sheet_ids") or {})
    if read:  # what the group has put on its cells, as seen now
        entry["group_notes"] = sorted(
            f"{tab}!{cell}"
            for (tab, cell), text in read.notes.items()
            if not text.startswith(NOTE_PREFIX)
        )
        entry["group_colours"] = sorted(
            f"{tab}!{cell}"
            for (tab, cell), colour in read.backgrounds.items()
            if not _same_colour(colour, placed.get(f"{tab}!{cell}", {}).get("background"))
        )
    group_notes, group_colours = (
        set(entry.get("group_notes", [])),
        set(entry.get("group_colours", [])),
    )
    tabs = {match_key(name): name for name in gids}
    wanted = _wanted_notes(outcome.problems, tabs)
    digest = _digest(outcome.problems, wanted)
    if entry.get("digest") == digest and entry.get("gids", {}).items() <= gids.items():
        return
    requests = []
    for where in sorted(set(placed) - set(wanted)):  # fixed: recueil's own note and colour go
        mine = placed.pop(where)
        tab, cell = where.split("!")
        if tab not in gids:
            continue
        note = read.notes.get((tab, cell)) if read else mine.get("text")
        colour = read.backgrounds.get((tab, cell)) if read else mine.get("background")
        clear_note = bool(mine.get("text")) and (note is None or note.startswith(NOTE_PREFIX))
        clear_colour = bool(mine.get("background")) and (
            colour is None or _same_colour(colour, mine["background"])
        )
        if clear_note or clear_colour:
            row, column = _position(cell)
            requests.append(
                annotate(gids[tab], row, column, set_note=clear_note, set_background=clear_colour)
            )
    for where, (problems, severity) in sorted(wanted.items()):
        tab, cell = where.split("!")
        text = None if where in group_notes else note_text(problems)
        colour = None if where in group_colours else BACKGROUNDS[severity]
        mark = {"text": text, "background": colour}
        if placed.get(where) == mark or (text is None and colour is None):
            continue
        row, column = _position(cell)
        requests.append(
            annotate(
                gids[tab],
                row,
                column,
                note=text,
                background=colour,
                set_note=text is not None,
                set_background=colour is not None,
            )
        )
        placed[where] = mark
    requests += feedback_requests(outcome.problems, checked, key, gids)
    if listed is not None and not listed.can_edit:
        report.refused[outcome.name] = read_only(_account(writer))
        return
    try:
        answer = write(writer, key, requests)
    except Exception as error:  # one workbook's refusal must not stop the others
        report.refused[outcome.name] = write_refused(error, _account(writer))
        return
    report.written.append(outcome.name)
    after = answer.get("updatedSpreadsheet") or {}
    for sheet in after.get("sheets", []):
        gids[sheet["properties"]["title"]] = sheet["properties"]["sheetId"]
    entry.update(notes=placed, digest=digest, gids=gids)
    entry["ours"] = _untouched(workbook, after, key)


def _same_colour(one: dict[str, float] | None, other: dict[str, float] | None) -> bool:
    """Google gives colours back rounded: equal within a shade."""
    if not one or not other:
        return False
    return all(abs(one.get(c, 0.0) - other.get(c, 0.0)) < 0.01 for c in ("red", "green", "blue"))


def _account(writer: Any) -> str:
    return getattr(writer, "service_account_email", "")


def _wanted_notes(
    problems: tuple[Problem, ...], tabs: dict[str, str]
) -> dict[str, tuple[list[Problem], str]]:
    """The notes a workbook's problems call for, by `Tab!B3`: those that have a cell."""
    wanted: dict[str, tuple[list[Problem], str]] = {}
    for problem in problems:
        tab = tabs.get(match_key(problem.tab or ""))
        if tab is None or not problem.cell or not _A1.fullmatch(problem.cell):
            continue
        where = f"{tab}!{problem.cell}"
        listed, severity = wanted.get(where, ([], "warning"))
        wanted[where] = ([*listed, problem], "error" if problem.severity == "error" else severity)
    return wanted


def _position(cell: str) -> tuple[int, int]:
    match = _A1.fullmatch(cell)
    assert match, cell
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - ord("A") + 1
    assert a1(int(match.group(2)) - 1, column - 1) == cell
    return int(match.group(2)) - 1, column - 1


def _digest(problems: tuple[Problem, ...], wanted: dict[str, Any]) -> str:
    text = json.dumps(
        [[p.severity, p.tab, p.cell, p.found, p.message] for p in problems] + sorted(wanted),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _untouched(read: Workbook, after: dict[str, Any] | None, key: str) -> bool:
    """True when the values after recueil's write are those it read: the write's change to Drive's
    modified time is then recueil's own, and the next pass need not read the workbook again."""
    if not after:
        return False
    try:
        written, _ = grid_workbook(after, key, None)
    except Exception:
        return False
    return _values(written) == _values(read)


def _values(workbook: Workbook) -> dict[str, list[tuple[str, ...]]]:
    values = {}
    for tab in workbook.tabs:
        if tab.name == FEEDBACK_TAB:
            continue
        rows = [tuple(row[: _width(row)]) for row in tab.rows]
        while rows and not rows[-1]:
            rows.pop()
        values[tab.name] = rows
    return values


def _width(row: tuple[str, ...]) -> int:
    width = len(row)
    while width and not row[width - 1]:
        width -= 1
    return width
