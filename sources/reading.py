"""Reading one workbook on disk: a folder of one CSV per tab, an .xlsx or an .ods file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from pathlib import Path

from sources import history
from sources.files import MAX_FILE_BYTES, Budget, Overrun, contained, read_contained, shown
from sources.workbook import Notice, SourceError, Tab, Workbook

SPREADSHEET_SUFFIXES = (".xlsx", ".ods")
# A cell may be as long as a file (a long Markdown `Texte`); the cell limit is MAX_CELL_CHARS.
csv.field_size_limit(MAX_FILE_BYTES)


def read_workbook(path: Path, name: str | None = None, root: Path | None = None) -> Workbook:
    """Read one workbook from a CSV folder, an .xlsx or an .ods file, every file inside `root`.

    `root` is the edition folder (by default the folder that holds `path`): no file is read that is
    not a regular file inside it (see `sources.files`).
    """
    name = name or path.stem
    root = (root or path.absolute().parent).resolve()
    if path.is_dir():
        return _read_csv_folder(contained(path, root, name, folder=True), name, root)
    if path.is_symlink() and not path.exists():  # a loop, or a link to nothing
        contained(path, root, name)
    if not os.path.lexists(path):
        raise SourceError(name, f"le classeur est introuvable ({shown(str(path))})")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, name, root)
    raise SourceError(
        name,
        f"format non pris en charge ({shown(path.name)}) : un dossier CSV, .xlsx ou .ods est attendu",
    )


def _modified(path: Path, files: list[Path] | None = None) -> str:
    """When the workbook last changed: its last commit when tracked and unchanged, else its file times."""
    committed = history.committed(path)
    if committed:
        return committed
    latest = max(p.stat().st_mtime for p in files or [path])
    return dt.datetime.fromtimestamp(latest, tz=dt.UTC).isoformat(timespec="seconds")


def _read_csv_folder(folder: Path, name: str, root: Path) -> Workbook:
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.lower().endswith(".csv"))
    if not names:
        raise SourceError(
            name, f"le dossier {shown(folder.name)}/ ne contient aucun onglet (fichier .csv)"
        )
    tabs, notices = [], []
    budget = Budget()
    for filename in names:
        tab = unicodedata.normalize("NFC", filename[: -len(".csv")])
        raw = read_contained(folder / filename, root, name, tab)
        rows, notice = _read_csv(raw, filename, tab, name, budget)
        tabs.append(Tab(tab, rows))
        if notice:
            notices.append(notice)
    notices += [Notice(*notice) for notice in budget.notices]
    modified = _modified(folder, [folder / n for n in names])
    return Workbook(name, str(folder), tuple(tabs), tuple(notices), modified)


def _read_csv(
    raw: bytes, filename: str, tab: str, workbook: str, budget: Budget
) -> tuple[tuple[tuple[str, ...], ...], Notice | None]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            workbook,
            f"le fichier {shown(filename)} n'est pas encodé en UTF-8 (octet illisible à la position "
            f"{error.start}) : enregistrez-le en « CSV UTF-8 »",
            tab=tab,
        ) from None
    delimiter, notice = _delimiter(text, filename, tab)
    # strict: an unbalanced quote is an error, not the rest of the tab swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    cells = ([cell.replace("\r\n", "\n") for cell in row] for row in reader)
    try:
        rows = budget.take(tab, cells)
    except Overrun as overrun:
        raise SourceError(
            workbook, f"le fichier {shown(filename)} {overrun.message}", tab=tab
        ) from None
    except csv.Error:
        raise SourceError(
            workbook,
            f"le fichier {shown(filename)} n'est pas un CSV lisible à la ligne {reader.line_num} : "
            "un guillemet « \" » ouvert n'est pas refermé, ou du texte le suit dans la cellule",
            tab=tab,
        ) from None
    return rows, notice


def _delimiter(text: str, filename: str, tab: str) -> tuple[str, Notice | None]:
    """Commas by contract; a French spreadsheet's export uses semicolons, read with a notice."""
    unquoted = re.sub(r'"[^"]*"', "", text[:65536])  # a separator inside a quoted cell is not one
    first_line = next((line for line in unquoted.splitlines() if line.strip()), "")
    if first_line.count(";") > first_line.count(","):
        message = f"le fichier {shown(filename)} est séparé par des points-virgules (lu quand même)"
        return ";", Notice(message, tab)
    return ",", None


def _read_spreadsheet(path: Path, name: str, root: Path) -> Workbook:
    from sources import spreadsheet

    data = read_contained(path, root, name)
    tabs, notices = spreadsheet.read(data, shown(path.name), name)
    return Workbook(name, str(path), tuple(tabs), tuple(notices), _modified(path))
