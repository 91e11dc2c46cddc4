"""Whether a process runs: one answer for the local server, the interrupted builds' folders and the
tests. Standard library only (a build asks before importing anything heavy)."""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether `pid` runs. A zombie (dead, not yet reaped by its parent) does not; a process of
    another account does, though this one may not signal it."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to tell a zombie from a live one
    return stat.rpartition(")")[2].split()[0] != "Z"
