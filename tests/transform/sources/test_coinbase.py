"""Coinbase: blog RSS, post pages and Statuspage incidents, on the fixtures and the capture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from spiders.sources.coinbase import BLOG, STATUS, CoinbaseSpider
from tests.transform.sources.test_kraken import check_status_capture, ingest_status_capture
from transform.model import Page, PayloadError
from transform.sources.coinbase import listed_post, parse
from transform.sources.feeds import feed_items

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "coinbase"
FETCHED = datetime(2026, 11, 27, tzinfo=UTC)
HYPE = "coinbase-will-add-support-for-hyperliquid-hype"


def page(
    body: bytes,
    feed: str,
    kind: str = "list",
    url: str = BLOG,
    native_id: str | None = None,
    context: dict[str, object] | None = None,
) -> Page:
    return Page(
        raw_id="raw-1",
        source="coinbase",
        page_kind=kind,
        url=url,
        fetched_at=FETCHED,
        body=body,
        feed=feed,
        native_id=native_id,
        context=json.dumps(context) if context is not None else None,
    )


def listed(slug: str) -> dict[str, object]:
    """The context the spider stores with a post page: the feed's item."""
    items = feed_items((FIXTURES / "blog-rss.xml").read_bytes())
    return listed_post(next(item for item in items if item.native_id == slug))


def post_page(slug: str, context: dict[str, object] | None = None) -> Page:
    body = (FIXTURES / f"post-{slug}.html").read_bytes()
    url = f"https://www.coinbase.com/blog/{slug}"
    return page(body, "blog", "detail", url, slug, context)


def test_blog_feed_items_are_partial_summaries() -> None:
    articles = parse(page((FIXTURES / "blog-rss.xml").read_bytes(), "blog"))
    assert len(articles) == 10
    assert all(a.partial and a.body_text is None and a.feed == "blog" for a in articles)
    first = articles[0]
    assert (first.native_id, first.title) == (
        HYPE,
        "Coinbase will add support for Hyperliquid (HYPE)",
    )
    assert first.url == f"https://www.coinbase.com/blog/{HYPE}"
    assert first.published_at == datetime(2026, 11, 24, 17, tzinfo=UTC)
    assert first.summary == "Hyperliquid (HYPE) is coming to Coinbase.com and the Coinbase app."
    assert (first.author, first.source_categories) == ("Coinbase Markets", ["Listings"])
    assert (first.category, first.coins, first.pairs) == ("listing", ["HYPE"], [])
    assert {a.native_id: a.category for a in articles} == {
        HYPE: "listing",
        "introducing-coinbase-one-card-usdc-rewards": "product",
        "q3-2026-shareholder-letter": "other",  # Company: the title decides
        "how-we-protect-customers-from-account-takeover": "security",
        "what-the-market-structure-bill-means": "regulation",  # Public Policy
        "base-onchain-report-fall-2026": "other",
        "coinbase-derivatives-24-7-futures": "product",  # Derivatives
        "learning-rewards-are-back": "promotion",
        "weekly-market-insights-eth-btc": "market_news",
        "coinbase-launches-in-argentina": "product",  # Company: "launches"
    }


def test_post_page_body_without_page_chrome() -> None:
    [article] = parse(post_page(HYPE, listed(HYPE)))
    assert not article.partial
    assert (article.native_id, article.feed, article.language) == (HYPE, "blog", "en")
    assert article.title == "Coinbase will add support for Hyperliquid (HYPE)"  # no "| Coinbase"
    assert article.url == f"https://www.coinbase.com/blog/{HYPE}"
    assert article.published_at == datetime(2026, 11, 24, 17, tzinfo=UTC)
    assert (article.category, article.author) == ("listing", "Coinbase Markets")
    assert article.body_text == (
        "Coinbase will add support for Hyperliquid (HYPE) on the Hyperliquid network. Inbound "
        "transfers open today; trading launches in phases once liquidity conditions are met."
        "\nTrading pairs\n- HYPE-USD\n- HYPE-USDC"
        "\nSupport for HYPE may be limited in some jurisdictions. Customers in the State of New "
        "York cannot trade HYPE at this time."
    )
    assert "## Trading pairs" in article.body_markdown
    for chrome in ("Sign in", "Related posts", "Subscribe", "© 2026", "By Coinbase Markets"):
        assert chrome not in article.body_text
    assert (article.coins, article.pairs) == (["HYPE", "USD", "USDC"], ["HYPE/USD", "HYPE/USDC"])


def test_post_page_without_context_uses_the_page_metadata() -> None:
    [article] = parse(post_page("coinbase-derivatives-24-7-futures"))
    assert article.title == "Coinbase Derivatives launches 24/7 trading for BTC and ETH futures"
    assert article.published_at == datetime(2026, 10, 7, 12, 45, tzinfo=UTC)
    assert (article.author, article.summary) == (
        "Coinbase Derivatives",
        "Futures that never close.",
    )
    assert article.url == "https://www.coinbase.com/blog/coinbase-derivatives-24-7-futures"
    assert (article.category, article.source_categories) == ("product", [])
    assert article.pairs == ["BTC/USD", "ETH/USD"]
    assert "| Nano Bitcoin | 0.01 BTC |" in article.body_text


