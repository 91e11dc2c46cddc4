"""The HTML recueil lays out for an edition, kept for the floor: `python -m bench.capture EDITION HTML`.

Runs a real build into a throw-away folder and keeps each document's HTML as it is handed to the
layout workers.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main() -> None:
    edition, html_folder = Path(sys.argv[1]), Path(sys.argv[2])
    html_folder.mkdir(parents=True, exist_ok=True)

    import os

    from flows import server
    from flows.settings import apply_prefect, resolve

    # Like a user's build: on recueil's local server (bench/run.py stops it), not an ephemeral one.
    settings = resolve()
    apply_prefect(settings)
    local, _, _ = server.start(settings.prefect_home, idle_minutes=settings.server_idle_minutes)
    os.environ["PREFECT_API_URL"] = local.api_url
    local.wait_ready()

    from flows import render
    from flows.build import build_edition

    documents = render.documents

    def keeping(*args: object, **kwargs: object) -> list[render.Document]:
        made = documents(*args, **kwargs)
        for index, document in enumerate(made):
            (html_folder / f"{index:03}.html").write_text(document.html, encoding="utf-8")
        return made

    render.documents = keeping
    with tempfile.TemporaryDirectory(prefix="recueil-bench-capture-") as out:
        build_edition(source=str(edition), out=out)
    print(f"{len(list(html_folder.glob('*.html')))} documents gardés dans {html_folder}")


if __name__ == "__main__":
    main()
