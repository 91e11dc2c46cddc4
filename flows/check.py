"""Checking: one workbook parsed and run through its suites, a whole edition, a path given on the
command line. `recueil build` and `recueil check` check an edition with the same `check_edition`.

`recueil check` remembers every check by content (flows/checkcache.py): an unchanged workbook is
answered from the cache, without importing Great Expectations or pandas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flows import checkcache, progress
from flows.centres import CentreIndex
from flows.load import NETWORK, Fetched, Wanted, fetch_wanted, registered
from flows.model import Kind, Network, Outcome, Problem, display_name
from flows.parse import Parsed, parse_contribution, parse_group, parse_network
from flows.validate import Checks, Staged, ValidationLog, check_across, checker
from sources.local import NETWORK_NAME, LocalSource
from sources.reading import read_workbook
from sources.workbook import Source, SourceError, Workbook

logger = logging.getLogger(__name__)


class UsageError(Exception):
    """The path given cannot be checked; the message says why, in French."""


def check_workbook(
    fetched: Fetched,
    network: Network | None = None,
    log: ValidationLog | None = None,
    checks: Checks | None = None,
) -> Outcome:
    """One workbook parsed into its record and run through its suites (by `checks`, else in this
    process); errors keep the record out."""
    return check_workbooks([fetched], network, log, checks)[0]


def check_workbooks(
    fetched: list[Fetched],
    network: Network | None = None,
    log: ValidationLog | None = None,
    checks: Checks | None = None,
    remembered: Path | None = None,
) -> list[Outcome]:
    """Each workbook parsed into its record and run through its suites (by `checks`, else in this
    process), those of one kind together: one Great Expectations validation per tab for all of them,
    not one per workbook. Errors keep a record out.

    With `remembered`, a folder of checks remembered by content (flows/checkcache.py), a workbook
    checked before with the same content is answered from it, and the others are remembered there.
    """
    outcomes: list[Outcome | None] = [
        checkcache.recall(remembered, item, network) if remembered else None for item in fetched
    ]
    waiting: dict[Kind, list[tuple[int, Parsed, Staged]]] = {}
    # One index of the network's centres for every workbook (sent once to the checks' process too).
    centres = CentreIndex(network.centres) if network is not None else None
    for index, item in enumerate(fetched):
        if outcomes[index] is not None:
            continue
        if item.workbook is None:
            problems = (item.problem,) if item.problem else ()
            outcomes[index] = Outcome(item.kind, item.name, item.sheet, None, problems)
            continue
        display = display_name(item.kind, item.name)
        try:
            parsed, parameters = _parse(item, display, network, centres)
        except Exception as error:  # a defect of ours must cost one workbook, never the build
            logger.exception("checking %s failed", item.sheet)
            outcomes[index] = _not_checked(item, display, error)
            continue
        staged = Staged(display, parsed.staged, parameters, centres)
        waiting.setdefault(item.kind, []).append((index, parsed, staged))
    for kind, parsed_ones in waiting.items():
        found = _run_suites(checks or checker(), kind, [s for _, _, s in parsed_ones], log)
        for (index, parsed, staged), problems in zip(parsed_ones, found, strict=True):
            item = fetched[index]
            if isinstance(problems, Exception):
                outcomes[index] = _not_checked(item, staged.display, problems)
                continue
            outcome = _outcome(item, parsed, (*parsed.problems, *problems))
            if remembered:
                checkcache.remember(remembered, item, network, outcome)
            outcomes[index] = outcome
    if remembered and waiting:
        checkcache.prune(remembered)
    return [o for o in outcomes if o is not None]


def _run_suites(
    checks: Checks, kind: Kind, workbooks: list[Staged], log: ValidationLog | None
) -> list[list[Problem] | Exception]:
    """The suites' problems of each workbook; should checking them together fail, each is checked on
    its own, so that a defect of ours costs the workbook that meets it, never the others."""
    try:
        return list(checks.check(kind, workbooks, log=log))
    except Exception as error:
        if len(workbooks) == 1:
            logger.exception("checking %s failed", workbooks[0].display)
            return [error]
    found: list[list[Problem] | Exception] = []
    for workbook in workbooks:
        try:
            found.append(checks.check(kind, [workbook], log=log)[0])
        except Exception as error:
            logger.exception("checking %s failed", workbook.display)
            found.append(error)
    return found


def _not_checked(fetched: Fetched, display: str, error: Exception) -> Outcome:
    """The workbook left out for a defect of ours (logged where it was met), said in French."""
    message = (
        f"le classeur n'a pas pu être contrôlé (erreur interne {type(error).__name__}) : "
        "signalez-le à la coordination"
    )
    problem = Problem("error", display, message)
    return Outcome(fetched.kind, fetched.name, fetched.sheet, None, (problem,))


def _outcome(fetched: Fetched, parsed: Parsed, problems: tuple[Problem, ...]) -> Outcome:
    assert fetched.workbook is not None
    errors = any(p.severity == "error" for p in problems)
    return Outcome(
        fetched.kind,
        fetched.name,
        fetched.sheet,
        None if errors else parsed.record,
        problems,
        fetched.workbook.modified,
        _name_cell(fetched.kind, parsed),
    )


def _parse(
    fetched: Fetched, display: str, network: Network | None, centres: CentreIndex | None
) -> tuple[Parsed, dict[str, int]]:
    assert fetched.workbook is not None
    if fetched.kind == "network":
        parsed = parse_network(fetched.workbook)
        total = len(parsed.record.centres) if isinstance(parsed.record, Network) else 0
        return parsed, {"centre_total": total}
    assert network is not None and centres is not None, "checked against its network"
    parameters = {"centre_total": len(centres), "year": network.programme.year}
    if fetched.kind == "group":
        return parse_group(fetched.workbook, display, centres), parameters
    return parse_contribution(fetched.workbook, display, centres), parameters


def _name_cell(kind: Kind, parsed: Parsed) -> str | None:
    labels = {"group": ("record", "name"), "contribution": ("summary", "subject")}.get(kind)
    if labels is None or labels[0] not in parsed.staged:
        return None
    return parsed.staged[labels[0]][0].cell(labels[1])


@dataclass(frozen=True)
class EditionCheck:
    """The network workbook and every workbook it registers, read and checked."""

    network: Outcome
    fetched: tuple[Fetched, ...]  # the network's first, then the registered ones
    groups: dict[str, Outcome] = field(default_factory=dict)  # by sheet, in registration order
    contributions: dict[str, Outcome] = field(default_factory=dict)

    @property
    def record(self) -> Network | None:
        """The network, when its workbook made it through (else nothing else was read)."""
        return self.network.record if isinstance(self.network.record, Network) else None

    @property
    def outcomes(self) -> list[Outcome]:
        """The network's outcome, then the groups', then the contributions'."""
        return [self.network, *self.groups.values(), *self.contributions.values()]


