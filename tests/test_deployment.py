"""Deployments on a real `prefect server start`: the schedule is stored, a coordinator's run with its
parameters is executed by a process worker, then by `recueil serve`, and publishes the edition."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from flows import cli
from flows.settings import ROOT
from tests.helpers import free_port, prefect_home

PREFECT = [sys.executable, "-m", "prefect"]


def healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A real Prefect server on 127.0.0.1 with its own SQLite database, and the environment to use it."""
    home = prefect_home(tmp_path_factory.mktemp("prefect-server"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }  # the run's cached checks and documents: these tests are about deployments, not the build
    process = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 150
    while not healthy(api):
        assert process.poll() is None, "prefect server start stopped"
        assert time.monotonic() < deadline, "prefect server start did not answer"
        time.sleep(0.5)
    yield env
    process.terminate()
    process.wait(timeout=60)


def prefect(
    env: dict[str, str], *arguments: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*PREFECT, *arguments], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def api(env: dict[str, str], method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        env["PREFECT_API_URL"] + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    for pause in (1, 2, 4, 8):
        try:
            return _answer(request)
        except urllib.error.HTTPError as error:
            # Prefect's server answers 503 while its SQLite database is busy (a loaded machine).
            if error.code != 503:
                raise
            time.sleep(pause)
    return _answer(request)


def _answer(request: urllib.request.Request) -> dict:
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def run_logs(env: dict[str, str], flow_run: str) -> str:
    logs = api(env, "POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run]}}})
    return "\n".join(entry["message"] for entry in logs)


def logs_once_saying(env: dict[str, str], flow_run: str, text: str, seconds: float = 30) -> str:
    """The run's logs once one says `text` (they reach the API in batches, after its end)."""
    deadline = time.monotonic() + seconds
    while text not in (logs := run_logs(env, flow_run)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return logs


def wait_for(env: dict[str, str], flow_run: str, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = api(env, "GET", f"/flow_runs/{flow_run}")
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run} did not finish")


def test_deployment_schedule_and_a_coordinators_run_by_a_worker(
    server: dict[str, str], tmp_path: Path
) -> None:
    prefect(server, "work-pool", "create", "recueil", "--type", "process")
    prefect(server, "--no-prompt", "deploy", "--all")
    deployment = api(server, "GET", "/deployments/name/build-edition/hebdomadaire")
    (schedule,) = deployment["schedules"]
    assert schedule["schedule"]["cron"] == "0 7 * * 1"
    assert schedule["schedule"]["timezone"] == "Europe/Paris"
    assert schedule["active"] is True
    assert deployment["work_pool_name"] == "recueil"
    assert deployment["parameters"]["year"] == 2024
    watch = api(server, "GET", "/deployments/name/watch-sheets/veille")
    (every,) = watch["schedules"]
    assert every["schedule"]["interval"] == 300 and every["active"] is False
    assert (
        watch["work_pool_name"] == "recueil"
        and watch["entrypoint"] == "flows/watch.py:watch_sheets"
    )

    out = tmp_path / "out"
    run = api(
        server,
        "POST",
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"year": 2024, "out": str(out)}},
    )
    prefect(server, "worker", "start", "--pool", "recueil", "--run-once", timeout=400)
    finished = wait_for(server, run["id"])
    assert finished["state"]["type"] == "COMPLETED", run_logs(server, run["id"])
    assert "Lecture des classeurs : " in logs_once_saying(
        server, run["id"], "Lecture des classeurs : "
    )  # recueil's steps in the UI
    manifest = json.loads((out / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["year"] == 2024
    assert set(manifest["files"]) >= {"programme-2024.pdf", "reseau-2024.xlsx", "controles.html"}
    assert (out / "2024" / "programme-2024.pdf").stat().st_size > 10_000


def test_recueil_serve_runs_the_deployment_on_this_machine(
    server: dict[str, str], tmp_path: Path
) -> None:
    serving = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve"],
        env=server,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        deployment = None
        while time.monotonic() < deadline:
            assert serving.poll() is None, serving.stdout.read()
            try:
                candidate = api(server, "GET", "/deployments/name/build-edition/hebdomadaire")
            except urllib.error.HTTPError as error:
                assert error.code == 404, error  # not registered yet
                candidate = {}
            if candidate.get("work_pool_name") is None and candidate.get("status") == "READY":
                deployment = candidate
                break
            time.sleep(1)
        assert deployment is not None, "recueil serve registered its deployment"
        assert deployment["schedules"][0]["schedule"]["timezone"] == "Europe/Paris"
        out = tmp_path / "out"
        run = api(
            server,
            "POST",
            f"/deployments/{deployment['id']}/create_flow_run",
            {"parameters": {"out": str(out)}},
        )
        finished = wait_for(server, run["id"])
        assert finished["state"]["type"] == "COMPLETED", run_logs(server, run["id"])
        assert "Lecture des classeurs : " in logs_once_saying(
            server, run["id"], "Lecture des classeurs : "
        )
        assert (out / "2024" / "programme-2024.pdf").is_file()
        # Stopped while it runs another, serve has Prefect cancel that run, not leave it running.
        second = api(
            server,
            "POST",
            f"/deployments/{deployment['id']}/create_flow_run",
            {"parameters": {"out": str(tmp_path / "autre")}},
        )
        deadline = time.monotonic() + 120
        while api(server, "GET", f"/flow_runs/{second['id']}")["state"]["type"] != "RUNNING":
            assert time.monotonic() < deadline, "the second run did not start"
            time.sleep(0.5)
    finally:
        serving.terminate()
        said = serving.communicate(timeout=60)[0]
    cancelled = wait_for(server, second["id"], seconds=60)
    assert cancelled["state"]["type"] == "CANCELLED"
    name = finished["name"]
    assert name.startswith("édition-2024 · ")
    # The terminal of `recueil serve` says when a run starts and how it ended, with its summary.
    assert f"Exécution « {name} » commencée." in said, said
    assert f"Exécution « {name} » terminée : Édition 2024 publiée" in said, said
    assert f"Exécution « {cancelled['name']} » annulée." in said, said
    assert "Traceback" not in said, said
    assert serving.returncode == 143
    assert cli.SERVE_STOPPED in said, said
    # Prefect's runner kept its files in recueil's scratch folder, removed when serve stopped.
    assert list((Path(server["PREFECT_HOME"]) / "recueil-tmp").iterdir()) == []


class Hooks(http.server.BaseHTTPRequestHandler):
    """A webhook on this machine: what the server's notifications post."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        Hooks.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *arguments: object) -> None:
        pass


def flow_run_ending(env: dict[str, str], name: str, state: str, deployment: str | None) -> str:
    """A run of build-edition, of a deployment or not, that the server sees end in `state`."""
    flow = api(env, "POST", "/flows/", {"name": "build-edition"})
    body: dict = {"name": name, "flow_id": flow["id"]}
    if deployment:
        run = api(env, "POST", f"/deployments/{deployment}/create_flow_run", {"name": name})
    else:
        run = api(env, "POST", "/flow_runs/", body)
    for state_type, message in (("RUNNING", None), (state, "1 classeur écarté : Réseau")):
        api(
            env,
            "POST",
            f"/flow_runs/{run['id']}/set_state",
            {"state": {"type": state_type, "message": message}, "force": True},
        )
    return run["id"]


def test_an_alert_installed_by_a_command_tells_of_a_failed_scheduled_run(
    server: dict[str, str],
) -> None:
    hooks = http.server.HTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{hooks.server_address[1]}/alerte"
    Hooks.received.clear()
    try:
        recueil = [sys.executable, "-m", "flows.cli", "alerts"]
        for _ in range(2):  # installing again replaces, never doubles, the alert
            done = subprocess.run(
                [*recueil, "install", "--webhook", address],
                env=server, cwd=ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
        assert "Alerte remplacée" in done.stdout
        shown = subprocess.run(
            [*recueil, "show"], env=server, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert shown.stdout.count("active sur") == 1, shown.stdout

        flow = api(server, "POST", "/flows/", {"name": "build-edition"})
        deployment = api(
            server, "POST", "/deployments/", {"name": "alerte-essai", "flow_id": flow["id"]}
        )["id"]
        # Neither a good scheduled run nor a failed run from the command line sends anything…
        flow_run_ending(server, "édition-2024 · réussie", "COMPLETED", deployment)
        flow_run_ending(server, "édition-2024 · à la main", "FAILED", None)
        # …a failed run of a deployment does, with its French summary.
        flow_run_ending(server, "édition-2024 · planifiée", "FAILED", deployment)
        deadline = time.monotonic() + 60
        while not Hooks.received and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # what the other two runs would have sent has arrived too by now
        (message,) = Hooks.received
        assert message["subject"] == "recueil : « édition-2024 · planifiée » a échoué"
        assert "(alerte-essai) a échoué." in message["body"]
        assert "1 classeur écarté : Réseau" in message["body"]

        removed = subprocess.run(
            [*recueil, "remove"], env=server, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert removed.stdout.strip() == "Alerte retirée."
        assert api(server, "POST", "/automations/filter", {}) == []
    finally:
        hooks.shutdown()
