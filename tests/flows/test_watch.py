"""``exnews watch`` as a user runs it: items published while it runs land, and it stops clean.

A real ``exnews watch`` child in its own session against the fixture server and the test
Prefect server; an item is published on the fixture server while it polls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from flows.watch import STOP_SECONDS, watched_sources
from spiders.registry import spider_class
from tests.faults.harness import wait_for
from tests.fixture_server import FixtureServer, Publication, crawl_environment, publish_binance
from warehouse import connect

EXNEWS = Path(sys.executable).with_name("exnews")
INTERVAL = 3


def scalar(root: Path, query: str, *parameters: object) -> object:
    if not (root / "runs").exists():
        return None
    return connect(root).execute(query, list(parameters)).fetchone()[0]


def start_watch(root: Path, server: FixtureServer, api_url: str, out: Path) -> subprocess.Popen:
    env = {**os.environ, **crawl_environment(server), "PREFECT_API_URL": api_url}
    with out.open("wb") as log:
        return subprocess.Popen(
            [str(EXNEWS), "watch", "--sources", "binance", "--interval", str(INTERVAL),
             "--warehouse", str(root)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def landed(root: Path, item: Publication) -> int:
    count = scalar(root, "select count(*) from articles where native_id = ?", item.native_id)
    return int(count or 0)


def test_the_default_sources_are_the_announcement_feeds():
    chosen = watched_sources()
    assert "binance" in chosen and "okx" in chosen
    assert all(spider_class(name).feed == "announcements" for name in chosen)
    assert not {"gate_square", "gate_news", "coinbase", "kraken"} & set(chosen)


def ctrl_c(process: subprocess.Popen) -> None:
    """What a terminal's Ctrl-C does: SIGINT to the whole process group."""
    os.killpg(process.pid, signal.SIGINT)


def service_stop(process: subprocess.Popen) -> None:
    """What systemd or Docker does: SIGTERM to the main process only."""
    process.send_signal(signal.SIGTERM)


@pytest.mark.parametrize(("stop", "code"), [(ctrl_c, 130), (service_stop, 0)])
def test_watch_lands_an_item_published_while_it_runs_and_stops_clean(
    stop: Callable[[subprocess.Popen], None],
    code: int,
    tmp_path: Path,
    warehouse: Path,
    fixture_server: FixtureServer,
    prefect_backend: str,
):
    out = tmp_path / "watch.out"
    child = start_watch(warehouse, fixture_server, prefect_backend, out)
    try:
        # The first poll lands the fixtures; later polls find nothing new.
        wait_for(
            lambda: (
                child.poll() is not None
                or (scalar(warehouse, "select count(*) from runs where flow = 'watch'") or 0) >= 2
            ),
            180,
            "two watch polls",
            0.5,
        )
        assert child.poll() is None, out.read_text()
        before = scalar(warehouse, "select count(*) from articles")
        item = publish_binance(fixture_server, "Binance Will List Watch Proof (WPF)")
        published = time.monotonic()
        wait_for(lambda: landed(warehouse, item), 60, "the published item in articles", 0.5)
        print(f"landed {time.monotonic() - published:.1f} s after publishing")
        assert scalar(warehouse, "select count(*) from articles") == before + 1
        category = scalar(
            warehouse, "select category from articles where native_id = ?", item.native_id
        )
        assert category == "listing"

        tree = [psutil.Process(child.pid), *psutil.Process(child.pid).children(recursive=True)]
        signalled = time.monotonic()
        stop(child)
        child.wait(timeout=STOP_SECONDS + 10)
        wait_for(
            lambda: not any(process.is_running() for process in tree), 10, "every process gone"
        )
        stopped_in = time.monotonic() - signalled
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    output = out.read_text()
    assert child.returncode == code, output
    assert "Traceback" not in output, output
    assert "exnews watch stopped" in output, output
    assert stopped_in < STOP_SECONDS, stopped_in
    assert landed(warehouse, item) == 1
    statuses = connect(warehouse).execute("select status from runs where flow = 'watch'")
    assert {status for (status,) in statuses.fetchall()} - {"failed"}, "no poll completed"
