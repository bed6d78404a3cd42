"""``exnews watch`` SIGKILLed at random moments, items published between kills, restarted:
the warehouse ends with every fixture article and every published item exactly once.

Each kill takes the watch's whole process group (the watch and its crawl child) at once,
as an out-of-memory killer or a power cut would. Every watch here re-reads the whole feed
(``--lookback-hours`` over everything), as the crash suite's ingests do: a first poll
killed halfway leaves its newest articles stored and older ones not, which a look-back
of hours would then never reach (the same holds for ``ingest``).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import EXPECTED, SOURCE, Run, kill_group, wait_for
from tests.faults.ledger import audit, record
from tests.fixture_server import FixtureServer, Publication, load_routes, publish_binance, serve
from warehouse import connect

SEED = 10
KILLS = 4
EVERYTHING = str(24 * 365 * 10)


@pytest.fixture
def watched_server() -> Iterator[FixtureServer]:
    """A fixture server of this test's own: it publishes items the session's others lack."""
    with serve(load_routes()) as server:
        yield server


def watch(root: Path, env: dict[str, str]) -> Run:
    arguments = ["--sources", SOURCE, "--interval", "2", "--lookback-hours", EVERYTHING]
    return Run(["watch", *arguments, "--warehouse", str(root)], env)


def native_ids(root: Path) -> list[str]:
    if not (root / "articles").exists():
        return []
    rows = connect(root).execute("select native_id from articles").fetchall()
    return [native_id for (native_id,) in rows]


def test_watch_killed_at_random_moments_and_restarted_keeps_everything_once(
    tmp_path: Path, fault_env: dict[str, str], watched_server: FixtureServer
):
    rng = random.Random(SEED)
    env = {**fault_env, "EXNEWS_CONNECT_TO": f"*={watched_server.base_url}"}
    root = tmp_path / "warehouse"
    published: list[Publication] = []
    kills = 0
    for number in range(KILLS):
        child = watch(root, env)
        # A moment drawn among the watch's requests: the first poll's crawl, its
        # processing, a later poll; counted in requests, so load does not move it.
        target = len(watched_server.requests) + rng.randint(3, 60)
        wait_for(
            lambda child=child, target=target: (
                len(watched_server.requests) >= target or child.poll() is not None
            ),
            timeout=240,
            what="watch requests",
        )
        time.sleep(rng.uniform(0, 2.0))  # into the processing that follows, at times
        kills += kill_group(child)
        child.finish()
        published.append(
            publish_binance(watched_server, f"Binance Will List Fault Proof {number} (FP{number})")
        )

    final = watch(root, env)
    expected = EXPECTED["articles"] + len(published)
    wait_for(
        lambda: len(native_ids(root)) >= expected or final.poll() is not None,
        timeout=300,
        what=f"{expected} articles",
    )
    os.killpg(final.pid, signal.SIGINT)
    result = final.finish(timeout=60)
    seen = audit(root)
    landed = native_ids(root)
    row = record(
        "watch SIGKILLed at random moments, items published between kills",
        kills,
        expected,
        seen,
        f"{kills} kills, {len(published)} items published; restarted watch exited "
        f"{result.returncode}",
    )
    assert kills == KILLS, "a watch ended before its kill"
    assert result.returncode == 130 and "Traceback" not in result.stdout + result.stderr
    assert all(landed.count(item.native_id) == 1 for item in published), landed
    assert row.clean, row
