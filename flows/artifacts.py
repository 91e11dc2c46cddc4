"""What a build shows the coordinator in Prefect's UI: one status line, the documents, their links.

Plain Markdown, made here without Prefect; flows/build.py attaches it to the run. A link must open
from the UI, which runs in a browser on another machine: a `file://` path on the machine of the build
never does. So the documents are linked at the address where `output/` is served (the build's
`publication_url`); without one, their paths are given as text, with how to get links.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from flows.model import BuildReport

# The documents a coordinator opens; the manifest and the reports' data are not documents.
DOCUMENT_SUFFIXES = (".pdf", ".xlsx")


def status_line(report: BuildReport) -> str:
    """What the build did, in one French sentence, the same words as the checks report's."""
    publication = report.publication
    state = publication["state"]
    faulty = sum(1 for o in report.outcomes if o.errors)
    if state == "published":
        return f"**Édition {report.year} publiée** dans `{publication['where']}`."
    if state == "draft":
        return (
            f"**Brouillon seulement** : {_count(faulty, 'classeur a', 'classeurs ont')} des erreurs ; "
            f"les documents provisoires sont dans `{publication['where']}` et "
            "l'édition publiée n'a pas été remplacée."
        )
    if state == "unchanged":
        return (
            f"**Rien de nouveau** : rien n'a changé depuis l'édition publiée, qui reste en place "
            f"dans `{publication['where']}`."
        )
    if publication.get("strict") == "True":
        return (
            "**Rien d'écrit** : en mode strict, la moindre erreur arrête la construction ; "
            "l'édition publiée n'a pas été remplacée."
        )
    return "**Rien d'écrit** : le classeur réseau a des erreurs ; l'édition publiée n'a pas été remplacée."


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def edition_markdown(report: BuildReport, publication_url: str | None) -> str:
    """The artifact of a build: its status line, then each document it made or left in place."""
    from flows.render import file_size

    out = Path(report.out)
    lines = [f"# Édition {report.year}", "", status_line(report), ""]
    documents = _documents(report)
    if documents:
        lines += ["| Document | Pages | Taille |", "|---|---:|---:|"]
        for path, title, pages in documents:
            where = path.relative_to(out)
            shown = (
                f"[{_cell(title)}]({_address(publication_url, where)})"
                if publication_url
                else (f"{_cell(title)} (`{where}`)")
            )
            size = file_size(path.stat().st_size)
            lines.append(f"| {shown} | {pages if pages else ''} | {size} |")
        lines.append("")
    report_page = out / str(report.year) / "controles.html"
    where = report_page.relative_to(out)
    if publication_url:
        lines.append(f"Compte rendu des contrôles : [{where}]({_address(publication_url, where)})")
    else:
        lines += [
            f"Compte rendu des contrôles : `{where}` (dans `{out}`).",
            "",
            "Pour des liens qui s'ouvrent depuis cette page, indiquez l'adresse où le dossier de "
            "sortie est servi : `--publication-url` (ou `RECUEIL_PUBLICATION_URL`), ou le paramètre "
            "`publication_url` du déploiement.",
        ]
    return "\n".join(lines) + "\n"


def _documents(report: BuildReport) -> list[tuple[Path, str, int | None]]:
    """Each document of the edition as it now stands: the draft's, else the published ones."""
    edition = Path(report.out) / str(report.year)
    state = report.publication["state"]
    if state == "draft":
        folder, described = Path(report.folder), report.documents
    elif state in ("published", "unchanged") or (edition / "manifest.json").is_file():
        folder, described = edition, _published_documents(edition)
    else:
        return []
    found = []
    for name, about in described.items():
        path = folder / name
        if path.suffix in DOCUMENT_SUFFIXES and path.is_file():
            found.append((path, str(about.get("title") or name), about.get("pages")))
    # The programme first, then the contributions, then the network's spreadsheet.
    return sorted(
        found,
        key=lambda d: (d[0].suffix != ".pdf", "/" in str(d[0].relative_to(folder)), str(d[0])),
    )


def _published_documents(edition: Path) -> dict[str, dict]:
    try:
        manifest = json.loads((edition / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    documents = manifest.get("documents")
    return documents if isinstance(documents, dict) else {}


def _address(base: str, where: Path) -> str:
    return base.rstrip("/") + "/" + quote(where.as_posix())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]").replace("\n", " ")
