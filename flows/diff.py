"""Year over year: what changed in the working groups between two editions.

An edition is summed up in `EditionFacts` (from the records of a build, or read from an edition folder
without the Great Expectations suites, which a published edition has passed already); two facts give an
`EditionDiff`: groups added, removed or renamed, and for each group kept, the changes in centres,
meetings, animation and topics. The same diff feeds `recueil diff` and the programme's annex.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flows.centres import CentreIndex
from flows.model import Group, Network, Outcome
from flows.parse import parse_group, parse_network
from flows.settings import EDITIONS_DIR
from sources.local import NETWORK_NAME, LocalSource
from sources.workbook import SourceError

# Two names this alike (0 to 1, accents and case ignored) are taken for the same group renamed.
RENAME_SIMILARITY = 0.6
# Two topics this alike are the same topic reworded (a date or a word changed).
TOPIC_SIMILARITY = 0.85


@dataclass(frozen=True)
class GroupFacts:
    """What the annex compares of one group."""

    name: str
    sheet: str
    crpv_count: int
    meetings: str
    meetings_min: int | None
    meetings_max: int | None
    leads: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class EditionFacts:
    year: int
    centres: int
    groups: tuple[GroupFacts, ...]
    source: str = ""


@dataclass(frozen=True)
class Change:
    """A figure that moved: what it was, what it is."""

    before: int | str
    after: int | str


@dataclass(frozen=True)
class GroupDiff:
    """One group found in both editions, and what moved in it."""

    name: str
    previous_name: str
    crpv_count: Change | None = None
    meetings: Change | None = None
    leads_added: tuple[str, ...] = ()
    leads_dropped: tuple[str, ...] = ()
    topics_added: tuple[str, ...] = ()
    topics_dropped: tuple[str, ...] = ()

    @property
    def renamed(self) -> bool:
        return self.name != self.previous_name

    @property
    def changed(self) -> bool:
        return bool(
            self.renamed
            or self.crpv_count
            or self.meetings
            or self.leads_added
            or self.leads_dropped
            or self.topics_added
            or self.topics_dropped
        )


@dataclass(frozen=True)
class EditionDiff:
    previous_year: int
    year: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    groups: tuple[GroupDiff, ...]
    centres: Change | None
    group_count: Change | None
    participations: Change | None
    meetings: Change | None
    previous_source: str = ""
    source: str = ""
    unchanged: tuple[str, ...] = field(default=())

    def lines(self, group: GroupDiff) -> list[str]:
        """What moved in one of its groups, one French sentence each (topics apart)."""
        return group_lines(group, self.previous_year)

    @property
    def renamed(self) -> tuple[GroupDiff, ...]:
        return tuple(g for g in self.groups if g.renamed)

    @property
    def changed(self) -> tuple[GroupDiff, ...]:
        return tuple(g for g in self.groups if g.changed)

    def as_json(self) -> dict:
        """Plain data for `--json`: every list and change, and the renamed groups apart."""
        data = asdict(self)
        data["renamed"] = [{"before": g.previous_name, "after": g.name} for g in self.renamed]
        data["groups"] = [asdict(g) for g in self.changed]
        return data

    def overview(self) -> list[str]:
        """The changes across the network, one French sentence each."""
        lines = []
        if self.added:
            lines.append(
                f"{_count(len(self.added), 'groupe créé', 'groupes créés')} : {_names(self.added)}."
            )
        if self.removed:
            lines.append(
                f"{_count(len(self.removed), 'groupe arrêté', 'groupes arrêtés')} : {_names(self.removed)}."
            )
        for group in self.renamed:
            lines.append(f"« {group.previous_name} » s’appelle désormais « {group.name} ».")
        for label, change in (
            ("Groupes de travail", self.group_count),
            ("Centres de ressources du réseau", self.centres),
            ("Participations de centres aux groupes", self.participations),
            ("Réunions prévues dans l’année", self.meetings),
        ):
            if change:
                lines.append(
                    f"{label} : {change.before} en {self.previous_year}, {change.after} en {self.year}."
                )
        if not lines and not self.changed:
            lines.append(
                f"Aucun changement dans les groupes de travail depuis {self.previous_year}."
            )
        return lines


def group_lines(group: GroupDiff, previous_year: int) -> list[str]:
    """What moved in one group, one French sentence each."""
    lines = []
    if group.crpv_count:
        before, after = group.crpv_count.before, group.crpv_count.after
        lines.append(f"Centres impliqués : {after} ({before} en {previous_year}).")
    if group.meetings:
        before, after = group.meetings.before, group.meetings.after
        lines.append(f"Réunions dans l’année : {after} ({before} en {previous_year}).")
    if group.leads_added:
        lines.append(f"Rejoint l’animation : {_names(group.leads_added)}.")
    if group.leads_dropped:
        lines.append(f"Quitte l’animation : {_names(group.leads_dropped)}.")
    return lines


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def _names(names: tuple[str, ...]) -> str:
    quoted = [f"« {n} »" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " et " + quoted[-1]


def facts_of(network: Network, groups: dict[str, Outcome], source: str = "") -> EditionFacts:
    """The facts of a built edition: the groups of `Groupes` whose record is printed."""
    found = []
    for registration in network.groups:
        outcome = groups.get(registration.sheet)
        if outcome and isinstance(outcome.record, Group):
            found.append(_group_facts(registration.name, registration.sheet, outcome.record))
    return EditionFacts(network.programme.year, len(network.centres), tuple(found), source)


def _group_facts(name: str, sheet: str, group: Group) -> GroupFacts:
    leads: list[str] = []
    for entry in group.animation:
        leads.extend(c for c in entry.centres if c not in leads)
    return GroupFacts(
        name,
        sheet,
        group.crpv_count,
        group.meetings.text,
        group.meetings.minimum,
        group.meetings.maximum,
        tuple(leads),
        tuple(t.subject for t in group.topics),
    )


class EditionNotFound(Exception):
    """The edition named cannot be read; the message says why, in French."""


def resolve(reference: str | Path) -> Path:
    """An edition folder from a year of the bundled editions, a folder holding a network workbook, or
    a published edition (`output/<année>/`, one of its `archive/<horodatage>/`: its manifest's facts)."""
    text = str(reference)
    if re.fullmatch(r"\d{4}", text) and not Path(text).is_dir():
        folder = EDITIONS_DIR / text
        if not folder.is_dir():
            raise EditionNotFound(f"aucune édition {text} dans {EDITIONS_DIR}")
        return folder
    folder = Path(text)
    if not folder.is_dir():
        raise EditionNotFound(f"dossier d'édition introuvable : {folder}")
    if not _has_network(folder) and _published_facts(folder) is None:
        raise EditionNotFound(
            f"{folder} ne contient ni classeur réseau ({NETWORK_NAME}) ni édition publiée par recueil"
        )
    return folder


def _has_network(folder: Path) -> bool:
    """A network workbook in the folder (a published `reseau-<année>.xlsx` view is not one)."""
    return any((folder / f"{NETWORK_NAME}{suffix}").exists() for suffix in ("", ".xlsx", ".ods"))


def as_json(facts: EditionFacts) -> dict:
    """The facts as the manifest of a publication keeps them (without the source's path)."""
    return {**asdict(facts), "source": ""}


def _published_facts(folder: Path) -> EditionFacts | None:
    """The facts kept in the manifest of a publication: its archive folder or its edition folder."""
    for manifest in (folder / "manifest.json", folder / "publie" / "manifest.json"):
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8")).get("facts")
            except (OSError, ValueError):
                return None
            if not isinstance(data, dict):
                return None
            groups = tuple(
                GroupFacts(**{**g, "leads": tuple(g["leads"]), "topics": tuple(g["topics"])})
                for g in data["groups"]
            )
            return EditionFacts(data["year"], data["centres"], groups, str(folder))
    return None


def read_facts(folder: Path) -> EditionFacts:
    """The facts of an edition: kept by its publication, or parsed from its workbooks without the
    suites (they passed them when published); unreadable groups are left out."""
    published = _published_facts(folder)
    if published is not None and not _has_network(folder):
        return published
    source = LocalSource(folder)
    try:
        parsed = parse_network(source.read_network())
    except SourceError as error:
        raise EditionNotFound(f"{folder} : {error.message}") from None
    network = parsed.record
    if not isinstance(network, Network):
        raise EditionNotFound(f"{folder} : le classeur réseau a des erreurs (recueil check)")
    centres = CentreIndex(network.centres)
    found = []
    for registration in network.groups:
        try:
            workbook = source.read(registration.sheet)
        except (SourceError, OSError):
            continue
        group = parse_group(workbook, f"GT {registration.name}", centres).record
        if isinstance(group, Group):
            found.append(_group_facts(registration.name, registration.sheet, group))
    return EditionFacts(network.programme.year, len(network.centres), tuple(found), str(folder))


def previous_folder(year: int, current: Path | None = None, out: Path | None = None) -> Path | None:
    """The edition of the year before: the bundled one, else the one published in `out`, else the
    Google workbooks snapshotted there; never the edition being built."""
    candidates = [EDITIONS_DIR / str(year - 1)]
    if out is not None:
        candidates += [out / str(year - 1), out / str(year - 1) / "snapshots"]
    for folder in candidates:
        if current is not None and folder.resolve() == current.resolve():
            continue
        if folder.is_dir() and (_has_network(folder) or _published_facts(folder) is not None):
            return folder
    return None


@dataclass(frozen=True)
class Comparison:
    """What an edition being built is compared with, for the programme's « Évolutions » annex."""

    changes: EditionDiff | None = None
    previous: str = ""  # the earlier edition, as the command line names it
    error: str = ""  # why the earlier edition could not be read


def compare_with_previous(
    facts: EditionFacts, previous: Path | None, current: Path | None, out: Path
) -> Comparison:
    """What changed since the earlier edition: the one named, else the year before's."""
    folder = previous or previous_folder(facts.year, current, out)
    if folder is None:
        return Comparison()
    try:
        before = read_facts(folder)
    except EditionNotFound as error:
        return Comparison(error=str(error))
    return Comparison(compare(before, facts), f"{before.year} ({folder})")


def compare(before: EditionFacts, after: EditionFacts) -> EditionDiff:
    """What changed from `before` to `after`."""
    pairs = _match(before.groups, after.groups)
    matched_before = {id(b) for b, _ in pairs}
    matched_after = {id(a) for _, a in pairs}
    groups = tuple(_group_diff(b, a) for b, a in pairs)
    return EditionDiff(
        previous_year=before.year,
        year=after.year,
        added=tuple(g.name for g in after.groups if id(g) not in matched_after),
        removed=tuple(g.name for g in before.groups if id(g) not in matched_before),
        groups=groups,
        centres=_change(before.centres, after.centres),
        group_count=_change(len(before.groups), len(after.groups)),
        participations=_change(_participations(before), _participations(after)),
        meetings=_change(_meetings(before), _meetings(after)),
        previous_source=before.source,
        source=after.source,
        unchanged=tuple(g.name for g in groups if not g.changed),
    )


def _match(
    before: tuple[GroupFacts, ...], after: tuple[GroupFacts, ...]
) -> list[tuple[GroupFacts, GroupFacts]]:
    """Pairs of the same group: same workbook first, then same name, then the most alike names."""
    pairs: list[tuple[GroupFacts, GroupFacts]] = []
    left, right = list(before), list(after)
    for key in (lambda g: g.sheet, lambda g: _plain(g.name)):
        for new in list(right):
            old = next((g for g in left if key(g) == key(new)), None)
            if old is not None:
                pairs.append((old, new))
                left.remove(old)
                right.remove(new)
    candidates = sorted(
        (
            (_similarity(old.name, new.name), i, j)
            for i, old in enumerate(left)
            for j, new in enumerate(right)
        ),
        reverse=True,
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    for score, i, j in candidates:
        if score < RENAME_SIMILARITY or i in used_left or j in used_right:
            continue
        pairs.append((left[i], right[j]))
        used_left.add(i)
        used_right.add(j)
    order = {id(g): n for n, g in enumerate(after)}
    return sorted(pairs, key=lambda pair: order[id(pair[1])])


def _plain(text: str) -> str:
    from flows.text import sort_key

    return " ".join(re.sub(r"[^\w]+", " ", sort_key(text).replace("’", "'")).split())


def _similarity(a: str, b: str) -> float:
    a, b = _plain(a), _plain(b)
    if a and b and (a in b or b in a):
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _group_diff(before: GroupFacts, after: GroupFacts) -> GroupDiff:
    added, dropped = _topic_changes(before.topics, after.topics)
    return GroupDiff(
        name=after.name,
        previous_name=before.name,
        crpv_count=_change(before.crpv_count, after.crpv_count),
        meetings=_change(_meeting_text(before), _meeting_text(after)),
        leads_added=tuple(c for c in after.leads if c not in before.leads),
        leads_dropped=tuple(c for c in before.leads if c not in after.leads),
        topics_added=added,
        topics_dropped=dropped,
    )


def _topic_changes(
    before: tuple[str, ...], after: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Topics new in `after` and gone from `before`; a topic slightly reworded is neither."""
    remaining = list(before)
    added = []
    for topic in after:
        same = max(remaining, key=lambda old: _similarity_strict(old, topic), default=None)
        if same is not None and _similarity_strict(same, topic) >= TOPIC_SIMILARITY:
            remaining.remove(same)
        else:
            added.append(topic)
    return tuple(added), tuple(remaining)


def _similarity_strict(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _plain(a), _plain(b)).ratio()


def _meeting_text(group: GroupFacts) -> str:
    """Meetings as a count when understood (`6 à 8`), so that a rewording is no change."""
    if group.meetings_min is None or group.meetings_max is None:
        return group.meetings
    if group.meetings_min == group.meetings_max:
        return str(group.meetings_min)
    return f"{group.meetings_min} à {group.meetings_max}"


def _participations(facts: EditionFacts) -> int:
    return sum(g.crpv_count for g in facts.groups)


def _meetings(facts: EditionFacts) -> str:
    """The yearly total as the network view counts it: groups whose frequency is understood."""
    known = [g for g in facts.groups if g.meetings_min is not None and g.meetings_max is not None]
    if not known:
        return ""
    low = sum(g.meetings_min or 0 for g in known)
    high = sum(g.meetings_max or 0 for g in known)
    return str(low) if low == high else f"{low} à {high}"


def _change(before: object, after: object) -> Change | None:
    return None if before == after else Change(before, after)  # type: ignore[arg-type]
