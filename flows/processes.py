"""Whether a process runs (one answer for the local server, the interrupted builds' folders and the
tests), and how a build's helper process behaves. Standard library only (a build asks before
importing anything heavy)."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import Executor
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


def follow_parent(parent: int) -> None:
    """In a build's helper process: leave Ctrl-C to the build (it says what happened, once), and
    stop when the build's process is gone, however it ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def stop_pool(pool: Executor | None, interrupted: bool) -> None:
    """Stop a pool of helper processes: idle ones exit at once; when the build was interrupted (or
    gave them nothing to do: they may still be importing), busy ones too."""
    if pool is None:
        return
    if interrupted:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
