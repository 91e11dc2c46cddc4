"""Progress events from the pipeline to whoever watches it (the terminal, or nobody), and to the log.

Each event is also logged on the `recueil` logger, which Prefect sends to the run's logs in its UI
(`extra_loggers` in pyproject.toml), however the build was started: command line, serve or worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

log = logging.getLogger("recueil")


class Listener(Protocol):
    def stage(self, description: str, total: int | None = None) -> None: ...

    def advance(self, label: str) -> None: ...


class _Silent:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


# A module-level listener, not a context variable: Prefect runs tasks in worker threads.
_listener: Listener = _Silent()
_stage = ""


def listen(listener: Listener | None) -> None:
    """Send the pipeline's progress to `listener` (None: to nobody)."""
    global _listener
    _listener = listener or _Silent()


def stage(description: str, total: int | None = None) -> None:
    """A stage begins, with `total` steps when known."""
    global _stage
    _stage = description
    log.info("%s%s", description, f" ({total})" if total is not None else "")
    _listener.stage(description, total)


def advance(label: str) -> None:
    """One step of the current stage is done."""
    log.info("%s : %s", _stage, label)
    _listener.advance(label)


class Clock:
    """Wall time per stage, summed over the stage's visits, plus the total since it was made."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.stages: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        begun = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - begun

    def done(self) -> dict[str, float]:
        return {**self.stages, "total": time.perf_counter() - self.started}
