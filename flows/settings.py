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

# Defaults only: anything the user exports wins.
PREFECT_DEFAULTS = {
    "PREFECT_HOME": str(ROOT / ".prefect"),
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # The temporary API server is stopped when the build ends, sometimes mid-flush of its run
    # history; that history is of no use to a one-off build and its shutdown errors must not show.
    "PREFECT_LOGGING_SERVER_LEVEL": "CRITICAL",
}


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
    "great_expectations": logging.ERROR,
    "weasyprint": logging.ERROR,
    "fontTools": logging.ERROR,
}


def configure_prefect() -> None:
    """Point Prefect at the project's own home, quiet and offline, before it is imported."""
    load_dotenv()
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # Prefect's API runs on this machine: a proxy set for reaching Google must not stand in its way.
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))
    for logger, level in QUIET_LOGGERS.items():
        logging.getLogger(logger).setLevel(level)


def default_source(year: int) -> Path:
    """The bundled edition folder of a year."""
    return EDITIONS_DIR / str(year)
