"""Staleness belongs to the source: only incremental runs judge it, never a historical window."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows.ingest import backfill, ingest, reprocess
from tests.fixture_server import FixtureServer
from warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_backend")


def messages(root: Path, flow: str) -> list[str]:
    rows = connect(root).execute("select message from runs where flow = ?", [flow]).fetchall()
    return [message or "" for (message,) in rows]


def test_a_backfill_of_an_old_window_is_not_stale_but_an_ingest_of_it_is(
    warehouse: Path, fixture_server: FixtureServer
):
    # September 2026: its newest item is weeks older than Binance's two-day cadence.
    september = {"sources": ["binance"], "start": date(2026, 9, 1), "end": date(2026, 10, 1)}
    backfilled = backfill(**september, warehouse=str(warehouse))
    reprocessed = reprocess(**september, warehouse=str(warehouse))
    assert backfilled[0]["items_new"] > 0
    for row in backfilled + reprocessed:
        assert "stale" not in (row["message"] or ""), row["message"]
    assert not any("stale" in message for message in messages(warehouse, "backfill"))

    # The same source, judged by an incremental run: the fixtures end days ago.
    ingested = ingest(sources=["binance"], warehouse=str(warehouse))
    assert "stale: newest item" in ingested[0]["message"]
    assert any("stale: newest item" in message for message in messages(warehouse, "ingest"))
