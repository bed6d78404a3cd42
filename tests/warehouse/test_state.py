"""Incremental state: where an ingest resumes, and which stored payloads a crawl may skip.

Every call passes ``now``: the pages were fetched on 1 November, and only pages fetched
within ``PAYLOAD_MEMORY`` of ``now`` are remembered.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warehouse import views
from warehouse.schemas import TABLES
from warehouse.state import PAYLOAD_MEMORY, processed_payloads, resume_point
from warehouse.views import utc_connection
from warehouse.writer import write_rows

OCTOBER, NOVEMBER, DECEMBER = (datetime(2026, month, 1, tzinfo=UTC) for month in (10, 11, 12))


def stored(
    root: Path, run_id: str, start: datetime | None, end: datetime | None, status: str = "completed"
) -> None:
    """One page stored by ``run_id``, which finished having processed ``[start, end)``."""
    write_rows(root, TABLES["raw_pages"], [{
        "raw_id": run_id, "source": "binance", "url": "https://www.binance.com/list",
        "fetched_at": NOVEMBER, "body": b"{}", "sha256": f"sha-{run_id}", "run_id": run_id,
    }])  # fmt: skip
    write_rows(root, TABLES["runs"], [{
        "run_id": run_id, "source": "binance", "window_start": start, "window_end": end,
        "started_at": NOVEMBER, "finished_at": NOVEMBER, "status": status,
    }])  # fmt: skip


def test_a_page_processed_for_one_month_is_new_to_any_other_window(warehouse: Path):
    """The same list page holds other articles for another window: it must be read again."""
    stored(warehouse, "october", OCTOBER, NOVEMBER)
    assert processed_payloads(warehouse, "binance", OCTOBER, NOVEMBER, now=NOVEMBER) == {
        "sha-october"
    }
    assert processed_payloads(warehouse, "binance", NOVEMBER, DECEMBER, now=NOVEMBER) == set()
    assert processed_payloads(warehouse, "binance", OCTOBER, None, now=NOVEMBER) == set()
    assert processed_payloads(warehouse, "binance", now=NOVEMBER) == set()


def test_a_page_processed_by_an_open_ingest_covers_every_later_window(warehouse: Path):
    stored(warehouse, "ingest", OCTOBER, None)
    assert processed_payloads(warehouse, "binance", NOVEMBER, None, now=NOVEMBER) == {"sha-ingest"}
    assert processed_payloads(warehouse, "binance", NOVEMBER, DECEMBER, now=NOVEMBER) == {
        "sha-ingest"
    }
    assert processed_payloads(warehouse, "binance", None, None, now=NOVEMBER) == set()


def test_a_page_of_a_failed_run_is_processed_again(warehouse: Path):
    """A full disk can refuse a run's articles once its pages are stored: the run's row says
    it failed, and skipping its pages would lose their articles for good."""
    stored(warehouse, "refused", OCTOBER, None, status="failed")
    stored(warehouse, "blocked", OCTOBER, None, status="blocked")
    assert processed_payloads(warehouse, "binance", NOVEMBER, None, now=NOVEMBER) == {"sha-blocked"}


def test_a_page_fetched_before_the_payload_memory_is_new_again(warehouse: Path):
    """Both bounds hold at once: the right window, but fetched too long ago."""
    stored(warehouse, "ingest", OCTOBER, None)
    later = NOVEMBER + PAYLOAD_MEMORY
    assert processed_payloads(warehouse, "binance", NOVEMBER, None, now=later) == {"sha-ingest"}
    later += timedelta(microseconds=1)
    assert processed_payloads(warehouse, "binance", NOVEMBER, None, now=later) == set()


def finished(root: Path, flow: str, status: str) -> None:
    write_rows(root, TABLES["runs"], [{
        "run_id": f"{flow}-{status}", "flow": flow, "source": "binance", "started_at": NOVEMBER,
        "finished_at": NOVEMBER, "status": status,
    }])  # fmt: skip


def test_an_ingest_resumes_from_the_newest_article_only_after_an_ingest_went_through(
    warehouse: Path,
):
    """A backfill's articles say nothing of the feed before its window: the first ingest
    beside or after it reads the whole feed, or the months before the backfill are lost."""
    newest = OCTOBER + timedelta(days=30)
    write_rows(warehouse, TABLES["articles"], [{
        "article_id": "a1", "source": "binance", "published_at": newest, "fetched_at": NOVEMBER,
    }])  # fmt: skip
    finished(warehouse, "backfill", "completed")
    assert resume_point(warehouse, "binance") is None
    finished(warehouse, "ingest", "failed")
    assert resume_point(warehouse, "binance") is None
    finished(warehouse, "watch", "partial")
    assert resume_point(warehouse, "binance") == newest
    assert resume_point(warehouse, "okx") is None


def test_a_forked_process_reads_state_with_a_database_of_its_own(warehouse: Path):
    """A crawl child is forked from a process that has read state already: it must not use
    that process's DuckDB, whose worker threads stayed behind (a read could hang for ever,
    as the writer-kill fault test's crawl did)."""
    stored(warehouse, "ingest", OCTOBER, None)
    parent = utc_connection(warehouse)
    assert processed_payloads(warehouse, "binance", NOVEMBER, None, now=NOVEMBER)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when it read the state through a new database
        code = 1
        try:
            fresh = views._SHARED.database is None
            found = processed_payloads(warehouse, "binance", NOVEMBER, None, now=NOVEMBER)
            code = 0 if fresh and found == {"sha-ingest"} else 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (waited := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    parent.close()
    if waited == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked process's state read hung on its parent's database")
    assert os.waitstatus_to_exitcode(waited[1]) == 0
