"""Kraken: WordPress posts and Statuspage incidents, on the fixtures and the real capture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import duckdb
import lxml.html
import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from spiders.items import RawPage
from spiders.sources.kraken import KrakenSpider
from tests.conftest import captures
from tests.fixture_server import Route, serve
from transform.model import Article, Page, PayloadError
from transform.sources.kraken import parse
from warehouse import connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kraken"
FETCHED = datetime(2026, 11, 27, tzinfo=UTC)
POSTS_URL = "https://blog.kraken.com/wp-json/wp/v2/posts?page=1&per_page=10"


def page(body: bytes, feed: str | None, url: str = POSTS_URL) -> Page:
    return Page(
        raw_id="raw-1",
        source="kraken",
        page_kind="list",
        url=url,
        fetched_at=FETCHED,
        body=body,
        feed=feed,
    )


def fixture_page(name: str, feed: str) -> Page:
    return page((FIXTURES / name).read_bytes(), feed)


def test_blog_post_fields_and_body_without_chrome() -> None:
    articles = parse(fixture_page("posts-p1.json", "blog"))
    assert [a.native_id for a in articles] == [
        "41873", "41860", "41842", "41830", "41811", "41795", "41780", "41766", "41750", "41731",
    ]  # fmt: skip
    assert {(a.feed, a.language, a.partial, a.exchange) for a in articles} == {
        ("blog", "en", False, "kraken")
    }
    plume = articles[0]
    assert plume.title == "Trading for Plume (PLUME) starts November 26 — deposit now!"
    assert plume.url == "https://blog.kraken.com/news/plume-trading-live"
    assert plume.published_at == datetime(2026, 11, 26, 16, tzinfo=UTC)
    assert plume.updated_at == datetime(2026, 11, 26, 16, tzinfo=UTC)
    assert (plume.category, plume.source_categories) == ("listing", ["Asset Listings"])
    assert plume.author == "Kraken Team"
    assert plume.summary == (
        "Plume (PLUME) is coming to Kraken. Deposits are open now and trading starts on "
        "November 26."
    )
    assert plume.coins == ["PLUME", "USD", "EUR"]
    assert plume.pairs == ["PLUME/USD", "PLUME/EUR"]
    assert plume.body_text == (
        "We’re excited to announce that Plume (PLUME) is now available for deposit on Kraken. "
        "Trading starts on November 26, 2026 at 16:00 UTC once liquidity conditions are met."
        "\n\nHow to trade PLUME"
        "\n\nSpot pairs: PLUME/USD and PLUME/EUR"
        "\nDeposits and withdrawals on the Ethereum network"
        "\nAvailable on Kraken, Kraken Pro and the Kraken App"
        "\n\nPlume is a modular chain for real-world assets."
        "\n\nPlease note that PLUME is not available to clients in New York, Canada and the EEA."
    )
    assert "## How to trade PLUME\n\n- Spot pairs: PLUME/USD and PLUME/EUR" in plume.body_markdown
    assert "Sign up" not in plume.body_markdown and "widgets.js" not in plume.body_markdown


def test_blog_categories_from_wordpress_labels_then_titles() -> None:
    articles = parse(fixture_page("posts-p1.json", "blog"))
    assert {a.native_id: a.category for a in articles} == {
        "41873": "listing",  # Asset Listings
        "41860": "delisting",  # Asset Listings, but the title delists
        "41842": "product",
        "41830": "security",
        "41811": "market_news",
        "41795": "regulation",  # Policy
        "41780": "promotion",
        "41766": "maintenance",  # News: the title decides
        "41750": "product",  # News: "now available"
        "41731": "deposit_withdrawal",  # Funding: "Deposits"
    }


def test_blog_table_and_symbols() -> None:
    delisting = parse(fixture_page("posts-p1.json", "blog"))[1]
    assert delisting.title == "Kraken will delist MOVE, SWELL and WAXL on December 3"
    assert "Asset\tTrading ends\tWithdrawals until\nMovement (MOVE)\tDec 3, 2026\tJan 3, 2027" in (
        delisting.body_text
    )
    assert delisting.coins == ["MOVE", "SWELL", "WAXL", "USD", "EUR"]
    assert delisting.pairs == ["MOVE/USD", "SWELL/EUR", "WAXL/USD"]


def test_status_incidents() -> None:
    articles = parse(fixture_page("status-history.rss", "status"))
    assert [
        (a.native_id, a.title, a.published_at, a.category, a.source_categories, a.coins, a.pairs)
        for a in articles
    ] == [
        (
            "p4k2m9xq7t1z",
            "Polkadot (DOT) Network Upgrade",
            datetime(2026, 11, 25, 10, tzinfo=UTC),
            "maintenance",
            ["scheduled maintenance"],
            ["DOT", "USD", "EUR"],
            ["DOT/USD", "DOT/EUR"],
        ),
        (
            "h8v3c6n2w0rd",
            "Website and API degraded performance",
            datetime(2026, 11, 20, 15, 42, 10, tzinfo=UTC),
            "other",
            ["incident"],
            [],
            [],
        ),
        (
            "s0l7f4d1y2hk",
            "Solana (SOL) Funding Delays",
            datetime(2026, 11, 9, 6, 30, tzinfo=UTC),
            "other",
            ["incident"],
            ["SOL"],
            [],
        ),
        (
            "ph1sh5e7c9ur",
            "Phishing campaign impersonating Kraken Support",
            datetime(2026, 10, 29, 18, 20, tzinfo=UTC),
            "security",
            ["incident"],
            [],
            [],
        ),
        (
            "sepa2m0n8t4x",
            "SEPA Funding Maintenance",
            datetime(2026, 10, 17, 22, tzinfo=UTC),
            "maintenance",
            ["scheduled maintenance"],
            [],
            [],
        ),
        (
            "e7hu5dh4lt8q",
            "ETH/USD order book halted",
            datetime(2026, 9, 8, 4, 15, 33, tzinfo=UTC),
            "other",
            ["incident"],
            ["ETH", "USD"],
            ["ETH/USD"],
        ),
    ]
    phishing = articles[3]
    assert phishing.url == "https://status.kraken.com/incidents/ph1sh5e7c9ur"
    assert (phishing.feed, phishing.partial) == ("status", False)
    assert phishing.body_text == (
        "Oct 29, 18:20 UTC\nResolved - The phishing domains have been taken down. Kraken will "
        "never ask for your password or 2FA codes."
        "\n\nOct 29, 09:00 UTC\nIdentified - We are aware of emails and text messages that "
        "impersonate Kraken Support and link to fake login pages. Do not enter your credentials "
        "on any site other than kraken.com."
    )
    assert articles[0].body_text.startswith("THIS IS A SCHEDULED EVENT Nov 25, 10:00 - 11:00 UTC")


def test_protected_post_lands_with_its_excerpt_only() -> None:
    post = json.loads((FIXTURES / "posts-p1.json").read_text())[0]
    post["content"] = {"rendered": "", "protected": True}
    [article] = parse(page(json.dumps([post]).encode(), "blog"))
    assert (article.body_text, article.body_markdown) == (None, None)
    assert article.summary.startswith("Plume (PLUME) is coming to Kraken.")
    assert article.coins == ["PLUME"]


@pytest.mark.parametrize(
    ("body", "feed", "message"),
    [
        (
            b'{"code":"rest_post_invalid_page_number","message":"The page number requested is '
            b'larger than the number of pages available.","data":{"status":400}}',
            "blog",
            "rest_post_invalid_page_number",
        ),
        ((FIXTURES / "posts-p2-challenge.html").read_bytes(), "blog", "not JSON"),
        (b'[{"id": 7, "link": "https://blog.kraken.com/x", "title": {"rendered": "X"}}]', "blog",
         "date_gmt"),
        ((FIXTURES / "posts-p2-challenge.html").read_bytes(), "status", "not XML"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>', "status",
         "not an RSS feed"),
        (b"<rss><channel><item><title>Half", "status", "not XML"),
        (b'<rss version="2.0"><channel><item><title>No link</title></item></channel></rss>',
         "status", "lacks title, link or description"),
        ((FIXTURES / "posts-p1.json").read_bytes(), "news", "unknown Kraken feed"),
    ],
)  # fmt: skip
def test_malformed_payloads_raise(body: bytes, feed: str | None, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse(page(body, feed))


def spider(**window: str) -> KrakenSpider:
    return KrakenSpider.from_crawler(get_crawler(KrakenSpider), **window)


def posts_response(headers: dict[str, str]) -> TextResponse:
    request = Request(POSTS_URL)
    body = (FIXTURES / "posts-p1.json").read_bytes()
    return TextResponse(POSTS_URL, body=body, headers=headers, request=request)


def test_spider_passes_the_window_to_wordpress() -> None:
    request = spider(since="2026-10-01", until="2026-11-01").posts_request(3)
    assert request.url == (
        "https://blog.kraken.com/wp-json/wp/v2/posts?page=3&per_page=10&orderby=date&order=desc"
        "&_embed=author%2Cwp%3Aterm&after=2026-09-30T10%3A00%3A00&before=2026-11-01T14%3A00%3A00"
    )
    assert request.meta["dont_obey_robotstxt"] is True
    unbounded = spider().posts_request(1)
    assert "after=" not in unbounded.url and "before=" not in unbounded.url


@pytest.mark.parametrize(
    ("window", "total_pages", "next_page"),
    [
        ({}, "2", 2),  # a full page and X-WP-TotalPages says more
        ({}, "1", None),  # the last page of the window
        ({"since": "2026-10-10"}, "2", None),  # the page reaches back past the window's start
    ],
)
def test_spider_pages_by_total_pages(
    window: dict[str, str], total_pages: str, next_page: int | None
) -> None:
    output = list(spider(**window).parse_posts(posts_response({"X-WP-TotalPages": total_pages}), 1))
    assert isinstance(output[0], RawPage)
    assert (output[0].feed, output[0].page_kind, output[0].context) == (
        "blog",
        "list",
        '{"page_no": 1}',
    )
    requests = [item for item in output[1:] if isinstance(item, Request)]
    assert [r.cb_kwargs["page_no"] for r in requests] == ([next_page] if next_page else [])


def test_spider_stores_the_status_feed_as_its_own_feed() -> None:
    kraken = spider()
    request = kraken.feed_request("https://status.kraken.com/history.rss", "status")
    assert request.meta["dont_obey_robotstxt"] is False
    body = (FIXTURES / "status-history.rss").read_bytes()
    response = TextResponse(request.url, body=body, request=request)
    [stored] = list(kraken.parse_feed(response, **request.cb_kwargs))
    assert (stored.feed, stored.page_kind, stored.body) == ("status", "list", body)


# Conformance: the real Statuspage captures, checked against a stdlib reading of the XML.


def reference_incidents(body: bytes) -> dict[str, tuple[str, datetime, str]]:
    """id -> (title, published_at, text without whitespace) by ElementTree, not our reader."""
    incidents = {}
    for item in ET.fromstring(body).iter("item"):
        link = item.findtext("link", "")
        text = lxml.html.fromstring(item.findtext("description", "")).text_content()
        incidents[link.rsplit("/", 1)[1]] = (
            item.findtext("title", "").strip(),
            parsedate_to_datetime(item.findtext("pubDate", "")).astimezone(UTC),
            "".join(text.split()),
        )
    return incidents


def check_status_capture(exchange: str, parser: Callable[[Page], list[Article]]) -> None:
    """Every item of the capture parses with its title, time, URL and whole body."""
    body = (captures(exchange) / "status-history.rss").read_bytes()
    expected = reference_incidents(body)
    articles = parser(page(body, "status", f"https://status.{exchange}.com/history.rss"))
    assert [a.native_id for a in articles] == list(expected)
    for article in articles:
        title, published_at, text = expected[article.native_id]
        assert (article.title, article.published_at) == (title, published_at)
        assert "".join(article.body_text.split()) == text
        assert article.url == f"https://status.{exchange}.com/incidents/{article.native_id}"
        assert article.category in ("maintenance", "security", "other")


def ingest_status_capture(exchange: str, warehouse: Path, prefect_backend: str) -> None:
    """``exnews ingest`` with the capture as the status feed lands every incident whole.

    The blog is not captured: the server answers it 404, which the run quarantines.
    """
    body = (captures(exchange) / "status-history.rss").read_bytes()
    expected = reference_incidents(body)
    route = Route(
        f"status.{exchange}.com", "/history.rss", body, content_type="application/rss+xml"
    )
    with serve([route]) as server:
        result = subprocess.run(
            [sys.executable, "-m", "flows", "ingest", "--sources", exchange],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "EXNEWS_CONNECT_TO": f"*={server.base_url}",
                 "EXNEWS_WAREHOUSE": str(warehouse), "EXNEWS_DOWNLOAD_DELAY": "0",
                 "PREFECT_API_URL": prefect_backend},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    connection: duckdb.DuckDBPyConnection = connect(warehouse)
    rows = connection.execute(
        "select native_id, title, published_at, body_text from articles where feed = 'status'"
    ).fetchall()
    assert {row[0] for row in rows} == set(expected)
    for native_id, title, published_at, body_text in rows:
        assert (title, published_at) == expected[native_id][:2]
        assert "".join(body_text.split()) == expected[native_id][2]
    assert connection.execute("select count(*) from articles").fetchone()[0] == len(expected)


def test_status_capture_parses() -> None:
    check_status_capture("kraken", parse)


def test_status_capture_lands_through_exnews_ingest(warehouse: Path, prefect_backend: str) -> None:
    ingest_status_capture("kraken", warehouse, prefect_backend)


def test_a_page_without_a_feed_is_told_by_its_host():
    body = (FIXTURES / "posts-p1.json").read_bytes()
    told = [article.native_id for article in parse(page(body, None))]
    assert told and told == [article.native_id for article in parse(page(body, "blog"))]
