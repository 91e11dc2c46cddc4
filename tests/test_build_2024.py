"""End to end: the real Prefect flow builds the bundled 2024 edition; the PDFs are read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.pdftext import flat, pdf_text, words

SEED = Path(__file__).parent / "fixtures" / "programme-2024-seed.txt"
RECORD_TITLE = re.compile(r"> Groupe de travail « ([^»]+?) »")

# Words of the seed that the programme prints differently on purpose: the seed's label variants
# (the contract has one label per field), the misspelt "CPRV", and the seed's section numbering marks.
NOT_PRINTED = {
    "envisagées",
    "privilégiées",
    "Date",
    "création",
    "Contenu",
    "sujets",
    "CPRV",
    "travail",
    "8ème",  # printed « 8e », the French abbreviation
    "de",  # from "Contenu, sujets de travail" / "Modalités de travail": printed elsewhere too
}


@pytest.fixture(scope="module")
def build_run(tmp_path_factory: pytest.TempPathFactory):
    from flows.build import build_edition

    out = tmp_path_factory.mktemp("output")
    return build_edition(year=2024, out=str(out), return_state=True), out


@pytest.fixture(scope="module")
def build(build_run):
    state, out = build_run
    return state.result(), out


def test_a_publication_ends_completed_with_its_summary(build_run) -> None:
    from tests.test_states import RUN_NAME, read_back

    run, tasks = read_back(build_run[0])
    assert run.state.is_completed() and run.state.name == "Completed"
    assert run.state.message.startswith("Édition 2024 publiée — "), run.state.message
    assert " 0 erreur, 0 avertissement" in run.state.message
    assert RUN_NAME.fullmatch(run.name), run.name
    names = {task.name for task in tasks}
    assert {
        "lire · reseau",
        "lire · 14 classeurs",  # files on disk: one task for all of them
        "contrôler · 14 classeurs",
        "fusionner",
        "publier · 2024",
    } <= names, names
    assert any(name.startswith("mettre en page · ") for name in names), names


@pytest.fixture(scope="module")
def programme(build) -> str:
    _, out = build
    return pdf_text(out / "2024" / "programme-2024.pdf")


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


def seed_records(seed: str) -> list[tuple[str, str]]:
    """(title, body) of each working-group record of the seed, in the seed's order."""
    matches = list(RECORD_TITLE.finditer(seed))
    return [
        (
            m.group(1).strip(),
            seed[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(seed)],
        )
        for i, m in enumerate(matches)
    ]


def test_build_reads_every_workbook_without_problems(build) -> None:
    report, _ = build
    assert len(report.outcomes) == 1 + 12 + 2
    assert [str(p) for p in report.problems] == []
    assert report.exit_code == 0
    assert not report.draft


def test_build_writes_the_documents_and_the_checks_report(build) -> None:
    report, out = build
    edition = out / "2024"
    documents = {
        "programme-2024.pdf",
        "reseau-2024.xlsx",
        "contributions/culture-et-politique-de-la-ville.pdf",
        "contributions/le-contrat-de-ville-integrateur.pdf",
    }
    archive = Path(report.folder)
    assert archive.parent == edition / "archive"
    assert {str(Path(p).relative_to(archive)) for p, _ in report.files} == documents | {
        "manifest.json"
    }
    assert all((edition / d).stat().st_size > 1000 for d in documents), (
        "stable names lead to the set"
    )
    assert {Path(p).name for p, _ in report.reports} == {"controles.html", "controles.json"}
    assert not list(out.rglob(".staging-*")), "the staging folder is removed after publication"


def test_every_valid_workbook_is_kept_for_later_builds(build) -> None:
    _, out = build
    kept = out / "2024" / "donnees-valides"
    assert len([p for p in kept.iterdir() if (p / "_recueil.json").is_file()]) == 14
    assert (
        (kept / "gt-sante" / "Fiche.csv")
        .read_text(encoding="utf-8")
        .startswith("Groupe de travail,Santé")
    )


def test_checks_report(build) -> None:
    import json

    _, out = build
    data = json.loads((out / "2024" / "controles.json").read_text(encoding="utf-8"))
    assert data["year"] == 2024 and data["errors"] == 0
    assert [w["name"] for w in data["workbooks"]][:3] == ["Réseau", "Contractualisation", "Cosoter"]
    assert {w["status"] for w in data["workbooks"]} == {"ready"}
    assert data["publication"] == {"state": "published", "where": str(out / "2024")}
    html = (out / "2024" / "controles.html").read_text(encoding="utf-8")
    assert "Contrôles des classeurs — édition 2024" in html
    assert (
        "<strong>Édition publiée</strong> : cette construction a publié l'édition 2024 dans "
        f"<code>{out / '2024'}</code>."
    ) in html
    assert "http://" not in html and "https://" not in html, (
        "the report loads nothing from elsewhere"
    )


