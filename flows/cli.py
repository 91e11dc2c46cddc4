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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `recueil` console command."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "build":
        return _build(arguments)
    return USAGE_ERROR


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
    kept_out = [o for o in outcomes if not o.ok]
    console.print(
        f"[bold]Édition {report.year or '?'}[/] — {_plural(len(outcomes), 'classeur')} lu(s), "
        f"{len(outcomes) - len(kept_out)} sans erreur"
    )
    errors, warnings = len(report.errors), len(report.warnings)
    colour = "red" if errors else ("yellow" if warnings else "green")
    console.print(
        f"[{colour}]Problèmes : {_plural(errors, 'erreur')}, {_plural(warnings, 'avertissement')}[/]"
    )
    for problem in report.problems:
        mark = "[red]✗[/]" if problem.severity == "error" else "[yellow]![/]"
        console.print(f"  {mark} {_escape(str(problem))}")
    if kept_out:
        names = ", ".join(o.name for o in kept_out)
        console.print(f"[red]Laissé(s) de côté à cause d'erreurs :[/] {_escape(names)}")
    if report.strict and report.errors:
        console.print("[red]Mode strict : aucun document écrit.[/]")
    elif not report.files:
        console.print(
            "[red]Aucun document écrit : le classeur réseau doit d'abord être corrigé.[/]"
        )
    else:
        kind = "Brouillon (document provisoire) écrit" if report.draft else "Documents écrits"
        console.print(f"{kind} dans {report.folder}/ :")
        for path, size in report.files:
            console.print(f"  {Path(path).relative_to(report.folder)}  [dim]{_size(size)}[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    sys.exit(main())
