"""The Prefect flow `watch-sheets`: one pass of the watch (flows/watch_pass.py), each workbook's
write a task with its retries declared. `recueil sheets watch` runs it every few minutes; the
`veille` deployment of prefect.yaml runs it on a schedule."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from flows.google_tasks import writing_remarks
from flows.settings import OUTPUT_DIR, for_run
from flows.text import counted
from flows.watch_pass import PassReport, watch_pass
from sources.google.auth import connect
from sources.google.errors import CredentialsMissing


class NetworkUnreadable(Exception):
    """The network workbook could not be read: nothing else can be (the message says why, in French).
    The flow run fails, so that a deployment's alert tells the coordinator."""


@flow(name="watch-sheets", log_prints=False)
def watch_sheets(google: str | None = None, out: str | None = None) -> PassReport:
    """Read again the workbooks changed since the last pass, check them, and write their problems
    into them (notes on the cells, the `Contrôles` tab). `google` is the network workbook (by
    default RECUEIL_GOOGLE_NETWORK); `out` the output folder, where `<year>/veille.json` is kept."""
    settings = for_run()
    network = google or settings.google_network
    if not network:
        raise CredentialsMissing(
            "indiquez le classeur réseau : paramètre « google » ou variable RECUEIL_GOOGLE_NETWORK"
        )
    report = watch_pass(
        network,
        Path(out) if out else OUTPUT_DIR,
        connect(settings.google),
        connect(settings.google, write=True),
        writing_remarks(settings.google),
        check_cache=settings.check_cache,
    )
    if not report.network_read:
        raise NetworkUnreadable(describe(report)[0])
    logger = get_run_logger()
    for line in describe(report):
        logger.info(line)
    return report


def describe(report: PassReport) -> list[str]:
    """What a pass did, in French, a line each."""
    if not report.network_read:
        return [f"Classeur réseau illisible : {report.unreadable.get('Réseau', '')}"]
    if not report.changed:
        return ["Rien n'a changé depuis la passe précédente."]
    lines = [
        f"Relu{'s' if len(report.reread) > 1 else ''} : {', '.join(report.reread) or 'aucun classeur'} ; "
        f"{counted(report.errors, 'erreur')}, {counted(report.warnings, 'avertissement')} "
        "dans l'édition."
    ]
    if report.written:
        lines.append(f"Remarques écrites dans : {', '.join(report.written)}.")
    lines += [f"Non écrit — {name} : {why}" for name, why in report.refused.items()]
    lines += [f"Illisible — {name} : {why}" for name, why in report.unreadable.items()]
    return lines
