"""Figures drawn from the network view: SVG written at build time, in the documents' font and palette.

Each figure comes with an alternative text made from its numbers and the table of the data it draws,
so that a reader who cannot see it loses nothing. The SVG is inline (WeasyPrint draws it; nothing is
fetched) and sized in millimetres for the A4 text block. Hand-written SVG, not a plotting library:
three plain charts do not justify a second of import (matplotlib) at every build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import TYPE_CHECKING

from markupsafe import Markup

from flows.merge import ROLE_RANK
from flows.settings import TEMPLATES_DIR
from flows.text import agreed, counted

if TYPE_CHECKING:
    from flows.merge import NetworkView
    from flows.model import Network

WIDTH = 170.0  # mm: the text block of an A4 page with 20 mm margins
FONT_SIZE = 2.6  # mm, about 7.4 pt
LINE = 5.0  # mm between two rows of a chart
ROLE_LABELS = {"animation": "anime", "co-pilotage": "co-pilote", "membre": "membre"}
ROLE_HEADERS = {"animation": "Animation", "co-pilotage": "Co-pilotage", "membre": "Membres"}
DEFAULT_PALETTE = {
    "ink": "#1f2430",
    "muted": "#5b6272",
    "accent": "#1b5e7a",
    "accent-light": "#e6f0f4",
    "rule": "#c9d6dd",
}


@dataclass(frozen=True)
class Figure:
    """A figure, what it says in words, and the table of its data."""

    key: str
    title: str
    svg: Markup
    alt: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def source(self) -> str:
        """The SVG as a `data:` address for an <img>, which WeasyPrint tags as a Figure with /Alt
        (an inline <svg> becomes a Figure without one, its aria-label ignored)."""
        import base64

        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@dataclass(frozen=True)
class Style:
    """What the templates' CSS says about type and colour, read once per process."""

    family: str
    font_file: str | None
    colours: dict[str, str]

    def colour(self, name: str) -> str:
        return self.colours.get(name, DEFAULT_PALETTE[name])


@cache
def style() -> Style:
    """The first regular @font-face of the templates and the colours of their `:root` variables."""
    css = "\n".join(p.read_text(encoding="utf-8") for p in sorted(TEMPLATES_DIR.glob("*.css")))
    family, font_file = "sans-serif", None
    for rule in re.findall(r"@font-face\s*{([^}]*)}", css):
        name = re.search(r"font-family:\s*[\"']?([^;\"']+)", rule)
        source = re.search(r"src:\s*url\([\"']?([^)\"']+)", rule)
        plain = not re.search(r"font-(weight|style):\s*(bold|italic|[6-9]00)", rule)
        if name and source and plain:
            family, font_file = name.group(1).strip(), source.group(1)
            break
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,8})\b", css))
    return Style(family, font_file, colours)


