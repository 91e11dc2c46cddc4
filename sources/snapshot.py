"""Workbooks saved as CSV folders with their metadata: valid copies and pulled snapshots.

A saved workbook is an ordinary local workbook (one `.csv` file per tab), so any of them can be read back
with `sources.reading.read_workbook`; the metadata sits beside the tabs in `_recueil.json`: the real tab
name of each file (a tab named « Fiche : » or two tabs « Fiche » and « FICHE » cannot be file names as
they are), and the date of the source's data.

A folder is replaced through a rename away and a rename into place; a crash between the two leaves the
previous copy under `.old-<name>`, which the next save or read puts back (`recover`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

from sources.files import new_folder, read_contained
from sources.reading import read_workbook
from sources.workbook import SourceError, Tab, Workbook

METADATA = "_recueil.json"
_UNSAFE = re.compile(r"[^\w.\- ]+")
_NAME_CHARS = 80  # a saved file or folder name stays far below file systems' 255 bytes


def safe_name(text: str) -> str:
    """A file or folder name from a tab name or a sheet reference: no separator, no leading dot,
    bounded; a name that had to change gets a hash of the original, so two never collide."""
    safe = _UNSAFE.sub("_", text).strip(" .") or "_"
    if safe == text and len(safe) <= _NAME_CHARS:
        return safe
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{safe[:_NAME_CHARS]}-{digest}"


def _previous(folder: Path) -> Path:
    return folder.with_name(f".old-{folder.name}")


def recover(folder: Path) -> None:
    """Put back the previous copy a crash left between the two renames of `save_workbook`."""
    previous = _previous(folder)
    if not previous.is_dir():
        return
    if folder.is_dir():
        shutil.rmtree(previous, ignore_errors=True)  # the new copy made it into place
    else:
        os.replace(previous, folder)


def save_workbook(workbook: Workbook, folder: Path, metadata: dict[str, Any]) -> None:
    """Write `workbook` as a CSV folder with `metadata`, replacing `folder` whole or not at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover(folder)
    staging = new_folder(folder.parent, ".saving-")
    try:
        files: dict[str, str] = {}
        for tab in workbook.tabs:
            stem = safe_name(tab.name)
            while stem.casefold() in {f.casefold() for f in files}:
                stem = safe_name(f"{tab.name} {len(files)}")
            files[stem] = tab.name
            with (staging / f"{stem}.csv").open("w", encoding="utf-8", newline="") as file:
                csv.writer(file, lineterminator="\n").writerows(tab.rows)
        record = {
            **metadata,
            "name": workbook.name,
            "location": workbook.location,
            "modified": workbook.modified,
            "tabs": files,
        }
        (staging / METADATA).write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        previous = _previous(folder)
        if folder.exists():
            os.replace(folder, previous)
        os.replace(staging, folder)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def saved_metadata(folder: Path, root: Path, name: str) -> dict[str, Any]:
    """The metadata of a saved workbook, checked: a malformed file is an error, never a traceback."""
    problem = "la copie enregistrée par recueil a un fichier _recueil.json illisible"
    try:
        metadata = json.loads(read_contained(folder / METADATA, root, name).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise SourceError(name, f"{problem} (JSON attendu)") from None
    if not isinstance(metadata, dict):
        raise SourceError(name, f"{problem} (un objet JSON est attendu)")
    modified = metadata.get("modified")
    if modified is not None:
        try:
            dt.datetime.fromisoformat(str(modified))
        except ValueError:
            raise SourceError(
                name, f"{problem} (« modified » n'est pas une date : {str(modified)[:40]!r})"
            ) from None
    tabs = metadata.get("tabs", {})
    if not isinstance(tabs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tabs.items()
    ):
        raise SourceError(name, f"{problem} (« tabs » n'associe pas des noms d'onglets)")
    return metadata


def load_workbook(folder: Path, root: Path | None = None) -> tuple[Workbook, dict[str, Any]]:
    """A saved workbook and its metadata: its tabs under their real names, its `modified` the one
    recorded, not the files' own. Every file is read inside `root` (by default the folder's parent)."""
    recover(folder)
    root = (root or folder.parent).resolve()
    metadata = saved_metadata(folder, root, folder.name)
    workbook = read_workbook(folder, metadata.get("name") or folder.name, root)
    names = {unicodedata.normalize("NFC", k): v for k, v in metadata.get("tabs", {}).items()}
    tabs = tuple(Tab(names.get(tab.name, tab.name), tab.rows) for tab in workbook.tabs)
    return (
        Workbook(
            workbook.name,
            metadata.get("location", str(folder)),
            tabs,
            workbook.notices,
            metadata.get("modified"),
        ),
        metadata,
    )
