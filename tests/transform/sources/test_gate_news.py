"""Gate News: list discovery, article pages without site chrome, and the spider's navigation,
on the bundled fixtures (Gate-like pages with menus, footer, language list, disclaimer)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.sources.gate_news import GateNewsSpider
from transform.extract.html import parse_document
from transform.model import Page, PayloadError
from transform.sources.gate_news import native_id, news_links, next_page, parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gate_news"
ROUTES = {route["file"]: route for route in json.loads((FIXTURES / "routes.json").read_text())}
ARTICLES = sorted(
    name
    for name, route in ROUTES.items()
    if name.startswith("article-") and route.get("status", 200) == 200
)
SOFT_404 = "article-14210333.html"
ARTICLES.remove(SOFT_404)
# Site chrome that is on every fixture page and must never reach a body.
CHROME = (
    "Access hundreds of perpetual contracts",  # header mega-menu
    "Log In",
    "English/USD",
    "Trade Crypto Anywhere Anytime",  # footer
    "Scan to download Gate app",
    "简体中文",  # footer language list
    "Tiếng Việt",
    "Privacy Policy",
    "All rights reserved",
    "Disclaimer",  # risk disclaimer under the article
    "does not constitute investment advice",
    "Download the Gate App",  # app promotion
    "Related News",
    "Hot News",
    "1,284 Read",  # view counter
    "Tags:",
    "Home",  # breadcrumb
)


def url_of(name: str) -> str:
    route = ROUTES[name]
    query = "".join(f"?{key}={value}" for key, value in route.get("query", {}).items())
    return f"https://www.gate.com{route['path']}{query}"


def fixture(name: str, kind: str) -> Page:
    url = url_of(name)
    return Page(
        raw_id="raw",
        source="gate_news",
        page_kind=kind,
        url=url,
        fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
        body=(FIXTURES / name).read_bytes(),
        feed="news",
        native_id=native_id(url) if kind == "detail" else None,
        context=json.dumps({"lang": "en"}),
    )


def test_list_links_are_the_main_feed_only_each_once_and_dated():
    document = parse_document((FIXTURES / "list-p1.html").read_bytes())
    links = news_links(document, "https://www.gate.com/news")
    assert len(links) == 10  # the "Hot News" sidebar and the menus are not the feed
    first = links[0]
    assert first.url == (
        "https://www.gate.com/news/detail/bitcoin-reclaims-98000-as-spot-etf-inflows-return-14218840"
    )
    assert (first.native_id, first.title) == (
        "14218840",
        "Bitcoin Reclaims $98,000 as Spot ETF Inflows Return",
    )
    assert first.published_at == datetime(2026, 11, 27, 7, 45, tzinfo=UTC)
    assert first.summary.startswith("Bitcoin (BTC) climbed back above $98,000")
    assert [link.native_id for link in links[3:5]] == ["14216930", "14216011"]
    assert next_page(document, "https://www.gate.com/news") == "https://www.gate.com/news?page=2"
    last = parse_document((FIXTURES / "list-p2.html").read_bytes())
    assert len(news_links(last, url_of("list-p2.html"))) == 4
    assert next_page(last, url_of("list-p2.html")) is None


def test_list_entries_are_partial_market_news():
    articles = parse(fixture("list-p1.html", "list"))
    assert len(articles) == 10 and all(a.partial and a.body_text is None for a in articles)
    # News is market news unless the title names something specific (a network upgrade).
    assert [a.category for a in articles].count("market_news") == 9
    assert articles[1].category == "maintenance"
    xrp = articles[4]
    assert xrp.url == (
        "https://www.gate.com/news/detail/XRP/xrp-open-interest-climbs-to-three-month-high-14216011"
    )
    assert (xrp.title, xrp.published_at, xrp.language) == (
        "XRP Open Interest Climbs to Three-Month High",
        datetime(2026, 11, 25, 14, 40, tzinfo=UTC),
        "en",
    )


def test_a_json_ld_article_gives_metadata_and_a_structured_body():
    article = parse(fixture("article-14218840.html", "detail"))[0]
    assert not article.partial
    assert article.title == "Bitcoin Reclaims $98,000 as Spot ETF Inflows Return"
    assert article.published_at == datetime(2026, 11, 27, 7, 45, tzinfo=UTC)
    assert article.url == (
        "https://www.gate.com/news/detail/bitcoin-reclaims-98000-as-spot-etf-inflows-return-14218840"
    )
    assert (article.native_id, article.author, article.language) == ("14218840", "Gate News", "en")
    assert (article.category, article.source_categories) == ("market_news", ["Market Analysis"])
    assert (article.coins, article.pairs) == (["BTC", "USDT"], ["BTC/USDT"])
    paragraphs = article.body_text.split("\n\n")
    assert paragraphs[0].startswith("Bitcoin (BTC) rose 3.2% over the past 24 hours")
    assert paragraphs[2] == "Derivatives cool down"
    assert paragraphs[-1] == (
        "24h spot volume: $41.7 billion\nLiquidations: $214 million, mostly shorts\n"
        "Dominance: 57.9%"
    )
    assert "## Derivatives cool down" in article.body_markdown
    assert "- Liquidations: $214 million, mostly shorts" in article.body_markdown
    assert article.title not in article.body_text


def test_opengraph_and_time_only_pages_are_dated_too():
    og = parse(fixture("article-14217555.html", "detail"))[0]
    assert og.published_at == datetime(2026, 11, 26, 16, 20, tzinfo=UTC)
    assert (og.author, og.source_categories) == (None, ["Market Analysis"])
    bare = parse(fixture("article-14216930.html", "detail"))[0]
    assert bare.published_at == datetime(2026, 11, 26, 9, 5, tzinfo=UTC)
    assert bare.url == "https://www.gate.com/news/detail/14216930"
    assert bare.title == "US Senate Committee Advances Market Structure Bill"
    assert bare.body_text.split("\n\n")[-1] == (
        "We are closer than ever to clear rules of the road, "
        "the committee chair said after the vote."
    )


def test_a_table_keeps_its_rows():
    article = parse(fixture("article-14213906.html", "detail"))[0]
    assert "Stablecoin\tSupply\t30d change\nUSDT\t$196.4B\t+4.1%\nUSDC\t$82.7B\t+6.3%" in (
        article.body_text
    )


@pytest.mark.parametrize("name", ARTICLES)
def test_no_site_chrome_reaches_the_body(name: str):
    article = parse(fixture(name, "detail"))[0]
    assert article.body_text and article.published_at and article.title
    for chrome in CHROME:
        assert chrome not in article.body_text, chrome
        assert chrome not in article.body_markdown, chrome


def test_pages_that_are_not_articles_raise():
    with pytest.raises(PayloadError, match="not a news article page"):
        parse(fixture(SOFT_404, "detail"))
    with pytest.raises(PayloadError, match="not a news article page"):
        parse(fixture("article-14214478.html", "detail"))  # Akamai's "Access Denied"
    with pytest.raises(PayloadError, match="no /news/detail/ links"):
        parse(fixture(SOFT_404, "list"))
    with pytest.raises(PayloadError, match="empty HTML"):
        parse(
            Page(
                "raw",
                "gate_news",
                "detail",
                "https://www.gate.com/news/detail/1",
                datetime.now(UTC),
                b"",
            )
        )


def list_response(name: str) -> HtmlResponse:
    url = url_of(name)
    return HtmlResponse(url, body=(FIXTURES / name).read_bytes(), request=Request(url))


def test_spider_fetches_in_window_articles_and_stops_at_the_window_start():
    spider = GateNewsSpider(since="2026-11-25T00:00:00", max_pages=5)
    out = list(spider.parse_list(list_response("list-p1.html"), page_no=1))
    requests = [item for item in out if isinstance(item, Request)]
    assert [r.cb_kwargs["native_id"] for r in requests] == [
        "14218840",
        "14218102",
        "14217555",
        "14216930",
        "14216011",
        "14215320",
    ]  # page 1 reaches November 21, before the window: no page 2
    assert requests[0].cb_kwargs["context"]["published_at"] == "2026-11-27T07:45:00+00:00"


def test_spider_follows_the_next_link_and_fetches_undated_entries():
    spider = GateNewsSpider(since="2026-11-01T00:00:00", max_pages=5)
    out = list(spider.parse_list(list_response("list-p1.html"), page_no=1))
    following = [r for r in out if isinstance(r, Request) and r.callback == spider.parse_list]
    assert [r.url for r in following] == ["https://www.gate.com/news?page=2"]
    undated = list_response("list-p2.html").replace(
        body=(FIXTURES / "list-p2.html").read_bytes().replace(b"<time ", b"<span ")
    )
    details = [r for r in spider.parse_list(undated, page_no=2) if isinstance(r, Request)]
    assert len(details) == 4 and all(
        r.cb_kwargs["context"]["published_at"] is None for r in details
    )
