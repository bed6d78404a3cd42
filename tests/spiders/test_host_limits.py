"""A host's slot across crawl processes: its delay between request starts and its
concurrency hold for all of them, a killed holder frees it, and two crawls of one host
run side by side yet reach it a delay apart."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from spiders.crawl import run_crawl
from spiders.host_limits import HostLimits, host_key
from tests.fixture_server import FixtureServer

KEY = "www.example.com@127.0.0.1:1"
SPAWN = multiprocessing.get_context("spawn")


def _hold(directory: str, concurrency: int, delay: float, held: float, together, out) -> None:
    """In another process, once all are started: take three leases in turn, each held
    ``held`` seconds."""
    together.wait()

    async def run() -> list[tuple[float, float]]:
        limits, spans = HostLimits(Path(directory)), []
        for _ in range(3):
            async with limits.lease(KEY, concurrency, delay):
                started = time.time()
                await asyncio.sleep(held)
                spans.append((started, time.time()))
        return spans

    out.put(asyncio.run(run()))


def spans_of(tmp_path: Path, processes: int, concurrency: int, delay: float, held: float):
    queue, together = SPAWN.Queue(), SPAWN.Barrier(processes)
    workers = [
        SPAWN.Process(target=_hold, args=(str(tmp_path), concurrency, delay, held, together, queue))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    per_process = [queue.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
    return per_process


def in_flight_at_most(spans: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    level = peak = 0
    for _, change in events:  # an end at the same moment as a start counts first
        level += change
        peak = max(peak, level)
    return peak


def test_starts_are_spaced_by_the_delay_across_processes(tmp_path: Path):
    per_process = spans_of(tmp_path, processes=3, concurrency=1, delay=0.3, held=0.01)
    starts = sorted(start for spans in per_process for start, _ in spans)
    assert len(starts) == 9
    # All three processes asked at once (a barrier); none started within 0.3 s of another.
    assert min(later - earlier for earlier, later in pairwise(starts)) >= 0.29


def test_no_more_requests_in_flight_than_the_concurrency(tmp_path: Path):
    per_process = spans_of(tmp_path, processes=3, concurrency=2, delay=0.0, held=0.2)
    spans = [span for spans in per_process for span in spans]
    assert in_flight_at_most(spans) == 2


def _hold_forever(directory: str, ready) -> None:
    async def run() -> None:
        async with HostLimits(Path(directory)).lease(KEY, 1, 0.0):
            ready.set()
            await asyncio.sleep(600)

    asyncio.run(run())


def test_a_killed_holder_frees_the_host(tmp_path: Path):
    ready = SPAWN.Event()
    holder = SPAWN.Process(target=_hold_forever, args=(str(tmp_path), ready))
    holder.start()
    assert ready.wait(60)

    async def take(timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with HostLimits(tmp_path).lease(KEY, 1, 0.0):
                    return True
        except TimeoutError:
            return False

    assert not asyncio.run(take(0.5))  # held: the place is taken
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    assert asyncio.run(take(5))


def test_the_key_names_the_host_and_where_its_socket_goes():
    mapping = {"*": "http://127.0.0.1:8765"}
    assert host_key("https://www.gate.com/news", mapping) == "www.gate.com@127.0.0.1:8765"
    assert host_key("https://WWW.Gate.com/news", {}) == "www.gate.com"


@pytest.fixture
def hosts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "hosts"
    monkeypatch.setenv("EXNEWS_HOSTS_DIR", str(directory))
    return directory


@pytest.mark.usefixtures("hosts_dir")
def test_two_crawls_of_one_host_overlap_yet_reach_it_a_delay_apart(
    warehouse: Path, fixture_server: FixtureServer
):
    spans: dict[str, tuple[float, float]] = {}

    def crawl(source: str) -> None:
        started = time.monotonic()
        summary = run_crawl(source, run_id=source, warehouse=warehouse, timeout=120)
        assert summary.error is None
        spans[source] = (started, time.monotonic())

    crawls = [threading.Thread(target=crawl, args=(s,)) for s in ("gate_news", "gate_square")]
    for thread in crawls:
        thread.start()
    for thread in crawls:
        thread.join()

    assert max(start for start, _ in spans.values()) < min(end for _, end in spans.values())
    gate = [r for r in fixture_server.requests if r["host"] == "www.gate.com"]
    news = [r["at"] for r in gate if r["path"].startswith("/news")]
    posts = [r["at"] for r in gate if r["path"].startswith("/post")]
    assert news and posts and min(posts) < max(news)  # the two crawls' requests interleave
    starts = sorted(r["at"] for r in gate)
    # www.gate.com's slot: one request at a time, 1 s apart (a little less: the stamp is
    # taken before the socket opens).
    assert min(later - earlier for earlier, later in pairwise(starts)) >= 0.9
