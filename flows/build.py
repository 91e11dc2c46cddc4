"""The Prefect flow that wires the stages: read and check each workbook, merge, render, publish."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.settings import OUTPUT_DIR, configure_prefect, default_source

configure_prefect()

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from flows import diff, fallback, load, manifest, progress, publish, render
from flows import report as checks
from flows.merge import NetworkView, merge
from flows.model import Contribution, Network, Outcome, Problem
from flows.validate import check_across
from sources.local import LocalSource
from sources.workbook import Source, SourceError

DEFAULT_YEAR = 2024


@dataclass
class BuildReport:
    """What a build read, found and wrote; what the command line and the benchmark print."""

    year: int | None
    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    files: list[tuple[str, int]] = field(default_factory=list)
    folder: str = ""
    draft: bool = False
    strict: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    out: str = ""
    reports: list[tuple[str, int]] = field(default_factory=list)
    unchanged: str = ""  # when nothing changed: the date of the edition still published
    drive: list[tuple[str, str, bool]] = field(default_factory=list)
    drive_error: str = ""
    data_docs: bool = False
    previous: str = ""  # the earlier edition the programme's annex compares with
    previous_error: str = ""

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        """0 when every workbook made it in, 1 when problems kept data out."""
        return 1 if self.errors else 0


def warm_up() -> threading.Thread:
    """Import the heavy checkers and renderers in the background while Prefect starts its API."""

    def work() -> None:
        load.checker()
        import weasyprint  # noqa: F401

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


@task(name="lire-classeur", cache_policy=NO_CACHE)
def read_workbook(
    source: Source, kind: load.Kind, name: str, sheet: str, reference: str | None = None
) -> load.Fetched:
    """Read one workbook from the source; a failure is a problem (the Google client retries itself)."""
    fetched = load.fetch(source, kind, name, sheet, reference)
    progress.advance(name)
    return fetched


def _check_key(context: object, parameters: dict[str, object]) -> str:
    return manifest.fingerprint(
        parameters["fetched"],
        parameters["network"],
        manifest.code_digest(),
        manifest.package_versions(),
    )


@task(
    name="controler-classeur",
    cache_key_fn=_check_key,
    persist_result=True,
    result_serializer="pickle",
)
def check_workbook(fetched: load.Fetched, network: Network | None) -> Outcome:
    """Parse one workbook and run its Great Expectations suites."""
    return load.check(fetched, network)


@task(name="fusionner", cache_policy=NO_CACHE)
def merge_view(
    network: Network, outcomes: dict[str, Outcome], contributions: list[Contribution]
) -> NetworkView:
    """The network view of the edition."""
    return merge(network, outcomes, contributions)


def _render_key(context: object, parameters: dict[str, object]) -> str:
    return str(parameters["key"])


@task(
    name="mettre-en-page",
    cache_key_fn=_render_key,
    persist_result=True,
    result_serializer="pickle",
)
def render_pdf(key: str, html: str) -> bytes:
    """One PDF; cached on the hash of its HTML and of the templates, so unchanged ones are reused."""
    return render.pdf_bytes(html)


def render_documents(
    network: Network,
    outcomes: dict[str, Outcome],
    contributions: list[tuple[Contribution, dt.date]],
    view: NetworkView,
    staging: Path,
    draft: bool,
    data_date: dt.date,
    changes: diff.EditionDiff | None = None,
) -> dict[str, dict[str, object]]:
    """Render the programme, each contribution and the network view into `staging`.

    Returns each document's title and number of pages, by path, for the manifest and the index.
    """
    year = network.programme.year
    documents = [
        (
            f"programme-{year}.pdf",
            network.programme.title,
            render.programme_html(network, outcomes, view, data_date, draft, changes),
        )
    ]
    names = render.document_names([contribution.subject for contribution, _ in contributions])
    for (contribution, contribution_date), slug in zip(contributions, names, strict=True):
        html = render.contribution_html(network, contribution, contribution_date, draft)
        documents.append((f"contributions/{slug}.pdf", contribution.subject, html))
    described: dict[str, dict[str, object]] = {}
    for name, title, html in documents:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        pdf = render_pdf(_document_key(html), html)
        target.write_bytes(pdf)
        described[name] = {"title": title, "pages": render.page_count(pdf)}
        progress.advance(title)
    render.write_view_xlsx(view, network, staging / f"reseau-{year}.xlsx", data_date)
    described[f"reseau-{year}.xlsx"] = {"title": "Vue du réseau (tableur)", "pages": None}
    progress.advance("Vue du réseau")
    return described


def _document_key(html: str) -> str:
    """What a PDF depends on: its HTML, the templates (CSS, fonts), the rendering code and versions."""
    return manifest.fingerprint(
        html, manifest.templates_digest(), manifest.rendering_digest(), manifest.package_versions()
    )


@flow(name="build-edition", log_prints=False)
def build_edition(
    year: int | None = None,
    source: str | None = None,
    out: str | None = None,
    strict: bool = False,
    data_docs: bool = False,
    google: str | None = None,
    feedback: bool = False,
    publish_drive: str | None = None,
    previous: str | None = None,
) -> BuildReport:
    """Build an edition's documents from its workbooks; a workbook with errors is left out.

    `source` is an edition folder (the bundled one of `year` by default); `google`, the ID or address
    of a network workbook in Google Sheets, pulls the edition from Google instead. `feedback` writes
    each Google workbook's problems into its `Contrôles` tab. `publish_drive`, a Drive folder ID,
    receives a copy of each newly published document, updated in place from one edition to the next.
    `previous`, an edition folder, is what the programme's « Évolutions » annex compares with; by
    default the bundled edition of the year before, when there is one.
    """
    out_dir = Path(out) if out else OUTPUT_DIR
    if google:
        from sources.google import GoogleSource

        edition: Source = GoogleSource(google)
    else:
        edition = LocalSource(Path(source) if source else default_source(year or DEFAULT_YEAR))
    report = BuildReport(
        year, edition.description, strict=strict, out=str(out_dir), data_docs=data_docs
    )
    checker = load.checker()
    checker.keep_results, checker.results = data_docs, []
    clock = _Clock()
    with publish.exclusive(out_dir):
        _build(report, edition, out_dir, clock, year, Path(previous) if previous else None)
        report.year = report.year or year or DEFAULT_YEAR
        if feedback and google:
            with clock("feedback"):
                _write_feedback(report)
        if publish_drive and report.files and not report.draft:
            with clock("drive"):
                _publish_to_drive(report, publish_drive)
        report.reports = _write_checks(report, out_dir, data_docs)
        publish.write_index(out_dir)
    report.timings = clock.done()
    return report


def _write_feedback(report: BuildReport) -> None:
    """Each Google workbook's problems into its `Contrôles` tab; a failure is reported, not raised."""
    import gspread

    from flows.sheets import write_feedback
    from sources.google import connect, spreadsheet_id

    client = connect(write=True)
    checked = dt.datetime.now(dt.UTC)
    for index, outcome in enumerate(report.outcomes):
        if outcome.kind == "network":
            continue
        try:
            write_feedback(client, spreadsheet_id(outcome.sheet), outcome.problems, checked)
        except (gspread.exceptions.APIError, SourceError) as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            why = (
                f"partagez-le en tant qu'éditeur avec {client.service_account_email}"
                if status == 403
                else f"erreur {status or error}"
            )
            problem = Problem(
                "warning",
                load.display_name(outcome.kind, outcome.name),
                f"l'onglet « Contrôles » n'a pas pu être écrit dans le classeur ({why})",
            )
            report.outcomes[index] = replace(outcome, problems=outcome.problems + (problem,))


