"""The `recueil` command: build an edition and say plainly what happened."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flows import alerts, french_argparse

if TYPE_CHECKING:
    from rich.console import Console

    from flows.model import BuildReport
    from flows.server import LocalServer
    from flows.settings import Settings

USAGE_ERROR = 2


def _whole_number(what: str, example: str):
    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"« {text} » n'est pas {what} (exemple : {example})"
            ) from None

    return parse


def _port(text: str) -> int:
    number = _whole_number("un numéro de port", "4200")(text)
    if not 1024 <= number <= 65535:
        raise argparse.ArgumentTypeError(
            f"« {text} » n'est pas un port possible : entre 1024 et 65535 (exemple : 4200)"
        )
    return number


# Below this, passes of the watch would spend the Sheets quota (60 a minute) for nothing.
_SHORTEST_INTERVAL = 30.0


def _interval(text: str) -> float:
    """`2m`, `90s`, `1h` or a number of seconds, as seconds."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(s|min|m|h)?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas une durée (exemples : 2m, 90s, 1h)")
    seconds = (
        float(match.group(1).replace(",", "."))
        * {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]
    )
    if seconds < _SHORTEST_INTERVAL:
        raise argparse.ArgumentTypeError(
            f"« {text} » est trop court : au moins {_SHORTEST_INTERVAL:.0f} s entre deux passes"
        )
    return seconds


def _version() -> str:
    from importlib.metadata import version

    return f"recueil {version('recueil')}"


