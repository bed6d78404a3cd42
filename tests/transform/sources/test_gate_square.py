"""Gate Square parser on the fixtures: one post from its HTML page and from its text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from spiders.sources.gate_square import GateSquareSpider
from transform.extract.html import parse_document
from transform.model import Article, Page, PayloadError
from transform.sources.gate_square import headline, list_entries, parse, parse_text
from transform.sources.gate_square_text import count, resolve_time, split_badges

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gate_square"
SHARED_SEED = Path(__file__).resolve().parents[4] / "shared" / "seed" / "gate-square-post.txt"
FETCHED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
SEED_ID = "22604417"
SEED_URL = f"https://www.gate.com/post/status/{SEED_ID}"
# Page chrome: phrases that are never in a post, and lines that are never one of its lines.
CHROME_PHRASES = (
    "Access hundreds of perpetual contracts", "This page may contain third-party content",
    "See Disclaimer", "View Original", "Trade Crypto Anywhere Anytime", "Scan to download",
    "简体中文", "Tiếng Việt", "© 2013-2026 Gate",
)  # fmt: skip
CHROME_LINES = {
    "Futures", "Reward", "Repost", "Share", "Follow", "Comment", "0/400", "post-image",
    "qrCode", "Community", "English", "Log In", "No comments yet",
}  # fmt: skip


def chrome_in(body: str) -> list[str]:
    lines = {line.removeprefix("• ") for line in body.split("\n")}
    return [phrase for phrase in CHROME_PHRASES if phrase in body] + sorted(lines & CHROME_LINES)


def page(name: str, kind: str = "detail", url: str = "https://www.gate.com/post") -> Page:
    native_id = name.removeprefix("post-").removesuffix(".html") if kind == "detail" else None
    return Page(
        raw_id=f"raw-{name}",
        source="gate_square",
        page_kind=kind,
        url=f"https://www.gate.com/post/status/{native_id}" if native_id else url,
        fetched_at=FETCHED_AT,
        body=(FIXTURES / name).read_bytes(),
        native_id=native_id,
    )


def detail(post_id: str) -> Article:
    [article] = parse(page(f"post-{post_id}.html"))
    return article


def comment_view(article: Article) -> list[tuple[object, ...]]:
    return [
        (c.author, c.author_badges, c.posted_at, c.posted_at_text, c.reply_count, c.text)
        for c in article.comments
    ]


SEED_PARAGRAPHS = (
    "Recently, the U.S. Department of the Treasury has taken a significant step by launching a "
    "large-scale crackdown on transnational telecom fraud. The main targets of this operation "
    "are fraud organizations in the Southeast Asia region, particularly businesses and "
    "individuals related to Myanmar and Cambodia.",
    "In addition to the Southeast Asia region, scam groups from India are also actively "
    "targeting American citizens, further exacerbating economic losses in the United States. "
    "In the face of such a severe situation, the recent actions of the U.S. government "
    "demonstrate its determination to combat transnational telecom fraud, highlighting the "
    "global and complex nature of this issue. In the future, the international community may "
    "need to cooperate more closely to effectively curb the spread of such transnational "
    "criminal activities.",
)
SEED_COMMENTS = [
    ("ChainMaskedRider", "Time to eat! Ministry of Finance!"),
    ("liquiditea_sipper", "Late? Move the stool to watch the show."),
    (
        "MoonRocketman",
        "A simple calculation shows that this wave of negative growth trajectory has reached "
        "the geosynchronous orbit height of 50 billion in the gray economy.",
    ),
    (
        "NFTDreamer",
        "It's better to impose sanctions directly than to go around in circles. The government "
        "is being evasive!",
    ),
]


def assert_seed_post(article: Article) -> None:
    """What the seed page shows, whichever rendering it was read from."""
    paragraphs = article.body_text.split("\n\n")
    assert len(paragraphs) == 6
    assert (paragraphs[0], paragraphs[-1]) == SEED_PARAGRAPHS
    assert paragraphs[2].startswith("The operation modes of these scam organizations")
    assert chrome_in(article.body_text) == []
    assert article.engagement == {
        "reward": None, "reposts": None, "shares": None, "comments": 4, "views": None,
        "likes": None,
    }  # fmt: skip
    fifteen_hours_ago = FETCHED_AT - timedelta(hours=15)
    assert comment_view(article) == [
        (author, ["VIP"], fifteen_hours_ago, "15h ago", 0, text) for author, text in SEED_COMMENTS
    ]
    assert [c.like_count for c in article.comments] == [None] * 4
    assert article.translated is True
    assert article.title == SEED_PARAGRAPHS[0].split(" fraud.")[0] + " fraud."
    assert article.category == "regulation"
    assert (article.url, article.native_id, article.language) == (SEED_URL, SEED_ID, "en")


def test_seed_html_page_gives_the_seed_post():
    article = detail(SEED_ID)
    assert_seed_post(article)
    assert article.author == "DeepTideResearch"
    assert article.published_at == datetime(2026, 11, 27, 20, 35, tzinfo=UTC)


def seed_texts() -> list[Path]:
    return [FIXTURES / "seed-post.txt", SHARED_SEED]


@pytest.mark.parametrize("seed", seed_texts(), ids=["fixture-copy", "shared-seed"])
def test_seed_text_and_html_page_give_one_result(seed: Path):
    if not seed.exists():
        pytest.skip(f"no seed text at {seed} (../shared is absent)")
    from_text = parse_text(seed.read_text(encoding="utf-8"), url=SEED_URL, fetched_at=FETCHED_AT)
    assert_seed_post(from_text)
    from_html = detail(SEED_ID)
    assert from_text.body_text == from_html.body_text
    assert comment_view(from_text) == comment_view(from_html)
    assert [c.comment_id for c in from_text.comments] == [c.comment_id for c in from_html.comments]
    assert from_text.engagement == from_html.engagement
    assert (from_text.article_id, from_text.title) == (from_html.article_id, from_html.title)
    # The text shows neither the post's author nor its time.
    assert (from_text.author, from_text.published_at) == (None, None)


# post id -> title, published_at, category, coins, pairs, author, language, translated, comments
DETAILS = {
    "22601938": (
        "比特币现货ETF本周重新出现净流入，连续三天合计超过9亿美元，"
        "BTC/USDT 也重新站上了9.6万美元。",
        datetime(2026, 11, 27, 8, 10, tzinfo=UTC), "market_news", ["BTC", "USDT"], ["BTC/USDT"],
        "币圈老韭菜", "zh", False, 3,
    ),
    "22597310": (
        "Weekly Market Outlook: BTC/USDT tests 98K resistance as ETF inflows return",
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC), "market_news", ["BTC", "USDT", "ETH", "SOL"],
        ["BTC/USDT", "ETH/USDT", "ETH/BTC", "SOL/USDT"], "GateResearchDesk", "en", False, 2,
    ),
    "22593377": (
        "Bitcoin mempool fees dropped to 3 sat/vB overnight, the lowest level in two months.",
        datetime(2026, 11, 26, 2, 15, tzinfo=UTC), "other", [], [], "MempoolWatcher", "en",
        False, 1,
    ),
    "22590042": (
        "Withdrawals on the Solana network went through in under five minutes today, moved my "
        "whole $SOL stack to a hardware wallet.",
        datetime(2026, 11, 25, 9, 30, tzinfo=UTC), "deposit_withdrawal", ["SOL"], [],
        "ColdStorageCarl", "en", False, 0,
    ),
    "22581204": (
        "Claimed my $ZRO airdrop this morning, the second season snapshot counted bridge volume "
        "from August.",
        datetime(2026, 11, 22, 11, 45, tzinfo=UTC), "airdrop", ["ZRO"], [], "AirdropHunterX",
        "en", False, 1,
    ),
    "22574466": (
        "Security warning: phishing links pretending to be Gate customer support are circulating "
        "in Telegram groups again.",
        datetime(2026, 11, 19, 7, 20, tzinfo=UTC), "security", [], [], "SafuSentinel", "en",
        True, 2,
    ),
    "22563090": (
        "Listing alert: Gate will list Plume (PLUME) for spot trading next week, deposits are "
        "reportedly already open.",
        datetime(2026, 11, 15, 16, 5, tzinfo=UTC), "listing", ["PLUME"], [], "ListingRadar",
        "en", False, 1,
    ),
    "22550127": (
        "New leverage tiers for ETH/USDT perpetuals take effect on Friday.",
        datetime(2026, 11, 10, 10, 0, tzinfo=UTC), "trading_rules", ["ETH", "USDT"],
        ["ETH/USDT"], "PerpDesk", "en", False, 1,
    ),
    "22541876": (
        "Joined the Gate Square creator campaign this month, posting one market recap every day "
        "until the end of November.",
        datetime(2026, 11, 3, 13, 30, tzinfo=UTC), "promotion", [], [], "CreatorCampaignFan",
        "en", False, 1,
    ),
    "22520333": (
        "$ETH reclaimed 4,000 USDT for the first time since August as staking inflows hit a new "
        "record.",
        datetime(2026, 10, 20, 19, 40, tzinfo=UTC), "market_news", ["ETH"], [], "EtherEcho", "en",
        False, 1,
    ),
    "22498760": (
        "Wallet maintenance on the TRX network is scheduled for Tuesday, expect deposits to be "
        "credited late for about two hours.",
        datetime(2026, 9, 14, 5, 10, tzinfo=UTC), "maintenance", [], [], "NodeOperatorTina",
        "en", False, 0,
    ),
}  # fmt: skip


@pytest.mark.parametrize("post_id", DETAILS)
def test_post_page_fields(post_id: str):
    article = detail(post_id)
    title, published_at, category, coins, pairs, author, language, translated, comments = DETAILS[
        post_id
    ]
    assert article.title == title
    assert article.published_at == published_at
    assert article.category == category
    assert (article.coins, article.pairs) == (coins, pairs)
    assert (article.author, article.language, article.translated) == (author, language, translated)
    assert len(article.comments) == comments
    assert article.url == f"https://www.gate.com/post/status/{post_id}"
    assert (article.source, article.exchange, article.feed, article.partial) == (
        "gate_square", "gate", "square", False,
    )  # fmt: skip
    assert article.body_text and article.body_markdown
    assert chrome_in(article.body_text) == []
    assert len({c.comment_id for c in article.comments}) == comments


def test_titled_post_keeps_its_title_out_of_the_body_and_takes_json_ld_figures():
    article = detail("22597310")
    assert article.body_text.startswith("Bitcoin spent the week grinding higher")
    assert "Weekly Market Outlook" not in article.body_text
    assert "Key levels for next week:\n\n• BTC/USDT: support at 94,000" in article.body_text
    assert "\n- ETH/USDT: support at 3,620, resistance at 3,900\n" in article.body_markdown
    assert article.body_text.endswith("the December FOMC minutes.")
    assert article.engagement == {
        "reward": None, "reposts": None, "shares": None, "comments": 2, "views": 15230,
        "likes": 212,
    }  # fmt: skip
    assert [(c.author, c.author_badges, c.reply_count, c.like_count) for c in article.comments] == [
        ("RangeTraderJoe", ["VIP"], 3, 27),
        ("ETHmaxiForever", [], 1, 9),
    ]
    assert article.comments[0].posted_at == datetime(2026, 11, 27, 15, tzinfo=UTC)


def test_chinese_post_dated_by_next_data_with_relative_comment_times():
    article = detail("22601938")
    assert article.body_text == (
        "比特币现货ETF本周重新出现净流入，连续三天合计超过9亿美元，BTC/USDT 也重新站上了9.6万美元。"
        "\n\n从链上数据看，长期持有者的抛压明显减弱，交易所余额继续下降。短期如果能守住9.4万，"
        "年底前冲击10万的概率不小。\n\n个人观点，不构成投资建议，大家注意仓位管理。"
    )
    # The header says "1d ago" (2026-11-27 12:00); __NEXT_DATA__ has the exact time.
    assert article.published_at == datetime(2026, 11, 27, 8, 10, tzinfo=UTC)
    assert [
        (c.author, c.author_badges, c.posted_at, c.posted_at_text, c.reply_count, c.like_count)
        for c in article.comments
    ] == [
        ("韭菜不割了", ["VIP"], datetime(2026, 11, 28, 9, tzinfo=UTC), "3h ago", 2, 15),
        ("链上观察员", [], datetime(2026, 11, 27, 12, tzinfo=UTC), "yesterday", 0, 4),
        ("SatoshiFan88", [], FETCHED_AT, "just now", 0, 0),
    ]


def test_post_without_comments():
    article = detail("22590042")
    assert article.comments == []
    assert article.engagement == dict.fromkeys(
        ("reward", "reposts", "shares", "comments", "views", "likes")
    )
    assert article.body_text == (
        "Withdrawals on the Solana network went through in under five minutes today, moved my "
        "whole $SOL stack to a hardware wallet.\n\nNot your keys, not your coins. Test with a "
        "small amount first and double-check the address."
    )


def test_text_with_header_menu_and_counted_bar():
    text = (
        "Futures\nFollow us\nChainScoutvip\n· 35m ago\nFollow\nFirst line\nsecond line\n\n"
        "post-image\n\n"
        "• one\n• two\npost-image\n  • Reward 2\n  • 7\n  • Repost 3\n  • Share 1.2K\n"
        "Comment\n12/400\nLatest\nAliceB\n· 2d ago\nNice\nReply\nBob\nNo time shown\nReply5\n"
        "Orphan line\nScan to download Gate App\nEnglish\n"
    )
    article = parse_text(text, url=SEED_URL, fetched_at=FETCHED_AT)
    assert article.body_text == "First line\nsecond line\n\n• one\n• two"
    assert article.body_markdown == "First line\nsecond line\n\n- one\n- two"
    assert (article.title, article.author, article.translated) == (
        "First line",
        "ChainScout",
        False,
    )
    assert article.published_at == FETCHED_AT - timedelta(minutes=35)
    assert article.engagement == {
        "reward": 2, "reposts": 3, "shares": 1200, "comments": 7, "views": None, "likes": None,
    }  # fmt: skip
    assert [(c.author, c.posted_at, c.text, c.reply_count) for c in article.comments] == [
        ("AliceB", FETCHED_AT - timedelta(days=2), "Nice", None),
        ("Bob", None, "No time shown", 5),
    ]


def test_comment_with_an_absolute_date():
    [comment] = detail("22520333").comments
    assert (comment.posted_at, comment.posted_at_text) == (
        datetime(2026, 10, 21, 8, 15, tzinfo=UTC),
        "2026-10-21 08:15",
    )


def test_broken_post_page_raises():
    with pytest.raises(PayloadError, match="no post"):
        parse(page("post-22588815.html"))


@pytest.mark.parametrize(
    "text",
    ["", "Futures\nAccess hundreds of perpetual contracts\nTrade Crypto Anywhere Anytime\n"],
)
def test_text_without_a_post_raises(text: str):
    with pytest.raises(PayloadError):
        parse_text(text, url=SEED_URL, fetched_at=FETCHED_AT)


def test_text_needs_a_post_url():
    with pytest.raises(PayloadError, match="not a Gate Square post URL"):
        parse_text("x", url="https://www.gate.com/announcements", fetched_at=FETCHED_AT)


def test_unknown_page_kind_raises():
    with pytest.raises(PayloadError, match="page kind"):
        parse(page("feed-p1.html", kind="search"))


FEED_P1 = ["22604417", "22601938", "22597310", "22590042", "22588815", "22581204", "22574466",
           "22563090", "22550127", "22541876"]  # fmt: skip


def test_feed_page_lists_posts_newest_first_as_partial_articles():
    articles = parse(page("feed-p1.html", kind="list"))
    assert [a.native_id for a in articles] == FEED_P1
    assert all(a.partial and a.body_text is None and a.comments == [] for a in articles)
    assert all(a.engagement is None for a in articles)
    broken = articles[4]
    assert broken.title == "Three altcoins I am watching into December: $ARB, $OP and $TIA."
    assert broken.summary == (
        "Three altcoins I am watching into December: $ARB, $OP and $TIA. All three are sitting "
        "on multi-month support."
    )
    assert (broken.published_at, broken.author, broken.coins) == (
        datetime(2026, 11, 24, 18, tzinfo=UTC),
        "LateNightAlpha",
        ["ARB", "OP", "TIA"],
    )
    assert (
        articles[2].title
        == "Weekly Market Outlook: BTC/USDT tests 98K resistance as ETF inflows return"
    )
    assert articles[0].article_id == detail(SEED_ID).article_id


def test_list_times_from_datetime_next_data_and_relative_text():
    def times(name: str) -> list[tuple[str, datetime | None]]:
        document = parse_document((FIXTURES / name).read_bytes())
        return [(e.post_id, e.published_at) for e in list_entries(document, FETCHED_AT)]

    assert times("feed-p2.html") == [
        ("22520333", datetime(2026, 10, 20, 19, 40, tzinfo=UTC)),
        ("22498760", datetime(2026, 9, 14, 5, 10, tzinfo=UTC)),
    ]
    assert times("topic-BTC.html") == [  # cards show "1d ago"; __NEXT_DATA__ has the time
        ("22601938", datetime(2026, 11, 27, 8, 10, tzinfo=UTC)),
        ("22597310", datetime(2026, 11, 26, 14, tzinfo=UTC)),
        ("22593377", datetime(2026, 11, 26, 2, 15, tzinfo=UTC)),
    ]
    assert times("topic-ETH.html") == [
        ("22550127", FETCHED_AT - timedelta(weeks=2)),
        ("22520333", FETCHED_AT - timedelta(weeks=5)),
    ]


def test_list_page_without_posts_raises():
    empty = Page("raw", "gate_square", "list", "https://www.gate.com/post", FETCHED_AT,
                 b"<html><body><main>Nothing here</main></body></html>")  # fmt: skip
    with pytest.raises(PayloadError, match="no /post/status/ links"):
        parse(empty)


def crawl_list(spider: GateSquareSpider, name: str, url: str, page_no: int = 1) -> list[Any]:
    response = HtmlResponse(url, body=(FIXTURES / name).read_bytes(), request=Request(url))
    return list(spider.parse_list(response, list_url="https://www.gate.com/post", page_no=page_no))


def test_spider_fetches_posts_in_the_window_and_pages_until_its_start():
    everything = crawl_list(
        GateSquareSpider(max_pages=20), "feed-p1.html", "https://www.gate.com/post"
    )
    assert [r.url for r in everything[1:-1]] == [
        f"https://www.gate.com/post/status/{post_id}" for post_id in FEED_P1
    ]
    assert everything[-1].url == "https://www.gate.com/post?page=2"
    assert json.loads(everything[0].context) == {"list": "https://www.gate.com/post", "page_no": 1}

    recent = GateSquareSpider(since="2026-11-24T00:00:00+00:00", max_pages=20)
    requests = crawl_list(recent, "feed-p1.html", "https://www.gate.com/post")[1:]
    assert [r.cb_kwargs["native_id"] for r in requests] == FEED_P1[:5]
    last = crawl_list(
        GateSquareSpider(max_pages=20), "feed-p2.html", "https://www.gate.com/post?page=2", 2
    )
    assert len(last) == 3  # the list page and two posts: a short page is the last one


def test_routes_serve_every_post_page():
    routes = json.loads((FIXTURES / "routes.json").read_text())
    served = {route["path"] for route in routes}
    assert {f"/post/status/{post_id}" for post_id in [*DETAILS, SEED_ID, "22588815"]} <= served


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15h ago", FETCHED_AT - timedelta(hours=15)),
        ("· 3d ago", FETCHED_AT - timedelta(days=3)),
        ("45 minutes ago", FETCHED_AT - timedelta(minutes=45)),
        ("5m ago", FETCHED_AT - timedelta(minutes=5)),
        ("yesterday", FETCHED_AT - timedelta(days=1)),
        ("just now", FETCHED_AT),
        ("2026-10-21 08:15", datetime(2026, 10, 21, 8, 15, tzinfo=UTC)),
        ("10/20", None),
        ("Reply0", None),
    ],
)
def test_resolve_time(text: str, expected: datetime | None):
    assert resolve_time(text, FETCHED_AT) == expected


def test_badges_counts_and_headlines():
    assert split_badges("ChainMaskedRidervip") == ("ChainMaskedRider", ["VIP"])
    assert split_badges("vip") == ("vip", [])
    assert (count("4"), count("1,204"), count("1.2K"), count("3M")) == (4, 1204, 1200, 3_000_000)
    assert headline("Dr. Who met the U.S. team. Then left.") == "Dr. Who met the U.S. team."
    assert headline("一句话。第二句") == "一句话。"
    assert headline("word " * 60) == ("word " * 31).strip() + "…"
