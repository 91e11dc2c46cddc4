"""A fake of Google's HTTP APIs (OAuth token endpoint, Sheets v4, Drive v3) on loopback.

The real clients (gspread, google-auth, requests) reach it unchanged: the fake is an HTTPS proxy on
127.0.0.1 that answers CONNECT for Google's hosts with certificates of its own test authority, which the
tests trust through REQUESTS_CA_BUNDLE. Nothing of ours is patched and nothing leaves the machine:
any other host is refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

HOSTS = ("oauth2.googleapis.com", "sheets.googleapis.com", "www.googleapis.com")
READONLY = "https://www.googleapis.com/auth/spreadsheets.readonly"
WRITE = "https://www.googleapis.com/auth/spreadsheets"
SERVICE_EMAIL = "recueil@projet-test.iam.gserviceaccount.com"


@dataclass
class FakeSpreadsheet:
    """One spreadsheet: values by tab, and beside them what a cell may carry without being a value
    (notes, backgrounds, links), keyed by (tab, 0-based row, 0-based column)."""

    title: str
    tabs: dict[str, list[list[str]]]
    modified: str
    shared: bool = True
    writable: bool = True  # False: shared read-only with the service account
    folder: str | None = None
    permissions: list[dict[str, Any]] = field(default_factory=list)
    formats: list[dict[str, Any]] = field(default_factory=list)
    sheet_ids: dict[str, int] = field(default_factory=dict)
    notes: dict[tuple[str, int, int], str] = field(default_factory=dict)
    backgrounds: dict[tuple[str, int, int], dict[str, float]] = field(default_factory=dict)
    links: dict[tuple[str, int, int], str] = field(default_factory=dict)
    modified_by_us: bool = False

    def __post_init__(self) -> None:
        for title in self.tabs:
            self.add_tab(title)

    def add_tab(self, title: str, sheet_id: int | None = None) -> None:
        self.tabs.setdefault(title, [])
        if title not in self.sheet_ids:
            taken = set(self.sheet_ids.values())
            sheet_id = sheet_id if sheet_id is not None else 0
            while sheet_id in taken:
                sheet_id += 1
            self.sheet_ids[title] = sheet_id

    def title_of(self, sheet_id: int) -> str:
        return next(t for t, i in self.sheet_ids.items() if i == sheet_id)

    def changed(self, by_us: bool) -> None:
        """A change bumps Drive's modifiedTime, as any edit of a real spreadsheet does."""
        now = dt.datetime.now(dt.UTC)
        previous = dt.datetime.fromisoformat(self.modified.replace("Z", "+00:00"))
        later = max(now, previous + dt.timedelta(milliseconds=1))
        self.modified = later.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.modified_by_us = by_us


@dataclass
class Logged:
    method: str
    host: str
    path: str
    query: dict[str, list[str]]
    scopes: tuple[str, ...]
    body: Any = None


@dataclass
class Failure:
    contains: str
    status: int
    times: int
    retry_after: str | None = None
    stall: float = 0.0