@cache
def _advances() -> tuple[dict[int, int], int] | None:
    """Advance widths of the regular font by code point, to measure labels before drawing them."""
    if not style().font_file:
        return None
    from fontTools.ttLib import TTFont

    font = TTFont(TEMPLATES_DIR / style().font_file, lazy=True)
    metrics = font["hmtx"]
    widths = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
    return widths, font["head"].unitsPerEm


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Width of a label in mm at `size`, measured on the font's own metrics."""
    measured = _advances()
    if measured is None:
        return len(text) * size * 0.55
    widths, units = measured
    fallback = widths.get(ord("n"), units // 2)
    return sum(widths.get(ord(c), fallback) for c in text) * size / units


def figures(view: NetworkView, network: Network) -> list[Figure]:
    """The three figures of the programme, in printing order."""
    return [centre_matrix(view, network), groups_by_centres(view), groups_by_meetings(view)]


def _printed(view: NetworkView) -> list[dict]:
    """The printed groups' rows, a missing figure as None rather than pandas' NA."""
    import pandas as pd

    return [
        {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}
        for row in view.groups.to_dict("records")
        if row["printed"]
    ]


def _svg(height: float, body: list[str], label: str) -> Markup:
    s = style()
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
        f'width="{WIDTH}mm" height="{height:.1f}mm" viewBox="0 0 {WIDTH} {height:.1f}" '
        f'font-family="{escape(s.family)}" font-size="{FONT_SIZE}" fill="{s.colour("ink")}">'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", **attributes: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attributes.items())
    return f'<text x="{x:.2f}" y="{y:.2f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _fit(text: str, width: float) -> str:
    """The label, shortened with an ellipsis when it would not fit in `width` mm."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _empty(key: str, title: str, headers: tuple[str, ...]) -> Figure:
    message = "Aucun groupe de travail n’est présenté dans cette édition."
    body = [_text(WIDTH / 2, 8, message, "middle", fill=style().colour("muted"))]
    return Figure(key, title, _svg(14, body, message), message, headers, ())


def centre_matrix(view: NetworkView, network: Network) -> Figure:
    """Centres (rows) × groups (columns): who leads, co-pilots or takes part in each group."""
    title = "Les centres de ressources dans les groupes de travail"
    headers = ("Groupe de travail", "Animation", "Co-pilotage", "Membres")
    groups = [str(name) for name in view.matrix.index]
    if not groups:
        return _empty("matrice", title, headers)
    names = {c.sigle: c.name or c.sigle for c in network.centres}
    sigles = [c.sigle for c in network.centres]
    roles = {
        (group, sigle): str(view.matrix.at[group, sigle])
        for group in groups
        for sigle in sigles
        if sigle in view.matrix.columns and view.matrix.at[group, sigle]
    }
    s = style()
    label_width = min(max((text_width(x) for x in sigles), default=20) + 3, 55.0)
    column = min((WIDTH - label_width) / len(groups), 12.0)
    # Column heads slant up and to the left, ending over their column, so the last never overflows.
    slant = 0.7071
    heads = [
        _fit(group, min(55.0, (label_width + (j + 0.5) * column) / slant))
        for j, group in enumerate(groups)
    ]
    top = max(text_width(h) for h in heads) * slant + 4
    body = []
    for j, head in enumerate(heads):
        x, y = label_width + (j + 0.5) * column, top - 1.5
        body.append(_text(x, y, head, "end", transform=f"rotate(45 {x:.2f} {y:.2f})"))
    for i, sigle in enumerate(sigles):
        y = top + i * LINE
        if i % 2 == 0:
            body.append(
                f'<rect x="0" y="{y:.2f}" width="{label_width + column * len(groups):.2f}" '
                f'height="{LINE}" fill="{s.colour("accent-light")}"/>'
            )
        body.append(_text(0.5, y + LINE * 0.68, _fit(sigle, label_width - 2)))
        for j, group in enumerate(groups):
            role = roles.get((group, sigle))
            if role:
                body.append(_mark(label_width + (j + 0.5) * column, y + LINE / 2, role))
    height = top + len(sigles) * LINE + 9
    legend_y = height - 3
    x = 0.5
    for role in ("animation", "co-pilotage", "membre"):
        body.append(_mark(x + 1.5, legend_y - 0.9, role))
        label = ROLE_LABELS[role]
        body.append(_text(x + 4, legend_y, label))
        x += text_width(label) + 12

    counts: dict[str, int] = {}
    for (_, sigle), role in roles.items():
        if role == "animation":
            counts[sigle] = counts.get(sigle, 0) + 1
    others = {sigle for (_, sigle), role in roles.items() if role != "animation"} - set(counts)
    alt = (
        f"Rôle de chacun des {counted(len(sigles), 'centre')} de ressources dans "
        f"{'le seul groupe' if len(groups) == 1 else f'les {len(groups)} groupes'} de travail : "
        f"{counted(len(counts), 'centre anime', 'centres animent')} au moins un groupe"
    )
    if others:
        alt += f", {counted(len(others), 'autre en est co-pilote ou membre', 'autres en sont co-pilotes ou membres')}."
    elif all(role == "animation" for role in roles.values()):
        alt += " (les membres ne sont connus que des groupes qui remplissent l’onglet « Membres »)."
    else:
        alt += "."
    if counts and len(groups) > 1:
        most = max(counts.values())
        first = [names[s] for s in sigles if counts.get(s) == most]
        alt += f" {_join(first)} {'anime' if len(first) == 1 else 'animent'} le plus de groupes ({most})."
    # The table has a column per role that some group declares (animation always).
    shown = [
        r for r in ("animation", "co-pilotage", "membre") if r == "animation" or r in roles.values()
    ]
    rows = tuple(
        (
            group,
            *(
                ", ".join(names[s] for s in sigles if roles.get((group, s)) == role) or "—"
                for role in shown
            ),
        )
        for group in groups
    )
    headers = (headers[0], *(ROLE_HEADERS[r] for r in shown))
    return Figure("matrice", title, _svg(height, body, alt), alt, headers, rows)


def _mark(x: float, y: float, role: str) -> str:
    """A full disc leads, a ringed one co-pilots, a small dot takes part."""
    s = style()
    rank = ROLE_RANK.get(role, 1)
    if rank == 3:
        return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="1.6" fill="{s.colour("accent")}"/>'
    if rank == 2:
        return (
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="1.35" fill="{s.colour("accent-light")}" '
            f'stroke="{s.colour("accent")}" stroke-width="0.5"/>'
        )
    return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="0.8" fill="{s.colour("muted")}"/>'


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _bars(rows: list[tuple[str, float, float, str]]) -> tuple[list[str], float]:
    """Horizontal bars, one a row: (label, low, high, value printed); high > low shows a range."""
    s = style()
    label_width = min(max(text_width(r[0]) for r in rows) + 3, 70.0)
    value_room = max(text_width(r[3]) for r in rows) + 3
    scale_max = max((r[2] for r in rows), default=0) or 1
    span = WIDTH - label_width - value_room
    body = []
    for i, (label, low, high, printed) in enumerate(rows):
        y = i * LINE
        body.append(_text(label_width - 2, y + LINE * 0.68, _fit(label, label_width - 3), "end"))
        low_width = span * low / scale_max
        body.append(
            f'<rect x="{label_width:.2f}" y="{y + 0.9:.2f}" width="{low_width:.2f}" '
            f'height="{LINE - 1.8:.2f}" fill="{s.colour("accent")}"/>'
        )
        if high > low:
            body.append(
                f'<rect x="{label_width + low_width:.2f}" y="{y + 0.9:.2f}" '
                f'width="{span * (high - low) / scale_max:.2f}" height="{LINE - 1.8:.2f}" '
                f'fill="{s.colour("accent-light")}" stroke="{s.colour("accent")}" stroke-width="0.3"/>'
            )
        end = label_width + span * high / scale_max
        body.append(_text(end + 1.5, y + LINE * 0.68, printed, fill=s.colour("muted")))
    height = len(rows) * LINE + 1
    body.append(
        f'<line x1="{label_width:.2f}" y1="0" x2="{label_width:.2f}" y2="{height - 1:.2f}" '
        f'stroke="{s.colour("rule")}" stroke-width="0.3"/>'
    )
    return body, height


def groups_by_centres(view: NetworkView) -> Figure:
    """One bar a group: how many centres take part in it, most first."""
    title = "Les groupes de travail par nombre de centres impliqués"
    headers = ("Groupe de travail", "Centres impliqués")
    printed = sorted(_printed(view), key=lambda r: -int(r["crpv_count"]))
    if not printed:
        return _empty("centres", title, headers)
    rows = [
        (r["group"], int(r["crpv_count"]), int(r["crpv_count"]), str(r["crpv_count"]))
        for r in printed
    ]
    body, height = _bars(rows)
    most, least = printed[0], printed[-1]
    total = sum(int(r["crpv_count"]) for r in printed)
    if len(printed) == 1:
        alt = f"Le groupe « {most['group']} » réunit {counted(int(most['crpv_count']), 'centre')} de ressources."
    else:
        alt = (
            f"Nombre de centres de ressources impliqués dans chacun des {len(printed)} groupes de travail : "
            f"de {least['crpv_count']} (« {least['group']} ») à {most['crpv_count']} "
            f"(« {most['group']} »), {total} participations en tout."
        )
    table = tuple((r["group"], str(r["crpv_count"])) for r in printed)
    return Figure("centres", title, _svg(height, body, alt), alt, headers, table)


def groups_by_meetings(view: NetworkView) -> Figure:
    """One bar a group: meetings planned in the year, a lighter end where a range is given."""
    title = "Les groupes de travail par nombre de réunions dans l’année"
    headers = ("Groupe de travail", "Réunions prévues")
    printed = _printed(view)
    if not printed:
        return _empty("reunions", title, headers)
    known = [r for r in printed if r["meetings_max"] is not None and r["meetings_min"] is not None]
    unknown = [r for r in printed if r not in known]
    known.sort(key=lambda r: (-int(r["meetings_max"]), -int(r["meetings_min"])))
    rows = [
        (r["group"], int(r["meetings_min"]), int(r["meetings_max"]), _span(r)) for r in known
    ] + [(r["group"], 0, 0, "non précisé") for r in unknown]
    body, height = _bars(rows)
    if known:
        most, least = known[0], known[-1]
        low = sum(int(r["meetings_min"]) for r in known)
        high = sum(int(r["meetings_max"]) for r in known)
        total = str(low) if low == high else f"{low} à {high}"
        if len(known) == 1:
            reunions = agreed(int(most["meetings_max"]), "réunion")
            alt = f"Le groupe « {most['group']} » prévoit {_span(most)} {reunions} dans l’année."
        else:
            alt = (
                f"Réunions prévues dans l’année par chacun des {len(known)} groupes de travail : "
                f"de {_span(least)} (« {least['group']} ») à {_span(most)} (« {most['group']} »), "
                f"{total} réunions en tout."
            )
    else:
        alt = "Aucun groupe de travail n’a donné un nombre de réunions compréhensible."
    if unknown:
        alt += f" Fréquence non précisée : {_join(['« ' + r['group'] + ' »' for r in unknown])}."
    table = tuple(
        (r["group"], r["meetings"] if r in unknown else _span(r)) for r in known + unknown
    )
    return Figure("reunions", title, _svg(height, body, alt), alt, headers, table)


def _span(row: dict) -> str:
    low, high = int(row["meetings_min"]), int(row["meetings_max"])
    return str(low) if low == high else f"{low} à {high}"
