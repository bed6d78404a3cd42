"""A Prefect stack: server, process work pool, deployments from prefect.yaml, workers.

Used by ``exnews serve`` and by the tests that drive deployments through the API and the UI.
The server keeps its state in SQLite under its home unless given a PostgreSQL URL (what
Prefect recommends once several machines share it); ``exnews serve --worker-only`` starts
only workers against a server elsewhere, which is how another machine joins the pool.

Stopping is orderly and bounded (:data:`STOP_SECONDS`), whatever asked for it: SIGTERM to
this process only (systemd, Docker), SIGINT to the whole terminal process group (Ctrl-C),
or an error. The server and the worker run in their own sessions, so a terminal's SIGINT
reaches only this process, which then stops everything in order: running flow runs are
marked Cancelled through the API, their processes (and the crawls they started) and the
worker are terminated, then the server; whatever outlives its grace is killed, and every
process is waited for, so none is left behind, not even a zombie.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

import psutil

from warehouse.layout import warehouse_root

PROJECT = Path(__file__).resolve().parent.parent
POOL = "exnews"
DEFAULT_INGEST_CRON = "*/10 * * * *"
STOP_SECONDS = 20  # the whole stop, from the signal to the last process gone
UNFINISHED = ["PENDING", "RUNNING", "CANCELLING"]
WILDCARD_HOSTS = ("0.0.0.0", "::")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PrefectStack:
    api_url: str
    ui_url: str
    env: dict[str, str]


def worker_environment(home: Path, api_url: str) -> dict[str, str]:
    """What a worker and its flow runs need: the server, this checkout, the warehouse."""
    return {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "EXNEWS_WAREHOUSE": str(warehouse_root().resolve()),
    }


def enter_checkout() -> dict[str, str]:
    """The deployments' pull step: a flow run starts in the exnews of the machine running it.

    Prefect resolves ``{{ $VARIABLE }}`` in prefect.yaml when deploying, on the server's
    machine, so a path written there would send other machines' workers to its folder.
    """
    os.chdir(PROJECT)
    return {"directory": str(PROJECT)}


def stack_environment(
    home: Path,
    port: int,
    ingest_cron: str,
    database_url: str | None = None,
    host: str = "127.0.0.1",
) -> dict[str, str]:
    """Telemetry off; the UI's API address follows the port (``--port`` alone does not).

    A server listening on every interface is still reached locally on 127.0.0.1; a browser
    elsewhere needs ``PREFECT_UI_API_URL`` set to the server's public address.
    """
    local = "127.0.0.1" if host in WILDCARD_HOSTS else host
    env = {
        **worker_environment(home, f"http://{local}:{port}/api"),
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": os.environ.get("PREFECT_UI_API_URL", f"http://{local}:{port}/api"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "EXNEWS_INGEST_CRON": ingest_cron,
    }
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    return env


def _prefect(*arguments: str, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "prefect", *arguments]
    result = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Until the API answers; ``server``, when it is ours, must not exit meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Prefect server did not answer at {api_url} within {timeout:.0f} s")


class StopSignal(BaseException):
    """SIGTERM or SIGINT arrived; a BaseException, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise StopSignal(signum)


@contextmanager
def _stop_signals_handled(handler: Callable[..., object] | int) -> Iterator[None]:
    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


def stop_on_signals() -> AbstractContextManager[None]:
    """SIGTERM and SIGINT both raise :class:`StopSignal`, which unwinds into the stop."""
    return _stop_signals_handled(_raise_stop)


def ignore_stop_signals() -> AbstractContextManager[None]:
    """While stopping: a second Ctrl-C, or SIGTERM after SIGINT, must not cut the stop short."""
    return _stop_signals_handled(signal.SIG_IGN)


