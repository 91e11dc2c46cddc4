"""« Rien de nouveau » from the inputs' fingerprint, before Prefect or any heavy library is imported."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from flows import preflight
from flows.cli import main
from tests.helpers import EDITION_2024, run_probe

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = {"year": None, "strict": False}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    scratch = tmp_path_factory.mktemp("preflight")
    edition, out = scratch / "edition", scratch / "out"
    shutil.copytree(EDITION_2024, edition)
    assert main(["build", "--source", str(edition), "--out", str(out)]) == 0
    return edition, out


def test_an_unchanged_rebuild_imports_nothing_heavy(published: tuple[Path, Path]) -> None:
    edition, out = published
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        f"code = main(['build', '--source', {str(edition)!r}, '--out', {str(out)!r}])\n"
        "heavy = [m for m in ('prefect', 'great_expectations', 'pandas', 'weasyprint', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    done = run_probe(probe)
    assert done.returncode == 0, done.stderr
    assert "Rien de nouveau" in done.stdout
    assert "HEAVY []" in done.stdout


def test_any_change_to_a_workbook_or_a_link_makes_a_real_build(
    published: tuple[Path, Path],
) -> None:
    edition, out = published
    assert preflight.unchanged(preflight.inputs(edition, None, OPTIONS), out) == out / "2024"
    assert (
        preflight.unchanged(preflight.inputs(edition, None, {**OPTIONS, "strict": True}), out)
        is None
    )

    fiche = edition / "gt-cosoter" / "Fiche.csv"
    original = fiche.read_bytes()
    fiche.write_bytes(original + b"Contact,cosoter@exemple.fr\n")
    try:
        assert preflight.unchanged(preflight.inputs(edition, None, OPTIONS), out) is None
    finally:
        fiche.write_bytes(original)
    assert preflight.unchanged(preflight.inputs(edition, None, OPTIONS), out) is not None

    link = edition / "gt-cosoter" / "Notes.csv"
    os.symlink("/etc/hostname", link)
    try:
        assert preflight.unchanged(preflight.inputs(edition, None, OPTIONS), out) is None
    finally:
        link.unlink()


def test_another_publication_since_makes_a_real_build(published: tuple[Path, Path]) -> None:
    edition, out = published
    record = out / "2024" / preflight.RECORD
    saved = record.read_text(encoding="utf-8")
    try:
        # As if a scheduled run elsewhere had switched `publie` to another archive since.
        record.write_text(json.dumps({**json.loads(saved), "archive": "20990101T000000Z"}))
        assert preflight.unchanged(preflight.inputs(edition, None, OPTIONS), out) is None
    finally:
        record.write_text(saved, encoding="utf-8")
