"""The command line speaks French throughout: help, usage errors, the version."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from flows.cli import _parser, main
from flows.settings import ROOT

ENGLISH = (
    "usage:",
    "positional arguments",
    "show this help",
    "show program's version",
    "error:",
    "invalid choice",
    "invalid int value",
    "the following arguments are required",
    "unrecognized arguments",
    "expected one argument",
)


def _every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _every_parser(sub)
    return found


def test_recueil_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : recueil")
    assert "build" in out and "check" in out and "afficher cette aide et quitter" in out


def test_sheets_alone_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sheets"]) == 0
    assert "utilisation : recueil sheets" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("recueil ")


def test_every_help_is_in_french_with_french_spacing() -> None:
    for parser in _every_parser(_parser()):
        text = parser.format_help()
        assert text.startswith("utilisation : "), parser.prog
        for english in ENGLISH:
            assert english not in text, (parser.prog, english)
        for line in text.splitlines():
            assert not line.lstrip().startswith((":", ";", "»", "?", "!")), (parser.prog, line)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["frob"], "« frob » inconnu (au choix :"),
        (["build", "--year", "deux-mille"], "« deux-mille » n'est pas une année (exemple : 2024)"),
        (["build", "--bogus"], "arguments inconnus : --bogus"),
        (["check"], "à indiquer : CHEMIN"),
        (["build", "--source"], "--source : une valeur est attendue"),
        (["serve", "--port", "quatre"], "n'est pas un numéro de port"),
    ],
)
def test_usage_errors_are_in_french_with_exit_2(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert "utilisation : recueil" in err and " : erreur : " in err
    for english in ENGLISH:
        assert english not in err, english


def test_alerts_need_the_scheduled_runs_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr("flows.settings.DOTENV", tmp_path / ".env")  # none: nothing names a server
    assert main(["alerts", "install", "--webhook", "https://exemple.fr/alerte"]) == 2
    said = capsys.readouterr().out
    assert "Aucun serveur Prefect indiqué" in said and "PREFECT_API_URL=" in said


def test_alerts_refuse_an_address_that_is_not_a_web_address() -> None:
    from flows.alerts import AlertError, install

    with pytest.raises(AlertError, match="n'est pas une adresse web"):
        install("webhook", "file:///etc/passwd")


def test_counts_agree_in_french_rather_than_with_a_bracketed_s() -> None:
    # « 1 erreur(s) » reads as a form letter: every count agrees, zero and one in the singular.
    from flows.text import agreed, counted

    assert [counted(n, "erreur") for n in (0, 1, 2)] == ["0 erreur", "1 erreur", "2 erreurs"]
    assert counted(3, "centre anime", "centres animent") == "3 centres animent"
    assert [agreed(n, "écarté") for n in (1, 12)] == ["écarté", "écartés"]
    bracketed = re.compile(r"[\"'][^\"']*[a-zé]\(s\)")  # within a string, not `get(s)`
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("flows", "sources", "templates")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if bracketed.search(line.replace("http(s)", ""))
    ]
    assert found == []
