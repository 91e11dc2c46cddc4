"""The Makefile's promises: a clear French refusal of an unsuitable Python, nothing half-installed left
behind, and routine cleaning that never touches what was published."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _make(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _fake_python(folder: Path, body: str) -> Path:
    script = folder / "fake-python"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_an_unsuitable_python_is_refused_in_french(tmp_path: Path) -> None:
    project = _project(tmp_path)
    old = _fake_python(tmp_path, "exit 1")  # fails the version check, as Python 3.10 would
    result = _make(project, f"PYTHON={old}", "setup")
    assert result.returncode != 0
    assert "recueil a besoin de Python 3.11, 3.12 ou 3.13" in result.stdout
    assert "make PYTHON=" in result.stdout
    assert not (project / ".venv").exists()


def test_a_failed_set_up_leaves_no_half_made_environment(tmp_path: Path) -> None:
    project = _project(tmp_path)
    # Passes the version check, then `-m venv .venv` makes a folder and fails, as without python3-venv.
    broken = _fake_python(
        tmp_path, 'if [ "$1" = "-m" ]; then mkdir -p "$3/bin"; exit 1; fi\nexit 0'
    )
    result = _make(project, f"PYTHON={broken}", "setup")
    assert result.returncode != 0
    assert "L'installation a échoué" in result.stdout
    assert not (project / ".venv").exists()


def test_clean_keeps_the_published_editions_and_clean_output_removes_them(tmp_path: Path) -> None:
    project = _project(tmp_path)
    published = project / "output" / "2024" / "archive" / "20240101T000000Z" / "programme-2024.pdf"
    published.parent.mkdir(parents=True)
    published.write_bytes(b"%PDF")
    (project / "output" / ".gitkeep").touch()
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".prefect" / "storage").mkdir(parents=True)

    assert _make(project, "clean").returncode == 0
    assert not (project / ".venv").exists() and not (project / ".prefect").exists()
    assert published.read_bytes() == b"%PDF"

    result = _make(project, "clean-output")
    assert result.returncode == 0
    assert "output/2024" in result.stdout
    assert [p.name for p in (project / "output").iterdir()] == [".gitkeep"]