def _keys(folder: Path) -> tuple[Path, Path, Path, str]:
    """A test certificate authority, a certificate for Google's hosts, and a service account key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def new_key() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key, account_key = new_key(), new_key(), new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "recueil test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[1])]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, leaf_path, key_path = folder / "ca.pem", folder / "leaf.pem", folder / "leaf-key.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    leaf_path.write_bytes(leaf.public_bytes(pem))
    key_path.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    account = account_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return ca_path, leaf_path, key_path, account


class FakeGoogle:
    """Google's APIs as recueil uses them, with failures that a test can inject."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.ca, leaf, leaf_key, account_key = _keys(folder)
        self.credentials = folder / "service-account.json"
        self.credentials.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "projet-test",
                    "private_key_id": "test",
                    "private_key": account_key,
                    "client_email": SERVICE_EMAIL,
                    "client_id": "1",
                    "token_uri": "https://oauth2.googleapis.com/token",
                }
            ),
            encoding="utf-8",
        )
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(leaf, leaf_key)
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.log: list[Logged] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.failures: list[Failure] = []
        self.tokens: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()
        self._created = 0
        self.server = _Proxy(("127.0.0.1", 0), _ProxyHandler)
        self.server.fake = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def environment(self) -> dict[str, str]:
        """The variables that send the real clients here and make them trust the fake."""
        proxy = f"http://127.0.0.1:{self.server.server_address[1]}"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca),
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.credentials),
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test sets up

    def add(self, key: str, title: str, tabs: dict[str, list[list[str]]], **options: Any) -> None:
        options.setdefault("modified", "2024-03-12T09:30:00.000Z")
        self.spreadsheets[key] = FakeSpreadsheet(
            title, {k: [list(r) for r in v] for k, v in tabs.items()}, **options
        )

    def edit(self, key: str, tab: str, rows: list[list[str]], modified: str | None = None) -> None:
        """A person's edit of a whole tab (its time, or now)."""
        sheet = self.spreadsheets[key]
        sheet.tabs[tab] = [list(r) for r in rows]
        sheet.add_tab(tab)
        if modified:
            sheet.modified, sheet.modified_by_us = modified, False
        else:
            sheet.changed(by_us=False)

    def set_cell(self, key: str, tab: str, cell: str, value: str) -> None:
        """A person types `value` into one cell (A1 notation), now."""
        row, column = _a1(cell)
        rows = self.spreadsheets[key].tabs[tab]
        rows.extend([] for _ in range(row + 1 - len(rows)))
        rows[row].extend("" for _ in range(column + 1 - len(rows[row])))
        rows[row][column] = value
        self.spreadsheets[key].changed(by_us=False)

    def cell(self, key: str, tab: str, cell: str) -> str:
        row, column = _a1(cell)
        rows = self.spreadsheets[key].tabs[tab]
        return rows[row][column] if row < len(rows) and column < len(rows[row]) else ""

    def note(self, key: str, tab: str, cell: str) -> str | None:
        return self.spreadsheets[key].notes.get((tab, *_a1(cell)))

    def background(self, key: str, tab: str, cell: str) -> dict[str, float] | None:
        return self.spreadsheets[key].backgrounds.get((tab, *_a1(cell)))

    def link(self, key: str, tab: str, cell: str) -> str | None:
        return self.spreadsheets[key].links.get((tab, *_a1(cell)))

    def api_requests(self) -> list[Logged]:
        """The requests to the Sheets and Drive APIs (what quotas count; tokens excluded)."""
        return [r for r in self.log if r.host != HOSTS[0]]

    def fail(
        self, contains: str, status: int, times: int = 1, retry_after: str | None = None
    ) -> None:
        self.failures.append(Failure(contains, status, times, retry_after))

    def stall(self, contains: str, seconds: float, times: int = 1) -> None:
        self.failures.append(Failure(contains, 0, times, stall=seconds))

    def requests(
        self, host: str | None = None, method: str | None = None, contains: str = ""
    ) -> list[Logged]:
        return [
            r
            for r in self.log
            if (host is None or r.host == host)
            and (method is None or r.method == method)
            and contains in r.path
        ]

    # --- the APIs

    def handle(self, handler: _ApiHandler) -> None:
        url = urlsplit(handler.path)
        path, query = unquote(url.path), parse_qs(url.query)
        host = handler.headers.get("Host", "").split(":")[0]
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        scopes = self.tokens.get(
            handler.headers.get("Authorization", "").removeprefix("Bearer "), ()
        )
        body: Any = None
        if raw and handler.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw)
        with self.lock:
            self.log.append(Logged(handler.command, host, path, query, scopes, body))
            failure = next((f for f in self.failures if f.times > 0 and f.contains in path), None)
            if failure:
                failure.times -= 1
        if failure and failure.stall:
            time.sleep(failure.stall)
        elif failure:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return handler.reply(failure.status, _error(failure.status, "injected"), headers)
        if host == HOSTS[0]:
            return self._token(handler, raw)
        if not scopes:
            return handler.reply(
                401, _error(401, "Request is missing required authentication credential.")
            )
        if host == HOSTS[1]:
            return self._sheets(handler, path, query, body, scopes)
        if path.startswith("/upload/"):
            return self._upload(handler, path, raw, scopes)
        return self._drive(handler, path, query, body, scopes)

    def _token(self, handler: _ApiHandler, raw: bytes) -> None:
        from google.auth import jwt

        form = parse_qs(raw.decode())
        assertion = form["assertion"][0]
        public = json.loads(self.credentials.read_text())["private_key"]
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(public.encode(), password=None)
        certificate = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        claims = jwt.decode(
            assertion, certs=certificate, audience="https://oauth2.googleapis.com/token"
        )
        with self.lock:
            token = f"jeton-{len(self.tokens) + 1}"
            self.tokens[token] = tuple(claims["scope"].split())
        handler.reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _sheet_or_error(
        self, handler: _ApiHandler, key: str, drive: bool = False
    ) -> FakeSpreadsheet | None:
        sheet = self.spreadsheets.get(key)
        if sheet is None:
            message = f"File not found: {key}." if drive else "Requested entity was not found."
            handler.reply(404, _error(404, message, drive))
            return None
        if not sheet.shared:
            handler.reply(403, _error(403, "The caller does not have permission", drive))
            return None
        return sheet

    def _sheets(
        self, handler: _ApiHandler, path: str, query: dict, body: Any, scopes: tuple[str, ...]
    ) -> None:
        match = re.match(
            r"^/v4/spreadsheets(?:/([^/:]+))?(?::(batchUpdate))?(?:/values(?:/([^:]+))?(?::(\w+))?)?$",
            path,
        )
        if not match:
            return handler.reply(404, _error(404, "no such method"))
        key, batch, values_range, values_action = match.groups()
        writing = handler.command != "GET"
        if writing and WRITE not in scopes:
            return handler.reply(
                403, _error(403, "Request had insufficient authentication scopes.")
            )
        if key is None:
            return self._create(handler, body)
        sheet = self._sheet_or_error(handler, key)
        if sheet is None:
            return None
        if handler.command == "GET":
            return handler.reply(200, _grid(key, sheet, query.get("includeGridData") == ["true"]))
        if not sheet.writable:
            return handler.reply(403, _error(403, "The caller does not have permission"))
        with self.lock:
            sheet.changed(by_us=True)
            if batch:
                for request in body["requests"]:
                    if "addSheet" in request:
                        properties = request["addSheet"]["properties"]
                        sheet.add_tab(properties["title"], properties.get("sheetId"))
                    elif "updateCells" in request:
                        _update_cells(sheet, request["updateCells"])
                    else:
                        sheet.formats.append(request)
                answer: dict[str, Any] = {"spreadsheetId": key, "replies": []}
                if body.get("includeSpreadsheetInResponse"):
                    answer["updatedSpreadsheet"] = _grid(
                        key, sheet, bool(body.get("responseIncludeGridData"))
                    )
                return handler.reply(200, answer)
            if values_action == "clear":
                sheet.tabs[_tab_of(values_range)] = []
                return handler.reply(200, {"spreadsheetId": key})
            if values_action == "batchUpdate":
                assert body["valueInputOption"] == "RAW", body
                for block in body["data"]:
                    sheet.tabs[_tab_of(block["range"])] = [
                        list(map(str, r)) for r in block["values"]
                    ]
                return handler.reply(200, {"spreadsheetId": key})
            assert query.get("valueInputOption") == ["RAW"], query
            sheet.tabs[_tab_of(values_range)] = [list(map(str, r)) for r in body["values"]]
            return handler.reply(200, {"spreadsheetId": key, "updatedRange": values_range})

    def _create(self, handler: _ApiHandler, body: dict[str, Any]) -> None:
        with self.lock:
            self._created += 1
            key = f"cree{self._created:02d}" + "x" * 30
            tabs = {s["properties"]["title"]: [] for s in body["sheets"]}
            self.spreadsheets[key] = FakeSpreadsheet(
                body["properties"]["title"], tabs, "2024-03-12T09:30:00.000Z"
            )
            self.spreadsheets[key].formats.append({"create": body})
        handler.reply(200, _grid(key, self.spreadsheets[key], False) | {"spreadsheetId": key})

    def _upload(self, handler: _ApiHandler, path: str, raw: bytes, scopes: tuple[str, ...]) -> None:
        if "https://www.googleapis.com/auth/drive" not in scopes:
            return handler.reply(
                403, _error(403, "Request had insufficient authentication scopes.", True)
            )
        key = path.removeprefix("/upload/drive/v3/files").strip("/")
        with self.lock:
            if key:
                if key not in self.files:
                    return handler.reply(404, _error(404, f"File not found: {key}.", True))
                self.files[key]["content"] = raw
                self.files[key]["versions"] += 1
                return handler.reply(200, {"id": key})
            boundary = handler.headers["Content-Type"].split("boundary=")[1].encode()
            parts = raw.split(b"--" + boundary)
            metadata = json.loads(parts[1].split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0])
            content = parts[2].split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
            key = f"fichier{len(self.files) + 1:03d}" + "F" * 20
            self.files[key] = {
                "name": metadata["name"],
                "parents": metadata["parents"],
                "content": content,
                "versions": 1,
            }
        return handler.reply(200, {"id": key})

    def _drive(
        self, handler: _ApiHandler, path: str, query: dict, body: Any, scopes: tuple[str, ...]
    ) -> None:
        match = re.match(r"^/drive/v3/files(?:/([^/]+))?(/permissions)?$", path)
        if not match:
            return handler.reply(404, _error(404, "no such method", True))
        key, permissions = match.groups()
        if key is None and "' in parents" in query.get("q", [""])[0]:
            parent = re.search(r"'([^']+)' in parents", query["q"][0]).group(1)
            found = [
                {"id": k, "name": f["name"]}
                for k, f in self.files.items()
                if parent in f["parents"]
            ]
            return handler.reply(200, {"files": found})
        if key is None:
            # gspread's listing of a folder, or recueil's of every spreadsheet shared with it
            folder = re.search(r'parents in "([^"]+)"', query.get("q", [""])[0])
            if not folder and "mimeType" not in query.get("q", [""])[0]:
                return handler.reply(400, _error(400, "unsupported query", True))
            files = [
                {
                    "id": k,
                    "name": s.title,
                    "modifiedTime": s.modified,
                    "createdTime": s.modified,
                    "lastModifyingUser": {"me": s.modified_by_us},
                    "capabilities": {"canEdit": s.writable},
                }
                for k, s in self.spreadsheets.items()
                if s.shared and (s.folder == folder.group(1) if folder else True)
            ]
            size = int(query.get("pageSize", ["1000"])[0])
            start = int(query.get("pageToken", ["0"])[0])
            page: dict[str, Any] = {"kind": "drive#fileList", "files": files[start : start + size]}
            if start + size < len(files):
                page["nextPageToken"] = str(start + size)
            return handler.reply(200, page)
        sheet = self._sheet_or_error(handler, key, drive=True)
        if sheet is None:
            return None
        if permissions:
            sheet.permissions.append(body)
            return handler.reply(200, {"id": "perm", **body})
        return handler.reply(
            200,
            {
                "id": key,
                "name": sheet.title,
                "modifiedTime": sheet.modified,
                "createdTime": sheet.modified,
            },
        )


