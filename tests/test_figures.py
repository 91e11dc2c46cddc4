"""Figures from the network view: SVG in the documents' font and palette, alt text, data tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from flows import figures
from flows.merge import merge
from flows.model import Group, Member, Outcome
from flows.parse import parse_group
from sources.local import read_workbook
from tests.helpers import EDITION_2024, centres_2024, network_2024

SVG = "{http://www.w3.org/2000/svg}"


def bundled_groups() -> dict[str, Outcome]:
    outcomes = {}
    for registration in network_2024().groups:
        path = EDITION_2024 / registration.sheet
        if not path.exists():
            path = path.with_suffix(".xlsx")
        group = parse_group(read_workbook(path), registration.name, centres_2024()).record
        outcomes[registration.sheet] = Outcome(
            "group", registration.name, registration.sheet, group
        )
    return outcomes


@pytest.fixture(scope="module")
def groups() -> dict[str, Outcome]:
    return bundled_groups()


def draw(outcomes: dict[str, Outcome], network=None) -> list[figures.Figure]:
    network = network or network_2024()
    return figures.figures(merge(network, outcomes, []), network)


def texts(figure: figures.Figure) -> list[str]:
    return [t.text or "" for t in ET.fromstring(str(figure.svg)).iter(f"{SVG}text")]


def test_three_figures_with_alt_text_and_a_table_each(groups) -> None:
    drawn = draw(groups)
    assert [f.key for f in drawn] == ["matrice", "centres", "reunions"]
    for figure in drawn:
        root = ET.fromstring(str(figure.svg))  # well-formed SVG
        assert root.get("role") == "img" and root.get("aria-label") == figure.alt
        assert 40 < len(figure.alt) < 400 and figure.alt.endswith(".")
        assert len(figure.rows) == 12
        assert all(len(row) == len(figure.headers) for row in figure.rows)
        assert figure.source.startswith("data:image/svg+xml;base64,")


def test_the_centres_figure_says_its_extremes_and_total(groups) -> None:
    figure = draw(groups)[1]
    counts = {g.name: g.crpv_count for o in groups.values() if isinstance(g := o.record, Group)}
    least, most = min(counts, key=counts.get), max(counts, key=counts.get)
    assert f"de {counts[least]} (« {least} »)" in figure.alt
    assert f"à {counts[most]} (« {most} »)" in figure.alt
    assert f"{sum(counts.values())} participations en tout" in figure.alt
    assert figure.rows[0] == (most, str(counts[most]))  # most first
    assert set(texts(figure)) >= set(counts) | {str(v) for v in counts.values()}


def test_the_meetings_figure_draws_ranges(groups) -> None:
    figure = draw(groups)[2]
    assert ("Contractualisation", "6 à 8") in figure.rows
    assert ("Sport et quartiers populaires", "11") in figure.rows
    assert "80 à 83 réunions en tout" in figure.alt
    # A range is a full bar to its minimum and a lighter one up to its maximum.
    light = figures.style().colour("accent-light")
    ranges = [
        r for r in ET.fromstring(str(figure.svg)).iter(f"{SVG}rect") if r.get("fill") == light
    ]
    assert len(ranges) == 2  # Contractualisation (6 à 8) and Questions urbaines (6 à 7)


def test_figures_use_the_templates_font_and_palette(groups) -> None:
    css = (figures.TEMPLATES_DIR / "document.css").read_text(encoding="utf-8")
    family = re.search(r'@font-face\s*{\s*font-family:\s*"([^"]+)"', css).group(1)
    accent = re.search(r"--accent:\s*(#[0-9a-fA-F]+)", css).group(1)
    for figure in draw(groups):
        root = ET.fromstring(str(figure.svg))
        assert root.get("font-family") == family
        assert accent in str(figure.svg)
        assert not re.search(r"(href|url)\s*[=(]", str(figure.svg))  # nothing to fetch


def test_the_matrix_marks_each_role_and_lists_it(groups) -> None:
    sheet = "gt-sante"
    sante = groups[sheet].record
    members = (
        Member("Normanvilles", "animation"),
        Member("Profession Banlieue", "animation"),
        Member("IREV", "co-pilotage"),
        Member("ORIV", "membre"),
        Member("Villes au Carré", "co-pilotage"),
        Member("CRPV Essonne", "membre"),
    )
    outcomes = {**groups, sheet: replace(groups[sheet], record=replace(sante, members=members))}
    figure = draw(outcomes)[0]
    row = next(r for r in figure.rows if r[0] == "Santé")
    assert row == (
        "Santé",
        "Normanvilles, Profession Banlieue",
        "Institut Régional de la Ville, Villes au Carré",  # full names; the figure shows sigles
        "Observatoire Régional de l'Intégration et de la Ville, CRPV Essonne",
    )
    circles = list(ET.fromstring(str(figure.svg)).iter(f"{SVG}circle"))
    radii = [c.get("r") for c in circles]
    # One disc per leading centre and group, one ring and one dot, plus the legend's three marks.
    assert radii.count("1.35") == 3 and radii.count("0.8") == 3
    # IREV and ORIV lead other groups; the two others are new to the figure.
    assert (
        "12 centres animent au moins un groupe, 2 autres en sont co-pilotes ou membres."
        in figure.alt
    )
    assert "Profession Banlieue anime le plus de groupes (4)." in figure.alt


def test_long_names_are_shortened_to_fit() -> None:
    assert figures.text_width("Valeurs de la République et laïcité") > 30
    short = figures._fit("Valeurs de la République et laïcité", 20)
    assert short.endswith("…") and figures.text_width(short) <= 20


def test_an_edition_without_groups_gives_sensible_figures() -> None:
    network = replace(network_2024(), groups=())
    for figure in draw({}, network):
        assert figure.rows == ()
        assert "Aucun groupe de travail" in figure.alt
        ET.fromstring(str(figure.svg))


def test_a_one_group_edition(groups) -> None:
    network = network_2024()
    only = replace(network, groups=network.groups[:1])
    first = network.groups[0]
    drawn = draw({first.sheet: groups[first.sheet]}, only)
    assert [len(f.rows) for f in drawn] == [1, 1, 1]
    assert "le seul groupe de travail" in drawn[0].alt
    assert drawn[1].alt == "Le groupe « Contractualisation » réunit 14 centres de ressources."
    assert "Contractualisation" in texts(drawn[2])
