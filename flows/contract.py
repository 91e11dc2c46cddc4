"""SHEETS.md as data: every tab, label and column people see, and the internal name it maps to.

French names live here and in the templates only; everything after parsing speaks the internal names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Shape = Literal["labels", "table"]


@dataclass(frozen=True)
class Field:
    """A label of a label/value tab or a column of a table tab."""

    name: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class TabSpec:
    """One tab of the contract: `code` names it in recueil (staged rows, suites), `name` for people."""

    code: str
    name: str
    shape: Shape
    fields: tuple[Field, ...]
    required: bool = True

    def field(self, name: str) -> Field:
        """The field with this internal name."""
        return next(f for f in self.fields if f.name == name)


PROGRAMME = TabSpec(
    "programme",
    "Programme",
    "labels",
    (
        Field("year", "Année", required=True),
        Field("title", "Titre", required=True),
        Field("network", "Réseau", required=True),
        Field("acronym", "Sigle"),
        Field("subtitle", "Sous-titre"),
        Field("published", "Date de publication"),
        Field("partners", "Partenaires"),
        Field("contact", "Contact"),
        Field("licence", "Licence"),
    ),
)
SECTIONS = TabSpec(
    "sections",
    "Sections",
    "table",
    (Field("number", "N°"), Field("title", "Titre", required=True), Field("text", "Texte")),
)
CENTRES = TabSpec(
    "centres",
    "CRPV",
    "table",
    (
        Field("sigle", "Sigle", required=True),
        Field("name", "Nom"),
        Field("territory", "Territoire"),
        Field("aliases", "Alias"),
    ),
)
GROUPS = TabSpec(
    "groups",
    "Groupes",
    "table",
    (Field("name", "Groupe", required=True), Field("sheet", "Feuille", True)),
)
CONTRIBUTIONS = TabSpec(
    "contributions",
    "Contributions",
    "table",
    (Field("subject", "Sujet", required=True), Field("sheet", "Feuille", required=True)),
    required=False,
)

FICHE = TabSpec(
    "record",
    "Fiche",
    "labels",
    (
        Field("name", "Groupe de travail", required=True),
        Field("crpv_count", "Nombre de CRPV impliqués", required=True),
        Field("meetings", "Nombre de réunions", required=True),
        Field("created", "Groupe créé en"),
        Field("animation", "Animation", required=True),
        Field("methods", "Modalités de travail", required=True),
        Field("contact", "Contact"),
    ),
)
TOPICS = TabSpec(
    "topics",
    "Travaux",
    "table",
    (Field("subject", "Sujet", required=True), Field("details", "Précisions")),
)
MEMBERS = TabSpec(
    "members",
    "Membres",
    "table",
    (Field("centre", "CRPV", required=True), Field("role", "Rôle")),
    False,
)
MEETINGS = TabSpec(
    "meetings",
    "Réunions",
    "table",
    (
        Field("date", "Date"),
        Field("format", "Format"),
        Field("place", "Lieu"),
        Field("purpose", "Objet"),
    ),
    required=False,
)

CONTRIBUTION = TabSpec(
    "summary",
    "Contribution",
    "labels",
    (
        Field("subject", "Sujet", required=True),
        Field("questions", "Questions", required=True),
        Field("coordination", "Coordination"),
        Field("introduction", "Introduction"),
        Field("notice", "Mention"),
    ),
)
OBSERVATIONS = TabSpec(
    "observations",
    "Observations",
    "table",
    (
        Field("centre", "CRPV", required=True),
        Field("territory", "Territoire"),
        Field("practice", "Pratique", required=True),
        Field("description", "Description"),
        Field("lessons", "Enseignements"),
        Field("source", "Source"),
    ),
)
LESSONS = TabSpec(
    "lessons",
    "Enseignements",
    "table",
    (Field("lesson", "Enseignement", required=True), Field("detail", "Détail")),
    required=False,
)

NETWORK_TABS = (PROGRAMME, SECTIONS, CENTRES, GROUPS, CONTRIBUTIONS)
GROUP_TABS = (FICHE, TOPICS, MEMBERS, MEETINGS)
CONTRIBUTION_TABS = (CONTRIBUTION, OBSERVATIONS, LESSONS)
TABS = {"network": NETWORK_TABS, "group": GROUP_TABS, "contribution": CONTRIBUTION_TABS}


def tab_spec(kind: str, code: str) -> TabSpec:
    """The tab of a workbook kind with this code."""
    return next(t for t in TABS[kind] if t.code == code)


ROLES = ("membre", "animation", "co-pilotage")
MEETING_FORMATS = ("visio", "présentiel", "hybride")
