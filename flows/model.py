"""Typed records that every stage after parsing speaks, and the problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]
Kind = Literal["network", "group", "contribution"]
SEVERITY_LABELS = {"error": "erreur", "warning": "avertissement"}
_FOUND_SHOWN = 80


class Status(StrEnum):
    """What became of one workbook: an identifier (in `controles.json` too); `STATUS_LABELS` says it."""

    READY = "ready"  # read and checked without error: its own data are printed
    FALLBACK = "fallback"  # errors, printed from its last valid copy
    REJECTED = "rejected"  # errors and no valid copy: left out


STATUS_LABELS = {
    Status.READY: "prêt",
    Status.FALLBACK: "données antérieures",
    Status.REJECTED: "écarté",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a workbook, said the way SHEETS.md §4 says it."""

    severity: Severity
    workbook: str
    message: str
    tab: str | None = None
    cell: str | None = None
    found: str | None = None

    @property
    def where(self) -> str:
        """`Fiche!B3`, `Travaux` or empty, as the report prints it."""
        if self.tab and self.cell:
            separator = ", " if self.cell.startswith("ligne") else "!"
            return f"{self.tab}{separator}{self.cell}"
        return self.tab or ""

    def __str__(self) -> str:
        parts = [self.workbook]
        if self.where:
            parts.append(self.where)
        text = " · ".join(parts)
        if self.found is not None:
            found = " ".join(self.found.split())
            if len(found) > _FOUND_SHOWN:
                found = found[: _FOUND_SHOWN - 1] + "…"
            text += f" · « {found} »"
        ending = "" if self.message.endswith((".", "?", "!", "…")) else "."
        return f"{text} : {self.message}{ending}"


@dataclass(frozen=True)
class Programme:
    year: int
    title: str
    network: str
    acronym: str = ""
    subtitle: str = ""
    published: str = ""
    partners: tuple[str, ...] = ()
    contact: str = ""
    licence: str = ""


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    text: str


@dataclass(frozen=True)
class Centre:
    sigle: str
    name: str
    territory: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registration:
    """A line of the `Groupes` or `Contributions` tab: a name and the workbook that holds it."""

    name: str
    sheet: str
    row: int
    cell: str | None = None  # the `Feuille` cell, e.g. `B3`


@dataclass(frozen=True)
class Network:
    programme: Programme
    sections: tuple[Section, ...]
    centres: tuple[Centre, ...]
    groups: tuple[Registration, ...]
    contributions: tuple[Registration, ...]


@dataclass(frozen=True)
class MeetingCount:
    """`Nombre de réunions` as written, and the yearly range understood from it."""

    text: str
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Creation:
    """`Groupe créé en`: a year, optionally a month, optionally a note."""

    text: str
    year: int | None = None
    month: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LeadEntry:
    """One entry of `Animation` or `Coordination`: a centre with people, or free text."""

    text: str
    line: int
    centre: str | None = None
    people: str = ""
    mentions: tuple[str, ...] = ()

    @property
    def centres(self) -> tuple[str, ...]:
        """Sigles of the centres this entry names, resolved or mentioned in free text."""
        return (self.centre,) if self.centre else self.mentions


@dataclass(frozen=True)
class Topic:
    subject: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    centre: str
    role: str


@dataclass(frozen=True)
class Meeting:
    date: str
    format: str
    place: str
    purpose: str


@dataclass(frozen=True)
class Group:
    name: str
    crpv_count: int
    crpv_count_text: str
    meetings: MeetingCount
    animation: tuple[LeadEntry, ...]
    methods: tuple[str, ...]
    topics: tuple[Topic, ...]
    created: Creation | None = None
    contact: str = ""
    members: tuple[Member, ...] = ()
    planned_meetings: tuple[Meeting, ...] = ()


@dataclass(frozen=True)
class Observation:
    centre: str
    practice: str
    territory: str = ""
    description: str = ""
    lessons: str = ""
    source: str = ""


@dataclass(frozen=True)
class Lesson:
    lesson: str
    detail: str = ""


@dataclass(frozen=True)
class Contribution:
    subject: str
    questions: tuple[str, ...]
    observations: tuple[Observation, ...]
    coordination: tuple[LeadEntry, ...] = ()
    introduction: str = ""
    lessons: tuple[Lesson, ...] = ()
    notice: str = ""


@dataclass(frozen=True)
class Outcome:
    """What reading and checking one workbook gave: its record (None when kept out) and problems."""

    kind: Kind
    name: str
    sheet: str
    record: Network | Group | Contribution | None
    problems: tuple[Problem, ...] = field(default=())
    modified: str | None = None
    name_cell: str | None = None
    data_date: str | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        """Read and checked without error: its own data are printed."""
        return self.record is not None and not self.errors

    @property
    def status(self) -> Status:
        """Ready, printed from its last valid copy (fallback), or left out (rejected)."""
        if self.ok:
            return Status.READY
        return Status.FALLBACK if self.record is not None else Status.REJECTED


class BuildFailed(Exception):
    """A build that wrote nothing because of errors; it carries the build's report."""

    def __init__(self, report: BuildReport) -> None:
        super().__init__(report)  # in `args`, so that the exception pickles with its report

    @property
    def report(self) -> BuildReport:
        return self.args[0]

    def __str__(self) -> str:
        return f"la construction de l'édition {self.report.year} n'a rien écrit"


def display_name(kind: Kind, name: str) -> str:
    """How problem reports name a workbook: `Réseau`, `GT Santé`, `Contribution « ... »`."""
    if kind == "network":
        return "Réseau"
    return f"GT {name}" if kind == "group" else f"Contribution « {name} »"


@dataclass
class BuildReport:
    """What a build read, found and wrote; what the command line and the benchmark print."""

    year: int | None
    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    files: list[tuple[str, int]] = field(default_factory=list)
    folder: str = ""
    draft: bool = False
    strict: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    out: str = ""
    reports: list[tuple[str, int]] = field(default_factory=list)
    unchanged: str = ""  # when nothing changed: the date of the edition still published
    drive: list[tuple[str, str, bool]] = field(default_factory=list)
    drive_error: str = ""
    data_docs: bool = False
    previous: str = ""  # the earlier edition the programme's annex compares with
    previous_error: str = ""
    documents: dict[str, dict[str, object]] = field(default_factory=dict)  # title, pages by path

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        """0 when every workbook made it in, 1 when problems kept data out."""
        return 1 if self.errors else 0

    @property
    def failed(self) -> bool:
        """Errors, and nothing written: the network workbook failed, or `--strict` stopped the build."""
        return bool(self.errors) and not self.files and not self.unchanged

    @property
    def publication(self) -> dict[str, str]:
        """What the build did with the edition, and where, for the top of the checks report."""
        edition = str(Path(self.out) / str(self.year))
        if self.unchanged:
            return {"state": "unchanged", "where": edition, "published": self.unchanged}
        if self.draft and self.files:
            return {"state": "draft", "where": self.folder}
        if self.draft or not self.outcomes or self.outcomes[0].record is None:
            return {"state": "nothing", "where": edition, "strict": str(self.strict and self.draft)}
        return {"state": "published", "where": edition}
