"""The PDFs are accessible, and proved so: pdfua, then the structure tree read back with pikepdf.

Run on the published 2024 edition (built once by the real flow, tests/test_build_2024.py's way) and on
drafts of the same documents, rendered through the render stage.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from flows.typography import french_text
from tests.pdftext import pdf_text
from tests.test_build_2024 import _render_stage

pikepdf = pytest.importorskip("pikepdf")
EDITION = Path("sources/editions/2024")
ANCHOR_ID = re.compile(r"^(section-\d+|gt-[a-z0-9-]+|chiffres)$")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The programme and a contribution, published and as drafts."""
    from flows import render

    network, outcomes, view, contributions, changes, date = _render_stage(EDITION)
    folder = tmp_path_factory.mktemp("documents")
    paths = {}
    for draft in (False, True):
        suffix = "-brouillon" if draft else ""
        html = render.programme_html(network, outcomes, view, date, draft, changes)
        paths["programme" + suffix] = folder / f"programme{suffix}.pdf"
        paths["programme" + suffix].write_bytes(render.pdf_bytes(html))
        for contribution in contributions:
            name = render.slugify(contribution.subject) + suffix
            html = render.contribution_html(network, contribution, date, draft)
            paths[name] = folder / f"{name}.pdf"
            paths[name].write_bytes(render.pdf_bytes(html))
    return paths


