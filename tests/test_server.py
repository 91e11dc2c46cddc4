"""The local Prefect server recueil keeps: started by the first build, found again by the next, its
UI and the runs' logs served on 127.0.0.1, stopped by `recueil server stop` or after an idle time.

These tests need a server of their own (the run's shared one is named by PREFECT_API_URL, which makes
recueil start nothing): each starts one in its own PREFECT_HOME and leaves no process behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from flows import cli, server
from flows.processes import alive
from flows.settings import ROOT
from tests.helpers import free_port, prefect_home

BUNDLED = ROOT / "sources" / "editions" / "2024"


@pytest.fixture(scope="module")
def prefect_server() -> None:
    """Not the run's server (tests/conftest.py): these tests start their own, and need not wait for
    the run's to answer before they begin."""


@pytest.fixture
def home(tmp_path: Path):
    """A Prefect home of its own; whatever server a test leaves in it is stopped."""
    folder = prefect_home(tmp_path / "prefect")
    yield folder
    stopped = server.stop(folder)
    assert stopped is None, "the test left its server running"


def environment_of(home: Path) -> dict[str, str]:
    """The tests' environment, but recueil's server of `home` instead of the run's (its cached
    checks and documents stay the run's: these builds are about the server)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return env | {"PREFECT_HOME": str(home), "COLUMNS": "200"}


def recueil(home: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *arguments],
        env=environment_of(home) | environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def started(home: Path, *arguments: str, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """`recueil` running in the background with the server of `home`, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *arguments],
        env=environment_of(home),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def api(base: str, path: str, body: dict | None = None) -> object:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_a_build_starts_the_server_the_next_one_reuses_it_and_stop_ends_it(
    home: Path, tmp_path: Path
) -> None:
    assert "Aucun serveur Prefect local" in recueil(home, "server", "status").stdout

    built = recueil(home, "build", "--out", str(tmp_path / "out"))
    assert built.returncode == 0, built.stdout + built.stderr
    state = json.loads((home / server.STATE).read_text(encoding="utf-8"))
    local = server.find(home)
    assert local is not None and local.pid == state["pid"] and local.healthy()

    # The UI, and the run with its logs: recueil's own steps, by workbook.
    with urllib.request.urlopen(local.address, timeout=30) as page:
        assert b"<html" in page.read(4096).lower()
    runs = api(local.api_url, "/flow_runs/filter", {})
    assert [run["state_type"] for run in runs] == ["COMPLETED"]
    logs = api(local.api_url, "/logs/filter", {"logs": {"flow_run_id": {"any_": [runs[0]["id"]]}}})
    messages = [entry["message"] for entry in logs]
    assert any(m.startswith("Lecture des classeurs : ") for m in messages), messages
    assert any("gt-cosoter" in m or "Cosoter" in m for m in messages), messages

    # A second build finds it again: the same process serves it (a build that stops early suffices).
    broken = tmp_path / "casse"
    shutil.copytree(BUNDLED / "reseau", broken / "reseau")
    (broken / "reseau" / "Programme.csv").write_text("Champ,Valeur\n", encoding="utf-8")
    again = recueil(home, "build", "--source", str(broken), "--out", str(tmp_path / "out2"))
    assert again.returncode == 1, again.stdout + again.stderr
    assert server.find(home) == local
    assert len(api(local.api_url, "/flow_runs/filter", {})) == 2

    status = recueil(home, "server", "status").stdout
    assert f"interface : {local.address}" in status and "répond" in status
    stopped = recueil(home, "server", "stop")
    assert f"Serveur Prefect local arrêté ({local.address})" in stopped.stdout
    assert not alive(local.pid)
    assert not (home / server.STATE).exists()
    assert "Aucun serveur Prefect local" in recueil(home, "server", "stop").stdout


