"""End to end, offline: fixture server -> crawl child -> transform -> Parquet -> DuckDB."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from flows.ingest import backfill, ingest
from tests.fixture_server import FixtureServer
from warehouse import connect

pytestmark = pytest.mark.usefixtures("prefect_backend")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance"
MALFORMED = "f3750889a7cc60511eb49239c5c76167"
MISSING_DETAIL = "8e04a12e3dc9e4731366ac773e3a8a43"


def fixture_articles() -> dict[str, dict]:
    """Every entry of the bundled list pages, by code: what the warehouse must hold."""
    entries = {}
    for path in FIXTURES.glob("list-*.json"):
        for catalog in json.loads(path.read_text())["data"]["catalogs"]:
            for entry in catalog["articles"]:
                entries[entry["code"]] = entry
    return entries


def scalar(root: Path, query: str) -> object:
    return connect(root).execute(query).fetchone()[0]


def test_ingest_lands_every_fixture_article_once(warehouse: Path, fixture_server: FixtureServer):
    expected = fixture_articles()
    report = ingest(sources=["binance"], warehouse=str(warehouse))

    rows = (
        connect(warehouse)
        .execute("select native_id, title, published_at, body_text, category from articles")
        .fetchall()
    )
    landed = {native_id: (title, published) for native_id, title, published, _, _ in rows}
    assert set(landed) == set(expected)
    for code, entry in expected.items():
        title, published_at = landed[code]
        assert title == entry["title"]
        assert published_at == datetime.fromtimestamp(entry["releaseDate"] / 1000, tz=UTC)
    with_body = {native_id for native_id, _, _, body, _ in rows if body}
    assert with_body == set(expected) - {MALFORMED, MISSING_DETAIL}
    assert report[0]["items_new"] == len(expected)
    assert report[0]["status"] == "partial"  # one 404 and one malformed payload

    versions_before = scalar(warehouse, "select count(*) from article_versions")
    second = ingest(sources=["binance"], warehouse=str(warehouse))
    assert scalar(warehouse, "select count(*) from articles") == len(expected)
    assert scalar(warehouse, "select count(*) from article_versions") == versions_before
    assert second[0]["items_new"] == second[0]["items_changed"] == 0
    assert scalar(warehouse, "select count(*) from runs") == 2


def test_bad_payloads_are_quarantined_and_the_run_goes_on(
    warehouse: Path, fixture_server: FixtureServer
):
    ingest(sources=["binance"], warehouse=str(warehouse))
    quarantined = (
        connect(warehouse)
        .execute(
            "select stage, native_id, error_type, error, raw_ref from quarantine order by stage"
        )
        .fetchall()
    )
    (fetch, transform) = quarantined
    assert fetch[:3] == ("fetch", MISSING_DETAIL, "HttpError")
    assert "404" in fetch[3]
    assert transform[:3] == ("transform", MALFORMED, "MarkupError")
    assert "not JSON" in transform[3]
    raw = (
        connect(warehouse)
        .execute("select url from raw_pages where raw_id = ?", [transform[4]])
        .fetchone()
    )
    assert raw is not None and MALFORMED in raw[0]
    # The list entry of the malformed article still landed, as title and time.
    assert scalar(warehouse, f"select count(*) from articles where native_id = '{MALFORMED}'") == 1


def test_backfill_writes_nothing_outside_the_window(warehouse: Path, fixture_server: FixtureServer):
    start, end = date(2026, 10, 1), date(2026, 11, 1)
    expected = {
        code
        for code, entry in fixture_articles().items()
        if datetime(2026, 10, 1, tzinfo=UTC)
        <= datetime.fromtimestamp(entry["releaseDate"] / 1000, tz=UTC)
        < datetime(2026, 11, 1, tzinfo=UTC)
    }
    assert expected, "the fixtures must have articles inside the window"
    backfill(sources=["binance"], start=start, end=end, warehouse=str(warehouse))
    connection = connect(warehouse)
    landed = {row[0] for row in connection.execute("select native_id from articles").fetchall()}
    assert landed == expected
    outside = connection.execute(
        "select count(*) from article_versions where published_at < ? or published_at >= ?",
        [datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)],
    ).fetchone()[0]
    assert outside == 0
    window = connection.execute("select window_start, window_end, flow from runs").fetchone()
    assert window == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
        "backfill",
    )


def test_ingest_resumes_from_the_newest_stored_article(
    warehouse: Path, fixture_server: FixtureServer
):
    ingest(sources=["binance"], warehouse=str(warehouse))
    fixture_server.requests.clear()
    ingest(sources=["binance"], lookback_hours=24, warehouse=str(warehouse))
    details = [r for r in fixture_server.requests if r["path"].endswith("/detail/query")]
    newest = max(entry["releaseDate"] for entry in fixture_articles().values())
    recent = [
        code
        for code, entry in fixture_articles().items()
        if entry["releaseDate"] >= newest - 24 * 3600 * 1000
    ]
    # The window starts 24 hours before the newest article; of its entries, only a detail
    # never fetched whole is asked for again (unchanged list entries are known).
    window_start = scalar(warehouse, "select max(window_start) from runs")
    assert window_start == datetime.fromtimestamp(newest / 1000, UTC) - timedelta(hours=24)
    assert recent
    assert {r["query"]["articleCode"] for r in details} <= set(recent) & {MISSING_DETAIL}
    lists = [r for r in fixture_server.requests if r["path"].endswith("/list/query")]
    assert all(r["query"]["pageNo"] == "1" for r in lists)


def test_stored_articles_carry_language_fingerprint_story_and_mentions(
    warehouse: Path, fixture_server: FixtureServer
):
    ingest(sources=["binance"], warehouse=str(warehouse))
    connection = connect(warehouse)
    missing = connection.execute(
        """select count(*) from articles where body_text is not null
           and (language is null or fingerprint is null or story_id is null)"""
    ).fetchone()[0]
    assert missing == 0
    kinds = {row[0] for row in connection.execute("select distinct kind from mentions").fetchall()}
    assert {"pair", "coin", "event_time"} <= kinds
    # Mentions point into the text they were found in.
    for field, text, start, end, written in connection.execute(
        """select m.field, case m.field when 'title' then a.title else a.body_text end,
                  m.start_offset, m.end_offset, m.text
           from mentions m join articles a using (article_id, content_hash) limit 200"""
    ).fetchall():
        assert text[start:end] == written, field
