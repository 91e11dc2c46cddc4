"""`recueil serve --port N`: the Prefect server it starts serves a UI that calls the API on port N."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

from flows.serve import start_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_ui_of_a_server_on_another_port_calls_that_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # start_server exports the address it started; set first so that monkeypatch restores it.
    monkeypatch.setenv("PREFECT_API_URL", "")
    monkeypatch.delenv("PREFECT_API_URL")
    port = _free_port()
    server = start_server(port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as answer:
            settings = json.load(answer)
        assert settings["api_url"] == f"http://127.0.0.1:{port}/api"
    finally:
        server.terminate()
        server.wait(timeout=30)