def test_the_index_lists_documents_by_title_with_pages_and_size(build) -> None:
    from pypdf import PdfReader

    _, out = build
    index = (out / "index.html").read_text(encoding="utf-8")
    pages = len(PdfReader(out / "2024" / "programme-2024.pdf").pages)
    programme = index[index.index('href="2024/programme-2024.pdf"') :]
    assert programme.startswith('href="2024/programme-2024.pdf">Programme annuel 2024</a>')
    assert f'<td class="num">{pages}</td>' in programme.split("</tr>")[0]
    assert ">Culture et politique de la ville</a>" in index
    assert ">Vue du réseau (tableur)</a>" in index
    assert " Ko</td>" in index
    assert "à partir des données du" in index
    for record in ("controles.json", "manifest.json"):
        assert f'href="2024/{record}"' not in index, record


def test_the_published_manifest_keeps_the_facts_for_next_years_evolutions(
    build, capfd: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    report, out = build
    assert report.previous.startswith("2023 (")  # the bundled year before, found unasked
    assert main(["diff", str(out / "2024"), "2024", "--json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert (data["added"], data["removed"], data["groups"]) == ([], [], [])
    assert len(data["unchanged"]) == 12


def test_every_word_of_the_seed_is_printed(programme: str, seed: str) -> None:
    printed = words(programme)
    missing = {w for w in words(seed, hyphenated=False) if w not in printed} - NOT_PRINTED
    assert missing == set()


def test_records_come_in_the_seeds_order(programme: str, seed: str) -> None:
    text = flat(programme)
    titles = [title for title, _ in seed_records(seed)]
    assert len(titles) == 12
    positions = [text.find(f"Groupe de travail « {title} » Nombre de CRPV") for title in titles]
    assert -1 not in positions, dict(zip(titles, positions, strict=True))
    assert positions == sorted(positions)


def _printed_record(programme: str, title: str) -> str:
    """The text of a group's record: from its title (followed by its first row) to the next one."""
    text = flat(programme)
    start = text.find(f"Groupe de travail « {title} » Nombre de CRPV")
    assert start != -1, title
    following = re.search(r"Groupe de travail « [^»]+ » Nombre de CRPV", text[start + 1 :])
    return text[start : start + 1 + following.start() if following else len(text)]


@pytest.mark.parametrize("index", range(12))
def test_each_record_carries_the_seeds_figures(programme: str, seed: str, index: int) -> None:
    title, body = seed_records(seed)[index]
    record = _printed_record(programme, title)
    count = re.search(r"Nombre de CRPV impliqués\s+(\d+)", body).group(1)
    assert f"Nombre de CRPV impliqués {count} CRPV" in record
    meetings = " ".join(re.search(r"Nombre de réunions\s+(.+)", body).group(1).split())
    assert f"Nombre de réunions {meetings}".replace("’", "'") in record
    created = re.search(r"(?:Groupe créé en|Date de création)\s+(\d{4})", body) or re.search(
        r"Groupe créé en\s+\n(\w+ \d{4})", body
    )
    if created:
        assert created.group(1) in record
    else:
        assert "Groupe créé en" not in record


def test_people_are_printed_with_their_group(programme: str) -> None:
    people = {
        "Éducation": ["Marie-Pascale GUYON", "Eloïse THEBAUD", "Mickaël GUANEL"],
        "Participation des habitants": ["Noémie SIEFERT", "Cyril MELOT"],
    }
    for group, names in people.items():
        record = _printed_record(programme, group)
        for name in names:
            assert name in record, (group, name)


def test_the_list_of_twelve_groups_is_alphabetical(programme: str) -> None:
    text = flat(programme)
    start = text.index("12 groupes de travail :")
    listed = text[start : start + 600]
    order = [
        "Contractualisation",
        "Cosoter",
        "Développement économique",
        "Éducation",
        "Égalité femmes-hommes",
        "Participation des habitants",
        "Questions urbaines",
        "Ressource & Communication",
        "Santé",
        "Sport et quartiers populaires",
        "Transition",
        "Valeurs de la République et laïcité",
    ]
    positions = [listed.find(name) for name in order]
    assert -1 not in positions and positions == sorted(positions)


def test_contents_page_lists_sections_and_groups_with_pages(programme: str) -> None:
    contents = flat(programme.split("\f")[1])
    assert contents.startswith("Sommaire") or "Sommaire" in contents
    assert re.search(r"Les cités éducatives\s*\.*\s*\d+", contents)
    assert re.search(r"Groupe de travail « Santé »\s*\.*\s*\d+", contents)


def test_pages_are_numbered(build) -> None:
    from pypdf import PdfReader

    _, out = build
    reader = PdfReader(out / "2024" / "programme-2024.pdf")
    total = len(reader.pages)
    assert total > 5
    assert f"{total} / {total}" in reader.pages[-1].extract_text()


def test_pdf_declares_french_and_title(build) -> None:
    from pypdf import PdfReader

    _, out = build
    reader = PdfReader(out / "2024" / "programme-2024.pdf")
    assert reader.metadata.title == "Programme annuel 2024"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_contribution_documents_carry_their_workbooks(build) -> None:
    from flows.centres import CentreIndex
    from flows.parse import parse_contribution, parse_network
    from sources.local import LocalSource

    _, out = build
    source = LocalSource(Path("sources/editions/2024"))
    network = parse_network(source.read_network()).record
    centres = CentreIndex(network.centres)
    for registration in network.contributions:
        contribution = parse_contribution(source.read(registration.sheet), "c", centres).record
        slug = {
            "Culture et politique de la ville": "culture-et-politique-de-la-ville",
            "Le contrat de ville intégrateur": "le-contrat-de-ville-integrateur",
        }[registration.name]
        text = flat(pdf_text(out / "2024" / "contributions" / f"{slug}.pdf"))
        assert flat(contribution.subject) in text
        for question in contribution.questions:
            assert flat(question) in text
        for observation in contribution.observations:
            assert flat(observation.practice) in text
            assert centres.centres[observation.centre].name in text
        for lesson in contribution.lessons:
            assert flat(lesson.lesson) in text
        assert "Centres de ressources contributeurs" in text


def test_network_view_spreadsheet(build) -> None:
    import openpyxl
    import pandas as pd

    _, out = build
    path = out / "2024" / "reseau-2024.xlsx"
    groups = pd.read_excel(path, sheet_name="Groupes")
    assert list(groups["Groupe"])[:2] == ["Contractualisation", "Cosoter"]
    assert len(groups) == 12
    assert set(groups["État"]) == {"prêt"}
    assert groups.loc[groups["Groupe"] == "Questions urbaines", "Réunions min."].item() == 6
    assert groups.loc[groups["Groupe"] == "Questions urbaines", "Réunions max."].item() == 7
    matrix = pd.read_excel(path, sheet_name="Groupes x CRPV", index_col=0).dropna(how="all")
    assert matrix.loc["Éducation", "Ville Caraïbe"] == "animation"
    assert matrix.loc["Éducation", "CRPV impliqués (déclarés)"] == 14
    roles = {
        v
        for v in matrix.drop(
            columns=["CRPV impliqués (déclarés)", "dont nommés ici"]
        ).values.ravel()
        if isinstance(v, str)
    }
    assert roles <= {"animation", "co-pilotage", "membre"} and "animation" in roles
    centres = pd.read_excel(path, sheet_name="CRPV")
    assert centres.loc[centres["Sigle"] == "ORIV", "Nom"].item().startswith("Observatoire")
    totals = pd.read_excel(path, sheet_name="Totaux")
    assert "Participations de CRPV aux groupes" in set(totals["Indicateur"])

    book = openpyxl.load_workbook(path)
    sheet = book["Groupes"]
    header = [c.value for c in sheet[1]]
    dates = [row[header.index("Données du")] for row in sheet.iter_rows(min_row=2)]
    # Each group's data date (its last commit here) is a real date, shown the French way.
    assert dates and all(cell.is_date and cell.number_format == "DD/MM/YYYY" for cell in dates)
    short = [c.value for c in book["Groupes x CRPV"][1]][1:]
    assert "ORIV" in short and not any("Observatoire" in str(h) for h in short)
    for sheet in book.worksheets:
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet[1][0].font.bold
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"


def test_the_flow_publishes_a_markdown_artifact_of_the_checks(build) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["controles-2024"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=20,
        )
    _, out = build
    mine = [a.data for a in artifacts if str(out) in a.data]
    assert mine, "the build leaves a controles-2024 artifact"
    markdown = mine[0]
    assert markdown.startswith(f"**Édition 2024 publiée** dans `{out / '2024'}`."), "status first"
    assert "| Santé | Groupe de travail | prêt | 0 | 0 |" in markdown


def _documents(out: Path) -> list[Path]:
    return sorted((out / "2024" / "publie").resolve().rglob("*.pdf"))


def test_documents_are_dated_by_the_editions_date_of_publication(build, programme: str) -> None:
    from pypdf import PdfReader

    _, out = build
    assert "Publié le 1er mars 2024" in flat(programme)
    assert "dans leur état du 1er mars 2024" in flat(programme)
    for path in _documents(out):
        metadata = PdfReader(path).metadata
        assert metadata["/CreationDate"].startswith("D:20240301"), path.name
        assert metadata["/ModDate"].startswith("D:20240301"), path.name


def _hyphenation_inside(text: str, name: str) -> bool:
    """Whether `name` is printed somewhere with a hyphenation break inside it."""
    marked = re.sub(r"‐\s*\n", "\x00", text)
    letters = [r"\s+" if c == " " else re.escape(c) for c in name]
    pattern = "\x00?".join(letters).replace(r"\s+\x00?", r"\s+")
    return any("\x00" in m.group() for m in re.finditer(pattern, marked))


def test_french_typography_in_the_text_read_back(build) -> None:
    from tests.helpers import network_2024

    _, out = build
    names = [c.name for c in network_2024().centres]
    for path in _documents(out):
        text = pdf_text(path)
        assert not re.search(r" [:;!?»]", text), (path.name, re.findall(r".{20} [:;!?»]", text))
        assert "« " not in text, path.name
        assert not re.search(r"[^\W\d_]'[^\W\d_]", text), path.name
        assert "\u202f" in text and "\u00a0" in text, path.name
        assert not [n for n in names if _hyphenation_inside(text, n)], path.name
        # Never fewer than three letters either side of a hyphenation break.
        assert not re.findall(
            r"(?<![^\W\d_])[^\W\d_]{1,2}‐\s*\n|‐\s*\n[^\W\d_]{1,2}(?![^\W\d_])", text
        )


def test_only_the_shipped_fonts_are_embedded_and_they_hold_every_printed_character(build) -> None:
    import pikepdf
    from fontTools.ttLib import TTFont

    from flows import fonts

    _, out = build
    shipped = set()
    for style in fonts.STYLES:
        shipped |= set(TTFont(fonts.derived_path(style)).getBestCmap())
    shipped |= set(TTFont(fonts.FONTS_DIR / "NotoEmoji-Regular.ttf").getBestCmap())
    for path in _documents(out):
        with pikepdf.open(path) as pdf:
            families = {
                str(font.BaseFont).split("+", 1)[-1]
                for page in pdf.pages
                for font in page.Resources.get("/Font", {}).values()
            }
        assert families and all(f.startswith(("Recueil-Sans", "Noto-Emoji")) for f in families)
        printed = set(pdf_text(path)) - set("\n\f\r\t")
        assert not [c for c in printed if ord(c) not in shipped], path.name


def _render_stage(folder: Path):
    """The records of an edition folder, parsed without Prefect, ready for the render functions."""
    import datetime as dt

    from flows import diff
    from flows.centres import CentreIndex
    from flows.merge import merge
    from flows.model import Outcome
    from flows.parse import parse_contribution, parse_group, parse_network
    from sources.local import LocalSource

    source = LocalSource(folder)
    network = parse_network(source.read_network()).record
    centres = CentreIndex(network.centres)
    outcomes = {}
    for registration in network.groups:
        workbook = source.read(registration.sheet)
        parsed = parse_group(workbook, registration.name, centres)
        outcomes[registration.sheet] = Outcome(
            "group", registration.name, registration.sheet, parsed.record, (), workbook.modified
        )
    contributions = [
        parse_contribution(source.read(r.sheet), r.name, centres).record
        for r in network.contributions
    ]
    changes = diff.compare(
        diff.read_facts(diff.previous_folder(network.programme.year, folder)),
        diff.facts_of(network, outcomes, str(folder)),
    )
    view = merge(network, outcomes, contributions)
    return network, outcomes, view, contributions, changes, dt.date(2024, 3, 1)


def test_two_clones_on_two_days_give_the_same_bytes(build, tmp_path, monkeypatch) -> None:
    """Another clone of the edition, with other file times, rendered two days later: identical files."""
    import os
    import subprocess
    import time

    from flows import render

    _, out = build
    root = Path(__file__).resolve().parent.parent
    subprocess.run(["git", "clone", "-q", str(root), str(tmp_path / "clone")], check=True)
    copy = tmp_path / "clone" / "sources" / "editions" / "2024"
    for path in copy.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # September 2001
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 2 * 86400)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)

    network, outcomes, view, contributions, changes, date = _render_stage(copy)
    published = (out / "2024" / "publie").resolve()
    programme = render.pdf_bytes(
        render.programme_html(network, outcomes, view, date, False, changes)
    )
    assert programme == (published / "programme-2024.pdf").read_bytes()
    culture = next(c for c in contributions if c.subject.startswith("Culture"))
    contribution = render.pdf_bytes(render.contribution_html(network, culture, date))
    assert (
        contribution
        == (published / "contributions" / "culture-et-politique-de-la-ville.pdf").read_bytes()
    )
    render.write_view_xlsx(view, network, tmp_path / "vue.xlsx", date)
    assert (tmp_path / "vue.xlsx").read_bytes() == (published / "reseau-2024.xlsx").read_bytes()


def _fill(path: Path) -> list[float]:
    """Per page, how far down the text block its content reaches (0: blank, 1: full).

    Pages are rendered to images with pypdfium2; the page margins, where running headers and page
    numbers print, are left out.
    """
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    fills = []
    for index in range(len(document)):
        page = document[index]
        image = page.render(scale=0.5, grayscale=True).to_pil().convert("L")
        width, height = image.size
        margin = round(height * 22 / 297)  # the 22 mm top and bottom margins
        body = image.crop((0, margin, width, height - margin))
        rows = [
            y for y in range(body.height) if body.crop((0, y, width, y + 1)).getextrema()[0] < 200
        ]
        fills.append((rows[-1] + 1) / body.height if rows else 0.0)
        page.close()
    document.close()
    return fills


def test_no_page_is_blank_or_mostly_empty(build) -> None:
    """Every page but the cover and the last is at least a third filled; none is blank."""
    _, out = build
    documents = [
        out / "2024" / "programme-2024.pdf",
        *(out / "2024" / "contributions").glob("*.pdf"),
    ]
    assert len(documents) == 3
    for path in documents:
        fills = _fill(path)
        assert all(fill > 0 for fill in fills), (path.name, fills)
        inner = fills[1:-1] if path.name.startswith("programme") else fills[:-1]
        thin = [(n, round(f, 2)) for n, f in enumerate(fills, 1) if f in inner and f < 1 / 3]
        assert thin == [], (path.name, thin)


def test_a_record_continued_on_the_next_page_says_suite(build) -> None:
    """A page that begins inside a group's record names that record in its running header."""
    from pypdf import PdfReader

    _, out = build
    reader = PdfReader(out / "2024" / "programme-2024.pdf")
    continued = 0
    for page in reader.pages:
        text = page.extract_text()
        header = next(
            (line for line in text.splitlines() if line.startswith("Programme annuel")), ""
        )
        if header.endswith("(suite)"):
            continued += 1
            name = re.search(r"« ?(.+?) ?» \(suite\)", header.replace("\u202f", " ")).group(1)
            assert f"« {name} »" not in text.replace("\u202f", " ").split(header)[-1][:200]
    assert continued >= 1, "the bundled edition has at least one record across two pages"


def test_every_figure_has_alt_text_and_a_data_table(build) -> None:
    import pikepdf

    _, out = build
    pdf = pikepdf.open(out / "2024" / "programme-2024.pdf")
    found: dict[str, list] = {"/Figure": [], "/Table": [], "/Caption": []}

    def walk(element: object) -> None:
        if isinstance(element, pikepdf.Array):
            for child in element:
                walk(child)
        elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
            if str(element.S) in found:
                found[str(element.S)].append(element)
            if "/K" in element:
                walk(element.K)

    walk(pdf.Root.StructTreeRoot.K)
    alts = [str(f.get("/Alt", "")) for f in found["/Figure"]]
    assert len(alts) == 3 and all(len(a) > 40 for a in alts), alts
    assert any("132 participations en tout" in a for a in alts)
    text = flat(pdf_text(out / "2024" / "programme-2024.pdf"))
    for number in (1, 2, 3):
        assert f"figure {number}" in text.lower() and f"Données de la figure {number}" in text
    # The three data tables come on top of the summary table and the group records' tables.
    assert len(found["/Table"]) >= 12 + 1 + 3


def test_the_group_list_and_the_first_record_share_a_page(build) -> None:
    """No forced break between the list of groups and the records: they share a page when they fit."""
    from pypdf import PdfReader

    _, out = build
    pages = [flat(p.extract_text()) for p in PdfReader(out / "2024" / "programme-2024.pdf").pages]
    listing = next(n for n, text in enumerate(pages) if "12 groupes de travail :" in text)
    assert "Groupe de travail « Contractualisation » Nombre de CRPV" in pages[listing].replace(
        "\u202f", " "
    )
