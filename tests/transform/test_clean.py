"""clean_document on each kind of input (JSON payload, HTML page, page text), enrich's
additions, article_json's shape, and the messages of unreadable input."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import transform.sources
from transform import parse_page
from transform.enrich import enrich
from transform.enrich.fingerprint import fingerprint
from transform.extract.clean import GENERIC_SOURCE, article_json, clean_document, known_sources
from transform.model import Article, Mention, Page, PayloadError
from transform.sources import SHARED

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "gate-square-post.txt"
FIXTURE_SEED = FIXTURES / "gate_square" / "seed-post.txt"
FETCHED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
SEED_URL = "https://www.gate.com/post/status/22604417"
SEED_TITLE = (
    "Recently, the U.S. Department of the Treasury has taken a significant step by launching a "
    "large-scale crackdown on transnational telecom fraud."
)
BINANCE_DETAIL = FIXTURES / "binance" / "detail-486e25903b64f1e0f3d6455a89677b4f.json"
BINANCE_BROKEN = FIXTURES / "binance" / "detail-f3750889a7cc60511eb49239c5c76167.json"
GATE_NEWS = FIXTURES / "gate_news" / "article-14208101.html"
GATE_NEWS_URL = (
    "https://www.gate.com/news/detail/sui-ecosystem-tvl-doubles-since-september-14208101"
)
# Gate's site chrome (header menu, footer, language list, app promotion, sidebar, disclaimer).
CHROME = (
    "Access hundreds of perpetual contracts", "Log In", "English/USD",
    "Trade Crypto Anywhere Anytime", "Scan to download Gate app", "简体中文", "Tiếng Việt",
    "Privacy Policy", "All rights reserved", "Disclaimer", "does not constitute investment advice",
    "Download the Gate App", "Related News", "Hot News", "1,284 Read", "Tags:", "Home",
)  # fmt: skip
SEEDS = [
    pytest.param(FIXTURE_SEED, id="fixture-seed"),
    pytest.param(
        SHARED_SEED,
        id="shared-seed",
        marks=pytest.mark.skipif(not SHARED_SEED.exists(), reason="no ../shared seed"),
    ),
]


def clean(content: bytes | str, **kwargs: str | None) -> Article:
    return clean_document(content, fetched_at=FETCHED_AT, **kwargs)  # type: ignore[arg-type]


# --- (c) a page's text rendering --------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_gate_square_seed_text(seed: Path) -> None:
    article = clean(seed.read_bytes(), source="gate_square")
    paragraphs = article.body_text.split("\n\n") if article.body_text else []
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("Recently, the U.S. Department of the Treasury")
    assert paragraphs[-1].endswith("the spread of such transnational criminal activities.")
    assert article.title == SEED_TITLE
    assert len(article.comments) == 4
    assert [c.posted_at for c in article.comments] == [datetime(2026, 11, 27, 21, tzinfo=UTC)] * 4
    assert [c.author for c in article.comments] == [
        "ChainMaskedRider", "liquiditea_sipper", "MoonRocketman", "NFTDreamer",
    ]  # fmt: skip
    assert article.source == "gate_square"
    assert article.url == ""  # the text alone does not say which post it is
    assert article.translated is True
    assert article.engagement is not None and article.engagement["comments"] == 4
    assert article.language == "en"
    assert article.fingerprint == fingerprint(article.body_text or "")


def test_gate_square_seed_text_with_its_url_is_the_post() -> None:
    """With the URL the post id is known: the same article id as the post page gives."""
    text = FIXTURE_SEED.read_text(encoding="utf-8")
    from_text = clean(text, source="gate_square", url=SEED_URL)
    [from_page] = parse_page(
        Page(
            raw_id="raw",
            source="gate_square",
            page_kind="detail",
            url=SEED_URL,
            fetched_at=FETCHED_AT,
            body=(FIXTURES / "gate_square" / "post-22604417.html").read_bytes(),
        )
    )
    assert from_text.native_id == "22604417"
    assert from_text.url == SEED_URL
    assert from_text.article_id == from_page.article_id
    assert from_text.body_text == from_page.body_text
    assert clean(text.encode(), source="gate_square").body_text == from_text.body_text


def test_plain_text_first_line_is_the_title() -> None:
    text = "Kite (KITE) lists on Spot\n\nTrading opens at 10:00 UTC.\nKITE/USDT first.\n\nEnjoy!\n"
    article = clean(text)
    assert article.title == "Kite (KITE) lists on Spot"
    assert article.body_text == "Trading opens at 10:00 UTC.\nKITE/USDT first.\n\nEnjoy!"
    assert article.source == GENERIC_SOURCE
    assert article.exchange == "unknown"
    assert article.pairs == ["KITE/USDT"]
    assert article.language == "en"
    assert article.url == ""
    assert clean(text).article_id == article.article_id  # named by the text's hash
    assert clean(text, source="okx").exchange == "okx"


# --- (a) a source's JSON payload --------------------------------------------------------


def test_binance_detail_payload() -> None:
    article = clean(BINANCE_DETAIL.read_bytes(), source="binance")
    assert article.title == "Binance Will List Lumora Network (LUMA) with Seed Tag Applied"
    assert article.source == "binance"
    assert article.native_id == "486e25903b64f1e0f3d6455a89677b4f"
    assert article.partial is False
    assert article.language == "en"
    assert article.body_text and article.fingerprint == fingerprint(article.body_text)
    assert "LUMA" in article.coins


def test_binance_list_payload_gives_the_entry_at_the_url() -> None:
    payload = (FIXTURES / "binance" / "list-161-p1.json").read_bytes()
    first = clean(payload, source="binance")
    assert first.partial is True
    assert first.title == "Notice of Removal of Spot Trading Pairs - 2026-11-28"
    url = "https://www.binance.com/en/support/announcement/detail/fe02226a33ed2afbd950cb091e4d0fbc"
    chosen = clean(payload, source="binance", url=url)
    assert chosen.title == "Notice of Removal of Spot Trading Pairs - 2026-10-31"
    assert chosen.fingerprint == fingerprint(chosen.title or "")  # no body: the title


# --- (b) an HTML page -------------------------------------------------------------------


def test_gate_news_page_without_source_has_no_chrome() -> None:
    article = clean(GATE_NEWS.read_bytes())
    assert article.title == "Sui Ecosystem TVL Doubles Since September"
    assert article.body_text == (
        "Total value locked in decentralized applications on Sui (SUI) reached $4.6 billion, "
        "double its level at the start of September.\n"
        "Lending protocols account for more than half of the deposits."
    )
    assert article.source == GENERIC_SOURCE
    assert article.exchange == "gate"
    assert article.url == GATE_NEWS_URL  # the page's canonical URL
    assert article.published_at == datetime(2026, 11, 16, 15, tzinfo=UTC)
    assert article.language == "en"
    assert article.coins == ["SUI"]


@pytest.mark.parametrize(
    "name",
    sorted(
        path.name
        for path in (FIXTURES / "gate_news").glob("article-*.html")
        if path.name != "article-14210333.html"  # the fixture set's soft 404
    ),
)
def test_no_gate_news_page_leaks_chrome(name: str) -> None:
    body = clean((FIXTURES / "gate_news" / name).read_bytes()).body_text or ""
    assert body
    assert [phrase for phrase in CHROME if phrase in body] == []


def test_html_goes_to_the_source_parser_when_it_reads_it() -> None:
    article = clean(GATE_NEWS.read_bytes(), source="gate_news")
    assert article.source == "gate_news"
    assert article.url == GATE_NEWS_URL
    assert article.body_text == (
        "Total value locked in decentralized applications on Sui (SUI) reached $4.6 billion, "
        "double its level at the start of September.\n\n"
        "Lending protocols account for more than half of the deposits."
    )
    post = clean(
        (FIXTURES / "gate_square" / "post-22604417.html").read_bytes(), source="gate_square"
    )
    assert post.native_id == "22604417"
    assert len(post.comments) == 4


# --- unreadable input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "source", "message"),
    [
        (b"", None, "the input is empty"),
        (b"  \n", "binance", "the input is empty"),
        (
            b'{"title": "x"}',
            None,
            "no --source given and the JSON is not a page format exnews knows",
        ),
        (
            b"<?xml version='1.0'?><rss/>",
            None,
            "no --source given and the XML is not a page format",
        ),
        (
            b'{"code": "000000", "data": null}',
            "binance",
            "input is JSON but source 'binance' could not read it as a detail or list payload: "
            "detail: detail payload lacks data.code or data.title; "
            "list: list payload has no data.catalogs",
        ),
        (
            BINANCE_BROKEN.read_bytes(),
            "binance",
            "input is JSON but source 'binance' could not read it as a detail or list payload: "
            "detail: body is not JSON",
        ),
        (
            b"<html><body><script>app()</script></body></html>",
            None,
            "HTML page has no article text",
        ),
        (b"x", "nope", "unknown source 'nope' (known: binance, bitget,"),
        (b"\xff\xfe\x00 bytes", None, "the input is neither JSON, HTML nor UTF-8 text"),
        (
            "just a line of text",
            "gate_square",
            "input is text but source 'gate_square' could not read it as a post: no post",
        ),
    ],
)
def test_unreadable_input_says_what(content: bytes, source: str | None, message: str) -> None:
    with pytest.raises(PayloadError) as error:
        clean(content, source=source)
    assert str(error.value).startswith(message)


def test_known_sources() -> None:
    assert {"binance", "gate_news", "gate_square", "okx"} <= set(known_sources())


@pytest.mark.parametrize("shared", sorted(SHARED))
def test_shared_readers_are_no_sources(shared: str) -> None:
    """transform/sources/ also holds readers several parsers share: no source key names them."""
    assert Path(transform.sources.__file__).with_name(f"{shared}.py").exists()
    assert shared not in known_sources()
    with pytest.raises(PayloadError, match="no parser"):
        parse_page(Page("raw", shared, "list", "https://example.com/", FETCHED_AT, b"<rss/>"))
    with pytest.raises(PayloadError, match="unknown source"):
        clean_document(b"<rss/>", source=shared, fetched_at=FETCHED_AT)


# --- enrich and article_json ------------------------------------------------------------


@pytest.fixture
def finders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Stand-ins for the mention and topic finders that record their calls."""
    calls: list[tuple[str, ...]] = []

    def find_mentions(text: str, field: str, reference: object = None) -> list[Mention]:
        calls.append(("mentions", text, field))
        return [Mention("coin", text[:3], text[:3], field, 0, 3)]

    def find_topics(title: str, body: str) -> list[str]:
        calls.append(("topics", title, body))
        return ["listing"]

    monkeypatch.setattr("transform.enrich.find_mentions", find_mentions)
    monkeypatch.setattr("transform.enrich.find_topics", find_topics)
    return calls


