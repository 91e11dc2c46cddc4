"""Checks remembered on disk by content, so that an unchanged workbook is not checked again.

A workbook's outcome depends on what was read (its cells, names and modified time, all in the
`Fetched` value), on the network it is checked against (its centres, its year), on the code and suites
that check it and on the versions of the packages. The key is a hash of all of that, computed without
Great Expectations or pandas: a workbook unchanged since its last check is answered without importing
them. Entries are written atomically in `controles/` of the Prefect home given (the project's
`.prefect/` by default, removed by `make clean`); they hold outcomes (records and problems), never
credentials.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flows import load, manifest
from flows.model import Network, Outcome

# Enough for a 500-group edition checked several times; the least recently used go first beyond it.
MAX_ENTRIES = 4096
FOLDER = "controles"
T = TypeVar("T")


def _remembered(home: Path, key: str, compute: Callable[[], T]) -> T:
    """The value stored under `key`, else `compute()`, stored; an unreadable entry is computed again."""
    path = home / FOLDER / f"{key}.pickle"
    try:
        value = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when the folder is pruned
        return value
    value = compute()
    _store(path, value)
    return value


def _store(path: Path, value: object) -> None:
    """Written beside its place and renamed, so that a reader never sees half an entry."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partiel")
        with os.fdopen(handle, "wb") as file:
            file.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)
        _prune(path.parent)
    except OSError:
        pass  # a cache that cannot be written costs time, never a check


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*.pickle"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        old.unlink(missing_ok=True)


def check(
    home: Path,
    fetched: load.Fetched,
    network: Network | None,
    compute: Callable[[load.Fetched, Network | None], Outcome],
) -> Outcome:
    """`compute(fetched, network)` (checking one workbook), remembered in the Prefect home `home`:
    the same inputs, code and packages give the same outcome."""
    key = manifest.fingerprint(
        "check", fetched, network, manifest.code_digest(), manifest.package_versions()
    )
    return _remembered(home, key, lambda: compute(fetched, network))


def check_across(
    home: Path,
    network: Network,
    outcomes: dict[str, Outcome],
    compute: Callable[[Network, dict[str, Outcome]], dict[str, Outcome]],
) -> dict[str, Outcome]:
    """`compute(network, outcomes)` (the merged view's suite), remembered on the same terms."""
    key = manifest.fingerprint(
        "across", network, outcomes, manifest.code_digest(), manifest.package_versions()
    )
    return _remembered(home, key, lambda: compute(network, outcomes))
