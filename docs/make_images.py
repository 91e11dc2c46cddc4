"""`make images`: the pictures of the README, drawn from the bundled edition's programme.

The programme is laid out as `recueil build` does (same templates, same data, no Prefect needed), then
its cover and the page where a group's record begins are rendered to PNG with pypdfium2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdfium2 as pdfium

from flows import diff, manifest, render
from flows.check import check_folder
from flows.merge import merge
from flows.settings import default_source

DOCS = Path(__file__).resolve().parent
GROUP = "Éducation"
SCALE = 1.0  # 72 dpi: about 600 × 840 pixels, enough to read the headings


def programme_pdf(year: int = 2024) -> bytes:
    """The bundled edition's programme, as the build lays it out."""
    folder = default_source(year)
    outcomes = check_folder(folder)
    network = outcomes[0].record
    groups = {o.sheet: o for o in outcomes if o.kind == "group"}
    view = merge(network, groups, [])
    previous = diff.previous_folder(year, folder)
    changes = (
        diff.compare(diff.read_facts(previous), diff.facts_of(network, groups))
        if previous
        else None
    )
    date: dt.date = manifest.data_date([outcomes[0], *groups.values()])
    return render.pdf_bytes(render.programme_html(network, groups, view, date, False, changes))


def main() -> None:
    document = pdfium.PdfDocument(programme_pdf())
    record = next(
        index
        for index in range(len(document))
        if f"« {GROUP} »"
        in document[index].get_textpage().get_text_bounded().replace("\u202f", " ")
        and index > 2
    )
    for index, name in ((0, "couverture.png"), (record, "fiche-groupe.png")):
        document[index].render(scale=SCALE).to_pil().save(DOCS / name, optimize=True)
        print(DOCS / name)


if __name__ == "__main__":
    main()
