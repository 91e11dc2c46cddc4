"""Workbooks read from Google Sheets: one Drive listing tells which changed, one grid read each of
those, and the unchanged ones come from their snapshot on disk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sources.files import Budget, Overrun
from sources.google.auth import GoogleSettings, connect
from sources.google.drive import Listed, visible_spreadsheets
from sources.google.errors import read_refused, status_of
from sources.google.ids import is_google_reference, spreadsheet_id, workbook_address
from sources.local import SAVED_EDITION
from sources.snapshot import load_workbook, save_workbook
from sources.workbook import Notice, SourceError, Tab, Workbook, column_letter, match_key

# Values as displayed, and the notes and backgrounds a watch must not take for its own.
GRID_FIELDS = (
    "properties.title,sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowData(values(formattedValue,note,userEnteredFormat.backgroundColor))))"
)
NETWORK_SNAPSHOT = "reseau"


@dataclass(frozen=True)
class Annotations:
    """What a read saw beside the values: each tab's `gid`, and the notes and backgrounds of cells,
    keyed by (tab, A1 cell)."""

    sheet_ids: dict[str, int] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    backgrounds: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)


class GoogleSource:
    """An edition in Google Sheets: the network workbook and the workbooks its `Feuille` cells name.

    `snapshots`, an edition folder on disk, holds the last copy of each workbook: a workbook whose
    Drive `modifiedTime` is that of its copy is not downloaded again. Without a `client`, one is
    connected with `settings` on the first request.
    """

    def __init__(
        self,
        network: str,
        client: Any | None = None,
        snapshots: Path | None = None,
        out: Path | None = None,
        settings: GoogleSettings | None = None,
    ) -> None:
        self.network = network
        self._settings = settings or GoogleSettings()
        # An output folder whose editions' snapshots may hold the network workbook's last copy.
        self._out = out
        self.description = f"Google Sheets ({network})"
        self.remote = True
        self._client = client
        self._snapshots: Path | None = None
        self._network_workbook: Workbook | None = None
        self._network_metadata: dict[str, Any] = {}
        self._listing: dict[str, Listed] | None = None
        self.downloads = 0
        self.pulled: dict[str, Annotations] = {}  # the workbooks downloaded, by spreadsheet ID
        # Drive times at which a snapshot is known current though its own time differs (a watch's
        # write changed the time, not the values), by spreadsheet ID.
        self.known: dict[str, str] = {}
        if snapshots is not None:
            self._use_snapshots(snapshots)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connect(self._settings)
        return self._client

    def keep_snapshots(self, folder: Path) -> None:
        """Save every pulled workbook under `folder`, an edition folder readable offline."""
        self._use_snapshots(folder)
        if self._network_workbook is not None and self._network_metadata:
            self._save(
                NETWORK_SNAPSHOT, _local_network(self._network_workbook), self._network_metadata
            )

    def _use_snapshots(self, folder: Path) -> None:
        self._snapshots = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SAVED_EDITION).write_text('{"saved_by": "recueil"}\n', encoding="utf-8")

    def listed(self) -> dict[str, Listed]:
        """Every spreadsheet the service account sees, with its modified time: one Drive listing,
        made once for the source's whole read."""
        if self._listing is None:
            try:
                self._listing = visible_spreadsheets(self.client)
            except Exception as error:  # each workbook then asks Drive for itself, and says why
                if status_of(error) is None and not _network_fault(error):
                    raise
                self._listing = {}
        return self._listing

    def read_network(self) -> Workbook:
        """The network workbook; its snapshot when there is one and Google says it has not changed."""
        key = spreadsheet_id(self.network)
        saved = self._snapshots / NETWORK_SNAPSHOT if self._snapshots else None
        workbook, metadata = self._pull(key, "reseau", saved)
        # Read before the edition's year is known, the network has no snapshot folder yet: its last
        # copy is looked for below the output folder, so that its data keep their date (see _pull).
        earlier = self._earlier_network(key) if saved is None and metadata else None
        if earlier and earlier.modified and same_values(earlier, _local_network(workbook)):
            metadata["values_seen"] = workbook.modified
            workbook = replace(workbook, modified=earlier.modified)
        if metadata:
            self._network_workbook, self._network_metadata = workbook, metadata
            if saved is not None:
                self._save(NETWORK_SNAPSHOT, _local_network(workbook), metadata)
        else:
            self._network_workbook = workbook
        return workbook

    def _earlier_network(self, key: str) -> Workbook | None:
        """The newest saved copy of this network workbook among the output folder's editions."""
        if self._out is None:
            return None
        for folder in sorted(self._out.glob(f"*/snapshots/{NETWORK_SNAPSHOT}"), reverse=True):
            try:
                workbook, metadata = load_workbook(folder, folder.parent)
            except SourceError:
                continue
            if metadata.get("spreadsheet_id") == key:
                return workbook
        return None

    def read(self, sheet: str) -> Workbook:
        """A group's or contribution's workbook; its snapshot when Google says it has not changed."""
        key = spreadsheet_id(sheet)
        saved = self._snapshots / key if self._snapshots else None
        workbook, metadata = self._pull(key, sheet, saved)
        if saved is not None and metadata:
            self._save(key, workbook, metadata)
        return workbook

    def snapshot_metadata(self, key: str) -> dict[str, Any]:
        """What the snapshot of a workbook recorded (its tabs' `gid` among them); empty without one."""
        name = NETWORK_SNAPSHOT if key == spreadsheet_id(self.network) else key
        if self._snapshots is None or not (self._snapshots / name / "_recueil.json").is_file():
            return {}
        return load_workbook(self._snapshots / name, self._snapshots)[1]

    def _pull(self, key: str, sheet: str, saved: Path | None) -> tuple[Workbook, dict[str, Any]]:
        import gspread
        import requests

        http = self.client.http_client
        try:
            listed = self.listed().get(key)
            modified = (
                listed.modified if listed else http.get_file_drive_metadata(key).get("modifiedTime")
            )
            snapshot = None
            if saved is not None and (saved / "_recueil.json").is_file():
                snapshot, recorded = load_workbook(saved, self._snapshots)
                current = (
                    recorded.get("modified"),
                    recorded.get("values_seen"),
                    self.known.get(key),
                )
                if modified in current:
                    return snapshot, {}
            grid = http.fetch_sheet_metadata(
                key, params={"includeGridData": "true", "fields": GRID_FIELDS}
            )
        except (gspread.exceptions.APIError, requests.Timeout, requests.ConnectionError) as error:
            account = getattr(self.client, "service_account_email", "")
            raise SourceError(sheet, read_refused(status_of(error), key, account)) from None
        self.downloads += 1
        workbook, annotations = grid_workbook(grid, key, modified)
        self.pulled[key] = annotations
        metadata = {
            "spreadsheet_id": key,
            "title": grid.get("properties", {}).get("title", ""),
            "pulled": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sheet_ids": annotations.sheet_ids,
        }
        saved_form = _local_network(workbook) if key == spreadsheet_id(self.network) else workbook
        if snapshot is not None and snapshot.modified and same_values(snapshot, saved_form):
            # Drive's time moved for a note, a colour, a look or recueil's own `Contrôles` tab: the
            # data keep the date they had, and so do the documents that print them.
            workbook = replace(workbook, modified=snapshot.modified)
            metadata["values_seen"] = modified
        return workbook, metadata

    def _save(self, name: str, workbook: Workbook, metadata: dict[str, Any]) -> None:
        assert self._snapshots is not None
        save_workbook(workbook, self._snapshots / name, metadata)


