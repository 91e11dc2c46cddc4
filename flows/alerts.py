"""`recueil alerts`: a Prefect automation that tells the coordinator when a scheduled build fails.

The automation lives on the Prefect server that runs the deployments (PREFECT_API_URL): the server
itself watches the runs' state changes and sends the notification, so an alert still goes out when
the machine that ran the build is gone. Installing again replaces what an earlier install made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.settings import Settings

# What recueil names on the server: found again by these names to replace or remove them.
AUTOMATION_NAME = "recueil : construction planifiée en échec"
BLOCK_NAME = "recueil-alertes"
# The flows whose failed runs are worth a message: the scheduled build and the sheets' watch.
WATCHED_FLOWS = ["build-edition", "watch-sheets"]
FAILED_STATES = ["prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"]

SUBJECT = "recueil : « {{ flow_run.name }} » a échoué"
# Jinja rendered by the server: the run, its French summary (the state's message) and where to look.
BODY = """L'exécution planifiée « {{ flow_run.name }} » ({{ deployment.name }}) \
{% if flow_run.state.name == "Crashed" %}s'est arrêtée brutalement{% elif flow_run.state.name == "TimedOut" \
%}a dépassé son temps{% else %}a échoué{% endif %}.

{{ flow_run.state.message or "Aucun message." }}

L'édition publiée précédemment reste en place.{% if flow_run|ui_url %} Détails et journaux : \
{{ flow_run|ui_url }}{% endif %}
"""

# How each kind of address is delivered: Prefect's own notification blocks.
SERVICES = ("webhook", "slack", "teams")


class AlertError(Exception):
    """The alert cannot be installed; the message says why, in French."""


@dataclass(frozen=True)
class Installed:
    automation_id: str
    service: str
    replaced: bool


def _block(service: str, url: str):
    from prefect.blocks import notifications

    if service == "slack":
        return notifications.SlackWebhook(url=url)
    if service == "teams":
        return notifications.MicrosoftTeamsWebhook(url=url)
    # A plain JSON POST: any chat, ticketing or mail gateway that takes a webhook.
    return notifications.CustomWebhookNotificationBlock(
        name="recueil",
        url=url,
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        allow_private_urls=_is_private(url),
    )


def _is_private(url: str) -> bool:
    """A webhook on this machine or the local network (a relay the network runs itself) is allowed."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_private or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AlertError(f"« {url} » n'est pas une adresse web (elle commence par https://)")


def _trigger():
    from prefect.events.schemas.automations import EventTrigger, Posture

    return EventTrigger(
        expect=set(FAILED_STATES),
        match={"prefect.resource.id": "prefect.flow-run.*"},
        # Runs of a deployment only (the schedule, or a run started from the UI), of recueil's flows.
        match_related=[
            {"prefect.resource.role": "flow", "prefect.resource.name": WATCHED_FLOWS},
            {"prefect.resource.role": "deployment"},
        ],
        posture=Posture.Reactive,
        threshold=1,
    )


def install(service: str, url: str) -> Installed:
    """Save the notification block and (re)create the automation on the server of PREFECT_API_URL."""
    if service not in SERVICES:
        raise AlertError(f"service inconnu : {service}")
    _check_url(url)
    from prefect.automations import Automation, SendNotification

    block = _block(service, url)
    block_id = block.save(BLOCK_NAME, overwrite=True)
    replaced = remove()
    automation = Automation(
        name=AUTOMATION_NAME,
        description="Créée par « recueil alerts install » : prévient la coordination quand une "
        "construction planifiée échoue.",
        trigger=_trigger(),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    ).create()
    return Installed(str(automation.id), service, replaced > 0)


def remove() -> int:
    """Delete the automations recueil installed; how many there were."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(AUTOMATION_NAME)
        for automation in found:
            client.delete_automation(automation.id)
    return len(found)


def installed() -> list[dict[str, object]]:
    """The automations recueil installed, as the server keeps them."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [
            {"id": str(a.id), "enabled": a.enabled, "actions": len(a.actions)}
            for a in client.read_automations_by_name(AUTOMATION_NAME)
        ]


def add_commands(commands) -> None:
    """`recueil alerts install|show|remove`, added to the command line's subcommands."""
    parser = commands.add_parser(
        "alerts",
        help="prévenir la coordination quand une construction planifiée échoue",
        description="Installe sur le serveur Prefect des constructions planifiées (PREFECT_API_URL) une "
        "automatisation qui envoie un message quand l'une d'elles échoue.",
    )
    actions = parser.add_subparsers(dest="alerts_command", metavar="ACTION")
    parser.set_defaults(print_help=parser.print_help)
    install_parser = actions.add_parser(
        "install",
        help="installer l'alerte (la remplace si elle existe)",
        description="Crée (ou remplace) l'automatisation « " + AUTOMATION_NAME + " » et son canal.",
    )
    channel = install_parser.add_mutually_exclusive_group(required=True)
    channel.add_argument(
        "--webhook",
        metavar="ADRESSE",
        help="adresse qui reçoit un POST JSON {subject, body} (passerelle de courriel, outil de suivi…)",
    )
    channel.add_argument("--slack", metavar="ADRESSE", help="adresse de webhook entrant Slack")
    channel.add_argument(
        "--teams", metavar="ADRESSE", help="adresse de webhook entrant Microsoft Teams"
    )
    actions.add_parser("show", help="dire si l'alerte est installée")
    actions.add_parser("remove", help="retirer l'alerte")


def main(arguments, settings: Settings) -> int:
    """Run `recueil alerts …`: 0 when done, 2 when the server or the address is not usable."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True, emoji=False)
    if arguments.alerts_command is None:
        arguments.print_help()
        return 0
    api = settings.api_url
    if not api:
        console.print(
            "[red]Aucun serveur Prefect indiqué :[/] l'alerte s'installe sur le serveur qui exécute les "
            "constructions planifiées ; exportez son adresse, par exemple "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, puis relancez."
        )
        return 2
    try:
        return _run(console, arguments, api)
    except AlertError as error:
        console.print(f"[red]{error}[/]")
        return 2
    except Exception as error:  # the server refused or did not answer: one line, no traceback
        console.print(
            f"[red]Le serveur Prefect {api} n'a pas pu enregistrer l'alerte[/] "
            f"({type(error).__name__}) : vérifiez qu'il répond (prefect server start)."
        )
        return 2


def _run(console, arguments, api: str) -> int:
    if arguments.alerts_command == "install":
        service = next(s for s in SERVICES if getattr(arguments, s))
        done = install(service, getattr(arguments, service))
        verb = "remplacée" if done.replaced else "installée"
        console.print(
            f"[green]Alerte {verb}[/] sur {api} : toute exécution planifiée de recueil qui échoue "
            f"envoie un message ({service})."
        )
        return 0
    if arguments.alerts_command == "remove":
        count = remove()
        console.print("Alerte retirée." if count else "Aucune alerte de recueil n'était installée.")
        return 0
    found = installed()
    if not found:
        console.print(
            f"Aucune alerte de recueil sur {api} (recueil alerts install pour en créer une)."
        )
    for automation in found:
        state = "active" if automation["enabled"] else "en pause"
        console.print(f"Alerte « {AUTOMATION_NAME} » {state} sur {api} ({automation['id']}).")
    return 0
