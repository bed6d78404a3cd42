"""Bitget: the v2 list and article pages of tests/fixtures/bitget, and the spider's windows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import scrapy
from scrapy.http import TextResponse

from spiders.sources.bitget import SEARCH_SPAN, BitgetSpider
from transform.model import Page, PayloadError
from transform.sources.bitget import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bitget"
LIST_URL = "https://api.bitget.com/api/v2/public/annoucements?language=en_US&limit=10"
FETCHED = datetime(2026, 11, 28, 12, tzinfo=UTC)


def entries(page_no: int = 1) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / f"announcements-p{page_no}.json").read_text())["data"]


def entry_for(ann_id: str) -> dict[str, Any]:
    return next(e for n in (1, 2) for e in entries(n) if e["annId"] == ann_id)


def list_page(body: bytes | None = None) -> Page:
    body = body if body is not None else (FIXTURES / "announcements-p1.json").read_bytes()
    return Page("r1", "bitget", "list", LIST_URL, FETCHED, body)


def detail_page(ann_id: str) -> Page:
    entry = entry_for(ann_id)
    body = (FIXTURES / f"article-{entry['annUrl'].rsplit('/', 1)[1]}.html").read_bytes()
    context = json.dumps({"entry": entry})
    return Page(
        "r2", "bitget", "detail", entry["annUrl"], FETCHED, body, native_id=ann_id, context=context
    )


def test_list_entries_are_partial_articles() -> None:
    articles = parse(list_page())
    assert len(articles) == 10 and all(a.partial for a in articles)
    first = articles[0]
    assert first.title == "Bitget Will List Walrus (WAL) in the Innovation and Public Chain Zone"
    assert first.published_at == datetime(2026, 11, 27, 6, tzinfo=UTC)
    assert first.url == "https://www.bitget.com/support/articles/12560603862144"
    assert (first.native_id, first.category, first.language) == ("4419307", "listing", "en")
    assert first.source_categories == ["coin_listings", "spot"]
    assert (first.body_text, first.summary) == (None, None)  # annDesc is a deprecated label
    assert (first.coins, first.pairs) == (["WAL"], [])
    assert [a.category for a in articles[1:]] == [
        "listing",
        "delisting",
        "maintenance",
        "maintenance",
        "market_news",  # latest_news: the title decides ("Fund Holds Above $600 Million")
        "promotion",
        "product",
        "security",
        "trading_rules",
    ]
    assert articles[2].pairs == ["ALPACA/USDT", "VIDT/USDT"]


def test_article_page_body_comes_from_next_data_without_page_chrome() -> None:
    [article] = parse(detail_page("4419281"))
    assert not article.partial
    assert article.title == "Bitget Will Delist ALPACA/USDT and VIDT/USDT Spot Trading Pairs"
    assert article.published_at == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert article.url == "https://www.bitget.com/support/articles/12560603861530"
    assert (article.native_id, article.category) == ("4419281", "delisting")
    assert article.body_text == (
        "Dear Bitget users,\n\n"
        "Bitget regularly reviews listed tokens. The following spot trading pairs will be "
        "delisted on Nov 28, 2026, 10:00 (UTC):\n\n"
        "ALPACA/USDT\nVIDT/USDT\n\n"
        "Trading bots for these pairs will stop before the delisting. Withdrawals stay open "
        "until Feb 28, 2027.\n\n"
        "Thank you for your support!\n\nBitget Team"
    )
    assert "1. ALPACA/USDT\n2. VIDT/USDT" in article.body_markdown
    assert (article.coins, article.pairs) == (
        ["ALPACA", "USDT", "VIDT"],
        ["ALPACA/USDT", "VIDT/USDT"],
    )


def test_tables_links_and_code_survive() -> None:
    [competition] = parse(detail_page("4419210"))
    assert "| 2-10 | 20,000 USDT |" in competition.body_markdown
    assert competition.pairs == ["BTC/USDT", "ETH/USDT"]
    [api] = parse(detail_page("4419150"))
    assert "```\nGET /api/v2/spot/market/merge-depth?symbol=BTCUSDT&precision=scale0\n```" in (
        api.body_markdown
    )
    assert "[API documentation](https://www.bitget.com/api-doc/" in api.body_markdown


def test_a_page_without_next_data_goes_through_the_generic_extractor() -> None:
    [article] = parse(detail_page("4419250"))
    assert article.title == "Bitget System Upgrade Notice — November 18, 2026"
    assert article.published_at == datetime(2026, 11, 14, 1, tzinfo=UTC)
    assert article.category == "maintenance"
    assert article.body_text == (
        "Dear Bitget users,\n"
        "Bitget will upgrade its trading system on November 18, 2026, from 02:00 to 03:30 (UTC). "
        "During the upgrade, spot and futures trading, deposits and withdrawals will be "
        "unavailable.\n"
        "Open orders are kept during the upgrade. Funding fee settlement for USDT-M futures at "
        "04:00 (UTC) takes place as usual.\n"
        "We recommend that you manage your positions and risk before the upgrade starts. "
        "We apologize for any inconvenience."
    )
    for chrome in ("Sign up", "Related articles", "All rights reserved", "Support center"):
        assert chrome not in article.body_text


def test_a_broken_next_data_script_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="__NEXT_DATA__ is not JSON"):
        parse(detail_page("4419172"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"code": "40034", "msg": "Parameter verification failed", "data": null}', "40034"),
        (b"<!DOCTYPE html><title>Just a moment...</title>", "not JSON"),
        (b'{"code": "00000", "msg": "success", "data": {}}', "data list"),
        (b'{"code": "00000", "data": [{"annId": "1", "annTitle": "No url"}]}', "annUrl"),
    ],
)
def test_malformed_lists_raise(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse(list_page(body))


# The spider: month-long search windows and cursor paging.


def query(request: scrapy.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


def start_requests(spider: BitgetSpider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_a_long_window_is_asked_month_by_month_newest_first() -> None:
    since, until = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC)
    requests = start_requests(BitgetSpider(since=since, until=until, max_pages=5))
    windows = [(query(r)["startTime"], query(r)["endTime"]) for r in requests]
    assert windows == [
        (ms(until - SEARCH_SPAN), ms(until)),
        (ms(until - 2 * SEARCH_SPAN), ms(until - SEARCH_SPAN)),
        (ms(since), ms(until - 2 * SEARCH_SPAN)),
    ]
    assert timedelta(days=30) == SEARCH_SPAN
    assert all(query(r)["language"] == "en_US" and query(r)["limit"] == "10" for r in requests)
    assert all("cursor" not in query(r) for r in requests)


def test_without_since_there_is_no_time_filter() -> None:
    [request] = start_requests(BitgetSpider(max_pages=5))
    assert query(request) == {"language": "en_US", "limit": "10"}


def list_response(page_no: int) -> TextResponse:
    body = (FIXTURES / f"announcements-p{page_no}.json").read_bytes()
    return TextResponse(LIST_URL, body=body, headers={"Content-Type": "application/json"})


def test_next_page_cursor_is_the_last_ann_id_and_a_short_page_ends_it() -> None:
    spider = BitgetSpider(max_pages=5)
    results = list(spider.parse_list(list_response(1), span=None, page_no=1))
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    details, [next_page] = requests[:-1], requests[-1:]
    assert len(details) == 10
    assert details[0].url == "https://www.bitget.com/support/articles/12560603862144"
    assert details[0].cb_kwargs["native_id"] == "4419307"
    assert details[0].meta["dont_obey_robotstxt"] is False
    assert query(next_page) == {"language": "en_US", "limit": "10", "cursor": "4419150"}
    assert next_page.cb_kwargs == {"span": None, "page_no": 2}
    last = list(spider.parse_list(list_response(2), span=None, page_no=2))
    assert [r.cb_kwargs["native_id"] for r in last if isinstance(r, scrapy.Request)] == [
        "4419121",
        "4419097",
        "4419065",
    ]


def test_entries_outside_the_window_get_no_detail_request() -> None:
    spider = BitgetSpider(since="2026-11-15", until="2026-11-26", max_pages=5)
    span = spider.search_spans()[0]
    results = list(spider.parse_list(list_response(1), span=span, page_no=1))
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    assert [r.cb_kwargs["native_id"] for r in requests] == ["4419298", "4419281", "4419266"]
