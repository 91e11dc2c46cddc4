"""The floor of the benchmark: what any pipeline on this stack must at least do for an edition.

Read every tab of every workbook, import Great Expectations and validate each tab, and lay out the
very HTML that recueil renders with WeasyPrint: nothing else (no Prefect, no merge, no publication).
`python -m bench.floor EDITION HTML_FOLDER`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def read_tabs(edition: Path) -> list:
    """Every tab of every workbook of the edition folder, as pandas frames."""
    import pandas as pd
    from python_calamine import CalamineWorkbook

    frames = []
    for path in sorted(edition.rglob("*")):
        if path.suffix == ".csv":
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        elif path.suffix in (".xlsx", ".ods"):
            workbook = CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                rows = workbook.get_sheet_by_name(name).to_python()
                if rows:
                    header = [str(c) for c in rows[0]]
                    frames.append(
                        pd.DataFrame([r[: len(header)] for r in rows[1:]], columns=header)
                    )
    return frames


def validate(frames: list) -> int:
    """Each frame against a suite of its own shape (one expectation a column, and a row count)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batches = context.data_sources.add_pandas("floor").add_dataframe_asset("tabs")
    definition = batches.add_batch_definition_whole_dataframe("tab")
    failures = 0
    for index, frame in enumerate(frames):
        suite = gx.ExpectationSuite(
            name=f"tab-{index}",
            expectations=[
                gx.expectations.ExpectTableRowCountToBeBetween(min_value=0),
                *(gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in frame.columns),
            ],
        )
        result = definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
        failures += not result.success
    return failures


def render(html_folder: Path) -> int:
    """Each HTML file of the folder laid out as a PDF, with recueil's own templates folder as base."""
    from weasyprint import HTML

    templates = Path(__file__).resolve().parent.parent / "templates"
    pages = 0
    for page in sorted(html_folder.glob("*.html")):
        html = HTML(string=page.read_text(encoding="utf-8"), base_url=f"{templates}/")
        document = html.render(pdf_variant="pdf/ua-1")
        document.write_pdf(pdf_variant="pdf/ua-1")
        pages += len(document.pages)
    return pages


def main() -> None:
    edition, html_folder = Path(sys.argv[1]), Path(sys.argv[2])
    frames = read_tabs(edition)
    validate(frames)
    pages = render(html_folder)
    print(f"{len(frames)} onglets validés, {pages} pages mises en page")


if __name__ == "__main__":
    main()
