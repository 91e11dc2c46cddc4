"""The reference list of resource centres, and the `Animation` / `Coordination` entries naming them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flows.model import Centre, LeadEntry
from sources.workbook import match_key

_PUNCTUATION = re.compile(r"[-‐–—'’_/.]")
_DEPTH_ZERO_COMMA = re.compile(r",(?![^()]*\))")
_JOINERS = re.compile(r"(\s+(?:et|&)\s+)")
_FREE_TEXT_MIN_WORDS = 4
_NEAR_MISS = 0.8


def centre_key(text: str) -> str:
    """Key under which centre names match: the label rules, plus `&` = `et` and no punctuation."""
    key = match_key(text).replace("&", " et ")
    return " ".join(_PUNCTUATION.sub(" ", key).split())


@dataclass(frozen=True)
class UnknownCentre:
    """An entry that should name a centre but names none; `suggestion` is a close spelling."""

    text: str
    line: int
    suggestion: str | None = None


class CentreIndex:
    """Resolves a centre by sigle, name or alias to its sigle."""

    def __init__(self, centres: Iterable[Centre]) -> None:
        self.centres = {c.sigle: c for c in centres}
        self._by_key: dict[str, str] = {}
        self._spellings: dict[str, str] = {}
        for centre in self.centres.values():
            for spelling in (centre.sigle, centre.name, *centre.aliases):
                if spelling.strip():
                    self._by_key.setdefault(centre_key(spelling), centre.sigle)
                    self._spellings.setdefault(centre_key(spelling), spelling)
        self._mention = (
            re.compile(
                r"\b("
                + "|".join(sorted(map(re.escape, self._by_key), key=len, reverse=True))
                + r")\b"
            )
            if self._by_key
            else None
        )

    def __len__(self) -> int:
        return len(self.centres)

    def resolve(self, text: str) -> str | None:
        """The sigle of the centre this text names exactly, if any."""
        return self._by_key.get(centre_key(text))

    def suggest(self, text: str) -> str | None:
        """The spelling of the centre closest to `text`, when it is a near miss."""
        close = difflib.get_close_matches(centre_key(text), self._by_key, n=1, cutoff=_NEAR_MISS)
        return self._spellings[close[0]] if close else None

    def mentions(self, text: str) -> tuple[str, ...]:
        """Sigles of the centres named anywhere inside a free text, in order of appearance."""
        if not self._mention:
            return ()
        found: list[str] = []
        for match in self._mention.finditer(centre_key(text)):
            sigle = self._by_key[match.group(1)]
            if sigle not in found:
                found.append(sigle)
        return tuple(found)

    def parse_leads(self, value: str) -> tuple[tuple[LeadEntry, ...], tuple[UnknownCentre, ...]]:
        """Entries of an `Animation` cell: one a line or comma-separated, `centre : people` or free text."""
        from flows.fields import strip_bullet

        entries: list[LeadEntry] = []
        unknown: list[UnknownCentre] = []
        lines = (strip_bullet(line) for line in value.splitlines())
        for number, line in enumerate(line for line in lines if line):
            line_entries, line_unknown = self._parse_line(line, number)
            entries.extend(line_entries)
            unknown.extend(line_unknown)
        return tuple(entries), tuple(unknown)

    def _parse_line(self, line: str, number: int) -> tuple[list[LeadEntry], list[UnknownCentre]]:
        whole = self._parse_segment(line, number)
        if whole is not None:
            return whole, []
        segments = [s.strip() for s in _DEPTH_ZERO_COMMA.split(line) if s.strip()]
        parsed = [self._parse_segment(s, number) for s in segments]
        if not any(parsed):
            # Nothing in the line names a centre: the line is one entry, free text or a mistake.
            return self._unresolved(line, number)
        entries: list[LeadEntry] = []
        unknown: list[UnknownCentre] = []
        for segment, resolved in zip(segments, parsed, strict=True):
            if resolved is not None:
                entries.extend(resolved)
            else:
                more_entries, more_unknown = self._unresolved(segment, number)
                entries.extend(more_entries)
                unknown.extend(more_unknown)
        return entries, unknown

    def _parse_segment(self, segment: str, number: int) -> list[LeadEntry] | None:
        head, separator, people = segment.partition(":")
        if separator and (sigle := self.resolve(head)):
            return [LeadEntry(segment, number, sigle, people.strip())]
        if sigle := self.resolve(segment):
            return [LeadEntry(segment, number, sigle)]
        names = self._joined(_JOINERS.split(segment))
        if names and len(names) > 1:
            return [LeadEntry(name.strip(), number, self.resolve(name)) for name in names]
        return None

    def _joined(self, pieces: list[str]) -> list[str] | None:
        """Names joined by `et` / `&`; a name may hold one itself (`Villes et Territoires`)."""
        # pieces alternate text and joiner: [text, joiner, text, ...]; the longest known head first.
        for end in range(len(pieces), 0, -2):
            head = "".join(pieces[:end])
            if self.resolve(head):
                if end == len(pieces):
                    return [head]
                rest = self._joined(pieces[end + 1 :])
                if rest:
                    return [head, *rest]
        return None

    def _unresolved(self, text: str, number: int) -> tuple[list[LeadEntry], list[UnknownCentre]]:
        head, separator, _ = text.partition(":")
        looks_like_centre = separator and len(head.split()) < _FREE_TEXT_MIN_WORDS
        suggestion = self.suggest(head if separator else text)
        if looks_like_centre or suggestion or len(text.split()) < _FREE_TEXT_MIN_WORDS:
            return [], [UnknownCentre(text, number, suggestion)]
        return [LeadEntry(text, number, mentions=self.mentions(text))], []
