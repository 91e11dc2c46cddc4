""".xlsx and .ods files, read by python-calamine in a process of their own.

calamine is native code: a file declaring a huge sheet makes it allocate without bound and abort the
whole process (SIGABRT), and a file built to be slow keeps it busy. So the bytes (already read through
`sources.files`, never a path) are first checked here (zip members and their uncompressed size, declared
sheet dimensions and cell references), then handed to a child process with a memory and time limit; an
abort, a timeout or an overrun costs that workbook only, with a French error.

`python -m sources.spreadsheet` is that child: bytes on stdin, the tabs as JSON on stdout.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

from sources import files
from sources.files import (
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    SPREADSHEET_MEMORY,
    SPREADSHEET_SECONDS,
    megabytes,
)
from sources.workbook import Notice, SourceError, Tab, column_letter

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL_REFERENCE = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,7})"')
_CHUNK = 1 << 20
READER = [sys.executable, "-m", "sources.spreadsheet"]  # the child process, reading stdin


def read(data: bytes, filename: str, workbook: str) -> tuple[list[Tab], list[Notice]]:
    """The tabs of an .xlsx/.ods file's bytes and what their bounds noticed, read in a child process."""
    _check_zip(data, filename, workbook)
    try:
        done = subprocess.run(
            READER,
            input=data,
            capture_output=True,
            timeout=SPREADSHEET_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            workbook,
            f"le fichier {filename} n'a pas pu être lu en {SPREADSHEET_SECONDS} secondes : "
            "réenregistrez-le depuis le tableur (ou exportez ses onglets en CSV)",
        ) from None
    if done.returncode != 0:
        raise SourceError(
            workbook,
            f"le fichier {filename} est illisible ou endommagé (le lecteur s'est arrêté, "
            f"code {done.returncode}) : réexportez-le depuis le tableur",
        )
    answer = json.loads(done.stdout)
    if "error" in answer:
        raise SourceError(
            workbook, f"le fichier {filename} {answer['error']}", tab=answer.get("tab")
        )
    tabs = [Tab(name, tuple(tuple(row) for row in rows)) for name, rows in answer["tabs"]]
    return tabs, [Notice(*notice) for notice in answer["notices"]]


def _check_zip(data: bytes, filename: str, workbook: str) -> None:
    """Refuse, before any allocation, a file whose zip or sheets declare more than the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SourceError(
            workbook, f"le fichier {filename} est illisible ou endommagé (ce n'est pas un classeur)"
        ) from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SourceError(
            workbook,
            f"le fichier {filename} contient {megabytes(total)} une fois décompressé, plus que la "
            f"limite de {megabytes(MAX_UNCOMPRESSED_BYTES)}",
        )
    for member in members:
        if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
            rows, columns = _xlsx_extent(archive, member)
        else:
            continue
        if rows > MAX_ROWS or columns > MAX_COLUMNS:
            raise SourceError(
                workbook,
                f"le fichier {filename} a une feuille qui s'étend jusqu'à la cellule "
                f"{column_letter(max(columns, 1) - 1)}{rows} ({rows} lignes, {columns} colonnes), "
                f"plus que la limite de {MAX_ROWS} lignes et {MAX_COLUMNS} colonnes",
            )


def _chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo):
    """The member's bytes in overlapping chunks, so that no tag is cut between two of them."""
    tail = b""
    with archive.open(member) as stream:
        while block := stream.read(_CHUNK):
            yield tail + block
            tail = block[-256:]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _xlsx_extent(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int]:
    """The last row and column a worksheet declares or references."""
    rows = columns = 0
    for chunk in _chunks(archive, member):
        for match in _DIMENSION.finditer(chunk):
            for letters, digits in ((match[1], match[2]), (match[3], match[4])):
                if letters:
                    rows, columns = max(rows, int(digits)), max(columns, _column_number(letters))
        for match in _CELL_REFERENCE.finditer(chunk):
            rows = max(rows, int(match[2]))
            columns = max(columns, _column_number(match[1]))
        for match in _ROW_NUMBER.finditer(chunk):
            rows = max(rows, int(match[1]))
    return rows, columns


def _child() -> None:
    """Read the workbook on stdin under a memory limit; print its tabs (or a French error) as JSON."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (SPREADSHEET_MEMORY, SPREADSHEET_MEMORY))
    from python_calamine import CalamineWorkbook

    from sources.local import cell_text

    data = sys.stdin.buffer.read()
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tabs = []
        budget = files.Budget()
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = [
                [cell_text(cell) for cell in row]
                for row in sheet.to_python(skip_empty_area=False)[: MAX_ROWS + 1]
            ]
            tabs.append((name, budget.take(name, rows)))
    except files.Overrun as overrun:
        answer: dict = {"error": overrun.message, "tab": overrun.tab}
    except Exception as error:  # calamine raises several unrelated types for damaged files
        answer = {"error": f"est illisible ou endommagé ({type(error).__name__})"}
    else:
        answer = {"tabs": tabs, "notices": budget.notices}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    _child()
