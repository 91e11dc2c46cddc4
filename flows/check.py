"""Checking without building: a whole edition folder, or one workbook against its edition's network.

Every check is remembered by content (flows/checkcache.py): an unchanged workbook is answered from
the cache, without importing Great Expectations or pandas.
"""

from __future__ import annotations

from pathlib import Path

from flows import checkcache, load
from flows.model import Network, Outcome, Problem
from sources.local import NETWORK_NAME, LocalSource, read_workbook
from sources.workbook import Source, SourceError, Workbook


class UsageError(Exception):
    """The path given cannot be checked; the message says why, in French."""


def check_edition(folder: Path) -> list[Outcome]:
    """The network workbook and every workbook it registers, checked."""
    return check_source(LocalSource(folder))


def check_source(source: Source) -> list[Outcome]:
    """The network workbook of a source and every workbook it registers, checked."""
    network_outcome = checkcache.check(load.fetch_network(source))
    network = network_outcome.record
    if not isinstance(network, Network):
        return [network_outcome]
    registrations = [("group", r) for r in network.groups]
    registrations += [("contribution", r) for r in network.contributions]
    outcomes = [
        checkcache.check(load.fetch(source, kind, r.name, r.sheet, r.cell), network)
        for kind, r in registrations
    ]
    groups = checkcache.check_across(network, {o.sheet: o for o in outcomes if o.kind == "group"})
    return [network_outcome, *(groups.get(o.sheet, o) for o in outcomes)]


def check_path(path: Path, network_path: Path | None = None) -> list[Outcome]:
    """Check an edition folder, or one workbook (its kind told by its tabs)."""
    if not path.exists():
        raise UsageError(f"introuvable : {path}")
    if path.is_dir() and _network_in(path) is not None:
        return check_edition(path)
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
        return [checkcache.check(load.Fetched("network", "Réseau", path.name, workbook))]
    network = _network_for(path, network_path)
    name = next(
        (
            r.name
            for r in (*network.groups, *network.contributions)
            if Path(r.sheet).stem == path.stem
        ),
        path.stem,
    )
    return [checkcache.check(load.Fetched(kind, name, path.stem, workbook), network)]


def _network_in(folder: Path) -> Path | None:
    for candidate in (
        folder / NETWORK_NAME,
        folder / f"{NETWORK_NAME}.xlsx",
        folder / f"{NETWORK_NAME}.ods",
    ):
        if candidate.exists():
            return candidate
    return None


def _kind(workbook: Workbook) -> load.Kind:
    if workbook.tab("Programme") is not None:
        return "network"
    if workbook.tab("Fiche") is not None:
        return "group"
    if workbook.tab("Contribution") is not None:
        return "contribution"
    raise UsageError(
        f"{workbook.name} : classeur non reconnu (un onglet « Fiche », « Contribution » ou « Programme » est attendu)"
    )


def _network_for(path: Path, network_path: Path | None) -> Network:
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
    outcome = checkcache.check(load.Fetched("network", "Réseau", NETWORK_NAME, workbook))
    if not isinstance(outcome.record, Network):
        problems = "; ".join(str(p) for p in outcome.errors[:3])
        raise UsageError(f"le classeur réseau {located} a des erreurs : {problems}")
    return outcome.record
