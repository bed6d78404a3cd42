"""Bybit: the v5 list and article pages of tests/fixtures/bybit, and the spider's paging."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse

from spiders.sources.bybit import BybitSpider
from transform.extract.markup import MarkupError
from transform.model import Page, PayloadError
from transform.sources.bybit import SUMMARY_NOTE, article_uid, parse, render_content

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bybit"
LIST_URL = "https://api.bybit.com/v5/announcements/index?locale=en-US&page=1&limit=10"
SUPRA_URL = (
    "https://announcements.bybit.com/en-US/article/"
    "new-listing-supra-usdt-grab-a-share-of-the-500-000-supra-prize-pool-blt5e0a1c7d93b24f18/"
)
SUPRA_TITLE = "New Listing: SUPRA/USDT — Grab a Share of the 500,000 SUPRA Prize Pool!"
FETCHED = datetime(2026, 11, 28, 12, tzinfo=UTC)


def entries(page_no: int = 1) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / f"list-p{page_no}.json").read_text())["result"]["list"]


def entry_for(uid: str) -> dict[str, Any]:
    return next(e for n in (1, 2) for e in entries(n) if e["url"].endswith(f"{uid}/"))


def list_page(body: bytes | None = None) -> Page:
    body = body if body is not None else (FIXTURES / "list-p1.json").read_bytes()
    return Page("r1", "bybit", "list", LIST_URL, FETCHED, body)


def detail_page(uid: str) -> Page:
    entry = entry_for(uid)
    body = (FIXTURES / f"article-{uid}.html").read_bytes()
    context = json.dumps({"entry": entry})
    return Page(
        "r2", "bybit", "detail", entry["url"], FETCHED, body, native_id=uid, context=context
    )


def test_list_entries_are_partial_articles_with_the_description_as_body() -> None:
    articles = parse(list_page())
    assert len(articles) == 10 and all(a.partial for a in articles)
    first = articles[0]
    assert first.title == SUPRA_TITLE
    assert first.published_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert first.url == SUPRA_URL
    assert first.native_id == "blt5e0a1c7d93b24f18"
    assert (first.category, first.language, first.source, first.exchange) == (
        "listing",
        "en",
        "bybit",
        "bybit",
    )
    assert first.source_categories == ["New Listings", "Spot", "Spot Listings"]
    description = (
        "Bybit is excited to announce the listing of Supra (SUPRA) on our Spot trading platform."
    )
    assert (first.summary, first.body_text) == (description, description)
    assert first.body_markdown == f"{description}\n\n{SUMMARY_NOTE}"
    assert (first.coins, first.pairs) == (["SUPRA", "USDT"], ["SUPRA/USDT"])
    delisting = articles[1]
    assert delisting.category == "delisting"
    assert delisting.source_categories == ["Delistings", "Spot"]  # the tag repeats the type
    assert [a.category for a in articles[2:]] == [
        "maintenance",
        "product",
        "promotion",
        "trading_rules",  # latest_bybit_news: the title decides
        "maintenance",
        "listing",
        "promotion",
        "listing",
    ]


def test_article_page_body_comes_from_the_rich_text_without_page_chrome() -> None:
    [article] = parse(detail_page("blt5e0a1c7d93b24f18"))
    assert not article.partial
    assert article.title == SUPRA_TITLE
    assert article.published_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert (article.url, article.category) == (SUPRA_URL, "listing")
    assert article.body_text == (
        "Dear Bybit Traders,\n\n"
        "Bybit is excited to announce the listing of Supra (SUPRA) on our Spot trading platform. "
        "Deposits are open now.\n\n"
        "Key Details\n\n"
        "Trading pair: SUPRA/USDT\nDeposit: Nov 26, 2026, 10AM UTC\n"
        "Trading: Nov 27, 2026, 10AM UTC\nWithdrawal: Nov 28, 2026, 10AM UTC\n\n"
        "Event: Deposit and Trade to Share 500,000 SUPRA\n\n"
        "Event period: Nov 27, 2026, 10AM UTC – Dec 11, 2026, 10AM UTC\n\n"
        "Tier\tCumulative SUPRA/USDT trading volume\tReward per user\n"
        "1\t≥ 5,000 USDT\t250 SUPRA\n2\t≥ 20,000 USDT\t1,200 SUPRA\n"
        "3\t≥ 100,000 USDT\t6,000 SUPRA\n\n"
        "Rewards are distributed within 14 business days after the event ends. Trade Now\n\n"
        "Bybit"
    )
    assert "## Key Details" in article.body_markdown
    assert "**Event period:** Nov 27" in article.body_markdown
    assert "| 1 | ≥ 5,000 USDT | 250 SUPRA |" in article.body_markdown
    assert "[Trade Now](https://www.bybit.com/en/trade/spot/SUPRA/USDT)" in article.body_markdown
    for chrome in ("Sign Up", "Log In", "Related Articles", "All rights reserved", "Back"):
        assert chrome not in article.body_markdown
    assert (article.coins, article.pairs) == (["SUPRA", "USDT"], ["SUPRA/USDT"])


def test_article_page_pairs_from_a_contract_table_and_title_rule_category() -> None:
    [article] = parse(detail_page("blt47e0b5a19c3d2f86"))
    assert article.category == "trading_rules"
    assert article.pairs == ["ORDI/USDT", "1000BONK/USDT", "WIF/USDT"]
    assert article.coins == ["ORDI", "USDT", "1000BONK", "WIF"]


def test_marks_and_newlines_inside_text_leaves() -> None:
    [article] = parse(detail_page("blt83c1d09e2a6f4b7c"))
    assert "when trading stops.\nWithdrawals remain available" in article.body_text
    assert "*Note:* Trading bots running" in article.body_markdown
    assert article.pairs == ["ZKJ/USDT", "KOMA/USDT"]


def test_a_page_without_body_lands_with_the_list_description_and_says_so() -> None:
    [article] = parse(detail_page("blt0f4e9a2b6c17d583"))
    description = entry_for("blt0f4e9a2b6c17d583")["description"]
    assert not article.partial
    assert article.title == "Scheduled System Maintenance on Nov 29, 2026"
    assert article.body_text == description
    assert article.body_markdown.endswith(SUMMARY_NOTE)
    assert (article.category, article.pairs) == ("maintenance", ["BTC/USDT"])


def test_an_error_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="articleDetail"):
        parse(detail_page("blt8d4b0e62a7c3f519"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"retCode": 10006, "retMsg": "Too many visits!", "result": {}}', "10006"),
        (b"<html>403 ERROR</html>", "not JSON"),
        (b'{"retCode": 0, "retMsg": "OK", "result": {}}', "result.list"),
        (b'{"retCode": 0, "result": {"total": 1, "list": [{"title": "No url"}]}}', "url"),
    ],
)
def test_malformed_lists_raise(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse(list_page(body))


def test_rich_text_without_json_or_text_is_a_markup_error() -> None:
    with pytest.raises(MarkupError):
        render_content({"html": "<p>x</p>"})
    with pytest.raises(MarkupError, match="empty body"):
        render_content({"json": {"type": "doc", "children": [{"type": "p", "children": []}]}})


def test_article_uid_is_the_contentstack_uid_else_the_slug() -> None:
    assert article_uid(SUPRA_URL) == "blt5e0a1c7d93b24f18"
    assert article_uid("https://announcements.bybit.com/en-US/article/some-slug/") == "some-slug"


# The spider: what it asks for, given a window.


def spider(**arguments: Any) -> BybitSpider:
    return BybitSpider(max_pages=5, **arguments)


def list_response(page_no: int) -> TextResponse:
    url = LIST_URL.replace("page=1", f"page={page_no}")
    body = (FIXTURES / f"list-p{page_no}.json").read_bytes()
    return TextResponse(url, body=body, headers={"Content-Type": "application/json"})


def requests_of(results: list[Any]) -> list[scrapy.Request]:
    return [result for result in results if isinstance(result, scrapy.Request)]


def test_first_request_is_the_official_list() -> None:
    async def first() -> scrapy.Request:
        return await anext(spider().start())

    request = asyncio.run(first())
    assert request.url == LIST_URL
    assert request.meta["dont_obey_robotstxt"] is True


def test_open_window_details_every_entry_and_asks_for_the_next_page() -> None:
    requests = requests_of(list(spider().parse_list(list_response(1), page_no=1)))
    details, lists = requests[:-1], requests[-1:]
    assert len(details) == 10 and details[0].url == SUPRA_URL
    assert details[0].cb_kwargs["native_id"] == "blt5e0a1c7d93b24f18"
    assert details[0].meta["dont_obey_robotstxt"] is False  # HTML pages obey robots.txt
    assert [r.url for r in lists] == [LIST_URL.replace("page=1", "page=2")]


def test_window_limits_details_and_stops_paging_at_its_start() -> None:
    windowed = spider(since="2026-11-10", until="2026-11-20")
    requests = requests_of(list(windowed.parse_list(list_response(1), page_no=1)))
    assert [r.cb_kwargs["native_id"] for r in requests] == [
        "blt2d7b8e41f0c95a36",
        "blt6a93f2c04d8e1b75",
        "blt47e0b5a19c3d2f86",
    ]


def test_total_ends_paging_even_on_a_full_page() -> None:
    body = json.loads((FIXTURES / "list-p1.json").read_text())
    body["result"]["total"] = 10
    response = TextResponse(LIST_URL, body=json.dumps(body).encode())
    requests = requests_of(list(spider().parse_list(response, page_no=1)))
    assert all("announcements.bybit.com" in r.url for r in requests)


def test_detail_callback_keeps_the_list_entry_as_context() -> None:
    entry = entry_for("blt0f4e9a2b6c17d583")
    response = HtmlResponse(entry["url"], body=b"<html></html>")
    [raw] = list(spider().parse_detail(response, native_id="blt0f4e9a2b6c17d583", entry=entry))
    assert (raw.page_kind, raw.native_id) == ("detail", "blt0f4e9a2b6c17d583")
    assert json.loads(raw.context) == {"entry": entry}
