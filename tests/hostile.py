"""The hostile corpus: the bundled 2024 edition plus workbooks built to read outside the edition, hang
or kill the reader, exhaust memory, or lose data without a word.

Files that are large or special (links, FIFOs, zip bombs, sheets declaring a million rows) are made at
test time. Every file outside the edition holds a canary string: none may appear in any output.
"""

from __future__ import annotations

import io
import os
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.corpus import BUNDLED, Rows, _read, fiche, travaux, write_tabs

CANARY = "CANARI-HORS-EDITION"
ENVIRONMENT_CANARY = "CANARI-ENVIRONNEMENT"  # set in the build's environment: /proc/self/environ
LOOK_ALIKE = "h\u043estile-18"  # a Cyrillic « о »
DECOMPOSED = unicodedata.normalize("NFD", "hostile-19-é")


@dataclass(frozen=True)
class Hostile:
    id: str
    severity: str | None  # the problem expected, None when the workbook must be read cleanly
    tab: str | None
    cell: str | None
    words: tuple[str, ...]
    printed: bool
    write: Callable[[Path, Path], None] | None = None  # (workbook path, outside folder)
    sheet: str | None = None  # the `Feuille`, when not `hostile-<id>`

    @property
    def name(self) -> str:
        return f"Cas {self.id}"

    @property
    def display(self) -> str:
        return f"GT {self.name}"

    @property
    def folder(self) -> str:
        return self.sheet if self.sheet is not None else f"hostile-{self.id}"


def clean(folder: Path, name: str, **tabs: Rows) -> None:
    write_tabs(folder, {"Fiche": fiche(name), "Travaux": travaux(), **tabs})