def bare(**fields: object) -> Article:
    values: dict[str, object] = {
        "article_id": "a1",
        "source": "binance",
        "exchange": "binance",
        "native_id": "n1",
        "url": "https://example.com/a1",
        "fetched_at": FETCHED_AT,
        "raw_ref": "r1",
    }
    return Article(**(values | fields))  # type: ignore[arg-type]


def test_enrich_fills_what_is_missing(finders: list[tuple[str, ...]]) -> None:
    article = bare(
        title="币安将上线 Kite (KITE)", body_text="币安将于今天上线 KITE/USDT 现货交易对。"
    )
    enriched = enrich(article)
    assert enriched is not article and article.language is None  # a copy
    assert enriched.language == "zh"
    assert enriched.fingerprint == fingerprint("币安将于今天上线 KITE/USDT 现货交易对。")
    assert [(m.field, m.text) for m in enriched.mentions] == [
        ("title", "币安将"),
        ("body_text", "币安将"),
    ]
    assert enriched.topics == ["listing"]
    assert finders == [
        ("mentions", "币安将上线 Kite (KITE)", "title"),
        ("mentions", "币安将于今天上线 KITE/USDT 现货交易对。", "body_text"),
        ("topics", "币安将上线 Kite (KITE)", "币安将于今天上线 KITE/USDT 现货交易对。"),
    ]


