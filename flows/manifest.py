"""What a published edition was made from: input fingerprints, sources, templates, package versions."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from flows.fields import parse_date
from flows.model import Network, Outcome
from flows.settings import ROOT, TEMPLATES_DIR

if TYPE_CHECKING:
    from flows.load import Fetched

PACKAGES = (
    "recueil",
    "prefect",
    "great-expectations",
    "pandas",
    "gspread",
    "jinja2",
    "weasyprint",
    "python-calamine",
)


def fingerprint(*parts: object) -> str:
    """A SHA-256 of values whose `repr` is deterministic (records are frozen dataclasses)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


@cache
def templates_digest() -> str:
    """One hash of every file of templates/ (HTML, CSS, fonts), names included."""
    digest = hashlib.sha256()
    for path in sorted(p for p in TEMPLATES_DIR.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(TEMPLATES_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# The code that turns a page's HTML into the bytes of its PDF, beyond WeasyPrint itself.
RENDERING_CODE = ("render.py", "text.py", "typography.py", "tagging.py", "figures.py")


@cache
def rendering_digest() -> str:
    """One hash of the modules that shape a document: a change there must lay documents out again."""
    digest = hashlib.sha256()
    for name in RENDERING_CODE:
        path = ROOT / "flows" / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def code_digest() -> str:
    """One hash of the code and suites that turn workbooks into records and problems."""
    digest = hashlib.sha256()
    for folder, pattern in (
        (ROOT / "flows", "*.py"),
        (ROOT / "sources", "*.py"),
        (ROOT / "expectations", "*.json"),
    ):
        for path in sorted(folder.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the documents."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


@cache
def git_state() -> dict[str, Any]:
    """The commit of the project (templates included) and whether templates/ has local changes."""

    from sources.history import git

    commit = git(ROOT, "rev-parse", "HEAD")
    changes = git(ROOT, "status", "--porcelain", "--", "templates")
    return {"commit": commit, "templates_modified": bool(changes) if changes is not None else None}


def data_date(outcomes: list[Outcome]) -> dt.date:
    """The date an edition's documents print, the same in every clone and on every day.

    The network's `Date de publication` when given; else the latest change of a workbook used (Drive's
    modifiedTime, a local workbook's last commit, see sources/history.py); else 1 January of its year.
    """
    network = next((o.record for o in outcomes if isinstance(o.record, Network)), None)
    if isinstance(network, Network):
        published = parse_date(network.programme.published)
        if published:
            return published
    dates = [parse_date(o.data_date or o.modified or "") for o in outcomes if o.record is not None]
    known = [d for d in dates if d is not None]
    if known:
        return max(known)
    return dt.date(network.programme.year if isinstance(network, Network) else 1970, 1, 1)


def edition_inputs(
    network: Network, outcomes: list[Outcome], date: dt.date, draft: bool, changes: object
) -> str:
    """What an edition's documents are made from; the same fingerprint means the same documents."""
    return fingerprint(
        network,
        [(o.sheet, o.status, o.record, o.data_date) for o in outcomes],
        date,
        draft,
        changes,
        templates_digest(),
        rendering_digest(),
        package_versions(),
    )


def describe(
    year: int | None,
    source: str,
    outcomes_of: list[Outcome],
    fetched: list[Fetched] | tuple[Fetched, ...],
    inputs: str,
) -> dict[str, Any]:
    """The manifest of a publication, without its files (added when they are in place)."""
    outcomes = {o.sheet: o for o in outcomes_of}
    sources = []
    for item in fetched:
        outcome = outcomes.get(item.sheet)
        workbook = item.workbook
        sources.append(
            {
                "kind": item.kind,
                "name": item.name,
                "sheet": item.sheet,
                "location": workbook.location if workbook else None,
                "modified": workbook.modified if workbook else None,
                "status": outcome.status if outcome else None,
                "data_date": outcome.data_date if outcome else None,
            }
        )
    return {
        "year": year,
        "source": source,
        "inputs": inputs,
        "sources": sources,
        "templates": {"sha256": templates_digest(), **git_state()},
        "packages": package_versions(),
    }
