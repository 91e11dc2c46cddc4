"""Progress events from the pipeline to whoever watches it (the terminal, or nobody)."""

from __future__ import annotations

from typing import Protocol


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


def listen(listener: Listener | None) -> None:
    """Send the pipeline's progress to `listener` (None: to nobody)."""
    global _listener
    _listener = listener or _Silent()


def stage(description: str, total: int | None = None) -> None:
    """A stage begins, with `total` steps when known."""
    _listener.stage(description, total)


def advance(label: str) -> None:
    """One step of the current stage is done."""
    _listener.advance(label)
