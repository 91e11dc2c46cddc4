"""Processes that lay out PDFs, so that independent documents use every core.

WeasyPrint is pure Python and CPU-bound: threads would take turns on one core. The workers are
started when a build starts, so that their imports (WeasyPrint, pikepdf) overlap the build's reading
and checking; they are stopped when the documents are laid out, or with the build however it ends
(each worker also stops by itself when the process that started it is gone). A worker ignores Ctrl-C:
the build that started it says what happened, once.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

from flows.processes import follow_parent, stop_pool


def _prepare(parent: int) -> None:
    """Run once in each worker: imports done ahead."""
    follow_parent(parent)
    import pikepdf  # noqa: F401

    from flows import render

    render.load_weasyprint()


def _lay_out(html: str) -> bytes:
    from flows import render

    return render.pdf_bytes(html)


def _ready() -> None:
    """Nothing: a first call that waits for a worker's imports."""


class Workers:
    """`count` layout processes (by default one per core, 2 at most); with 0, the calling process
    lays out each document itself."""

    def __init__(self, count: int | None = None) -> None:
        self.count = min(2, os.cpu_count() or 1) if count is None else count
        self._pool: ProcessPoolExecutor | None = None
        self._used = False
        if self.count > 0:
            # spawn: never fork a process that runs threads (Prefect's, the checker's warm-up).
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_prepare,
                initargs=(os.getpid(),),
            )
            for _ in range(self.count):
                self._pool.submit(_ready)  # starts each worker now, not at the first document

    def submit(self, html: str) -> Future[bytes]:
        """The PDF of `html`, laid out by a worker (or here, at once, without workers)."""
        if self._pool is None:
            done: Future[bytes] = Future()
            try:
                done.set_result(_lay_out(html))
            except Exception as error:
                done.set_exception(error)
            return done
        self._used = True
        return self._pool.submit(_lay_out, html)

    def lay_out(self, html: str) -> bytes:
        return self.submit(html).result()

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers: at once when the build was interrupted or had nothing to lay out (an
        unchanged edition), rather than after their imports."""
        pool, self._pool = self._pool, None
        stop_pool(pool, interrupted or not self._used)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(interrupted=kind is not None)
