"""The local Prefect server that recueil keeps between builds.

Starting Prefect's API costs several seconds; a build that had to start one every time spent most of
its time there. The first build without PREFECT_API_URL starts a server on 127.0.0.1 in its own session
(Ctrl-C in the terminal does not reach it) and leaves it running; later builds find it again from the
state file in PREFECT_HOME and check that it answers. The server stops itself after an idle time (no
request and no build using it), or on `recueil server stop`.

Files in PREFECT_HOME:
- `recueil-serveur.json`: pid, port and Prefect version of the running server;
- `recueil-serveur.verrou`: held while a build finds or starts the server, so that two builds start one;
- `recueil-serveur.utilisation`: each build holds it shared while it runs; the server stops for
  idleness only when it can take it alone;
- `recueil-serveur.log`: what the server printed (its errors).

Only the standard library is imported at module level: a build imports this before Prefect, and the
server's launcher must start fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flows.processes import alive

STATE = "recueil-serveur.json"
START_LOCK = "recueil-serveur.verrou"
USE_LOCK = "recueil-serveur.utilisation"
LOG = "recueil-serveur.log"
PREFERRED_PORT = 4201  # beside Prefect's usual 4200, which a `prefect server start` takes
IDLE_MINUTES = 30.0
STARTUP_SECONDS = 90.0  # a first start migrates the database; a loaded 2-core machine is slow


class ServerError(Exception):
    """The local server could not be started or stopped; the message says why, in French."""


class PortTaken(ServerError):
    """The exact port asked for is another program's."""

    def __init__(self, port: int) -> None:
        super().__init__(f"Le port {port} de 127.0.0.1 est déjà pris : choisissez-en un autre.")


PORT_TAKEN_EXIT = 3  # the launcher's exit status when an exact port is taken


@dataclass(frozen=True)
class LocalServer:
    pid: int
    port: int
    home: Path

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.address}/api"

    @property
    def log(self) -> Path:
        return self.home / LOG

    def healthy(self) -> bool:
        return healthy(self.api_url)

    def running(self) -> bool:
        """Whether its process still runs (it may not answer yet, or any more)."""
        return alive(self.pid)

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Return once the server answers; raise ServerError if it stopped or took too long."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if not alive(self.pid):
                raise ServerError(
                    f"Le serveur Prefect local s'est arrêté au démarrage : voir {self.log}"
                )
            if time.monotonic() > deadline:
                raise ServerError(
                    f"Le serveur Prefect local ne répond pas après {timeout:.0f} s : voir {self.log}"
                )
            time.sleep(0.1)


def use_api(api_url: str) -> None:
    """Point Prefect at `api_url`, also when it was imported before (a test calling the command)."""
    os.environ["PREFECT_API_URL"] = api_url
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


def healthy(api_url: str, timeout: float = 2) -> bool:
    """Whether a Prefect API answers at `api_url` (what its /health says)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as answer:  # noqa: S310 (loopback)
            return answer.read(64).strip() == b"true"
    except (OSError, ValueError):
        return False


def _is_ours(pid: int) -> bool:
    """Whether `pid` is a recueil server (a pid in an old state file may have been reused)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return alive(pid)
    return b"flows.server" in command


def _prefect_version() -> str:
    from importlib.metadata import version

    return version("prefect")