# How an edition's workbooks are read and checked: one after the other by default; the build's flow
# passes Prefect tasks instead. Both yield each result as it arrives, so that progress is told then.
Read = Callable[[Source, list[Wanted]], Iterable[Fetched]]
Check = Callable[[list[Fetched], Network | None, ValidationLog | None], Iterable[Outcome]]
Across = Callable[[Network, dict[str, Outcome], ValidationLog | None], dict[str, Outcome]]


def read_each(source: Source, wanted: list[Wanted]) -> Iterator[Fetched]:
    for item in wanted:
        yield fetch_wanted(source, item)


@dataclass(frozen=True)
class Remembered:
    """Checks remembered by content in `folder` (flows/checkcache.py, `Settings.check_cache`), made
    by `checks` (else in this process) when they are not."""

    folder: Path
    checks: Checks | None = None

    def check(
        self, fetched: list[Fetched], network: Network | None, log: ValidationLog | None = None
    ) -> list[Outcome]:
        """Each workbook checked, or its outcome remembered from an earlier check of the same content."""
        return check_workbooks(fetched, network, log, self.checks, remembered=self.folder)

    def across(
        self, network: Network, outcomes: dict[str, Outcome], log: ValidationLog | None = None
    ) -> dict[str, Outcome]:
        """The merged view's suite, or its outcome remembered for the same network and outcomes."""
        return checkcache.check_across(
            self.folder, network, outcomes, lambda n, o: check_across(n, o, log, self.checks)
        )


def check_edition(
    source: Source,
    year: int | None = None,
    *,
    out: Path | None = None,
    log: ValidationLog | None = None,
    read: Read = read_each,
    check: Check = check_workbooks,
    across: Across = check_across,
    clock: progress.Clock | None = None,
) -> EditionCheck:
    """Read and check the network workbook, then every workbook it registers, then across them.

    `year`, when given, is the edition expected: a network of another year is an error. `out`, when
    given, is the output folder, below which a source pulled from elsewhere keeps its snapshots.
    """
    clock = clock or progress.Clock()
    progress.stage("Lecture du classeur réseau", 1)
    with clock("read"):
        network_fetched = _arrived(read(source, [NETWORK]))[0]
    with clock("check"):
        network_outcome = next(iter(check([network_fetched], None, log)))
    network = network_outcome.record
    if not isinstance(network, Network):
        return EditionCheck(network_outcome, (network_fetched,))
    if year is not None and network.programme.year != year:
        return EditionCheck(_year_mismatch(network_outcome, year), (network_fetched,))
    if out is not None:
        source.keep_snapshots(out / str(network.programme.year) / "snapshots")
    wanted = registered(network)
    progress.stage("Lecture des classeurs", len(wanted))
    with clock("read"):
        fetched = _arrived(read(source, wanted))
    progress.stage("Contrôle des classeurs", len(wanted))
    with clock("check"):
        outcomes = _arrived(check(fetched, network, log))
        groups = across(network, {o.sheet: o for o in outcomes if o.kind == "group"}, log)
    return EditionCheck(
        network_outcome,
        (network_fetched, *fetched),
        groups,
        {o.sheet: o for o in outcomes if o.kind == "contribution"},
    )


