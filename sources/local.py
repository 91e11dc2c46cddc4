"""Workbooks on disk: a folder of one CSV per tab, an .xlsx or an .ods file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

from sources import history
from sources.workbook import SourceError, Tab, Workbook

SPREADSHEET_SUFFIXES = (".xlsx", ".ods")
NETWORK_NAME = "reseau"


def read_workbook(path: Path, name: str | None = None) -> Workbook:
    """Read one workbook from a CSV folder, an .xlsx or an .ods file."""
    name = name or path.stem
    if path.is_dir():
        return _read_csv_folder(path, name)
    if not path.exists():
        raise SourceError(name, f"le classeur est introuvable ({path})")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, name)
    raise SourceError(
        name, f"format non pris en charge ({path.name}) : un dossier CSV, .xlsx ou .ods est attendu"
    )


def _modified(path: Path, files: list[Path] | None = None) -> str:
    """When the workbook last changed: its last commit when tracked and unchanged, else its file times."""
    committed = history.committed(path)
    if committed:
        return committed
    latest = max(p.stat().st_mtime for p in files or [path])
    return dt.datetime.fromtimestamp(latest, tz=dt.UTC).isoformat(timespec="seconds")


def _read_csv_folder(folder: Path, name: str) -> Workbook:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise SourceError(
            name, f"le dossier {folder.name}/ ne contient aucun onglet (fichier .csv)"
        )
    tabs, notices = [], []
    for file in files:
        rows, notice = _read_csv(file, name)
        tabs.append(Tab(file.stem, rows))
        if notice:
            notices.append(notice)
    modified = _saved_modified(folder) or _modified(folder, files)
    return Workbook(name, str(folder), tuple(tabs), tuple(notices), modified)


def _saved_modified(folder: Path) -> str | None:
    """For a saved workbook (a snapshot), the modification time its source had, not the copy's."""
    metadata = folder / "_recueil.json"
    if not metadata.is_file():
        return None
    try:
        return json.loads(metadata.read_text(encoding="utf-8")).get("modified")
    except (OSError, ValueError):
        return None


def _read_csv(file: Path, workbook: str) -> tuple[tuple[tuple[str, ...], ...], str | None]:
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            workbook,
            f"le fichier {file.name} n'est pas encodé en UTF-8 (octet illisible à la position "
            f"{error.start}) : enregistrez-le en « CSV UTF-8 »",
            tab=file.stem,
        ) from None
    delimiter, notice = _delimiter(text, file.name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = tuple(tuple(cell.replace("\r\n", "\n") for cell in row) for row in reader)
    except csv.Error as error:
        raise SourceError(
            workbook, f"le fichier {file.name} n'est pas un CSV lisible ({error})", tab=file.stem
        ) from None
    return rows, notice


def _delimiter(text: str, filename: str) -> tuple[str, str | None]:
    """Commas by contract; a French spreadsheet's export uses semicolons, read with a notice."""
    unquoted = re.sub(r'"[^"]*"', "", text)  # a separator inside a quoted cell is not one
    first_line = next((line for line in unquoted.splitlines() if line.strip()), "")
    if first_line.count(";") > first_line.count(","):
        return ";", f"le fichier {filename} est séparé par des points-virgules (lu quand même)"
    return ",", None


def _read_spreadsheet(path: Path, name: str) -> Workbook:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        tabs = tuple(
            Tab(sheet, _text_rows(book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)))
            for sheet in book.sheet_names
        )
    except Exception as error:  # calamine raises several unrelated types for damaged files
        raise SourceError(
            name, f"le fichier {path.name} est illisible ou endommagé ({type(error).__name__})"
        ) from None
    return Workbook(name, str(path), tabs, (), _modified(path))


def _text_rows(rows: list[list[object]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(cell_text(cell) for cell in row) for row in rows)


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person sees in the cell (14.0 is 14)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).replace("\r\n", "\n")


class LocalSource:
    """An edition folder: the network workbook `reseau` and the workbooks it names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.description = str(folder)

    def read_network(self) -> Workbook:
        """The network workbook: `reseau/`, `reseau.xlsx` or `reseau.ods`."""
        return read_workbook(self._locate(NETWORK_NAME), NETWORK_NAME)

    def read(self, sheet: str) -> Workbook:
        """The workbook a `Feuille` cell names, resolved inside the edition folder."""
        return read_workbook(self._locate(sheet), Path(sheet).stem or sheet)

    def keep_snapshots(self, folder: Path) -> None:
        """Nothing to do: local workbooks are already on disk."""

    def _locate(self, sheet: str) -> Path:
        candidate = (self.folder / sheet.strip()).resolve()
        # The name comes from a sheet: it must not lead outside the edition folder.
        if not candidate.is_relative_to(self.folder) or candidate == self.folder:
            raise SourceError(sheet, f"« {sheet} » ne désigne pas un classeur de l'édition")
        if candidate.exists():
            return candidate
        for suffix in SPREADSHEET_SUFFIXES:
            with_suffix = candidate.with_name(candidate.name + suffix)
            if with_suffix.exists():
                return with_suffix
        raise SourceError(
            sheet,
            f"classeur introuvable dans {self.folder.name}/ : un dossier {candidate.name}/ "
            f"ou un fichier {candidate.name}.xlsx ou .ods est attendu",
        )
