"""One set of Prefect settings: what `prefect` commands read in the project is what recueil applies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.settings import ROOT, configure_prefect, prefect_settings


def _without_prefect_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


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


def test_recueil_applies_the_same_settings_from_anywhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("PREFECT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    configure_prefect()
    assert os.environ["PREFECT_HOME"] == str(ROOT / ".prefect")
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "WARNING"
    for name, value in prefect_settings().items():
        assert os.environ[name] == value


def test_what_the_user_exports_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    configure_prefect()
    assert os.environ["PREFECT_HOME"] == str(tmp_path)
