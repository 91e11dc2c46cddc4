"""Ctrl-C and SIGTERM during a build: stop within seconds, say it in one line, leave nothing behind.

The signal becomes an exception in the main thread, so that the flow unwinds as on any error: the
output lock and its staging folder are released by their own `finally`, Prefect records the run as
crashed. A build that does not unwind within `GRACE_SECONDS` (a task stuck in C code) is ended anyway.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.processes import alive

GRACE_SECONDS = 10.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The build was asked to stop by a signal (a BaseException, as KeyboardInterrupt is)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a process ended by that signal


def exit_code(error: BaseException) -> int | None:
    """The exit code of an interrupted build, when `error` is how the interruption surfaced."""
    if isinstance(error, Interrupted):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return 128 + signal.SIGINT
    # Prefect turns SIGTERM inside a flow run into its own TerminationSignal.
    signum = getattr(error, "signal", None)
    if type(error).__name__ == "TerminationSignal" and isinstance(signum, int):
        return 128 + signum
    return None


@contextmanager
def interruptible(last_words: Callable[[int], None]) -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise Interrupted (once; repeats are ignored while stopping).

    `last_words(code)` is what ends the process if unwinding takes more than GRACE_SECONDS.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread (a test calling the command)
        return
    stopping = threading.Event()

    def force(code: int) -> None:
        last_words(code)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    def handler(signum: int, frame: object) -> None:
        if stopping.is_set():
            return
        stopping.set()
        timer = threading.Timer(GRACE_SECONDS, force, args=(128 + signum,))
        timer.daemon = True
        timer.start()
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            # While stopping, a second Ctrl-C must not interrupt the clean-up with a traceback.
            signal.signal(signum, signal.SIG_IGN if stopping.is_set() else earlier)


@contextmanager
def scratch_folder(parent: Path) -> Iterator[Path]:
    """This build's temporary files, in `parent`/<pid>/ rather than the system's temporary folder.

    Removed when the build ends, however it ends; what a killed build (SIGKILL) left is removed by
    the next one. Child processes get it as TMPDIR.
    """
    import shutil
    import tempfile

    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.iterdir():
        if leftover.name.isdigit() and not alive(int(leftover.name)):
            shutil.rmtree(leftover, ignore_errors=True)
    folder = parent / str(os.getpid())
    folder.mkdir(exist_ok=True)
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        shutil.rmtree(folder, ignore_errors=True)
