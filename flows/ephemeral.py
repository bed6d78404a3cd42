"""Prefect's temporary server, started as the CLI starts, while it imports the flows.

Without ``PREFECT_API_URL`` Prefect starts a temporary server at a flow's first API call:
only then, and after the calling process has imported the whole server package (FastAPI,
SQLAlchemy, the models: seconds of CPU) merely to launch it. Here the CLI launches the
same server, with the command and environment Prefect's ``SubprocessASGIServer`` uses
(Prefect 3.9), before importing anything of Prefect, and runs its flow against it
(``temporary_settings``). Should the server not answer, the flow starts Prefect's own.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

# What Prefect's SubprocessASGIServer sets for its server: no UI, ephemeral services.
SERVER_ENVIRONMENT = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
STOP_SECONDS = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TemporaryServer:
    """Prefect's temporary API server, stopped when this process exits."""

    def __init__(self) -> None:
        self.port = _free_port()
        spec = find_spec("prefect")
        assert spec is not None and spec.origin is not None
        command = [
            sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parents[1]),
            "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--port", str(self.port), "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env={**os.environ, **SERVER_ENVIRONMENT})
        atexit.register(self.stop)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait(self, timeout: float) -> bool:
        """Whether the server answers its health check within ``timeout`` seconds; one that
        does not is stopped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        return False

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_if_needed() -> TemporaryServer | None:
    """A temporary server, unless the environment names an API (a profile may still name
    one: the caller asks Prefect, then stops this one unused)."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    return TemporaryServer()
