"""Versioning: unchanged content is not written again; lists never overwrite details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse import connect
from warehouse.schemas import TABLES
from warehouse.versions import ArticleVersion, content_hash, upsert_articles
from warehouse.writer import write_rows

FETCHED = datetime(2026, 11, 1, 12, tzinfo=UTC)


def article(**overrides: object) -> dict:
    row = {
        "article_id": "a1",
        "source": "binance",
        "native_id": "c1",
        "url": "https://www.binance.com/en/support/announcement/detail/c1",
        "title": "Binance Will Delist FOO on 2026-11-05",
        "published_at": datetime(2026, 11, 1, 8, tzinfo=UTC),
        "fetched_at": FETCHED,
        "pairs": ["FOO/USDT"],
        "body_text": "Binance will delist FOO/USDT.",
        "category": "delisting",
    }
    return {**row, **overrides}


def test_same_content_twice_is_one_version(warehouse: Path):
    first = upsert_articles(warehouse, "binance", [ArticleVersion(article())])
    later = article(fetched_at=FETCHED + timedelta(hours=1))
    second = upsert_articles(warehouse, "binance", [ArticleVersion(later)])
    assert (first.count("new"), second.count("unchanged")) == (1, 1)
    count = connect(warehouse).execute("select count(*) from article_versions").fetchone()[0]
    assert count == 1


def test_an_edit_is_a_new_version_and_articles_shows_the_newest(warehouse: Path):
    upsert_articles(warehouse, "binance", [ArticleVersion(article())])
    edited = article(
        body_text="Binance will delist FOO/USDT and FOO/BTC.",
        fetched_at=FETCHED + timedelta(hours=2),
    )
    result = upsert_articles(warehouse, "binance", [ArticleVersion(edited)])
    assert result.count("changed") == 1
    connection = connect(warehouse)
    assert connection.execute("select count(*) from article_versions").fetchone()[0] == 2
    body, first_seen = connection.execute(
        "select body_text, first_seen_at from articles"
    ).fetchone()
    assert body.endswith("FOO/BTC.")
    assert first_seen == FETCHED


def test_a_list_entry_only_fills_gaps(warehouse: Path):
    upsert_articles(warehouse, "binance", [ArticleVersion(article())])
    stub = article(body_text=None, pairs=[], fetched_at=FETCHED + timedelta(hours=1))
    result = upsert_articles(warehouse, "binance", [ArticleVersion(stub, partial=True)])
    assert result.count("unchanged") == 1
    body, pairs = connect(warehouse).execute("select body_text, pairs from articles").fetchone()
    assert (body, pairs) == ("Binance will delist FOO/USDT.", ["FOO/USDT"])


def test_duplicates_from_two_writers_stay_hidden(warehouse: Path):
    """Two runs that both found no stored version write the same rows twice."""
    stored = {**article(), "content_hash": content_hash(article()), "first_seen_at": FETCHED}
    mention = {
        "article_id": "a1", "content_hash": stored["content_hash"], "source": "binance",
        "kind": "pair", "text": "FOO/USDT", "value": "FOO/USDT", "field": "body_text",
        "start_offset": 20, "end_offset": 28, "fetched_at": FETCHED,
    }  # fmt: skip
    for _ in range(2):
        write_rows(warehouse, TABLES["mentions"], [mention])
        write_rows(warehouse, TABLES["articles"], [stored])
    connection = connect(warehouse)
    assert connection.execute("select count(*) from _articles_rows").fetchone()[0] == 2
    assert connection.execute("select count(*) from articles").fetchone()[0] == 1
    assert connection.execute("select count(*) from article_versions").fetchone()[0] == 1
    assert connection.execute("select count(*) from mentions").fetchone()[0] == 1


def test_a_list_entry_after_its_detail_adds_no_version(warehouse: Path):
    upsert_articles(warehouse, "binance", [ArticleVersion(article(summary=None))])
    stub = article(body_text=None, summary="From the list", fetched_at=FETCHED + timedelta(1))
    result = upsert_articles(warehouse, "binance", [ArticleVersion(stub, partial=True)])
    assert result.count("unchanged") == 1
    assert connect(warehouse).execute("select count(*) from article_versions").fetchone()[0] == 1
