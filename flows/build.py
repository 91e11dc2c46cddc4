"""The Prefect flow: the pipeline's stages wired as tasks — fetch, check, merge, render, publish.

Each task wraps a plain stage function of its verb module (flows/load.py, check.py, fallback.py,
merge.py, render.py, publish.py); Prefect appears here and nowhere below.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from flows import artifacts, checking, diff, fallback, layout, manifest, progress, publish, render
from flows import report as checks
from flows.check import EditionCheck, Remembered, check_edition, check_workbooks
from flows.load import Fetched, Wanted, fetch_wanted
from flows.merge import NetworkView, merge
from flows.model import (
    BuildFailed,
    BuildReport,
    Contribution,
    Network,
    Outcome,
    Status,
)
from flows.settings import OUTPUT_DIR, Settings, default_source, for_run
from flows.text import PARIS, agreed, counted
from flows.validate import Checks, ValidationLog, check_across
from sources.local import LocalSource
from sources.workbook import Source

if TYPE_CHECKING:
    from sources.google.auth import GoogleSettings

DEFAULT_YEAR = 2024


def _progress_to_run_logs() -> None:
    """recueil's progress (the `recueil` logger) in each run's logs, in Prefect's UI, however the run
    was started: `extra_loggers` in pyproject.toml does it where Prefect reads the project's settings,
    this where it did not (a worker's flow-run process started elsewhere)."""
    import logging

    from prefect.logging.handlers import APILogHandler

    logger = logging.getLogger(progress.log.name)
    if not any(isinstance(handler, APILogHandler) for handler in logger.handlers):
        logger.addHandler(APILogHandler())


_progress_to_run_logs()


@task(name="lire", task_run_name="lire · {wanted.sheet}", cache_policy=NO_CACHE)
def read_workbook(source: Source, wanted: Wanted) -> Fetched:
    """Read one workbook from the source; a failure is a problem (the Google client retries itself)."""
    return fetch_wanted(source, wanted)


@task(name="contrôler", task_run_name="contrôler · {label}", cache_policy=NO_CACHE)
def check_task(
    label: str,
    fetched: list[Fetched],
    network: Network | None,
    log: ValidationLog | None,
    checks: Checks | None,
    remembered: Path | None,
) -> list[Outcome]:
    """Parse workbooks and run their Great Expectations suites (by `checks`, else here), all of them
    at once; those checked before with the same content are answered from `remembered`."""
    return check_workbooks(fetched, network, log, checks, remembered)


@task(name="lire-les-fichiers", task_run_name="lire · {label}", cache_policy=NO_CACHE)
def read_files(label: str, source: Source, wanted: list[Wanted]) -> list[Fetched]:
    """Read workbooks from files, two at a time (a spreadsheet is read by a process of its own)."""
    with ThreadPoolExecutor(2) as pool:
        # Each file read in a copy of this task's context, so that its progress is logged to the run.
        futures = [
            pool.submit(contextvars.copy_context().run, fetch_wanted, source, item)
            for item in wanted
        ]
        return [future.result() for future in futures]


def _read_tasks(source: Source, wanted: list[Wanted]) -> Iterator[Fetched]:
    if not source.remote:  # a task run each would cost more than reading the file
        label = wanted[0].sheet if len(wanted) == 1 else counted(len(wanted), "classeur")
        yield from read_files(label, source, quote(wanted))
        return
    for future in read_workbook.map(unmapped(source), wanted):
        yield future.result()


def _check_tasks(remembered: Path | None, checks: Checks | None):
    def run(
        fetched: list[Fetched], network: Network | None, log: ValidationLog | None
    ) -> list[Outcome]:
        label = fetched[0].sheet if len(fetched) == 1 else counted(len(fetched), "classeur")
        return check_task(label, quote(fetched), network, log, quote(checks), remembered)

    return run


def _across(remembered: Path | None, checks: Checks | None):
    """The merged view's suite, remembered like each workbook's checks unless Data Docs are asked for
    (they need GX's results): a build whose checks are all remembered needs no Great Expectations."""
    if remembered is not None:
        return Remembered(remembered, checks).across
    return lambda network, outcomes, log: check_across(network, outcomes, log, checks)


@task(name="données-valides", task_run_name="données valides", cache_policy=NO_CACHE)
def settle_task(checked: EditionCheck, out: Path, checks: Checks | None) -> EditionCheck:
    """Keep each valid workbook as its last valid copy; print the others from theirs.

    Passed quoted: Prefect need not walk every record of the edition looking for futures.
    """
    return fallback.settle(checked, out, checks)


@task(name="fusionner", task_run_name="fusionner", cache_policy=NO_CACHE)
def merge_view(
    network: Network, outcomes: dict[str, Outcome], contributions: list[Contribution]
) -> NetworkView:
    """The network view of the edition."""
    return merge(network, outcomes, contributions)


def _render_key(context: object, parameters: dict[str, object]) -> str:
    return str(parameters["key"])


@task(
    name="mettre-en-page",
    task_run_name="mettre en page · {title}",
    cache_key_fn=_render_key,
    persist_result=True,
    result_serializer="pickle",
)
def render_pdf(key: str, title: str, html: str, workers: layout.Workers) -> bytes:
    """One PDF, laid out by a worker process; cached on the hash of its HTML and of the templates, so
    unchanged ones are reused."""
    return workers.lay_out(html)


def render_documents(
    documents: list[render.Document],
    view: NetworkView,
    network: Network,
    staging: Path,
    data_date: dt.date,
    workers: layout.Workers,
) -> dict[str, dict[str, object]]:
    """Lay out each document (a task each, all at once: one per worker) and the network view into
    `staging`; the spreadsheet is written while the PDFs are laid out.

    Returns each document's title and number of pages, by path, for the manifest and the index.
    """
    laying_out = [
        render_pdf.submit(_document_key(d.html), d.title, d.html, quote(workers)) for d in documents
    ]
    view_xlsx = render.place_view_xlsx(view, network, staging, data_date)
    described: dict[str, dict[str, object]] = {}
    for document, future in zip(documents, laying_out, strict=True):
        described[document.name] = render.place_pdf(staging, document, future.result())
        progress.advance(document.title)
    workers.close()  # their memory back before publishing
    described |= view_xlsx
    progress.advance("Vue du réseau")
    return described


def _document_key(html: str) -> str:
    """What a PDF depends on: its HTML, the templates (CSS, fonts), the rendering code and versions."""
    return manifest.fingerprint(
        html, manifest.templates_digest(), manifest.rendering_digest(), manifest.package_versions()
    )


@task(name="publier", task_run_name="publier · {edition.name}", cache_policy=NO_CACHE)
def publish_task(staging: Path, edition: Path, record: dict[str, object] | None) -> Path:
    """Publish the staged set (a draft when there is no manifest); where it went."""
    return publish.place(staging, edition, record)


def _run_name() -> str:
    """« édition-2024 · 2026-12-01 07:00 »: the edition asked for and when the run was due (Paris)."""
    from zoneinfo import ZoneInfo

    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    year = parameters.get("year")
    if year is None and not parameters.get("source") and not parameters.get("google"):
        year = DEFAULT_YEAR
    due = flow_run.scheduled_start_time.astimezone(ZoneInfo(PARIS))
    return f"édition{f'-{year}' if year else ''} · {due:%Y-%m-%d %H:%M}"


@flow(name="build-edition", flow_run_name=_run_name, log_prints=False)
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
    publication_url: str | None = None,
) -> State:
    """Build an edition's documents from its workbooks; a workbook with errors is left out.

    The run ends Completed when the edition is published or unchanged; Completed named « Brouillon »
    (or « Données antérieures » when a workbook is printed from its last valid copy) when only a draft
    was written; Failed when errors kept anything from being written (a broken network workbook, or
    `strict`). Each state's message is the build's summary, in French; its data the `BuildReport`
    (a `BuildFailed` carrying it for a failure, which a direct call raises).

    `source` is an edition folder (the bundled one of `year` by default); `google`, the ID or address
    of a network workbook in Google Sheets, pulls the edition from Google instead. `feedback` writes
    each Google workbook's problems into its `Contrôles` tab. `publish_drive`, a Drive folder ID,
    receives a copy of each newly published document, updated in place from one edition to the next.
    `previous`, an edition folder, is what the programme's « Évolutions » annex compares with; by
    default the bundled edition of the year before, when there is one. `publication_url`, the
    address where the output folder is served (by default RECUEIL_PUBLICATION_URL), makes the
    documents' links in the UI open.
    """
    settings = for_run()
    publication_url = publication_url or settings.publication_url
    out_dir = Path(out) if out else OUTPUT_DIR
    edition = _source(year, source, google, out_dir, settings)
    report = BuildReport(
        year, edition.description, strict=strict, out=str(out_dir), data_docs=data_docs
    )
    log = ValidationLog() if data_docs else None
    clock = progress.Clock()
    with publish.exclusive(out_dir), layout.Workers(settings.layout_processes) as workers:
        with checking.for_build(keep_results=data_docs) as checks:  # its memory back once done
            checked = check_edition(
                edition,
                year,
                out=out_dir,
                log=log,
                read=_read_tasks,
                # Data Docs need every validation run again: remembered outcomes would skip them.
                check=_check_tasks(None if data_docs else settings.check_cache, checks),
                across=_across(None if data_docs else settings.check_cache, checks),
                clock=clock,
            )
            if checked.record is not None:
                with clock("check"):
                    checked = settle_task(quote(checked), out_dir, quote(checks))
        report.outcomes = checked.outcomes
        report.year = checked.record.programme.year if checked.record else year or DEFAULT_YEAR
        report.draft = checked.record is not None and bool(report.errors)
        if checked.record is not None and not (strict and report.draft):
            _make_documents(report, checked, edition, out_dir, clock, previous, workers)
        if feedback and google:
            with clock("feedback"):
                _write_feedback(report, settings.google)
        if publish_drive and report.files and not report.draft:
            with clock("drive"):
                _publish_to_drive(report, publish_drive, settings.google)
        report.reports = _write_checks(report, out_dir, log, publication_url)
        publish.write_index(out_dir)
    report.timings = clock.done()
    return final_state(report)


