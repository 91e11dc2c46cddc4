"""Documents from records: Jinja2 templates (autoescaped) into PDF with WeasyPrint, and the .xlsx view."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from flows import figures, tagging, typography
from flows.model import STATUS_LABELS, Contribution, Group, LeadEntry, Network, Outcome
from flows.settings import TEMPLATES_DIR
from flows.text import french_date, french_datetime, markdown, slugify, sort_key

if TYPE_CHECKING:
    from flows.diff import EditionDiff
    from flows.merge import NetworkView

SLUG_CHARS = 80  # a document's file name stays far below file systems' 255 bytes


def document_names(subjects: list[str]) -> list[str]:
    """One file name per subject, never two alike: a slug of at most SLUG_CHARS characters; a slug
    that had to be cut, or that an earlier subject already gives, ends with a hash of its subject."""
    import hashlib

    names: list[str] = []
    for subject in subjects:
        slug = slugify(subject)
        if len(slug) > SLUG_CHARS or slug in names:
            digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            slug = f"{slug[:SLUG_CHARS].rstrip('-')}-{digest}"
        while slug in names:  # two equal subjects
            slug += "-bis"
        names.append(slug)
    return names


def safe_url(url: str) -> str | None:
    """The address itself when it may become a link, else None."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE) else None


def mail_link(address: str) -> str | None:
    """`mailto:` and the address when it is one, else None (then printed as text)."""
    address = (address or "").strip()
    return (
        f"mailto:{address}"
        if re.match(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$", address)
        else None
    )


def lead_lines(entries: tuple[LeadEntry, ...]) -> list[str]:
    """`Animation` entries as written, one printed line per line of the cell."""
    lines: dict[int, list[str]] = {}
    for entry in entries:
        lines.setdefault(entry.line, []).append(entry.text)
    return [", ".join(texts) for _, texts in sorted(lines.items())]


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        markdown=markdown,
        french_date=french_date,
        french_datetime=french_datetime,
        safe_url=safe_url,
        lead_lines=lead_lines,
        french_text=typography.french_text,
        file_size=file_size,
        mail_link=mail_link,
    )
    return env


def render_html(template: str, **context: Any) -> str:
    """HTML of a template with its context; every value from a sheet is escaped."""
    return _environment().get_template(template).render(**context)


def document_html(template: str, network: Network, **context: Any) -> str:
    """A printed document's HTML: French typography, and the network's centre names kept unhyphenated."""
    names = [n for c in network.centres for n in (c.name, c.sigle, *c.aliases)]
    page = typography.french(render_html(template, programme=network.programme, **context))
    return typography.keep_whole(page, names)


def load_weasyprint() -> None:
    """Import WeasyPrint, its system libraries opened by their Linux names at once, and keep pydyf's
    page references between reads (`_remember_page_references`).

    WeasyPrint tries several names for each library (Linux, macOS, Windows); cffi hands each name that
    is not a file name to `ctypes.util.find_library`, which runs ldconfig, then gcc: 0.3 s of the
    0.65 s import here, paid again by each layout worker of every build. Every list also holds the
    Linux soname (`libpango-1.0.so.0`), which the dynamic loader finds by itself (LD_LIBRARY_PATH
    included), so on Linux that search is skipped while WeasyPrint is imported.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
    else:
        import ctypes.util

        search = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            import weasyprint  # noqa: F401
        finally:
            ctypes.util.find_library = search
    _remember_page_references()


def _remember_page_references() -> None:
    """pydyf 0.13 rebuilds the tuple of every page's reference each time `PDF.page_references` is
    read, and WeasyPrint's tagger reads it for each structure element: pages × elements, 20 s of a
    392-page programme under the profiler (bench/PROFILE.md). The tuple is kept until a page is added;
    the bytes written are the same (tests/test_layout.py)."""
    import pydyf

    computed = pydyf.PDF.page_references
    if getattr(computed.fget, "remembered", False):
        return

    def page_references(pdf: Any) -> tuple[bytes, ...]:
        count = len(pdf.pages["Kids"])
        kept = pdf.__dict__.get("_recueil_page_references")
        if kept is None or kept[0] != count:
            kept = (count, computed.fget(pdf))
            pdf.__dict__["_recueil_page_references"] = kept
        return kept[1]

    page_references.remembered = True  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    templates = TEMPLATES_DIR.resolve()

    class TemplatesOnly(URLFetcher):
        """Lets WeasyPrint read the templates' own files and data: URLs, nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.removeprefix("file:").split("?")[0])).resolve()
                if path.is_relative_to(templates) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"ressource refusée : {url[:80]}")

    return TemplatesOnly(allowed_protocols=("file", "data"), timeout=1)


# SOURCE_DATE_EPOCH is set for the time of each PDF's layout (`_epoch_for_fonts`): whoever reads or
# sets it holds this lock, so that documents laid out in threads of one process (no layout workers)
# never read each other's date.
_EPOCH = threading.Lock()


def source_epoch(date: dt.date) -> int:
    """The timestamp embedded where a file format wants one: SOURCE_DATE_EPOCH, else the data's date."""
    with _EPOCH:
        given = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given.isdigit():
        return int(given)
    return int(dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC).timestamp())


