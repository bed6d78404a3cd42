"""Crashes: real SIGKILLs of crawl children, of whole runs and of the writer mid-file.

After every series of kills the next ``exnews ingest`` must complete and the warehouse must
hold each fixture article exactly once, with no file a reader cannot open.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import psutil

from tests.faults.conftest import Reference
from tests.faults.harness import (
    KILLPOINT,
    Run,
    completed,
    crawl_child,
    ingest,
    kill_group,
    runs_files,
    wait_for,
)
from tests.faults.ledger import audit, record
from tests.fixture_server import FixtureServer

SEED = 8
KILLS = {"crawl child": 5, "run mid-processing": 5}
# A kill that lands after its target has finished is no kill: try again, within bounds.
MAX_RUNS = 16
EVERYTHING = str(24 * 365 * 10)


def _kill_the_crawl(child: Run, server: FixtureServer, requests: int) -> bool:
    """SIGKILL the crawl child once the server has answered ``requests`` more requests.

    Counting requests rather than seconds aims at the same point of the crawl however
    loaded the machine is. The run itself goes on.
    """
    target = len(server.requests) + requests
    wait_for(
        lambda: len(server.requests) >= target or child.poll() is not None,
        what="requests",
        every=0.005,
    )
    crawler = crawl_child(child)
    try:
        crawler.kill()  # type: ignore[union-attr]
    except (psutil.NoSuchProcess, AttributeError):
        return False
    return True


def _kill_the_processing(child: Run, moment: float, reference: Reference, root: Path) -> bool:
    """SIGKILL the whole run at a moment after its crawl, before its ``runs`` row."""
    rows_before = runs_files(root)
    wait_for(lambda: crawl_child(child) or child.poll() is not None, what="a crawl child")
    wait_for(lambda: crawl_child(child) is None, what="the crawl to end")
    time.sleep(moment * reference.phases.process_seconds)
    return kill_group(child) and runs_files(root) == rows_before


def test_sigkill_at_random_moments_of_the_crawl_and_the_processing(
    tmp_path: Path, fault_env: dict[str, str], fault_server: FixtureServer, reference: Reference
):
    rng = random.Random(SEED)
    root = tmp_path / "warehouse"
    targets = [what for what, count in KILLS.items() for _ in range(count)]
    rng.shuffle(targets)
    hits = dict.fromkeys(KILLS, 0)
    for _ in range(MAX_RUNS):
        if not targets:
            break
        # A look-back over everything: each run does the reference's work, however much
        # the runs before it left behind, so the moments drawn fall inside it.
        before = tmp_path / "before-this-run"
        shutil.rmtree(before, ignore_errors=True)
        if root.exists():
            shutil.copytree(root, before)
        child = ingest(root, fault_env, "--lookback-hours", EVERYTHING)
        if targets[-1] == "crawl child":
            hit = _kill_the_crawl(child, fault_server, rng.randint(1, reference.requests - 1))
            result = child.finish()
            # The run outlives its crawl and reports it, instead of dying with it.
            assert result.returncode in (0, 1) and "Traceback" not in result.stdout
        else:
            hit = _kill_the_processing(child, rng.uniform(0, 0.7), reference, root)
            child.finish()
        if hit:
            hits[targets.pop()] += 1
        else:
            # A run the kill missed went through: the next run would find its pages known
            # and do next to nothing (cheap polls). It is taken back, and the kill tried again.
            shutil.rmtree(root, ignore_errors=True)
            if before.exists():
                shutil.copytree(before, root)
    assert not targets, f"kills that never landed: {targets} ({reference.phases})"

    final = ingest(root, fault_env).finish()
    seen = audit(root)
    outcome = ", ".join(f"{count} x {what}" for what, count in hits.items())
    row = record(
        "SIGKILL at random moments (crawl child; run mid-processing)",
        sum(hits.values()),
        reference.articles,
        seen,
        f"{outcome}; next ingest " + ("completed" if completed(final) else "FAILED"),
    )
    assert completed(final), final.stderr
    assert row.clean, row


# Each kill point is reachable after the ones before it: (table, n) is the n-th write into
# that table by one process (raw_pages by the crawl child, the others by the run).
KILL_POINTS = (
    "raw_pages:1",  # the crawl dies committing its pages; the run reports it failed
    "mentions:2",  # the run dies between two partitions of one batch
    "articles:2",  # mentions all in, the first month of articles in, the second half-written
    "runs:1",  # everything written but the run's own row
)


def test_the_writer_killed_halfway_through_a_file(
    tmp_path: Path, fault_env: dict[str, str], reference: Reference
):
    root = tmp_path / "warehouse"
    path = os.pathsep.join(filter(None, [str(KILLPOINT), fault_env.get("PYTHONPATH")]))
    for number, point in enumerate(KILL_POINTS, start=1):
        env = {**fault_env, "PYTHONPATH": path, "EXNEWS_KILL_AT_WRITE": point}
        ingest(root, env).finish()
        # Each kill leaves its half-written file, under the temporary name only.
        assert audit(root).temporary_files == number, f"{point}: no write was cut short"
        assert audit(root).unreadable_files == 0

    final = ingest(root, fault_env).finish()
    seen = audit(root)
    row = record(
        "writer SIGKILLed halfway through a Parquet file",
        len(KILL_POINTS),
        reference.articles,
        seen,
        f"killed at {', '.join(KILL_POINTS)}; next ingest "
        + ("completed" if completed(final) else "FAILED"),
    )
    assert completed(final), final.stderr
    assert row.clean, row