def test_feed_with_full_content_needs_no_post_page() -> None:
    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
 <channel><title>Coinbase Blog</title>
  <item>
   <title>Coinbase will add support for Aerodrome (AERO)</title>
   <atom:link href="https://example.com/not-the-post"/>
   <link>https://www.coinbase.com/blog/aero-support/</link>
   <pubDate>Mon, 02 Nov 2026 09:00:00 -0800</pubDate>
   <description>Short.</description>
   <content:encoded><![CDATA[<p>Trading on AERO-USD starts today.</p>]]></content:encoded>
  </item>
  <item><title>Undated</title><link>https://www.coinbase.com/blog/undated</link></item>
 </channel>
</rss>"""
    whole, undated = parse(page(feed, "blog"))
    assert (whole.native_id, whole.partial) == ("aero-support", False)
    assert whole.url == "https://www.coinbase.com/blog/aero-support/"
    assert whole.published_at == datetime(2026, 11, 2, 17, tzinfo=UTC)
    assert (whole.body_text, whole.summary) == ("Trading on AERO-USD starts today.", "Short.")
    assert (whole.coins, whole.pairs) == (["AERO", "USD"], ["AERO/USD"])
    assert (undated.native_id, undated.published_at, undated.partial) == ("undated", None, True)
    response = TextResponse(BLOG, body=feed, request=Request(BLOG))
    requested = [r.cb_kwargs["native_id"] for r in spider().feed_details(response, "blog")]
    assert requested == ["undated"]  # the whole item needs no page; an open window takes undated


def test_status_incidents() -> None:
    articles = parse(page((FIXTURES / "status-history.rss").read_bytes(), "status", url=STATUS))
    assert [(a.native_id, a.published_at, a.category, a.coins) for a in articles] == [
        ("sol9d3lay5nd", datetime(2026, 11, 26, 11, 12, 44, tzinfo=UTC), "other", []),
        ("adv4p1m8nt2c", datetime(2026, 11, 15, 10, tzinfo=UTC), "maintenance", ["BTC", "USD"]),
        ("ada7h4rdf0rk", datetime(2026, 10, 28, 21, 30, tzinfo=UTC), "maintenance", ["ADA"]),
        ("log1n5l0wdd9", datetime(2026, 10, 12, 16, 5, 19, tzinfo=UTC), "other", []),
        ("wal3tsecn0te", datetime(2026, 9, 18, 23, 45, tzinfo=UTC), "security", []),
    ]
    cardano = articles[2]
    assert cardano.title == "Cardano (ADA) Network Upgrade"
    assert cardano.url == "https://status.coinbase.com/incidents/ada7h4rdf0rk"
    assert cardano.source_categories == ["scheduled maintenance"]
    assert cardano.body_text == (
        "Oct 28, 14:30 PDT\nScheduled - Coinbase will pause Cardano (ADA) sends and receives to "
        "support the network upgrade. Trading is not affected."
    )


@pytest.mark.parametrize(
    ("source_page", "message"),
    [
        (post_page("base-onchain-report-fall-2026", {}), "empty HTML page"),
        (page(b"<html><body><p>x</p></body></html>", "blog", "detail"), "without the post's id"),
        (page(b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "blog"),
         "not an RSS feed"),
        (page(b"<rss><channel><item><title>T</title></item></channel></rss>", "blog"),
         "lacks title or link"),
        (page(b"", "status"), "not XML"),
        (page(b"<rss/>", "news"), "unknown Coinbase page"),
    ],
)  # fmt: skip
def test_malformed_payloads_raise(source_page: Page, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse(source_page)


def spider(**window: str) -> CoinbaseSpider:
    return CoinbaseSpider.from_crawler(get_crawler(CoinbaseSpider), **window)


def test_spider_fetches_in_window_posts_only() -> None:
    coinbase = spider(since="2026-10-01", until="2026-11-10")
    request = coinbase.feed_request(BLOG, "blog")
    body = (FIXTURES / "blog-rss.xml").read_bytes()
    output = list(coinbase.parse_feed(TextResponse(BLOG, body=body, request=request), "blog"))
    stored, *details = output
    assert (stored.feed, stored.page_kind) == ("blog", "list")
    assert [r.cb_kwargs["native_id"] for r in details] == [
        "q3-2026-shareholder-letter",
        "how-we-protect-customers-from-account-takeover",
        "what-the-market-structure-bill-means",
        "base-onchain-report-fall-2026",
        "coinbase-derivatives-24-7-futures",
    ]
    assert details[0].url == "https://www.coinbase.com/blog/q3-2026-shareholder-letter"
    assert details[0].cb_kwargs["listed"]["published"] == "Thu, 05 Nov 2026 13:05:00 -0800"
    status = TextResponse(STATUS, body=(FIXTURES / "status-history.rss").read_bytes())
    assert [item.feed for item in coinbase.parse_feed(status, "status")] == ["status"]


def test_spider_stores_post_pages_with_the_feed_item() -> None:
    url = f"https://www.coinbase.com/blog/{HYPE}"
    response = TextResponse(url, body=(FIXTURES / f"post-{HYPE}.html").read_bytes())
    [stored] = list(spider().parse_post(response, HYPE, listed(HYPE)))
    assert (stored.feed, stored.page_kind, stored.native_id) == ("blog", "detail", HYPE)
    assert json.loads(stored.context)["title"] == "Coinbase will add support for Hyperliquid (HYPE)"


def test_status_capture_parses() -> None:
    check_status_capture("coinbase", parse)


def test_status_capture_lands_through_exnews_ingest(warehouse: Path, prefect_backend: str) -> None:
    ingest_status_capture("coinbase", warehouse, prefect_backend)