def _parser() -> argparse.ArgumentParser:
    french_argparse.install()
    parser = french_argparse.FrenchParser(
        prog="recueil",
        description="Produit le programme annuel et les contributions du réseau à partir des classeurs des groupes.",
    )
    parser.add_argument(
        "--version", action="version", version=_version(), help="afficher la version et quitter"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE")
    build = commands.add_parser(
        "build",
        help="produire les documents d'une édition",
        description="Lit les classeurs d'une édition, les contrôle et produit les documents dans output/<année>/.",
    )
    build.add_argument(
        "--year",
        type=_whole_number("une année", "2024"),
        metavar="ANNÉE",
        help="année de l'édition (par défaut : celle du classeur réseau, 2024 pour l'édition fournie)",
    )
    build.add_argument(
        "--source",
        type=Path,
        metavar="DOSSIER",
        help="dossier de l'édition (par défaut : sources/editions/<année>/)",
    )
    build.add_argument(
        "--out", type=Path, metavar="DOSSIER", help="dossier de sortie (par défaut : output/)"
    )
    build.add_argument(
        "--strict", action="store_true", help="échouer sans rien écrire à la moindre erreur"
    )
    build.add_argument(
        "--data-docs",
        action="store_true",
        help="écrire aussi les pages « Data Docs » de Great Expectations (elles chargent des styles en ligne)",
    )
    build.add_argument(
        "--google",
        metavar="CLASSEUR_RESEAU",
        help="lire l'édition dans Google Sheets : identifiant ou adresse du classeur réseau",
    )
    build.add_argument(
        "--publish-drive",
        metavar="DOSSIER",
        help="déposer aussi les documents publiés dans ce dossier Drive (mis à jour sur place)",
    )
    build.add_argument(
        "--previous",
        type=Path,
        metavar="DOSSIER",
        help="édition précédente pour l'annexe « Évolutions » (par défaut : sources/editions/<année - 1>/)",
    )
    build.add_argument(
        "--publication-url",
        metavar="ADRESSE",
        help="adresse web où le dossier de sortie est servi, pour des liens qui s'ouvrent depuis "
        "l'interface de Prefect (par défaut : RECUEIL_PUBLICATION_URL)",
    )
    build.add_argument(
        "--feedback",
        action="store_true",
        help="avec --google : écrire les problèmes de chaque classeur dans son onglet « Contrôles »",
    )
    check = commands.add_parser(
        "check",
        help="contrôler un classeur ou une édition sans rien produire",
        description="Contrôle un classeur (dossier CSV, .xlsx, .ods) ou tout un dossier d'édition et affiche ses problèmes.",
    )
    check.add_argument(
        "path", type=Path, metavar="CHEMIN", help="un classeur ou un dossier d'édition"
    )
    check.add_argument(
        "--reseau",
        type=Path,
        metavar="CLASSEUR",
        help="classeur réseau dont la liste des centres sert au contrôle (par défaut : celui du même dossier)",
    )
    diff = commands.add_parser(
        "diff",
        help="dire ce qui a changé d'une édition à l'autre",
        description="Compare deux éditions (une année des éditions fournies ou un dossier d'édition) : "
        "groupes créés, arrêtés ou renommés, centres, réunions, animation et sujets de travail.",
    )
    diff.add_argument("before", metavar="A", help="l'édition la plus ancienne : année ou dossier")
    diff.add_argument("after", metavar="B", help="l'édition la plus récente : année ou dossier")
    diff.add_argument("--json", action="store_true", help="écrire le résultat en JSON")
    serve = commands.add_parser(
        "serve",
        help="exécuter la construction planifiée sur cette machine",
        description="Exécute le déploiement de prefect.yaml (planification comprise) sur cette machine, avec Prefect serve. "
        "Sans PREFECT_API_URL, il tourne sur le serveur Prefect local de recueil (démarré au besoin), "
        "qui ne s'arrête pas tant qu'il sert.",
    )
    serve.add_argument(
        "--deployment",
        default="hebdomadaire",
        metavar="NOM",
        help="nom du déploiement de prefect.yaml",
    )
    serve.add_argument(
        "--port",
        type=_port,
        metavar="PORT",
        help="port du serveur Prefect local s'il faut le démarrer (sinon 4201, ou un port libre)",
    )
    server = commands.add_parser(
        "server",
        help="le serveur Prefect local que recueil garde entre deux constructions",
        description="Sans PREFECT_API_URL, la première construction démarre un serveur Prefect sur 127.0.0.1 "
        "et les suivantes le réutilisent ; il s'arrête seul après RECUEIL_SERVER_IDLE_MINUTES minutes "
        "sans activité (30 par défaut), ou sur « recueil server stop ».",
    )
    server_actions = server.add_subparsers(dest="server_command", metavar="ACTION")
    server.set_defaults(print_help=server.print_help)
    server_actions.add_parser(
        "status",
        help="dire si le serveur local tourne, et son adresse",
        description="Dit si le serveur Prefect local tourne et où ouvrir son interface.",
    )
    server_actions.add_parser(
        "start",
        help="démarrer le serveur local (ou dire celui qui tourne)",
        description="Démarre le serveur Prefect local s'il ne tourne pas, et attend qu'il réponde.",
    )
    server_actions.add_parser(
        "stop",
        help="arrêter le serveur local",
        description="Arrête le serveur Prefect local ; la construction suivante en redémarrera un.",
    )
    sheets = commands.add_parser("sheets", help="travailler avec les classeurs Google Sheets")
    sheet_commands = sheets.add_subparsers(dest="sheets_command", metavar="ACTION")
    sheets.set_defaults(print_help=sheets.print_help)
    network_help = "identifiant ou adresse du classeur réseau (par défaut : RECUEIL_GOOGLE_NETWORK)"
    feedback = sheet_commands.add_parser(
        "feedback",
        help="écrire dans chaque classeur un onglet « Contrôles » avec ses problèmes",
        description="Lit et contrôle chaque classeur de l'édition dans Google Sheets, puis écrit ses problèmes dans son onglet « Contrôles ».",
    )
    feedback.add_argument("--google", metavar="CLASSEUR_RESEAU", help=network_help)
    init = sheet_commands.add_parser(
        "init",
        help="créer le classeur d'un nouveau groupe de travail",
        description="Crée dans Google Sheets un classeur de groupe conforme au modèle, le partage et affiche son identifiant.",
    )
    init.add_argument("name", metavar="NOM", help="nom du groupe de travail")
    init.add_argument(
        "--share",
        action="append",
        default=[],
        metavar="ADRESSE",
        help="adresse à qui donner le droit de modifier (répétable)",
    )
    init.add_argument(
        "--google",
        metavar="CLASSEUR_RESEAU",
        help=network_help + " ; sa liste des centres alimente les menus",
    )
    listing = sheet_commands.add_parser(
        "list",
        help="lister les classeurs d'un dossier Drive",
        description="Liste les classeurs Google Sheets d'un dossier Drive et signale ceux que le classeur réseau n'inscrit pas.",
    )
    listing.add_argument(
        "--folder", required=True, metavar="DOSSIER", help="identifiant du dossier Drive"
    )
    listing.add_argument("--google", metavar="CLASSEUR_RESEAU", help=network_help)
    watch = sheet_commands.add_parser(
        "watch",
        help="surveiller les classeurs et y écrire leurs problèmes dans les minutes qui suivent",
        description="Toutes les deux minutes (--every), relit les classeurs modifiés depuis la passe "
        "précédente, les contrôle et écrit leurs problèmes : une note sur chaque cellule en cause et "
        "l'onglet « Contrôles ». Ctrl+C pour arrêter.",
    )
    watch.add_argument("--google", metavar="CLASSEUR_RESEAU", help=network_help)
    watch.add_argument(
        "--every",
        type=_interval,
        default=120.0,
        metavar="DURÉE",
        help="intervalle entre deux passes : 2m (par défaut), 90s, 1h",
    )
    watch.add_argument("--once", action="store_true", help="une seule passe, puis s'arrêter")
    watch.add_argument(
        "--out", type=Path, metavar="DOSSIER", help="dossier de sortie (par défaut : output/)"
    )
    alerts.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `recueil` console command."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return 0
    if (arguments.command == "sheets" and arguments.sheets_command is None) or (
        arguments.command == "server" and arguments.server_command is None
    ):
        arguments.print_help()
        return 0
    from flows.settings import SettingsError, apply_prefect, resolve

    try:
        settings = resolve()  # once, for the whole command: what follows is given it
    except SettingsError as error:
        _console().print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    apply_prefect(settings)  # before anything imports Prefect
    if arguments.command == "server":
        return _server(arguments.server_command, settings)
    if arguments.command == "build":
        return _build(arguments, settings)
    if arguments.command == "check":
        return _check(arguments, settings)
    if arguments.command == "sheets":
        return _sheets(arguments, settings)
    if arguments.command == "diff":
        return _diff(arguments)
    if arguments.command == "alerts":
        return alerts.main(arguments, settings)
    if arguments.command == "serve":
        return _serve(arguments, settings)
    return USAGE_ERROR


def _serve(arguments: argparse.Namespace, settings: Settings) -> int:
    """`recueil serve` until Ctrl-C or SIGTERM; then one line, and the shell's exit status.

    Once Prefect's runner has started, it handles SIGTERM itself: it cancels the runs in progress
    and stops. Ctrl-C is handed to that same handler; before the runner started, either signal is a
    KeyboardInterrupt. serve returns only when it was stopped.
    """
    import signal

    from flows.serve import ServeError, serve

    console = _console()
    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if received:
            return
        received.append(signum)
        runner_stop = signal.getsignal(signal.SIGTERM)
        if runner_stop is not stop and callable(runner_stop):
            runner_stop(signum, frame)
            return
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    previous = (
        {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    )
    try:
        serve(settings, arguments.deployment, arguments.port)
    except ServeError as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    except (KeyboardInterrupt, SystemExit):
        pass  # SystemExit: Prefect's SIGTERM before its runner started
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)
    console.print(SERVE_STOPPED)
    return 128 + (received[0] if received else signal.SIGTERM)


SERVE_STOPPED = (
    "recueil serve arrêté : plus aucune construction planifiée ne part de cette machine."
)


def _network_reference(arguments: argparse.Namespace, settings: Settings) -> str | None:
    return arguments.google or settings.google_network


def _sheets(arguments: argparse.Namespace, settings: Settings) -> int:
    from sources.google.errors import CredentialsMissing

    console = _console()
    try:
        if arguments.sheets_command == "feedback":
            return _sheets_feedback(console, arguments, settings)
        if arguments.sheets_command == "init":
            return _sheets_init(console, arguments, settings)
        if arguments.sheets_command == "watch":
            return _sheets_watch(console, arguments, settings)
        return _sheets_list(console, arguments, settings)
    except CredentialsMissing as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR


def _sheets_feedback(console: Console, arguments: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from flows.check import check_source
    from flows.feedback import write_feedback
    from sources.google.auth import connect
    from sources.google.read import GoogleSource

    network = _network_reference(arguments, settings)
    if network is None:
        console.print(
            "[red]Indiquez le classeur réseau : --google ID ou RECUEIL_GOOGLE_NETWORK.[/]"
        )
        return USAGE_ERROR
    with console.status("Lecture et contrôle des classeurs dans Google Sheets…"):
        source = GoogleSource(network, connect(settings.google))
        outcomes = check_source(source, settings.check_cache)
    _problems_table(console, outcomes)
    with console.status("Écriture des onglets « Contrôles »…"):
        refused = write_feedback(
            connect(settings.google, write=True), outcomes, dt.datetime.now(dt.UTC)
        )
    for outcome in outcomes[1:]:
        if outcome.sheet in refused:
            console.print(
                f"  [red]✗[/] {_escape(outcome.name)} : {_escape(refused[outcome.sheet])}"
            )
        else:
            console.print(f"  [green]✓[/] {_escape(outcome.name)}")
    return 1 if refused or any(o.errors for o in outcomes) else 0


def _sheets_watch(console: Console, arguments: argparse.Namespace, settings: Settings) -> int:
    """Passes of the watch until interrupted (or one, with --once): 0 when it could run, 2 when
    the network workbook or the key is missing, or the network workbook cannot be read."""
    import time

    from sources.google.auth import credentials_file

    network = _network_reference(arguments, settings)
    if network is None:
        console.print(
            "[red]Indiquez le classeur réseau : --google ID ou RECUEIL_GOOGLE_NETWORK.[/]"
        )
        return USAGE_ERROR
    credentials_file(settings.credentials)  # a missing key stops here, before Prefect starts
    if not _prefect_reachable(console, settings.api_url):
        return USAGE_ERROR
    from flows.server import ServerError

    try:
        _attach_local_server(settings)  # kept in use while the watch runs
    except ServerError as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    _quiet_prefect_failures()
    from flows.watch import NetworkUnreadable, describe, watch_sheets

    out = str(arguments.out) if arguments.out else None
    if not arguments.once:
        from flows.text import counted

        console.print(
            f"Veille des classeurs toutes les {counted(round(arguments.every), 'seconde')} ; "
            "Ctrl+C pour arrêter."
        )
    try:
        while True:
            started = time.monotonic()
            try:
                report = watch_sheets(google=network, out=out)
            except NetworkUnreadable as error:  # not shared, or not there: the coordinator's to fix
                console.print(f"[red]{_escape(str(error))}[/]")
                if arguments.once:
                    return USAGE_ERROR
            except Exception as error:  # Google or Prefect down: the next pass tries again
                console.print(
                    f"[red]Passe interrompue ({_escape(type(error).__name__)}) :[/] "
                    f"{_escape(str(error)[:200])} ; nouvel essai à la passe suivante."
                )
                if arguments.once:
                    return 1
            else:
                for line in describe(report):
                    console.print(f"[dim]{report.checked[11:16]}[/] {_escape(line)}")
                if arguments.once:
                    return 0
            time.sleep(max(0.0, arguments.every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        console.print("Veille arrêtée.")
        return 0


def _sheets_init(console: Console, arguments: argparse.Namespace, settings: Settings) -> int:
    from flows.check import check_workbook
    from flows.load import fetch_network
    from flows.model import Network
    from flows.settings import default_source
    from flows.sheets import create_group_workbook
    from sources.google.auth import connect
    from sources.google.read import GoogleSource
    from sources.local import LocalSource

    network_ref = _network_reference(arguments, settings)
    # The centres of the drop-down lists: the network's, else the bundled edition's.
    source = (
        GoogleSource(network_ref, connect(settings.google))
        if network_ref
        else LocalSource(default_source(2024))
    )
    outcome = check_workbook(fetch_network(source))
    if not isinstance(outcome.record, Network):
        console.print(
            "[red]Le classeur réseau a des erreurs : corrigez-le d'abord (recueil check).[/]"
        )
        return 1
    key = create_group_workbook(
        connect(settings.google, write=True),
        arguments.name,
        outcome.record.centres,
        arguments.share,
    )
    console.print(f"Classeur créé : « GT {_escape(arguments.name)} »")
    console.print(f"  identifiant : {key}")
    console.print(f"  adresse     : https://docs.google.com/spreadsheets/d/{key}/edit")
    for address in arguments.share:
        console.print(f"  partagé avec {_escape(address)} (modification)")
    console.print(
        f"Ajoutez la ligne « {_escape(arguments.name)} » / {key} à l'onglet « Groupes » du classeur réseau."
    )
    return 0


def _sheets_list(console: Console, arguments: argparse.Namespace, settings: Settings) -> int:
    from rich.table import Table

    from sources.google.auth import connect
    from sources.google.drive import list_folder
    from sources.google.ids import spreadsheet_id
    from sources.google.read import GoogleSource

    client = connect(settings.google)
    files = list_folder(client, arguments.folder)
    registered: set[str] | None = None
    network_ref = _network_reference(arguments, settings)
    if network_ref:
        from flows.parse import parse_network

        network = parse_network(GoogleSource(network_ref, client).read_network()).record
        if network is not None:
            registered = set()
            for registration in (*network.groups, *network.contributions):
                try:
                    registered.add(spreadsheet_id(registration.sheet))
                except Exception:
                    continue
            registered.add(spreadsheet_id(network_ref))
    table = Table(title=f"Classeurs du dossier {arguments.folder}", title_justify="left")
    for column in ("Nom", "Identifiant", "Modifié le", "Inscrit"):
        table.add_column(column)
    from flows.render import french_date

    for file in sorted(files, key=lambda f: f.get("name", "")):
        mark = (
            ""
            if registered is None
            else ("oui" if file["id"] in registered else "[yellow]non inscrit[/]")
        )
        table.add_row(
            _escape(file.get("name", "")),
            file["id"],
            french_date(file.get("modifiedTime", "")),
            mark,
        )
    console.print(table)
    if registered is None:
        console.print(
            "[dim]Indiquez le classeur réseau (--google) pour repérer les classeurs non inscrits.[/]"
        )
    return 0


def _diff(arguments: argparse.Namespace) -> int:
    import json

    from flows.diff import EditionNotFound, compare, group_lines, read_facts, resolve

    console = _console()
    try:
        before, after = (read_facts(resolve(ref)) for ref in (arguments.before, arguments.after))
    except EditionNotFound as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    changes = compare(before, after)
    if arguments.json:
        sys.stdout.write(json.dumps(changes.as_json(), ensure_ascii=False, indent=2) + "\n")
        return 0
    console.print(f"[bold]Évolutions de {changes.previous_year} à {changes.year}[/]")
    console.print(f"[dim]{_escape(before.source)} → {_escape(after.source)}[/]")
    for line in changes.overview():
        console.print(f"  {_escape(line)}")
    for group in changes.changed:
        title = group.name if not group.renamed else f"{group.name} (ex-« {group.previous_name} »)"
        console.print(f"\n[bold]{_escape(title)}[/]")
        for line in group_lines(group, changes.previous_year):
            console.print(f"  {_escape(line)}")
        for topic in group.topics_added:
            console.print(f"  [green]+[/] {_escape(topic)}")
        for topic in group.topics_dropped:
            console.print(f"  [red]−[/] {_escape(topic)}")
    if changes.unchanged:
        console.print(f"\n[dim]Sans changement : {_escape(', '.join(changes.unchanged))}.[/]")
    return 0


def _check(arguments: argparse.Namespace, settings: Settings) -> int:
    from flows import checking

    # Great Expectations loads on the other core while this process reads and parses; stopped at
    # once when every check is remembered.
    checking.start_early()
    console = _console()
    with (
        console.status("Contrôle des classeurs…"),
        checking.for_build(keep_results=False) as checks,
    ):
        from flows.check import UsageError, check_path

        try:
            outcomes = check_path(arguments.path, arguments.reseau, settings.check_cache, checks)
        except UsageError as error:
            console.print(f"[red]{_escape(str(error))}[/]")
            return USAGE_ERROR
    _problems_table(console, outcomes)
    return 1 if any(o.errors for o in outcomes) else 0


def _problems_table(console: Console, outcomes: list) -> None:
    from rich.table import Table

    from flows.model import STATUS_LABELS, Status

    status_style = {Status.READY: "green", Status.FALLBACK: "yellow", Status.REJECTED: "red"}
    overview = Table(title="Classeurs", title_justify="left", show_lines=False)
    for column in ("Classeur", "État", "Erreurs", "Avertissements"):
        overview.add_column(
            column, justify="right" if column in ("Erreurs", "Avertissements") else "left"
        )
    for outcome in outcomes:
        label = STATUS_LABELS[outcome.status]
        overview.add_row(
            _escape(outcome.name),
            f"[{status_style[outcome.status]}]{label}[/]",
            str(len(outcome.errors)),
            str(len(outcome.problems) - len(outcome.errors)),
        )
    console.print(overview)
    for outcome in outcomes:
        if not outcome.problems:
            continue
        table = Table(
            title=_escape(outcome.problems[0].workbook), title_justify="left", expand=True
        )
        table.add_column("Gravité", no_wrap=True)
        table.add_column("Où", no_wrap=True)
        table.add_column("Valeur trouvée", overflow="fold", ratio=1)
        table.add_column("Ce qui est attendu", ratio=2, min_width=30)
        for problem in outcome.problems:
            severity = (
                "[red]erreur[/]" if problem.severity == "error" else "[yellow]avertissement[/]"
            )
            found = "" if problem.found is None else f"« {_short(problem.found)} »"
            table.add_row(
                severity, _escape(problem.where), _escape(found), _escape(problem.message)
            )
        console.print(table)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _console() -> Console:
    from rich.console import Console

    # Values from workbooks are printed as written: no `:x:` emoji codes, markup escaped where printed.
    return Console(highlight=False, soft_wrap=True, emoji=False)


def _build(arguments: argparse.Namespace, settings: Settings) -> int:
    """`recueil build`; Ctrl-C or SIGTERM stop it with one line and the shell's exit status."""
    from flows import interrupts

    console = _console()
    said: list[int] = []

    def last_words(code: int) -> None:
        # Said once, whether the build unwound or had to be ended (interrupts.GRACE_SECONDS).
        if _exiting.lost_api:
            _say_server_lost(console)
        elif not said:
            said.append(code)
            console.print(f"[yellow]{INTERRUPTED}[/]")

    try:
        with interrupts.interruptible(last_words):
            return _build_edition(console, arguments, settings)
    except BaseException as error:
        code = interrupts.exit_code(error)
        if code is None:
            raise
        code = USAGE_ERROR if _exiting.lost_api else code
        last_words(code)
        return code


def _build_edition(console: Console, arguments: argparse.Namespace, settings: Settings) -> int:
    from flows.settings import OUTPUT_DIR, default_source

    source = arguments.source or default_source(arguments.year or 2024)
    if arguments.google or arguments.publish_drive:
        from sources.google.auth import credentials_file
        from sources.google.errors import CredentialsMissing

        try:
            credentials_file(settings.credentials)
        except CredentialsMissing as error:
            console.print(f"[red]{_escape(str(error))}[/]")
            return USAGE_ERROR
    elif arguments.feedback:
        console.print("[red]--feedback écrit dans Google Sheets : il s'emploie avec --google.[/]")
        return USAGE_ERROR
    elif not source.is_dir():
        console.print(f"[red]Dossier d'édition introuvable :[/] {source}")
        return USAGE_ERROR
    if arguments.previous and not arguments.previous.is_dir():
        console.print(f"[red]Édition précédente introuvable :[/] {arguments.previous}")
        return USAGE_ERROR
    out = arguments.out or OUTPUT_DIR
    for folder, what in ((out, "le dossier de sortie"), (settings.prefect_home, "PREFECT_HOME")):
        fault = _unwritable(folder, what)
        if fault:
            console.print(f"[red]{_escape(fault)}[/]")
            return USAGE_ERROR
    fingerprint = None
    if not (arguments.google or arguments.publish_drive or arguments.data_docs):
        from flows import preflight

        options = {"year": arguments.year, "strict": arguments.strict}
        fingerprint = preflight.inputs(source, arguments.previous, options)
        edition = preflight.unchanged(fingerprint, out)
        if edition is not None:
            _nothing_new(console, edition)
            return 0
    if not _prefect_reachable(console, settings.api_url):
        return USAGE_ERROR
    from flows import server
    from flows.server import ServerError

    try:
        report, api = _run_build(console, arguments, source, settings)
    except ServerError as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    except OSError as error:  # the output or the environment, not a workbook
        console.print(f"[red]{_escape(_output_fault(error, out))}[/]")
        return USAGE_ERROR
    except Exception as error:  # a defect of ours, or Prefect failing: one line, details in a file
        details = _keep_traceback()
        # An exported server that went away (the local one is watched: _watch_server).
        api = settings.api_url or ""
        if api and not server.healthy(api, timeout=1):
            _exiting.lost_api = True  # nothing can reach it now: Prefect's last logs are dropped
            console.print(
                f"[red]Le serveur Prefect ({_escape(api)}) ne répond plus : la construction s'est "
                f"arrêtée ;[/] l'édition publiée reste entière ; détails dans {_escape(str(details))}."
            )
        else:
            console.print(
                f"[red]La construction s'est arrêtée ({_escape(type(error).__name__)}) :[/] "
                f"l'édition publiée reste entière ; détails dans {_escape(str(details))}."
            )
        return USAGE_ERROR
    if fingerprint and (report.unchanged or (report.files and not report.draft)):
        preflight.remember(fingerprint, out, out / str(report.year))
    _summary(console, report)
    if api.endswith("/api"):
        console.print(f"[dim]Historique et journal dans l'interface de Prefect : {api[:-4]}[/]")
    return report.exit_code


def _nothing_new(console: Console, edition: Path) -> None:
    """Said when the inputs are those of the published edition: nothing was started or read."""
    import datetime as dt
    import json

    from flows.text import french_datetime

    manifest = json.loads((edition / "publie" / "manifest.json").read_text(encoding="utf-8"))
    published = dt.datetime.fromisoformat(manifest["published"])
    console.print(
        f"[green]Rien de nouveau :[/] ni les classeurs ni les modèles n'ont changé depuis l'édition "
        f"publiée le {french_datetime(published)} ; elle reste en place dans {edition}/."
    )


# The longest name an archived document may add below the output folder (archive/<stamp>/contributions/…).
_LONGEST_INSIDE = 200


def _unwritable(folder: Path, what: str) -> str | None:
    """Why recueil could not write into `folder`, said in one French line; None when it can."""
    import tempfile

    what = what[0].upper() + what[1:]
    if len(os.fsencode(folder.absolute())) + _LONGEST_INSIDE > os.pathconf("/", "PC_PATH_MAX"):
        return f"{what} a un chemin trop long ({len(str(folder.absolute()))} caractères) : {folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".recueil-essai-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        return f"{what} {folder} n'est pas utilisable : {_reason(error)}"
    return None


def _reason(error: OSError) -> str:
    import errno

    reasons = {
        errno.EROFS: "système de fichiers en lecture seule",
        errno.EACCES: "écriture interdite",
        errno.EPERM: "écriture interdite",
        errno.ENOSPC: "disque plein",
        errno.EDQUOT: "quota de disque atteint",
        errno.ENAMETOOLONG: "chemin trop long",
        errno.ENOTDIR: "un fichier est à la place d'un dossier",
        errno.EEXIST: "un fichier est à la place d'un dossier",
        errno.ENOENT: "dossier impossible à créer",
    }
    return reasons.get(error.errno or 0, error.strerror or type(error).__name__)


def _output_fault(error: OSError, out: Path) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return (
        f"Écriture impossible dans {out} : {_reason(error)}{where}. "
        "L'édition publiée reste entière ; la construction suivante reprendra."
    )


def _keep_traceback() -> Path:
    import tempfile
    import traceback

    handle, path = tempfile.mkstemp(prefix="recueil-erreur-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        traceback.print_exc(file=file)
    return Path(path)


class _PrefectFailures(logging.Filter):
    """Prefect prints a failed run's traceback on the terminal, and its events client each failed
    reconnection (with the event it could not send) when the server went away; the command says it
    in one French line instead (the Prefect UI still has the run's logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("prefect.events"):
            return record.levelno < logging.WARNING
        return not (record.name.startswith("prefect") and record.levelno >= logging.ERROR)


def _quiet_prefect_failures() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _PrefectFailures) for f in handler.filters):
            handler.addFilter(_PrefectFailures())


def _run_build(
    console: Console, arguments: argparse.Namespace, source: Path, settings: Settings
) -> tuple[BuildReport, str]:
    """The build's report, and the Prefect API it ran on."""
    from flows import interrupts, server

    home = settings.prefect_home
    api = settings.api_url or ""
    use = None
    try:
        with _Progress(console) as listener:
            local = None
            if not api:
                listener.stage("Serveur Prefect local : recherche")
                local, use, _ = server.start(home, idle_minutes=settings.server_idle_minutes)
                api = local.api_url
                server.use_api(api)
            with interrupts.scratch_folder(home / "recueil-tmp"):
                if not arguments.data_docs:
                    from flows import checking

                    checking.start_early()  # Great Expectations loads while Prefect does
                listener.stage("Chargement de Prefect")
                from flows import progress
                from flows.build import build_edition
                from flows.model import BuildFailed

                _quiet_prefect_failures()
                if local is not None and not local.healthy():
                    listener.stage(f"Serveur Prefect local : démarrage ({local.address})")
                    local.wait_ready()
                progress.listen(listener)
                watching = _watch_server(local, console) if local is not None else None
                try:
                    report = build_edition(
                        year=arguments.year,
                        source=None if arguments.google else str(source),
                        out=str(arguments.out) if arguments.out else None,
                        strict=arguments.strict,
                        data_docs=arguments.data_docs,
                        google=arguments.google,
                        feedback=arguments.feedback,
                        publish_drive=arguments.publish_drive,
                        previous=str(arguments.previous) if arguments.previous else None,
                        publication_url=arguments.publication_url or settings.publication_url,
                    )
                except (
                    BuildFailed
                ) as failed:  # the run ends Failed in Prefect; the summary says why
                    report = failed.report
                finally:
                    if watching is not None:
                        watching.set()
                    progress.listen(None)
    finally:
        if use is not None:
            use.release()
    return report, api


INTERRUPTED = "Construction interrompue : l'édition publiée est intacte"
SERVER_LOST = (
    "Le serveur Prefect local s'est arrêté pendant la construction : elle est interrompue, "
    "l'édition publiée est intacte ; relancez « recueil build »"
)


LOST_SERVER_GRACE_SECONDS = 3.0


def _watch_server(local: LocalServer, console: Console) -> threading.Event:
    """Stop the build at once, as Ctrl-C would, if the local server it runs on goes away.

    Prefect's client would otherwise retry every call for minutes before giving up, and print each
    attempt. The build unwinds (its lock and staging folder released) or is ended after
    LOST_SERVER_GRACE_SECONDS: what a killed build leaves, the next one clears. Set the event
    returned to stop watching.
    """
    import signal

    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            if local.running():
                continue
            _exiting.lost_api = True
            # Only Prefect's complaints about the missing server would still come on stderr.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            os.kill(os.getpid(), signal.SIGINT)
            if not done.wait(LOST_SERVER_GRACE_SECONDS):
                _say_server_lost(console)
                sys.stdout.flush()
                os._exit(USAGE_ERROR)
            return

    threading.Thread(target=watch, name="surveillance-serveur", daemon=True).start()
    return done


def _attach_local_server(settings: Settings) -> None:
    """Without PREFECT_API_URL, this process's flows use recueil's local server (found or started);
    it does not stop for idleness before this process ends."""
    if settings.api_url:
        return
    from flows import server

    local, use, _ = server.start(settings.prefect_home, idle_minutes=settings.server_idle_minutes)
    _held.append(use)
    server.use_api(local.api_url)
    local.wait_ready()


_held: list[object] = []  # uses of the local server held until the process ends


def _server(action: str, settings: Settings) -> int:
    from flows import server

    console = _console()
    home = settings.prefect_home
    exported = settings.api_url
    if exported:
        console.print(
            f"[dim]PREFECT_API_URL est exportée ({_escape(exported)}) : les constructions utilisent ce "
            "serveur-là, pas le serveur local.[/]"
        )
    try:
        if action == "stop":
            stopped = server.stop(home)
            console.print(
                f"Serveur Prefect local arrêté ({stopped.address})."
                if stopped
                else "Aucun serveur Prefect local ne tourne."
            )
            return 0
        if action == "start":
            local, use, started = server.start(home, idle_minutes=settings.server_idle_minutes)
            with console.status(f"Démarrage du serveur Prefect local ({local.address})…"):
                local.wait_ready()
            use.release()
            console.print(
                f"Serveur Prefect local {'démarré' if started else 'déjà en marche'} : "
                f"interface sur {local.address}"
            )
            return 0
    except server.ServerError as error:
        console.print(f"[red]{_escape(str(error))}[/]")
        return USAGE_ERROR
    local = server.find(home)
    if local is None:
        console.print(
            "Aucun serveur Prefect local ne tourne ; la prochaine construction en démarrera un."
        )
        return 0
    state = server.read_state(home) or {}
    answering = "répond" if local.healthy() else "[yellow]ne répond pas (encore)[/]"
    console.print(f"Serveur Prefect local : {answering}, processus {local.pid}")
    console.print(f"  interface : {local.address}")
    console.print(f"  API       : {local.api_url}")
    console.print(f"  données   : {home} (base {home / 'prefect.db'})")
    console.print(
        f"  arrêt     : seul après {state.get('idle_minutes', server.IDLE_MINUTES):g} min sans activité, "
        "ou « recueil server stop »"
    )
    return 0


def _prefect_reachable(console: Console, api: str | None) -> bool:
    """A Prefect API named by PREFECT_API_URL must answer; without one, recueil's local one is used."""
    import urllib.request

    if not api:
        return True
    try:
        with urllib.request.urlopen(f"{api.rstrip('/')}/health", timeout=5) as answer:  # noqa: S310
            healthy = answer.read(64).strip() == b"true"  # what Prefect's /health answers
    except (OSError, ValueError):  # no answer, or not an address
        console.print(
            f"[red]Le serveur Prefect {_escape(api)} ne répond pas :[/] démarrez-le "
            "(prefect server start) ou retirez PREFECT_API_URL pour utiliser le serveur local de recueil."
        )
        return False
    if not healthy:
        console.print(
            f"[red]PREFECT_API_URL ({_escape(api)}) répond, mais ce n'est pas un serveur Prefect :[/] "
            "corrigez l'adresse (elle se termine en général par /api) ou retirez la variable."
        )
    return healthy


class _Progress:
    """Rich progress bars fed by the pipeline's progress events."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[dim]{task.fields[label]}"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("Préparation", total=None, label="")

    def __enter__(self) -> _Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage(self, description: str, total: int | None = None) -> None:
        self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(description, total=total, label="")

    def advance(self, label: str) -> None:
        self._progress.update(self._task, advance=1, label=label)


def _size(size: int) -> str:
    from flows.render import file_size

    return file_size(size)


def _summary(console: Console, report: BuildReport) -> None:
    import datetime as dt

    from flows.model import Status
    from flows.text import agreed, counted

    outcomes = report.outcomes
    counts = {status: sum(o.status == status for o in outcomes) for status in Status}
    ready, kept, rejected = (counts[s] for s in (Status.READY, Status.FALLBACK, Status.REJECTED))
    console.print(
        f"[bold]Édition {report.year}[/] — {counted(len(outcomes), 'classeur')} : "
        f"{ready} {agreed(ready, 'prêt')}, {kept} {agreed(kept, 'imprimé')} avec "
        f"{'ses' if kept < 2 else 'leurs'} données antérieures, {rejected} {agreed(rejected, 'écarté')}"
    )
    errors, warnings = len(report.errors), len(report.warnings)
    colour = "red" if errors else ("yellow" if warnings else "green")
    console.print(
        f"[{colour}]Problèmes : {counted(errors, 'erreur')}, {counted(warnings, 'avertissement')}[/]"
    )
    for problem in report.problems:
        mark = "[red]✗[/]" if problem.severity == "error" else "[yellow]![/]"
        console.print(f"  {mark} {_escape(str(problem))}")
    out = Path(report.out)
    if report.unchanged:
        from flows.text import french_datetime

        published = dt.datetime.fromisoformat(report.unchanged)
        console.print(
            f"[green]Rien de nouveau :[/] ni les classeurs ni les modèles n'ont changé depuis l'édition "
            f"publiée le {french_datetime(published)} ; elle reste en place dans {report.folder}/."
        )
    elif report.strict and report.errors:
        console.print("[red]Mode strict : aucun document écrit.[/]")
    elif not report.files:
        console.print(
            "[red]Aucun document écrit : le classeur réseau doit d'abord être corrigé.[/]"
        )
    else:
        if report.draft:
            console.print(f"Brouillon (« Document provisoire ») écrit dans {report.folder}/ :")
        else:
            edition = Path(report.folder).parent.parent
            console.print(f"Édition publiée dans {edition}/ (archivée dans {report.folder}/) :")
        for path, size in report.files:
            console.print(f"  {Path(path).relative_to(report.folder)}  [dim]{_size(size)}[/]")
        if report.draft:
            console.print(
                f"[yellow]Les documents publiés dans {out / str(report.year)}/ n'ont pas été remplacés.[/]"
            )
    if report.previous:
        console.print(
            f"Annexe « Évolutions » : comparaison avec l'édition {_escape(report.previous)}"
        )
    elif report.previous_error:
        console.print(
            f"[yellow]Édition précédente illisible, pas d'annexe « Évolutions » : {_escape(report.previous_error)}[/]"
        )
    for name, key, created in report.drive:
        action = "déposé" if created else "mis à jour"
        console.print(f"Drive : {name} {action} (https://drive.google.com/file/d/{key})")
    if report.drive_error:
        console.print(f"[yellow]Drive : {_escape(report.drive_error)}[/]")
    for path, size in report.reports:
        if path.endswith("controles.html"):
            console.print(f"Compte rendu des contrôles : {path}  [dim]{_size(size)}[/]")
        elif path.endswith("data-docs/index.html"):
            console.print(f"Data Docs de Great Expectations : {path}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class _exiting:
    lost_api = False  # set when a build failed because its Prefect server stopped answering
    said_lost = threading.Lock()  # taken by whoever says so, once


def _say_server_lost(console: Console) -> None:
    if _exiting.said_lost.acquire(blocking=False):
        console.print(f"[red]{SERVER_LOST}[/]")


EXIT_GRACE_SECONDS = 10.0


def run() -> None:
    """The `recueil` command: main(), then an exit that Prefect's background workers cannot hold up.

    At exit Prefect sends the logs and events still queued to its server; a server that went away
    kept the process waiting for ever. Once the command has said its last line, the process ends
    within EXIT_GRACE_SECONDS whatever is left to send, at once when the server is known gone.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if _exiting.lost_api:
        os._exit(code)
    timer = threading.Timer(EXIT_GRACE_SECONDS, os._exit, args=(code,))
    timer.daemon = True
    timer.start()
    sys.exit(code)


if __name__ == "__main__":
    run()
