"""Freshness: from the moment an exchange publishes an item to the moment it is in ``articles``.

    .venv/bin/python -m bench.freshness watch [--items 20] [--interval SECONDS]
    .venv/bin/python -m bench.freshness scheduled [--items 20] [--cron "*/10 * * * *"]

The fixture server (tests/fixture_server.py) publishes Binance listings one at a time, at
moments drawn at random (seeded), while

- ``watch``: ``exnews watch --sources binance`` runs (the per-source default interval
  unless ``--interval``), or
- ``scheduled``: ``exnews serve``'s stack runs the ``ingest`` deployment on its cron
  schedule (every ten minutes by default, all ten sources, as deployed).

For each item: the seconds from publishing until a reader finds it in the warehouse's
``articles`` files (checked every 0.5 s). Prints the table row for docs/benchmarks.md:
items, p50, p95, max; in ``watch`` mode also the watch's resident memory every minute and
how many polls it had made (``--interval 1 --items 60`` makes hundreds of polls).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psutil

from flows.serve import prefect_server, prefect_stack, start_deployment
from tests.faults.harness import EXPECTED
from tests.fixture_server import (
    FixtureServer,
    crawl_environment,
    load_routes,
    publish_binance,
    serve,
)

EXNEWS = Path(sys.executable).with_name("exnews")
SEED = 11
CHECK_SECONDS = 0.5
MEMORY_SECONDS = 60


def stored_ids(root: Path) -> set[str]:
    """Binance's native ids in every ``articles`` file (snapshot and delta) a reader sees."""
    folder = root / "articles" / "source=binance"
    if not any(folder.rglob("*.parquet")):
        return set()
    files = str(folder / "**" / "*.parquet")
    query = f"select distinct native_id from read_parquet('{files}', union_by_name=true)"
    with duckdb.connect() as connection:  # one each: the memory sampler reads meanwhile
        return {native_id for (native_id,) in connection.sql(query).fetchall()}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout:.0f} s")
        time.sleep(CHECK_SECONDS)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at or below which ``fraction`` of them lie."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def measure(
    server: FixtureServer, root: Path, items: int, gaps: tuple[float, float], wait: float
) -> list[float]:
    """Publish ``items``, each a random gap after the one before; seconds until each lands.

    Items are not awaited one by one: a scheduled ingest picks up all those published
    since its last run, which is what the figure is about.
    """
    rng = random.Random(SEED)
    pending: dict[str, float] = {}
    seconds: list[float] = []
    published = 0
    next_at = time.monotonic() + rng.uniform(*gaps)
    while published < items or pending:
        now = time.monotonic()
        if published < items and now >= next_at:
            title = f"Binance Will List Freshness Probe {published} (FRP{published})"
            pending[publish_binance(server, title).native_id] = now
            published += 1
            next_at = now + rng.uniform(*gaps)
        if any(now - moment > wait for moment in pending.values()):
            raise TimeoutError(f"an item did not land within {wait:.0f} s")
        for native_id in pending.keys() & stored_ids(root):
            seconds.append(time.monotonic() - pending.pop(native_id))
            print(f"landed {len(seconds)}/{items}: {seconds[-1]:.1f} s", flush=True)
        time.sleep(CHECK_SECONDS)
    return seconds


def watch_memory(child: subprocess.Popen[bytes], root: Path) -> str:
    """The watch process's resident memory and how many polls it has made so far."""
    rss = psutil.Process(child.pid).memory_info().rss / 2**20
    files = str(root / "runs" / "**" / "*.parquet")
    query = f"select count(*) from read_parquet('{files}', union_by_name=true) where flow = 'watch'"
    with duckdb.connect() as connection:
        [(polls,)] = connection.sql(query).fetchall()
    return f"{rss:.0f} MiB after {polls} polls"


@contextmanager
def watching(server: FixtureServer, root: Path, interval: float | None) -> Iterator[None]:
    """``exnews watch --sources binance`` against its own Prefect server, until SIGINT; its
    memory sampled from when the fixtures landed."""
    with prefect_server(root.parent / "prefect") as prefect:
        env = {**os.environ, **crawl_environment(server), "PREFECT_API_URL": prefect.api_url}
        command = [str(EXNEWS), "watch", "--sources", "binance", "--warehouse", str(root)]
        if interval is not None:
            command += ["--interval", str(interval)]
        with (root.parent / "watch.log").open("wb") as log:
            child = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        done = threading.Event()
        sampler = threading.Thread(target=_sample_memory, args=(child, root, done), daemon=True)
        try:
            wait_until(lambda: len(stored_ids(root)) >= EXPECTED["articles"], 900, "fixtures")
            sampler.start()
            yield
        finally:
            done.set()
            os.killpg(child.pid, signal.SIGINT)
            child.wait(timeout=60)


def _sample_memory(child: subprocess.Popen[bytes], root: Path, done: threading.Event) -> None:
    """The watch's memory every MEMORY_SECONDS while it runs: it must not grow with polls."""
    while True:
        print(f"watch memory: {watch_memory(child, root)}", flush=True)
        if done.wait(MEMORY_SECONDS):
            return


@contextmanager
def scheduled(server: FixtureServer, root: Path, cron: str) -> Iterator[None]:
    """The ``exnews serve`` stack with the ingest deployment on ``cron``; a first run now
    lands what the fixtures already hold."""
    os.environ.update(crawl_environment(server))
    os.environ["EXNEWS_WAREHOUSE"] = str(root)
    with prefect_stack(root.parent / "prefect", ingest_cron=cron) as stack:
        start_deployment(stack.api_url, "ingest", "ingest")
        yield


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("mode", choices=["watch", "scheduled"])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--interval", type=float, help="watch: seconds between polls")
    parser.add_argument("--cron", default="*/10 * * * *", help="scheduled: the ingest's cron")
    arguments = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="exnews-freshness-") as scratch,
        serve(load_routes()) as server,
    ):
        root = Path(scratch) / "warehouse"
        if arguments.mode == "watch":
            running, gaps, wait = watching(server, root, arguments.interval), (2.0, 15.0), 300
        else:  # twenty items over a cadence or two of the default cron
            running, gaps, wait = scheduled(server, root, arguments.cron), (10.0, 50.0), 1500
        with running:
            wait_until(lambda: len(stored_ids(root)) >= EXPECTED["articles"], 900, "the fixtures")
            print("fixtures landed; publishing", flush=True)
            seconds = measure(server, root, arguments.items, gaps, wait)
    if arguments.mode == "watch":
        label = f"`exnews watch`, interval {arguments.interval or 'default (30 s)'}"
    else:
        label = f"scheduled `ingest` deployment, cron `{arguments.cron}`"
    print(
        f"| {label} | {len(seconds)} | {statistics.median(seconds):.1f} s "
        f"| {percentile(seconds, 0.95):.1f} s | {max(seconds):.1f} s |"
    )


if __name__ == "__main__":
    main()
