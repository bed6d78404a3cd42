"""The KuCoin parser on the bundled fixtures and the real captures; the spider's window."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import TextResponse

from spiders.sources.kucoin import KucoinSpider
from tests.conftest import captures
from transform.model import Page, PayloadError
from transform.sources.kucoin import parse, render_content

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kucoin"
DEGO = "en-kucoin-will-delist-certain-projects-their-associated-tokens-20261030"


def page(kind: str, body: bytes, native_id: str | None = None, context: str | None = None) -> Page:
    return Page(
        raw_id="raw",
        source="kucoin",
        page_kind=kind,
        url="https://www.kucoin.com/_api/cms/articles/x?lang=en_US",
        fetched_at=datetime(2026, 11, 27, tzinfo=UTC),
        body=body,
        native_id=native_id,
        context=context,
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_list_page_gives_partial_articles():
    articles = parse(page("list", fixture("announcements-p1.json")))
    assert len(articles) == 10 and all(a.partial and a.body_text is None for a in articles)
    first = articles[0]
    assert first.title == "Aster (ASTER) Gets Listed on KuCoin!"  # the feed's NBSP is a space
    assert first.native_id == "en-aster-aster-gets-listed-on-kucoin"
    assert first.url == "https://www.kucoin.com/announcement/en-aster-aster-gets-listed-on-kucoin"
    assert first.published_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert first.summary == "Trading: 12:00 on November 26, 2026 (UTC)"
    assert (first.category, first.source_categories) == (
        "listing",
        ["latest-announcements", "new-listings"],
    )
    assert (first.coins, first.pairs) == (["ASTER"], [])
    # The first of the item's own types that maps decides: latest-announcements does not.
    assert [a.category for a in articles[1:5]] == [
        "delisting",
        "promotion",
        "maintenance",
        "product",
    ]


def test_detail_page_renders_the_cms_html_without_calls_to_action():
    entry = json.loads(fixture("announcements-p1.json"))["data"]["items"][6]
    context = json.dumps({"entry": entry})
    (article,) = parse(page("detail", fixture(f"cms-{DEGO}.json"), DEGO, context))
    assert not article.partial
    assert article.title == "KuCoin Will Delist Certain Projects & Their Associated Tokens"
    assert article.url == f"https://www.kucoin.com/announcement/{DEGO}"
    assert article.published_at == datetime(2026, 10, 30, 10, 0, tzinfo=UTC)
    assert article.category == "delisting"
    assert (article.coins, article.pairs) == (["DEGO", "USDT", "CTC"], ["DEGO/USDT", "CTC/USDT"])
    text = article.body_text or ""
    assert text.startswith("Dear KuCoin Users,\n\nFollowing a regular review, KuCoin will delist")
    assert "DEGO\tDEGO/USDT\t10:00 on November 6, 2026" in text
    assert text.endswith(
        "KuCoin is not responsible for any losses caused by your own investment decisions."
    )
    for chrome in ("Sign Up on KuCoin", "Download the KuCoin App", "Telegram", "Follow Us"):
        assert chrome not in text and chrome not in (article.body_markdown or "")
    assert "| **Token** | **Trading Pair(s)** | **Trading Ends (UTC)** |" in (
        article.body_markdown or ""
    )


def test_a_call_to_action_inside_a_sentence_stays():
    rendered = render_content(
        '<p>Read the rules, then <a href="/download">Download the KuCoin App</a> to join.</p>'
        '<div><p><a href="https://t.me/x">Join Us on Telegram</a></p></div>'
        '<p>See <a href="/land/faq">the FAQ</a>.</p>'
    )
    assert rendered.text == "Read the rules, then Download the KuCoin App to join.\n\nSee the FAQ."
    assert "[the FAQ](https://www.kucoin.com/land/faq)" in rendered.markdown


CMS_ERROR = fixture("cms-en-kucoin-api-trading-competition-share-100000-usdt.json")
NO_PATH_ITEM = {"annTitle": "x", "annUrl": "https://www.kucoin.com/"}


def cms(**data: str) -> bytes:
    return json.dumps({"code": 200, "success": True, "data": {"path": "/a", **data}}).encode()


def v3(data: object, code: str = "200000") -> bytes:
    return json.dumps({"code": code, "msg": "Too Many Requests", "data": data}).encode()


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("detail", CMS_ERROR, "'404': article not found"),
        ("detail", cms(title="A"), "no content string"),
        ("detail", cms(title="A", content=" "), "content is empty"),
        ("detail", cms(content="<p>text</p>"), "has no title"),
        ("list", v3(None, code="429000"), "'429000': Too Many Requests"),
        ("list", v3({"items": {}}), "not a list"),
        ("list", v3({"items": [NO_PATH_ITEM]}), "no announcement path"),
        ("list", b"[]", "not a JSON object"),
        ("list", b"<html>502 Bad Gateway</html>", "not JSON"),
    ],
)
def test_unreadable_payloads_raise(kind: str, body: bytes, message: str):
    with pytest.raises(PayloadError, match=message):
        parse(page(kind, body, "a"))


def crawl_list(spider: KucoinSpider, payload: dict) -> list:
    url = spider.list_request(1).url
    response = TextResponse(url, body=json.dumps(payload).encode(), request=Request(url))
    return list(spider.parse_list(response, 1))


def test_spider_passes_the_window_to_the_api():
    spider = KucoinSpider(since="2026-11-01", until="2026-11-08")
    query = parse_qs(urlsplit(spider.list_request(2).url).query)
    assert query == {
        "annType": ["latest-announcements"],
        "lang": ["en_US"],
        "startTime": ["1793491200000"],
        "endTime": ["1794095999999"],  # until is exclusive, endTime inclusive
        "currentPage": ["2"],
        "pageSize": ["50"],
    }
    assert "startTime" not in KucoinSpider().list_request(1).url


def test_spider_pages_by_the_served_page_size_and_total_page():
    spider = KucoinSpider(max_pages=5)
    payload = json.loads(fixture("announcements-p1.json"))
    out = crawl_list(spider, payload)
    details = [r.url for r in out[1:-1]]
    assert len(details) == 10
    assert details[0] == (
        "https://www.kucoin.com/_api/cms/articles/en-aster-aster-gets-listed-on-kucoin?lang=en_US"
    )
    assert "currentPage=2" in out[-1].url  # 10 served of 50 asked, totalPage 2
    payload["data"]["totalPage"] = 1
    assert not any("currentPage=2" in r.url for r in crawl_list(spider, payload)[1:])


def test_every_real_capture_parses():
    folder = captures("kucoin")
    path = "en-kucoin-earn-will-delist-the-waxp-products"
    (article,) = parse(page("detail", (folder / f"cms-article-{path}.json").read_bytes(), path))
    assert article.title == "KuCoin Earn Will Delist the WAXP Products"
    assert article.url == f"https://www.kucoin.com/announcement/{path}"
    assert article.published_at == datetime(2026, 9, 3, 12, 25, tzinfo=UTC)  # publish_ts
    assert (article.category, article.coins) == ("delisting", ["WAX"])
    text = article.body_text or ""
    assert text.startswith("Dear KuCoin Earn Users,\n\nDue to product adjustments, the WAXP (WAX)")
    assert "Asset\tCategory\nWAXP\tStaking" in text
    assert text.endswith("the user should assume full responsibility.")
    assert "Sign Up on KuCoin" not in text and "Communities" not in text
    # The CMS list items are what the capture server turns into the v3 list's items.
    cms = json.loads((folder / "cms-articles-delistings.json").read_text())["items"]
    assert len(cms) == 50 and all(
        "latest-announcements" in [c["path"] for c in item["categories"]] for item in cms
    )
