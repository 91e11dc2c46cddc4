"""Workbooks on disk: CSV folders, .xlsx and .ods files, and the edition folder that holds them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sources.local import LocalSource
from sources.reading import read_workbook
from sources.spreadsheet import cell_text
from sources.workbook import SourceError
from tests.helpers import EDITION_2024

# ---------------------------------------------------------------- CSV folders


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_csv_folder_reads_label_and_table_tabs(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(
        folder / "Fiche.csv", "Groupe de travail,Santé\nNombre de CRPV impliqués,8 CRPV\n".encode()
    )
    write_bytes(folder / "Travaux.csv", "Sujet,Précisions\nWebinaire,\n".encode())
    book = read_workbook(folder)
    assert book.name == "gt-x"
    assert [t.name for t in book.tabs] == ["Fiche", "Travaux"]
    assert book.tab("Fiche").rows == (
        ("Groupe de travail", "Santé"),
        ("Nombre de CRPV impliqués", "8 CRPV"),
    )
    assert book.tab("Travaux").rows == (("Sujet", "Précisions"), ("Webinaire", ""))
    assert book.notices == ()


def test_csv_multi_line_quoted_cell(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Fiche.csv", 'Modalités de travail,"Visio\nPrésentiel"\n'.encode())
    assert read_workbook(folder).tabs[0].rows == (("Modalités de travail", "Visio\nPrésentiel"),)


def test_csv_bom_and_windows_line_endings_are_accepted_silently(tmp_path):
    folder = tmp_path / "gt-x"
    text = 'Groupe de travail,Santé\r\nModalités de travail,"Visio\r\nPrésentiel"\r\n'
    write_bytes(folder / "Fiche.csv", b"\xef\xbb\xbf" + text.encode())
    book = read_workbook(folder)
    assert book.tabs[0].rows == (
        ("Groupe de travail", "Santé"),
        ("Modalités de travail", "Visio\nPrésentiel"),
    )
    assert book.notices == ()


def test_csv_blank_rows_are_kept_so_row_numbers_match(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Fiche.csv", b"A,1\n,\nB,2\n")
    assert read_workbook(folder).tabs[0].rows == (("A", "1"), ("", ""), ("B", "2"))


def test_csv_semicolons_are_read_with_a_notice(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(
        folder / "Fiche.csv",
        "Groupe de travail;Santé\nAnimation;Normanvilles, Profession Banlieue\n".encode(),
    )
    book = read_workbook(folder)
    assert book.tabs[0].rows == (
        ("Groupe de travail", "Santé"),
        ("Animation", "Normanvilles, Profession Banlieue"),
    )
    assert len(book.notices) == 1
    assert "Fiche.csv" in book.notices[0].message
    assert "points-virgules" in book.notices[0].message
    assert book.notices[0].tab == "Fiche"


def test_csv_semicolons_inside_a_quoted_first_cell_do_not_change_the_separator(tmp_path):
    folder = tmp_path / "gt-x"
    text = 'Modalités de travail,"Visio ; présentiel ; hybride"\nGroupe de travail,Santé\n'
    write_bytes(folder / "Fiche.csv", text.encode())
    book = read_workbook(folder)
    assert book.tabs[0].rows == (
        ("Modalités de travail", "Visio ; présentiel ; hybride"),
        ("Groupe de travail", "Santé"),
    )
    assert book.notices == ()


def test_csv_not_utf8_is_an_error_that_says_utf8(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Fiche.csv", "Groupe de travail,Santé\n".encode("latin-1"))
    with pytest.raises(SourceError) as caught:
        read_workbook(folder)
    assert "UTF-8" in caught.value.message
    assert "Fiche.csv" in caught.value.message
    assert caught.value.tab == "Fiche"
    assert caught.value.workbook == "gt-x"


def test_folder_without_csv_is_an_error(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "notes.txt", b"rien")
    with pytest.raises(SourceError, match="aucun onglet"):
        read_workbook(folder)


def test_csv_folder_ignores_other_files(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Fiche.csv", b"A,1\n")
    write_bytes(folder / "README.md", b"# notes")
    assert [t.name for t in read_workbook(folder).tabs] == ["Fiche"]


# ---------------------------------------------------------------- .xlsx and .ods


@pytest.fixture
def xlsx(tmp_path) -> Path:
    book = openpyxl.Workbook()
    fiche = book.active
    fiche.title = "Fiche"
    fiche["A1"] = "Groupe de travail"
    fiche["B1"] = "Santé"
    fiche["A2"] = "Nombre de CRPV impliqués"
    fiche["B2"] = 14
    # row 3 left empty
    fiche["A4"] = "Date de publication"
    fiche["B4"] = dt.date(2024, 3, 24)
    fiche["A5"] = "Modalités de travail"
    fiche["B5"] = "Visio-conférences\n1 journée en présentiel"
    fiche["A6"] = "Décimal"
    fiche["B6"] = 14.5
    travaux = book.create_sheet("Travaux")
    travaux.append(["Sujet", "Précisions"])
    travaux.append(["Webinaire", None])
    path = tmp_path / "gt-x.xlsx"
    book.save(path)
    return path


def test_xlsx_reads_tabs_in_order(xlsx):
    book = read_workbook(xlsx)
    assert book.name == "gt-x"
    assert [t.name for t in book.tabs] == ["Fiche", "Travaux"]


def test_xlsx_whole_number_reads_as_written(xlsx):
    assert read_workbook(xlsx).tab("Fiche").rows[1] == ("Nombre de CRPV impliqués", "14")


def test_xlsx_date_cell_reads_as_iso_date(xlsx):
    assert read_workbook(xlsx).tab("Fiche").rows[3] == ("Date de publication", "2024-03-24")


def test_xlsx_empty_row_is_kept_so_row_numbers_match(xlsx):
    rows = read_workbook(xlsx).tab("Fiche").rows
    assert rows[2] == ("", "")
    assert rows[4][0] == "Modalités de travail"  # spreadsheet row 5


def test_xlsx_multi_line_cell(xlsx):
    assert (
        read_workbook(xlsx).tab("Fiche").rows[4][1] == "Visio-conférences\n1 journée en présentiel"
    )


def test_xlsx_decimal_keeps_its_fraction(xlsx):
    assert read_workbook(xlsx).tab("Fiche").rows[5][1] == "14.5"


def test_xlsx_empty_cell_is_empty_text(xlsx):
    assert read_workbook(xlsx).tab("Travaux").rows == (("Sujet", "Précisions"), ("Webinaire", ""))


def test_ods_written_by_pandas_reads_back(tmp_path):
    path = tmp_path / "gt-x.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame(
            [
                ["Groupe de travail", "Santé"],
                ["Nombre de CRPV impliqués", 8],
                [None, None],
                ["Modalités de travail", "Visio\nPrésentiel"],
            ]
        ).to_excel(writer, sheet_name="Fiche", header=False, index=False)
        pd.DataFrame([["Webinaire", "Précision"]], columns=["Sujet", "Précisions"]).to_excel(
            writer, sheet_name="Travaux", index=False
        )
    book = read_workbook(path)
    assert [t.name for t in book.tabs] == ["Fiche", "Travaux"]
    assert book.tab("Fiche").rows == (
        ("Groupe de travail", "Santé"),
        ("Nombre de CRPV impliqués", "8"),
        ("", ""),
        ("Modalités de travail", "Visio\nPrésentiel"),
    )
    assert book.tab("Travaux").rows == (("Sujet", "Précisions"), ("Webinaire", "Précision"))


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("gt-x.xlsx", os.urandom(512)),
        ("gt-x.ods", os.urandom(512)),
        ("gt-x.xlsx", b""),
        ("gt-x.ods", b""),
        ("gt-x.xlsx", b"PK\x03\x04" + b"\x00" * 100),  # a zip header and nothing else
    ],
    ids=["random-xlsx", "random-ods", "empty-xlsx", "empty-ods", "zip-header-only"],
)
def test_damaged_spreadsheet_is_a_source_error(tmp_path, filename, data):
    path = write_bytes(tmp_path / filename, data)
    with pytest.raises(SourceError) as caught:
        read_workbook(path)
    assert "illisible" in caught.value.message
    assert filename in caught.value.message


def test_truncated_xlsx_is_a_source_error(tmp_path, xlsx):
    path = write_bytes(tmp_path / "cut.xlsx", xlsx.read_bytes()[:400])
    with pytest.raises(SourceError):
        read_workbook(path)


def test_unsupported_file_is_a_source_error(tmp_path):
    path = write_bytes(tmp_path / "gt-x.csv", b"A,1\n")
    with pytest.raises(SourceError, match="format non pris en charge"):
        read_workbook(path)


def test_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="introuvable"):
        read_workbook(tmp_path / "absent.xlsx")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (14.0, "14"),
        (14.5, "14.5"),
        (14, "14"),
        (True, "VRAI"),
        (False, "FAUX"),
        (dt.datetime(2024, 3, 24), "2024-03-24"),
        (dt.datetime(2024, 3, 24, 10, 30), "2024-03-24 10:30:00"),
        (dt.date(2024, 3, 24), "2024-03-24"),
        (dt.time(10, 30), "10:30:00"),
        ("a\r\nb", "a\nb"),
        ("=1+1", "=1+1"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# ---------------------------------------------------------------- LocalSource


@pytest.fixture
def edition(tmp_path) -> Path:
    folder = tmp_path / "2024"
    write_bytes(folder / "reseau" / "Programme.csv", "Année,2024\n".encode())
    return folder


def test_local_source_reads_the_network_folder(edition):
    book = LocalSource(edition).read_network()
    assert book.name == "reseau"
    assert book.tab("Programme").rows == (("Année", "2024"),)


def test_local_source_resolves_a_folder(edition):
    write_bytes(edition / "gt-x" / "Fiche.csv", b"A,folder\n")
    book = LocalSource(edition).read("gt-x")
    assert book.name == "gt-x"
    assert book.tabs[0].rows == (("A", "folder"),)


def test_local_source_resolves_an_xlsx(edition, xlsx):
    write_bytes(edition / "gt-x.xlsx", xlsx.read_bytes())
    book = LocalSource(edition).read("gt-x")
    assert book.name == "gt-x"
    assert book.location.endswith("gt-x.xlsx")


def test_local_source_resolves_an_ods(edition):
    path = edition / "gt-x.ods"
    pd.DataFrame([["A", "ods"]]).to_excel(
        path, engine="odf", header=False, index=False, sheet_name="Fiche"
    )
    book = LocalSource(edition).read("gt-x")
    assert book.location.endswith("gt-x.ods")
    assert book.tab("Fiche").rows == (("A", "ods"),)


def test_local_source_accepts_an_explicit_extension(edition, xlsx):
    write_bytes(edition / "gt-x.xlsx", xlsx.read_bytes())
    book = LocalSource(edition).read("gt-x.xlsx")
    assert book.name == "gt-x"
    assert book.location.endswith("gt-x.xlsx")


def test_local_source_ignores_spaces_around_the_name(edition):
    write_bytes(edition / "gt-x" / "Fiche.csv", b"A,1\n")
    assert LocalSource(edition).read(" gt-x ").tabs[0].rows == (("A", "1"),)


def test_local_source_folder_wins_over_a_spreadsheet(edition, xlsx):
    write_bytes(edition / "gt-x" / "Fiche.csv", b"A,folder\n")
    write_bytes(edition / "gt-x.xlsx", xlsx.read_bytes())
    assert LocalSource(edition).read("gt-x").tabs[0].rows == (("A", "folder"),)


@pytest.mark.parametrize("sheet", ["../outside", "../2024/../outside", "/etc", "", "."])
def test_local_source_refuses_names_outside_the_edition(edition, sheet):
    write_bytes(edition.parent / "outside" / "Fiche.csv", b"A,1\n")
    with pytest.raises(SourceError, match="ne désigne pas un classeur"):
        LocalSource(edition).read(sheet)


def test_local_source_missing_workbook_names_what_is_expected(edition):
    with pytest.raises(SourceError) as caught:
        LocalSource(edition).read("gt-absent")
    message = caught.value.message
    assert "introuvable" in message
    assert "2024/" in message
    assert "gt-absent/" in message
    assert "gt-absent.xlsx" in message
    assert ".ods" in message
    assert caught.value.workbook == "gt-absent"


def test_local_source_missing_network_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="reseau/"):
        LocalSource(tmp_path).read_network()


# ---------------------------------------------------------------- the bundled .xlsx


@pytest.fixture(scope="module")
def sante():
    return LocalSource(EDITION_2024).read("gt-sante")


def test_bundled_sante_xlsx_has_the_csv_tabs(sante):
    assert sante.location.endswith("gt-sante.xlsx")
    assert [t.name for t in sante.tabs] == ["Fiche", "Travaux"]


def test_bundled_sante_xlsx_has_the_same_shape_as_a_csv_group(sante):
    csv_group = LocalSource(EDITION_2024).read("gt-questions-urbaines")
    assert [r[0] for r in sante.tab("Fiche").rows] == [r[0] for r in csv_group.tab("Fiche").rows]
    assert (
        sante.tab("Travaux").rows[0] == csv_group.tab("Travaux").rows[0] == ("Sujet", "Précisions")
    )


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("Groupe de travail", "Santé"),
        ("Nombre de CRPV impliqués", "8 CRPV"),
        ("Nombre de réunions", "4 réunions"),
        ("Groupe créé en", "2020"),
        ("Animation", "Normanvilles, Profession Banlieue"),
        ("Modalités de travail", "Visio-conférences\n1 journée en présentiel"),
    ],
)
def test_bundled_sante_xlsx_seed_values(sante, label, value):
    assert dict(sante.tab("Fiche").rows)[label] == value


def test_bundled_transition_xlsx_seed_values():
    book = LocalSource(EDITION_2024).read("gt-transition.xlsx")
    fiche = dict(book.tab("Fiche").rows)
    assert fiche["Nombre de réunions"] == "10"
    assert fiche["Animation"] == "IREV et Normanvilles"


# ---------------------------------------------------------------- untrusted files


def contained_edition(tmp_path: Path) -> Path:
    edition = tmp_path / "2024"
    shutil.copytree(EDITION_2024, edition)
    (tmp_path / "ailleurs.csv").write_text("Sigle,Nom\nCANARI,Hors édition\n", encoding="utf-8")
    return edition


@pytest.mark.parametrize("tab", ["CRPV", "Sections"])
def test_a_network_tab_linked_from_elsewhere_is_refused(tmp_path, tab):
    edition = contained_edition(tmp_path)
    (edition / "reseau" / f"{tab}.csv").unlink()
    (edition / "reseau" / f"{tab}.csv").symlink_to(tmp_path / "ailleurs.csv")
    with pytest.raises(SourceError) as raised:
        LocalSource(edition).read_network()
    assert raised.value.tab == tab
    assert f"{tab}.csv est un lien qui mène hors du dossier de l'édition" in raised.value.message


def test_a_link_inside_the_edition_is_followed(tmp_path):
    edition = contained_edition(tmp_path)
    (edition / "gt-copie").mkdir()
    for name in ("Fiche.csv", "Travaux.csv"):
        (edition / "gt-copie" / name).symlink_to(edition / "gt-cosoter" / name)
    book = LocalSource(edition).read("gt-copie")
    assert book.tab("Fiche") == read_workbook(edition / "gt-cosoter").tab("Fiche")


def test_a_feuille_with_an_explicit_extension_linked_out_is_refused(tmp_path):
    edition = contained_edition(tmp_path)
    (edition / "gt-lien.xlsx").symlink_to(EDITION_2024 / "gt-sante.xlsx")
    with pytest.raises(SourceError, match="hors du dossier"):
        LocalSource(edition).read("gt-lien.xlsx")


def test_a_reader_that_aborts_costs_only_its_workbook(tmp_path, monkeypatch):
    from sources import spreadsheet

    # The child process that reads .xlsx files, replaced by one that dies as calamine can (SIGABRT).
    monkeypatch.setattr(spreadsheet, "READER", [sys.executable, "-c", "import os; os.abort()"])
    with pytest.raises(SourceError, match=r"le lecteur s'est arrêté, code -6"):
        read_workbook(EDITION_2024 / "gt-sante.xlsx")


def test_the_reader_process_survives_a_sheet_declaring_a_million_rows_without_the_checks(tmp_path):
    """Without the dimension check, calamine would try to allocate 512 GiB: its process is
    limited, so it fails alone (an error or an abort), quickly, never the caller."""
    from sources import spreadsheet
    from tests.hostile import fiche, travaux, xlsx_bytes

    def patch(members):
        sheet = members["xl/worksheets/sheet1.xml"]
        members["xl/worksheets/sheet1.xml"] = sheet.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        )

    data = xlsx_bytes({"Fiche": fiche("Bombe"), "Travaux": travaux()}, patch)
    done = subprocess.run(spreadsheet.READER, input=data, capture_output=True, timeout=60)
    assert done.returncode != 0 or b'"error"' in done.stdout
    with pytest.raises(SourceError, match="XFD1048576"):
        spreadsheet.read(data, "bombe.xlsx", "bombe")


def test_a_csv_may_hold_a_cell_longer_than_pythons_default_field_limit(tmp_path):
    text = "Texte " * 30_000  # 180,000 characters, more than csv's default 131,072
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Fiche.csv", f'Modalités de travail,"{text}"\n'.encode())
    assert read_workbook(folder).tabs[0].rows[0][1] == text


def test_an_unbalanced_quote_is_an_error_not_a_swallowed_tab(tmp_path):
    folder = tmp_path / "gt-x"
    write_bytes(folder / "Travaux.csv", 'Sujet,Précisions\n"ouvert,x\nsuite,y\n'.encode())
    with pytest.raises(SourceError, match="guillemet") as raised:
        read_workbook(folder)
    assert raised.value.tab == "Travaux"


def test_decomposed_and_look_alike_names(tmp_path):
    import unicodedata

    edition = contained_edition(tmp_path)
    shutil.copytree(edition / "gt-cosoter", edition / "gt-égalité")
    found = LocalSource(edition).read(unicodedata.normalize("NFD", "gt-égalité"))
    assert found.tab("Fiche") is not None
    with pytest.raises(SourceError) as raised:
        LocalSource(edition).read("gt-c\u043esoter")  # a Cyrillic « о »
    assert raised.value.reference
    assert "gt-c<U+043E>soter" in raised.value.message
    assert "le plus proche est « gt-cosoter »" in raised.value.message
