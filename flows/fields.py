"""Parsers for the values people write in cells: counts, meeting frequencies, dates, item lists."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from flows.model import Creation, MeetingCount
from sources.workbook import match_key

_BULLET = re.compile(r"^\s*(?:(?:[>•*▪◦→]|[-–—](?=\s))\s*)+")
_COUNT = re.compile(r"^(\d+)(?:\s*crpv)?\.?$")
_NUMBER = r"(\d+)"


def split_items(value: str) -> tuple[str, ...]:
    """The items of a multi-line cell: one a line, bullet marks dropped, blank lines skipped."""
    items = (strip_bullet(line) for line in value.splitlines())
    return tuple(item for item in items if item)


def strip_bullet(line: str) -> str:
    """A line without its leading bullet marks (`>`, `-`, `•`, `*`) and surrounding spaces."""
    return _BULLET.sub("", line).strip()


def parse_count(text: str) -> int | None:
    """A whole number as in `14` or `14 CRPV`; None when the text is something else."""
    match = _COUNT.match(match_key(text))
    return int(match.group(1)) if match else None


@cache
def _months() -> dict[str, int]:
    from babel.dates import get_month_names

    names = {
        match_key(name): number for number, name in get_month_names("wide", locale="fr").items()
    }
    names["fevrier"] = 2
    names["aout"] = 8
    return names


_FREQUENCY_UNITS = {"an": 1, "annee": 1, "semestre": 2, "trimestre": 4, "mois": 12, "semaine": 52}


def parse_meeting_count(text: str) -> MeetingCount:
    """`Nombre de réunions` understood as a yearly minimum and maximum where possible."""
    key = match_key(text).replace("’", "'")
    span = re.search(rf"entre {_NUMBER} et {_NUMBER}", key) or re.search(
        rf"^{_NUMBER}\s*(?:a|-|–|ou)\s*{_NUMBER}\b", key
    )
    if span:
        low, high = sorted((int(span.group(1)), int(span.group(2))))
        return MeetingCount(text, low, high)
    frequency = re.search(
        rf"^{_NUMBER}\s*(?:/|par|fois par)\s*(an|annee|semestre|trimestre|mois|semaine)\b", key
    )
    if frequency:
        per_unit, unit = int(frequency.group(1)), frequency.group(2)
        yearly = per_unit * _FREQUENCY_UNITS[unit]
        if unit == "mois":
            yearly -= per_unit * len(_excluded_months(key[frequency.end() :]))
        return MeetingCount(text, yearly, yearly)
    single = re.search(
        rf"^{_NUMBER}(?:\s*(?:reunions?|rencontres?|seances?))?(?:\s|$|\.|,|\()", key
    )
    if single:
        count = int(single.group(1))
        return MeetingCount(text, count, count)
    return MeetingCount(text)


def _excluded_months(rest: str) -> set[int]:
    if "sauf" not in rest and "hors" not in rest:
        return set()
    words = re.findall(r"[a-z]+", rest)
    return {_months()[w] for w in words if w in _months()}


_CREATION = re.compile(r"^(?:([^\W\d_]+)\s+)?(\d{4})\b\s*(?:\((.*)\)\s*)?$", re.DOTALL)


def parse_creation(text: str) -> Creation | None:
    """`Groupe créé en`: `2009`, `Janvier 2023 (note)`; None when no year can be read."""
    flat = " ".join(text.split())
    match = _CREATION.match(flat)
    if not match:
        return None
    month_word, year, note = match.groups()
    month = None
    if month_word:
        month = _months().get(match_key(month_word))
        if month is None:
            return None
    return Creation(text.strip(), int(year), month, (note or "").strip())


_FRENCH_DATE = re.compile(r"^(\d{1,2})(?:er)? ([^\W\d_]+) (\d{4})$")


def parse_date(text: str) -> dt.date | None:
    """`2024-03-12`, `12/03/2024`, `12 mars 2024` or an ISO timestamp; None for anything else."""
    flat = " ".join(text.split())
    if "T" in flat:
        try:
            return dt.datetime.fromisoformat(flat).date()
        except ValueError:
            return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(flat, pattern).date()
        except ValueError:
            pass
    match = _FRENCH_DATE.match(flat)
    month = _months().get(match_key(match.group(2))) if match else None
    if match and month:
        try:
            return dt.date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            return None
    return None
