"""A build interrupted mid-way, as an operator does: Ctrl-C in a terminal (SIGINT to the process
group), SIGTERM (cron's timeout, systemd), SIGKILL. It stops within seconds with one French line and
the shell's exit status, the published edition whole, nothing left beyond what a normal build leaves;
what SIGKILL left, the next build removes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from flows.settings import ROOT

BUNDLED = ROOT / "sources" / "editions" / "2024"
LINE = "Construction interrompue : l'édition publiée est intacte"


def start_build(edition: Path, out: Path, scratch: Path) -> subprocess.Popen[str]:
    """`recueil build` in a session of its own, as a terminal's foreground job is."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "build", "--source", str(edition), "--out", str(out)],
        # Laid out in worker processes, as the coordinator's builds are: they must stop with the build.
        env={
            **os.environ,
            "TMPDIR": str(scratch),
            "COLUMNS": "200",
            "RECUEIL_LAYOUT_PROCESSES": "",
        },
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def touch_group(edition: Path, round_: int) -> None:
    """A change in one group's sheet, so that the build has something to publish."""
    fiche = edition / "gt-cosoter" / "Fiche.csv"
    lines = [
        line
        for line in fiche.read_text(encoding="utf-8").splitlines()
        if not line.startswith("Contact,")
    ]
    fiche.write_text("\n".join([*lines, f"Contact,essai{round_}@exemple.fr"]) + "\n", "utf-8")


def wait_for_rendering(build: subprocess.Popen[str], out: Path) -> None:
    """Until the build writes its documents (its staging folder exists): mid-build."""
    deadline = time.monotonic() + 240
    while not list(out.glob(".staging-*")):
        assert build.poll() is None, build.communicate()[0]
        assert time.monotonic() < deadline, "the build never reached its documents"
        time.sleep(0.02)


def published(out: Path) -> tuple[str, dict[str, str]]:
    """The archive `publie` points to and the SHA-256 of each of its files, checked against them."""
    from flows.publish import file_hashes

    current = (out / "2024" / "publie").resolve()
    manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
    hashes = file_hashes(current)
    assert {name: facts["sha256"] for name, facts in manifest["files"].items()} == {
        name: facts["sha256"] for name, facts in hashes.items()
    }
    return current.name, {name: facts["sha256"] for name, facts in hashes.items()}


def lock_is_free(out: Path) -> bool:
    with (out / ".recueil.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def survivors(pgid: int, seconds: float = 5) -> list[str]:
    """The processes of the build's process group still there after `seconds` (Linux /proc)."""
    deadline = time.monotonic() + seconds
    while True:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if int(fields[2]) == pgid:
                found.append(f"{stat.parent.name} {fields[0]} {command.decode(errors='replace')}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def left_behind(out: Path, scratch: Path, *builds: subprocess.Popen[str]) -> list[str]:
    """What is there that these finished builds do not leave (the run's Prefect home is shared with
    the builds of other test files, running at the same time: only these builds' folders count)."""
    home = Path(os.environ["PREFECT_HOME"]) / "recueil-tmp"
    return sorted(
        [str(p) for p in out.glob(".staging-*")]
        + [str(p) for p in (out / "2024").glob(".*.nouveau")]
        + [str(p) for p in scratch.iterdir()]
        + [str(p) for b in builds if (p := home / str(b.pid)).exists()]
    )


def run_states(out: Path) -> list[str]:
    """The states of the runs that built into `out`, on the run's shared Prefect server."""
    request = urllib.request.Request(
        os.environ["PREFECT_API_URL"] + "/flow_runs/filter",
        data=json.dumps({"sort": "EXPECTED_START_TIME_DESC", "limit": 200}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        runs = json.loads(answer.read())
    return [run["state_type"] for run in runs if run["parameters"].get("out") == str(out)]


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A copy of the bundled edition, published once into an output folder."""
    root = tmp_path_factory.mktemp("interruptions")
    edition, out, scratch = root / "2024", root / "out", root / "tmp"
    shutil.copytree(BUNDLED, edition)
    scratch.mkdir()
    build = start_build(edition, out, scratch)
    output = build.communicate(timeout=600)[0]
    assert build.returncode == 0, output
    return edition, out, scratch


@pytest.mark.parametrize(
    ("signum", "code", "whole_group"),
    [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupted_build_stops_at_once_and_leaves_the_edition_whole(
    edition: tuple[Path, Path, Path], signum: int, code: int, whole_group: bool
) -> None:
    source, out, scratch = edition
    before = published(out)
    touch_group(source, signum)
    build = start_build(source, out, scratch)
    wait_for_rendering(build, out)
    if whole_group:  # Ctrl-C: the terminal signals the whole foreground job
        os.killpg(build.pid, signum)
    else:
        build.send_signal(signum)
    asked = time.monotonic()
    output = build.communicate(timeout=60)[0]
    assert time.monotonic() - asked < 10, "the build took more than a few seconds to stop"
    assert build.returncode == code, output
    assert output.strip().splitlines()[-1].strip() == LINE, output
    assert output.count(LINE) == 1 and "Traceback" not in output, output
    assert published(out) == before
    assert left_behind(out, scratch, build) == []
    assert lock_is_free(out)
    assert survivors(build.pid) == []
    assert "CRASHED" in run_states(out), "Prefect records the interrupted run as crashed"


def test_what_a_killed_build_left_is_cleared_by_the_next_one(
    edition: tuple[Path, Path, Path],
) -> None:
    source, out, scratch = edition
    before = published(out)
    touch_group(source, 9)
    build = start_build(source, out, scratch)
    wait_for_rendering(build, out)
    build.kill()
    build.communicate(timeout=60)
    assert published(out) == before
    assert list(out.glob(".staging-*")), "SIGKILL leaves the staging folder"

    again = start_build(source, out, scratch)
    output = again.communicate(timeout=600)[0]
    assert again.returncode == 0, output
    assert published(out)[0] != before[0]  # the next build published the change
    assert left_behind(out, scratch, build, again) == []  # the next build cleared the killed one's
    assert survivors(build.pid) == [] and survivors(again.pid) == []
