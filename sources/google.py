"""Workbooks in Google Sheets: pulled with gspread and a service account, paced, retried, snapshotted.

Only this module talks to Google. Reading uses read-only scopes; writing the `Contrôles` tab and creating
workbooks use the read/write scopes, asked for only by the commands that need them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.files import Budget, Overrun
from sources.local import SAVED_EDITION
from sources.snapshot import load_workbook, save_workbook
from sources.workbook import Notice, SourceError, Tab, Workbook, match_key

SHEETS_HOST = "sheets.googleapis.com"
SHEETS_API = f"https://{SHEETS_HOST}/v4/spreadsheets"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
DRIVE_UPLOAD = "https://www.googleapis.com/upload/drive/v3/files"
GRID_FIELDS = "properties.title,sheets(properties.title,data(startRow,startColumn,rowData(values(formattedValue))))"
_ID_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]{20,}$")
NETWORK_SNAPSHOT = "reseau"


@dataclass(frozen=True)
class GoogleSettings:
    """How hard to push on Google: quota, retries, timeouts (from the environment, with safe defaults)."""

    reads_per_minute: int = 60
    writes_per_minute: int = 60
    retries: int = 5
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0
    timeout_seconds: float = 30.0
    concurrency: int = 4

    @classmethod
    def from_environment(cls) -> GoogleSettings:
        """Defaults, overridden by RECUEIL_GOOGLE_* variables."""
        names = {
            "reads_per_minute": ("RECUEIL_GOOGLE_READS_PER_MINUTE", int),
            "writes_per_minute": ("RECUEIL_GOOGLE_WRITES_PER_MINUTE", int),
            "retries": ("RECUEIL_GOOGLE_RETRIES", int),
            "backoff_seconds": ("RECUEIL_GOOGLE_BACKOFF_SECONDS", float),
            "timeout_seconds": ("RECUEIL_GOOGLE_TIMEOUT_SECONDS", float),
            "concurrency": ("RECUEIL_GOOGLE_CONCURRENCY", int),
        }
        values = {
            key: kind(os.environ[env]) for key, (env, kind) in names.items() if os.environ.get(env)
        }
        return cls(**values)


def spreadsheet_id(reference: str) -> str:
    """The spreadsheet ID of a `Feuille` cell: an ID, or a Google Sheets address holding one."""
    reference = reference.strip()
    match = _ID_IN_URL.search(reference)
    if match:
        return match.group(1)
    if _BARE_ID.match(reference):
        return reference
    raise SourceError(
        reference,
        "« Feuille » doit contenir l'identifiant ou l'adresse d'un classeur Google Sheets "
        "(https://docs.google.com/spreadsheets/d/…)",
    )


def credentials_file() -> Path:
    """The service account key: GOOGLE_APPLICATION_CREDENTIALS, else gspread's default location."""
    from gspread.auth import DEFAULT_SERVICE_ACCOUNT_FILENAME

    configured = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    path = Path(configured).expanduser() if configured else Path(DEFAULT_SERVICE_ACCOUNT_FILENAME)
    if not path.is_file():
        raise CredentialsMissing(
            f"clé du compte de service introuvable ({path}) : définissez GOOGLE_APPLICATION_CREDENTIALS "
            "avec le chemin du fichier .json téléchargé depuis Google Cloud (voir le README)"
        )
    return path


class CredentialsMissing(Exception):
    """No usable service account key; the message says what to do."""


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
                except gspread.exceptions.APIError as error:
                    status = error.response.status_code
                    if (status != 429 and status < 500) or attempt == self.settings.retries:
                        raise
                    time.sleep(self._wait(attempt, error.response.headers.get("Retry-After")))
                except (requests.Timeout, requests.ConnectionError):
                    if attempt == self.settings.retries:
                        raise
                    time.sleep(self._wait(attempt, None))
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


