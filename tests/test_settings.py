"""recueil's settings, resolved once where a command or a run starts: the environment over .env over
the defaults, one set of Prefect settings with what `prefect` commands read in the project, and no
variable changed by importing a module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.settings import ROOT, SettingsError, prefect_settings, resolve


def _without_prefect_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


def _python(probe: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_prefect_commands_in_the_project_read_its_settings() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "prefect", "config", "view", "--show-sources"],
        cwd=ROOT,
        env=_without_prefect_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "PREFECT_SERVER_ANALYTICS_ENABLED='False' (from pyproject.toml)" in shown
    assert "PREFECT_HOME='.prefect' (from pyproject.toml)" in shown
    assert "PREFECT_LOGGING_LEVEL='INFO' (from pyproject.toml)" in shown
    assert "PREFECT_LOGGING_EXTRA_LOGGERS='recueil' (from pyproject.toml)" in shown


def test_recueil_applies_the_same_settings_from_anywhere(tmp_path: Path) -> None:
    probe = (
        "import json, logging, os\n"
        "from pathlib import Path\n"
        "import flows.settings as s\n"
        f"s.DOTENV = Path({str(tmp_path / '.env')!r})\n"
        "s.apply_prefect(s.resolve())\n"
        "print(json.dumps([dict(os.environ), logging.getLogger('weasyprint').level]))\n"
    )
    done = _python(probe, _without_prefect_environment(), tmp_path)
    assert done.returncode == 0, done.stderr
    applied, weasyprint = json.loads(done.stdout)
    assert applied["PREFECT_HOME"] == str(ROOT / ".prefect")
    assert applied["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert applied["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
    assert applied["DO_NOT_TRACK"] == "1"
    for name, value in prefect_settings().items():
        assert applied[name] == value
    assert {"127.0.0.1", "localhost"} <= set(applied["NO_PROXY"].split(","))
    assert weasyprint == 40  # ERROR: its routine font warnings are not the user's business


def test_what_the_user_exports_wins(tmp_path: Path) -> None:
    settings = resolve({"PREFECT_HOME": str(tmp_path)}, dotenv=tmp_path / ".env")
    assert settings.prefect_home == tmp_path
    assert settings.prefect["PREFECT_HOME"] == str(tmp_path)


def test_dotenv_is_read_and_exported_variables_win(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# la clé et le classeur réseau de la coordination\n"
        "RECUEIL_GOOGLE_NETWORK=reseau-du-fichier\n"
        "RECUEIL_PUBLICATION_URL='https://fichier.exemple.fr/sortie'\n"
        'GOOGLE_APPLICATION_CREDENTIALS="~/cle.json"\n'
        "RECUEIL_GOOGLE_RETRIES=2\n"
        "RECUEIL_SERVER_IDLE_MINUTES=5\n"
        "PREFECT_API_URL=http://serveur.exemple.fr:4200/api\n"
        "PREFECT_LOGGING_LEVEL=DEBUG\n",
        encoding="utf-8",
    )
    exported = {
        "RECUEIL_PUBLICATION_URL": "https://exportee.exemple.fr/sortie",
        "RECUEIL_SERVER_IDLE_MINUTES": "7,5",
        "RECUEIL_LAYOUT_PROCESSES": "0",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "RECUEIL_GOOGLE_NETWORK": "",  # empty: as if unset
    }
    settings = resolve(exported, dotenv=dotenv)
    assert settings.google_network == "reseau-du-fichier"
    assert settings.publication_url == "https://exportee.exemple.fr/sortie"
    assert settings.server_idle_minutes == 7.5
    assert settings.layout_processes == 0
    assert settings.credentials == Path.home() / "cle.json"
    assert settings.google.retries == 2 and settings.google.reads_per_minute == 60
    assert settings.google.credentials == Path.home() / "cle.json"
    # Prefect is given the server and the levels too: .env's, unless exported.
    assert settings.api_url == "http://serveur.exemple.fr:4200/api"
    assert settings.prefect["PREFECT_API_URL"] == "http://serveur.exemple.fr:4200/api"
    assert settings.prefect["PREFECT_LOGGING_LEVEL"] == "WARNING"

    plain = resolve({}, dotenv=tmp_path / "absent")
    assert (plain.google_network, plain.publication_url, plain.api_url) == (None, None, None)
    assert plain.server_idle_minutes is None and plain.google_limits == {}
    assert plain.layout_processes is None


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "RECUEIL_SERVER_IDLE_MINUTES",
            "trente",
            "RECUEIL_SERVER_IDLE_MINUTES vaut « trente » : un nombre de minutes est attendu (exemple : 30)",
        ),
        (
            "RECUEIL_GOOGLE_RETRIES",
            "beaucoup",
            "RECUEIL_GOOGLE_RETRIES vaut « beaucoup » : un nombre entier d'au moins 0 est attendu (exemple : 5)",
        ),
        (
            "RECUEIL_LAYOUT_PROCESSES",
            "-1",
            "RECUEIL_LAYOUT_PROCESSES vaut « -1 » : un nombre entier d'au moins 0 est attendu (exemple : 2)",
        ),
        (
            "RECUEIL_GOOGLE_CONCURRENCY",
            "0",
            "RECUEIL_GOOGLE_CONCURRENCY vaut « 0 » : un nombre entier d'au moins 1 est attendu (exemple : 4)",
        ),
        (
            "RECUEIL_GOOGLE_BACKOFF_SECONDS",
            "vite",
            "RECUEIL_GOOGLE_BACKOFF_SECONDS vaut « vite » : un nombre d'au moins 0 est attendu (exemple : 1)",
        ),
    ],
)
def test_a_value_that_cannot_be_used_is_named_in_french(
    name: str, value: str, said: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError) as refused:
        resolve({name: value}, dotenv=tmp_path / ".env")
    assert str(refused.value) == said


def test_the_command_says_a_wrong_value_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sortie"
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "RECUEIL_SERVER_IDLE_MINUTES": "trente", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout.strip() == (
        "RECUEIL_SERVER_IDLE_MINUTES vaut « trente » : un nombre de minutes est attendu (exemple : 30)"
    )
    assert done.stderr == ""
    assert not out.exists()


def test_importing_the_flows_changes_no_variable(tmp_path: Path) -> None:
    probe = (
        "import json, os\n"
        "before = dict(os.environ)\n"
        "import flows.build, flows.watch\n"
        "print(json.dumps([before, dict(os.environ)]))\n"
    )
    done = _python(probe, _without_prefect_environment(), tmp_path)
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert after == before


def test_the_pull_step_gives_a_workers_run_the_projects_settings(tmp_path: Path) -> None:
    """The flow-run process a worker starts has only the worker's environment, elsewhere than the
    project; the pull step of prefect.yaml makes it the project's before the flow is loaded."""
    probe = (
        "import json, logging, os\n"
        "from prefect.settings import get_current_settings\n"
        "before = get_current_settings().logging.to_api.when_missing_flow\n"
        "from flows.serve import set_project_directory\n"
        "step = set_project_directory()\n"
        "print(json.dumps({\n"
        "    'before': before,\n"
        "    'after': get_current_settings().logging.to_api.when_missing_flow,\n"
        "    'home': str(get_current_settings().home),\n"
        "    'cwd': os.getcwd(), 'step': step,\n"
        "    'console': os.environ.get('PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL'),\n"
        "    'gx': logging.getLogger('great_expectations').level,\n"
        "}))\n"
    )
    home = tmp_path / "maison"
    env = {**_without_prefect_environment(), "PREFECT_HOME": str(home)}
    done = _python(probe, env, tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["before"] == "warn"  # Prefect's default: the project's table was not read yet
    assert seen["after"] == "ignore"  # `[tool.prefect.logging.to_api]` of pyproject.toml
    assert seen["home"] == str(home)  # what the worker exported wins
    assert seen["cwd"] == str(ROOT) and seen["step"] == {"directory": str(ROOT)}
    assert seen["console"] == "WARNING" and seen["gx"] == 40
