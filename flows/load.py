"""Read one workbook from its source: whatever goes wrong becomes a problem, never an exception."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flows.model import Kind, Network, Problem, display_name
from sources.workbook import Source, SourceError, Workbook

NETWORK_SHEET = "reseau"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """A workbook as read from its source, or the problem that kept it from being read."""

    kind: Kind
    name: str
    sheet: str
    workbook: Workbook | None
    problem: Problem | None = None


@dataclass(frozen=True)
class Wanted:
    """A workbook to read: its kind, its name, its `Feuille` and the network cell that names it."""

    kind: Kind
    name: str
    sheet: str
    reference: str | None = None


NETWORK = Wanted("network", "Réseau", NETWORK_SHEET)


def registered(network: Network) -> list[Wanted]:
    """Every workbook the network registers: its groups, then its contributions."""
    wanted = [Wanted("group", r.name, r.sheet, r.cell) for r in network.groups]
    return wanted + [Wanted("contribution", r.name, r.sheet, r.cell) for r in network.contributions]


def fetch(
    source: Source, kind: Kind, name: str, sheet: str, reference: str | None = None
) -> Fetched:
    """Read one workbook from the source; a workbook that cannot be read gives a problem.

    `reference` is the network's cell that names the workbook (`B3` of `Groupes` or `Contributions`):
    a problem caused by that cell (a name with a control character, too long, leading outside the
    edition) is reported there.
    """
    display = display_name(kind, name)
    try:
        workbook = source.read_network() if kind == "network" else source.read(sheet)
    except SourceError as error:
        if error.reference and reference and kind != "network":
            tab = "Groupes" if kind == "group" else "Contributions"
            problem = Problem("error", display, error.message, tab, reference, sheet)
        else:
            problem = Problem("error", display, error.message, error.tab, error.cell)
        return Fetched(kind, name, sheet, None, problem)
    except OSError as error:
        message = f"le classeur n'a pas pu être lu ({error.strerror or type(error).__name__})"
        return Fetched(kind, name, sheet, None, Problem("error", display, message))
    except Exception as error:  # a defect of ours must cost one workbook, never the build
        logger.exception("reading %s failed", sheet)
        message = (
            f"le classeur n'a pas pu être lu (erreur interne {type(error).__name__}) : "
            "signalez-le à la coordination"
        )
        return Fetched(kind, name, sheet, None, Problem("error", display, message))
    return Fetched(kind, name, sheet, workbook)


def fetch_wanted(source: Source, wanted: Wanted) -> Fetched:
    """Read one wanted workbook."""
    return fetch(source, wanted.kind, wanted.name, wanted.sheet, wanted.reference)


def fetch_network(source: Source) -> Fetched:
    """Read the network workbook."""
    return fetch_wanted(source, NETWORK)
