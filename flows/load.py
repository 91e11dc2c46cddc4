"""Read, then parse and check, one workbook: whatever goes wrong becomes a problem, never an exception."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache
from typing import Literal

from flows.centres import CentreIndex
from flows.model import Network, Outcome, Problem
from flows.parse import Parsed, parse_contribution, parse_group, parse_network
from flows.validate import Checker
from sources.workbook import Source, SourceError, Workbook

Kind = Literal["network", "group", "contribution"]
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


_checker_lock = threading.Lock()


@cache
def _create_checker() -> Checker:
    return Checker()


def checker() -> Checker:
    """The build's one Great Expectations context, created on first use by whichever thread."""
    with _checker_lock:
        return _create_checker()


def display_name(kind: Kind, name: str) -> str:
    """How problem reports name a workbook: `Réseau`, `GT Santé`, `Contribution « ... »`."""
    if kind == "network":
        return "Réseau"
    return f"GT {name}" if kind == "group" else f"Contribution « {name} »"


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


def fetch_network(source: Source) -> Fetched:
    """Read the network workbook."""
    return fetch(source, "network", "Réseau", NETWORK_SHEET)


def check(fetched: Fetched, network: Network | None = None) -> Outcome:
    """Parse a fetched workbook into its record and run its suites; errors keep the record out."""
    if fetched.workbook is None:
        problems = (fetched.problem,) if fetched.problem else ()
        return Outcome(fetched.kind, fetched.name, fetched.sheet, None, problems)
    display = display_name(fetched.kind, fetched.name)
    try:
        parsed, parameters, centres = _parse(fetched, display, network)
        problems = parsed.problems + checker().check(
            fetched.kind, display, parsed.staged, parameters, centres
        )
    except Exception as error:  # a defect of ours must cost one workbook, never the build
        logger.exception("checking %s failed", fetched.sheet)
        message = (
            f"le classeur n'a pas pu être contrôlé (erreur interne {type(error).__name__}) : "
            "signalez-le à la coordination"
        )
        problem = Problem("error", display, message)
        return Outcome(fetched.kind, fetched.name, fetched.sheet, None, (problem,))
    errors = any(p.severity == "error" for p in problems)
    return Outcome(
        fetched.kind,
        fetched.name,
        fetched.sheet,
        None if errors else parsed.record,
        tuple(problems),
        fetched.workbook.modified,
        _name_cell(fetched.kind, parsed),
    )


def _parse(
    fetched: Fetched, display: str, network: Network | None
) -> tuple[Parsed, dict[str, int], CentreIndex | None]:
    assert fetched.workbook is not None
    if fetched.kind == "network":
        parsed = parse_network(fetched.workbook)
        total = len(parsed.record.centres) if isinstance(parsed.record, Network) else 0
        return parsed, {"centre_total": total}, None
    assert network is not None, "a group or contribution is checked against its network"
    centres = CentreIndex(network.centres)
    parameters = {"centre_total": len(centres), "year": network.programme.year}
    if fetched.kind == "group":
        return parse_group(fetched.workbook, display, centres), parameters, centres
    return parse_contribution(fetched.workbook, display, centres), parameters, centres


def _name_cell(kind: Kind, parsed: Parsed) -> str | None:
    labels = {"group": ("Fiche", "name"), "contribution": ("Contribution", "subject")}.get(kind)
    if labels is None or labels[0] not in parsed.staged:
        return None
    return parsed.staged[labels[0]][0].cell(labels[1])
