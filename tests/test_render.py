"""Rendering: sheet content is escaped, links are filtered, WeasyPrint reads nothing but templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows import render
from flows.model import Contribution, LeadEntry, Observation
from flows.settings import TEMPLATES_DIR
from tests.helpers import network_2024
from tests.pdftext import flat, pdf_text


def test_markdown_keeps_lists_bold_and_safe_links() -> None:
    html = render.markdown(
        "Texte **gras**\n\n- un\n- deux\n\n[site](https://anct.gouv.fr) [mail](mailto:a@b.fr)"
    )
    assert "<strong>gras</strong>" in html
    assert html.count("<li>") == 2
    assert '<a href="https://anct.gouv.fr">' in html and '<a href="mailto:a@b.fr">' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src="file:///etc/passwd">',
        "[clic](javascript:alert(1))",
        "![image](file:///etc/passwd)",
        "[local](file:///etc/passwd)",
    ],
)
def test_markdown_never_lets_html_or_unsafe_links_through(text: str) -> None:
    html = render.markdown(text)
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and 'href="file' not in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.irev.fr/ressources", True),
        ("http://exemple.fr", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ('https://x.fr/" onclick="alert(1)', False),
        ("", False),
    ],
)
def test_safe_url(url: str, kept: bool) -> None:
    assert (render.safe_url(url) is not None) == kept


def test_sort_key_orders_accented_names_like_a_french_index() -> None:
    names = ["Égalité", "Valeurs", "Éducation", "Cosoter", "Développement"]
    assert sorted(names, key=render.sort_key) == [
        "Cosoter",
        "Développement",
        "Éducation",
        "Égalité",
        "Valeurs",
    ]


def test_french_date() -> None:
    assert render.french_date(dt.date(2024, 3, 12)) == "12 mars 2024"
    assert render.french_date("2024-08-01") == "1er août 2024"


def test_fetcher_reads_templates_only(tmp_path: Path) -> None:
    fetcher = render._fetcher()
    font = (TEMPLATES_DIR / "fonts" / "Lato-Regular.ttf").as_uri()
    assert fetcher.fetch(font).read(4)
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    for url in (
        secret.as_uri(),
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://exemple.fr/a.css",
        (TEMPLATES_DIR / ".." / "pyproject.toml").as_uri(),
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def hostile_contribution(secret: Path) -> Contribution:
    return Contribution(
        subject="<b>Sujet</b> & <script>alert('x')</script>",
        questions=("=SOMME(A1:A3)", "<i>question</i> ?"),
        observations=(
            Observation(
                centre="IREV",
                practice=f'<img src="{secret.as_uri()}">Pratique',
                description=f'<link rel="stylesheet" href="{secret.as_uri()}"> مرحبا 🎉',
                source="javascript:alert(1)",
            ),
        ),
        coordination=(LeadEntry("IREV", 0, "IREV"),),
        introduction=f"<style>body{{background:url({secret.as_uri()})}}</style>\n\n![x]({secret.as_uri()})",
    )


def test_hostile_cells_are_printed_literally_and_read_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    fetched: list[str] = []
    original = render._fetcher

    def recording_fetcher():
        fetcher = original()
        fetch = fetcher.fetch

        def spy(url, headers=None):
            fetched.append(url)
            return fetch(url, headers)

        fetcher.fetch = spy
        return fetcher

    monkeypatch.setattr(render, "_fetcher", recording_fetcher)
    html = render.contribution_html(
        network_2024(), hostile_contribution(secret), dt.date(2024, 3, 12)
    )
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert f'src="{secret.as_uri()}"' not in html
    target = tmp_path / "c.pdf"
    target.write_bytes(render.pdf_bytes(html))
    text = flat(pdf_text(target))
    assert "<b>Sujet</b> & <script>alert('x')</script>" in text
    assert "=SOMME(A1:A3)" in text
    assert "javascript:alert(1)" in text
    assert "مرحبا" in text and "🎉" in text
    assert all(u.startswith(TEMPLATES_DIR.as_uri()) or u.startswith("data:") for u in fetched), (
        fetched
    )


def _text_right_edges(pdf: bytes) -> list[tuple[int, float, str]]:
    """Each printed character's page and right edge (points), with the right edge of the text area."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    edges = []
    for index in range(len(document)):
        text = document[index].get_textpage()
        for n in range(text.count_chars()):
            char = text.get_text_range(n, 1)
            if not char.isspace():
                edges.append((index, text.get_charbox(n)[2], char))
    document.close()
    return edges


def test_a_word_longer_than_its_column_breaks_inside_the_record(tmp_path: Path) -> None:
    """The record's table has fixed columns: an address with no space breaks within its cell
    instead of running off the page."""
    import dataclasses

    from tests.test_build_2024 import _render_stage

    network, outcomes, view, _, _, date = _render_stage(Path("sources/editions/2024"))
    sheet, outcome = next(iter(outcomes.items()))
    address = "contact." + "treslongueadressesansespace." * 6 + "@exemple.fr"
    group = dataclasses.replace(outcome.record, contact=address)
    outcomes = {**outcomes, sheet: dataclasses.replace(outcome, record=group)}
    pdf = render.pdf_bytes(render.programme_html(network, outcomes, view, date))
    right_margin = 595.28 - 20 / 25.4 * 72  # A4, 20 mm
    assert "treslongueadresse" in flat(pdf_text_of(pdf, tmp_path))
    beyond = [
        (page, char) for page, right, char in _text_right_edges(pdf) if right > right_margin + 1
    ]
    assert beyond == []


def pdf_text_of(pdf: bytes, folder: Path) -> str:
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    return pdf_text(path)
