"""Cheap polls: conditional list requests, paging that stops at known items, and detail
pages fetched again only for a changed list entry. Real crawls against the fixture server,
real Parquet read back by DuckDB."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from spiders.crawl import CrawlSummary, run_crawl
from spiders.items import entry_fingerprint
from tests.fixture_server import FIXTURES, FixtureServer, Route, load_routes
from warehouse import connect
from warehouse.schemas import TABLES
from warehouse.writer import write_rows

LIST_PATH = "/bapi/composite/v1/public/cms/article/list/query"
DETAIL_PATH = "/bapi/composite/v1/public/cms/article/detail/query"
CATALOGS = 8
DELISTING_CATALOG = "161"  # a full page 1, then a short page 2
MISSING_DETAIL = "8e04a12e3dc9e4731366ac773e3a8a43"  # its detail answers 404


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    """Binance's fixtures in a folder of their own, for a test to edit."""
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "binance", copy / "binance")
    return copy


@pytest.fixture
def fixture_routes(fixture_copy: Path) -> list[Route]:
    return load_routes(fixture_copy)


def crawl(warehouse: Path, run_id: str) -> CrawlSummary:
    """An incremental crawl of binance, recorded as a finished run (what the flow does)."""
    summary = run_crawl("binance", run_id=run_id, warehouse=warehouse, timeout=120)
    assert summary.error is None
    moment = datetime.now(UTC)
    row = {"run_id": run_id, "flow": "ingest", "source": "binance", "started_at": moment}
    write_rows(warehouse, TABLES["runs"], [{**row, "finished_at": moment}])
    return summary


def stored_pages(warehouse: Path) -> int:
    return connect(warehouse).execute("select count(*) from raw_pages").fetchone()[0]


def requested(server: FixtureServer, path: str) -> list[dict[str, object]]:
    return [request for request in server.requests if request["path"] == path]


def edit_list_page(
    fixtures: Path, server: FixtureServer, page: int, edit: Callable[[dict[str, Any]], None]
) -> None:
    """Rewrite one of catalog 161's list pages on disk and serve the edited copy."""
    path = fixtures / "binance" / f"list-{DELISTING_CATALOG}-p{page}.json"
    payload = json.loads(path.read_text())
    edit(payload)
    path.write_text(json.dumps(payload))
    server.routes[:] = load_routes(fixtures)


def test_known_list_pages_are_asked_conditionally_and_304s_land_nothing(
    warehouse: Path, fixture_server: FixtureServer
):
    first = crawl(warehouse, "r1")
    pages_before = stored_pages(warehouse)
    assert first.not_modified == 0 and first.pages_stored == pages_before
    fixture_server.requests.clear()

    second = crawl(warehouse, "r2")

    lists = requested(fixture_server, LIST_PATH)
    assert len(lists) == CATALOGS  # page 1 of each catalog: it holds only known items
    assert all(request["conditional"] and request.get("status") == 304 for request in lists)
    # The only detail asked for again is the one whose fetch failed: it is not known.
    details = requested(fixture_server, DETAIL_PATH)
    assert [request["query"]["articleCode"] for request in details] == [MISSING_DETAIL]
    assert second.not_modified == CATALOGS and second.requests == CATALOGS + 1
    assert second.status_counts == {"304": CATALOGS, "404": 1}
    assert second.pages_unchanged == CATALOGS and second.pages_stored == 0
    assert second.details_skipped > 0
    assert stored_pages(warehouse) == pages_before


def bump_total(payload: dict[str, Any]) -> None:
    """A figure beside the entries changes: the page is new, what it lists is not."""
    payload["data"]["catalogs"][0]["total"] += 1


def test_paging_stops_at_a_changed_page_that_holds_only_known_items(
    warehouse: Path, fixture_server: FixtureServer, fixture_copy: Path
):
    crawl(warehouse, "r1")
    first_pages = {
        request["query"]["pageNo"]
        for request in requested(fixture_server, LIST_PATH)
        if request["query"]["catalogId"] == DELISTING_CATALOG
    }
    assert first_pages == {"1", "2"}
    edit_list_page(
        fixture_copy, fixture_server, 1, lambda p: p["data"]["catalogs"][0].update(total=999)
    )
    fixture_server.requests.clear()

    second = crawl(warehouse, "r2")

    delistings = [
        request
        for request in requested(fixture_server, LIST_PATH)
        if request["query"]["catalogId"] == DELISTING_CATALOG
    ]
    assert [(r["query"]["pageNo"], r.get("status")) for r in delistings] == [("1", 200)]
    details = requested(fixture_server, DETAIL_PATH)
    assert [request["query"]["articleCode"] for request in details] == [MISSING_DETAIL]
    assert second.requests == CATALOGS + 1 and second.not_modified == CATALOGS - 1
    assert second.pages_stored == 1  # the changed list page, nothing else


def test_only_the_detail_of_a_changed_list_entry_is_fetched_again(
    warehouse: Path, fixture_server: FixtureServer, fixture_copy: Path
):
    crawl(warehouse, "r1")
    pages_before = stored_pages(warehouse)
    original: dict[str, Any] = {}
    changed: dict[str, Any] = {}

    def retitle(payload: dict[str, Any]) -> None:
        entry = payload["data"]["catalogs"][0]["articles"][0]
        original.update(entry)
        entry["title"] += " (updated)"
        changed.update(entry)

    edit_list_page(fixture_copy, fixture_server, 1, retitle)
    fixture_server.requests.clear()

    second = crawl(warehouse, "r2")

    details = requested(fixture_server, DETAIL_PATH)
    codes = {request["query"]["articleCode"] for request in details}
    assert codes == {changed["code"], MISSING_DETAIL}
    delistings = [
        request["query"]["pageNo"]
        for request in requested(fixture_server, LIST_PATH)
        if request["query"]["catalogId"] == DELISTING_CATALOG
    ]
    assert delistings == ["1", "2"]  # page 1 held a changed entry: read on
    # The changed list page, and the detail again: its body is the same, its entry is not
    # (the view shows one raw page per payload and URL; the files hold both fetches).
    assert second.pages_stored == 2
    assert stored_pages(warehouse) == pages_before + 1
    fingerprints = duckdb.execute(
        "select entry_fingerprint from read_parquet(?, union_by_name = true) where native_id = ?",
        [str(warehouse / "raw_pages" / "**" / "*.parquet"), changed["code"]],
    ).fetchall()
    assert sorted(fingerprints) == sorted(
        [(entry_fingerprint(original),), (entry_fingerprint(changed),)]
    )


def test_a_backfill_window_keeps_paging_and_asks_unconditionally(
    warehouse: Path, fixture_server: FixtureServer
):
    crawl(warehouse, "r1")
    fixture_server.requests.clear()
    summary = run_crawl(
        "binance",
        run_id="r2",
        warehouse=warehouse,
        since=datetime(2020, 1, 1, tzinfo=UTC),
        until=datetime(2030, 1, 1, tzinfo=UTC),
        timeout=120,
    )
    lists = requested(fixture_server, LIST_PATH)
    assert not any(request["conditional"] for request in lists)
    pages = {r["query"]["pageNo"] for r in lists if r["query"]["catalogId"] == DELISTING_CATALOG}
    assert pages == {"1", "2"}
    assert summary.not_modified == 0
