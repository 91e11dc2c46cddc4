"""The one way recueil replaces a file: whole or not at all, readable as the umask says."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sources.files import write_atomically


def test_a_file_is_replaced_whole_with_the_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sous-dossier" / "controles.json"
    previous = os.umask(0o022)
    try:
        write_atomically(target, "première")
        write_atomically(target, b"seconde")
    finally:
        os.umask(previous)
    assert target.read_text(encoding="utf-8") == "seconde"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["controles.json"], "no partial file left"


def test_a_failed_replacement_leaves_what_was_there(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    target.mkdir()  # a folder where the file should go: the rename fails
    (target / "garde").write_text("intact", encoding="utf-8")
    with pytest.raises(OSError):
        write_atomically(target, "<html>")
    assert (target / "garde").read_text(encoding="utf-8") == "intact"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"], "no partial file left"
