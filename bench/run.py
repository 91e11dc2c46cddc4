"""`make bench`: whole commands timed as a user runs them, each beside its goal.

Every figure is a whole process (start-up, imports and Prefect included), run several times with the
contenders alternated so that noise hits all of them alike; the median is compared with its goal.
Everything happens in a throw-away folder with its own Prefect home, removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import generate
from flows.settings import ROOT, default_source

RESULTS = ROOT / "bench" / "results.json"
CHANGED_SHEET = "gt-cosoter"
SCALES = (50, 200, 500)


@dataclass
class Figure:
    """The runs of one contender: wall seconds and peak memory (MiB) of each."""

    label: str
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return max(self.peaks)


def _tree_rss(root: int) -> int:
    """Resident memory (KiB) of a process and all its descendants now (layout workers, servers)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE_KIB
    tree, grown = {root}, True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return sum(rss.get(pid, 0) for pid in tree)


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MiB) of one whole process with every process it started.

    The peak is the larger of the kernel's (the largest single process) and the largest sum over the
    process tree sampled every 50 ms: layout workers run beside the build, their memory adds up.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    sampled = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            sampled[0] = max(sampled[0], _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: problems found, still a finished run
        raise SystemExit(f"{' '.join(command)} a échoué ({process.returncode})")
    return wall, max(usage.ru_maxrss, sampled[0]) / 1024


def _touch_group(edition: Path, round_: int) -> None:
    """Change one group's data, differently at every round, as a group editing its sheet would."""
    fiche = edition / CHANGED_SHEET / "Fiche.csv"
    lines = [
        line
        for line in fiche.read_text(encoding="utf-8").splitlines()
        if not line.startswith("Contact,")
    ]
    fiche.write_text("\n".join([*lines, f"Contact,bench{round_}@exemple.fr"]) + "\n", "utf-8")


@contextlib.contextmanager
def _local_server_stopped(prefect_home: Path) -> Iterator[None]:
    """The builds start recueil's local Prefect server in the bench's Prefect home (the first one
    pays its start, the others reuse it, as for a user): stopped at the end, before the folder goes."""
    try:
        yield
    finally:
        from flows import server

        server.stop(prefect_home)


def main() -> None:
    """Run the contenders, print each figure beside its goal, write bench/results.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3, help="runs of each contender (median)")
    parser.add_argument("--scale-runs", type=int, default=1, help="runs of each synthetic edition")
    parser.add_argument("--no-scale", action="store_true", help="without the 50/200/500 series")
    arguments = parser.parse_args()

    python = sys.executable
    recueil = [python, "-m", "flows.cli"]
    with (
        tempfile.TemporaryDirectory(prefix="recueil-bench-") as scratch_name,
        _local_server_stopped(Path(scratch_name) / "prefect"),
    ):
        scratch = Path(scratch_name)
        edition = scratch / "edition"
        shutil.copytree(default_source(arguments.year), edition)
        base_env = {
            **os.environ,
            "PREFECT_HOME": str(scratch / "prefect"),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(scratch / "prefect" / "storage"),
        }
        base_env.pop("PREFECT_API_URL", None)

        def cold_env(name: str) -> dict[str, str]:
            return {**base_env, "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(scratch / "cache" / name)}

        print("Préparation : HTML du plancher, édition déjà publiée, éditions synthétiques…")
        html = scratch / "html"
        subprocess.run(
            [python, "-m", "bench.capture", str(edition), str(html)],
            env=cold_env("capture"),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        warm_out = scratch / "out-warm"
        run([*recueil, "build", "--source", str(edition), "--out", str(warm_out)], base_env)
        scales = (
            {} if arguments.no_scale else {n: generate(n, scratch / f"edition-{n}") for n in SCALES}
        )

        contenders = {
            "floor": "plancher (lecture, GX, WeasyPrint seuls)",
            "gx_import": "python -c 'import great_expectations'",
            "cold": "recueil build, cache vide, nouveau dossier",
            "unchanged": "recueil build, rien de changé",
            "one_group": "recueil build, un groupe changé",
            "check_changed": "recueil check d'un classeur changé",
            "check_unchanged": "recueil check d'un classeur inchangé",
        }
        figures = {key: Figure(label) for key, label in contenders.items()}
        for round_ in range(arguments.runs):
            for key in contenders:
                env = base_env
                if key == "floor":
                    command = [python, "-m", "bench.floor", str(edition), str(html)]
                elif key == "gx_import":
                    command = [python, "-c", "import great_expectations"]
                elif key == "cold":
                    out = scratch / f"out-cold-{round_}"
                    command = [*recueil, "build", "--source", str(edition), "--out", str(out)]
                    env = cold_env(f"cold-{round_}")
                elif key in ("unchanged", "one_group"):
                    if key == "one_group":
                        _touch_group(edition, round_)
                    command = [*recueil, "build", "--source", str(edition), "--out", str(warm_out)]
                else:
                    if key == "check_changed":
                        _touch_group(edition, 100 + round_)
                    command = [*recueil, "check", str(edition / CHANGED_SHEET)]
                wall, peak = run(command, env)
                figures[key].walls.append(wall)
                figures[key].peaks.append(peak)
                print(f"  {figures[key].label} : {wall:.2f} s, {peak:.0f} Mio", flush=True)
            # Unchanged again, for the next round: the edition published is the one on disk.
            run([*recueil, "build", "--source", str(edition), "--out", str(warm_out)], base_env)
        for n, folder in scales.items():
            figure = figures.setdefault(f"groups_{n}", Figure(f"recueil build, {n} groupes"))
            for round_ in range(arguments.scale_runs):
                out = scratch / f"out-{n}-{round_}"
                command = [*recueil, "build", "--source", str(folder), "--out", str(out)]
                wall, peak = run(command, cold_env(f"{n}-{round_}"))
                figure.walls.append(wall)
                figure.peaks.append(peak)
                print(f"  {figure.label} : {wall:.2f} s, {peak:.0f} Mio", flush=True)

    goals = _goals(figures)
    _print(figures, goals)
    RESULTS.write_text(
        json.dumps(
            {
                "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "runs": arguments.runs,
                "figures": {
                    key: {
                        "label": f.label,
                        "median_s": round(f.median, 3),
                        "min_s": round(min(f.walls), 3),
                        "max_s": round(max(f.walls), 3),
                        "peak_mib": round(f.peak),
                    }
                    for key, f in figures.items()
                },
                "goals": goals,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"Résultats : {RESULTS.relative_to(ROOT)}")


def _goals(figures: dict[str, Figure]) -> list[dict[str, object]]:
    """Each goal of the issue, its limit in seconds (or MiB) and whether the median meets it."""
    median = {key: f.median for key, f in figures.items()}
    wanted: list[tuple[str, str, float, float]] = [
        ("unchanged", "≤ 0,5 s", median["unchanged"], 0.5),
        ("cold", "≤ 1,3 × plancher", median["cold"], 1.3 * median["floor"]),
        ("one_group", "≤ 0,4 × construction à froid", median["one_group"], 0.4 * median["cold"]),
        ("check_changed", "≤ 1,1 × import GX", median["check_changed"], 1.1 * median["gx_import"]),
        (
            "check_unchanged",
            "≤ 0,5 × import GX",
            median["check_unchanged"],
            0.5 * median["gx_import"],
        ),
    ]
    if "groups_50" in figures and "groups_500" in figures:
        wanted.append(
            ("groups_500", "≤ 5 × 50 groupes", median["groups_500"], 5 * median["groups_50"])
        )
        wanted.append(("groups_500 (mémoire)", "< 1 024 Mio", figures["groups_500"].peak, 1024))
    return [
        {
            "figure": key,
            "goal": text,
            "value": round(value, 3),
            "limit": round(limit, 3),
            "met": value <= limit,
        }
        for key, text, value, limit in wanted
    ]


def _print(figures: dict[str, Figure], goals: list[dict[str, object]]) -> None:
    print()
    print(f"{'commande':<48}{'médiane':>9}{'min':>8}{'max':>8}{'mémoire':>10}")
    for figure in figures.values():
        print(
            f"{figure.label:<48}{figure.median:>8.2f}s{min(figure.walls):>7.2f}s"
            f"{max(figure.walls):>7.2f}s{figure.peak:>7.0f} Mio"
        )
    print()
    for goal in goals:
        verdict = "atteint" if goal["met"] else "manqué"
        print(
            f"{goal['figure']:<22}{goal['goal']:<30}{goal['value']:>9} / {goal['limit']:<9} {verdict}"
        )


if __name__ == "__main__":
    main()
