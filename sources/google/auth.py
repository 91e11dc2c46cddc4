"""The service account and the HTTP client every Google request goes through: paced under the
Sheets quota, retried on quotas, Google's failures and the network, with timeouts."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.google.errors import CredentialsMissing, retryable

SHEETS_HOST = "sheets.googleapis.com"


@dataclass(frozen=True)
class GoogleSettings:
    """How to reach Google: the service account key, and how hard to push (quota, retries, timeouts).

    Safe defaults; recueil's settings (flows/settings.py) set them from RECUEIL_GOOGLE_* and
    GOOGLE_APPLICATION_CREDENTIALS.
    """

    credentials: Path | None = None  # the key's file; None: gspread's default location
    reads_per_minute: int = 60
    writes_per_minute: int = 60
    retries: int = 5
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0
    timeout_seconds: float = 30.0
    concurrency: int = 4


def credentials_file(configured: Path | None) -> Path:
    """The service account key: `configured`, else gspread's default location."""
    from gspread.auth import DEFAULT_SERVICE_ACCOUNT_FILENAME

    path = configured or Path(DEFAULT_SERVICE_ACCOUNT_FILENAME)
    if not path.is_file():
        raise CredentialsMissing(
            f"clé du compte de service introuvable ({path}) : définissez GOOGLE_APPLICATION_CREDENTIALS "
            "avec le chemin du fichier .json téléchargé depuis Google Cloud (voir le README)"
        )
    return path


class SlidingWindow:
    """At most `limit` events in any `period` seconds, shared by every thread."""

    def __init__(
        self, limit: int, period: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a free slot; how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                while self._events and now - self._events[0] >= self.period:
                    self._events.popleft()
                if len(self._events) < self.limit:
                    self._events.append(now)
                    return waited
                pause = self.period - (now - self._events[0])
            time.sleep(pause)
            waited += pause


def _paced_client_class() -> type:
    import gspread
    import requests

    class PacedHTTPClient(gspread.HTTPClient):
        """gspread's HTTP client, paced under the Sheets quota and retried on 429, 5xx and timeouts."""

        settings = GoogleSettings()
        reads: SlidingWindow
        writes: SlidingWindow
        slots: threading.BoundedSemaphore

        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            window = self.reads if method.lower() == "get" else self.writes
            for attempt in range(self.settings.retries + 1):
                if SHEETS_HOST in endpoint:  # the Drive API has its own, much larger quota
                    window.acquire()
                try:
                    with self.slots:
                        return super().request(method, endpoint, *args, **kwargs)
                except (
                    gspread.exceptions.APIError,
                    requests.Timeout,
                    requests.ConnectionError,
                ) as error:
                    if not retryable(error) or attempt == self.settings.retries:
                        raise
                    response = getattr(error, "response", None)
                    retry_after = (
                        response.headers.get("Retry-After") if response is not None else None
                    )
                    time.sleep(self._wait(attempt, retry_after))
            raise AssertionError("unreachable")

        def _wait(self, attempt: int, retry_after: str | None) -> float:
            wait = self.settings.backoff_seconds * 2**attempt
            if retry_after:
                wait = max(wait, _retry_after_seconds(retry_after))
            return min(wait, self.settings.max_wait_seconds)

    return PacedHTTPClient


def _retry_after_seconds(value: str) -> float:
    """`Retry-After` as seconds: a number of seconds or an HTTP date."""
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def connect(settings: GoogleSettings, *, write: bool = False) -> Any:
    """A gspread client for the service account, read-only unless `write`.

    `client.service_account_email` is the address the workbooks must be shared with.
    """
    import gspread

    key = credentials_file(settings.credentials)
    scopes = gspread.auth.DEFAULT_SCOPES if write else gspread.auth.READONLY_SCOPES
    base = _paced_client_class()
    client_class = type(
        "RecueilHTTPClient",
        (base,),
        {
            "settings": settings,
            "reads": SlidingWindow(settings.reads_per_minute),
            "writes": SlidingWindow(settings.writes_per_minute),
            "slots": threading.BoundedSemaphore(settings.concurrency),
        },
    )
    client = gspread.service_account(filename=str(key), scopes=scopes, http_client=client_class)
    client.http_client.set_timeout(settings.timeout_seconds)
    client.service_account_email = json.loads(key.read_text(encoding="utf-8")).get(
        "client_email", ""
    )
    return client
