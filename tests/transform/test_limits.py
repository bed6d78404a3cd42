"""The documented limits of transform.limits (README "Limits"): past each one a typed error
or a stated, noted degradation, never a RecursionError, a crash or a stall."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transform import PayloadError, parse_page
from transform.enrich import enrich
from transform.enrich.mentions import find_mentions
from transform.extract.clean import article_json, clean_document
from transform.extract.dates import parse_datetime, resolve_relative
from transform.extract.markup import render_html, render_tree
from transform.limits import (
    ENRICH_TEXT_CHARS,
    MAX_JSON_DEPTH,
    MAX_MARKUP_DEPTH,
    MAX_PAYLOAD_BYTES,
    LimitError,
    check_json_depth,
    load_json,
)
from transform.model import Article, Page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
BINANCE = json.loads(
    (FIXTURES / "binance" / "detail-486e25903b64f1e0f3d6455a89677b4f.json").read_text()
)


def nested(depth: int, core: str = "1") -> str:
    return '{"data":' * depth + core + "}" * depth


def binance_page(body: bytes) -> Page:
    return Page("raw", "binance", "detail", "https://www.binance.com/x", FETCHED_AT, body)


def test_json_depth_is_refused_past_the_limit_whatever_the_strings_hold():
    assert load_json(nested(MAX_JSON_DEPTH - 1)) is not None
    check_json_depth('["' + "[" * 10_000 + '\\"]"]')  # brackets inside strings do not count
    with pytest.raises(LimitError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        load_json(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(LimitError):
        load_json("[" * 100_000)  # json.loads alone raises RecursionError here


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000])
def test_deep_json_payloads_are_a_limit_error_for_parse_page_and_clean(depth: int):
    with pytest.raises(LimitError):
        parse_page(binance_page(nested(depth).encode()))
    with pytest.raises(LimitError):
        clean_document(nested(depth), source="binance", fetched_at=FETCHED_AT)
    with pytest.raises(LimitError):
        clean_document(nested(depth), fetched_at=FETCHED_AT)


def test_a_deep_body_tree_inside_a_payload_is_a_limit_error():
    """Binance's body is JSON in a JSON string: its depth is checked where it is read."""
    tree = {"node": "root", "child": [{"node": "text", "text": "x"}]}
    for _ in range(MAX_MARKUP_DEPTH + 1):
        tree = {"node": "element", "tag": "div", "child": [tree]}
    payload = dict(
        BINANCE, data=dict(BINANCE["data"], body=json.dumps({"node": "root", "child": [tree]}))
    )
    with pytest.raises(LimitError, match="body is nested deeper than"):  # two JSON levels a node
        parse_page(binance_page(json.dumps(payload).encode()))
    payload["data"]["body"] = nested(5_000)
    with pytest.raises(LimitError, match="body is nested deeper"):
        parse_page(binance_page(json.dumps(payload).encode()))


def test_deep_html_renders_or_is_a_limit_error():
    """lxml stops nesting at 255 levels; the renderers refuse more than MAX_MARKUP_DEPTH."""
    with pytest.raises(LimitError):
        render_html("<div>" * 5_000 + "deep" + "</div>" * 5_000)
    assert render_html("<div>" * 50 + "deep" + "</div>" * 50).text == "deep"
    with pytest.raises(LimitError):
        render_tree({"node": "root", **_chain(MAX_MARKUP_DEPTH + 1)})
    assert render_tree({"node": "root", **_chain(MAX_MARKUP_DEPTH - 1)}).text == "x"


def _chain(depth: int) -> dict:
    node: dict = {"node": "text", "text": "x"}
    for _ in range(depth):
        node = {"node": "element", "tag": "span", "child": [node]}
    return {"child": [node]}


def test_a_payload_past_the_size_limit_is_refused_before_it_is_read():
    body = b"{" + b" " * MAX_PAYLOAD_BYTES + b"}"
    with pytest.raises(LimitError, match="over the 16 MiB limit"):
        parse_page(binance_page(body))
    with pytest.raises(LimitError, match="over the 16 MiB limit"):
        clean_document(body, source="binance", fetched_at=FETCHED_AT)


def test_a_payload_of_the_wrong_shape_is_a_payload_error():
    """KeyError, TypeError and friends from a parser reach callers as PayloadError."""
    payload = dict(BINANCE, data={"code": "x", "title": "t", "body": 3})
    with pytest.raises(PayloadError, match="no body string"):
        parse_page(binance_page(json.dumps(payload).encode()))
    payload = {"code": "000000", "data": {"catalogs": [{"articles": ["not an entry"]}]}}
    page = Page("raw", "binance", "list", "https://www.binance.com/x", FETCHED_AT,
                json.dumps(payload).encode())  # fmt: skip
    with pytest.raises(PayloadError, match="TypeError"):
        parse_page(page)


def bare(body_text: str) -> Article:
    return Article(
        "id", "web", "web", "n", "", FETCHED_AT, "raw", title="Notice", body_text=body_text
    )


def test_enrichment_reads_the_first_characters_of_a_long_body_and_says_so():
    sentence = "Kite (KITE) rose 5% on the KITE/USDT pair in Singapore. "
    body = sentence * (2 * ENRICH_TEXT_CHARS // len(sentence))
    article = enrich(bare(body))
    assert article.body_text == body  # the body itself is whole
    assert max(m.end_offset for m in article.mentions) <= ENRICH_TEXT_CHARS
    note = "mentions, coins, pairs, topics and fingerprint of body_text: only the first"
    assert article.limits == [f"{note} {ENRICH_TEXT_CHARS:,} of {len(body):,} characters"]
    assert enrich(article).limits == article.limits  # enriched twice, noted once
    assert enrich(bare(sentence)).limits == []
    html = f"<html><body><article><h1>Wrap</h1><p>{body} ZZZ/USDT</p></article></body></html>"
    cleaned = article_json(clean_document(html, fetched_at=FETCHED_AT))
    assert cleaned["pairs"] == ["KITE/USDT"]  # ZZZ/USDT is named past the limit only
    [cut] = cleaned["limits"]
    assert cut.startswith(note)


def test_numbers_and_dates_beyond_any_real_value_are_no_mention_and_no_time():
    digits = "9" * 5_000
    text = f"${digits} and {digits} USDT and {digits}% and 百分之{digits}"
    assert [mention.text for mention in find_mentions(text)] == ["USDT"]  # the coin only
    assert parse_datetime("9" * 30) is None
    assert parse_datetime(10**30) is None
    assert parse_datetime("Sep 7, 2026 " * 1_000) is None  # dateparser would take minutes
    assert resolve_relative("99999999999 days ago", FETCHED_AT) is None
    assert resolve_relative("9999999 years ago", FETCHED_AT) is None
