"""Gate announcements: the list API and Next.js detail parsers on the bundled fixtures, the
spider's navigation, and the real captured Markdown body (zh) from ../shared."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from spiders.items import FetchFailure
from spiders.sources.gate_announcements import GateAnnouncementsSpider
from tests.conftest import captures
from transform.model import Page, PayloadError
from transform.sources.gate_announcements import (
    category,
    clean_markdown,
    parse,
    released_at,
    render_markdown,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gate_announcements"
BUILD = "pF3kQ9vX2mL7tR1wZ8cYa"
FOOTER = (
    "Gateway to Crypto",
    "Sign up",
    "Invite friends",
    "Download Gate App",
    "Proof of Reserves",
)


def page(body: bytes, kind: str, native_id: str | None = None, **context: Any) -> Page:
    return Page(
        raw_id="raw",
        source="gate_announcements",
        page_kind=kind,
        url="https://api.gateio.ws/api/v4/ann/list_article?lang=en&page=1",
        fetched_at=datetime(2026, 11, 28, tzinfo=UTC),
        body=body,
        feed="announcements",
        native_id=native_id,
        context=json.dumps({"lang": "en", **context}),
    )


def fixture(name: str, kind: str, native_id: str | None = None, **context: Any) -> Page:
    return page((FIXTURES / name).read_bytes(), kind, native_id, **context)


def test_list_entries_are_partial_articles_with_gate_category_and_time():
    articles = parse(fixture("list-p1.json", "list"))
    assert len(articles) == 15 and all(a.partial and a.body_text is None for a in articles)
    first = articles[1]
    assert first.native_id == "53127"
    assert first.title == "Gate Will List Arcadia Compute (ARCD) for Spot Trading"
    assert first.published_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert first.url == "https://www.gate.com/announcements/article/53127"
    assert (first.category, first.source_categories) == ("listing", ["New Spot Listings"])
    assert (first.coins, first.pairs, first.language) == (["ARCD"], [], "en")
    assert first.summary == "ARCD Spot Trading Start Time: November 27, 2026, 12:00 (UTC)"
    by_id = {a.native_id: a for a in articles}
    assert by_id["53122"].category == "deposit_withdrawal"  # cate "deposit-withdrawal"
    assert by_id["53111"].category == "maintenance"  # cate "engine_upgrade"
    assert by_id["53086"].category == "delisting"  # cate_id 87, ETF delistings
    assert by_id["53012"].category == "promotion"  # unknown cate_id: the title decides
    assert [a.native_id for a in parse(fixture("list-p2.json", "list"))] == [
        "53070",
        "53062",
        "53055",
        "53048",
    ]


def test_detail_body_keeps_paragraphs_links_and_signature_but_not_the_footer():
    article = parse(fixture("detail-53127.json", "detail", "53127", cate_id=38, published_at=None))[
        0
    ]
    assert not article.partial
    assert article.title == "Gate Will List Arcadia Compute (ARCD) for Spot Trading"
    assert article.published_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert article.url == "https://www.gate.com/announcements/article/53127"
    assert (article.category, article.coins, article.pairs) == (
        "listing",
        ["ARCD", "USDT"],
        ["ARCD/USDT"],
    )
    paragraphs = article.body_text.split("\n\n")
    assert paragraphs[0] == (
        "Gate will list Arcadia Compute (ARCD) for spot trading. "
        "Trading of ARCD/USDT opens on November 27, 2026 at 12:00 (UTC)."
    )
    assert len(paragraphs) == 5 and paragraphs[-1] == "Gate Team\nNovember 27, 2026"
    assert "Deposit: https://www.gate.com/myaccount/deposit/ARCD\nTrade: " in article.body_text
    assert article.body_markdown.startswith("**Gate will list Arcadia Compute (ARCD)")
    for boilerplate in (*FOOTER, "<!--", "[//]:", "<sp>", "<br>"):
        assert boilerplate not in article.body_text
        assert boilerplate not in article.body_markdown


def test_markdown_tables_lists_and_links_become_plain_text():
    article = parse(fixture("detail-53012.json", "detail", "53012"))[0]
    assert "Tier\tMonthly spend\tCashback\nStandard\tUp to $1,000\t2%" in article.body_text
    assert "How to take part:\nApply for a Gate Card in the Gate App.\n" in article.body_text
    assert "Apply for Gate Card\n\nGate Team" in article.body_text
    assert "[Apply for Gate Card](https://www.gate.com/card)" in article.body_markdown
    assert "| Tier | Monthly spend | Cashback |\n|---|---|---|" in article.body_markdown


def test_the_old_footer_before_the_signature_is_dropped_and_the_signature_kept():
    article = parse(fixture("detail-53095.json", "detail", "53095", cate="rename"))[0]
    assert article.body_text.endswith(
        "Balances are converted 1:1 automatically.\n\nGate Team\nNovember 9, 2026"
    )
    for boilerplate in ("Reach out to us", "Twitter", "Download iOS/Android App", *FOOTER):
        assert boilerplate not in article.body_text
    assert (article.category, article.source_categories) == ("trading_rules", ["rename"])
    assert article.pairs == ["KPR/USDT", "KNET/USDT"]


def test_the_category_and_time_come_from_the_list_when_the_detail_lacks_them():
    detail = json.loads((FIXTURES / "detail-53104.json").read_bytes())
    for key in ("release_timestamp", "created_t", "cate_id"):
        del detail["pageProps"]["detail"][key]
    article = parse(
        page(
            json.dumps(detail).encode(),
            "detail",
            "53104",
            cate="fee",
            published_at="2026-11-15T09:00:00+00:00",
        )
    )[0]
    assert (article.category, article.source_categories) == ("trading_rules", ["fee"])
    assert article.published_at == datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


def test_a_chinese_detail_keeps_its_paragraphs_and_drops_the_chinese_footer():
    article = parse(
        page((FIXTURES / "detail-zh-53127.json").read_bytes(), "detail", "53127", lang="zh")
    )[0]
    assert (article.language, article.url) == (
        "zh",
        "https://www.gate.com/zh/announcements/article/53127",
    )
    assert article.title == "Gate 将上线 Arcadia Compute (ARCD) 现货交易"
    paragraphs = article.body_text.split("\n\n")
    assert (
        paragraphs[0]
        == "Gate 将于 2026 年 11 月 27 日 20:00 (UTC+8) 上线 Arcadia Compute (ARCD) 现货交易。"
    )
    assert paragraphs[1].startswith("简介：") and paragraphs[1].count("\n") == 1
    assert paragraphs[-1] == "Gate 团队\n2026 年 11 月 27 日"
    for boilerplate in ("加密货币之门", "注册账户", "邀请他人注册", "储备金证明", "下载 Gate App"):
        assert boilerplate not in article.body_text and boilerplate not in article.body_markdown
    assert (article.category, article.pairs) == ("listing", ["ARCD/USDT"])


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b'{"notFound": true}', "detail", "no pageProps.detail.desc"),
        (b'{"pageProps": {"__N_REDIRECT": "/announcements"}}', "detail", "no pageProps"),
        (b"<html>Access Denied</html>", "detail", "not a Next.js data object"),
        (b'{"code": 40001, "message": "invalid lang", "data": null}', "list", "code 40001"),
        (b'{"code": 0, "data": {"total": 0}}', "list", "no data.list"),
        (b"<html><body><main>Announcements</main></body></html>", "index", "no __NEXT_DATA__"),
    ],
)
def test_unreadable_payloads_raise(body: bytes, kind: str, message: str):
    with pytest.raises(PayloadError, match=message):
        parse(page(body, kind, "1"))


def test_an_index_page_naming_its_build_id_yields_nothing_and_passes():
    assert parse(fixture("index.html", "index")) == []


@pytest.mark.parametrize(
    ("cate_id", "cate", "title", "expected"),
    [
        (38, None, "Gate Will List X (X)", ("listing", ["New Spot Listings"])),
        (15, None, "Notice", ("delisting", ["Delistings"])),
        (999, "Deposit & Withdrawal", "Notice", ("deposit_withdrawal", ["Deposit & Withdrawal"])),
        (999, "lastest", "Gate Will Delist X (X)", ("delisting", ["lastest"])),
        ("37", None, "Notice", ("listing", ["New Futures Listings"])),
        (None, None, "Gate Will Perform System Maintenance", ("maintenance", [])),
    ],
)
def test_gate_categories_map_to_the_taxonomy(
    cate_id: int | None, cate: str | None, title: str, expected: tuple[str, list[str]]
):
    assert category(cate_id, cate, title) == expected


def test_release_time_prefers_unix_seconds_then_display_strings():
    assert released_at({"release_timestamp": "1795773600", "created": "1 days"}) == datetime(
        2026, 11, 27, 10, 0, tzinfo=UTC
    )
    assert released_at({"created_t": 1795773600}) == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert released_at({"created": "2026-08-03 UTC"}) == datetime(2026, 8, 3, tzinfo=UTC)
    assert released_at({"created": "1 days"}) is None


def list_response(name: str, page_no: int) -> TextResponse:
    url = f"https://api.gateio.ws/api/v4/ann/list_article?lang=en&page={page_no}"
    return TextResponse(url, body=(FIXTURES / name).read_bytes(), request=Request(url))


def test_spider_fetches_in_window_details_and_stops_at_the_window_start():
    spider = GateAnnouncementsSpider(since="2026-11-20", max_pages=5)
    out = list(spider.parse_list(list_response("list-p1.json", 1), page_no=1, build_id=BUILD))
    requests = [item for item in out if isinstance(item, Request)]
    assert [r.cb_kwargs["native_id"] for r in requests] == [
        "53127",
        "53125",
        "53122",
        "53119",
        "53115",
        "53111",
    ]  # the pinned 53012 (September) is outside the window; no page 2: Oct 24 < since
    assert requests[0].url == (
        f"https://www.gate.com/announcements/_next/data/{BUILD}/en/announcements/article/"
        "53127.json?slug=53127"
    )
    assert requests[0].cb_kwargs["context"] == {
        "lang": "en",
        "title": "Gate Will List Arcadia Compute (ARCD) for Spot Trading",
        "published_at": "2026-11-27T10:00:00+00:00",
        "cate_id": 38,
        "cate": None,
    }


def test_a_pinned_old_entry_does_not_stop_paging():
    spider = GateAnnouncementsSpider(since="2026-10-01", max_pages=5)
    out = list(spider.parse_list(list_response("list-p1.json", 1), page_no=1, build_id=BUILD))
    following = [r for r in out if isinstance(r, Request) and r.callback == spider.parse_list]
    assert len(following) == 1 and following[0].method == "POST"
    assert following[0].url == "https://api.gateio.ws/api/v4/ann/list_article?lang=en&page=2"
    body = json.loads(following[0].body)
    assert body == {"page": "2", "size": "15", "lang": "en", "timer": body["timer"]}
    assert int(body["timer"]) == (datetime.now(UTC).date() - datetime(2026, 10, 1).date()).days + 1


def test_without_a_build_id_the_list_is_crawled_without_details():
    spider = GateAnnouncementsSpider(max_pages=5)
    out = list(spider.parse_list(list_response("list-p1.json", 1), page_no=1, build_id=None))
    requests = [item for item in out if isinstance(item, Request)]
    assert [r.callback for r in requests] == [spider.parse_list]
    index = HtmlResponse(
        "https://www.gate.com/announcements",
        body=(FIXTURES / "index.html").read_bytes(),
        request=Request("https://www.gate.com/announcements"),
    )
    first = [item for item in spider.parse_index(index) if isinstance(item, Request)]
    assert first[0].cb_kwargs == {"page_no": 1, "build_id": BUILD}


def test_a_blocked_index_page_is_quarantined_and_the_list_still_crawled():
    spider = GateAnnouncementsSpider(max_pages=5)
    request = Request("https://www.gate.com/announcements")
    failure = Failure(HttpError(HtmlResponse(request.url, status=403, request=request)))
    failure.request = request
    quarantined, following = list(spider.index_failed(failure))
    assert isinstance(quarantined, FetchFailure)
    assert (quarantined.status, quarantined.blocked) == (403, True)
    assert following.callback == spider.parse_list
    assert following.cb_kwargs == {"page_no": 1, "build_id": None}


# Conformance: the real captured Markdown body of a Gate announcement (zh, feeds §1.4).


def test_the_captured_chinese_body_keeps_its_paragraphs_and_drops_the_footer():
    desc = (captures("gate") / "announcement-46565-detail-desc.md").read_text(encoding="utf-8")
    title = desc.split("\n", 1)[0]  # the crawl stored tdkTitle + "\n" + desc
    body = render_markdown(desc, title)
    paragraphs = body.text.split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[0].startswith("Gate ") and "**" not in paragraphs[0]
    assert paragraphs[1].startswith("简介：") and len(paragraphs[1].split("\n")) == 2
    assert paragraphs[-1].startswith("Gate 团队\n")
    assert body.markdown.startswith("**Gate ") and title not in body.markdown
    for boilerplate in (
        "加密货币之门",
        "注册账户",
        "邀请他人注册",
        "储备金证明",
        "<sp>",
        "<a ",
        "[//]:",
    ):
        assert boilerplate not in body.text and boilerplate not in body.markdown
    assert clean_markdown(desc, title) == body.markdown
    detail = {"pageProps": {"detail": {"id": 46565, "title": title, "desc": desc}}}
    article = parse(page(json.dumps(detail).encode(), "detail", "46565", lang="zh"))[0]
    assert (article.body_text, article.language) == (body.text, "zh")
    assert article.url == "https://www.gate.com/zh/announcements/article/46565"
    assert (article.coins, article.pairs) == (["AIBOT", "USDT"], ["AIBOT/USDT"])
