"""`recueil serve`: the deployment of prefect.yaml, schedule included, served by this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
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


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:  # noqa: S310 (loopback)
            return response.status == 200
    except OSError:
        return False


def start_server(port: int, wait_seconds: float = 120) -> subprocess.Popen[bytes]:
    """A `prefect server start` on 127.0.0.1, once it answers."""
    api = f"http://127.0.0.1:{port}/api"
    if _healthy(api):
        raise ServeError(
            f"un serveur répond déjà sur le port {port} : exportez PREFECT_API_URL={api}"
        )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Without it the UI served on `port` calls the API on Prefect's default port, 4200.
        env={**os.environ, "PREFECT_UI_API_URL": api},
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if _healthy(api):
            os.environ["PREFECT_API_URL"] = api
            return server
        if server.poll() is not None:
            break
        time.sleep(0.5)
    server.terminate()
    raise ServeError(f"le serveur Prefect n'a pas démarré sur le port {port}")


def serve(settings: Settings, name: str = "hebdomadaire", port: int = 4200) -> int:
    """Serve the deployment `name` of prefect.yaml until interrupted (Ctrl+C), Prefect given
    `settings` (flows.settings.apply_prefect) already."""
    spec = deployment_spec(name)
    server = None if settings.api_url else start_server(port)
    try:
        from prefect.schedules import Cron

        from flows.build import build_edition

        schedules = [
            Cron(s["cron"], timezone=s.get("timezone"), active=s.get("active", True))
            for s in spec.get("schedules", [])
        ]
        print(
            f"recueil sert « build-edition/{name} » ({os.environ['PREFECT_API_URL']}) ; "
            "Ctrl+C pour arrêter.",
            flush=True,
        )
        build_edition.serve(
            name=name,
            schedules=schedules,
            parameters={k: v for k, v in spec.get("parameters", {}).items() if v is not None},
            description=spec.get("description"),
            tags=spec.get("tags"),
            print_starting_message=False,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0
