"""`make bench-stages`: a cold build, a rebuild with nothing changed, a rebuild with one group changed.

Each in the same fresh process, into a throw-away folder, with stage times, so that optimisations are
measured rather than guessed.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()
# A cold build means no cached checks or documents: results go to a throw-away store.
CACHE = tempfile.mkdtemp(prefix="recueil-bench-cache-")
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = CACHE
STAGES = ("read", "check", "merge", "render", "publish")


def main() -> None:
    """Run the three builds and print the time of each stage and the totals."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2024)
    arguments = parser.parse_args()

    from flows import checking, server
    from flows.settings import apply_prefect, default_source, resolve

    settings = resolve()
    apply_prefect(settings)
    # The server the command line keeps (started here if need be), as `recueil build` uses it.
    local, use, _ = server.start(settings.prefect_home, idle_minutes=settings.server_idle_minutes)
    server.use_api(local.api_url)
    importing = time.perf_counter()
    checking.start_early()
    from flows.build import build_edition

    local.wait_ready()
    imported = time.perf_counter() - importing
    print(f"import (prefect, pandas…): {imported:.2f} s")
    with tempfile.TemporaryDirectory(prefix="recueil-bench-") as scratch:
        source = Path(scratch) / "edition"
        shutil.copytree(default_source(arguments.year), source)
        out = str(Path(scratch) / "out")
        rows = []
        for label in ("cold build", "no change", "one group changed"):
            if label == "one group changed":
                fiche = next(p for p in source.glob("gt-*/Fiche.csv"))
                fiche.write_text(
                    fiche.read_text(encoding="utf-8") + "Contact,bench@exemple.fr\n",
                    encoding="utf-8",
                )
            started = time.perf_counter()
            report = build_edition(year=arguments.year, source=str(source), out=out)
            wall = time.perf_counter() - started
            rows.append((label, report, wall))
            checking.start_early()  # each build of the command line has its checks' process
    use.release()
    print(f"{'':<20}" + "".join(f"{s:>9}" for s in (*STAGES, "prefect", "total")))
    for label, report, wall in rows:
        stages = [report.timings.get(s, 0.0) for s in STAGES]
        prefect = wall - report.timings.get("total", wall)
        print(f"{label:<20}" + "".join(f"{v:>8.2f}s" for v in (*stages, prefect, wall)))
    print(f"process total: {time.perf_counter() - STARTED:.2f} s")
    print("(prefect: the flow's own bookkeeping, outside the stages)")


if __name__ == "__main__":
    main()
