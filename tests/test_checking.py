"""The checks' own process: the same problems as checking in the build's process, Great Expectations
kept out of the build's process, and no process left once its build ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flows import checking
from flows.check import check_workbook
from flows.load import Fetched
from flows.model import Outcome
from flows.processes import alive
from flows.validate import check_across
from tests.helpers import SANTE_FICHE, SANTE_TRAVAUX, network_2024, tab, workbook

ROOT = Path(__file__).resolve().parent.parent
TRAVAUX = tab("Travaux", *SANTE_TRAVAUX)


def _group(*fiche: tuple[str, str]) -> Fetched:
    return Fetched("group", "Santé", "gt-sante", workbook(tab("Fiche", *fiche), TRAVAUX))


def test_the_checks_process_finds_what_the_builds_own_process_finds() -> None:
    network = network_2024()
    broken = _group(*SANTE_FICHE[:1], ("Nombre de CRPV impliqués", "beaucoup"), *SANTE_FICHE[2:4])
    good = check_workbook(_group(*SANTE_FICHE), network)
    sante, cosoter = network.groups[9], network.groups[1]
    declared_twice = {  # two workbooks declaring the same group: an error across workbooks
        r.sheet: Outcome("group", r.name, r.sheet, good.record, (), name_cell="B1")
        for r in (sante, cosoter)
    }
    process = checking.CheckProcess()
    try:
        there = check_workbook(broken, network, checks=process)
        across_there = check_across(network, declared_twice, checks=process)
        pids = [process.pid]
    finally:
        process.close()
    here = check_workbook(broken, network)
    assert there.record is None and len(there.problems) >= 2
    assert there.problems == here.problems
    assert across_there == check_across(network, declared_twice)
    assert across_there[sante.sheet].record is None
    assert pids and not any(alive(pid) for pid in pids)


PROBE = """
import json, sys
from flows import checking
from flows.check import check_workbook
from flows.load import Fetched
from tests.helpers import network_2024, tab, workbook

checking.start_early()
book = workbook(tab("Fiche", ("Groupe de travail", "Santé"), ("Nombre de réunions", "souvent")))
with checking.for_build(keep_results=False) as checks:
    outcome = check_workbook(Fetched("group", "Santé", "gt-sante", book), network_2024(), None, checks)
    pids = [checks.pid]
checking.start_early()
with checking.for_build(keep_results=True) as kept:
    pass

# Ctrl-C while a task thread waits on the process (here, still importing GX): the thread is told
# it was interrupted, and nothing of the process is reported leaked.
import threading, time
process, seen = checking.CheckProcess(), []
def call():
    try:
        check_workbook(Fetched("group", "Santé", "gt-sante", book), network_2024(), None, process)
    except checking.Interrupted:
        seen.append("interrupted")
thread = threading.Thread(target=call)
thread.start()
time.sleep(1)
process.close(interrupted=True)
thread.join()
print(json.dumps({
    "process": type(checks).__name__,
    "problems": len(outcome.problems),
    "gx_here": "great_expectations" in sys.modules,
    "pids": pids,
    "kept": kept is None,
    "interrupted": seen,
}))
"""


def test_a_build_checks_in_the_process_started_early_and_stops_it_even_interrupted() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["process"] == "CheckProcess" and seen["problems"] >= 1
    assert not seen["gx_here"]  # Great Expectations loaded in the checks' process only
    assert seen["kept"]  # a build keeping GX's results checks in its own process
    assert seen["pids"] and not any(alive(pid) for pid in seen["pids"])
    assert seen["interrupted"] == ["interrupted"]
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr, done.stderr
