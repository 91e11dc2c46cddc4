"""Paths and environment, resolved in one place; Prefect set up to run quietly and offline."""

from __future__ import annotations

import logging
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
EXPECTATIONS_DIR = ROOT / "expectations"
EDITIONS_DIR = ROOT / "sources" / "editions"
OUTPUT_DIR = ROOT / "output"

PYPROJECT = ROOT / "pyproject.toml"
ENVIRONMENT_DEFAULTS = {
    # Not a Prefect setting: the client's own telemetry switch.
    "DO_NOT_TRACK": "1",
    # Prefect's INFO lines go to the UI; recueil's terminal shows only its warnings and errors.
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
}


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


def load_dotenv(path: Path = ROOT / ".env") -> None:
    """Read `NAME=value` lines of a git-ignored .env into the environment, without overriding it."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        name, separator, value = line.partition("=")
        if separator and name.strip() and not name.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value.strip().strip("'\""))


# Libraries that report routine work at INFO/WARNING: GX announces its temporary docs folder,
# WeasyPrint warns on every font that it subsets with fontTools (no libharfbuzz-subset here).
QUIET_LOGGERS = {
    # recueil's progress (flows/progress.py), which Prefect sends to the run's logs (extra_loggers).
    "recueil": logging.INFO,
    "great_expectations": logging.ERROR,
    "weasyprint": logging.ERROR,
    "fontTools": logging.ERROR,
}


def configure_prefect() -> None:
    """Point Prefect at the project's own home, quiet and offline, before it is imported.

    Defaults only: anything the user exports, or writes in .env, wins.
    """
    load_dotenv()
    for name, value in {**ENVIRONMENT_DEFAULTS, **prefect_settings()}.items():
        os.environ.setdefault(name, value)
    # Prefect's API runs on this machine: a proxy set for reaching Google must not stand in its way.
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))
    for logger, level in QUIET_LOGGERS.items():
        logging.getLogger(logger).setLevel(level)


def cache_dir() -> Path:
    """Where recueil keeps what it can compute again: the Prefect home (PREFECT_HOME, else the project's)."""
    home = os.environ.get("PREFECT_HOME")
    return Path(home).expanduser() if home else Path(prefect_settings()["PREFECT_HOME"])


def default_source(year: int) -> Path:
    """The bundled edition folder of a year."""
    return EDITIONS_DIR / str(year)
