"""Workbooks into typed records: tabs matched and renamed once, values parsed, problems collected."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows import contract
from flows.centres import CentreIndex, UnknownCentre
from flows.contract import TabSpec
from flows.fields import parse_count, parse_creation, parse_meeting_count, split_items, strip_bullet
from flows.model import (
    Centre,
    Contribution,
    Group,
    LeadEntry,
    Lesson,
    Meeting,
    Member,
    Network,
    Observation,
    Problem,
    Programme,
    Registration,
    Section,
    Severity,
    Topic,
)
from sources.files import shown
from sources.workbook import Tab, Workbook, column_letter, match_key

LONG_CELL = 5000


def look_alike(name: str) -> str:
    """For a name that is not recognised but may look like one that is (a Cyrillic « о », an invisible
    character): the name with those characters shown by their code point, so the difference shows."""
    visible = shown(name.strip())
    return (
        ""
        if visible == name.strip()
        else f" ; il contient un caractère non latin ou invisible : {visible}"
    )


@dataclass(frozen=True)
class Value:
    """A cell's text and where it is (`B3`)."""

    text: str
    cell: str


@dataclass(frozen=True)
class Row:
    """A record of a table tab: values by internal name, and the spreadsheet row number."""

    number: int
    values: dict[str, Value]

    def get(self, name: str) -> str:
        value = self.values.get(name)
        return value.text if value else ""

    def cell(self, name: str) -> str | None:
        """The A1 cell of a field, or the row when the column is absent (None on a label tab)."""
        value = self.values.get(name)
        if value:
            return value.cell
        return f"ligne {self.number}" if self.number else None


@dataclass(frozen=True)
class Parsed:
    """A parsed workbook: its record (None when errors keep it out), problems, and staged rows."""

    record: Network | Group | Contribution | None
    problems: list[Problem]
    staged: dict[str, list[Row]]  # by tab code (contract.TabSpec.code)


