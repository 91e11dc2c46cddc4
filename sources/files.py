"""Files of a local edition, opened only when they are what they claim to be, and only so far.

A workbook's files come from people outside recueil. Each one must be a regular file (a FIFO, a device or
a socket would block or never end), reached inside the edition folder (no symbolic or hard link leading
elsewhere, `/proc` never), and no larger than the limits below. Every local file recueil reads goes
through `read_contained`, and every folder through `contained`.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from sources.workbook import SourceError, column_letter

# What one workbook may cost. Each overrun is a French error on that workbook alone (README, « Limites »).
MAX_FILE_BYTES = 16 * 2**20  # one file on disk: a CSV tab, an .xlsx or .ods file
MAX_UNCOMPRESSED_BYTES = 64 * 2**20  # all the members of an .xlsx/.ods zip, uncompressed
MAX_ROWS = 10_000  # rows of one tab (also the last row an .xlsx sheet may declare or use)
MAX_COLUMNS = 200  # columns of one tab (also the last column an .xlsx sheet may declare or use)
MAX_CELL_CHARS = (
    200_000  # characters of one cell (about 4 s of layout); longer ones are cut, warned
)
MAX_WORKBOOK_CHARS = 32 * 2**20  # characters of all the cells of one workbook
MAX_TABS = 50  # tabs of one workbook
SPREADSHEET_SECONDS = 60  # time to read one .xlsx/.ods file
SPREADSHEET_MEMORY = 2 * 2**30  # address space of the process reading one .xlsx/.ods file

_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))
# Characters no document can hold (XML 1.0 refuses them): removed from cells, with a warning.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def megabytes(size: int) -> str:
    """A size in French: `16 Mo`."""
    return f"{size / 2**20:.0f} Mo" if size >= 2**20 else f"{size} octets"


def shown(text: str) -> str:
    """A name as the messages show it: look-alike characters (Cyrillic « о », a decomposed « é »,
    a control character) are made visible by their code point, so that two names that look the same
    never get the same message."""
    visible = []
    for char in text:
        plain = char.isascii() and char.isprintable()
        latin = char.isalpha() and _latin(char) and _composed(char)
        visible.append(char if plain or latin or char in "’«»–—" else f"<U+{ord(char):04X}>")
    return "".join(visible)


def _latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")


def _composed(char: str) -> bool:
    return unicodedata.normalize("NFC", char) == char


def _refuse(workbook: str, name: str, why: str, tab: str | None) -> SourceError:
    return SourceError(workbook, f"le fichier {shown(name)} {why} : il n'est pas lu", tab=tab)


def contained(
    path: Path, root: Path, workbook: str, *, folder: bool = False, tab: str | None = None
) -> Path:
    """`path` resolved, once it is known to be a regular file (or a folder) inside `root`."""
    name = _relative(path, root)
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise _refuse(
            workbook, name, "est introuvable, ou un lien vers un fichier absent", tab
        ) from None
    except (OSError, RuntimeError):  # a symbolic link loop, a name too long, a NUL byte
        raise _refuse(
            workbook, name, "est un lien symbolique en boucle ou un nom illisible", tab
        ) from None
    if not resolved.is_relative_to(root) or any(resolved.is_relative_to(t) for t in _SYSTEM_TREES):
        raise _refuse(workbook, name, "est un lien qui mène hors du dossier de l'édition", tab)
    info = os.stat(resolved)
    if folder:
        if not stat.S_ISDIR(info.st_mode):
            raise _refuse(workbook, name, "n'est pas un dossier", tab)
        return resolved
    _check_regular(info, workbook, name, tab)
    return resolved


def _check_regular(info: os.stat_result, workbook: str, name: str, tab: str | None) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(
            workbook,
            name,
            "n'est pas un fichier ordinaire (tube, périphérique, socket ou dossier)",
            tab,
        )
    if info.st_nlink > 1:
        # A hard link is indistinguishable from the file it shares: it may be any file of the machine.
        raise _refuse(workbook, name, "est un lien physique vers un autre fichier (copiez-le)", tab)
    if info.st_size > MAX_FILE_BYTES:
        raise _refuse(
            workbook,
            name,
            f"fait {megabytes(info.st_size)}, plus que la limite de {megabytes(MAX_FILE_BYTES)}",
            tab,
        )


def read_contained(path: Path, root: Path, workbook: str, tab: str | None = None) -> bytes:
    """The bytes of a regular file inside `root`, at most MAX_FILE_BYTES, without ever blocking."""
    resolved = contained(path, root, workbook, tab=tab)
    name = _relative(path, root)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(resolved, flags)
    except OSError as error:
        raise _refuse(workbook, name, f"ne peut pas être ouvert ({error.strerror})", tab) from None
    with os.fdopen(descriptor, "rb") as file:
        # Checked again on what was opened: the name may have been swapped since.
        _check_regular(os.fstat(file.fileno()), workbook, name, tab)
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(workbook, name, f"dépasse la limite de {megabytes(MAX_FILE_BYTES)}", tab)
    return data


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


class Overrun(Exception):
    """A tab beyond one of the limits; the message (French) follows the file's name."""

    def __init__(self, message: str, tab: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tab = tab


class Budget:
    """The limits of one workbook, spent tab by tab as it is read; what it cut, as notices."""

    def __init__(self) -> None:
        self.characters = 0
        self.tabs = 0
        self.notices: list[tuple[str, str | None, str | None]] = []

    def take(self, tab: str, rows: Iterable[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
        """The rows of one tab, read no further than the limits allow; an overrun raises Overrun."""
        self.tabs += 1
        if self.tabs > MAX_TABS:
            raise Overrun(f"compte plus de {MAX_TABS} onglets, la limite de recueil")
        kept = []
        for number, row in enumerate(rows, start=1):
            if number > MAX_ROWS:
                raise Overrun(
                    f"a plus de {MAX_ROWS} lignes dans l'onglet « {tab} », la limite de recueil",
                    tab,
                )
            cells = list(row)
            while len(cells) > MAX_COLUMNS and not cells[-1]:
                cells.pop()  # a spreadsheet's empty end of row, not columns
            if len(cells) > MAX_COLUMNS:
                raise Overrun(
                    f"a plus de {MAX_COLUMNS} colonnes dans l'onglet « {tab} » (ligne {number}), "
                    "la limite de recueil",
                    tab,
                )
            for index, cell in enumerate(cells):
                if _CONTROL.search(cell):
                    found = sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(cell)})
                    cell = cells[index] = _CONTROL.sub("", cell)
                    self.notices.append(
                        (
                            f"{'caractères' if len(found) > 1 else 'caractère'} de contrôle "
                            f"{', '.join(found[:3])} {'retirés' if len(found) > 1 else 'retiré'} "
                            "de la cellule",
                            tab,
                            f"{column_letter(index)}{number}",
                        )
                    )
                if len(cell) > MAX_CELL_CHARS:
                    cells[index] = cell[:MAX_CELL_CHARS] + "…"
                    self.notices.append(
                        (
                            f"cellule de {len(cell)} caractères, coupée aux {MAX_CELL_CHARS} premiers "
                            "(limite de recueil)",
                            tab,
                            f"{column_letter(index)}{number}",
                        )
                    )
                self.characters += len(cells[index])
            if self.characters > MAX_WORKBOOK_CHARS:
                raise Overrun(
                    f"contient plus de {MAX_WORKBOOK_CHARS} caractères, la limite de recueil", tab
                )
            kept.append(tuple(cells))
        return tuple(kept)


def new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder in `parent`, with the permissions the user's umask gives.

    Unlike `tempfile.mkdtemp` (always 0700), so that a published edition staged in it can be read by
    a web server, a shared folder or a worker running under another account when the umask allows it.
    """
    import secrets

    while True:
        folder = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            folder.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return folder


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a whole file or nothing: a reader never sees half of it, a crash leaves the old one.

    Written beside its place under a name no other writer uses, then renamed over it; the file gets
    the permissions the user's umask gives (unlike `tempfile.mkstemp`, always 0600).
    """
    import secrets

    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partiel")
    try:
        with partial.open("xb") as file:
            file.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
