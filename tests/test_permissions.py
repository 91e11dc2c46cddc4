"""Published editions, drafts, kept copies and the index follow the user's umask like any other file,
so that a web server, a shared folder or a worker under another account can read them."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows import publish
from flows.cli import main

NOBODY = 65534


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _everything(folder: Path) -> list[Path]:
    return [folder, *folder.rglob("*")]


def _readable_by_others(path: Path) -> bool:
    mode = path.stat().st_mode
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & wanted == wanted


@pytest.fixture(scope="module")
def built() -> Iterator[Path]:
    # Not under pytest's own temporary folder: it is private (0700), as a home folder would be.
    shared = Path(tempfile.gettempdir()) / f"recueil-shared-{secrets.token_hex(4)}"
    shared.mkdir(mode=0o755)
    try:
        with umask(0o022):
            assert main(["build", "--out", str(shared / "output")]) == 0
        yield shared / "output"
    finally:
        shutil.rmtree(shared)


def test_a_build_under_umask_022_leaves_everything_readable_by_others(built: Path) -> None:
    edition = built / "2024"
    archive = (edition / "publie").resolve()
    assert archive.parent.name == "archive"
    kept = edition / "donnees-valides"
    assert kept.is_dir()
    for path in [*_everything(archive), *_everything(kept), built / "index.html"]:
        if not path.is_symlink():
            assert _readable_by_others(path), f"{path}: {stat.filemode(path.stat().st_mode)}"


@pytest.mark.skipif(os.geteuid() != 0, reason="reading as another account needs root to switch")
def test_another_account_reads_the_published_programme(built: Path) -> None:
    programme = built / "2024" / "programme-2024.pdf"
    read = subprocess.run(
        ["wc", "-c", str(programme)],
        user=NOBODY,
        group=NOBODY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert read.returncode == 0, read.stderr
    assert int(read.stdout.split()[0]) == programme.stat().st_size


def test_a_draft_follows_the_umask_too(tmp_path: Path) -> None:
    for mask, shared in ((0o022, True), (0o077, False)):
        out = tmp_path / f"out-{mask:o}"
        with umask(mask):
            staging = publish.staging_folder(out)
            (staging / "programme-2024.pdf").write_bytes(b"%PDF")
            draft = publish.publish_draft(staging, out / "2024")
        assert all(_readable_by_others(p) == shared for p in _everything(draft)), mask