def _publish_to_drive(report: BuildReport, folder: str) -> None:
    """Copy the published documents into a Drive folder, one file per stable name."""
    from sources.google import connect, upload_files

    archive = Path(report.folder)
    documents = [
        (str(Path(path).relative_to(archive)).replace("/", " - "), Path(path))
        for path, _ in report.files
        if path.endswith((".pdf", ".xlsx"))
    ]
    try:
        report.drive = upload_files(connect(write=True), folder, documents)
    except Exception as error:  # the edition is published on disk; Drive only mirrors it
        status = getattr(getattr(error, "response", None), "status_code", None)
        report.drive_error = f"dépôt dans Drive impossible ({status or type(error).__name__})"


def _build(
    report: BuildReport,
    source: Source,
    out_dir: Path,
    clock: _Clock,
    year: int | None,
    previous: Path | None = None,
) -> None:
    """Read, check, merge, render and publish into `report`; returns early when it must stop."""
    progress.stage("Lecture du classeur réseau", 1)
    with clock("read"):
        fetched_network = read_workbook(source, "network", "Réseau", load.NETWORK_SHEET)
    with clock("check"):
        network_outcome = check_workbook.with_options(refresh_cache=report.data_docs or None)(
            fetched_network, None
        )
    report.outcomes.append(network_outcome)
    network = network_outcome.record
    if not isinstance(network, Network):
        return
    if year is not None and network.programme.year != year:
        report.outcomes[0] = _year_mismatch(network_outcome, year)
        return
    report.year = network.programme.year
    source.keep_snapshots(out_dir / str(report.year) / "snapshots")

    registrations = [("group", r) for r in network.groups]
    registrations += [("contribution", r) for r in network.contributions]
    progress.stage("Lecture des classeurs", len(registrations))
    with clock("read"):
        fetched = read_workbook.map(
            source,
            [kind for kind, _ in registrations],
            [r.name for _, r in registrations],
            [r.sheet for _, r in registrations],
            [r.cell for _, r in registrations],
        ).result()
    progress.stage("Contrôle des classeurs", len(registrations))
    with clock("check"):
        # Cached outcomes skip the task body, so progress is told here, as each one arrives.
        checking = check_workbook.with_options(refresh_cache=report.data_docs or None)
        outcomes = []
        for future in checking.map(fetched, unmapped(network)):
            outcomes.append(future.result())
            progress.advance(outcomes[-1].name)
        groups = check_across(network, {o.sheet: o for o in outcomes if o.kind == "group"})
        contribution_outcomes = {o.sheet: o for o in outcomes if o.kind == "contribution"}
        kept = fallback.valid_folder(out_dir, network.programme.year)
        fallback.remember_valid(fetched, {**groups, **contribution_outcomes}, kept)
        groups = {sheet: fallback.fall_back(o, kept, network) for sheet, o in groups.items()}
        contribution_outcomes = {
            sheet: fallback.fall_back(o, kept, network)
            for sheet, o in contribution_outcomes.items()
        }
    report.outcomes += list(groups.values()) + list(contribution_outcomes.values())
    contributions = [
        o.record for o in contribution_outcomes.values() if isinstance(o.record, Contribution)
    ]
    report.draft = bool(report.errors)
    if report.strict and report.draft:
        return

    facts = diff.facts_of(network, groups, report.source)
    changes = _changes(report, source, network, facts, previous, out_dir)
    edition = out_dir / str(network.programme.year)
    # Each document is dated by the data it prints, so that unchanged data give an unchanged document.
    data_date = manifest.data_date([report.outcomes[0], *groups.values()])
    dated = [
        (o.record, manifest.data_date([report.outcomes[0], o]))
        for o in contribution_outcomes.values()
        if isinstance(o.record, Contribution)
    ]
    inputs = manifest.fingerprint(
        network,
        [(o.sheet, o.status, o.record, o.data_date) for o in report.outcomes[1:]],
        data_date,
        report.draft,
        changes,
        manifest.templates_digest(),
        manifest.rendering_digest(),
        manifest.package_versions(),
    )
    publish.recover(edition)  # what a build stopped mid-publication left, completed first
    published = publish.published_manifest(edition)
    if not report.draft and published and published.get("inputs") == inputs:
        report.unchanged = published.get("published", "")
        report.folder = str(edition)
        return

    with clock("merge"):
        view = merge_view(network, groups, contributions)
    progress.stage("Production des documents", 2 + len(contributions))
    with clock("render"):
        staging = publish.staging_folder(out_dir)
        documents = render_documents(
            network, groups, dated, view, staging, report.draft, data_date, changes
        )
    with clock("publish"):
        if report.draft:
            target = publish.publish_draft(staging, edition)
            placed = sorted(p for p in target.rglob("*") if p.is_file())
        else:
            checks.write_reports(_checks_data(report), staging)
            record = manifest.describe(report, [fetched_network, *fetched], inputs)
            record |= {
                "data_date": data_date.isoformat(),
                "documents": documents,
                "facts": diff.as_json(facts),  # what next year's « Évolutions » compares with
            }
            target = publish.publish(staging, edition, record)
            placed = sorted(p for p in target.rglob("*") if p.is_file())
            _publication_artifact(report, target)
    report.folder = str(target)
    report.files = [(str(p), p.stat().st_size) for p in placed if p.name not in publish.NOT_LINKED]


