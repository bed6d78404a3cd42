"""Fuzzing every transform entry point and ``exnews clean`` (issue 8): random and mutated
payloads built from the fixtures, random text. Only the project's typed errors
(``PayloadError`` and its subclasses ``LimitError`` and ``MarkupError``) may escape parsers
and ``clean_document``; the text finders raise nothing; ``exnews clean`` prints an article
or one line; every input finishes within a generous deadline.

CI runs ``EXNEWS_FUZZ_EXAMPLES`` (default 25) examples per test, about a minute in all; a
longer local run: ``EXNEWS_FUZZ_EXAMPLES=2000 pytest tests/faults/test_fuzz_transform.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flows.cli import app
from transform import Page, PayloadError, parse_page
from transform.enrich.category import category_from_title
from transform.enrich.fingerprint import fingerprint
from transform.enrich.mentions import find_mentions
from transform.enrich.symbols import find_symbols, symbol_spans
from transform.enrich.topics import find_topics
from transform.extract.clean import clean_document, known_sources
from transform.extract.dates import parse_datetime, resolve_relative
from transform.extract.language import detect_language
from transform.extract.markup import render_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOT_PAYLOADS = {"expected.json", "routes.json", "robots.txt"}
PAYLOADS = {
    source: sorted(p for p in (FIXTURES / source).iterdir() if p.name not in NOT_PAYLOADS)
    for source in known_sources()
}
FETCHED_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)
# A safety bound per input, far above what any fixture-sized input takes (tens of ms):
# a super-linear path on a few hundred kB of input shows up as a deadline failure.
DEADLINE = timedelta(seconds=10)
FUZZ = settings(
    max_examples=int(os.environ.get("EXNEWS_FUZZ_EXAMPLES", "25")),
    deadline=DEADLINE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces the finders and parsers react to, so random text reaches their branches.
TOKENS = [
    "BTC", "USDT", "ETH_USDT", "BTC/USDT", "1000PEPEUSDT", "$", "¥", "US$", "%", " percent",
    "1,250,000", "3.5", "M", " million", "亿", "万", "百分之五十", "US", "TON", "U.S.",
    "Will List ", "list ", " and ", ", ", "(", ")", "KITE", "2026-09-07 08:00 (UTC+8)",
    "Sep 7, 2026, 10:00 UTC", "2026年9月7日 14:00", "北京时间", " to ", "15h ago", "昨天",
    "Singapore", "Hong Kong", "the SEC", "hack", "airdrop", "ETF", "\n", "\n\n", " ", "\t",
    "<p>", "</p>", "<div>", "</div>", "<li>", "<table><tr><td>", "&amp;", "<!--", "<script>",
    "{", "}", "[", "]", '"', ":", "\\", "\x00", "\ufffd", "𝔘", "é",
]  # fmt: skip
text_pieces = st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))
random_text = st.one_of(
    st.lists(text_pieces, max_size=80).map("".join),
    # one piece repeated: long runs are where super-linear matching shows
    st.builds(lambda piece, times: piece * times, text_pieces, st.integers(1, 20_000)),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | random_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(random_text, inner, max_size=4),
    max_leaves=12,
)


def _containers(value: Any) -> list[Any]:
    """Every dict and list in a JSON value (iteratively: values can be deep)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            found.append(item)
            stack += item.values() if isinstance(item, dict) else item
    return found


@st.composite
def mutated_json(draw: st.DrawFn, payload: bytes) -> bytes:
    """The payload with one container member replaced, dropped, or nested very deep."""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or deepened by a first mutation
        return payload
    containers = _containers(value)
    if not containers:
        return payload
    container = draw(st.sampled_from(containers))
    keys = list(container) if isinstance(container, dict) else list(range(len(container)))
    if keys:
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["replace", "drop", "deepen"]))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "drop":
            del container[key]
        else:
            depth = draw(st.integers(1, 5_000))
            for _ in range(depth):
                container[key] = [container[key]] if depth % 2 else {"data": container[key]}
    try:
        return json.dumps(value).encode()
    except RecursionError:  # our own deepening, past what json.dumps writes: write it raw
        return b"[" * 5_000 + payload + b"]" * 5_000


