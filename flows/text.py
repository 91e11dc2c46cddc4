"""French text as recueil prints it: file names, alphabetical order, Markdown cells, dates."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache
from typing import Any

from markupsafe import Markup

from flows.fields import parse_date

SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`0 erreur`, `1 erreur`, `2 erreurs`: French puts zero and one in the singular."""
    return f"{count} {singular if count < 2 else plural or singular + 's'}"


def agreed(count: int, singular: str, plural: str | None = None) -> str:
    """The word alone, agreed with `count` (`prêt`, `prêts`)."""
    return singular if count < 2 else plural or singular + "s"


def slugify(text: str) -> str:
    """A file name from a title: `Le contrat de ville intégrateur` → `le-contrat-de-ville-integrateur`."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-") or "document"


def sort_key(text: str) -> str:
    """French alphabetical order: accents and case ignored (`Éducation` between `D` and `F`)."""
    bare = unicodedata.normalize("NFKD", text)
    return "".join(c for c in bare if not unicodedata.combining(c)).casefold()


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).disable("image")
    md.validateLink = lambda url: bool(SAFE_LINK.match(url.strip()))
    return md


def markdown(text: str) -> Markup:
    """Markdown of a sheet cell as HTML: raw HTML escaped, images dropped, only http(s)/mailto links."""
    return Markup(_markdown().render(text or ""))


def markdown_lost_lines(text: str) -> list[int]:
    """Lines (1-based) of a Markdown cell that printing would drop: markdown-it stops descending at its
    `maxNesting` (lists past 9 levels, blockquotes past 19), and a line with text that no printed block
    covers is lost."""
    covered: set[int] = set()
    for token in _markdown().parse(text or ""):
        if token.map and token.type in ("inline", "fence", "code_block", "html_block"):
            covered.update(range(*token.map))
    return [
        number
        for number, line in enumerate((text or "").splitlines(), start=1)
        if number - 1 not in covered and any(c.isalnum() for c in line)
    ]


def french_date(value: dt.date | str) -> str:
    """`12 mars 2024`, `1er mars 2024`: the way the documents print dates."""
    from babel.dates import format_date

    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed is None:
            return value
        value = parsed
    if value.day == 1:  # Babel has no French ordinal day pattern
        return "1er " + format_date(value, format="MMMM y", locale="fr_FR")
    return format_date(value, format="d MMMM y", locale="fr_FR")


PARIS = "Europe/Paris"  # the network's time: dates in the documents, run names, what serve says


def french_datetime(value: dt.datetime) -> str:
    """`28 novembre 2026 à 23 h 20`, `1er décembre 2026 à 7 h 05`, in Paris time."""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(PARIS)) if value.tzinfo else value
    return f"{french_date(local.date())} à {local.hour} h {local.minute:02}"
