"""flows.interrupts.scratch_folder: a build's temporary files go with it, also when a child that is
ending still writes there while the folder is removed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
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


def test_a_child_still_writing_while_the_build_ends_leaves_nothing(tmp_path: Path) -> None:
    """A removal that met a file created after it listed the folder used to leave the folder."""
    stop = threading.Event()

    def keep_writing(folder: Path) -> None:
        number = 0
        while not stop.is_set():
            try:  # as WeasyPrint's font folders: a new folder, files in it
                made = folder / f"weasyprint-{number}"
                made.mkdir()
                for index in range(20):
                    (made / str(index)).write_bytes(b"police")
            except OSError:
                pass  # the folder is gone: nothing is created any more
            number += 1

    for _ in range(10):
        stop.clear()
        with scratch_folder(tmp_path) as folder:
            writer = threading.Thread(target=keep_writing, args=(folder,))
            writer.start()
            time.sleep(0.02)
            threading.Timer(0.1, stop.set).start()  # the child ends shortly after the build
        writer.join()
        assert not folder.exists(), list(folder.rglob("*"))
