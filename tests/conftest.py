"""Test settings: one Prefect server for the whole run, every temporary file in one folder removed at
the end, Prefect offline and quiet; set before anything imports Prefect.

pytest-xdist runs a controller and one worker per core. The controller (or the only process, without
xdist) makes the run's folder and starts recueil's local Prefect server in it (flows/server.py, the
same server recueil keeps for its builds) without waiting for it; the workers inherit the folder and
PREFECT_API_URL through the environment and wait for the server before their first test. Builds the
tests run, in the process or as `recueil build` subprocesses, all use it. At the end the controller
stops it and removes the folder: nothing is left in /tmp, no process runs. A run killed outright
(SIGKILL) leaves the folder, and the server stops itself after IDLE_MINUTES without a request.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from flows.settings import apply_prefect, resolve

IDLE_MINUTES = 10
CONTROLLER = "PYTEST_XDIST_WORKER" not in os.environ

if CONTROLLER:
    _run_folder = tempfile.mkdtemp(prefix="recueil-tests-")
    os.chmod(_run_folder, 0o755)  # some tests read their outputs as another account
    os.environ["RECUEIL_TESTS_FOLDER"] = _run_folder
RUN_FOLDER = Path(os.environ["RECUEIL_TESTS_FOLDER"])
PREFECT_HOME = RUN_FOLDER / "prefect"
TEMPORARY = RUN_FOLDER / "tmp"
TEMPORARY.mkdir(exist_ok=True)
# Every temporary file of the run, pytest's tmp_path folders included, goes into the run's folder.
os.environ["TMPDIR"] = str(TEMPORARY)
os.environ["PYTEST_DEBUG_TEMPROOT"] = str(TEMPORARY)
tempfile.tempdir = str(TEMPORARY)

os.environ["PREFECT_HOME"] = str(PREFECT_HOME)
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(PREFECT_HOME / "storage")
# A flow that would start Prefect's own temporary server instead of using the run's fails loudly.
os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
# The tests' builds lay out their PDFs in their own process: the test workers already keep both cores
# busy, and two layout processes per build would only add their imports. The workers are tested in
# tests/test_layout.py and test_interrupts.py, whose builds use the coordinator's default.
os.environ["RECUEIL_LAYOUT_PROCESSES"] = "0"
# Then the project's settings, as the command applies them (offline, quiet), for the flows run here.
apply_prefect(resolve())

# A Prefect database migrated once, for the tests that start servers of their own (tests/helpers.py
# `prefect_home`): migrating a new one takes a server about five of its ten seconds to start.
TEMPLATE_HOME = RUN_FOLDER / "prefect-modele"

if CONTROLLER:
    import subprocess
    import sys

    from flows import server as _server

    os.environ.pop("PREFECT_API_URL", None)
    _local, _use, _ = _server.start(PREFECT_HOME, port=0, idle_minutes=IDLE_MINUTES)
    os.environ["PREFECT_API_URL"] = _local.api_url
    TEMPLATE_HOME.mkdir()
    _template = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, subprocess, sys\n"
            "subprocess.run([sys.executable, '-m', 'prefect', 'server', 'database', 'upgrade', '-y'],"
            " check=True, capture_output=True)\n"
            f"pathlib.Path({str(TEMPLATE_HOME / 'pret')!r}).touch()\n",
        ],
        env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        | {"PREFECT_HOME": str(TEMPLATE_HOME)},
    )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores: a third of the run's time is spent waiting (servers starting,
    `recueil` commands in their own process, a worker polling), and a third worker fills it; measured
    on 2 cores, the suite took 282-306 s with two workers, 267 s with three (CPU busy 76 %)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> str:
    """The run's Prefect API, once it answers.

    Great Expectations is loaded first, as the first in-process build would load it: the `recueil`
    commands the tests run in their own process then check there, like those builds, instead of
    starting a checks' process (flows/checking.py) that loads it again for every command. That
    process is tested by test_checking.py and by every `recueil build` the tests run as a process.
    """
    import great_expectations  # noqa: F401

    from flows import server

    local = server.find(PREFECT_HOME)
    assert local is not None, f"the tests' Prefect server stopped: see {PREFECT_HOME / server.LOG}"
    local.wait_ready()
    return local.api_url


# The files that take longest (a minute or so of builds and servers each, `pytest --durations=0`),
# handed out first: each worker's last file is then a short one, and neither waits long for the
# other at the end. A file missing here only runs later.
LONGEST_FIRST = (
    "test_server.py",
    "test_google.py",
    "test_cli.py",
    "test_deployment.py",
    "test_interrupts.py",
    "test_publish.py",
    "test_hostile.py",
    "test_watch.py",
    "test_corpus.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: a file's tests keep their order


def pytest_unconfigure(config: pytest.Config) -> None:
    if not CONTROLLER:
        return
    import shutil

    from flows import server

    server.stop(PREFECT_HOME)
    _use.release()
    _template.kill()
    _template.wait()
    shutil.rmtree(RUN_FOLDER, ignore_errors=True)


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory):
    """The fake Google API (tests/fake_google.py), one per test module."""
    from tests.fake_google import FakeGoogle

    server = FakeGoogle(tmp_path_factory.mktemp("fake-google"))
    yield server
    server.close()


@pytest.fixture
def google(fake, monkeypatch: pytest.MonkeyPatch):
    """The bundled 2024 edition uploaded to the fake, every workbook named by its address."""
    from tests.google_edition import use_edition_2024

    return use_edition_2024(fake, monkeypatch)
