"""`recueil serve`: the deployment of prefect.yaml, schedule included, served by this machine."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from flows.settings import ROOT, Settings, apply_prefect, resolve

PREFECT_YAML = ROOT / "prefect.yaml"


class ServeError(Exception):
    """The deployment cannot be served; the message says why, in French."""


def set_project_directory() -> dict[str, str]:
    """Prefect pull step: run the flow from this host's recueil checkout, wherever it is, with the
    project's settings.

    It runs in the flow-run process a worker started, before the flow is loaded: the edge of that
    process, whose Prefect read only the worker's environment. Its settings are read again, so that
    the project's home (and the results stored there) serve the run.
    """
    os.chdir(ROOT)
    apply_prefect(resolve())
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()
    return {"directory": str(ROOT)}


def deployment_spec(name: str, path: Path = PREFECT_YAML) -> dict[str, Any]:
    """One deployment of prefect.yaml, as written there."""
    import yaml

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for deployment in spec.get("deployments", []):
        if deployment["name"] == name:
            return deployment
    names = ", ".join(d["name"] for d in spec.get("deployments", []))
    raise ServeError(f"déploiement « {name} » absent de prefect.yaml (déploiements : {names})")


def serve(settings: Settings, name: str = "hebdomadaire", port: int | None = None) -> int:
    """Serve the deployment `name` of prefect.yaml until interrupted (Ctrl+C), Prefect given
    `settings` (flows.settings.apply_prefect) already.

    Without PREFECT_API_URL it runs on recueil's local server (flows.server), found or started, on
    `port` when given, and kept from stopping for idleness while it serves.
    """
    spec = deployment_spec(name)
    use = None
    if settings.api_url:
        if port is not None:
            raise ServeError(
                f"PREFECT_API_URL est exportée ({settings.api_url}) : --port ne vaut que pour le "
                "serveur Prefect local ; retirez l'un ou l'autre."
            )
        interface = settings.api_url.removesuffix("/").removesuffix("/api")
    else:
        local, use = _local_server(settings, port)
        interface = local.address
    from flows import interrupts

    # Prefect's runner and the runs it starts keep their temporary files under TMPDIR: in recueil's
    # own scratch folder, removed when serve stops (or by the next build if it was killed).
    with contextlib.ExitStack() as cleanup:
        cleanup.enter_context(interrupts.scratch_folder(settings.prefect_home / "recueil-tmp"))
        if use is not None:
            cleanup.callback(use.release)
        _serve_deployment(spec, name, interface)
    return 0


def _serve_deployment(spec: dict[str, Any], name: str, interface: str) -> None:
    """Register the deployment with its schedules and run it until stopped."""
    from prefect.schedules import Cron

    from flows.build import build_edition

    schedules = [
        Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
        for s in spec.get("schedules", [])
    ]
    print(
        f"recueil sert « build-edition/{name} » (interface de Prefect : {interface}) ; "
        "Ctrl+C pour arrêter.",
        flush=True,
    )
    build_edition.with_options(**announcing_hooks()).serve(
        name=name,
        schedules=schedules,
        parameters={k: v for k, v in spec.get("parameters", {}).items() if v is not None},
        description=spec.get("description"),
        tags=spec.get("tags"),
        print_starting_message=False,
    )


def _local_server(settings: Settings, port: int | None):
    """recueil's local server, on `port` when given, answering; and this command's use of it."""
    from flows import server

    try:
        local, use, started = server.start(
            settings.prefect_home,
            port=port,
            idle_minutes=settings.server_idle_minutes,
            exact=port is not None,
        )
    except server.ServerError as error:
        raise ServeError(str(error)) from None
    try:
        if not started and port is not None and local.port != port:
            raise ServeError(
                f"Le serveur Prefect local de recueil tourne déjà sur le port {local.port} "
                f"(interface : {local.address}) : servez sans --port, ou arrêtez-le d'abord "
                f"(recueil server stop) pour le redémarrer sur le port {port}."
            )
        local.wait_ready()
    except (ServeError, server.ServerError) as error:
        use.release()
        raise ServeError(str(error)) from None
    server.use_api(local.api_url)
    return local, use


_ENDINGS = {
    "COMPLETED": "terminée",
    "FAILED": "en échec",
    # Prefect's own messages for these two are English and about infrastructure: not repeated.
    "CRASHED": "arrêtée net : son processus s'est terminé avant elle",
    "CANCELLED": "annulée",
    "CANCELLING": "annulée",  # what the hooks see when serve itself is stopped during the run
}


def announcing_hooks() -> dict[str, list]:
    """Hooks that say in the terminal of `recueil serve` when a run starts and how it ended.

    Prefect calls them in the run's process (its output is the terminal's), and for a run whose
    process crashed or was cancelled, in the serving process itself.
    """

    def say(flow, flow_run, state) -> None:
        import datetime as dt
        from zoneinfo import ZoneInfo

        from flows.text import PARIS

        moment = dt.datetime.now(ZoneInfo(PARIS)).strftime("%H:%M:%S")  # as the run's name
        if state.is_running():
            print(f"{moment} Exécution « {flow_run.name} » commencée.", flush=True)
            return
        ending = _ENDINGS.get(state.type.value, state.type.value.lower())
        if state.is_completed() and state.name != "Completed":
            ending += f" ({state.name.lower()})"  # « brouillon », « données antérieures »
        said = state.message if (state.is_completed() or state.is_failed()) else None
        print(
            f"{moment} Exécution « {flow_run.name} » {ending}{f' : {said}' if said else '.'}",
            flush=True,
        )

    return {
        "on_running": [say],
        "on_completion": [say],
        "on_failure": [say],
        "on_crashed": [say],
        "on_cancellation": [say],
    }