def _a1(cell: str) -> tuple[int, int]:
    """0-based (row, column) of `B3`."""
    letters = re.match(r"[A-Z]+", cell).group(0)
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(cell[len(letters) :]) - 1, column - 1


def _update_cells(sheet: FakeSpreadsheet, request: dict[str, Any]) -> None:
    """Sheets' updateCells, for the fields recueil may send: note, background, string values and
    links. A field in the mask without a value in the request is cleared, as Google does."""
    fields = set(request["fields"].split(","))
    assert fields <= {
        "note",
        "userEnteredFormat.backgroundColor",
        "userEnteredValue",
        "textFormatRuns",
    }, fields
    if "range" in request and "rows" not in request:  # a whole range cleared
        grid = request["range"]
        title = sheet.title_of(grid["sheetId"])
        assert set(grid) == {"sheetId"}, "recueil clears only whole tabs"
        if "userEnteredValue" in fields:
            sheet.tabs[title] = []
        for kept, field_name in (
            (sheet.links, "textFormatRuns"),
            (sheet.notes, "note"),
            (sheet.backgrounds, "userEnteredFormat.backgroundColor"),
        ):
            if field_name in fields:
                for place in [p for p in kept if p[0] == title]:
                    del kept[place]
        return
    if "range" in request:
        grid = request["range"]
        title, top, left = (
            sheet.title_of(grid["sheetId"]),
            grid["startRowIndex"],
            grid["startColumnIndex"],
        )
    else:
        start = request["start"]
        title, top, left = sheet.title_of(start["sheetId"]), start["rowIndex"], start["columnIndex"]
    rows = sheet.tabs[title]
    for r, row in enumerate(request["rows"]):
        for c, value in enumerate(row.get("values", [])):
            place = (title, top + r, left + c)
            if "note" in fields:
                if value.get("note"):
                    sheet.notes[place] = value["note"]
                else:
                    sheet.notes.pop(place, None)
            if "userEnteredFormat.backgroundColor" in fields:
                colour = value.get("userEnteredFormat", {}).get("backgroundColor")
                if colour:
                    sheet.backgrounds[place] = colour
                else:
                    sheet.backgrounds.pop(place, None)
            if "userEnteredValue" in fields:
                entered = value.get("userEnteredValue", {})
                assert set(entered) <= {"stringValue"}, "recueil writes text only"
                rows.extend([] for _ in range(top + r + 1 - len(rows)))
                line = rows[top + r]
                line.extend("" for _ in range(left + c + 1 - len(line)))
                line[left + c] = entered.get("stringValue", "")
            if "textFormatRuns" in fields:
                runs = value.get("textFormatRuns", [])
                uri = next(
                    (
                        run["format"]["link"]["uri"]
                        for run in runs
                        if "link" in run.get("format", {})
                    ),
                    None,
                )
                if uri:
                    sheet.links[place] = uri
                else:
                    sheet.links.pop(place, None)