def final_state(report: BuildReport) -> State:
    """The state the flow run ends in, named and worded for the Prefect UI and its alerts."""
    message = summary(report)
    if report.failed:
        return Failed(message=message, data=BuildFailed(report))
    if report.draft:
        fallback = any(o.status == Status.FALLBACK for o in report.outcomes)
        name = "Données antérieures" if fallback else "Brouillon"
        return Completed(name=name, message=message, data=report)
    return Completed(message=message, data=report)


def summary(report: BuildReport) -> str:
    """One French line: what the build did, and what it found."""
    counts = {status: sum(o.status == status for o in report.outcomes) for status in Status}
    ready, kept, rejected = (counts[s] for s in (Status.READY, Status.FALLBACK, Status.REJECTED))
    found = (
        f"{counted(len(report.outcomes), 'classeur')} : {ready} {agreed(ready, 'prêt')}, "
        f"{kept} avec {'ses' if kept < 2 else 'leurs'} données antérieures, "
        f"{rejected} {agreed(rejected, 'écarté')} ; {counted(len(report.errors), 'erreur')}, "
        f"{counted(len(report.warnings), 'avertissement')}"
    )
    if report.unchanged:
        done = f"Rien de nouveau : l'édition {report.year} publiée reste en place"
    elif report.failed and report.strict and report.outcomes[0].record is not None:
        done = f"Mode strict : erreurs, aucun document de l'édition {report.year} écrit"
    elif report.failed:
        done = "Aucun document écrit : le classeur réseau doit d'abord être corrigé"
    elif report.draft:
        done = f"Brouillon de l'édition {report.year} écrit, l'édition publiée n'est pas remplacée"
    else:
        done = f"Édition {report.year} publiée"
    return f"{done} — {found}."


