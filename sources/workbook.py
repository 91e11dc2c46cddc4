"""The workbook shape every source speaks, and the matching rules of SHEETS.md."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

_SPACES = re.compile(r"\s+")


def match_key(text: str) -> str:
    """Key under which tab names, labels and headers match: no case, accents, extra spaces or ':'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = _SPACES.sub(" ", bare.casefold()).strip()
    return bare.removesuffix(":").rstrip()


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class Tab:
    """One tab as read: every row, blank ones included, so that row i is spreadsheet row i + 1."""

    name: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Notice:
    """Something the reading noticed in a workbook that its report must say (French)."""

    message: str
    tab: str | None = None
    cell: str | None = None
    severity: str = "warning"


@dataclass(frozen=True)
class Workbook:
    """A workbook as read from any source: tabs of text cells, plus what the reading noticed."""

    name: str
    location: str
    tabs: tuple[Tab, ...]
    notices: tuple[Notice, ...] = field(default=())
    modified: str | None = None

    def tab(self, wanted: str) -> Tab | None:
        """The tab whose name matches `wanted` under the matching rules, if any."""
        key = match_key(wanted)
        for tab in self.tabs:
            if match_key(tab.name) == key:
                return tab
        return None


class SourceError(Exception):
    """A workbook could not be read; the message is French and meant for the people who fill it."""

    def __init__(
        self,
        workbook: str,
        message: str,
        tab: str | None = None,
        cell: str | None = None,
        *,
        reference: bool = False,
    ) -> None:
        super().__init__(message)
        self.workbook = workbook
        self.tab = tab
        self.cell = cell
        self.message = message
        # True when the cause is the `Feuille` cell naming the workbook, not the workbook itself.
        self.reference = reference


class Source(Protocol):
    """Where an edition's workbooks come from."""

    description: str
    # True when each read waits on the network (Google): the build reads such workbooks side by
    # side, a task each; files on disk are read in one task for them all.
    remote: bool

    def read_network(self) -> Workbook:
        """The network workbook of the edition."""
        ...

    def read(self, sheet: str) -> Workbook:
        """The workbook that a `Feuille` cell names."""
        ...

    def keep_snapshots(self, folder: Path) -> None:
        """Save what is read from now on (and the network workbook) as an edition under `folder`."""
        ...
