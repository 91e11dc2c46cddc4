"""`make bench`: time a cold build stage by stage, in a fresh process, into a throw-away folder."""

from __future__ import annotations

import argparse
import tempfile
import time

STARTED = time.perf_counter()


def main() -> None:
    """Run one build and print the time of each stage and the total."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2024)
    arguments = parser.parse_args()

    importing = time.perf_counter()
    from flows.build import build_edition, warm_up

    warm_up()
    imported = time.perf_counter() - importing
    with tempfile.TemporaryDirectory(prefix="recueil-bench-") as out:
        flow_started = time.perf_counter()
        report = build_edition(year=arguments.year, out=out)
        flow_wall = time.perf_counter() - flow_started
    stages = report.timings
    accounted = sum(stages.get(k, 0.0) for k in ("read", "check", "merge", "render"))
    rows = [
        ("import (prefect, pandas…)", imported),
        ("read", stages.get("read", 0.0)),
        ("check", stages.get("check", 0.0)),
        ("merge", stages.get("merge", 0.0)),
        ("render", stages.get("render", 0.0)),
        ("prefect (server start, task runs)", flow_wall - accounted),
        ("total (process)", time.perf_counter() - STARTED),
    ]
    print(
        f"cold build of {arguments.year}: {len(report.outcomes)} workbooks, {len(report.files)} files"
    )
    for name, seconds in rows:
        print(f"  {name:<36} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
