"""Put rendered documents in place without ever leaving a half-written file behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

DRAFT_FOLDER = "brouillon"


def edition_folder(out: Path, year: int, draft: bool) -> Path:
    """`output/2024/`, or `output/2024/brouillon/` for a build whose inputs have errors."""
    folder = out / str(year)
    return folder / DRAFT_FOLDER if draft else folder


def staging_folder(out: Path) -> Path:
    """A fresh folder on the same file system as `out`, so that moving out of it is a rename."""
    out.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=out))


def publish(staging: Path, target: Path) -> list[Path]:
    """Move every file of `staging` into `target` (one rename each), then remove `staging`."""
    placed = []
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / file.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, destination)
        placed.append(destination)
    shutil.rmtree(staging, ignore_errors=True)
    return placed
