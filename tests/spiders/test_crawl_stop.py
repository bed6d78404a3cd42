"""A crawl child never outlives the flow-run process that started it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import psutil
import pytest

from tests.fixture_server import Fault, FixtureServer, Route, load_routes

# A flow run as Prefect's engine runs it: SIGTERM becomes an exception in the main thread.
FLOW_RUN = """
import signal, sys
from pathlib import Path
from spiders.crawl import run_crawl

def terminated(*_):
    raise SystemExit("terminated")

signal.signal(signal.SIGTERM, terminated)
run_crawl("binance", run_id="r1", warehouse=Path(sys.argv[1]))
"""


@pytest.fixture
def fixture_routes() -> list[Route]:
    """Binance's list pages answer after two minutes: the crawl is in flight meanwhile."""
    routes = load_routes()
    for route in routes:
        if route.path.endswith("/list/query"):
            route.fault = Fault("stall", seconds=120)
    return routes


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "terminated"])
def test_the_crawl_ends_with_its_flow_run(
    warehouse: Path, fixture_server: FixtureServer, signum: int
):
    flow_run = subprocess.Popen([sys.executable, "-c", FLOW_RUN, str(warehouse)])
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while not fixture_server.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert fixture_server.requests, "the crawl never reached the fixture server"
        # The crawl, the fork server it was forked from, and whatever else the run started.
        family = psutil.Process(flow_run.pid).children(recursive=True)
        titles = [" ".join(process.cmdline()) for process in family]
        assert any("-m spiders.crawl binance" in title for title in titles), titles
        flow_run.send_signal(signum)
        flow_run.wait(timeout=30)
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive, f"outlived their flow run: {alive}"
    finally:
        flow_run.kill()  # nothing left behind when the test fails
        for process in family:
            with suppress(psutil.NoSuchProcess):
                process.kill()
