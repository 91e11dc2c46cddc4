"""The date of a local workbook that is the same in every clone: its last commit, not its file times.

A checkout sets every file's modification time to the moment of the clone, so a tracked workbook is dated
by the last git commit that changed it. A workbook with uncommitted changes, outside a repository, or on a
machine without git is dated by its files' modification time: then that time is a real edit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(folder: Path, *arguments: str) -> str | None:
    """What a git command run in `folder` prints, or None where git or the repository is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *arguments],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def committed(path: Path) -> str | None:
    """ISO time of the last commit touching `path` (a file or a CSV folder), if it is unchanged since."""
    folder = path if path.is_dir() else path.parent
    changes = git(folder, "status", "--porcelain", "--untracked-files=all", "--", str(path))
    if changes is None or changes:
        return None
    return git(folder, "log", "-1", "--format=%cI", "--", str(path)) or None