def _changes(
    report: BuildReport,
    source: Source,
    network: Network,
    facts: diff.EditionFacts,
    previous: Path | None,
    out_dir: Path,
) -> diff.EditionDiff | None:
    """What changed since the earlier edition: the one named, else the year before's."""
    current = source.folder if isinstance(source, LocalSource) else None
    folder = previous or diff.previous_folder(network.programme.year, current, out_dir)
    if folder is None:
        return None
    try:
        before = diff.read_facts(folder)
    except diff.EditionNotFound as error:
        report.previous_error = str(error)
        return None
    report.previous = f"{before.year} ({folder})"
    return diff.compare(before, facts)


def _checks_data(report: BuildReport) -> dict:
    data = checks.report_data(report.year, report.source, report.outcomes, dt.datetime.now(dt.UTC))
    return data | {"publication": _publication(report)}


def _publication(report: BuildReport) -> dict[str, str]:
    """What the build did with the edition, and where, for the top of the checks report."""
    edition = str(Path(report.out) / str(report.year))
    if report.unchanged:
        return {"state": "unchanged", "where": edition, "published": report.unchanged}
    if report.draft and report.files:
        return {"state": "draft", "where": report.folder}
    if report.draft or not report.outcomes or report.outcomes[0].record is None:
        return {"state": "nothing", "where": edition, "strict": str(report.strict and report.draft)}
    return {"state": "published", "where": edition}