def _source(
    year: int | None,
    source: str | None,
    google: str | None,
    out: Path,
    settings: Settings,
) -> Source:
    if google:
        from sources.google import GoogleSource

        return GoogleSource(google, out=out, settings=settings.google)
    return LocalSource(Path(source) if source else default_source(year or DEFAULT_YEAR))


def _make_documents(
    report: BuildReport,
    checked: EditionCheck,
    source: Source,
    out_dir: Path,
    clock: progress.Clock,
    previous: str | None,
    workers: layout.Workers,
) -> None:
    """Merge, render and publish (or write the draft), unless nothing changed since the last one."""
    network = checked.record
    assert network is not None
    facts = diff.facts_of(network, checked.groups, report.source)
    current = source.folder if isinstance(source, LocalSource) else None
    comparison = diff.compare_with_previous(
        facts, Path(previous) if previous else None, current, out_dir
    )
    report.previous, report.previous_error = comparison.previous, comparison.error
    # Each document is dated by the data it prints, so that unchanged data give an unchanged document.
    data_date = manifest.data_date([checked.network, *checked.groups.values()])
    dated = [
        (o.record, manifest.data_date([checked.network, o]))
        for o in checked.contributions.values()
        if isinstance(o.record, Contribution)
    ]
    inputs = manifest.edition_inputs(
        network, checked.outcomes[1:], data_date, report.draft, comparison.changes
    )
    edition = out_dir / str(network.programme.year)
    publish.recover(edition)  # what a build stopped mid-publication left, completed first
    published = publish.published_manifest(edition)
    if not report.draft and published and published.get("inputs") == inputs:
        report.unchanged = published.get("published", "")
        report.folder = str(edition)
        return

    with clock("merge"):
        view = merge_view(network, checked.groups, [c for c, _ in dated])
    progress.stage("Production des documents", 2 + len(dated))
    with clock("render"):
        staging = publish.staging_folder(out_dir)
        documents = render.documents(
            network, checked.groups, dated, view, data_date, report.draft, comparison.changes
        )
        described = render_documents(documents, view, network, staging, data_date, workers)
    with clock("publish"):
        record = None
        if not report.draft:
            checks.write_reports(_checks_data(report), staging)
            record = manifest.describe(
                report.year, report.source, report.outcomes, checked.fetched, inputs
            )
            record |= {
                "data_date": data_date.isoformat(),
                "documents": described,
                "facts": diff.as_json(facts),  # what next year's « Évolutions » compares with
            }
        target = publish_task(staging, edition, record)
    report.documents = described
    report.folder = str(target)
    report.files = publish.linked_files(target)


