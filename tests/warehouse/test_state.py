"""Incremental state: which stored payloads a new crawl may skip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from warehouse.schemas import TABLES
from warehouse.state import processed_payloads
from warehouse.writer import write_rows

OCTOBER, NOVEMBER, DECEMBER = (datetime(2026, month, 1, tzinfo=UTC) for month in (10, 11, 12))


def stored(root: Path, run_id: str, start: datetime | None, end: datetime | None) -> None:
    """One page stored by ``run_id``, which finished having processed ``[start, end)``."""
    write_rows(root, TABLES["raw_pages"], [{
        "raw_id": run_id, "source": "binance", "url": "https://www.binance.com/list",
        "fetched_at": NOVEMBER, "body": b"{}", "sha256": f"sha-{run_id}", "run_id": run_id,
    }])  # fmt: skip
    write_rows(root, TABLES["runs"], [{
        "run_id": run_id, "source": "binance", "window_start": start, "window_end": end,
        "started_at": NOVEMBER, "finished_at": NOVEMBER, "status": "completed",
    }])  # fmt: skip


def test_a_page_processed_for_one_month_is_new_to_any_other_window(warehouse: Path):
    """The same list page holds other articles for another window: it must be read again."""
    stored(warehouse, "october", OCTOBER, NOVEMBER)
    assert processed_payloads(warehouse, "binance", OCTOBER, NOVEMBER) == {"sha-october"}
    assert processed_payloads(warehouse, "binance", NOVEMBER, DECEMBER) == set()
    assert processed_payloads(warehouse, "binance", OCTOBER, None) == set()
    assert processed_payloads(warehouse, "binance") == set()


def test_a_page_processed_by_an_open_ingest_covers_every_later_window(warehouse: Path):
    stored(warehouse, "ingest", OCTOBER, None)
    assert processed_payloads(warehouse, "binance", NOVEMBER, None) == {"sha-ingest"}
    assert processed_payloads(warehouse, "binance", NOVEMBER, DECEMBER) == {"sha-ingest"}
    assert processed_payloads(warehouse, "binance", None, None) == set()
