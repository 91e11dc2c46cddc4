"""An edition folder on disk: the network workbook `reseau` and the workbooks it names."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from sources.files import shown
from sources.reading import SPREADSHEET_SUFFIXES, read_workbook
from sources.workbook import SourceError, Workbook

NETWORK_NAME = "reseau"
SAVED_EDITION = "_recueil-edition.json"
_NAME_BYTES = 255  # the longest file name most file systems accept
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")


class LocalSource:
    """An edition folder: the network workbook `reseau` and the workbooks it names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.description = str(folder)
        self.remote = False
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
