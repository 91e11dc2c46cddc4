"""The `recueil` command: build an edition and say plainly what happened."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from flows.build import BuildReport

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recueil",
        description="Produit le programme annuel et les contributions du réseau à partir des classeurs des groupes.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    build = commands.add_parser(
        "build",
        help="produire les documents d'une édition",
        description="Lit les classeurs d'une édition, les contrôle et produit les documents dans output/<année>/.",
    )
    build.add_argument(
        "--year",
        type=int,
        help="année de l'édition (par défaut : celle du classeur réseau, 2024 pour l'édition fournie)",
    )
    build.add_argument(
        "--source", type=Path, help="dossier de l'édition (par défaut : sources/editions/<année>/)"
    )
    build.add_argument("--out", type=Path, help="dossier de sortie (par défaut : output/)")
    build.add_argument(
        "--strict", action="store_true", help="échouer sans rien écrire à la moindre erreur"
    )
    build.add_argument(
        "--data-docs",
        action="store_true",
        help="écrire aussi les pages « Data Docs » de Great Expectations (elles chargent des styles en ligne)",
    )
    check = commands.add_parser(
        "check",
        help="contrôler un classeur ou une édition sans rien produire",
        description="Contrôle un classeur (dossier CSV, .xlsx, .ods) ou tout un dossier d'édition et affiche ses problèmes.",
    )
    check.add_argument(
        "path", type=Path, metavar="CHEMIN", help="un classeur ou un dossier d'édition"
    )
    check.add_argument(
        "--reseau",
        type=Path,
        help="classeur réseau dont la liste des centres sert au contrôle (par défaut : celui du même dossier)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `recueil` console command."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "build":
        return _build(arguments)
    if arguments.command == "check":
        return _check(arguments)
    return USAGE_ERROR


def _check(arguments: argparse.Namespace) -> int:
    console = _console()
    with console.status("Contrôle des classeurs…"):
        from flows.check import UsageError, check_path

        try:
            outcomes = check_path(arguments.path, arguments.reseau)
        except UsageError as error:
            console.print(f"[red]{_escape(str(error))}[/]")
            return USAGE_ERROR
    _problems_table(console, outcomes)
    return 1 if any(o.errors for o in outcomes) else 0


def _problems_table(console: Console, outcomes: list) -> None:
    from rich.table import Table

    status_style = {"ok": "green", "données antérieures": "yellow", "écarté": "red"}
    overview = Table(title="Classeurs", title_justify="left", show_lines=False)
    for column in ("Classeur", "État", "Erreurs", "Avertissements"):
        overview.add_column(
            column, justify="right" if column in ("Erreurs", "Avertissements") else "left"
        )
    for outcome in outcomes:
        label = {"ok": "prêt"}.get(outcome.status, outcome.status)
        overview.add_row(
            _escape(outcome.name),
            f"[{status_style[outcome.status]}]{label}[/]",
            str(len(outcome.errors)),
            str(len(outcome.problems) - len(outcome.errors)),
        )
    console.print(overview)
    for outcome in outcomes:
        if not outcome.problems:
            continue
        table = Table(
            title=_escape(outcome.problems[0].workbook), title_justify="left", expand=True
        )
        table.add_column("Gravité", no_wrap=True)
        table.add_column("Où", no_wrap=True)
        table.add_column("Valeur trouvée", overflow="fold", ratio=1)
        table.add_column("Ce qui est attendu", ratio=2, min_width=30)
        for problem in outcome.problems:
            severity = (
                "[red]erreur[/]" if problem.severity == "error" else "[yellow]avertissement[/]"
            )
            found = "" if problem.found is None else f"« {_short(problem.found)} »"
            table.add_row(
                severity, _escape(problem.where), _escape(found), _escape(problem.message)
            )
        console.print(table)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _build(arguments: argparse.Namespace) -> int:
    from flows.settings import default_source

    console = _console()
    source = arguments.source or default_source(arguments.year or 2024)
    if not source.is_dir():
        console.print(f"[red]Dossier d'édition introuvable :[/] {source}")
        return USAGE_ERROR
    with _Progress(console) as listener:
        from flows import progress
        from flows.build import build_edition, warm_up

        warm_up()
        progress.listen(listener)
        try:
            report = build_edition(
                year=arguments.year,
                source=str(source),
                out=str(arguments.out) if arguments.out else None,
                strict=arguments.strict,
                data_docs=arguments.data_docs,
            )
        finally:
            progress.listen(None)
    _summary(console, report)
    return report.exit_code


class _Progress:
    """Rich progress bars fed by the pipeline's progress events."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[dim]{task.fields[label]}"),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("Démarrage de Prefect", total=None, label="")

    def __enter__(self) -> _Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage(self, description: str, total: int | None = None) -> None:
        self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(description, total=total, label="")

    def advance(self, label: str) -> None:
        self._progress.update(self._task, advance=1, label=label)


def _size(size: int) -> str:
    from babel.numbers import format_decimal

    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, '#,##0', locale='fr_FR')} Ko"
    return f"{format_decimal(size / 1024 / 1024, '#,##0.0', locale='fr_FR')} Mo"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _summary(console: Console, report: BuildReport) -> None:
    outcomes = report.outcomes
    counts = {
        status: sum(o.status == status for o in outcomes)
        for status in ("ok", "données antérieures", "écarté")
    }
    console.print(
        f"[bold]Édition {report.year}[/] — {_plural(len(outcomes), 'classeur')} : "
        f"{counts['ok']} prêt(s), {counts['données antérieures']} imprimé(s) avec leurs données antérieures, "
        f"{counts['écarté']} écarté(s)"
    )
    errors, warnings = len(report.errors), len(report.warnings)
    colour = "red" if errors else ("yellow" if warnings else "green")
    console.print(
        f"[{colour}]Problèmes : {_plural(errors, 'erreur')}, {_plural(warnings, 'avertissement')}[/]"
    )
    for problem in report.problems:
        mark = "[red]✗[/]" if problem.severity == "error" else "[yellow]![/]"
        console.print(f"  {mark} {_escape(str(problem))}")
    out = Path(report.out)
    if report.strict and report.errors:
        console.print("[red]Mode strict : aucun document écrit.[/]")
    elif not report.files:
        console.print(
            "[red]Aucun document écrit : le classeur réseau doit d'abord être corrigé.[/]"
        )
    else:
        kind = "Brouillon (« Document provisoire ») écrit" if report.draft else "Documents écrits"
        console.print(f"{kind} dans {report.folder}/ :")
        for path, size in report.files:
            console.print(f"  {Path(path).relative_to(report.folder)}  [dim]{_size(size)}[/]")
        if report.draft:
            console.print(
                f"[yellow]Les documents publiés dans {out / str(report.year)}/ n'ont pas été remplacés.[/]"
            )
    for path, size in report.reports:
        if path.endswith("controles.html"):
            console.print(f"Compte rendu des contrôles : {path}  [dim]{_size(size)}[/]")
        elif path.endswith("data-docs/index.html"):
            console.print(f"Data Docs de Great Expectations : {path}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    sys.exit(main())
