"""Each limit of sources/files.py met directly: the French message, on that workbook alone."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sources import files, spreadsheet
from sources.local import read_workbook
from sources.workbook import SourceError

_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def ods_bytes(tables: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", _ODS_HEAD + tables + _ODS_TAIL)
    return buffer.getvalue()


def valued_cell(repeat: int) -> str:
    return (
        f'<table:table-cell table:number-columns-repeated="{repeat}" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell>"
    )


def test_ods_bomb_is_refused_before_the_reader_allocates(tmp_path):
    bomb = ods_bytes(
        '<table:table table:name="Fiche"><table:table-row><table:table-cell office:value-type='
        '"string"><text:p>Groupe de travail</text:p></table:table-cell></table:table-row></table:table>'
        '<table:table table:name="Travaux"><table:table-row table:number-rows-repeated="1048576">'
        f"{valued_cell(16384)}</table:table-row></table:table>"
    )
    assert len(bomb) < 4096
    path = tmp_path / "gt-x.ods"
    path.write_bytes(bomb)
    with pytest.raises(SourceError) as caught:
        read_workbook(path)
    message = caught.value.message
    assert message.startswith(
        "le fichier gt-x.ods a une feuille qui s'étend jusqu'à la cellule XFD1048576"
    )
    assert "plus que la limite de 10000 lignes et 200 colonnes" in message
    assert caught.value.workbook == "gt-x"
    assert caught.value.tab == "Travaux"


def test_ods_rows_beyond_the_limit_counted_from_their_repeats():
    # Few columns, but a valued row repeated past the row limit, after an empty run.
    data = ods_bytes(
        '<table:table table:name="Fiche"><table:table-row table:number-rows-repeated="5000">'
        '<table:table-cell/></table:table-row><table:table-row table:number-rows-repeated="5001">'
        f"{valued_cell(2)}</table:table-row></table:table>"
    )
    with pytest.raises(SourceError, match=r"B10001 \(10001 lignes, 2 colonnes\)") as caught:
        spreadsheet.read(data, "gt-x.ods", "gt-x")
    assert caught.value.tab == "Fiche"


def test_ods_damaged_content_is_a_french_error():
    with pytest.raises(SourceError, match="illisible ou endommagé"):
        spreadsheet.read(ods_bytes("<table:table"), "gt-x.ods", "gt-x")


def test_real_ods_with_libreoffice_trailing_empty_runs_is_read(tmp_path):
    """LibreOffice ends a sheet with one huge repeated empty row and empty cells: not an overrun."""
    path = tmp_path / "gt-x.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame([["Groupe de travail", "Santé"], ["Pilote", "CRPV A"]]).to_excel(
            writer, sheet_name="Fiche", header=False, index=False
        )
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    content = members["content.xml"].decode()
    empty_run = (
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    assert content.count("</table:table-row></table:table>") == 1
    content = content.replace(
        "</table:table-row></table:table>",
        '</table:table-row><table:table-row><table:table-cell office:value-type="string">'
        "<text:p>Note</text:p></table:table-cell><table:table-cell table:number-columns-repeated="
        f'"16382"/></table:table-row>{empty_run}</table:table>',
    )
    members["content.xml"] = content.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    book = read_workbook(path)
    assert book.tab("Fiche").rows[:3] == (
        ("Groupe de travail", "Santé"),
        ("Pilote", "CRPV A"),
        ("Note", ""),
    )


# ---------------------------------------------------------------- limits of the workbook budget


def test_more_tabs_than_the_limit_is_an_error_and_another_workbook_still_reads(tmp_path):
    crowded = openpyxl.Workbook()
    crowded.active.title = "Fiche"
    for number in range(files.MAX_TABS):
        crowded.create_sheet(f"Brut {number}")
    crowded.save(tmp_path / "gt-x.xlsx")
    sane = openpyxl.Workbook()
    sane.active.title = "Fiche"
    sane.active.append(["Groupe de travail", "Santé"])
    sane.save(tmp_path / "gt-y.xlsx")
    with pytest.raises(SourceError) as caught:
        read_workbook(tmp_path / "gt-x.xlsx")
    assert (
        caught.value.message
        == "le fichier gt-x.xlsx compte plus de 50 onglets, la limite de recueil"
    )
    assert read_workbook(tmp_path / "gt-y.xlsx").tab("Fiche").rows == (
        ("Groupe de travail", "Santé"),
    )


def write_csv(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_more_columns_than_the_limit_is_an_error_naming_tab_and_row(tmp_path):
    folder = tmp_path / "gt-x"
    write_csv(folder, "Fiche.csv", "Groupe de travail,Santé\n")
    write_csv(folder, "Travaux.csv", "Sujet\n" + ",".join(["v"] * (files.MAX_COLUMNS + 1)) + "\n")
    with pytest.raises(SourceError) as caught:
        read_workbook(folder)
    assert "a plus de 200 colonnes dans l'onglet « Travaux » (ligne 2), la limite de recueil" in (
        caught.value.message
    )
    assert caught.value.tab == "Travaux"


def test_empty_cells_past_the_column_limit_are_not_columns():
    row = ["v"] * files.MAX_COLUMNS + [""] * 500
    assert files.Budget().take("Travaux", [row]) == (("v",) * files.MAX_COLUMNS,)


def test_more_characters_than_the_workbook_limit_is_an_error():
    budget = files.Budget()
    cell = "x" * files.MAX_CELL_CHARS
    row = [cell] * 100  # 20 million characters a tab: below the limit alone
    budget.take("Fiche", [row])
    with pytest.raises(files.Overrun) as caught:
        budget.take("Travaux", [row])
    assert caught.value.message == "contient plus de 33554432 caractères, la limite de recueil"
    assert caught.value.tab == "Travaux"


# ---------------------------------------------------------------- the child reader's time and memory


@pytest.fixture(scope="module")
def small_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Fiche"
    book.active.append(["Groupe de travail", "Santé"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_reader_past_its_time_limit_is_stopped_with_a_french_error(small_xlsx):
    # Starting Python and calamine alone takes far more than 10 ms.
    with pytest.raises(SourceError) as caught:
        spreadsheet.read(small_xlsx, "gt-x.xlsx", "gt-x", seconds=0.01)
    assert caught.value.message.startswith(
        "le fichier gt-x.xlsx n'a pas pu être lu en 0,01 secondes : réenregistrez-le"
    )
    tabs, _ = spreadsheet.read(small_xlsx, "gt-x.xlsx", "gt-x")
    assert tabs[0].rows == (("Groupe de travail", "Santé"),)


def test_reader_past_its_memory_cap_is_a_french_error(small_xlsx):
    # 160 cells of 150,000 characters (cut to Excel's longest cell once read), a small file: far more
    # than a 32 MB address space once read, far less than 2 GB.
    book = openpyxl.Workbook()
    book.active.title = "Fiche"
    for _ in range(80):
        book.active.append(["x" * 150_000, "y" * 150_000])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SourceError) as caught:
        spreadsheet.read(buffer.getvalue(), "gt-x.xlsx", "gt-x", memory=32 * 2**20)
    assert (
        caught.value.message == "le fichier gt-x.xlsx demande plus de 32 Mo de mémoire pour être lu"
    )
    tabs, _ = spreadsheet.read(buffer.getvalue(), "gt-x.xlsx", "gt-x")
    assert tabs[0].rows == (("x" * 32_767, "y" * 32_767),) * 80
    tabs, _ = spreadsheet.read(small_xlsx, "gt-x.xlsx", "gt-x", memory=32 * 2**20)
    assert tabs[0].rows == (("Groupe de travail", "Santé"),)


def test_ods_text_after_an_inner_element_counts_as_a_value():
    # « <text:p><text:span/>x</text:p> »: the value is the span's tail, seen only once the cell ends.
    tail_only = (
        '<table:table-cell table:number-columns-repeated="300"><text:p><text:span/>x</text:p>'
        "</table:table-cell>"
    )
    data = ods_bytes(
        f'<table:table table:name="Travaux"><table:table-row>{tail_only}</table:table-row></table:table>'
    )
    with pytest.raises(SourceError, match=r"KN1 \(1 lignes, 300 colonnes\)") as caught:
        spreadsheet.read(data, "gt-x.ods", "gt-x")
    assert caught.value.tab == "Travaux"


def test_xlsx_extent_error_names_the_tab(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Fiche"
    book.active.append(["Groupe de travail", "Santé"])
    book.create_sheet("Travaux").cell(row=files.MAX_ROWS + 1, column=1, value="loin")
    path = tmp_path / "gt-x.xlsx"
    book.save(path)
    with pytest.raises(SourceError, match=r"A10001 \(10001 lignes, 1 colonnes\)") as caught:
        read_workbook(path)
    assert caught.value.tab == "Travaux"