def test_a_build_whose_server_goes_away_stops_with_one_line(home: Path, tmp_path: Path) -> None:
    # The server killed mid-build (out of memory, a crash): Prefect's client would retry for
    # minutes, printing each attempt; the build stops within seconds and says why, once.
    from flows.cli import SERVER_LOST

    assert recueil(home, "server", "start").returncode == 0
    local = server.find(home)
    assert local is not None
    out = tmp_path / "out"
    build = started(home, "build", "--out", str(out))
    try:
        deadline = time.monotonic() + 120
        while not api(local.api_url, "/flow_runs/filter", {}):
            assert build.poll() is None, build.communicate()
            assert time.monotonic() < deadline, "the build never started its run"
            time.sleep(0.1)
        os.kill(local.pid, signal.SIGKILL)
        printed, complaints = build.communicate(timeout=120)
    finally:
        build.kill()
    assert build.returncode == 2, printed + complaints
    assert printed.count(SERVER_LOST) == 1, printed
    assert "Traceback" not in printed + complaints
    assert not (out / "2024" / "programme-2024.pdf").exists()


def test_the_server_stops_itself_after_its_idle_time(home: Path) -> None:
    started = recueil(home, "server", "start", RECUEIL_SERVER_IDLE_MINUTES="0.05")
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Serveur Prefect local démarré : interface sur http://127.0.0.1:" in started.stdout
    local = server.find(home)
    assert local is not None
    deadline = time.monotonic() + 60
    while alive(local.pid):
        assert time.monotonic() < deadline, "the idle server did not stop"
        time.sleep(0.2)
    assert not (home / server.STATE).exists()


def test_two_checkouts_starting_at_once_get_a_port_each(tmp_path: Path) -> None:
    # Two projects on one machine (two checkouts, or a test run beside a build): each has its own
    # home and server; started at the same moment, both would pick the preferred port as free.
    homes = [prefect_home(tmp_path / "un"), prefect_home(tmp_path / "deux")]
    wanted = free_port()  # the preferred port may be another server's here
    started = [server.start(home, port=wanted, idle_minutes=5) for home in homes]
    try:
        for local, use, _ in started:
            use.release()
            local.wait_ready()
        first, second = (local for local, _, _ in started)
        assert first.port != second.port
        assert [server.find(home) for home in homes] == [first, second]
        assert first.healthy() and second.healthy()
    finally:
        for home in homes:
            server.stop(home)


def test_a_wrong_idle_time_is_said_in_french(home: Path) -> None:
    done = recueil(home, "server", "start", RECUEIL_SERVER_IDLE_MINUTES="trente")
    assert done.returncode == 2
    assert "RECUEIL_SERVER_IDLE_MINUTES vaut « trente » : un nombre de minutes est attendu" in (
        done.stdout
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_serve_on_a_port_runs_on_the_local_server_there_and_says_what_it_cannot_do(
    home: Path, tmp_path: Path
) -> None:
    port = free_port()
    serving = started(home, "serve", "--port", str(port), stderr=subprocess.STDOUT)
    try:
        first = serving.stdout.readline()
        assert f"(interface de Prefect : http://127.0.0.1:{port})" in first, first
        local = server.find(home)
        assert local is not None and local.port == port  # recueil's kept server, on that port
        # Its UI calls the API on that port (Prefect's default would be 4200).
        with urllib.request.urlopen(f"{local.address}/ui-settings", timeout=10) as answer:
            assert json.load(answer)["api_url"] == f"http://127.0.0.1:{port}/api"

        elsewhere = recueil(home, "serve", "--port", str(port + 1 if port < 65535 else port - 1))
        assert elsewhere.returncode == 2
        assert f"tourne déjà sur le port {port}" in elsewhere.stdout
        assert "recueil server stop" in elsewhere.stdout

        taken = recueil(tmp_path / "autre", "serve", "--port", str(port))
        assert taken.returncode == 2
        assert f"Le port {port} de 127.0.0.1 est déjà pris" in taken.stdout
        assert server.find(tmp_path / "autre") is None
        for refused in (elsewhere, taken):
            assert "Traceback" not in refused.stdout + refused.stderr
    finally:
        serving.send_signal(signal.SIGINT)
        rest = serving.communicate(timeout=60)[0]
    assert "Traceback" not in rest, rest
    assert serving.returncode == 130
    assert rest.rstrip().endswith(cli.SERVE_STOPPED), rest
    assert server.stop(home) == local  # kept, as after a build, until stopped or idle