@contextmanager
def _epoch_for_fonts(epoch: int) -> Iterator[None]:
    """fontTools stamps each subset font's `head.modified` with SOURCE_DATE_EPOCH, else with now."""
    with _EPOCH:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def pdf_bytes(html: str) -> bytes:
    """Render HTML to PDF (tagged, PDF/UA); only the templates' own files may be read.

    The same HTML gives the same bytes: dates come from the page's `dcterms.created`, the data's date.
    """
    load_weasyprint()
    from weasyprint import HTML

    created = re.search(r'<meta name="dcterms.created" content="([0-9-]+)"', html)
    date = dt.date.fromisoformat(created.group(1)) if created else dt.date(1970, 1, 1)
    document = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=_fetcher())
    with _epoch_for_fonts(source_epoch(date)):
        # Uncompressed: the tagging below opens it and saves it compressed (object streams too);
        # compressing it here as well cost a third of `write_pdf`.
        pdf = document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=True)
    return tagging.finish(pdf, html)


def programme_html(
    network: Network,
    outcomes: dict[str, Outcome],
    view: NetworkView,
    generated: dt.date,
    draft: bool = False,
    changes: EditionDiff | None = None,
) -> str:
    """The annual programme: title page, contents, sections, every working group's record, annexes."""
    records = []
    for registration in network.groups:
        outcome = outcomes.get(registration.sheet)
        group = outcome.record if outcome else None
        reason = None
        if group is None or (outcome and outcome.errors):
            reason = str(outcome.errors[0]) if outcome and outcome.errors else "classeur non lu"
        records.append(
            {
                "name": registration.name,
                "anchor": "gt-" + slugify(registration.name),
                "group": group if isinstance(group, Group) else None,
                "reason": reason,
                "error_count": len(outcome.errors) if outcome else 0,
                "data_date": outcome.data_date if outcome else None,
            }
        )
    return document_html(
        "programme.html",
        network,
        sections=network.sections,
        records=records,
        group_list=sorted(records, key=lambda r: sort_key(r["name"])),
        summary=view.groups.to_dict("records"),
        totals=view.totals,
        generated=generated,
        draft=draft,
        changes=changes,
        figures=figures.figures(view, network),
    )


def contribution_html(
    network: Network, contribution: Contribution, generated: dt.date, draft: bool = False
) -> str:
    """One annual contribution: subject, questions, introduction, observations by centre, lessons."""
    centres = {c.sigle: c for c in network.centres}
    by_centre: dict[str, list[Any]] = {}
    for observation in contribution.observations:
        by_centre.setdefault(observation.centre, []).append(observation)
    contributors = [centres.get(sigle) for sigle in by_centre]
    return document_html(
        "contribution.html",
        network,
        contribution=contribution,
        by_centre=[(centres.get(s), s, obs) for s, obs in by_centre.items()],
        contributors=sorted(
            (c for c in contributors if c), key=lambda c: sort_key(c.name or c.sigle)
        ),
        generated=generated,
        draft=draft,
    )


class Document(NamedTuple):
    """One PDF to lay out: its path in the edition, its title, its HTML."""

    name: str
    title: str
    html: str


def documents(
    network: Network,
    groups: dict[str, Outcome],
    contributions: list[tuple[Contribution, dt.date]],
    view: NetworkView,
    data_date: dt.date,
    draft: bool,
    changes: EditionDiff | None = None,
) -> list[Document]:
    """The edition's PDFs as HTML: the programme, then each contribution (with the date it prints).

    Each document is independent of the others: they may be laid out in any order, at once.
    """
    year = network.programme.year
    programme = programme_html(network, groups, view, data_date, draft, changes)
    made = [Document(f"programme-{year}.pdf", network.programme.title, programme)]
    names = document_names([contribution.subject for contribution, _ in contributions])
    for (contribution, printed), slug in zip(contributions, names, strict=True):
        html = contribution_html(network, contribution, printed, draft)
        made.append(Document(f"contributions/{slug}.pdf", contribution.subject, html))
    return made


def place_pdf(staging: Path, document: Document, pdf: bytes) -> dict[str, object]:
    """Write one laid-out document into the staging folder; its title and pages, for the manifest."""
    target = staging / document.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pdf)
    return {"title": document.title, "pages": page_count(pdf)}


def place_view_xlsx(
    view: NetworkView, network: Network, staging: Path, date: dt.date
) -> dict[str, dict[str, object]]:
    """The network view as a spreadsheet in the staging folder, described for the manifest."""
    name = f"reseau-{network.programme.year}.xlsx"
    write_view_xlsx(view, network, staging / name, date)
    return {name: {"title": "Vue du réseau (tableur)", "pages": None}}