def _api(url: str, body: object, timeout: float) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def _get(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.loads(answer.read())


def cancel_flow_runs(api_url: str, deadline: float) -> None:
    """Mark every unfinished flow run Cancelled, so the UI says what became of it.

    Best effort before ``deadline``: a server that does not answer must not stop the stop.
    """
    with suppress(OSError):
        runs = _api(
            f"{api_url}/flow_runs/filter",
            {"flow_runs": {"state": {"type": {"any_": UNFINISHED}}}},
            timeout=max(deadline - time.monotonic(), 0.1),
        )
        for run in runs:
            state = {"type": "CANCELLED", "message": "exnews serve stopped"}
            _api(
                f"{api_url}/flow_runs/{run['id']}/set_state",
                {"state": state, "force": True},
                timeout=max(deadline - time.monotonic(), 0.1),
            )


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [process for process in processes if process.is_running()]


def _signal_all(processes: list[psutil.Process], signum: int) -> None:
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            process.send_signal(signum)


def _terminate(processes: list[psutil.Process], grace: float) -> None:
    """SIGTERM, SIGKILL after ``grace``; waiting reaps those that are our children."""
    _signal_all(processes, signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=grace)
    _signal_all(alive, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=2)


def process_tree(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The process and every descendant (flow runs, their crawls), as long as it lives."""
    try:
        root = psutil.Process(process.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop_stack(
    server: subprocess.Popen[bytes] | None,
    workers: list[subprocess.Popen[bytes]],
    api_url: str | None,
) -> None:
    """Cancel the flow runs, stop them and the workers, then the server, within STOP_SECONDS.

    A worker takes its first SIGTERM as "take no new work, wait for the runs" and its
    second as "die"; the runs get theirs at once, so the first wait is short. Workers that
    joined a server elsewhere (``api_url`` None) cancel nothing through it: the other
    workers' runs are not theirs to cancel.
    """
    started = time.monotonic()
    with ignore_stop_signals():
        trees = [p for worker in workers for p in process_tree(worker)]
        if api_url is not None:
            cancel_flow_runs(api_url, deadline=started + 3)
        _signal_all(trees, signal.SIGTERM)
        psutil.wait_procs(trees, timeout=4)
        # and any run a worker started meanwhile
        trees += [p for worker in workers for p in process_tree(worker) if p not in trees]
        _terminate(_alive(trees), grace=3)
        if server is not None:
            # A server answers SIGTERM in a second or two; one still starting may not at all.
            remaining = STOP_SECONDS - (time.monotonic() - started) - 4  # SIGKILL's wait
            _terminate(process_tree(server), grace=max(min(remaining, 5), 1))
        for process in [*workers, server]:
            if process is not None:
                process.wait()


def worker_name(number: int) -> str:
    """Unique in the pool across machines and across serves on one machine."""
    return f"exnews-{socket.gethostname()}-{os.getpid()}-{number}"


@contextmanager
def start_workers(
    env: dict[str, str], count: int, limit: int | None, logs: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` process workers on the pool, each logging to ``worker-<n>.log``.

    ``limit`` caps the flow runs one worker runs at once: the rest wait for another worker.
    """
    workers: list[subprocess.Popen[bytes]] = []
    with ExitStack() as files:
        for number in range(1, count + 1):
            log = files.enter_context((logs / f"worker-{number}.log").open("wb"))
            command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                       "--type", "process", "--name", worker_name(number)]  # fmt: skip
            if limit is not None:
                command += ["--limit", str(limit)]
            worker = subprocess.Popen(
                command, env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            workers.append(worker)
        yield workers


def _start_server(
    env: dict[str, str], log: IO[bytes], host: str = "127.0.0.1"
) -> subprocess.Popen[bytes]:
    """``prefect server start`` in its own session: a terminal's Ctrl-C does not reach it."""
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host,
         "--port", env["PREFECT_SERVER_API_PORT"]],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


@contextmanager
def prefect_server(home: Path, port: int | None = None) -> Iterator[PrefectStack]:
    """A Prefect server alone (API and UI), stopped on exit.

    For a command that runs its flows in this process and outlives a Ctrl-C (``exnews
    watch``): Prefect's own ephemeral server shares the terminal's process group, dies with
    the first Ctrl-C, and the flow run can then never report how it ended.
    """
    port = port or free_port()
    env = stack_environment(home, port, DEFAULT_INGEST_CRON)
    home.mkdir(parents=True, exist_ok=True)
    api_url = env["PREFECT_API_URL"]
    with (home / "server.log").open("wb") as server_log:
        server = _start_server(env, server_log)
        try:
            _wait_healthy(api_url, server, timeout=120)
            yield PrefectStack(api_url, f"http://127.0.0.1:{port}", env)
        finally:
            stop_stack(server, [], api_url)


def start_deployment(api_url: str, flow: str, name: str, tries: int = 20) -> str:
    """A flow run of a deployment (``exnews serve --watch`` starts ``watch`` this way).

    Right after deploying, SQLite may still be busy and answer 503: that is retried.
    """
    deployment = _get(f"{api_url}/deployments/name/{flow}/{name}", timeout=30)
    url = f"{api_url}/deployments/{deployment['id']}/create_flow_run"
    for _ in range(tries):
        try:
            return str(_api(url, {}, timeout=30)["id"])
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise
            time.sleep(1)
    raise RuntimeError(f"the Prefect server stayed busy: no {flow}/{name} run in {tries} tries")


@contextmanager
def prefect_stack(
    home: Path,
    port: int | None = None,
    ingest_cron: str = DEFAULT_INGEST_CRON,
    log_dir: Path | None = None,
    database_url: str | None = None,
    workers: int = 1,
    worker_limit: int | None = None,
    host: str = "127.0.0.1",
) -> Iterator[PrefectStack]:
    """Start everything, deploy every deployment of prefect.yaml, stop it all on exit.

    ``database_url`` (``postgresql+asyncpg://…``) puts the server's state in PostgreSQL;
    None keeps SQLite under ``home`` unless the environment names a database itself.
    """
    port = port or free_port()
    env = stack_environment(home, port, ingest_cron, database_url, host)
    logs = log_dir or home
    logs.mkdir(parents=True, exist_ok=True)
    api_url = env["PREFECT_API_URL"]
    with (logs / "server.log").open("wb") as server_log, ExitStack() as started:
        server = _start_server(env, server_log, host)
        running: list[subprocess.Popen[bytes]] = []
        try:
            _wait_healthy(api_url, server, timeout=120)
            _prefect("work-pool", "create", POOL, "--type", "process", "--overwrite", env=env)
            _prefect("--no-prompt", "deploy", "--all", env=env)
            running = started.enter_context(start_workers(env, workers, worker_limit, logs))
            yield PrefectStack(api_url, api_url.removesuffix("/api"), env)
        finally:
            stop_stack(server, running, api_url)


@contextmanager
def prefect_workers(
    api_url: str,
    home: Path,
    workers: int = 1,
    worker_limit: int | None = None,
    log_dir: Path | None = None,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Workers only, on the pool of the server at ``api_url``: another machine joining."""
    env = worker_environment(home, api_url)
    logs = log_dir or home
    logs.mkdir(parents=True, exist_ok=True)
    _wait_healthy(api_url, None, timeout=60)
    with start_workers(env, workers, worker_limit, logs) as running:
        try:
            yield running
        finally:
            stop_stack(None, running, None)
