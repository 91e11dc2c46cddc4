"""The bad-input corpus: the bundled 2024 edition plus one extra workbook per case.

Each case is a small group (or contribution) workbook, written from a clean base and then broken in one
way. All cases live in one edition so that a single real build shows that every other group still
renders.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent.parent / "sources" / "editions" / "2024"

Rows = list[list[str]]


@dataclass(frozen=True)
class Expected:
    """A problem the case must produce: severity, tab, cell and words of its message."""

    severity: str
    tab: str | None
    cell: str | None
    words: tuple[str, ...]
    workbook: str | None = None  # display name, when not the case's own


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # "group" or "contribution"
    expected: tuple[Expected, ...]
    printed: bool  # whether the case's record still appears in the documents
    literal: tuple[str, ...] = ()  # text the documents must print as written
    write: Callable[[Path, str], None] | None = None
    sheet: str | None = None  # the `Feuille` to register, when not the case's folder

    @property
    def name(self) -> str:
        return f"Cas {self.id}"

    @property
    def display(self) -> str:
        return f"GT {self.name}" if self.kind == "group" else f"Contribution « {self.name} »"

    @property
    def folder(self) -> str:
        return self.sheet or f"cas-{self.id}"


def fiche(name: str, **changes: str | None) -> Rows:
    """A clean `Fiche`, rows in this order: name, count, meetings, created, animation, methods."""
    values = {
        "Groupe de travail": name,
        "Nombre de CRPV impliqués": "3 CRPV",
        "Nombre de réunions": "Entre 2 et 4",
        "Groupe créé en": "2020",
        "Animation": "Résovilles : Jeanne MARTIN\nIREV",
        "Modalités de travail": "Visio",
    }
    for label, value in changes.items():
        values[label.replace("_", " ")] = value
    return [[label, value] for label, value in values.items() if value is not None]


def travaux(subject: str = "Sujet du cas", details: str = "Précision du cas") -> Rows:
    return [["Sujet", "Précisions"], [subject, details]]


def write_tabs(
    folder: Path, tabs: dict[str, Rows], encoding: str = "utf-8", delimiter: str = ","
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for tab, rows in tabs.items():
        with (folder / f"{tab}.csv").open("w", encoding=encoding, newline="") as file:
            csv.writer(file, delimiter=delimiter, lineterminator="\n").writerows(rows)


def group(
    fiche_rows: Callable[[str], Rows] | None = None, **tabs: Rows | None
) -> Callable[[Path, str], None]:
    """A writer for a group workbook: a clean one, with tabs replaced, removed (None) or added."""

    def write(folder: Path, name: str) -> None:
        content: dict[str, Rows | None] = {
            "Fiche": (fiche_rows or fiche)(name),
            "Travaux": travaux(),
        }
        content.update({tab.replace("_", " "): rows for tab, rows in tabs.items()})
        write_tabs(folder, {tab: rows for tab, rows in content.items() if rows is not None})

    return write


def error(tab: str | None, cell: str | None, *words: str, workbook: str | None = None) -> Expected:
    return Expected("error", tab, cell, words, workbook)


def warning(tab: str | None, cell: str | None, *words: str) -> Expected:
    return Expected("warning", tab, cell, words)


def _latin1(folder: Path, name: str) -> None:
    write_tabs(
        folder,
        {"Fiche": fiche(name, Modalités_de_travail="Réunions à Évry"), "Travaux": travaux()},
        encoding="latin-1",
    )


def _semicolons(folder: Path, name: str) -> None:
    write_tabs(
        folder, {"Fiche": fiche(name), "Travaux": travaux("Sujet ; point-virgule")}, delimiter=";"
    )


def _corrupt_xlsx(folder: Path, name: str) -> None:
    folder.with_suffix(".xlsx").write_bytes(b"PK\x03\x04 ceci n'est pas un classeur" * 10)


def _empty_xlsx(folder: Path, name: str) -> None:
    folder.with_suffix(".xlsx").write_bytes(b"")


def _empty_fiche(folder: Path, name: str) -> None:
    group()(folder, name)
    (folder / "Fiche.csv").write_bytes(b"")


def _ods(folder: Path, name: str) -> None:
    import pandas as pd

    with pd.ExcelWriter(folder.with_suffix(".ods"), engine="odf") as writer:
        pd.DataFrame(fiche(name)).to_excel(writer, sheet_name="Fiche", header=False, index=False)
        pd.DataFrame(travaux()[1:], columns=travaux()[0]).to_excel(
            writer, sheet_name="Travaux", index=False
        )


def _duplicate(folder: Path, name: str) -> None:
    group(lambda _: fiche("Doublon"))(folder, name)


LONG = "Texte très long " * 3750 + "FIN-DU-LONG-TEXTE"
MEMBERS = [["CRPV", "Rôle"], ["Résovilles", "animation"], ["IREV", "co-pilotage"], ["ORIV", ""]]
MEETINGS = [
    ["Date", "Format", "Lieu", "Objet"],
    ["2024-02-01", "visio", "", ""],
    ["2024-05-01", "présentiel", "Lille", ""],
]

CASES: tuple[Case, ...] = (
    Case(
        "01",
        "group",
        (error("Travaux", None, "l'onglet « Travaux » est absent"),),
        False,
        write=group(Travaux=None),
    ),
    Case(
        "02",
        "group",
        (error("Fiche", None, "« Animation » est obligatoire"),),
        False,
        write=group(lambda n: fiche(n, Animation=None)),
    ),
    Case(
        "03",
        "group",
        (error("Fiche", "B2", "un nombre entier est attendu"),),
        False,
        write=group(lambda n: fiche(n, Nombre_de_CRPV_impliqués="quatorze")),
    ),
    Case(
        "04",
        "group",
        (error("Fiche", "B2", "un nombre entier est attendu"),),
        False,
        write=group(lambda n: fiche(n, Nombre_de_CRPV_impliqués="-3")),
    ),
    Case(
        "05",
        "group",
        (error("Fiche", "B2", "un nombre de 1 à 20"),),
        False,
        write=group(lambda n: fiche(n, Nombre_de_CRPV_impliqués="0")),
    ),
    Case(
        "06",
        "group",
        (error("Fiche", "B2", "un nombre de 1 à 20"),),
        False,
        write=group(lambda n: fiche(n, Nombre_de_CRPV_impliqués="25 CRPV")),
    ),
    Case(
        "07",
        "group",
        (warning("Fiche", "B4", "année de création", "2024"),),
        True,
        ("3024",),
        write=group(lambda n: fiche(n, Groupe_créé_en="3024")),
    ),
    Case(
        "08",
        "group",
        (error("Fiche", "B5", "centre de ressources inconnu"),),
        False,
        write=group(lambda n: fiche(n, Animation="Centre Imaginaire : Paul DURAND")),
    ),
    Case(
        "09",
        "group",
        (error("Fiche", "B5", "vouliez-vous dire « Profession Banlieue » ?"),),
        False,
        write=group(lambda n: fiche(n, Animation="Profesion Banlieue")),
    ),
    Case(
        "10",
        "group",
        (error("Travaux", "A2", "au moins un sujet"),),
        False,
        write=group(Travaux=[["Sujet", "Précisions"]]),
    ),
    Case(
        "11",
        "group",
        (
            error("Travaux", "1:1", "la colonne « Sujet » est absente"),
            warning("Travaux", "A1", "colonne inconnue"),
        ),
        False,
        write=group(Travaux=[["Sujets", "Précisions"], ["Un sujet", ""]]),
    ),
    Case(
        "12",
        "group",
        (error("Fiche", "B7", "donné deux fois", "B2"),),
        False,
        write=group(lambda n: [*fiche(n), ["Nombre de CRPV impliqués", "4 CRPV"]]),
    ),
    Case(
        "13",
        "group",
        (error("Fiche", "B2", "l'onglet « Membres » compte 2", "est 3"),),
        False,
        write=group(Membres=MEMBERS[:3]),
    ),
    Case(
        "14",
        "group",
        (error("Fiche", "B5", "absent(s) de l'onglet « Membres » : IREV"),),
        False,
        write=group(Membres=[MEMBERS[0], MEMBERS[1], MEMBERS[3], ["Labo Cités", ""]]),
    ),
    Case(
        "15",
        "group",
        (error("Fiche", "B3", "l'onglet « Réunions » compte 1", "moins que les 2"),),
        False,
        write=group(Réunions=MEETINGS[:2]),
    ),
    Case(
        "16",
        "group",
        (),
        True,
        ("<script>alert('x')</script>", "<b>gras</b>"),
        write=group(
            Travaux=travaux("<script>alert('x')</script>", "<b>gras</b> & <i>italique</i>")
        ),
    ),
    Case(
        "17",
        "group",
        (),
        True,
        ("=SOMME(A1:A3)", '=HYPERLINK("http://exemple.fr")'),
        write=group(
            lambda n: fiche(
                n, Modalités_de_travail='=SOMME(A1:A3)\n=HYPERLINK("http://exemple.fr")'
            )
        ),
    ),
    Case(
        "18",
        "group",
        (warning("Travaux", "B2", "cellule très longue", "60017 caractères"),),
        True,
        ("FIN-DU-LONG-TEXTE",),
        write=group(Travaux=travaux("Sujet long", LONG)),
    ),
    Case(
        "19",
        "group",
        (warning("Fiche", "A7", "libellé inconnu"),),
        True,
        write=group(lambda n: [*fiche(n), ["Budget prévu", "1000 €"]]),
    ),
    Case(
        "20",
        "group",
        (warning("Brouillon", None, "onglet inconnu"),),
        True,
        write=group(Brouillon=[["notes"]]),
    ),
    Case(
        "21",
        "group",
        (warning("Membres", "B4", "rôle inconnu"),),
        True,
        write=group(Membres=[*MEMBERS[:3], ["ORIV", "chef"]]),
    ),
    Case(
        "22",
        "group",
        (warning("Réunions", "B4", "format inconnu"),),
        True,
        write=group(Réunions=[*MEETINGS, ["2024-09-01", "téléphone", "", ""]]),
    ),
    Case(
        "23",
        "group",
        (warning("Fiche", "B7", "adresse électronique"),),
        True,
        write=group(lambda n: [*fiche(n), ["Contact", "Marie au 06 00 00 00 00"]]),
    ),
    Case(
        "24",
        "group",
        (warning("Fiche", "B3", "fréquence non comprise"),),
        True,
        ("quelques-unes selon l'actualité",),
        write=group(lambda n: fiche(n, Nombre_de_réunions="quelques-unes selon l'actualité")),
    ),
    Case("25", "group", (error("Fiche", None, "n'est pas encodé en UTF-8"),), False, write=_latin1),
    Case(
        "26",
        "group",
        (warning("Fiche", None, "points-virgules"),),
        True,
        ("Sujet ; point-virgule",),
        write=_semicolons,
    ),
    Case("27", "group", (error(None, None, "illisible ou endommagé"),), False, write=_corrupt_xlsx),
    Case("28", "group", (error(None, None, "illisible ou endommagé"),), False, write=_empty_xlsx),
    Case(
        "29",
        "group",
        (error("Fiche", None, "« Groupe de travail » est obligatoire"),),
        False,
        write=_empty_fiche,
    ),
    Case(
        "30",
        "group",
        (),
        True,
        ("Échanges 🎉 entre pairs", "مرحبا بالجميع"),
        write=group(Travaux=travaux("Échanges 🎉 entre pairs", "مرحبا بالجميع")),
    ),
    Case(
        "31",
        "group",
        # The `Feuille` cell is the cause: row 44 of `Groupes` (the 30 cases before, the 12 groups).
        (error("Groupes", "B44", "classeur introuvable"),),
        False,
        sheet="cas-31-absent",
    ),
    Case(
        "32",
        "group",
        (error("Fiche", "B1", "aussi déclaré par le classeur « cas-33 »"),),
        False,
        write=_duplicate,
    ),
    Case(
        "33",
        "group",
        (error("Fiche", "B1", "aussi déclaré par le classeur « cas-32 »"),),
        False,
        write=_duplicate,
    ),
    Case(
        "34",
        "group",
        (warning("Fiche", "B1", "diffère de celui de l'onglet « Groupes »"),),
        True,
        write=group(lambda _: fiche("Un autre nom")),
    ),
    Case(
        "35",
        "group",
        (error("Fiche", "B4", "une année est attendue"),),
        False,
        write=group(lambda n: fiche(n, Groupe_créé_en="l'an dernier")),
    ),
    Case(
        "36",
        "group",
        (error("Travaux", "A3", "chaque ligne a un sujet"),),
        False,
        write=group(Travaux=[*travaux(), ["", "une précision orpheline"]]),
    ),
    Case("37", "group", (), True, ("Sujet du cas",), write=_ods, sheet="cas-37.ods"),
    Case(
        "38",
        "group",
        (error("Groupes", "B51", "ne désigne pas un classeur de l'édition"),),
        False,
        sheet="../secret",
    ),
)

CONTRIBUTION_CASES: tuple[Case, ...] = (
    Case(
        "41",
        "contribution",
        (warning("Observations", "F2", "http:// ou https://"),),
        True,
        ("javascript:alert(1)",),
    ),
    Case(
        "42",
        "contribution",
        (error("Observations", "A3", "vouliez-vous dire « Labo Cités » ?"),),
        False,
    ),
)


def write_contribution(folder: Path, name: str, case_id: str) -> None:
    observations = [
        ["CRPV", "Territoire", "Pratique", "Description", "Enseignements", "Source"],
        [
            "IREV",
            "Lille",
            "Atelier du cas",
            "Description.",
            "",
            "javascript:alert(1)" if case_id == "41" else "",
        ],
    ]
    if case_id == "42":
        observations.append(["Labo Citées", "Lyon", "Autre atelier", "", "", ""])
    write_tabs(
        folder,
        {
            "Contribution": [
                ["Sujet", name],
                ["Questions", "Pourquoi ?"],
                ["Coordination", "IREV"],
            ],
            "Observations": observations,
        },
    )


@dataclass
class Corpus:
    edition: Path
    cases: tuple[Case, ...] = field(default=CASES + CONTRIBUTION_CASES)


def make_corpus(root: Path) -> Corpus:
    """Copy the bundled edition and add every case to it, registered after the real groups."""
    edition = root / "2024"
    shutil.copytree(BUNDLED, edition)
    groups = [["Groupe", "Feuille"], *_read(edition / "reseau" / "Groupes.csv")[1:]]
    contributions = [["Sujet", "Feuille"], *_read(edition / "reseau" / "Contributions.csv")[1:]]
    for case in CASES:
        if case.write is not None:
            case.write(edition / f"cas-{case.id}", case.name)
        groups.append([case.name, case.folder])
    for case in CONTRIBUTION_CASES:
        write_contribution(edition / case.folder, case.name, case.id)
        contributions.append([case.name, case.folder])
    write_tabs(edition / "reseau", {"Groupes": groups, "Contributions": contributions})
    return Corpus(edition)


def _read(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))