def _arrived(results: Iterable[Any]) -> list[Any]:
    """Every result, progress told as each one arrives."""
    arrived = []
    for result in results:
        arrived.append(result)
        progress.advance(result.name)
    return arrived


def _year_mismatch(outcome: Outcome, year: int) -> Outcome:
    network = outcome.record
    assert isinstance(network, Network)
    problem = Problem(
        "error",
        "Réseau",
        f"l'édition demandée est {year} mais le classeur réseau décrit l'année {network.programme.year}",
        "Programme",
        None,
        str(network.programme.year),
    )
    return replace(outcome, record=None, problems=outcome.problems + (problem,))


def check_source(source: Source, cache: Path, checks: Checks | None = None) -> list[Outcome]:
    """The network workbook of a source and every workbook it registers, checked (by `checks`, else
    in this process) or remembered in the folder `cache`."""
    remembered = Remembered(cache, checks)
    return check_edition(source, check=remembered.check, across=remembered.across).outcomes


def check_folder(folder: Path, cache: Path, checks: Checks | None = None) -> list[Outcome]:
    """The network workbook of an edition folder and every workbook it registers, checked."""
    return check_source(LocalSource(folder), cache, checks)


def check_path(
    path: Path, network_path: Path | None, cache: Path, checks: Checks | None = None
) -> list[Outcome]:
    """Check an edition folder, or one workbook (its kind told by its tabs), by `checks` (else in
    this process); checks are remembered in the folder `cache`."""
    if not path.exists():
        raise UsageError(f"introuvable : {path}")
    if path.is_dir() and _network_in(path) is not None:
        return check_folder(path, cache, checks)
    try:
        workbook = read_workbook(path)
    except SourceError as error:
        return [
            Outcome(
                "group", path.stem, path.name, None, (Problem("error", path.stem, error.message),)
            )
        ]
    kind = _kind(workbook)
    if kind == "network":
        fetched = Fetched("network", "Réseau", path.name, workbook)
        return check_workbooks([fetched], None, checks=checks, remembered=cache)
    network = _network_for(path, network_path, cache, checks)
    name = next(
        (
            r.name
            for r in (*network.groups, *network.contributions)
            if Path(r.sheet).stem == path.stem
        ),
        path.stem,
    )
    fetched = Fetched(kind, name, path.stem, workbook)
    return check_workbooks([fetched], network, checks=checks, remembered=cache)


def _network_in(folder: Path) -> Path | None:
    for candidate in (
        folder / NETWORK_NAME,
        folder / f"{NETWORK_NAME}.xlsx",
        folder / f"{NETWORK_NAME}.ods",
    ):
        if candidate.exists():
            return candidate
    return None


def _kind(workbook: Workbook) -> Kind:
    if workbook.tab("Programme") is not None:
        return "network"
    if workbook.tab("Fiche") is not None:
        return "group"
    if workbook.tab("Contribution") is not None:
        return "contribution"
    raise UsageError(
        f"{workbook.name} : classeur non reconnu (un onglet « Fiche », « Contribution » ou « Programme » est attendu)"
    )


def _network_for(
    path: Path, network_path: Path | None, cache: Path, checks: Checks | None
) -> Network:
    located = network_path or _network_in(path.resolve().parent)
    if located is None:
        raise UsageError(
            f"classeur réseau introuvable à côté de {path.name} : indiquez-le avec --reseau "
            "(il faut sa liste des centres pour contrôler le classeur)"
        )
    try:
        workbook = read_workbook(located, NETWORK_NAME)
    except SourceError as error:
        raise UsageError(f"le classeur réseau {located} est illisible : {error.message}") from None
    fetched = Fetched("network", "Réseau", NETWORK_NAME, workbook)
    (outcome,) = check_workbooks([fetched], None, checks=checks, remembered=cache)
    if not isinstance(outcome.record, Network):
        problems = "; ".join(str(p) for p in outcome.errors[:3])
        raise UsageError(f"le classeur réseau {located} a des erreurs : {problems}")
    return outcome.record
