"""`recueil check` remembers its checks by content: an unchanged workbook costs no Great Expectations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EDITION_2024

ROOT = Path(__file__).resolve().parent.parent


def _cache(home: Path) -> Path:
    """Where checks are remembered when Prefect's home and results are in `home`."""
    return home / "storage" / "controles"


def _check(path: Path, home: Path) -> tuple[int, str, list[str], int]:
    """`recueil check PATH` in a new process, Prefect's home and results in `home`; its exit code,
    output, the heavy modules it imported and the number of checks it sent to Great Expectations'
    process (counted on the way, not changed)."""
    probe = (
        "import sys\n"
        "from flows import checking\n"
        "from flows.cli import main\n"
        "sent = []\n"
        "call = checking.CheckProcess._call\n"
        "checking.CheckProcess._call = lambda self, *a: sent.append(a[0]) or call(self, *a)\n"
        f"code = main(['check', {str(path)!r}])\n"
        "heavy = [m for m in ('prefect', 'great_expectations', 'pandas', 'weasyprint') if m in sys.modules]\n"
        "print('HEAVY', *heavy)\n"
        "print('SENT', len(sent))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(home / "storage"),
        },
    )
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    heavy = next(line for line in lines if line.startswith("HEAVY"))
    sent = next(line for line in lines if line.startswith("SENT"))
    output = "\n".join(line for line in lines if not line.startswith(("HEAVY", "SENT")))
    return done.returncode, output, heavy.split()[1:], int(sent.split()[1])


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    copy = tmp_path / "2024"
    shutil.copytree(EDITION_2024, copy)
    return copy


def test_an_unchanged_workbook_is_answered_without_great_expectations(
    edition: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    code, first, heavy, sent = _check(edition / "gt-cosoter", home)
    assert code == 0 and sent > 0 and heavy == []  # GX in its own process, on the other core
    assert list(_cache(home).glob("*.pickle"))
    code, again, heavy, sent = _check(edition / "gt-cosoter", home)
    assert code == 0 and sent == 0 and heavy == []
    assert again == first

    fiche = edition / "gt-cosoter" / "Fiche.csv"
    lines = fiche.read_text(encoding="utf-8").splitlines()
    lines = [
        "Nombre de CRPV impliqués,onze" if line.startswith("Nombre de CRPV") else line
        for line in lines
    ]
    fiche.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, changed, heavy, sent = _check(edition / "gt-cosoter", home)
    assert code == 1 and sent > 0
    assert "un nombre entier est attendu" in changed


def test_an_unchanged_edition_is_answered_without_great_expectations(
    edition: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    code, first, heavy, sent = _check(edition, home)
    assert code == 0 and sent > 0 and heavy == []
    code, again, heavy, sent = _check(edition, home)
    assert code == 0 and sent == 0 and heavy == []
    assert again == first
    assert "Cosoter" in again and "prêt" in again


def test_an_unreadable_entry_is_checked_again(edition: Path, tmp_path: Path) -> None:
    from flows.check import check_path

    cache = _cache(tmp_path / "home")
    first = check_path(edition / "gt-cosoter", None, cache)
    entries = list(cache.glob("*.pickle"))
    assert len(entries) == 2  # the network and the group
    for entry in entries:
        entry.write_bytes(b"\x80\x05coupure")
    assert check_path(edition / "gt-cosoter", None, cache) == first
    assert all(entry.read_bytes() != b"\x80\x05coupure" for entry in entries)
    assert not list(cache.glob(".*"))  # no half-written entry


def test_a_build_remembers_its_checks_for_the_next_check(
    edition: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group that runs `recueil check` on a workbook the last build read gets its answer at once."""
    from flows.build import build_edition

    home = tmp_path / "home"
    monkeypatch.setenv("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(home / "storage"))
    report = build_edition(source=str(edition), out=str(tmp_path / "out"))
    assert report.exit_code == 0
    assert len(list(_cache(home).glob("*.pickle"))) >= len(report.outcomes)
    code, output, heavy, sent = _check(edition / "gt-sante.xlsx", home)
    assert code == 0 and sent == 0 and heavy == [], output
    assert "Santé" in output
