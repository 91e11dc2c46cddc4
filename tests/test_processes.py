"""flows.processes.alive: what the local server, the interrupted builds' folders and the tests rely
on to know whether a process still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from flows.processes import alive


def test_a_running_process_is_alive_and_a_zombie_is_not() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        assert alive(child.pid)
        child.stdin.close()  # it exits; not reaped yet, it is a zombie
        deadline = time.monotonic() + 20
        while alive(child.pid):
            assert time.monotonic() < deadline, "a dead, unreaped child still counts as alive"
            time.sleep(0.05)
        assert child.poll() is not None  # really dead: reaped only now
    finally:
        child.kill()
        child.wait()
    assert not alive(child.pid)


def test_this_process_is_alive_and_no_pid_is_not() -> None:
    assert alive(os.getpid())
    assert not alive(0)
    assert not alive(-1)