def _write_feedback(report: BuildReport, google_settings: GoogleSettings) -> None:
    """Each Google workbook's problems into its `Contrôles` tab; a failure is reported, not raised."""
    from flows.feedback import refusal_problem, write_feedback
    from flows.google_tasks import writing_controles
    from sources.google.auth import connect

    refused = write_feedback(
        connect(google_settings, write=True),
        report.outcomes,
        dt.datetime.now(dt.UTC),
        writing_controles(google_settings),
    )
    report.outcomes = [
        replace(o, problems=(*o.problems, refusal_problem(o, refused[o.sheet])))
        if o.sheet in refused and o.kind != "network"
        else o
        for o in report.outcomes
    ]


def _publish_to_drive(report: BuildReport, folder: str, google_settings: GoogleSettings) -> None:
    """Copy the published documents into a Drive folder, one file per stable name."""
    from flows.google_tasks import copying_to_drive
    from sources.google.auth import connect
    from sources.google.errors import drive_refused

    archive = Path(report.folder)
    documents = [
        (str(Path(path).relative_to(archive)).replace("/", " - "), Path(path))
        for path, _ in report.files
        if path.endswith((".pdf", ".xlsx"))
    ]
    client = None
    try:
        client = connect(google_settings, write=True)
        report.drive = copying_to_drive(google_settings)(client, folder, documents)
    except Exception as error:  # the edition is published on disk; Drive only mirrors it
        report.drive_error = drive_refused(error, getattr(client, "service_account_email", ""))


def _checks_data(report: BuildReport) -> dict:
    data = checks.report_data(report.year, report.source, report.outcomes, dt.datetime.now(dt.UTC))
    return data | {"publication": report.publication}


def _write_checks(
    report: BuildReport, out_dir: Path, log: ValidationLog | None, publication_url: str | None
) -> list[tuple[str, int]]:
    """The checks report of every build, beside the published edition, and its Prefect artifact."""
    from prefect.artifacts import create_markdown_artifact

    folder = out_dir / str(report.year)
    data = _checks_data(report)
    written = checks.write_reports(data, folder)
    if log is not None:
        written += checks.write_data_docs(log.results, folder / "data-docs")
    create_markdown_artifact(
        key=f"edition-{report.year}",
        markdown=artifacts.edition_markdown(report, publication_url),
        description=f"Ce qu'a fait la construction de l'édition {report.year}, et ses documents",
    )
    create_markdown_artifact(
        key=f"controles-{report.year}",
        markdown=artifacts.status_line(report) + "\n\n" + checks.markdown(data),
        description=f"État des classeurs de l'édition {report.year}",
    )
    return [(str(p), p.stat().st_size) for p in written]