# Tabs recueil writes itself: their changes are not the group's data.
OWN_TABS = {match_key("Contrôles")}


def same_values(before: Workbook, after: Workbook) -> bool:
    """Whether two reads of a workbook hold the same values, recueil's own tabs aside."""

    def values(workbook: Workbook) -> dict[str, tuple[tuple[str, ...], ...]]:
        # By name: a saved copy lists its tabs in another order than the workbook's.
        return {
            tab.name: tuple(_trimmed(row) for row in _trimmed_rows(tab.rows))
            for tab in workbook.tabs
            if match_key(tab.name) not in OWN_TABS
        }

    return values(before) == values(after)


def _trimmed(row: tuple[str, ...]) -> tuple[str, ...]:
    """A row without its trailing empty cells: a saved copy (CSV) does not keep them all."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return tuple(row[:end])


def _trimmed_rows(rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    end = len(rows)
    while end and not any(rows[end - 1]):
        end -= 1
    return rows[:end]


def _network_fault(error: BaseException) -> bool:
    import requests

    return isinstance(error, (requests.Timeout, requests.ConnectionError))


def grid_workbook(
    grid: dict[str, Any], key: str, modified: str | None
) -> tuple[Workbook, Annotations]:
    """The Sheets API's grid data as a workbook of text cells (row numbers kept, within the limits),
    and the notes and backgrounds beside them."""
    tabs = []
    budget = Budget()
    annotations = Annotations()
    for sheet in grid.get("sheets", []):
        name = sheet["properties"]["title"]
        annotations.sheet_ids[name] = sheet["properties"].get("sheetId", 0)
        rows: list[tuple[str, ...]] = []
        for block in sheet.get("data", []):
            start_row, start_column = block.get("startRow", 0), block.get("startColumn", 0)
            for offset, row in enumerate(block.get("rowData", [])):
                index = start_row + offset
                rows.extend(() for _ in range(index - len(rows)))
                values = row.get("values", [])
                rows.append(
                    tuple([""] * start_column + [str(v.get("formattedValue", "")) for v in values])
                )
                for column, value in enumerate(values, start_column):
                    cell = f"{column_letter(column)}{index + 1}"
                    if value.get("note"):
                        annotations.notes[(name, cell)] = value["note"]
                    colour = value.get("userEnteredFormat", {}).get("backgroundColor")
                    if colour:
                        annotations.backgrounds[(name, cell)] = colour
        try:
            tabs.append(Tab(name, budget.take(name, rows)))
        except Overrun as overrun:
            raise SourceError(key, f"le classeur {overrun.message}", tab=overrun.tab) from None
    title = grid.get("properties", {}).get("title") or key
    notices = tuple(Notice(*notice) for notice in budget.notices)
    return Workbook(title, workbook_address(key), tuple(tabs), notices, modified), annotations


def _local_network(workbook: Workbook) -> Workbook:
    """The network workbook with its `Feuille` cells made snapshot folder names (spreadsheet IDs)."""
    tabs = []
    for tab in workbook.tabs:
        if match_key(tab.name) not in ("groupes", "contributions") or not tab.rows:
            tabs.append(tab)
            continue
        header = [match_key(cell) for cell in tab.rows[0]]
        column = header.index("feuille") if "feuille" in header else None
        rows = [tab.rows[0]]
        for row in tab.rows[1:]:
            if column is not None and column < len(row) and is_google_reference(row[column]):
                row = (*row[:column], spreadsheet_id(row[column]), *row[column + 1 :])
            rows.append(row)
        tabs.append(Tab(tab.name, tuple(rows)))
    return Workbook(
        workbook.name, workbook.location, tuple(tabs), workbook.notices, workbook.modified
    )