@dataclass
class Reader:
    """Reads the tabs of one workbook against the contract, collecting problems as it goes."""

    workbook: Workbook
    display: str
    problems: list[Problem] = field(default_factory=list)
    staged: dict[str, list[Row]] = field(default_factory=dict)

    def report(
        self,
        severity: Severity,
        message: str,
        tab: str | None = None,
        cell: str | None = None,
        found: str | None = None,
    ) -> None:
        self.problems.append(Problem(severity, self.display, message, tab, cell, found))

    def result(self, record: Network | Group | Contribution | None) -> Parsed:
        return Parsed(None if self.has_errors() else record, self.problems, self.staged)

    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def notices(self) -> None:
        for notice in self.workbook.notices:
            severity: Severity = "error" if notice.severity == "error" else "warning"
            self.report(severity, notice.message, notice.tab, notice.cell)

    def tab(self, spec: TabSpec) -> Tab | None:
        matching = [t for t in self.workbook.tabs if match_key(t.name) == match_key(spec.name)]
        if not matching:
            if spec.required:
                self.report("error", f"l'onglet « {spec.name} » est absent", tab=spec.name)
            return None
        if len(matching) > 1:
            names = " et ".join(f"« {t.name} »" for t in matching)
            self.report(
                "error",
                f"deux onglets se lisent « {spec.name} » ({names}) : gardez-en un seul",
                tab=matching[1].name,
            )
        return matching[0]

    def unknown_tabs(self, specs: tuple[TabSpec, ...]) -> None:
        known = {match_key(s.name) for s in specs} | {match_key("Contrôles")}
        for tab in self.workbook.tabs:
            if match_key(tab.name) not in known:
                self.report(
                    "warning", "onglet inconnu, ignoré" + look_alike(tab.name), tab=tab.name
                )

    def labels(self, spec: TabSpec, markdown: tuple[str, ...] = ()) -> dict[str, Value]:
        """The values of a label/value tab by internal name; missing required labels reported."""
        tab = self.tab(spec)
        if tab is None:
            return {}
        by_key = {match_key(f.label): f for f in spec.fields}
        values: dict[str, Value] = {}
        for index, row in enumerate(tab.rows):
            label = row[0] if row else ""
            # Only column B is the value: columns further right may hold hints or notes.
            value = row[1] if len(row) > 1 else ""
            if not label.strip():
                if value.strip():
                    self.report(
                        "warning",
                        "valeur sans libellé en colonne A, ignorée",
                        tab.name,
                        f"B{index + 1}",
                        value,
                    )
                continue
            spec_field = by_key.get(match_key(label))
            if spec_field is None:
                self.report(
                    "warning",
                    "libellé inconnu, ignoré" + look_alike(label),
                    tab.name,
                    f"A{index + 1}",
                    label,
                )
                continue
            cell = f"B{index + 1}"
            previous = values.get(spec_field.name)
            if previous is not None:
                if previous.text.strip() != value.strip():
                    self.report(
                        "error",
                        f"le libellé « {spec_field.label} » est donné deux fois avec des valeurs "
                        f"différentes (voir {previous.cell})",
                        tab.name,
                        cell,
                        value,
                    )
                continue
            if spec_field.name not in markdown:
                self._long_cell(tab.name, cell, value)
            else:
                self._markdown_cell(tab.name, cell, value)
            values[spec_field.name] = Value(value.strip(), cell)
        self.staged[spec.code] = [Row(0, values)]
        for spec_field in spec.fields:
            if spec_field.required and not values.get(spec_field.name, Value("", "")).text:
                where = values[spec_field.name].cell if spec_field.name in values else None
                self.report(
                    "error",
                    f"« {spec_field.label} » est obligatoire et n'est pas rempli",
                    tab.name,
                    where,
                )
        return values

    def table(self, spec: TabSpec, markdown: tuple[str, ...] = ()) -> list[Row]:
        """The records of a table tab, headers matched to internal names; blank rows skipped."""
        tab = self.tab(spec)
        if tab is None:
            return []
        header_index = next(
            (i for i, row in enumerate(tab.rows) if any(c.strip() for c in row)), None
        )
        if header_index is None:
            if spec.required:
                self.report(
                    "error", "l'onglet est vide : une ligne d'en-têtes est attendue", tab.name
                )
            return []
        by_key = {match_key(f.label): f for f in spec.fields}
        columns: dict[int, str] = {}
        for col, header in enumerate(tab.rows[header_index]):
            if not header.strip():
                continue
            spec_field = by_key.get(match_key(header))
            if spec_field is None:
                self.report(
                    "warning",
                    "colonne inconnue, ignorée (colonnes attendues : "
                    + ", ".join(f.label for f in spec.fields)
                    + ")"
                    + look_alike(header),
                    tab.name,
                    f"{column_letter(col)}{header_index + 1}",
                    header,
                )
            elif spec_field.name not in columns.values():
                columns[col] = spec_field.name
        missing = [f for f in spec.fields if f.required and f.name not in columns.values()]
        for spec_field in missing:
            self.report(
                "error",
                f"la colonne « {spec_field.label} » est absente de la ligne d'en-têtes",
                tab.name,
                f"{header_index + 1}:{header_index + 1}",
            )
        if missing:
            return []
        self._without_header(tab, header_index)
        rows: list[Row] = []
        for index in range(header_index + 1, len(tab.rows)):
            cells = tab.rows[index]
            values = {}
            for col, name in columns.items():
                text = cells[col] if col < len(cells) else ""
                values[name] = Value(text.strip(), f"{column_letter(col)}{index + 1}")
                if name not in markdown:
                    self._long_cell(tab.name, values[name].cell, text)
                else:
                    self._markdown_cell(tab.name, values[name].cell, text)
            if any(v.text for v in values.values()):
                rows.append(Row(index + 1, values))
        self.staged[spec.code] = rows
        return rows

    def _without_header(self, tab: Tab, header_index: int) -> None:
        """Cells of a column without a header are dropped: say so, once per tab, at the first one."""
        header = tab.rows[header_index]
        dropped = [
            (index, col)
            for index in range(header_index + 1, len(tab.rows))
            for col, text in enumerate(tab.rows[index])
            if text.strip() and (col >= len(header) or not header[col].strip())
        ]
        if dropped:
            from flows.text import agreed, counted

            index, col = dropped[0]
            self.report(
                "warning",
                f"{counted(len(dropped), 'cellule')} dans une colonne sans en-tête "
                f"(ligne {header_index + 1}) : {agreed(len(dropped), 'ignorée')}",
                tab.name,
                f"{column_letter(col)}{index + 1}",
                tab.rows[index][col],
            )

    def _markdown_cell(self, tab: str, cell: str, text: str) -> None:
        from flows.text import agreed, counted, markdown_lost_lines

        lost = markdown_lost_lines(text)
        if lost:
            self.report(
                "warning",
                f"Markdown trop imbriqué (listes de plus de 9 niveaux ou citations de plus de 19) : "
                f"{counted(len(lost), 'ligne')} de la cellule "
                f"{'ne peut' if len(lost) < 2 else 'ne peuvent'} pas être "
                f"{agreed(len(lost), 'imprimée')}, dès la ligne {lost[0]}",
                tab,
                cell,
                text.splitlines()[lost[0] - 1],
            )

    def _long_cell(self, tab: str, cell: str, text: str) -> None:
        if len(text) > LONG_CELL:
            self.report(
                "warning",
                f"cellule très longue ({len(text)} caractères, plus de {LONG_CELL}) : imprimée quand même",
                tab,
                cell,
                text,
            )


