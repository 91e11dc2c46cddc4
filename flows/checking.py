"""Great Expectations in a process of its own, for a build started from the command line.

Importing GX costs seconds of pure Python. In the build's own process it shares one interpreter lock
with Prefect's import and engine, so a background thread does not really overlap them; a spawned
process does, on the other core. The command line starts it before it imports Prefect, and the
build's checks are sent to it (workbooks' rows in, problems out). Any other build (Data Docs asked
for, whose GX results stay where they are kept; `recueil serve`, a worker, the tests) checks in its
own process. The process ignores Ctrl-C (the build says what happened)
and stops by itself when the process that started it is gone.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from flows.processes import follow_parent

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from flows.model import Problem
    from flows.validate import ValidationLog


def _serve(connection: Connection, parent: int) -> None:
    """The checks' process: create the checker, then answer each call until the build hangs up."""
    follow_parent(parent)
    signal.signal(signal.SIGTERM, lambda *_: _leave())
    from flows.validate import checker

    checks = checker()
    while True:
        try:
            name, arguments = connection.recv()
        except EOFError:
            _leave()
        try:
            answer = (True, getattr(checks, name)(*arguments))
        except Exception as error:  # GX's exceptions need not pickle: their words do
            answer = (False, f"{type(error).__name__}: {error}")
        connection.send(answer)


def _leave() -> NoReturn:
    """Exit now, the build waiting for it: multiprocessing's own exit steps run (a semaphore made
    under GX's import is released, not reported leaked by the resource tracker), but not the
    interpreter's teardown of GX, pandas and an edition's rows (most of a second, or seconds)."""
    multiprocessing.util._exit_function()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


class Interrupted(BaseException):
    """A check the build's interruption cut short: not a workbook's problem, nothing to report."""


class CheckProcess:
    """One spawned process holding the Great Expectations context; same calls as `Checker`.

    A pipe, not a process pool: one process needs no queues, and calls from several threads take
    turns (GX's context takes them one at a time anyway).
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process running threads
        self._connection, theirs = context.Pipe()
        self._process: BaseProcess | None = context.Process(
            target=_serve, args=(theirs, os.getpid()), name="recueil-checks", daemon=True
        )
        self._process.start()
        theirs.close()
        self._lock = threading.Lock()
        self._interrupted = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    # The calls of `validate.Checks`, forwarded: GX results are kept only where they are made.
    def check(self, *arguments: Any, log: ValidationLog | None = None) -> list[Problem]:
        return self._call("check", arguments, log)

    def check_view(
        self, *arguments: Any, log: ValidationLog | None = None
    ) -> list[tuple[int, Problem]]:
        return self._call("check_view", arguments, log)

    def _call(self, name: str, arguments: tuple[Any, ...], log: ValidationLog | None) -> Any:
        assert log is None, "GX results stay in the process that keeps them"
        with self._lock:
            try:
                if self._process is None:
                    raise EOFError
                self._connection.send((name, arguments))
                done, answer = self._connection.recv()
            except (EOFError, OSError) as error:
                if self._interrupted:
                    raise Interrupted from error
                raise RuntimeError("the checks' process stopped") from error
        if not done:
            raise RuntimeError(answer)
        return answer

    def close(self, interrupted: bool = False) -> None:
        """Stop the process at once, whether it is importing GX (the build was interrupted, or never
        needed it: every check remembered) or done: every answer is in by then, and the exit of an
        interpreter holding GX and an edition's rows took seconds that the build waited for."""
        process, self._process = self._process, None
        if process is None:
            return
        self._interrupted = interrupted
        process.terminate()
        self._connection.close()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


_started: CheckProcess | None = None


def start_early() -> None:
    """Start the checks' process now, for the next build of this process, unless GX is loaded."""
    global _started
    if _started is None and "great_expectations" not in sys.modules:
        _started = CheckProcess()


@contextmanager
def for_build(keep_results: bool) -> Iterator[CheckProcess | None]:
    """What checks one build: the process `start_early` started, stopped with the build; None (this
    process) when there is none or when the build keeps GX's results."""
    global _started
    started, _started = _started, None
    if started is not None and keep_results:
        started.close()
        started = None
    try:
        yield started
    except BaseException:
        if started is not None:
            started.close(interrupted=True)
        raise
    else:
        if started is not None:
            started.close()
