"""The OKX parser on the bundled fixtures and the real captures; the spider's paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import TextResponse

from spiders.items import RawPage
from spiders.sources.okx import OkxSpider
from tests.conftest import captures
from transform.model import Page, PayloadError
from transform.sources.okx import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "okx"
KITE = "okx-to-list-kite-kite-for-spot-trading"
APTOS = "okx-to-suspend-apt-deposits-and-withdrawals-for-the-aptos-network-upgrade"


def page(kind: str, body: bytes, native_id: str | None = None, context: str | None = None) -> Page:
    return Page(
        raw_id="raw",
        source="okx",
        page_kind=kind,
        url=f"https://www.okx.com/help/{native_id}" if native_id else "https://www.okx.com/api",
        fetched_at=datetime(2026, 11, 27, tzinfo=UTC),
        body=body,
        native_id=native_id,
        context=context,
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_list_page_gives_partial_articles_by_slug():
    articles = parse(page("list", fixture("list-latest-p1.json")))
    assert len(articles) == 20 and all(a.partial and a.body_text is None for a in articles)
    first = articles[0]
    assert first.native_id == KITE
    assert first.url == f"https://www.okx.com/help/{KITE}"
    assert first.title == "OKX to list Kite (KITE) for spot trading"
    assert first.published_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # businessPTime
    assert (first.category, first.source_categories) == ("listing", ["announcements-new-listings"])
    assert (first.coins, first.pairs, first.language) == (["KITE"], [], "en")
    categories = [a.category for a in articles]
    assert categories[:5] == [
        "listing",
        "trading_rules",
        "deposit_withdrawal",
        "delisting",
        "promotion",
    ]


def test_detail_page_body_without_header_and_footer():
    (article,) = parse(page("detail", fixture(f"help-{KITE}.html"), KITE))
    assert not article.partial
    assert article.title == "OKX to list Kite (KITE) for spot trading"
    assert article.published_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert article.url == f"https://www.okx.com/help/{KITE}"
    assert article.category == "listing"
    assert (article.coins, article.pairs) == (["KITE", "USDT"], ["KITE/USDT"])
    text = article.body_text or ""
    assert text.startswith("We're excited to announce that OKX will list Kite (KITE)")
    assert text.endswith("OKX team\n\nNovember 26, 2026")
    assert "Spot trading (KITE/USDT): 10:00 am UTC on November 27, 2026" in text
    assert "Total supply\t10,000,000,000 KITE" in text
    for chrome in ("Published on", "min read", "Download OKX app", "Disclaimer", "Help center"):
        assert chrome not in text
    markdown = article.body_markdown or ""
    assert "## Listing schedule\n\n- Deposits: 9:00 am UTC on November 26, 2026" in markdown
    assert "| Item | Detail |\n| --- | --- |\n| Ticker | KITE |" in markdown
    assert "[here](https://www.okx.com/help/call-auction-faq)" in markdown


def test_detail_without_app_state_takes_metadata_from_the_list_entry():
    listing = json.loads(fixture("list-latest-p2.json"))
    entry = listing["data"][0]["details"][0]
    context = json.dumps({"entry": entry})
    (article,) = parse(page("detail", fixture(f"help-{APTOS}.html"), APTOS, context))
    assert article.title == entry["title"]
    assert article.published_at == datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
    assert article.category == "deposit_withdrawal"
    assert article.coins == ["APT"]
    assert (article.body_text or "").startswith(
        "Deposits and withdrawals of Aptos (APT) will be suspended"
    )
    # Without the entry the page's own <article aria-label> names it, but nothing dates it.
    (bare,) = parse(page("detail", fixture(f"help-{APTOS}.html"), APTOS))
    assert (bare.title, bare.published_at) == (entry["title"], None)


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("detail", fixture("help-okx-wallet-to-support-the-sonic-network.html"), "rich-text"),
        ("detail", b"", "empty HTML"),
        ("list", b'{"code": "50011", "msg": "Too Many Requests", "data": []}', "50011"),
        ("list", b'{"code": "0", "msg": "", "data": []}', r"data\[0\]\.details"),
        ("list", b"<html>gateway timeout</html>", "not JSON"),
        ("types", b"{}", "page kind"),
    ],
)
def test_unreadable_payloads_raise(kind: str, body: bytes, message: str):
    with pytest.raises(PayloadError, match=message):
        parse(page(kind, body, "x" if kind == "detail" else None))


def response(url: str, payload: dict) -> TextResponse:
    body = json.dumps(payload).encode()
    return TextResponse(url, body=body, encoding="utf-8", request=Request(url))


def listing(entries: list[tuple[str, int]], total_pages: int) -> dict:
    details = [
        {"annType": "announcements-delistings", "title": slug, "url": f"https://www.okx.com/en-eu/help/{slug}",
         "pTime": str(ms), "businessPTime": str(ms)}
        for slug, ms in entries
    ]  # fmt: skip
    return {"code": "0", "msg": "", "data": [{"details": details, "totalPage": str(total_pages)}]}


def crawl_list(spider: OkxSpider, payload: dict, page_no: int = 1) -> list:
    url = f"https://www.okx.com/api/v5/support/announcements?annType=x&page={page_no}"
    return list(spider.parse_list(response(url, payload), "announcements-delistings", page_no))


NOV_20 = 1795132800000  # 2026-11-20T00:00Z
DAY = 86_400_000


def test_spider_fetches_in_window_details_and_pages_on_total_page():
    spider = OkxSpider(since="2026-11-18", max_pages=5)
    full = [(f"a{n}", NOV_20 - n * 3_600_000) for n in range(20)]  # all after the 18th
    out = crawl_list(spider, listing(full, 3))
    assert isinstance(out[0], RawPage) and out[0].page_kind == "list"
    details = [r.url for r in out[1:] if "/help/" in r.url]
    assert details[0] == "https://www.okx.com/help/a0" and len(details) == 20
    assert out[-1].url.endswith("annType=announcements-delistings&page=2")
    # The last page per totalPage: no page 3 even though the page is full.
    assert not any("page=3" in r.url for r in crawl_list(spider, listing(full, 2), page_no=2))


def test_spider_stops_paging_at_the_window_start():
    spider = OkxSpider(since="2026-11-18", max_pages=5)
    entries = [("new", NOV_20), *((f"old{n}", NOV_20 - 3 * DAY - n) for n in range(19))]
    out = crawl_list(spider, listing(entries, 4))
    assert [r.url for r in out[1:]] == ["https://www.okx.com/help/new"]
    assert out[1].meta["dont_obey_robotstxt"] is False  # an HTML page obeys robots.txt


def test_every_real_capture_parses():
    folder = captures("okx")
    us = parse(page("list", (folder / "announcements-delistings-us-egress.json").read_bytes()))
    eea = parse(page("list", (folder / "announcements-delistings-eea-egress.json").read_bytes()))
    assert (len(us), len(eea)) == (18, 4)
    assert {a.category for a in us + eea} == {"delisting"}
    assert (
        us[0].url
        == "https://www.okx.com/help/okx-to-delist-dora-icx-storj-zeus-and-elf-spot-trading-pairs"
    )
    assert us[0].coins == ["DORA", "ICX", "STORJ", "ZEUS", "ELF"]
    assert eea[1].native_id == "okx-to-support-om-crypto-migration-in-eea"
    assert eea[1].published_at == datetime(2026, 2, 16, 8, 54, tzinfo=UTC)
    slug = "okx-to-delist-aeon-usd-spot-trading-pair"
    (article,) = parse(page("detail", (folder / f"help-{slug}.html").read_bytes(), slug))
    assert article.title == "OKX to delist selected USD spot trading pair"
    assert article.published_at == datetime(2026, 9, 23, 6, 0, tzinfo=UTC)
    assert (article.category, article.pairs) == ("delisting", ["AEON/USD"])
    text = article.body_text or ""
    assert text.startswith("In order to maintain a robust spot trading environment")
    assert text.endswith("OKX team\n\nSeptember 23, 2026")
    assert "Affected trading pair\n\nAEON/USD" in text
    assert "Join us on Telegram" not in text and "machine translation" not in text
