"""``exnews serve`` stops everything it started, flow runs and their crawls included.

A real ``exnews serve`` (server, pool, deployments, worker) in its own session, a backfill
run whose crawl hangs on a slow fixture route, then the signal a service manager sends
(SIGTERM to the main process only) or a terminal's Ctrl-C (SIGINT to the whole group).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psutil
import pytest

from flows.ingest import backfill
from flows.serve import free_port, process_tree
from tests.faults.ledger import audit, record
from tests.fixture_server import Fault, FixtureServer, load_routes, serve
from tests.flows.test_ingest import fixture_articles

pytestmark = pytest.mark.prefect

WINDOW = {"start": "2026-10-01", "end": "2026-11-01"}
BUDGET = 20  # seconds from the signal to the last process gone (issue 8)


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Prefect home and warehouse for every case: a migrated database starts faster,
    and a second serve over the first one's warehouse is what a restart looks like."""
    return tmp_path_factory.mktemp("serve")


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"no {what} after {timeout:.0f} s")


def start_serve(
    place: Path, fixtures: FixtureServer, *options: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``exnews serve [options]`` as a terminal or a service manager starts it, in its own
    session; returns once it says it is up (deployed, worker started)."""
    port = free_port()
    env = {
        **os.environ,
        "EXNEWS_CONNECT_TO": f"*={fixtures.base_url}",
        "EXNEWS_DOWNLOAD_DELAY": "0",
        "EXNEWS_WAREHOUSE": str(place / "warehouse"),
    }
    output = place / f"serve-{port}.out"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flows", "serve", "--port", str(port), "--home",
             str(place / "prefect"), "--ingest-cron", "0 0 1 1 *", *options],  # no ingest
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def up() -> bool:
        return process.poll() is not None or "Ctrl-C or SIGTERM" in output.read_text()

    wait_for(up, 180, "exnews serve up")
    assert process.poll() is None, output.read_text()
    return process, f"http://127.0.0.1:{port}/api"


def start_backfill(api_url: str) -> str:
    client = httpx.Client(base_url=api_url, timeout=30)
    deployment = client.get("/deployments/name/backfill/backfill").raise_for_status().json()

    def created() -> str | None:
        answer = client.post(
            f"/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"sources": ["binance"], **WINDOW}},
        )
        if answer.status_code == 503:  # SQLite busy right after deploying: retry, as Prefect does
            return None
        return answer.raise_for_status().json()["id"]

    return wait_for(created, 60, "flow run created")


def crawling(serve_process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """Everything ``exnews serve`` started, once a crawl child is among it."""
    tree = process_tree(serve_process)
    try:
        commands = [" ".join(process.cmdline()) for process in tree]
    except psutil.NoSuchProcess:
        return []
    return tree if any("-m spiders.crawl" in command for command in commands) else []


def flow_run_state(place: Path, flow_run_id: str) -> str:
    """Read from the stopped server's database: the run's state as the UI will show it."""
    database = place / "prefect" / "prefect.db"
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "select state_type from flow_run where id = ?", [flow_run_id]
        ).fetchone()
    return row[0]


def fixtures_in_window() -> int:
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    return sum(
        start <= datetime.fromtimestamp(entry["releaseDate"] / 1000, tz=UTC) < end
        for entry in fixture_articles().values()
    )


@pytest.mark.parametrize("how", ["SIGTERM to serve", "SIGINT to the group"])
def test_a_stop_signal_ends_every_process_serve_started_and_cancels_its_flow_run(
    how: str, place: Path, prefect_backend: str, fixture_server: FixtureServer
):
    slow = load_routes()
    for route in slow:
        if route.path.endswith("/list/query"):
            route.fault = Fault("stall", seconds=120)  # the crawl waits on its first list page
    with serve(slow) as slow_fixtures:
        serve_process, api_url = start_serve(place, slow_fixtures)
        tree: list[psutil.Process] = []
        try:
            flow_run_id = start_backfill(api_url)
            # Really crawling: the child exists and waits on the fixture server.
            wait_for(lambda: slow_fixtures.requests, 120, "request from the crawl")
            tree = wait_for(lambda: crawling(serve_process), 10, "crawl child")
            signalled = time.monotonic()
            if how == "SIGTERM to serve":
                serve_process.send_signal(signal.SIGTERM)
            else:
                os.killpg(serve_process.pid, signal.SIGINT)
            serve_process.wait(timeout=BUDGET + 5)
            wait_for(
                lambda: not any(process.is_running() for process in tree),  # zombies run
                max(BUDGET - (time.monotonic() - signalled), 0.5),
                f"end of all {len(tree)} processes",
            )
            stopped_in = time.monotonic() - signalled
        finally:  # a failed test leaves nothing behind either
            for process in {*tree, *process_tree(serve_process)}:
                with suppress(psutil.NoSuchProcess):
                    process.kill()
    assert serve_process.returncode == 0
    state = flow_run_state(place, flow_run_id)
    assert state in {"CANCELLED", "CRASHED"}, state

    # The next run into the same warehouse completes, and nothing is lost or doubled.
    rows = backfill(
        sources=["binance"],
        start=date(2026, 10, 1),
        end=date(2026, 11, 1),
        warehouse=str(place / "warehouse"),
    )
    assert rows[0]["status"] != "failed", rows[0]
    seen = audit(place / "warehouse")
    fault = record(
        f"serve stopped by {how}",
        injected=1,
        expected=fixtures_in_window(),
        seen=seen,
        outcome=(
            f"{len(tree)} processes gone in {stopped_in:.1f} s, flow run {state.lower()}, "
            f"next backfill {rows[0]['status']}"
        ),
    )
    assert fault.clean, fault
    assert seen.temporary_files == 0
