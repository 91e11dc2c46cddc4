"""Workbooks saved as CSV folders with their metadata: valid copies and pulled snapshots.

A saved workbook is an ordinary local workbook (one `<Tab>.csv` per tab), so any of them can be read
back with `sources.local.read_workbook`; the metadata sits beside the tabs in `_recueil.json`, which the
CSV reader ignores.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sources.local import read_workbook
from sources.workbook import Workbook

METADATA = "_recueil.json"
_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_name(text: str) -> str:
    """A file or folder name from a tab name or a sheet reference (no separators, no leading dot)."""
    return _UNSAFE.sub("_", text).strip(" .") or "_"


def save_workbook(workbook: Workbook, folder: Path, metadata: dict[str, Any]) -> None:
    """Write `workbook` as a CSV folder with `metadata`, replacing `folder` in one rename."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=folder.parent))
    try:
        for tab in workbook.tabs:
            with (staging / f"{safe_name(tab.name)}.csv").open(
                "w", encoding="utf-8", newline=""
            ) as file:
                csv.writer(file, lineterminator="\n").writerows(tab.rows)
        record = {
            **metadata,
            "name": workbook.name,
            "location": workbook.location,
            "modified": workbook.modified,
        }
        (staging / METADATA).write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        previous = folder.with_name(f".old-{folder.name}")
        if folder.exists():
            os.replace(folder, previous)
        os.replace(staging, folder)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_workbook(folder: Path) -> tuple[Workbook, dict[str, Any]]:
    """A saved workbook and its metadata; its `modified` is the one recorded, not the files' own."""
    metadata = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    workbook = read_workbook(folder, metadata.get("name") or folder.name)
    return (
        Workbook(
            workbook.name,
            metadata.get("location", str(folder)),
            workbook.tabs,
            (),
            metadata.get("modified"),
        ),
        metadata,
    )
