""".xlsx and .ods files, read by python-calamine in a process of their own.

calamine is native code: a file declaring a huge sheet makes it allocate without bound and abort the
whole process (SIGABRT), and a file built to be slow keeps it busy. So the bytes (already read through
`sources.files`, never a path) are first checked here (zip members and their uncompressed size, declared
sheet dimensions and cell references), then handed to a child process with a memory and time limit; an
abort, a timeout or an overrun costs that workbook only, with a French error.

`python -m sources.spreadsheet` is that child: bytes on stdin, the tabs as JSON on stdout.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import sys
import zipfile
from xml.etree import ElementTree

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


def read(
    data: bytes,
    filename: str,
    workbook: str,
    *,
    seconds: float = SPREADSHEET_SECONDS,
    memory: int = SPREADSHEET_MEMORY,
) -> tuple[list[Tab], list[Notice]]:
    """The tabs of an .xlsx/.ods file's bytes and what their bounds noticed, read in a child process
    given `seconds` and `memory` bytes of address space at most."""
    _check_zip(data, filename, workbook)
    try:
        done = subprocess.run(
            [*READER, str(memory)],
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            workbook,
            f"le fichier {filename} n'a pas pu être lu en {f'{seconds:g}'.replace('.', ',')} secondes : "
            "réenregistrez-le depuis le tableur (ou exportez ses onglets en CSV)",
        ) from None
    if done.returncode != 0:
        raise SourceError(
            workbook,
            f"le fichier {filename} est illisible ou endommagé, ou demande plus de "
            f"{megabytes(memory)} de mémoire (le lecteur s'est arrêté, code {done.returncode}) : "
            "réexportez-le depuis le tableur",
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
    sheet_names = _xlsx_sheet_names(archive)
    for member in members:
        if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
            extents = [(sheet_names.get(member.filename), *_xlsx_extent(archive, member))]
        elif member.filename == "content.xml":
            extents = _ods_extents(archive, member, filename, workbook)
        else:
            continue
        for tab, rows, columns in extents:
            if rows > MAX_ROWS or columns > MAX_COLUMNS:
                raise SourceError(
                    workbook,
                    f"le fichier {filename} a une feuille qui s'étend jusqu'à la cellule "
                    f"{column_letter(max(columns, 1) - 1)}{rows} ({rows} lignes, {columns} colonnes), "
                    f"plus que la limite de {MAX_ROWS} lignes et {MAX_COLUMNS} colonnes",
                    tab=tab,
                )


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SMALL_PART = 1 << 20  # workbook.xml and its relations: a list of tabs, never large in a real file


def _xlsx_sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet part's tab name (xl/worksheets/sheet2.xml → « Travaux »), so that an error
    names the tab; empty when the parts are missing, too large or malformed (the reader says why)."""
    try:
        parts = {
            name: archive.getinfo(name)
            for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
        }
        if any(info.file_size > _SMALL_PART for info in parts.values()):
            return {}
        relations = ElementTree.fromstring(archive.read(parts["xl/_rels/workbook.xml.rels"]))
        workbook = ElementTree.fromstring(archive.read(parts["xl/workbook.xml"]))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return {}
    targets = {
        relation.get("Id"): "xl/" + relation.get("Target", "").removeprefix("/xl/").lstrip("/")
        for relation in relations.iter(_RELATIONSHIPS)
    }
    return {
        targets[sheet.get(_RELATION_ID)]: sheet.get("name", "")
        for sheet in workbook.iter(f"{_MAIN}sheet")
        if sheet.get(_RELATION_ID) in targets
    }


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


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_SPACE = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}s"


def _ods_extents(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, filename: str, workbook: str
) -> list[tuple[str, int, int]]:
    """Each sheet's name, last row and last column holding a value, as content.xml declares them.

    Streamed, repeats counted and never expanded. Only repeated rows and cells that hold a value
    count: LibreOffice ends every sheet with a huge run of empty rows and cells, which the reader skips.
    """
    extents = []
    name, rows, columns = "", 0, 0
    row, row_columns, column = 0, 0, 0
    open_elements: list[ElementTree.Element] = []
    try:
        with archive.open(member) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    open_elements.append(element)
                    if tag == f"{_TABLE}table":
                        name, rows, columns, row = element.get(f"{_TABLE}name", ""), 0, 0, 0
                    elif tag == f"{_TABLE}table-row":
                        row_columns = column = 0
                    continue
                if tag in _CELLS:
                    repeats = int(element.get(f"{_TABLE}number-columns-repeated", "1"))
                    # The cell's paragraphs are complete here, tails included (text after a span).
                    text = any(t.strip() for t in element.itertext()) or any(
                        e.tag == _SPACE for e in element.iter()
                    )
                    if text or element.get(f"{_OFFICE}value-type"):
                        row_columns = column + repeats
                    column += repeats
                elif tag == f"{_TABLE}table-row":
                    repeats = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                    if row_columns:
                        rows, columns = row + repeats, max(columns, row_columns)
                    row += repeats
                    if rows > MAX_ROWS or columns > MAX_COLUMNS:
                        return [*extents, (name, rows, columns)]  # no need to read further
                elif tag == f"{_TABLE}table":
                    extents.append((name, rows, columns))
                open_elements.pop()
                # What was counted is not kept; a cell's paragraphs stay until the cell is counted.
                inside_cell = any(e.tag in _CELLS for e in open_elements)
                if open_elements and not inside_cell:
                    open_elements[-1].remove(element)
    except (ElementTree.ParseError, ValueError):
        raise SourceError(
            workbook, f"le fichier {filename} est illisible ou endommagé (content.xml invalide)"
        ) from None
    return extents


def _child() -> None:
    """Read the workbook on stdin under a memory limit; print its tabs (or a French error) as JSON."""
    import resource

    memory = int(sys.argv[1]) if len(sys.argv) > 1 else SPREADSHEET_MEMORY
    data = sys.stdin.buffer.read()
    # Set once calamine is loaded, so that a low cap fails on what the file costs, not on the import.
    import python_calamine  # noqa: F401

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        output = _answer(data)
    except MemoryError:
        output = (
            None  # the exception's frames, holding what was read, are freed on leaving this clause
        )
    if output is None:
        output = json.dumps(
            {"error": f"demande plus de {megabytes(memory)} de mémoire pour être lu"}
        )
    sys.stdout.write(output)


def _answer(data: bytes) -> str:
    """The workbook's tabs and notices, or its French error, as JSON."""
    from python_calamine import CalamineWorkbook

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
        return json.dumps({"tabs": tabs, "notices": budget.notices}, ensure_ascii=False)
    except files.Overrun as overrun:
        return json.dumps({"error": overrun.message, "tab": overrun.tab}, ensure_ascii=False)
    except MemoryError:
        raise
    except Exception as error:  # calamine raises several unrelated types for damaged files
        return json.dumps({"error": f"est illisible ou endommagé ({type(error).__name__})"})


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


if __name__ == "__main__":
    _child()