def page_count(pdf: bytes) -> int:
    """Number of pages of a PDF (pikepdf reads the page tree only: pypdf took 8 % of a 200-group build)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def file_size(size: int) -> str:
    """`312 Ko`, `1,2 Mo`: a size the French way."""
    from babel.numbers import format_decimal

    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, '#,##0', locale='fr_FR')} Ko"
    return f"{format_decimal(size / 1024 / 1024, '#,##0.0', locale='fr_FR')} Mo"


def write_view_xlsx(view: NetworkView, network: Network, target: Path, date: dt.date) -> None:
    """The network view as a spreadsheet: groups, group × centre matrix, centres, totals.

    Laid out for people who filter and print: French statuses, real dates, sigles as matrix headers
    (their names in `CRPV`), filters, styled and repeated headers, landscape pages fit to width.
    Dated by the data (`date`, or SOURCE_DATE_EPOCH), so that the same view gives the same bytes.
    """
    import pandas as pd

    groups = view.groups.rename(columns=GROUP_COLUMNS)[list(GROUP_COLUMNS.values())]
    groups["Imprimé"] = groups["Imprimé"].map({True: "oui", False: "non"})
    groups["État"] = groups["État"].map(lambda status: STATUS_LABELS.get(status, status))
    groups["Données du"] = groups["Données du"].map(_as_date)
    matrix = view.matrix.copy()
    declared = view.groups.set_index("group")["crpv_count"]
    matrix["CRPV impliqués (déclarés)"] = [declared.get(name) for name in matrix.index]
    matrix["dont nommés ici"] = [int((row != "").sum()) for _, row in view.matrix.iterrows()]
    centres = pd.DataFrame(
        [
            (
                c.sigle,
                c.name,
                c.territory,
                int((view.matrix.get(c.sigle, pd.Series(dtype=str)) != "").sum()),
            )
            for c in network.centres
        ],
        columns=["Sigle", "Nom", "Territoire", "Groupes où il est nommé"],
    )
    totals = pd.DataFrame(
        [(TOTAL_LABELS[k], v) for k, v in view.totals.items()], columns=["Indicateur", "Valeur"]
    )
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        groups.to_excel(writer, sheet_name="Groupes", index=False)
        matrix.to_excel(writer, sheet_name="Groupes x CRPV", index_label="Groupe")
        centres.to_excel(writer, sheet_name="CRPV", index=False)
        totals.to_excel(writer, sheet_name="Totaux", index=False)
        for sheet in writer.sheets.values():
            _lay_out_sheet(sheet)
        matrix_sheet = writer.sheets["Groupes x CRPV"]
        last = matrix_sheet.max_row + 2
        matrix_sheet.cell(last, 1, MATRIX_NOTE)
        stamp = dt.datetime.fromtimestamp(source_epoch(date), tz=dt.UTC).replace(tzinfo=None)
        writer.book.properties.created = writer.book.properties.modified = stamp
        writer.book.properties.creator = network.programme.acronym or network.programme.network
    _fix_zip_times(target, stamp)


MATRIX_NOTE = (
    "Rôles : animation, co-pilotage ou membre, tels que l'onglet Membres et la ligne Animation de "
    "chaque groupe les nomment. Un groupe sans onglet Membres ne nomme que ses animateurs : "
    "« CRPV impliqués (déclarés) » donne alors le nombre que sa fiche annonce."
)


def _as_date(value: object) -> dt.date | None:
    """A data date (ISO text, a date or a time) as the calendar day a spreadsheet shows."""
    if value is None or value != value:  # None or NaN
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _lay_out_sheet(sheet: Any) -> None:
    """Bold tinted headers, filters, frozen first row and column, widths, print set-up."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", fgColor="DCE6F0")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.is_date:
                cell.number_format = "DD/MM/YYYY"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    for column in sheet.columns:
        values = [str(c.value) for c in column[1:] if c.value is not None]
        header = str(column[0].value or "")
        width = max([len(v) for v in values] + [min(len(header), 14)])
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_title_cols = "A:A"


def _fix_zip_times(path: Path, stamp: dt.datetime) -> None:
    """Rewrite an .xlsx with every entry, and its core `modified` property, dated `stamp`.

    openpyxl sets `modified` to the time of saving whatever the workbook says, and zip entries carry
    the time of writing.
    """
    when = max(stamp, dt.datetime(1980, 1, 1)).timetuple()[:6]
    with zipfile.ZipFile(path) as original:
        entries = [(info, original.read(info)) for info in original.infolist()]
    modified = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified, data)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            rewritten.writestr(entry, data)


GROUP_COLUMNS = {
    "order": "Ordre",
    "group": "Groupe",
    "sheet": "Feuille",
    "printed": "Imprimé",
    "status": "État",
    "data_date": "Données du",
    "errors": "Erreurs",
    "crpv_count": "CRPV impliqués",
    "meetings": "Réunions (tel qu'écrit)",
    "meetings_min": "Réunions min.",
    "meetings_max": "Réunions max.",
    "created_year": "Créé en",
    "leads": "Animation",
    "topics": "Sujets de travail",
}
TOTAL_LABELS = {
    "groups_registered": "Groupes de travail inscrits",
    "groups_printed": "Groupes imprimés",
    "centres": "Centres de ressources (liste CRPV)",
    "centres_leading": "Centres animant au moins un groupe",
    "participations": "Participations de CRPV aux groupes",
    "meetings": "Réunions prévues dans l'année",
    "contributions": "Contributions annuelles",
    "observations": "Pratiques observées",
}
