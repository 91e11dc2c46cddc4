"""The hostile corpus, built once by `recueil build` in a process of its own (so that a hang or an abort
fails the test instead of the suite) and checked once by `recueil check`: every case gets its French
message, nothing outside the edition reaches any output, and the published edition is left intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.hostile import (
    CANARY,
    CONTRIBUTIONS,
    ENVIRONMENT_CANARY,
    HOSTILE,
    LONG_SUBJECT,
    Hostile,
    make_hostile_edition,
)
from tests.pdftext import flat, pdf_text

BUILD_SECONDS = 600  # generous: a hang or a runaway file would take for ever
LEAKS = (CANARY, ENVIRONMENT_CANARY, "root:x:0:0")


def run(
    arguments: list[str], prefect_home: Path, timeout: int
) -> tuple[subprocess.CompletedProcess, float]:
    environment = {
        **os.environ,
        "RECUEIL_CANARI": ENVIRONMENT_CANARY,
        "COLUMNS": "300",
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(prefect_home / "storage"),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        check=False,
    )
    return done, time.monotonic() - started


def publish_an_edition(out: Path) -> None:
    """A published edition, put in place by the real publication code, that no draft may touch."""
    from flows import publish

    staging = publish.staging_folder(out)
    (staging / "programme-2024.pdf").write_bytes(b"%PDF-1.7 edition publiee")
    publish.publish(staging, out / "2024", {"inputs": "edition publiee"})


def published_files(edition: Path) -> dict[str, bytes]:
    return {name: (edition / name).read_bytes() for name in ("programme-2024.pdf", "manifest.json")}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile")
    out = root / "out"
    publish_an_edition(out)
    before = published_files(out / "2024")
    edition = make_hostile_edition(root)
    built, seconds = run(
        ["build", "--source", str(edition), "--out", str(out)], root / "prefect", BUILD_SECONDS
    )
    checked, _ = run(["check", str(edition)], root / "prefect", BUILD_SECONDS)
    report = json.loads((out / "2024" / "controles.json").read_text(encoding="utf-8"))
    problems = [p for w in report["workbooks"] for p in w["problems"]]
    draft = out / "2024" / "brouillon"
    programme = flat(pdf_text(draft / "programme-2024.pdf"))
    return {
        "out": out,
        "built": built,
        "checked": checked,
        "seconds": seconds,
        "problems": problems,
        "report": report,
        "programme": programme,
        "draft": draft,
        "before": before,
    }


def test_the_build_and_the_check_end_with_a_french_report_not_a_traceback(hostile) -> None:
    built, checked = hostile["built"], hostile["checked"]
    assert built.returncode == 1, built.stdout + built.stderr
    assert checked.returncode == 1, checked.stdout + checked.stderr
    for done in (built, checked):
        assert "Traceback" not in done.stdout + done.stderr
    assert "Brouillon (« Document provisoire ») écrit" in built.stdout
    assert hostile["seconds"] < BUILD_SECONDS


@pytest.mark.parametrize("case", [c for c in HOSTILE if c.severity], ids=lambda c: c.id)
def test_each_hostile_case_gets_its_message(hostile, case: Hostile) -> None:
    matching = [
        p
        for p in hostile["problems"]
        if p["workbook"] == case.display
        and p["severity"] == case.severity
        and p["tab"] == case.tab
        and (p["cell"] or "").startswith(case.cell or "")
        and (case.cell is not None or p["cell"] is None)
        and all(word in p["text"] for word in case.words)
    ]
    assert matching, [p["text"] for p in hostile["problems"] if p["workbook"] == case.display]
    assert case.display in hostile["checked"].stdout  # `recueil check` says it too


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.id)
def test_each_hostile_case_is_printed_or_left_out(hostile, case: Hostile) -> None:
    title = f"Groupe de travail « {case.name} »"
    if case.printed:
        assert f"{title} Nombre de CRPV impliqués" in hostile["programme"]
        errors = [
            p["text"]
            for p in hostile["problems"]
            if p["workbook"] == case.display and p["severity"] == "error"
        ]
        assert errors == []
    else:
        assert f"{title} Fiche non disponible" in hostile["programme"]


def test_nothing_outside_the_edition_reaches_any_output(hostile) -> None:
    seen = 0
    for path in hostile["out"].rglob("*"):
        if not path.is_file() or path.is_symlink() or "archive" in path.parts:
            continue  # archive/ holds only the edition published before, compared byte for byte
        if path.suffix == ".pdf":
            text = pdf_text(path)
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                text = "".join(
                    archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                )
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        seen += 1
        for leak in LEAKS:
            assert leak not in text, (path, leak)
    assert seen > 20  # documents, checks report, index, last valid copies
    for done in (hostile["built"], hostile["checked"]):
        for leak in LEAKS:
            assert leak not in done.stdout + done.stderr


def test_the_published_edition_is_intact(hostile) -> None:
    assert published_files(hostile["out"] / "2024") == hostile["before"]


def test_a_source_folder_cannot_set_the_printed_date(hostile) -> None:
    assert "2099" not in hostile["programme"]
    dates = {w["name"]: w["data_date"] for w in hostile["report"]["workbooks"]}
    assert not (dates["Cas H16"] or "").startswith("2099")


def test_distinct_contributions_give_distinct_bounded_files(hostile) -> None:
    names = sorted(p.name for p in (hostile["draft"] / "contributions").iterdir())
    assert len(names) == 2 + len(CONTRIBUTIONS), names
    assert all(len(name) <= 100 for name in names)
    long = next(n for n in names if n.startswith("une-contribution-au-sujet"))
    assert flat(LONG_SUBJECT)[:60] in flat(pdf_text(hostile["draft"] / "contributions" / long))
    twins = [n for n in names if n.startswith("sujet-jumeau")]
    assert len(twins) == 2


def test_a_long_markdown_introduction_is_read_and_its_lost_nesting_reported(hostile) -> None:
    contribution = "Contribution « Sujet : jumeau ! »"
    problems = [p for p in hostile["problems"] if p["workbook"] == contribution]
    assert not [p for p in problems if p["severity"] == "error"], problems
    assert any("Markdown trop imbriqué" in p["text"] for p in problems)


def test_terminal_values_are_shown_literally(hostile) -> None:
    output = " ".join(hostile["built"].stdout.split())
    assert "« :x: [bold]hors en-tête[/bold] »" in output


def test_a_nul_byte_in_the_network_is_removed_with_a_warning_where_it_was(hostile) -> None:
    row = 14 + [c.id for c in HOSTILE].index("H24")  # after the header and the twelve real groups
    network = [p for p in hostile["problems"] if p["workbook"] == "Réseau"]
    assert any(
        (p["tab"], p["cell"]) == ("Groupes", f"B{row}") and "U+0000" in p["text"] for p in network
    ), [p["text"] for p in network]
