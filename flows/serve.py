"""A local Prefect stack: server, process work pool, deployments from prefect.yaml, worker.

Used by ``exnews serve`` and by the tests that drive deployments through the API and the UI.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
POOL = "exnews"
DEFAULT_INGEST_CRON = "*/10 * * * *"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PrefectStack:
    api_url: str
    ui_url: str
    env: dict[str, str]


def stack_environment(home: Path, port: int, ingest_cron: str) -> dict[str, str]:
    """Telemetry off; the UI's API address follows the port (``--port`` alone does not)."""
    return {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "EXNEWS_HOME": str(PROJECT),
        "EXNEWS_INGEST_CRON": ingest_cron,
        "EXNEWS_WAREHOUSE": str(Path(os.environ.get("EXNEWS_WAREHOUSE", "data")).resolve()),
    }


def _prefect(*arguments: str, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "prefect", *arguments]
    result = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not answer at {api_url} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], signals: int = 1) -> None:
    """A worker needs two SIGTERMs to stop; anything still alive after that is killed."""
    for _ in range(signals):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue
    if process.poll() is None:
        process.kill()
        process.wait()


@contextmanager
def prefect_stack(
    home: Path,
    port: int | None = None,
    ingest_cron: str = DEFAULT_INGEST_CRON,
    log_dir: Path | None = None,
) -> Iterator[PrefectStack]:
    """Start everything, deploy every deployment of prefect.yaml, stop it all on exit."""
    port = port or free_port()
    env = stack_environment(home, port, ingest_cron)
    logs = log_dir or home
    logs.mkdir(parents=True, exist_ok=True)
    api_url = env["PREFECT_API_URL"]
    with (
        (logs / "server.log").open("wb") as server_log,
        (logs / "worker.log").open("wb") as worker_log,
    ):
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker = None
        try:
            _wait_healthy(api_url, server, timeout=120)
            _prefect("work-pool", "create", POOL, "--type", "process", "--overwrite", env=env)
            _prefect("--no-prompt", "deploy", "--all", env=env)
            worker = subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL],
                env=env, cwd=PROJECT, stdout=worker_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            yield PrefectStack(api_url, f"http://127.0.0.1:{port}", env)
        finally:
            if worker is not None:
                _stop(worker, signals=2)
            _stop(server)
