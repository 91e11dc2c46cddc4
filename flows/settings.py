"""Paths, and recueil's settings: read once where a command or a run starts, then passed down.

`resolve()` reads the environment over the project's git-ignored `.env`, over the defaults, into one
`Settings`; nothing else in recueil reads those variables. `apply_prefect()` hands Prefect its part
(the project's home, quiet and offline) through the environment, the only channel Prefect reads: the
edges call it before Prefect is imported (the command line, the kept server's process, the pull step
of a worker's run, the benchmarks, the tests). Importing a module changes no variable.

A plain dataclass rather than pydantic-settings: importing pydantic costs about 0.1 s, a third of a
`recueil build` that finds nothing new (README « Performances »).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sources.google.auth import GoogleSettings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
EXPECTATIONS_DIR = ROOT / "expectations"
EDITIONS_DIR = ROOT / "sources" / "editions"
OUTPUT_DIR = ROOT / "output"

PYPROJECT = ROOT / "pyproject.toml"
DOTENV = ROOT / ".env"
ENVIRONMENT_DEFAULTS = {
    # Not a Prefect setting: the client's own telemetry switch.
    "DO_NOT_TRACK": "1",
    # Prefect's INFO lines go to the UI; recueil's terminal shows only its warnings and errors.
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
}

# How hard recueil pushes on Google (sources.google.auth.GoogleSettings): each variable, the field it
# sets, its kind, its least value and an example for the message that refuses another.
GOOGLE_LIMITS: dict[str, tuple[str, type[int] | type[float], float, str]] = {
    "RECUEIL_GOOGLE_READS_PER_MINUTE": ("reads_per_minute", int, 1, "60"),
    "RECUEIL_GOOGLE_WRITES_PER_MINUTE": ("writes_per_minute", int, 1, "60"),
    "RECUEIL_GOOGLE_RETRIES": ("retries", int, 0, "5"),
    "RECUEIL_GOOGLE_BACKOFF_SECONDS": ("backoff_seconds", float, 0, "1"),
    "RECUEIL_GOOGLE_TIMEOUT_SECONDS": ("timeout_seconds", float, 1, "30"),
    "RECUEIL_GOOGLE_CONCURRENCY": ("concurrency", int, 1, "4"),
}


class SettingsError(Exception):
    """A variable has a value recueil cannot use; the message names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    """recueil's settings, as `resolve()` found them."""

    # PREFECT_HOME, else `home` of `[tool.prefect]`: also where checks are remembered.
    prefect_home: Path
    # PREFECT_API_URL: a Prefect server to use instead of the kept local one.
    api_url: str | None = None
    # PREFECT_RESULTS_LOCAL_STORAGE_PATH: Prefect's cached results; None: `storage/` of the home.
    results: Path | None = None
    google_network: str | None = None  # RECUEIL_GOOGLE_NETWORK: the network workbook by default
    publication_url: str | None = None  # RECUEIL_PUBLICATION_URL: where output/ is served
    server_idle_minutes: float | None = None  # RECUEIL_SERVER_IDLE_MINUTES; None: the server's own
    # RECUEIL_LAYOUT_PROCESSES: processes laying out PDFs; None: one per core (2 at most), 0: none,
    # the build's own process lays them out (where other builds already use every core).
    layout_processes: int | None = None
    credentials: Path | None = None  # GOOGLE_APPLICATION_CREDENTIALS; None: gspread's place
    # The RECUEIL_GOOGLE_* set, by GoogleSettings field.
    google_limits: Mapping[str, float] = field(default_factory=dict)
    prefect: Mapping[str, str] = field(default_factory=dict)  # what apply_prefect() gives Prefect

    @property
    def check_cache(self) -> Path:
        """Where checks are remembered (flows/checkcache.py): with Prefect's cached results (the
        documents laid out), so that emptying those makes the next build cold."""
        return (self.results or self.prefect_home / "storage") / "controles"

    @property
    def google(self) -> GoogleSettings:
        """The key and the limits of every Google request (the defaults for the limits not set)."""
        from sources.google.auth import GoogleSettings

        return GoogleSettings(credentials=self.credentials, **self.google_limits)


