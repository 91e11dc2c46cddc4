"""The HTML recueil lays out for an edition, kept for the floor: `python -m bench.capture EDITION HTML`.

Runs a real build into a throw-away folder and keeps each document's HTML as it reaches WeasyPrint.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main() -> None:
    edition, html_folder = Path(sys.argv[1]), Path(sys.argv[2])
    html_folder.mkdir(parents=True, exist_ok=True)

    from flows import render
    from flows.build import build_edition

    laid_out = render.pdf_bytes

    def keeping(html: str, *args: object, **kwargs: object) -> bytes:
        index = len(list(html_folder.glob("*.html")))
        (html_folder / f"{index:03}.html").write_text(html, encoding="utf-8")
        return laid_out(html, *args, **kwargs)

    render.pdf_bytes = keeping
    with tempfile.TemporaryDirectory(prefix="recueil-bench-capture-") as out:
        build_edition(source=str(edition), out=out)
    print(f"{len(list(html_folder.glob('*.html')))} documents gardés dans {html_folder}")


if __name__ == "__main__":
    main()
