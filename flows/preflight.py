"""« Rien de nouveau » decided before Prefect, Great Expectations, pandas or WeasyPrint are imported.

A local build's inputs are files: the edition folder, the bundled editions (where the year before is
looked for), the published manifests of the output folder (the other source of the year before), the
templates, the code and the suites, the versions of the packages that shape the documents, the options
and SOURCE_DATE_EPOCH. When their fingerprint is the one recorded beside an edition after it was
published, and that edition is still the one published, a new build would publish nothing new.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flows.settings import EDITIONS_DIR
from sources.files import write_atomically

RECORD = ".empreinte.json"
CURRENT = "publie"


def _tree(digest: hashlib._Hash, folder: Path) -> None:
    """Every entry below `folder`, links as links (never followed), files by their bytes."""
    if not folder.is_dir():
        digest.update(b"absent")
        return
    for top, folders, files in os.walk(folder, followlinks=False):
        folders.sort()
        for name in sorted(files) + [f"{d}/" for d in folders]:
            path = Path(top) / name.rstrip("/")
            digest.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape"))
            if path.is_symlink():
                digest.update(b"->" + os.fsencode(os.readlink(path)))
            elif not name.endswith("/") and path.is_file():  # never a FIFO or a device
                digest.update(path.read_bytes())


def inputs(source: Path, previous: Path | None, options: dict[str, object]) -> str:
    """The fingerprint of what a local build reads, but for the output folder's manifests."""
    from flows import manifest

    digest = hashlib.sha256()
    digest.update(
        repr(
            (
                sorted(options.items()),
                os.environ.get("SOURCE_DATE_EPOCH"),
                manifest.code_digest(),
                manifest.templates_digest(),
                manifest.rendering_digest(),
                manifest.package_versions(),
            )
        ).encode()
    )
    for folder in (source, previous, EDITIONS_DIR):
        if folder is not None:
            digest.update(str(folder.resolve()).encode())
            _tree(digest, folder)
    return digest.hexdigest()


def _with_output(fingerprint: str, out: Path) -> str:
    """The fingerprint completed by the manifests published in the output folder."""
    digest = hashlib.sha256(fingerprint.encode())
    for path in sorted(out.glob(f"*/{CURRENT}/manifest.json")):
        digest.update(str(path.relative_to(out)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def unchanged(fingerprint: str, out: Path) -> Path | None:
    """The edition folder whose publication was made from exactly these inputs, if any."""
    if not out.is_dir():
        return None
    complete = _with_output(fingerprint, out)
    for record in sorted(out.glob(f"*/{RECORD}")):
        edition = record.parent
        try:
            saved = json.loads(record.read_text(encoding="utf-8"))
            published = (edition / CURRENT).resolve(strict=True).name
        except (OSError, ValueError):
            continue
        manifest = edition / CURRENT / "manifest.json"
        if (
            saved.get("inputs") == complete
            and saved.get("archive") == published
            and manifest.is_file()
        ):
            return edition
    return None


def remember(fingerprint: str, out: Path, edition: Path) -> None:
    """Record, beside an edition just published (or found unchanged), what it was made from."""
    archive = (edition / CURRENT).resolve(strict=True).name
    record = {"inputs": _with_output(fingerprint, out), "archive": archive}
    write_atomically(edition / RECORD, json.dumps(record))
