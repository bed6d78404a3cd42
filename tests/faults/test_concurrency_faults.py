"""Runs that overlap: real ``exnews`` processes on one warehouse at the same time.

Whatever two writers leave, the views must show each fixture article once and lose none,
and the next run must complete.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.conftest import Reference
from tests.faults.harness import (
    Run,
    backfill,
    completed,
    copy_warehouse,
    ingest,
    reprocess,
    wait_for,
)
from tests.faults.ledger import audit, record
from warehouse.compaction import compact

ROUNDS = 3
REPO = Path(__file__).resolve().parents[2]
# Tables a rebuild from raw_pages writes: left out when only the raw layer is wanted.
DERIVED = ("articles", "mentions", "comments", "runs", "quarantine")


def _side_by_side(starts: list[Callable[[], Run]]) -> list[bool]:
    runs = [start() for start in starts]
    results = [run.finish() for run in runs]
    for result in results:
        assert completed(result), result.stderr[-2000:]
    return [completed(result) for result in results]


def _rounds(
    fault: str,
    tmp_path: Path,
    fault_env: dict[str, str],
    reference: Reference,
    one_round: Callable[[Path], str],
) -> None:
    """``ROUNDS`` rounds on fresh warehouses, then the next ingest on the last one."""
    for number in range(1, ROUNDS + 1):
        root = tmp_path / f"round-{number}"
        outcome = one_round(root)
        if number == ROUNDS:
            following = ingest(root, fault_env).finish()
            assert completed(following), following.stderr[-2000:]
            outcome += "; next ingest completed"
        row = record(fault, 1, reference.articles, audit(root), outcome)
        assert row.clean, row


def test_the_same_window_ingested_again(
    tmp_path: Path, fault_env: dict[str, str], reference: Reference
):
    """A backfill of the fixtures' months, the same backfill again, then an ingest over it."""
    root = tmp_path / "warehouse"
    first = backfill(root, fault_env).finish()
    assert completed(first), first.stderr[-2000:]
    again = [
        backfill(root, fault_env).finish(),
        ingest(root, fault_env, "--lookback-hours", str(24 * 365)).finish(),
    ]
    assert all(completed(result) for result in again)
    row = record(
        "the same window ingested again",
        len(again),
        reference.articles,
        audit(root),
        "a backfill, then the same backfill and an ingest over its window: all completed",
    )
    assert row.clean, row


def one_month_backfill(root: Path, env: dict[str, str]) -> Run:
    """One month chunk: a backfill beside an ingest without three crawls per round."""
    return backfill(root, env, ("2026-10-01", "2026-11-01"))


def test_the_first_ingest_after_a_backfill_of_last_month(
    tmp_path: Path, fault_env: dict[str, str], reference: Reference
):
    """What a backfill beside an ingest meets when the backfill lands first: the ingest
    must still read the whole feed, not resume from the backfill's newest article."""
    root = tmp_path / "warehouse"
    results = [one_month_backfill(root, fault_env).finish(), ingest(root, fault_env).finish()]
    assert all(completed(result) for result in results), results[-1].stderr[-2000:]
    outcome = "a one-month backfill, then the first ingest: both completed"
    row = record("an ingest after a backfill", 1, reference.articles, audit(root), outcome)
    assert row.clean, row


# Each pair starts at once on a fresh warehouse. For reprocess the warehouse holds stored
# pages but no articles, so it rebuilds them while the ingest lands the same ones.
PAIRS: dict[str, tuple[tuple[str, ...] | None, tuple[Callable[..., Run], ...]]] = {
    "two ingests at once": (None, (ingest, ingest)),
    "backfill beside an ingest": (None, (ingest, one_month_backfill)),
    "reprocess beside an ingest": (DERIVED, (reprocess, ingest)),
}


@pytest.mark.parametrize("fault", PAIRS)
def test_two_runs_at_once(
    fault: str, tmp_path: Path, fault_env: dict[str, str], reference: Reference
):
    skip, commands = PAIRS[fault]

    def one_round(root: Path) -> str:
        if skip is not None:
            copy_warehouse(reference.root, root, skip=skip)
        _side_by_side([lambda command=command: command(root, fault_env) for command in commands])
        return "both completed"

    _rounds(fault, tmp_path, fault_env, reference, one_round)


@contextmanager
def _looping(kind: str, root: Path, scratch: Path) -> Iterator[dict[str, list]]:
    """``tests.faults.loops KIND`` in its own process until the block ends; what it saw."""
    stop, out = scratch / f"{kind}.stop", scratch / f"{kind}.json"
    command = [sys.executable, "-m", "tests.faults.loops", kind, str(root), str(stop), str(out)]
    child = subprocess.Popen(command, cwd=REPO)
    seen: dict[str, list] = {}
    try:
        yield seen
    finally:
        stop.touch()
        child.wait(timeout=120)
        seen.update(json.loads(out.read_text()))


def test_compaction_and_a_reader_beside_an_ingest(
    tmp_path: Path, fault_env: dict[str, str], reference: Reference
):
    """Every partition holds two files (as two writers leave it) and no run has finished, so
    the ingest re-stores and re-reads what compaction is rewriting; a reader counts all along.
    """

    def one_round(root: Path) -> str:
        copy_warehouse(reference.root, root, copies=2, skip=("runs",))
        scratch = root.with_name(f"{root.name}-loops")
        scratch.mkdir()
        with _looping("read", root, scratch) as reads, _looping("compact", root, scratch) as passes:
            wait_for(lambda: (root / "articles").exists(), what="the copy")
            _side_by_side([lambda: ingest(root, fault_env)])
        assert not reads["errors"] and not passes["errors"], (reads["errors"], passes["errors"])
        assert set(reads["seen"]) == {reference.articles}, "a reader saw rows come and go"
        assert sum(passes["seen"]) > 0, "compaction never ran beside the ingest"
        # Past the retention, the replaced files go; the next audit reads what is left.
        compact(root, now=datetime.now(UTC) + timedelta(hours=1))
        return (
            f"{sum(passes['seen'])} partition compactions, {len(reads['seen'])} reads"
            " during the ingest, every read saw every article"
        )

    _rounds("compaction + reader beside an ingest", tmp_path, fault_env, reference, one_round)