def _publication_artifact(report: BuildReport, archive: Path) -> None:
    """Prefect artifacts of a publication: the groups and their status, and links to the documents."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_table_artifact(
        key=f"groupes-{report.year}",
        table=[
            {
                "classeur": o.name,
                "état": checks.STATUS_LABELS[o.status],
                "erreurs": len(o.errors),
                "avertissements": len(o.problems) - len(o.errors),
                "données du": o.data_date or "",
            }
            for o in report.outcomes
        ],
        description=f"État des classeurs de l'édition {report.year} publiée",
    )
    links = [
        f"- [{p.relative_to(archive)}]({p.resolve().as_uri()})"
        for p in sorted(archive.rglob("*"))
        if p.is_file()
    ]
    create_markdown_artifact(
        key=f"documents-{report.year}",
        markdown=f"# Édition {report.year} publiée\n\n" + "\n".join(links) + "\n",
        description=f"Documents publiés de l'édition {report.year}",
    )


def _write_checks(report: BuildReport, out_dir: Path, data_docs: bool) -> list[tuple[str, int]]:
    """The checks report of every build, beside the published edition, and its Prefect artifact."""
    from prefect.artifacts import create_markdown_artifact

    folder = out_dir / str(report.year)
    data = _checks_data(report)
    written = checks.write_reports(data, folder)
    if data_docs:
        written += checks.write_data_docs(load.checker().results, folder / "data-docs")
    create_markdown_artifact(
        key=f"controles-{report.year}",
        markdown=checks.markdown(data),
        description=f"État des classeurs de l'édition {report.year}",
    )
    return [(str(p), p.stat().st_size) for p in written]


class _Clock:
    """Wall time per stage, summed over the stage's visits, plus the flow's total."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.stages: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        begun = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - begun

    def done(self) -> dict[str, float]:
        return {**self.stages, "total": time.perf_counter() - self.started}


def _year_mismatch(outcome: Outcome, year: int) -> Outcome:
    network = outcome.record
    assert isinstance(network, Network)
    problem = Problem(
        "error",
        "Réseau",
        f"l'édition demandée est {year} mais le classeur réseau décrit l'année {network.programme.year}",
        "Programme",
        None,
        str(network.programme.year),
    )
    return replace(outcome, record=None, problems=outcome.problems + (problem,))
