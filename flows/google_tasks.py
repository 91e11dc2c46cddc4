"""The Google work of a flow as Prefect tasks, with their retries declared: tried again on a quota
(429), a failure of Google's (5xx) or the network, never on a refusal (403: a workbook shared
read-only stays refused until someone shares it) nor on a missing file (404).

These retries come on top of the HTTP client's own (sources/google/auth.py), for a burst that
outlasts them; each is spaced by ten of the client's pauses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.feedback import write_controles
from flows.model import Problem
from flows.watch_pass import write_remarks
from sources.google.auth import GoogleSettings
from sources.google.drive import upload_files
from sources.google.errors import retryable

RETRIES = 2


def worth_retrying(task: object, task_run: object, state: Any) -> bool:
    """Prefect's retry condition: the failure is one that trying again can mend."""
    try:
        state.result()
    except Exception as error:
        return retryable(error)
    return False


def retried(settings: GoogleSettings) -> dict[str, Any]:
    """The task options of a Google task under `settings`."""
    return {
        "retries": RETRIES,
        "retry_delay_seconds": settings.backoff_seconds * 10,
        "retry_condition_fn": worth_retrying,
    }


@task(name="ecrire-controles", cache_policy=NO_CACHE, **retried(GoogleSettings()))
def write_controles_task(
    client: Any, key: str, problems: tuple[Problem, ...], checked: dt.datetime
) -> None:
    """One workbook's `Contrôles` tab written back."""
    write_controles(client, key, problems, checked)


@task(name="copier-dans-drive", cache_policy=NO_CACHE, **retried(GoogleSettings()))
def copy_to_drive(
    client: Any, folder: str, documents: list[tuple[str, Path]]
) -> list[tuple[str, str, bool]]:
    """The published documents into a Drive folder; trying again is safe (files found by name)."""
    return upload_files(client, folder, documents)


def writing_controles(settings: GoogleSettings) -> Any:
    """The `Contrôles` write as a task, its retries spaced under `settings`."""
    return write_controles_task.with_options(**retried(settings))


def copying_to_drive(settings: GoogleSettings) -> Any:
    return copy_to_drive.with_options(**retried(settings))


@task(name="ecrire-remarques", cache_policy=NO_CACHE, **retried(GoogleSettings()))
def write_remarks_task(client: Any, key: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    """One workbook's notes and `Contrôles` tab, in one request."""
    return write_remarks(client, key, requests)


def writing_remarks(settings: GoogleSettings) -> Any:
    return write_remarks_task.with_options(**retried(settings))
