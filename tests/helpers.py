"""Small builders shared by the unit tests: in-memory workbooks and the bundled 2024 edition."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sources.workbook import Tab, Workbook

ROOT = Path(__file__).resolve().parent.parent
EDITION_2024 = ROOT / "sources" / "editions" / "2024"


def tab(name: str, *rows: tuple[str, ...]) -> Tab:
    """A tab from rows of text cells, exactly as a source would give them."""
    return Tab(name, tuple(tuple(row) for row in rows))


def workbook(*tabs: Tab, name: str = "gt-test", notices: tuple[str, ...] = ()) -> Workbook:
    """A workbook holding these tabs."""
    return Workbook(name, f"memory:{name}", tuple(tabs), notices)


@cache
def network_2024():
    """The bundled network workbook, parsed (module-level cache: read once per run)."""
    from flows.parse import parse_network
    from sources.local import read_workbook

    parsed = parse_network(read_workbook(EDITION_2024 / "reseau"))
    assert parsed.record is not None, [str(p) for p in parsed.problems]
    return parsed.record


@cache
def centres_2024():
    """A CentreIndex over the bundled `CRPV` tab."""
    from flows.centres import CentreIndex

    return CentreIndex(network_2024().centres)
