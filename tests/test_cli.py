"""The `recueil` command as the coordinator uses it: exit status, summary, drafts, strict mode."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.cli import main
from tests.pdftext import flat, pdf_text
from tests.test_publish import edition_artifact

BUNDLED = Path(__file__).resolve().parent.parent / "sources" / "editions" / "2024"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wrap to the terminal's width; a wide one keeps each message on one line."""
    monkeypatch.setenv("COLUMNS", "300")


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    """A copy of the bundled 2024 edition that a test may break."""
    copy = tmp_path / "2024"
    shutil.copytree(BUNDLED, copy)
    return copy


def break_count(edition: Path, sheet: str, value: str) -> None:
    fiche = edition / sheet / "Fiche.csv"
    lines = fiche.read_text(encoding="utf-8").splitlines()
    lines = [
        f"Nombre de CRPV impliqués,{value}" if line.startswith("Nombre de CRPV") else line
        for line in lines
    ]
    fiche.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_build_succeeds_quietly_with_a_summary(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--out", str(tmp_path)]) == 0
    out, err = capfd.readouterr()
    assert "Édition 2024 — 15 classeurs" in out
    assert "0 erreur, 0 avertissement" in out
    assert "programme-2024.pdf" in out and "Ko" in out
    assert "contributions/le-contrat-de-ville-integrateur.pdf" in out
    # The bundled edition of the year before is found without being named.
    assert "Annexe « Évolutions » : comparaison avec l'édition 2023" in out
    for noise in ("Traceback", "| INFO", "| WARNING", "HarfBuzz"):
        assert noise not in out + err


def test_a_broken_group_is_left_out_and_the_others_printed_as_a_draft(
    edition: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    break_count(edition, "gt-cosoter", "quatorze")
    out_dir = tmp_path / "out"
    previous = tmp_path / "avant"
    shutil.copytree(BUNDLED.parent / "2023", previous)
    arguments = [
        "build",
        "--source",
        str(edition),
        "--out",
        str(out_dir),
        "--previous",
        str(previous),
        "--publication-url",
        "https://reseau.exemple.fr/sortie",
    ]
    assert main(arguments) == 1
    out, _ = capfd.readouterr()
    assert f"comparaison avec l'édition 2023 ({previous})" in out
    assert "GT Cosoter · Fiche!B2 · « quatorze » : un nombre entier est attendu" in flat(out)
    assert not (out_dir / "2024" / "programme-2024.pdf").exists(), (
        "a build with errors publishes nothing"
    )
    draft = flat(pdf_text(out_dir / "2024" / "brouillon" / "programme-2024.pdf"))
    assert "Document provisoire" in draft
    assert "Groupe de travail « Cosoter » Fiche non disponible" in draft
    assert "« quatorze »" in draft
    assert "Groupe de travail « Santé » Nombre de CRPV impliqués 8 CRPV" in draft
    checks = (out_dir / "2024" / "controles.html").read_text(encoding="utf-8")
    assert (
        "<strong>Brouillon seulement</strong> : des classeurs ont des erreurs ; les documents ont "
        f"été écrits dans <code>{out_dir / '2024' / 'brouillon'}</code>"
    ) in checks
    artifact = edition_artifact(out_dir)
    assert "**Brouillon seulement** : 1 classeur a des erreurs" in artifact
    assert "(https://reseau.exemple.fr/sortie/2024/brouillon/programme-2024.pdf)" in artifact


def test_a_draft_never_replaces_the_published_edition(edition: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 0
    published = (out_dir / "2024" / "programme-2024.pdf").read_bytes()
    break_count(edition, "gt-sante", "0") if (edition / "gt-sante").exists() else break_count(
        edition, "gt-cosoter", "0"
    )
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 1
    assert (out_dir / "2024" / "programme-2024.pdf").read_bytes() == published
    assert (out_dir / "2024" / "brouillon" / "programme-2024.pdf").exists()


def test_strict_writes_nothing_on_error(
    edition: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    break_count(edition, "gt-cosoter", "99")
    out_dir = tmp_path / "out"
    assert main(["build", "--source", str(edition), "--out", str(out_dir), "--strict"]) == 1
    out, err = capfd.readouterr()
    assert "Mode strict" in out
    assert "Traceback" not in out + err, "the Failed run is said in French, never as a traceback"
    assert "un nombre de 1 à 20 est attendu" in flat(out)
    written = {
        p.suffix
        for p in out_dir.rglob("*")
        if p.is_file() and "donnees-valides" not in p.parts and not p.name.startswith(".")
    }
    assert written == {".html", ".json"}, "only the checks report, no document"
    checks = (out_dir / "2024" / "controles.html").read_text(encoding="utf-8")
    assert "<strong>Rien d'écrit</strong> : en mode strict" in checks


def test_year_that_does_not_match_the_network_workbook(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--year", "2023", "--source", str(BUNDLED), "--out", str(tmp_path)]) == 1
    out, _ = capfd.readouterr()
    assert "l'édition demandée est 2023 mais le classeur réseau décrit l'année 2024" in flat(out)


def test_usage_errors_exit_with_2(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--year", "deux-mille"])
    assert exit_info.value.code == 2
    assert main(["build", "--source", str(tmp_path / "absent")]) == 2
    out, _ = capfd.readouterr()
    assert "Dossier d'édition introuvable" in out


def test_a_broken_group_is_printed_from_its_last_valid_copy(
    edition: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 0
    break_count(edition, "gt-cosoter", "onze")
    capfd.readouterr()
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 1
    out, _ = capfd.readouterr()
    assert "1 imprimé avec ses données antérieures" in out
    assert "la dernière version valide (données du" in out
    draft = flat(pdf_text(out_dir / "2024" / "brouillon" / "programme-2024.pdf"))
    record = draft[draft.index("Groupe de travail « Cosoter » Données du") :]
    assert "« onze » : un nombre entier est attendu" in record[:400]
    assert "Nombre de CRPV impliqués 11 CRPV" in record[:800]
    report = (out_dir / "2024" / "controles.html").read_text(encoding="utf-8")
    assert "données antérieures" in report


def test_check_an_edition_prints_problems_by_workbook(
    edition: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(BUNDLED)]) == 0
    break_count(edition, "gt-cosoter", "quatorze")
    capfd.readouterr()
    assert main(["check", str(edition)]) == 1
    out = flat(capfd.readouterr().out)
    assert "GT Cosoter" in out and "Fiche!B2" in out and "« quatorze »" in out
    assert "écarté" in out and "prêt" in out


def test_check_one_workbook_uses_its_editions_centres(
    edition: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fiche = edition / "gt-cosoter" / "Fiche.csv"
    fiche.write_text(
        fiche.read_text(encoding="utf-8").replace("Cité Ressources", "Cite Resources"),
        encoding="utf-8",
    )
    assert main(["check", str(edition / "gt-cosoter")]) == 1
    out = flat(capfd.readouterr().out)
    assert "vouliez-vous dire « Cité Ressources » ?" in out
    alone = tmp_path / "seul"
    shutil.copytree(edition / "gt-cosoter", alone)
    assert main(["check", str(alone)]) == 2
    assert "indiquez-le avec --reseau" in flat(capfd.readouterr().out)
    assert main(["check", str(alone), "--reseau", str(edition / "reseau")]) == 1


def test_data_docs_only_on_request(tmp_path: Path) -> None:
    assert main(["build", "--out", str(tmp_path / "a")]) == 0
    assert not (tmp_path / "a" / "2024" / "data-docs").exists()
    assert main(["build", "--out", str(tmp_path / "b"), "--data-docs"]) == 0
    index = (tmp_path / "b" / "2024" / "data-docs" / "index.html").read_text(encoding="utf-8")
    assert "GT Santé — onglet Fiche" in index
    assert len(list((tmp_path / "b" / "2024" / "data-docs").glob("*.html"))) > 20


def test_every_command_is_documented_in_the_readme() -> None:
    import argparse

    from flows.cli import _parser

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

    def commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append(f"{prefix} {name}")
                    found += commands(sub, f"{prefix} {name}")
        return found

    def options(parser: argparse.ArgumentParser) -> set[str]:
        found = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= options(sub)
        return found - {"--help"}

    names = commands(_parser(), "recueil")
    assert len(names) >= 7
    for name in names:
        assert name in readme, name
    every_option = options(_parser())
    assert {"--google", "--strict", "--version", "--previous"} <= every_option
    for option in sorted(every_option):
        assert option in readme, option


def test_a_missing_previous_edition_is_a_usage_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--out", str(tmp_path), "--previous", str(tmp_path / "absent")]) == 2
    assert "Édition précédente introuvable" in capfd.readouterr().out


def test_an_unreachable_prefect_server_is_said_plainly(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["build"]) == 2
    out = capfd.readouterr().out
    assert "Le serveur Prefect http://127.0.0.1:9/api ne répond pas" in out
    assert "Traceback" not in out


def test_an_unchanged_valid_copy_is_not_rewritten(edition: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 0
    saved = out_dir / "2024" / "donnees-valides" / "gt-cosoter" / "_recueil.json"
    first = saved.read_text(encoding="utf-8")
    fiche = edition / "gt-education" / "Fiche.csv"
    fiche.write_text(
        fiche.read_text(encoding="utf-8").replace("14 CRPV", "13 CRPV"), encoding="utf-8"
    )
    assert main(["build", "--source", str(edition), "--out", str(out_dir)]) == 0
    assert saved.read_text(encoding="utf-8") == first, (
        "Cosoter did not change: its copy is kept as is"
    )
    education = out_dir / "2024" / "donnees-valides" / "gt-education" / "Fiche.csv"
    assert "13 CRPV" in education.read_text(encoding="utf-8")