@st.composite
def mutated_bytes(draw: st.DrawFn, payload: bytes) -> bytes:
    """The payload cut, with a slice dropped or repeated, or with a piece inserted."""
    size = len(payload)
    start = draw(st.integers(0, size))
    end = draw(st.integers(start, min(size, start + 2_000)))
    action = draw(st.sampled_from(["truncate", "drop", "repeat", "insert"]))
    if action == "truncate":
        return payload[:start]
    if action == "drop":
        return payload[:start] + payload[end:]
    if action == "repeat":
        return payload[:start] + payload[start:end] * draw(st.integers(2, 200)) + payload[end:]
    piece = draw(random_text).encode("utf-8", "surrogatepass")
    return payload[:start] + piece + payload[start:]


@st.composite
def fixture_payloads(draw: st.DrawFn, source: str) -> bytes:
    """A fixture of ``source``, mutated once or twice, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2_000))
    payload = draw(st.sampled_from(PAYLOADS[source])).read_bytes()
    for _ in range(draw(st.integers(1, 2))):
        if payload.lstrip()[:1] in (b"{", b"[") and draw(st.booleans()):
            payload = draw(mutated_json(payload))
        else:
            payload = draw(mutated_bytes(payload))
    return payload


@pytest.mark.parametrize("source", sorted(PAYLOADS))
@FUZZ
@given(data=st.data())
def test_parse_page_raises_only_payload_errors(source: str, data: st.DataObject):
    page = Page(
        raw_id="fuzz",
        source=source,
        page_kind=data.draw(st.sampled_from(["list", "detail", "index"])),
        url=data.draw(st.sampled_from(["", "https://www.gate.com/post/status/22604417"])),
        fetched_at=FETCHED_AT,
        body=data.draw(fixture_payloads(source)),
        feed=data.draw(st.sampled_from([None, "blog", "status", "news", "announcements"])),
        context=data.draw(st.sampled_from([None, '{"lang": "en"}'])),
    )
    try:
        articles = parse_page(page)
    except PayloadError:
        return
    assert all(article.source == source for article in articles)


@FUZZ
@given(data=st.data())
def test_clean_document_raises_only_payload_errors(data: st.DataObject):
    source = data.draw(st.sampled_from(sorted(PAYLOADS)))
    content = data.draw(
        st.one_of(fixture_payloads(source), random_text.map(str.encode), st.binary(max_size=500))
    )
    try:
        article = clean_document(
            content,
            source=data.draw(st.sampled_from([None, source])),
            url=data.draw(st.sampled_from([None, "https://www.gate.com/news/detail/x-1"])),
            fetched_at=FETCHED_AT,
        )
    except PayloadError:
        return
    assert article.fetched_at == FETCHED_AT


@FUZZ
@given(text=random_text)
def test_the_text_finders_take_any_text(text: str):
    for mention in find_mentions(text):
        assert text[mention.start_offset : mention.end_offset] == mention.text
    assert [span[1] for span in symbol_spans(text)] == [
        text[s[3] : s[4]] for s in symbol_spans(text)
    ]
    find_symbols(text)
    assert len(fingerprint(text)) == 16
    find_topics(text, text)
    detect_language(text)
    category_from_title(text)


@FUZZ
@given(text=random_text)
def test_dates_are_read_or_none(text: str):
    for moment in (parse_datetime(text), resolve_relative(text, FETCHED_AT)):
        assert moment is None or moment.tzinfo is not None


@FUZZ
@given(markup=st.lists(text_pieces, max_size=200).map("".join))
def test_render_html_raises_only_payload_errors(markup: str):
    with contextlib.suppress(PayloadError):
        render_html(markup)


@FUZZ
@given(data=st.data())
def test_exnews_clean_answers_with_an_article_or_one_line(data: st.DataObject):
    """The command itself: exit 0 with JSON, or exit 1 with one line on stderr."""
    source = data.draw(st.sampled_from(sorted(PAYLOADS)))
    document = data.draw(st.one_of(fixture_payloads(source), st.binary(max_size=500)))
    options = data.draw(st.sampled_from([[], ["--source", source]]))
    result = CliRunner().invoke(app, ["clean", "-", *options], input=document)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        assert json.loads(result.stdout)["source"] in (source, "web")
    else:
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
