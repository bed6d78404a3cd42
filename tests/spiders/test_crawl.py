"""Crawls in a child process against the local fixture server."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from spiders.crawl import run_crawl
from spiders.middlewares import retry_after_seconds
from tests.fixture_server import FixtureServer, Route
from warehouse import connect

LIST_PATH = "/bapi/composite/v1/public/cms/article/list/query"


def test_requests_go_to_the_mapped_address_and_keep_the_real_url(
    warehouse: Path, fixture_server: FixtureServer
):
    summary = run_crawl("binance", run_id="r1", warehouse=warehouse, timeout=120)
    assert summary.error is None and summary.pages_stored > 40
    assert {r["host"] for r in fixture_server.requests} == {"www.binance.com"}
    urls = [row[0] for row in connect(warehouse).execute("select url from raw_pages").fetchall()]
    assert urls and all(url.startswith("https://www.binance.com/bapi/") for url in urls)


def test_client_errors_other_than_429_are_not_retried(
    warehouse: Path, fixture_server: FixtureServer
):
    summary = run_crawl("binance", run_id="r1", warehouse=warehouse, timeout=120)
    missing = [
        r for r in fixture_server.requests
        if r["query"].get("articleCode") == "8e04a12e3dc9e4731366ac773e3a8a43"
    ]  # fmt: skip
    assert len(missing) == 1
    assert summary.status_counts.get("404") == 1 and summary.fetch_failures == 1


@pytest.fixture
def rate_limited(fixture_routes: list[Route]) -> list[Route]:
    """Catalog 48 always answers 429 asking to wait one second."""
    query = {"catalogId": "48", "pageNo": "1"}
    headers = {"Retry-After": "1"}
    fixture_routes.append(
        Route("www.binance.com", LIST_PATH, b"{}", query=query, status=429, headers=headers)
    )
    return fixture_routes


@pytest.mark.usefixtures("rate_limited")
def test_429_is_retried_after_what_retry_after_asks_then_quarantined(
    warehouse: Path, fixture_server: FixtureServer
):
    summary = run_crawl("binance", run_id="r1", warehouse=warehouse, timeout=120)
    attempts = [r["at"] for r in fixture_server.requests if r["query"].get("catalogId") == "48"]
    assert len(attempts) == 4  # the first try and RETRY_TIMES = 3 retries
    gaps = [later - earlier for earlier, later in pairwise(attempts)]
    assert min(gaps) >= 1.0
    assert summary.status_counts.get("429") == 4
    row = (
        connect(warehouse)
        .execute("select stage, status from quarantine where url like '%catalogId=48%'")
        .fetchone()
    )
    assert row == ("fetch", 429)


def test_retry_after_reads_seconds_and_http_dates():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds(b"Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_a_crawl_that_overruns_its_timeout_is_reported_not_raised(
    warehouse: Path, fixture_server: FixtureServer
):
    summary = run_crawl("binance", run_id="r1", warehouse=warehouse, timeout=0.5)
    assert summary.error is not None and summary.error.startswith("crawl timed out")
