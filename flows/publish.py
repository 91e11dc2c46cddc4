"""Publication: every published set is archived whole, and the edition switches to it in one rename.

Layout of `output/<year>/`:
- `archive/<timestamp>/`: each published set (documents, checks report, `manifest.json`), never changed;
- `publie`: a symbolic link to the latest published set, replaced in one atomic rename;
- `programme-<year>.pdf`, `contributions/`, `reseau-<year>.xlsx`, `manifest.json`: stable names, links
  through `publie`, so that they always show one whole edition;
- `brouillon/`: the documents of the latest build with errors, never published.
A crash at any point leaves the previous edition whole: a set is visible only once it is complete.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sources.files import new_folder, write_atomically

ARCHIVE = "archive"
CURRENT = "publie"
DRAFT_FOLDER = "brouillon"
MANIFEST = "manifest.json"
SWITCHED = ".publiees"  # beside archive/: the archives `publie` was switched to, one a line
NOT_LINKED = {
    "controles.html",
    "controles.json",
}  # the latest check, of whatever build, lives beside


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """One build at a time writes into `out` (a scheduled run and a manual one wait for each other).

    Under the lock, what a killed build left half-written is cleared; so is, on the way out, what
    this build leaves unfinished (interrupted, or failed before publishing).
    """
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".recueil.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            _clear_staging(out)
            yield
        finally:
            _clear_staging(out)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clear_staging(out: Path) -> None:
    for leftover in out.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def staging_folder(out: Path) -> Path:
    """A fresh folder on the same file system as `out`, so that moving out of it is a rename."""
    out.mkdir(parents=True, exist_ok=True)
    return new_folder(out, ".staging-")


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hexadecimal."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under `folder`, by relative path: its SHA-256 and size."""
    return {
        str(p.relative_to(folder)): {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def published_manifest(edition: Path) -> dict[str, Any] | None:
    """The manifest of the edition currently published, if any."""
    path = edition / CURRENT / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def publish(
    staging: Path, edition: Path, manifest: dict[str, Any], now: dt.datetime | None = None
) -> Path:
    """Archive the complete set in `staging` and make it the published edition; its archive folder."""
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    manifest = {
        **manifest,
        "published": now.isoformat(timespec="seconds"),
        "files": file_hashes(staging),
    }
    (staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    archive = edition / ARCHIVE / stamp
    archive.parent.mkdir(parents=True, exist_ok=True)
    os.rename(staging, archive)  # the set appears whole, or not at all
    _point(edition / CURRENT, Path(ARCHIVE) / stamp)  # published from here on
    _record_switch(edition, stamp)
    _link_stable_names(edition)
    return archive


def place(staging: Path, edition: Path, manifest: dict[str, Any] | None) -> Path:
    """Publish the staged set with its manifest, or, without one, make it the draft; where it went."""
    if manifest is None:
        return publish_draft(staging, edition)
    return publish(staging, edition, manifest)


def linked_files(folder: Path) -> list[tuple[str, int]]:
    """The files of a placed set and their sizes, but for the checks report (it lives beside)."""
    placed = sorted(p for p in folder.rglob("*") if p.is_file())
    return [(str(p), p.stat().st_size) for p in placed if p.name not in NOT_LINKED]


def current_archive(edition: Path) -> str | None:
    """The name of the archive `publie` points to, if an edition was ever published."""
    link = edition / CURRENT
    return Path(os.readlink(link)).name if link.is_symlink() else None


def published_archives(edition: Path) -> set[str]:
    """The archives that were once the published edition; an archive written by a build that
    stopped before its switch was never published, and is not one of them."""
    current = current_archive(edition)
    log = edition / SWITCHED
    if log.is_file():
        names = set(log.read_text(encoding="utf-8").split())
    else:  # archives published before the log existed: every one up to the current one
        names = {
            p.name
            for p in (edition / ARCHIVE).glob("*")
            if p.is_dir() and current is not None and p.name <= current
        }
    return names | ({current} if current else set())


def _record_switch(edition: Path, stamp: str) -> None:
    names = sorted(published_archives(edition) | {stamp})
    write_atomically(edition / SWITCHED, "\n".join(names) + "\n")


def recover(edition: Path) -> None:
    """Finish what a stopped publication left: the stable names of the published edition.

    The switch of `publie` is the moment of publication; a build stopped after it, before the stable
    names were all made, left them missing or pointing to nothing: they are made again here. A build
    stopped before the switch left an archive that `published_archives` does not count.
    """
    current = current_archive(edition)
    if current is None or not (edition / CURRENT).is_dir():
        return
    log = edition / SWITCHED
    if not log.is_file() or current not in log.read_text(encoding="utf-8").split():
        _record_switch(edition, current)
    _link_stable_names(edition)


def _link_stable_names(edition: Path) -> None:
    for entry in (edition / CURRENT).iterdir():
        if entry.name not in NOT_LINKED:
            _link_stable_name(edition / entry.name, Path(CURRENT) / entry.name)


def publish_draft(staging: Path, edition: Path) -> Path:
    """Replace `brouillon/` by the documents in `staging`; the published edition is not touched."""
    draft = edition / DRAFT_FOLDER
    edition.mkdir(parents=True, exist_ok=True)
    previous = edition / f".{DRAFT_FOLDER}-precedent"
    shutil.rmtree(previous, ignore_errors=True)
    if draft.exists():
        os.rename(draft, previous)
    os.rename(staging, draft)
    shutil.rmtree(previous, ignore_errors=True)
    return draft


def _point(link: Path, target: Path) -> None:
    """Make `link` a symbolic link to `target`, replacing what was there in one rename."""
    temporary = link.with_name(f".{link.name}.nouveau")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, link)


def _link_stable_name(path: Path, target: Path) -> None:
    """A stable name pointing through `publie`, created once; an older real file or folder is replaced."""
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    _point(path, target)


def write_index(out: Path) -> Path:
    """`output/index.html`: every edition, its published documents and its earlier publications."""
    from flows.render import render_html

    editions = []
    for folder in sorted(
        (p for p in out.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True
    ):
        manifest = published_manifest(folder)
        archives = sorted(
            (p for p in (folder / ARCHIVE).glob("*") if p.is_dir()),
            key=lambda p: p.name,
            reverse=True,
        )
        published = published_archives(folder)
        current = current_archive(folder)
        earlier = [p for p in archives if p.name in published and p.name != current]
        editions.append(
            {
                "year": folder.name,
                "published": dt.datetime.fromisoformat(manifest["published"]) if manifest else None,
                "data_date": manifest.get("data_date") if manifest else None,
                "documents": _documents(manifest) if manifest else [],
                "archives": [_archived(folder, p) for p in earlier],
                "draft": (folder / DRAFT_FOLDER).is_dir(),
            }
        )
    index = out / "index.html"
    write_atomically(index, render_html("index.html", editions=editions))
    return index


def _documents(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents of a publication, titled, programme first; its own records are not documents."""
    described = manifest.get("documents", {})
    documents = []
    for path, facts in manifest["files"].items():
        if Path(path).name in NOT_LINKED or path == MANIFEST:
            continue
        about = described.get(path, {})
        documents.append(
            {
                "path": path,
                "title": about.get("title") or Path(path).stem,
                "pages": about.get("pages"),
                "bytes": facts["bytes"],
                "kind": Path(path).suffix.lstrip(".").upper(),
            }
        )
    order = {"PDF": 0, "XLSX": 1}
    return sorted(documents, key=lambda d: (order.get(d["kind"], 2), "/" in d["path"], d["path"]))


def _archived(edition: Path, archive: Path) -> dict[str, Any]:
    """An earlier publication of an edition: when, and from data of which date."""
    path = archive / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    published = manifest.get("published")
    return {
        "path": f"{edition.name}/{ARCHIVE}/{archive.name}/",
        "published": dt.datetime.fromisoformat(published) if published else None,
        "data_date": manifest.get("data_date"),
        "name": archive.name,
    }
