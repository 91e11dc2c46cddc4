"""Workbooks on disk: a folder of one CSV per tab, an .xlsx or an .ods file."""

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
NETWORK_NAME = "reseau"
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


SAVED_EDITION = "_recueil-edition.json"
_NAME_BYTES = 255  # the longest file name most file systems accept
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


class LocalSource:
    """An edition folder: the network workbook `reseau` and the workbooks it names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.description = str(folder)
        # Only an edition recueil saved itself (snapshots pulled from Google) carries its sources'
        # dates in `_recueil.json`; in any other folder such a file is data like any other, ignored.
        self.saved = (self.folder / SAVED_EDITION).is_file()

    def read_network(self) -> Workbook:
        """The network workbook: `reseau/`, `reseau.xlsx` or `reseau.ods`."""
        return self._read(self._locate(NETWORK_NAME), NETWORK_NAME)

    def read(self, sheet: str) -> Workbook:
        """The workbook a `Feuille` cell names, resolved inside the edition folder."""
        path = self._locate(sheet)
        return self._read(path, Path(sheet.strip()).stem or sheet)

    def keep_snapshots(self, folder: Path) -> None:
        """Nothing to do: local workbooks are already on disk."""

    def _read(self, path: Path, name: str) -> Workbook:
        if not self.saved or not path.is_dir():
            return read_workbook(path, name, self.folder)
        from sources.snapshot import load_workbook

        saved, _ = load_workbook(path, self.folder)
        return Workbook(name, str(path), saved.tabs, saved.notices, saved.modified)

    def _locate(self, sheet: str) -> Path:
        """The path a `Feuille` cell names; every error here is the cell's, not the workbook's."""
        wanted = sheet.strip()
        invisible = [c for c in wanted if unicodedata.category(c) in _INVISIBLE]
        if invisible:
            raise SourceError(
                sheet,
                f"« {shown(wanted)} » contient un caractère invisible ou de contrôle "
                f"({', '.join(f'U+{ord(c):04X}' for c in invisible[:3])}) : réécrivez le nom",
                reference=True,
            )
        longest = max((len(part.encode()) for part in Path(wanted).parts), default=0)
        if longest > _NAME_BYTES:
            raise SourceError(
                sheet,
                f"nom de classeur trop long ({len(wanted)} caractères) : un nom de dossier ou de "
                f"fichier de l'édition est attendu ({_NAME_BYTES} octets au plus)",
                reference=True,
            )
        normal = os.path.normpath(wanted) if wanted else "."
        if os.path.isabs(normal) or normal == "." or normal.split(os.sep)[0] == "..":
            raise SourceError(
                sheet, f"« {shown(sheet)} » ne désigne pas un classeur de l'édition", reference=True
            )
        candidate = self.folder / normal
        for path in (
            candidate,
            *(candidate.with_name(candidate.name + s) for s in SPREADSHEET_SUFFIXES),
        ):
            if os.path.lexists(path):
                return path  # what it is, and where it leads, is checked when it is read
        same = self._written_otherwise(candidate)
        if same is not None:
            return same
        raise SourceError(
            sheet,
            f"classeur introuvable dans {shown(self.folder.name)}/ : un dossier "
            f"{shown(candidate.name)}/ ou un fichier {shown(candidate.name)}.xlsx ou .ods est "
            f"attendu{self._look_alike(candidate)}",
            reference=True,
        )

    def _written_otherwise(self, candidate: Path) -> Path | None:
        """The entry whose name is the candidate's in another Unicode form (a decomposed « é »)."""
        wanted = {
            unicodedata.normalize("NFC", candidate.name + s) for s in ("", *SPREADSHEET_SUFFIXES)
        }
        if not candidate.parent.is_dir():
            return None
        with os.scandir(candidate.parent) as entries:
            for entry in entries:
                if unicodedata.normalize("NFC", entry.name) in wanted:
                    return candidate.parent / entry.name
        return None

    def _look_alike(self, candidate: Path) -> str:
        import difflib

        if not candidate.parent.is_dir():
            return ""
        with os.scandir(candidate.parent) as entries:
            names = [e.name for e in entries if not e.name.startswith((".", "_"))]
        close = difflib.get_close_matches(candidate.name, names, n=1, cutoff=0.8)
        if not close:
            return ""
        hint = f" ; le plus proche est « {shown(close[0])} »"
        if shown(candidate.name) != candidate.name:
            hint += " (le nom cherché contient un caractère non latin, montré par son code U+…)"
        return hint