def parse_network(workbook: Workbook) -> Parsed:
    """The network workbook: programme, sections, reference list of centres, registered workbooks."""
    reader = Reader(workbook, "Réseau")
    reader.notices()
    reader.unknown_tabs(contract.NETWORK_TABS)
    labels = reader.labels(contract.PROGRAMME)
    year_text = labels.get("year", Value("", "")).text
    year = parse_count(year_text)
    if year_text and year is None:
        reader.report(
            "error",
            "une année sur quatre chiffres est attendue (ex. 2024)",
            "Programme",
            labels["year"].cell,
            year_text,
        )
    sections = tuple(
        Section(row.get("number"), row.get("title"), row.get("text"))
        for row in reader.table(contract.SECTIONS, markdown=("text",))
    )
    centres = []
    for row in reader.table(contract.CENTRES):
        aliases = tuple(
            a.strip() for a in row.get("aliases").replace("\n", ",").split(",") if a.strip()
        )
        centres.append(
            Centre(
                row.get("sigle"), row.get("name") or row.get("sigle"), row.get("territory"), aliases
            )
        )
    groups = tuple(
        Registration(r.get("name"), r.get("sheet"), r.number, r.cell("sheet"))
        for r in reader.table(contract.GROUPS)
    )
    contributions = tuple(
        Registration(r.get("subject"), r.get("sheet"), r.number, r.cell("sheet"))
        for r in reader.table(contract.CONTRIBUTIONS)
    )
    if reader.has_errors() or year is None:
        return reader.result(None)
    programme = Programme(
        year,
        labels["title"].text,
        labels["network"].text,
        labels.get("acronym", Value("", "")).text,
        labels.get("subtitle", Value("", "")).text,
        labels.get("published", Value("", "")).text,
        split_items(labels.get("partners", Value("", "")).text),
        labels.get("contact", Value("", "")).text,
        labels.get("licence", Value("", "")).text,
    )
    return reader.result(Network(programme, sections, tuple(centres), groups, contributions))


def _leads(
    reader: Reader, centres: CentreIndex, value: Value | None, tab: str
) -> tuple[LeadEntry, ...]:
    if value is None or not value.text:
        return ()
    entries, unknown = centres.parse_leads(value.text)
    for entry in unknown:
        reader.report("error", _unknown_centre_message(entry), tab, value.cell, entry.text)
    return entries


def _unknown_centre_message(entry: UnknownCentre) -> str:
    message = "centre de ressources inconnu de la liste « CRPV » du classeur réseau"
    if entry.suggestion:
        message += f" : vouliez-vous dire « {entry.suggestion} » ?"
    return message