def xlsx_bytes(
    tabs: dict[str, Rows], patch: Callable[[dict[str, bytes]], None] | None = None
) -> bytes:
    """An .xlsx file of `tabs` (sheet1.xml is the first), its zip members then changed by `patch`."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tabs.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if patch is None:
        return buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original:
        members = {name: original.read(name) for name in original.namelist()}
    patch(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _symlinked_tab(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H01")
    (folder / "Travaux.csv").unlink()
    (folder / "Travaux.csv").symlink_to(outside / "Travaux.csv")


def _hard_linked_tab(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H02")
    (folder / "Travaux.csv").unlink()
    os.link(outside / "Travaux.csv", folder / "Travaux.csv")


def _extra_tab_to_passwd(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H03")
    (folder / "Notes.csv").symlink_to("/etc/passwd")


def _tab_to_environ(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H04")
    (folder / "Travaux.csv").unlink()
    (folder / "Travaux.csv").symlink_to("/proc/self/environ")


def _extension_fallback_link(path: Path, outside: Path) -> None:
    path.with_name(path.name + ".xlsx").symlink_to(outside / "classeur.xlsx")


def _fifo_spreadsheet(path: Path, outside: Path) -> None:
    os.mkfifo(path.with_name(path.name + ".xlsx"))


def _fifo_tab(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H07")
    (folder / "Travaux.csv").unlink()
    os.mkfifo(folder / "Travaux.csv")


def _symlink_loop(folder: Path, outside: Path) -> None:
    folder.symlink_to(folder.name)


def _declared_dimension_bomb(path: Path, outside: Path) -> None:
    def patch(members: dict[str, bytes]) -> None:
        sheet = members["xl/worksheets/sheet1.xml"]
        sheet = sheet.replace(b'<dimension ref="A1:B6"', b'<dimension ref="A1:XFD1048576"')
        members["xl/worksheets/sheet1.xml"] = sheet.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        )

    data = xlsx_bytes({"Fiche": fiche("Cas H09"), "Travaux": travaux()}, patch)
    assert len(data) < 10_000  # a tiny file
    path.with_name(path.name + ".xlsx").write_bytes(data)


def _control_characters(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H12", Travaux=travaux("Sujet\x01 avec\x0b contrôle", "Précision"))


def _unbalanced_quote(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H13")
    (folder / "Travaux.csv").write_text(
        'Sujet,Précisions\n"Sujet ouvert,sans fin\nSujet suivant,perdu\n', encoding="utf-8"
    )


def _beyond_header(folder: Path, outside: Path) -> None:
    clean(
        folder,
        "Cas H14",
        Travaux=[["Sujet", "Précisions"], ["Un sujet", "", ":x: [bold]hors en-tête[/bold]"]],
    )


def _duplicate_tab(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H15")
    write_tabs(folder, {"FICHE": fiche("Cas H15 bis")})


def _source_metadata(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H16")
    (folder / "_recueil.json").write_text('{"modified": "2099-12-31T00:00:00+00:00"}')


def _malformed_metadata(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H17")
    (folder / "_recueil.json").write_text('{"modified": "pas une date", "tabs": 3}')


def _look_alike(folder: Path, outside: Path) -> None:
    clean(folder.with_name("hostile-18"), "Cas H18")


def _decomposed(folder: Path, outside: Path) -> None:
    clean(folder.with_name(unicodedata.normalize("NFC", DECOMPOSED)), "Cas H19")


def _huge_csv(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H20")
    with (folder / "Travaux.csv").open("r+b") as file:
        file.truncate(17 * 2**20)  # sparse: costs nothing on disk


def _many_rows(folder: Path, outside: Path) -> None:
    clean(folder, "Cas H21", Travaux=[["Sujet", "Précisions"], *([["Sujet", ""]] * 10_001)])


def _zip_bomb(path: Path, outside: Path) -> None:
    def patch(members: dict[str, bytes]) -> None:
        members["xl/media/bombe.bin"] = bytes(80 * 2**20)

    path.with_name(path.name + ".xlsx").write_bytes(
        xlsx_bytes({"Fiche": fiche("Cas H22"), "Travaux": travaux()}, patch)
    )


def _huge_cell(path: Path, outside: Path) -> None:
    huge = "Précision interminable " * 140_000 + "FIN"  # 3.2 million characters: Excel's own limit
    # is 32,767, so the cell is written into the sheet's XML directly, as any zip tool can.

    def patch(members: dict[str, bytes]) -> None:
        sheet = members["xl/worksheets/sheet3.xml"]
        assert b"ENORME" in sheet
        members["xl/worksheets/sheet3.xml"] = sheet.replace(b"ENORME", huge.encode())

    tabs = {"Fiche": fiche("Cas H23"), "Travaux": travaux(), "Notes": [["ENORME"]]}
    path.with_name(path.name + ".xlsx").write_bytes(xlsx_bytes(tabs, patch))


HOSTILE: tuple[Hostile, ...] = (
    Hostile(
        "H01", "error", "Travaux", None, ("Travaux.csv", "hors du dossier"), False, _symlinked_tab
    ),
    Hostile(
        "H02", "error", "Travaux", None, ("Travaux.csv", "lien physique"), False, _hard_linked_tab
    ),
    Hostile(
        "H03", "error", "Notes", None, ("Notes.csv", "hors du dossier"), False, _extra_tab_to_passwd
    ),
    Hostile("H04", "error", "Travaux", None, ("hors du dossier",), False, _tab_to_environ),
    Hostile(
        "H05",
        "error",
        None,
        None,
        ("hostile-H05.xlsx", "hors du dossier"),
        False,
        _extension_fallback_link,
    ),
    Hostile(
        "H06",
        "error",
        None,
        None,
        ("hostile-H06.xlsx", "pas un fichier ordinaire"),
        False,
        _fifo_spreadsheet,
    ),
    Hostile("H07", "error", "Travaux", None, ("pas un fichier ordinaire",), False, _fifo_tab),
    Hostile("H08", "error", None, None, ("en boucle",), False, _symlink_loop),
    Hostile(
        "H09", "error", "Fiche", None, ("XFD1048576", "limite"), False, _declared_dimension_bomb
    ),
    Hostile(
        "H10",
        "error",
        "Groupes",
        "B",
        ("U+200B", "caractère invisible"),
        False,
        sheet="hostile-H10\u200b",
    ),
    # A NUL byte is removed as the network is read (a warning there); the name left is looked up.
    Hostile(
        "H24",
        "error",
        "Groupes",
        "B",
        ("hostile-H24.csv", "introuvable"),
        False,
        sheet="hostile-H24\x00.csv",
    ),
    Hostile("H11", "error", "Groupes", "B", ("trop long",), False, sheet="h" * 300),
    Hostile(
        "H12", "warning", "Travaux", "A2", ("U+0001", "U+000B", "retiré"), True, _control_characters
    ),
    Hostile("H13", "error", "Travaux", None, ("guillemet", "ligne"), False, _unbalanced_quote),
    Hostile("H14", "warning", "Travaux", "C2", ("colonne sans en-tête",), True, _beyond_header),
    Hostile("H15", "error", "Fiche", None, ("deux onglets",), False, _duplicate_tab),
    Hostile("H16", None, None, None, (), True, _source_metadata),
    Hostile("H17", None, None, None, (), True, _malformed_metadata),
    Hostile(
        "H18", "error", "Groupes", "B", ("U+043E", "hostile-18"), False, _look_alike, LOOK_ALIKE
    ),
    Hostile("H19", None, None, None, (), True, _decomposed, DECOMPOSED),
    Hostile("H20", "error", "Travaux", None, ("17 Mo", "limite"), False, _huge_csv),
    Hostile("H21", "error", "Travaux", None, ("10000 lignes",), False, _many_rows),
    Hostile("H22", "error", None, None, ("décompressé", "limite"), False, _zip_bomb),
    Hostile("H23", "warning", "Notes", "A1", ("coupée",), True, _huge_cell),
)

LONG_SUBJECT = "Une contribution au sujet très long " * 9 + "fin"  # 327 characters
TWIN_SUBJECTS = ("Sujet jumeau", "Sujet : jumeau !")
NESTED = "".join("  " * level + f"- niveau {level + 1}\n" for level in range(12))
LONG_MARKDOWN = (
    ("Un long paragraphe d'introduction. " * 4300) + "\n\n" + NESTED
)  # > 131,072 characters


def write_contribution(folder: Path, subject: str, introduction: str = "") -> None:
    write_tabs(
        folder,
        {
            "Contribution": [
                ["Sujet", subject],
                ["Questions", "Pourquoi ?"],
                ["Coordination", "IREV"],
                ["Introduction", introduction],
            ],
            "Observations": [
                ["CRPV", "Territoire", "Pratique", "Description", "Enseignements", "Source"],
                ["IREV", "Lille", "Atelier", "Description.", "", ""],
            ],
        },
    )


CONTRIBUTIONS = (
    ("hostile-c1", LONG_SUBJECT, ""),
    ("hostile-c2", TWIN_SUBJECTS[0], ""),
    ("hostile-c3", TWIN_SUBJECTS[1], LONG_MARKDOWN),
)


def write_outside(outside: Path) -> None:
    """Files outside the edition, each holding the canary, that the hostile links point to."""
    write_tabs(
        outside,
        {
            "Travaux": travaux(CANARY, CANARY),
            "Sections": [["N°", "Titre", "Texte"], ["1", CANARY, CANARY]],
        },
    )
    (outside / "classeur.xlsx").write_bytes(
        xlsx_bytes({"Fiche": fiche(CANARY), "Travaux": travaux(CANARY, CANARY)})
    )


def make_hostile_edition(root: Path) -> Path:
    """The bundled edition with every hostile group and contribution registered after the real ones."""
    outside = root / "ailleurs"
    write_outside(outside)
    edition = root / "2024"
    shutil.copytree(BUNDLED, edition)
    groups = [["Groupe", "Feuille"], *_read(edition / "reseau" / "Groupes.csv")[1:]]
    contributions = [["Sujet", "Feuille"], *_read(edition / "reseau" / "Contributions.csv")[1:]]
    for case in HOSTILE:
        if case.write is not None:
            case.write(edition / case.folder, outside)
        groups.append([case.name, case.folder])
    for folder, subject, introduction in CONTRIBUTIONS:
        write_contribution(edition / folder, subject, introduction)
        contributions.append([subject, folder])
    write_tabs(edition / "reseau", {"Groupes": groups, "Contributions": contributions})
    return edition
