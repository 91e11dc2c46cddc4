"""flows.interrupts.scratch_folder: a build's temporary files go with it, and those of a build that
was killed go with the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from flows.interrupts import scratch_folder


def test_the_folder_is_the_builds_and_children_get_it_as_tmpdir(tmp_path: Path) -> None:
    before = os.environ.get("TMPDIR")
    with scratch_folder(tmp_path) as folder:
        assert folder == tmp_path / str(os.getpid())
        assert Path(tempfile.mkdtemp()).parent == folder
        child = subprocess.run(
            [sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert child.stdout.strip() == str(folder)
    assert not folder.exists()
    assert os.environ.get("TMPDIR") == before


def test_a_dead_builds_folder_is_removed_by_the_next_one(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    left = tmp_path / dead.stdout.decode().strip()
    (left / "weasyprint-x").mkdir(parents=True)
    with scratch_folder(tmp_path):
        assert not left.exists()