def _tab_of(a1_range: str) -> str:
    tab = a1_range.split("!")[0]
    return tab[1:-1].replace("''", "'") if tab.startswith("'") else tab


def _error(status: int, message: str, drive: bool = False) -> dict[str, Any]:
    names = {
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
    }
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "status": names.get(status, "INTERNAL"),
    }
    if drive:
        error["errors"] = [
            {
                "domain": "global",
                "reason": names.get(status, "backendError").lower(),
                "message": message,
            }
        ]
    return {"error": error}


def _grid(key: str, sheet: FakeSpreadsheet, with_data: bool) -> dict[str, Any]:
    sheets = []
    for index, (title, rows) in enumerate(sheet.tabs.items()):
        entry: dict[str, Any] = {
            "properties": {"sheetId": sheet.sheet_ids[title], "title": title, "index": index}
        }
        if with_data:
            height = max(
                [len(rows)]
                + [r + 1 for t, r, _ in (*sheet.notes, *sheet.backgrounds) if t == title]
            )
            data = []
            for r in range(height):
                row = rows[r] if r < len(rows) else []
                width = max(
                    [len(row)]
                    + [
                        c + 1
                        for t, rr, c in (*sheet.notes, *sheet.backgrounds)
                        if t == title and rr == r
                    ]
                )
                values = []
                for c in range(width):
                    value: dict[str, Any] = {}
                    if c < len(row) and row[c] != "":
                        value["formattedValue"] = row[c]
                    if (title, r, c) in sheet.notes:
                        value["note"] = sheet.notes[(title, r, c)]
                    if (title, r, c) in sheet.backgrounds:
                        value["userEnteredFormat"] = {
                            "backgroundColor": sheet.backgrounds[(title, r, c)]
                        }
                    values.append(value)
                data.append({"values": values} if values else {})
            entry["data"] = [{"rowData": data}]
        sheets.append(entry)
    return {"spreadsheetId": key, "properties": {"title": sheet.title}, "sheets": sheets}


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeGoogle


class _ProxyHandler(socketserver.StreamRequestHandler):
    """Answers CONNECT for Google's hosts, then speaks HTTPS as those hosts."""

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1")
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        method, target, _ = (request_line.split() + ["", "", ""])[:3]
        host = target.split(":")[0]
        if method != "CONNECT" or host not in HOSTS:
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        try:
            tls = self.server.fake.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with contextlib.suppress(ssl.SSLError, OSError):  # a client that hangs up mid-request
            _ApiHandler(tls, self.client_address, self.server)


class _ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.fake.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def reply(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a test of timeouts)

    def log_message(self, *args: Any) -> None:
        pass
