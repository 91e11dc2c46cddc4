"""Google Drive: which spreadsheets changed (one listing for all of them), a folder's spreadsheets,
and the published documents copied into a folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
DRIVE_UPLOAD = "https://www.googleapis.com/upload/drive/v3/files"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"


@dataclass(frozen=True)
class Listed:
    """A spreadsheet as Drive lists it: when it last changed, whether that change was recueil's own
    (the service account's), and whether recueil may write into it."""

    modified: str
    by_us: bool = False
    can_edit: bool = True


def visible_spreadsheets(client: Any) -> dict[str, Listed]:
    """Every spreadsheet the service account can open, by ID: one request per 1,000 spreadsheets.

    The service account sees only what was shared with it, so this is the edition's workbooks (and
    those of other years): one listing instead of one request per workbook.
    """
    http = client.http_client
    found: dict[str, Listed] = {}
    params: dict[str, Any] = {
        "q": f"mimeType = '{SPREADSHEET}' and trashed = false",
        "fields": "nextPageToken,files(id,modifiedTime,lastModifyingUser(me),capabilities(canEdit))",
        "pageSize": 1000,
        "supportsAllDrives": True,
        "includeItemsFromAllDrives": True,
    }
    while True:
        page = http.request("get", DRIVE_FILES, params=params).json()
        for file in page.get("files", []):
            found[file["id"]] = Listed(
                file.get("modifiedTime", ""),
                bool(file.get("lastModifyingUser", {}).get("me")),
                bool(file.get("capabilities", {}).get("canEdit", True)),
            )
        if not page.get("nextPageToken"):
            return found
        params["pageToken"] = page["nextPageToken"]


def list_folder(client: Any, folder: str) -> list[dict[str, Any]]:
    """The spreadsheets of a Drive folder: id, name, modifiedTime."""
    return client.list_spreadsheet_files(folder_id=folder)


def upload_files(
    client: Any, folder: str, files: list[tuple[str, Path]]
) -> list[tuple[str, str, bool]]:
    """Put each (name, path) in a Drive folder, updating the file of the same name so links keep working.

    Returns (name, file ID, whether it was created). Trying again after a failure is safe: a file
    already uploaded is found by its name and updated.
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