def parse_group(workbook: Workbook, display: str, centres: CentreIndex) -> Parsed:
    """A working group's workbook: its `Fiche`, `Travaux`, and optional `Membres` and `Réunions`."""
    reader = Reader(workbook, display)
    reader.notices()
    reader.unknown_tabs(contract.GROUP_TABS)
    labels = reader.labels(contract.FICHE)
    tab = contract.FICHE.name

    count_value = labels.get("crpv_count")
    count = parse_count(count_value.text) if count_value and count_value.text else None
    if count_value and count_value.text and count is None:
        reader.report(
            "error",
            "un nombre entier est attendu (ex. 14)",
            tab,
            count_value.cell,
            count_value.text,
        )

    meetings_value = labels.get("meetings", Value("", ""))
    meetings = parse_meeting_count(meetings_value.text)
    if meetings_value.text and meetings.minimum is None:
        reader.report(
            "warning",
            "fréquence non comprise (ex. « 8 », « 6 à 7 réunions », « 1/mois sauf en août ») : imprimée telle quelle",
            tab,
            meetings_value.cell,
            meetings_value.text,
        )

    created = None
    if (created_value := labels.get("created")) and created_value.text:
        created = parse_creation(created_value.text)
        if created is None:
            reader.report(
                "error",
                "une année est attendue, éventuellement précédée du mois et suivie d'une précision entre parenthèses (ex. « Mai 2022 (fusion de deux groupes) »)",
                tab,
                created_value.cell,
                created_value.text,
            )

    animation = _leads(reader, centres, labels.get("animation"), tab)
    methods = split_items(labels.get("methods", Value("", "")).text)
    topics = tuple(
        Topic(strip_bullet(row.get("subject")), split_items(row.get("details")))
        for row in reader.table(contract.TOPICS)
    )

    members = []
    for row in reader.table(contract.MEMBERS):
        sigle = centres.resolve(row.get("centre"))
        if sigle is None and row.get("centre"):
            unknown = UnknownCentre(row.get("centre"), 0, centres.suggest(row.get("centre")))
            reader.report(
                "error",
                _unknown_centre_message(unknown),
                contract.MEMBERS.name,
                row.cell("centre"),
                row.get("centre"),
            )
        members.append(Member(sigle or row.get("centre"), match_key(row.get("role")) or "membre"))
    planned = tuple(
        Meeting(row.get("date"), row.get("format"), row.get("place"), row.get("purpose"))
        for row in reader.table(contract.MEETINGS)
    )
    if reader.has_errors() or count is None:
        return reader.result(None)
    return reader.result(
        Group(
            name=labels["name"].text,
            crpv_count=count,
            crpv_count_text=count_value.text if count_value else "",
            meetings=meetings,
            animation=animation,
            methods=methods,
            topics=topics,
            created=created,
            contact=labels.get("contact", Value("", "")).text,
            members=tuple(members),
            planned_meetings=planned,
        )
    )


def parse_contribution(workbook: Workbook, display: str, centres: CentreIndex) -> Parsed:
    """An annual contribution's workbook: subject, questions, observations and lessons."""
    reader = Reader(workbook, display)
    reader.notices()
    reader.unknown_tabs(contract.CONTRIBUTION_TABS)
    labels = reader.labels(contract.CONTRIBUTION, markdown=("introduction",))
    coordination = _leads(reader, centres, labels.get("coordination"), contract.CONTRIBUTION.name)
    observations = []
    for row in reader.table(contract.OBSERVATIONS):
        centre = centres.resolve(row.get("centre"))
        if centre is None and row.get("centre"):
            reader.report(
                "error",
                _unknown_centre_message(
                    UnknownCentre(row.get("centre"), 0, centres.suggest(row.get("centre")))
                ),
                contract.OBSERVATIONS.name,
                row.cell("centre"),
                row.get("centre"),
            )
        observations.append(
            Observation(
                centre or row.get("centre"),
                row.get("practice"),
                row.get("territory"),
                row.get("description"),
                row.get("lessons"),
                row.get("source"),
            )
        )
    lessons = tuple(
        Lesson(row.get("lesson"), row.get("detail")) for row in reader.table(contract.LESSONS)
    )
    if reader.has_errors():
        return reader.result(None)
    return reader.result(
        Contribution(
            subject=labels["subject"].text,
            questions=split_items(labels["questions"].text),
            observations=tuple(observations),
            coordination=coordination,
            introduction=labels.get("introduction", Value("", "")).text,
            lessons=lessons,
            notice=labels.get("notice", Value("", "")).text,
        )
    )