def resolve(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """The settings of `environ` (this process's environment) over `dotenv` (the project's .env),
    over the defaults; an empty variable counts as unset. SettingsError on a value that cannot be used."""
    exported = {k: v for k, v in (os.environ if environ is None else environ).items() if v.strip()}
    written = {
        k: v for k, v in read_dotenv(DOTENV if dotenv is None else dotenv).items() if v.strip()
    }
    values = {**written, **exported}

    def given(name: str) -> str | None:
        return values[name].strip() if name in values else None

    # Defaults, then the project's table, then .env, then the environment: whoever says last wins.
    prefect = {**ENVIRONMENT_DEFAULTS, **prefect_settings()}
    prefect |= {k: v for k, v in written.items() if k.startswith("PREFECT_") or k in prefect}
    prefect |= {k: exported[k] for k in prefect if k in exported}
    home = given("PREFECT_HOME")
    prefect_home = Path(home).expanduser() if home else Path(prefect["PREFECT_HOME"])
    prefect["PREFECT_HOME"] = str(prefect_home)
    credentials = given("GOOGLE_APPLICATION_CREDENTIALS")
    return Settings(
        prefect_home=prefect_home,
        api_url=given("PREFECT_API_URL"),
        results=Path(results).expanduser()
        if (results := given("PREFECT_RESULTS_LOCAL_STORAGE_PATH"))
        else None,
        google_network=given("RECUEIL_GOOGLE_NETWORK"),
        publication_url=given("RECUEIL_PUBLICATION_URL"),
        server_idle_minutes=_idle_minutes(given("RECUEIL_SERVER_IDLE_MINUTES")),
        layout_processes=_layout_processes(given("RECUEIL_LAYOUT_PROCESSES")),
        credentials=Path(credentials).expanduser() if credentials else None,
        google_limits={
            key: _number(name, text, kind, least, example)
            for name, (key, kind, least, example) in GOOGLE_LIMITS.items()
            if (text := given(name)) is not None
        },
        prefect=prefect,
    )


def _idle_minutes(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return max(0.0, float(text.replace(",", ".")))
    except ValueError:
        raise SettingsError(
            f"RECUEIL_SERVER_IDLE_MINUTES vaut « {text} » : un nombre de minutes est attendu (exemple : 30)"
        ) from None


def _layout_processes(text: str | None) -> int | None:
    return None if text is None else int(_number("RECUEIL_LAYOUT_PROCESSES", text, int, 0, "2"))


def _number(name: str, text: str, kind: type[int] | type[float], least: float, example: str):
    try:
        value = kind(text.replace(",", ".") if kind is float else text)
    except ValueError:
        value = None
    if value is None or value < least:
        what = "un nombre entier" if kind is int else "un nombre"
        raise SettingsError(
            f"{name} vaut « {text} » : {what} d'au moins {least:g} est attendu (exemple : {example})"
        )
    return value


def prefect_settings(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """The project's Prefect settings, `[tool.prefect]` of pyproject.toml, as PREFECT_* variables.

    The same table that `prefect` commands run in the project read themselves, so that a server, a
    worker and recueil share one home and one set of settings; `home` is resolved against the project.
    """
    import tomllib

    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["prefect"]
    found: dict[str, str] = {}

    def flatten(prefix: str, values: dict) -> None:
        for key, value in values.items():
            name = f"{prefix}_{key.upper()}"
            if isinstance(value, dict):
                flatten(name, value)
            else:
                found[name] = str(value).lower() if isinstance(value, bool) else str(value)

    flatten("PREFECT", table)
    found["PREFECT_HOME"] = str((pyproject.parent / found["PREFECT_HOME"]).resolve())
    return found


def read_dotenv(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of a .env file (none when there is no file)."""
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, value = line.partition("=")
        if separator and name.strip() and not name.lstrip().startswith("#"):
            found[name.strip()] = value.strip().strip("'\"")
    return found


# Libraries that report routine work at INFO/WARNING: GX announces its temporary docs folder,
# WeasyPrint warns on every font that it subsets with fontTools (no libharfbuzz-subset here).
QUIET_LOGGERS = {
    # recueil's progress (flows/progress.py), which Prefect sends to the run's logs (extra_loggers).
    "recueil": logging.INFO,
    "great_expectations": logging.ERROR,
    "weasyprint": logging.ERROR,
    "fontTools": logging.ERROR,
}


def quiet_loggers() -> None:
    """recueil's progress at INFO for the runs' logs; the libraries' routine notices silenced."""
    for logger, level in QUIET_LOGGERS.items():
        logging.getLogger(logger).setLevel(level)


def apply_prefect(settings: Settings) -> None:
    """Give this process's Prefect the project's settings, quiet and offline, before it is imported;
    the processes it starts inherit them."""
    os.environ.update(settings.prefect)
    # Prefect's API runs on this machine: a proxy set for reaching Google must not stand in its way.
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))
    quiet_loggers()


def for_run() -> Settings:
    """The settings of a flow run, resolved as it starts: a run that a worker or `recueil serve`
    started loaded the flow in a process of its own, where nothing above it resolved them (nor quieted
    the libraries)."""
    quiet_loggers()
    return resolve()


def default_source(year: int) -> Path:
    """The bundled edition folder of a year."""
    return EDITIONS_DIR / str(year)