def test_enrich_keeps_what_the_source_said(finders: list[tuple[str, ...]]) -> None:
    kept = Mention("pair", "KITE/USDT", "KITE/USDT", "body_text", 0, 9)
    article = bare(title="Kite", summary="KITE/USDT spot trading opens", language="ja")
    article.mentions = [kept]
    enriched = enrich(article)
    assert enriched.language == "ja"
    assert enriched.mentions == [kept]
    assert enriched.fingerprint == fingerprint("Kite")  # no body: the title
    assert finders == [("topics", "Kite", "KITE/USDT spot trading opens")]
    partial = enrich(bare(title="Kite", summary="KITE/USDT spot trading opens"))
    assert [m.field for m in partial.mentions] == ["title", "summary"]


def test_article_json(finders: list[tuple[str, ...]]) -> None:
    article = clean(FIXTURE_SEED.read_bytes(), source="gate_square", url=SEED_URL)
    data = article_json(article)
    assert list(data) == [
        "title", "body_text", "body_markdown", "author", "published_at", "language",
        "translated", "engagement", "comments", "category", "topics", "coins", "pairs",
        "mentions", "fingerprint", "url", "source", "limits",
    ]  # fmt: skip
    assert json.loads(json.dumps(data)) == data
    assert [c["posted_at"] for c in data["comments"]] == ["2026-11-27T21:00:00+00:00"] * 4
    assert data["comments"][0]["author_badges"] == ["VIP"]
    assert data["topics"] == ["listing"]
    assert data["mentions"][0] == {
        "kind": "coin", "text": "Rec", "value": "Rec", "field": "title", "start_offset": 0,
        "end_offset": 3, "amount": None, "unit": None, "pair_kind": None,
    }  # fmt: skip
    assert data["url"] == SEED_URL and data["source"] == "gate_square"
    assert data["fingerprint"] == article.fingerprint
    dated = dataclasses.replace(article, published_at=datetime(2026, 11, 27, 9, tzinfo=UTC))
    assert article_json(dated)["published_at"] == "2026-11-27T09:00:00+00:00"


@pytest.mark.parametrize("url", ["http://[::1", "https://[x]/news?id=1#top"])
def test_a_url_urllib_cannot_split_still_names_the_article(url: str) -> None:
    """Found by bench/fuzz_clean.py: a page's canonical link "http://[..." raised ValueError."""
    page = (
        f'<html><head><link rel="canonical" href="{url}"></head><body><article>'
        "<p>Kite (KITE) lists on Spot, trading opens at 10:00 UTC.</p></article></body></html>"
    )
    for article in (clean(page), clean(page.encode(), url=url)):
        assert article.native_id == url.split("?")[0]
        assert article.exchange == "unknown"
