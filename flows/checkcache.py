"""Checks remembered on disk by content, so that an unchanged workbook is not checked again.

A workbook's outcome depends on what was read (its cells, names and modified time, all in the
`Fetched` value), on the network it is checked against (its centres, its year), on the code and suites
that check it and on the versions of the packages. The key is a hash of all of that, computed without
Great Expectations or pandas: a workbook unchanged since its last check is answered without importing
them. Entries are written atomically in the folder given (`Settings.check_cache`: `controles/` beside
Prefect's cached results, in the project's `.prefect/` by default, removed by `make clean`); they hold
outcomes (records and problems), never credentials. `recueil build` and `recueil check` share them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

from flows import load, manifest
from flows.model import Network, Outcome

# Enough for a 500-group edition checked several times; the least recently used go first beyond it.
MAX_ENTRIES = 4096


def _read(path: Path) -> object | None:
    """The value stored at `path`, None when there is none or it cannot be read."""
    try:
        value = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when the folder is pruned
    return value


def _store(path: Path, value: object) -> None:
    """Written beside its place and renamed, so that a reader never sees half an entry."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partiel")
        with os.fdopen(handle, "wb") as file:
            file.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)
    except OSError:
        pass  # a cache that cannot be written costs time, never a check


def prune(folder: Path) -> None:
    """Only the `MAX_ENTRIES` most recently used entries kept: once per batch of checks, not per
    entry (listing the folder is what costs)."""
    try:
        entries = list(folder.glob("*.pickle"))
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _entry(folder: Path, *inputs: object) -> Path:
    key = manifest.fingerprint(*inputs, manifest.code_digest(), manifest.package_versions())
    return folder / f"{key}.pickle"


# The network's hash, for the network last asked about: every workbook of an edition is checked
# against the same one, and hashing its whole record for each of them cost a second at 500 groups.
_network_digests: list[tuple[Network, str]] = []


def _network_digest(network: Network | None) -> str | None:
    if network is None:
        return None
    for known, digest in _network_digests:
        if known is network:
            return digest
    digest = manifest.fingerprint(network)
    _network_digests[:] = [(network, digest)]  # held, so that its id is never another's
    return digest


def recall(folder: Path, fetched: load.Fetched, network: Network | None) -> Outcome | None:
    """The outcome of an earlier check of the same workbook against the same network, by the same
    code and packages, remembered in `folder`; None when there is none."""
    value = _read(_entry(folder, "check", fetched, _network_digest(network)))
    return value if isinstance(value, Outcome) else None


def remember(
    folder: Path, fetched: load.Fetched, network: Network | None, outcome: Outcome
) -> None:
    """Keep the outcome of checking `fetched` against `network`, for `recall` (`prune` once the
    batch is remembered)."""
    _store(_entry(folder, "check", fetched, _network_digest(network)), outcome)


def check_across(
    folder: Path,
    network: Network,
    outcomes: dict[str, Outcome],
    compute: Callable[[Network, dict[str, Outcome]], dict[str, Outcome]],
) -> dict[str, Outcome]:
    """`compute(network, outcomes)` (the merged view's suite), remembered on the same terms."""
    path = _entry(folder, "across", network, outcomes)
    value = _read(path)
    if isinstance(value, dict):
        return value
    value = compute(network, outcomes)
    _store(path, value)
    prune(folder)
    return value