def connect(write: bool = False, settings: GoogleSettings | None = None) -> Any:
    """A gspread client for the service account, read-only unless `write`."""
    import gspread

    settings = settings or GoogleSettings.from_environment()
    key = credentials_file()
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


class GoogleSource:
    """An edition in Google Sheets: the network workbook and the workbooks its `Feuille` cells name."""

    def __init__(self, network: str, client: Any | None = None) -> None:
        self.network = network
        self.description = f"Google Sheets ({network})"
        self._client = client
        self._snapshots: Path | None = None
        self._network_workbook: Workbook | None = None
        self._network_metadata: dict[str, Any] = {}
        self.downloads = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connect()
        return self._client

    def keep_snapshots(self, folder: Path) -> None:
        """Save every pulled workbook under `folder`, an edition folder readable offline."""
        self._snapshots = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SAVED_EDITION).write_text('{"saved_by": "recueil"}\n', encoding="utf-8")
        if self._network_workbook is not None:
            self._save(
                NETWORK_SNAPSHOT, _local_network(self._network_workbook), self._network_metadata
            )

    def read_network(self) -> Workbook:
        """The network workbook, always pulled."""
        key = spreadsheet_id(self.network)
        workbook, metadata = self._pull(key, "reseau", None)
        self._network_workbook, self._network_metadata = workbook, metadata
        return workbook

    def read(self, sheet: str) -> Workbook:
        """A group's or contribution's workbook; its snapshot when Google says it has not changed."""
        key = spreadsheet_id(sheet)
        saved = self._snapshots / key if self._snapshots else None
        workbook, metadata = self._pull(key, sheet, saved)
        if saved is not None and metadata:
            self._save(key, workbook, metadata)
        return workbook

    def _pull(self, key: str, sheet: str, saved: Path | None) -> tuple[Workbook, dict[str, Any]]:
        import gspread
        import requests

        http = self.client.http_client
        try:
            drive = http.get_file_drive_metadata(key)
            if saved is not None and (saved / "_recueil.json").is_file():
                snapshot, metadata = load_workbook(saved, self._snapshots)
                if metadata.get("modified") == drive.get("modifiedTime"):
                    return snapshot, {}
            grid = http.fetch_sheet_metadata(
                key, params={"includeGridData": "true", "fields": GRID_FIELDS}
            )
        except gspread.exceptions.APIError as error:
            raise SourceError(sheet, self._explain(error.response.status_code, key)) from None
        except (requests.Timeout, requests.ConnectionError):
            raise SourceError(
                sheet,
                f"Google ne répond pas (classeur {key}) après plusieurs essais : réessayez plus tard",
            ) from None
        self.downloads += 1
        pulled = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        workbook = _workbook(grid, key, drive.get("modifiedTime"))
        metadata = {
            "spreadsheet_id": key,
            "title": grid.get("properties", {}).get("title", ""),
            "pulled": pulled,
        }
        return workbook, metadata

    def _explain(self, status: int, key: str) -> str:
        if status == 403:
            address = (
                getattr(self.client, "service_account_email", "")
                or "l'adresse du compte de service"
            )
            return f"accès refusé au classeur {key} : partagez-le (lecteur suffit) avec {address}"
        if status == 404:
            return f"classeur Google introuvable (identifiant {key}) : vérifiez la colonne « Feuille » du classeur réseau"
        if status == 429:
            return f"quota de Google dépassé pour le classeur {key}, même après plusieurs essais : réessayez dans une minute"
        return f"Google a répondu par une erreur {status} pour le classeur {key}, même après plusieurs essais"

    def _save(self, name: str, workbook: Workbook, metadata: dict[str, Any]) -> None:
        assert self._snapshots is not None
        save_workbook(workbook, self._snapshots / name, metadata)