# A paragraph long enough for several pages, one that ends on the same page, and one that a page
# break opens: three paragraphs, three /P, whichever page break they meet.
PARAGRAPHS = f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Paragraphes</title>
<meta name="dcterms.created" content="2024-03-01"></head><body><h1>Paragraphes</h1>
<p>{" ".join(f"Phrase numéro {n}, assez longue pour remplir des pages." for n in range(600))}</p>
<p>Un paragraphe court, sur la même page que la fin du précédent.</p>
<p style="break-before: page">Un paragraphe qui ouvre une page, distinct du précédent.</p>
</body></html>"""


def _kids(element):
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _elements(element):
    return [k for k in _kids(element) if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def _walk(element, depth=0):
    yield element, depth
    for kid in _elements(element):
        yield from _walk(kid, depth + 1)


def _tree(pdf):
    return [e for e, _ in _walk(pdf.Root.StructTreeRoot)]


def _roles(pdf) -> Counter:
    return Counter(str(e.get("/S")) for e in _tree(pdf))


def test_every_document_passes_pdfua(documents) -> None:
    checker = Path(sys.executable).with_name("pdfua")
    done = subprocess.run(
        [str(checker), "check", *map(str, documents.values())], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.count("errors=0 warnings=0") == len(documents), done.stdout


def test_catalog_declares_language_title_and_pdfua(documents) -> None:
    for name, path in documents.items():
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == "fr"
            assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
            assert pdf.Root.PageMode == pikepdf.Name.UseOutlines
            assert str(pdf.open_metadata().get("pdfuaid:part")) == "1"
            title = str(pdf.docinfo.Title)
            assert title.endswith("(provisoire)") == name.endswith("-brouillon"), title


def _outline(pdf) -> list[tuple[int, str]]:
    entries = []
    with pdf.open_outline() as outline:

        def walk(items, depth):
            for item in items:
                entries.append((depth, item.title))
                walk(item.children, depth + 1)

        walk(outline.root, 0)
    return entries


@pytest.mark.parametrize("name", ["programme", "programme-brouillon"])
def test_one_bookmark_per_section_and_group_none_repeated(documents, name: str) -> None:
    from tests.helpers import network_2024

    network = network_2024()
    with pikepdf.open(documents[name]) as pdf:
        titles = [title for _, title in _outline(pdf)]
    assert [t for t, n in Counter(titles).items() if n > 1] == []
    for section in network.sections:
        assert any(french_text(section.title) in t for t in titles), section.title
    for group in network.groups:
        assert f"Groupe de travail «\u202f{group.name}\u202f»" in titles
    assert "Contenus/sujets des travaux" not in titles


@pytest.mark.parametrize("name", ["programme", "programme-brouillon"])
def test_contents_are_a_toc_of_links_described_by_their_words(documents, name: str) -> None:
    with pikepdf.open(documents[name]) as pdf:
        roles = _roles(pdf)
        assert roles["/TOC"] >= 1 and roles["/TOCI"] >= 12 + 5
        for element in _tree(pdf):
            if str(element.get("/S")) == "/Link":
                inner = [e for e, _ in _walk(element) if e is not element]
                assert not [e for e in inner if str(e.get("/S")) == "/Link"]
        descriptions = [
            str(a.Contents)
            for page in pdf.pages
            for a in page.get("/Annots", [])
            if "/Contents" in a
        ]
    assert descriptions and not [d for d in descriptions if ANCHOR_ID.match(d)]
    assert "Groupe de travail «\u202fSanté\u202f»" in descriptions
    contents_page = pdf_text(documents[name]).split("\f")[1]
    assert "...." not in contents_page and "…" not in contents_page  # leaders are not text


def test_header_cells_have_a_scope_and_data_cells_true_headers(documents) -> None:
    for path in documents.values():
        with pikepdf.open(path) as pdf:
            ids = set()
            for element in _tree(pdf):
                if str(element.get("/S")) == "/TH":
                    assert str(element.A.Scope) in ("/Row", "/Column")
                    ids.add(bytes(element.ID))
            for element in _tree(pdf):
                if str(element.get("/S")) == "/TD" and "/Headers" in element.get("/A", {}):
                    headers = [bytes(h) for h in element.A.Headers]
                    assert headers and set(headers) <= ids


@pytest.mark.parametrize("name", ["programme", "programme-brouillon"])
def test_one_structure_element_per_group_record_and_nested_lists(documents, name: str) -> None:
    with pikepdf.open(documents[name]) as pdf:
        assert _roles(pdf)["/Art"] == 12
        for element in _tree(pdf):
            if str(element.get("/S")) == "/L":
                assert not [k for k in _elements(element) if str(k.S) == "/L"]
        nested = [
            e for e in _tree(pdf) if str(e.get("/S")) == "/L" and str(e.P.get("/S")) == "/LBody"
        ]
        assert nested, "the topics' details are lists inside their item's body"


def test_a_paragraph_cut_by_page_breaks_is_one_element(tmp_path: Path) -> None:
    from flows import render

    path = tmp_path / "paragraphes.pdf"
    path.write_bytes(render.pdf_bytes(PARAGRAPHS))
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("pdfua")), "check", str(path)],
        capture_output=True,
        text=True,
    )
    assert "errors=0 warnings=0" in checked.stdout, checked.stdout
    with pikepdf.open(path) as pdf:
        paragraphs = [e for e in _tree(pdf) if str(e.get("/S")) == "/P"]
        assert len(pdf.pages) > 3
        assert len(paragraphs) == 3, "one /P per paragraph of the page"
        pages = {p.objgen: n for n, p in enumerate(pdf.pages)}
        first, short, opening = ({pages[k.Pg.objgen] for k in _elements(p)} for p in paragraphs)
        assert first == set(range(len(pdf.pages) - 1)), "the long one spans every page but the last"
        assert short == {len(pdf.pages) - 2} and opening == {len(pdf.pages) - 1}
        for paragraph in paragraphs:
            assert all(k.P.objgen == paragraph.objgen for k in _elements(paragraph))


def test_headings_reach_content(documents) -> None:
    """pdfua 0.1.3 cannot evaluate its empty-heading rule on /K arrays: checked here instead."""

    def marks(element) -> bool:
        return any(
            isinstance(k, int) or (isinstance(k, pikepdf.Dictionary) and "/S" in k and marks(k))
            for k in _kids(element)
        )

    for path in documents.values():
        with pikepdf.open(path) as pdf:
            for element in _tree(pdf):
                if re.fullmatch(r"/H[1-6]", str(element.get("/S"))):
                    assert marks(element)


@pytest.mark.parametrize("name", ["programme", "programme-brouillon"])
def test_margins_and_decorations_are_artifacts(documents, name: str) -> None:
    for path in documents.values():
        with pikepdf.open(path) as pdf:
            reachable = {e.objgen for e in _tree(pdf)}
            numbers = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
            for entries in numbers[1::2]:
                if isinstance(entries, pikepdf.Array):
                    assert all(
                        e.objgen in reachable for e in entries if isinstance(e, pikepdf.Dictionary)
                    )
            pagination = 0
            for page in pdf.pages[1:]:
                operations = pikepdf.parse_content_stream(page)
                pagination += sum(
                    1
                    for operands, operator in operations
                    if str(operator) == "BDC" and operands[0] == pikepdf.Name.Artifact
                )
            assert pagination >= 2 * (len(pdf.pages) - 1)  # title or chapter, and page number
    text = pdf_text(documents[name])
    assert not re.search(r"(^|\n)\s*(\d+\s*)?>", text)  # the chevrons are backgrounds


@pytest.mark.parametrize("name", ["programme", "programme-brouillon"])
def test_hyphenation_marks_read_as_soft_hyphens(documents, name: str) -> None:
    """Every line-ending U+2010 glyph sits in a span whose /ActualText is U+00AD."""
    from flows.tagging import _hyphen_codes

    wrapped = 0
    with pikepdf.open(documents[name]) as pdf:
        for page in pdf.pages:
            codes = _hyphen_codes(page)
            font, actual = None, []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name == "Tf":
                    font = str(operands[0])
                elif name == "BDC":
                    actual.append(
                        str(operands[1].get("/ActualText", "")) if len(operands) > 1 else ""
                    )
                elif name == "BMC":
                    actual.append("")
                elif name == "EMC":
                    actual.pop()
                elif name == "TJ" and font in codes:
                    strings = [bytes(s) for s in operands[0] if isinstance(s, pikepdf.String)]
                    if strings and strings[-1].endswith(codes[font]):
                        assert actual and actual[-1] == "\u00ad"
                        wrapped += 1
    assert wrapped > 5  # the programme's body text is hyphenated


def test_drafts_say_so_in_full_on_every_page(documents) -> None:
    for name, path in documents.items():
        pages = [" ".join(p.split()) for p in pdf_text(path).split("\f")]
        marked = [p for p in pages if "Document provisoire" in p]
        assert len(marked) == (len(pages) if name.endswith("-brouillon") else 0), name


def test_running_title_and_network_print_on_every_page_but_the_cover(documents) -> None:
    for name, path in documents.items():
        title = (
            "Programme annuel 2024"
            if name.startswith("programme")
            else "Contribution annuelle 2024"
        )
        pages = [" ".join(p.split()) for p in pdf_text(path).split("\f")]
        assert len(pages) > 1
        for page in pages[1:]:
            assert title in page and "RNCRPV" in page, (name, page[:80])


def test_bundled_contributions_open_with_their_notice(documents) -> None:
    for name, path in documents.items():
        if not name.startswith("programme"):
            first = pdf_text(path).split("\f")[0].lstrip()
            assert first.startswith("Exemple illustratif\u00a0: ces pratiques ne décrivent pas"), (
                name
            )


def test_contents_page_numbers_close_each_entry_at_the_margin(documents) -> None:
    """Each page number ends at the text area's right edge, on the line of its entry's last words
    (the contents are laid out without flex: the number sits in the line's right padding)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(documents["programme"])
    page = document[1]
    text = page.get_textpage()
    right_margin = page.get_width() - 20 / 25.4 * 72
    lines: dict[int, list[tuple[float, str]]] = {}
    for n in range(text.count_chars()):
        char = text.get_text_range(n, 1)
        if not char.isspace():
            _, bottom, right, _ = text.get_charbox(n, loose=True)
            lines.setdefault(round(bottom), []).append((right, char))
    document.close()
    heading = max(y for y, chars in lines.items() if "".join(c for _, c in chars) == "Sommaire")
    below = [sorted(chars) for y, chars in sorted(lines.items(), reverse=True) if y < heading]
    numbered = [chars for chars in below if chars[-1][1].isdigit()]
    assert len(numbered) >= 12 + 5  # every group, every section
    for chars in numbered:
        line = "".join(char for _, char in chars)
        assert abs(chars[-1][0] - right_margin) < 0.5, line
        assert any(char.isalpha() for char in line), line  # never a number alone on its line
