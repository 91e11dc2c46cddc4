"""Writing into Google Sheets: a new workbook, and the requests that put recueil's remarks in a
workbook (a tab of text and links, notes and backgrounds on cells) without ever touching a value of
the group's. Every text goes in as a string value: nothing recueil writes can become a formula."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sources.workbook import column_letter

SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
# Only the note, or only the background: a field mask never reaches a cell's value or other formats.
NOTE = "note"
BACKGROUND = "userEnteredFormat.backgroundColor"
TEXT = "userEnteredValue,textFormatRuns"


@dataclass(frozen=True)
class Cell:
    """A written cell: its text, and the address its whole text links to, if any."""

    text: str
    link: str | None = None


def sheet_ids(client: Any, key: str) -> dict[str, int]:
    """Each tab's `gid` (the sheetId that addresses and links use), by title: one request."""
    metadata = client.http_client.fetch_sheet_metadata(
        key, params={"fields": "sheets.properties(sheetId,title)"}
    )
    return {
        s["properties"]["title"]: s["properties"]["sheetId"] for s in metadata.get("sheets", [])
    }


def batch_update(
    client: Any, key: str, requests: list[dict[str, Any]], *, values_after: bool = False
) -> dict[str, Any]:
    """Apply `requests` in one call; with `values_after`, Google's answer holds the workbook's values
    as they stand once the requests are applied (what a watch compares with what it read)."""
    body: dict[str, Any] = {"requests": requests}
    params: dict[str, Any] = {}
    if values_after:
        body |= {"includeSpreadsheetInResponse": True, "responseIncludeGridData": True}
        params["fields"] = (
            "updatedSpreadsheet(sheets(properties(sheetId,title),"
            "data(startRow,startColumn,rowData(values(formattedValue)))))"
        )
    answer = client.http_client.request(
        "post", f"{SHEETS_API}/{key}:batchUpdate", params=params, json=body
    )
    return answer.json()


def _cell_range(sheet_id: int, row: int, column: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": row,
        "endRowIndex": row + 1,
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }


def annotate(
    sheet_id: int,
    row: int,
    column: int,
    *,
    note: str | None = None,
    background: dict[str, float] | None = None,
    set_note: bool = False,
    set_background: bool = False,
) -> dict[str, Any]:
    """Set one cell's note (`set_note`; None removes it) and/or its background (`set_background`;
    None removes it), 0-based row and column. The field mask names only those: nothing else of the
    cell, its value least of all, can change."""
    assert set_note or set_background
    value: dict[str, Any] = {}
    fields = []
    if set_note:
        fields.append(NOTE)
        if note:
            value["note"] = note
    if set_background:
        fields.append(BACKGROUND)
        if background:
            value["userEnteredFormat"] = {"backgroundColor": background}
    return {
        "updateCells": {
            "range": _cell_range(sheet_id, row, column),
            "rows": [{"values": [value]}],
            "fields": ",".join(fields),
        }
    }


def replace_tab(
    existing: dict[str, int], title: str, rows: list[list[Cell]], new_id: int
) -> list[dict[str, Any]]:
    """The requests that make tab `title` hold `rows` and nothing else (created, with sheetId
    `new_id`, when missing): text as string values, a link as a link on the cell's whole text."""
    requests: list[dict[str, Any]] = []
    sheet_id = existing.get(title)
    if sheet_id is None:
        sheet_id = new_id
        requests.append({"addSheet": {"properties": {"title": title, "sheetId": sheet_id}}})
    else:  # what an earlier check wrote there, its links included
        requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": TEXT}})
    written = []
    for row in rows:
        values = []
        for cell in row:
            value: dict[str, Any] = {"userEnteredValue": {"stringValue": cell.text}}
            if cell.link and cell.text:
                value["textFormatRuns"] = [
                    {"startIndex": 0, "format": {"link": {"uri": cell.link}}}
                ]
            values.append(value)
        written.append({"values": values})
    requests.append(
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": written,
                "fields": TEXT,
            }
        }
    )
    return requests


def free_sheet_id(existing: dict[str, int], wanted: int) -> int:
    """A sheetId no tab has, near `wanted` (an ID a request may choose for a new tab)."""
    while wanted in existing.values():
        wanted += 1
    return wanted


def create_spreadsheet(client: Any, body: dict[str, Any]) -> tuple[str, dict[str, int]]:
    """A new spreadsheet as `body` describes it: its ID and each tab's sheetId by title."""
    created = client.http_client.request("post", SHEETS_API, json=body).json()
    return created["spreadsheetId"], {
        s["properties"]["title"]: s["properties"]["sheetId"] for s in created["sheets"]
    }


def put_values(client: Any, key: str, ranges: dict[str, list[list[str]]]) -> None:
    """Write plain values (RAW: stored as typed, never parsed as formulas), one block per A1 range."""
    data = [{"range": where, "values": values} for where, values in ranges.items()]
    client.http_client.values_batch_update(key, {"valueInputOption": "RAW", "data": data})


def share(client: Any, key: str, address: str) -> None:
    """Give `address` the right to edit the workbook, telling them by mail."""
    client.http_client.insert_permission(key, address, perm_type="user", role="writer", notify=True)


def dropdown(sheet_id: int, column: int, values: list[str], rows: int) -> dict[str, Any]:
    """A drop-down list (values outside it still accepted) in `column`, below the header row."""
    return {
        "setDataValidation": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": 1,
                "endRowIndex": rows,
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


def bold(sheet_id: int, rows: int, columns: int) -> dict[str, Any]:
    """The top-left `rows` × `columns` cells in bold, wrapped."""
    return {
        "repeatCell": {
            "range": {"sheetId": sheet_id, "endRowIndex": rows, "endColumnIndex": columns},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}, "wrapStrategy": "WRAP"}},
            "fields": "userEnteredFormat(textFormat,wrapStrategy)",
        }
    }


def a1(row: int, column: int) -> str:
    """`B3` for row 2, column 1 (0-based)."""
    return f"{column_letter(column)}{row + 1}"