def _workbook(grid: dict[str, Any], key: str, modified: str | None) -> Workbook:
    """The Sheets API's grid data as a workbook of text cells, row numbers kept, within the limits."""
    tabs = []
    budget = Budget()
    for sheet in grid.get("sheets", []):
        rows: list[tuple[str, ...]] = []
        for block in sheet.get("data", []):
            start_row, start_column = block.get("startRow", 0), block.get("startColumn", 0)
            for offset, row in enumerate(block.get("rowData", [])):
                index = start_row + offset
                rows.extend(() for _ in range(index - len(rows)))
                cells = [""] * start_column + [
                    str(v.get("formattedValue", "")) for v in row.get("values", [])
                ]
                rows.append(tuple(cells))
        name = sheet["properties"]["title"]
        try:
            tabs.append(Tab(name, budget.take(name, rows)))
        except Overrun as overrun:
            raise SourceError(key, f"le classeur {overrun.message}", tab=overrun.tab) from None
    title = grid.get("properties", {}).get("title") or key
    notices = tuple(Notice(*notice) for notice in budget.notices)
    return Workbook(
        title, f"https://docs.google.com/spreadsheets/d/{key}", tuple(tabs), notices, modified
    )


def _is_google_reference(reference: str) -> bool:
    return bool(_ID_IN_URL.search(reference) or _BARE_ID.match(reference.strip()))


def _local_network(workbook: Workbook) -> Workbook:
    """The network workbook with its `Feuille` cells made snapshot folder names (spreadsheet IDs)."""
    tabs = []
    for tab in workbook.tabs:
        if match_key(tab.name) not in ("groupes", "contributions") or not tab.rows:
            tabs.append(tab)
            continue
        header = [match_key(cell) for cell in tab.rows[0]]
        column = header.index("feuille") if "feuille" in header else None
        rows = [tab.rows[0]]
        for row in tab.rows[1:]:
            if column is not None and column < len(row) and _is_google_reference(row[column]):
                row = (*row[:column], spreadsheet_id(row[column]), *row[column + 1 :])
            rows.append(row)
        tabs.append(Tab(tab.name, tuple(rows)))
    return Workbook(
        workbook.name, workbook.location, tuple(tabs), workbook.notices, workbook.modified
    )


def list_folder(client: Any, folder: str) -> list[dict[str, Any]]:
    """The spreadsheets of a Drive folder: id, name, modifiedTime."""
    return client.list_spreadsheet_files(folder_id=folder)


def upload_files(
    client: Any, folder: str, files: list[tuple[str, Path]]
) -> list[tuple[str, str, bool]]:
    """Put each (name, path) in a Drive folder, updating the file of the same name so links keep working.

    Returns (name, file ID, whether it was created).
    """
    http = client.http_client
    listing = http.request(
        "get",
        DRIVE_FILES,
        params={
            "q": f"'{folder}' in parents and trashed = false",
            "fields": "files(id,name)",
            "supportsAllDrives": True,
            "includeItemsFromAllDrives": True,
            "pageSize": 1000,
        },
    ).json()
    existing = {f["name"]: f["id"] for f in listing.get("files", [])}
    done = []
    for name, path in files:
        content = path.read_bytes()
        mime = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
        if name in existing:
            http.request(
                "patch",
                f"{DRIVE_UPLOAD}/{existing[name]}",
                params={"uploadType": "media", "supportsAllDrives": True},
                data=content,
                headers={"Content-Type": mime},
            )
            done.append((name, existing[name], False))
            continue
        boundary = "recueil-" + hashlib.sha256(content).hexdigest()[:16]
        metadata = json.dumps({"name": name, "parents": [folder]}).encode()
        body = b"".join(
            [
                f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
                metadata,
                f"\r\n--{boundary}\r\nContent-Type: {mime}\r\n\r\n".encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        created = http.request(
            "post",
            DRIVE_UPLOAD,
            params={"uploadType": "multipart", "supportsAllDrives": True, "fields": "id"},
            data=body,
            headers={"Content-Type": f"multipart/related; boundary={boundary}"},
        ).json()
        done.append((name, created["id"], True))
    return done