def read_state(home: Path) -> dict | None:
    try:
        return json.loads((home / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def find(home: Path) -> LocalServer | None:
    """The server recorded in `home`, if its process still runs (it may still be starting)."""
    state = read_state(home)
    if not state:
        return None
    pid, port = int(state.get("pid", 0)), int(state.get("port", 0))
    if pid <= 0 or not alive(pid) or not _is_ours(pid):
        return None
    return LocalServer(pid, port, home)


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Use:
    """A build's use of the server: the server does not stop for idleness while one is held."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self._handle = (home / USE_LOCK).open("a")
        fcntl.flock(self._handle, fcntl.LOCK_SH)

    def release(self) -> None:
        if not self._handle.closed:
            self._handle.close()


def start(
    home: Path,
    port: int | None = None,
    idle_minutes: float | None = None,
    exact: bool = False,
) -> tuple[LocalServer, Use, bool]:
    """The running server of `home`, or one started now, without waiting for it to answer.

    `port`: the one to start it on; by default PREFERRED_PORT when free; 0: any free one.
    `exact`: that port or none (ServerError when it is taken), instead of another free one.
    `idle_minutes`: how long a server started now waits without activity before it stops
    (IDLE_MINUTES by default).
    Returns the server, the caller's use of it (to release when done) and whether it was started now.
    A server already running is returned whatever its port: the caller compares it with `port`.
    """
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / START_LOCK, fcntl.LOCK_EX):
        use = Use(home)  # taken before looking, so that an idle server cannot stop in between
        running = find(home)
        state = read_state(home) or {}
        if running is not None and state.get("prefect") == _prefect_version():
            return running, use, False
        if running is not None:  # started by another version of Prefect: replaced
            _terminate(running)
        (home / STATE).unlink(missing_ok=True)
        try:
            server = _spawn(home, PREFERRED_PORT if port is None else port, idle_minutes, exact)
        except ServerError:
            use.release()
            raise
        return server, use, True


def _bound_socket(port: int, exact: bool = False) -> socket.socket:
    """A listening socket on 127.0.0.1:`port`, else (unless `exact`) on any free port (`port` 0: any).

    Bound by the launcher before the server starts, so that the port is held from the moment it is
    chosen: two servers of different homes started at once cannot both take it.
    """
    for candidate in (port,) if exact else dict.fromkeys((port, 0)):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A server restarted on its port finds it in TIME_WAIT for a minute; on Linux this never
        # lets two listeners share a port.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", candidate))
        except OSError:
            listener.close()
            continue
        listener.listen(128)
        return listener
    if exact:
        raise PortTaken(port)
    raise ServerError("aucun port libre sur 127.0.0.1 pour le serveur Prefect local")


def _spawn(home: Path, port: int, idle_minutes: float | None, exact: bool = False) -> LocalServer:
    """Start the server detached from this process: a launcher binds its port, forks it into a new
    session and exits, so that it is nobody's child (no zombie) and outlives the build that started
    it. `port`: the one wanted (another free one when it is taken, unless `exact`), 0 for any."""
    idle = IDLE_MINUTES if idle_minutes is None else idle_minutes
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    environment["PREFECT_HOME"] = str(home)
    with (home / LOG).open("wb") as log:
        launcher = subprocess.run(
            [
                sys.executable,
                "-m",
                "flows.server",
                "--port",
                str(port),
                "--idle",
                str(idle),
                *(["--exact"] if exact else []),
            ],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            check=False,
        )
    if launcher.returncode == PORT_TAKEN_EXIT:
        raise PortTaken(port)
    printed = launcher.stdout.split()
    if launcher.returncode != 0 or len(printed) != 2 or not all(w.isdigit() for w in printed):
        raise ServerError(f"Le serveur Prefect local n'a pas pu être lancé : voir {home / LOG}")
    pid, port = (int(w) for w in printed)
    state = {
        "pid": pid,
        "port": port,
        "prefect": _prefect_version(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "idle_minutes": idle,
    }
    partial = home / f"{STATE}.partial"
    partial.write_text(json.dumps(state) + "\n", encoding="utf-8")
    os.replace(partial, home / STATE)
    return LocalServer(pid, port, home)


def stop(home: Path, timeout: float = 30) -> LocalServer | None:
    """Stop the server of `home`; the one stopped, or None when none ran."""
    if not home.is_dir():
        return None  # nothing was started there (a fresh checkout's home does not exist yet)
    with _locked(home / START_LOCK, fcntl.LOCK_EX):
        running = find(home)
        if running is not None:
            _terminate(running, timeout)
        (home / STATE).unlink(missing_ok=True)
    return running


def _terminate(server: LocalServer, timeout: float = 30) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(server.pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGKILL)
            break
        time.sleep(0.1)


# --- The server process -------------------------------------------------------------------------


class _Activity:
    """ASGI middleware noting when the last request came, health checks apart."""

    def __init__(self, app) -> None:
        self.app = app
        self.last = time.monotonic()

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") in ("http", "websocket") and not scope.get("path", "").endswith(
            "/health"
        ):
            self.last = time.monotonic()
        await self.app(scope, receive, send)


def _idle_for(home: Path, activity: _Activity, idle_seconds: float) -> bool:
    """Idle: no request for `idle_seconds` and no build holding its use of the server."""
    if time.monotonic() - activity.last < idle_seconds:
        return False
    handle = (home / USE_LOCK).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    # Kept locked until this process ends: a build that comes now waits, then starts a new server.
    _idle_for.held = handle  # type: ignore[attr-defined]
    return True


def _serve(listener: socket.socket, idle_minutes: float) -> None:
    import asyncio

    port = listener.getsockname()[1]
    os.environ |= {
        # The UI served on this port calls the API on this port (Prefect's default would be 4200).
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
    }
    from flows.settings import apply_prefect, resolve

    settings = resolve()  # the variables the build that started it had, PREFECT_HOME among them
    apply_prefect(settings)
    home = settings.prefect_home
    import uvicorn
    from prefect.server.api.server import create_app

    activity = _Activity(create_app(final=True))
    server = uvicorn.Server(
        uvicorn.Config(activity, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    idle_seconds = idle_minutes * 60

    async def watch() -> None:
        # Builds ask the API many times a second; idle checks need not be frequent.
        period = min(30.0, max(1.0, idle_seconds / 10))
        while not server.started and not server.should_exit:
            await asyncio.sleep(0.1)
        activity.last = time.monotonic()  # idle from when it answers, not from its start
        while not server.should_exit:
            await asyncio.sleep(period)
            if _idle_for(home, activity, idle_seconds):
                _forget(home)
                server.should_exit = True

    async def main() -> None:
        watcher = asyncio.ensure_future(watch())
        try:
            await server.serve(sockets=[listener])
        finally:
            watcher.cancel()

    try:
        asyncio.run(main())
    finally:
        _forget(home)


def _forget(home: Path) -> None:
    """Remove the state file if it is this process's."""
    state = read_state(home)
    if state and state.get("pid") == os.getpid():
        (home / STATE).unlink(missing_ok=True)


def _launch(arguments: list[str]) -> int:
    """Bind the port, fork the server into its own session; print its pid and port, return at once."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m flows.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle", type=float, default=IDLE_MINUTES)
    parser.add_argument("--exact", action="store_true")
    options = parser.parse_args(arguments)
    try:
        listener = _bound_socket(options.port, options.exact)
    except ServerError as error:
        print(error, file=sys.stderr)
        return PORT_TAKEN_EXIT if isinstance(error, PortTaken) else 1
    pid = os.fork()
    if pid:
        print(pid, listener.getsockname()[1], flush=True)
        return 0
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # stdout was the launcher's pipe; errors still go to the log (stderr)
    os.close(devnull)
    try:
        _serve(listener, options.idle)
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1:]))
