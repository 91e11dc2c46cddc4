"""The checks report of a build: `controles.json` for machines, `controles.html` for people, Markdown for Prefect."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flows.model import SEVERITY_LABELS, STATUS_LABELS, Outcome
from flows.text import counted
from sources.files import write_atomically

KIND_LABELS = {
    "network": "Classeur réseau",
    "group": "Groupe de travail",
    "contribution": "Contribution",
}


def report_data(
    year: int | None, source: str, outcomes: Iterable[Outcome], checked: dt.datetime
) -> dict[str, Any]:
    """Every workbook of a build with its status and problems, in printing order."""
    workbooks = []
    for outcome in outcomes:
        workbooks.append(
            {
                "kind": outcome.kind,
                "name": outcome.name,
                "sheet": outcome.sheet,
                "status": outcome.status,
                "data_date": outcome.data_date,
                "modified": outcome.modified,
                "errors": len(outcome.errors),
                "warnings": len(outcome.problems) - len(outcome.errors),
                "problems": [
                    {
                        "severity": p.severity,
                        "workbook": p.workbook,
                        "tab": p.tab,
                        "cell": p.cell,
                        "found": p.found,
                        "message": p.message,
                        "text": str(p),
                    }
                    for p in outcome.problems
                ],
            }
        )
    return {
        "year": year,
        "source": source,
        "checked": checked.isoformat(timespec="seconds"),
        "errors": sum(w["errors"] for w in workbooks),
        "warnings": sum(w["warnings"] for w in workbooks),
        "workbooks": workbooks,
    }


def write_reports(data: dict[str, Any], folder: Path) -> list[Path]:
    """`controles.json` and `controles.html` in `folder`."""
    from flows.render import render_html

    json_path, html_path = folder / "controles.json", folder / "controles.html"
    write_atomically(json_path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    html = render_html(
        "controles.html",
        data=data,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        severities=SEVERITY_LABELS,
        checked=dt.datetime.fromisoformat(data["checked"]),
    )
    write_atomically(html_path, html)
    return [json_path, html_path]


def markdown(data: dict[str, Any]) -> str:
    """A Markdown table of every workbook's status, for the Prefect artifact."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"# Contrôles de l'édition {data['year']}",
        "",
        f"{counted(data['errors'], 'erreur')}, {counted(data['warnings'], 'avertissement')}.",
        "",
        "| Classeur | Nature | État | Erreurs | Avertissements | Premier problème |",
        "|---|---|---|---:|---:|---|",
    ]
    for workbook in data["workbooks"]:
        first = workbook["problems"][0]["text"] if workbook["problems"] else ""
        lines.append(
            f"| {cell(workbook['name'])} | {KIND_LABELS[workbook['kind']]} | "
            f"{STATUS_LABELS[workbook['status']]} | {workbook['errors']} | {workbook['warnings']} | "
            f"{cell(first)} |"
        )
    return "\n".join(lines) + "\n"


def write_data_docs(results: list[tuple[str, str, Any]], folder: Path) -> list[Path]:
    """Great Expectations' own pages for each validation, on request only: they load CDN assets."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    from flows.render import render_html
    from flows.text import slugify

    folder.mkdir(parents=True, exist_ok=True)
    pages, written = [], []
    for display, tab, result in results:
        name = f"{slugify(display)}-{slugify(tab)}.html"
        document = ValidationResultsPageRenderer().render(result)
        write_atomically(folder / name, DefaultJinjaPageView().render(document))
        pages.append((display, tab, name, result.success))
        written.append(folder / name)
    write_atomically(folder / "index.html", render_html("data-docs-index.html", pages=pages))
    return [*written, folder / "index.html"]
