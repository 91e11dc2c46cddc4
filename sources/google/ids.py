"""Addresses and identifiers: what a `Feuille` cell names, and the address that opens a cell."""

from __future__ import annotations

import re

from sources.workbook import SourceError

_ID_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
SPREADSHEETS_WEB = "https://docs.google.com/spreadsheets/d"


def spreadsheet_id(reference: str) -> str:
    """The spreadsheet ID of a `Feuille` cell: an ID, or a Google Sheets address holding one."""
    reference = reference.strip()
    match = _ID_IN_URL.search(reference)
    if match:
        return match.group(1)
    if _BARE_ID.match(reference):
        return reference
    raise SourceError(
        reference,
        "« Feuille » doit contenir l'identifiant ou l'adresse d'un classeur Google Sheets "
        "(https://docs.google.com/spreadsheets/d/…)",
    )


def is_google_reference(reference: str) -> bool:
    """True when a `Feuille` cell names a Google Sheets workbook (an ID or an address)."""
    return bool(_ID_IN_URL.search(reference) or _BARE_ID.match(reference.strip()))


def workbook_address(key: str) -> str:
    return f"{SPREADSHEETS_WEB}/{key}"


def cell_address(key: str, gid: int, cell: str | None = None) -> str:
    """The address that opens a workbook on a tab (its `gid`), at a cell when one is given."""
    address = f"{SPREADSHEETS_WEB}/{key}/edit#gid={gid}"
    return f"{address}&range={cell}" if cell else address
