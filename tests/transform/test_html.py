"""The generic HTML extractor hands trafilatura's fast extraction a page without its menus,
sidebars and footers (``_without_boilerplate``) and makes the body's links absolute itself
(``_resolve_links``), for speed only: text and Markdown must be what trafilatura's public
API gives on the whole page, on pages built to hit every way the two could differ.
"""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html
import pytest
import trafilatura
from hypothesis import example, given, settings
from hypothesis import strategies as st
from trafilatura.settings import MANUALLY_CLEANED

from bench.news_pages import NewsPage, news_pages
from transform.extract.html import _rendered, _without_boilerplate, main_text, parse_document

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = st.sampled_from(
    [
        "Gate will list Walrus (WAL) for spot trading on 2026-12-01 at 10:00 UTC, and deposits "
        "open an hour before; withdrawals follow the next day once the wallet is stable.",
        "Binance will delist BSU/USDT and A2Z/USDC on 2026-12-05 after a review found that the "
        "projects no longer meet the standards the exchange expects of the tokens it lists.",
        "Home",
        "Read more",
        "Comments (3)",
        "比特币周一上涨百分之五，交易员在美联储会议前买入，成交量创下三个月来的新高。",
    ]
)
# Tails are text too: trafilatura keeps a deleted section's tail, and so must the copy.
TAILS = st.sampled_from(["", " ", "\n  ", " and a tail sentence that carries on after it."])
# What trafilatura reads of the raw page before its cleaning: comment sections, infinite
# scroll containers (whether they hold the <h1>), forum threads (JSON-LD), share buttons.
ATTRIBUTES = st.sampled_from(
    [
        "",
        ' class="content"',
        ' id="comments"',
        ' class="post-comments"',
        ' class="infinite-scroll"',
        ' id="mvp-post-add-box"',
        ' class="elementor-share-buttons"',
        ' class="sidebar"',
    ]
)
CONTAINERS = st.sampled_from(
    [
        "div",
        "section",
        "article",
        "main",
        "header",
        "nav",
        "aside",
        "footer",
        "form",
        "ul",
        "figure",
    ]
)
HREFS = st.sampled_from(
    [
        *("/news/1", "news/2?a=1&b=2", "../up", "//cdn.example.org/x", "https://other.org/a b"),
        *("#top", "mailto:desk@example.com", "", "javascript:void(0)", "http://[::1"),
    ]
)
# The page's own URL: links resolve against its site; a malformed one leaves them as written.
URLS = st.sampled_from([None, "https://www.example.com/news/2026/story?id=1", "http://[bad"])
FORUM = '<script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script>'


def _element(tag: str, attributes: str, inner: str, tail: str) -> str:
    return f"<{tag}{attributes}>{inner}</{tag}>{tail}"


LEAVES = st.one_of(
    st.builds(
        _element, st.sampled_from(["p", "h1", "h2", "li", "span"]), ATTRIBUTES, SENTENCES, TAILS
    ),
    st.builds(
        lambda href, text, tail: f'<a href="{href}">{text}</a>{tail}', HREFS, SENTENCES, TAILS
    ),
    st.just(FORUM),
    st.just('<math alttext="x^2"><mi>x</mi></math>'),
)
BLOCKS = st.recursive(
    LEAVES,
    lambda children: st.builds(
        lambda tag, attributes, inner, tail: _element(tag, attributes, "".join(inner), tail),
        CONTAINERS,
        ATTRIBUTES,
        st.lists(children, max_size=4),
        TAILS,
    ),
    max_leaves=14,
)


def _page(blocks: list[str]) -> str:
    return f"<html><head><title>T</title></head><body>{''.join(blocks)}</body></html>"


def _trafilatura_main_text(document: lxml.html.HtmlElement, url: str | None) -> tuple[str, str]:
    """``main_text`` as trafilatura's public API gives it: the fast extraction, else the
    second opinion, each on the whole page with trafilatura resolving the links."""
    for fast in (True, False):
        extracted = trafilatura.bare_extraction(
            document,
            url=url,
            fast=fast,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            include_links=True,
            include_formatting=True,
            output_format="markdown",
        )
        if extracted is not None and extracted.body is not None:
            text, markdown = _rendered(extracted.body)
            if text:
                return text, markdown
    return "", ""


def _assert_same_body(html: str | bytes, url: str | None) -> None:
    document = parse_document(html)
    whole = lxml.html.tostring(document)
    assert main_text(document, url) == _trafilatura_main_text(document, url)
    assert lxml.html.tostring(document) == whole  # the caller's page stays whole


LISTING = (
    "Gate will list Walrus (WAL) for spot trading on 2026-12-01 at 10:00 UTC, and deposits "
    "open an hour before; withdrawals follow the next day once the wallet is stable."
)


@settings(max_examples=400, deadline=None)
@given(st.lists(BLOCKS, min_size=1, max_size=5), URLS)
# An infinite-scroll container is pruned unless it holds the <h1>, here in its sidebar.
@example(
    [
        f'<p>{LISTING}</p><div class="infinite-scroll"><aside><h1>Title</h1></aside>'
        f"<p>{LISTING} {LISTING}</p></div>"
    ],
    None,
)
# A forum thread's JSON-LD in its footer: its comment list is posts, kept in the body.
@example(
    [
        f'<article><p>{LISTING}</p><dl id="comments"><dd>{LISTING} {LISTING}</dd></dl>'
        f"</article><footer>{FORUM}</footer>"
    ],
    None,
)
# A menu in a menu: trafilatura's deletion loop stops at the inner one and keeps the next.
@example([f"<p>{LISTING}</p><nav><nav></nav></nav><nav><p>{LISTING} {LISTING}</p></nav>"], None)
# The same for any tag it deletes: a figure in a figure, the inner one in a menu.
@example(
    [
        f"<p>{LISTING}</p><figure><nav><figure></figure></nav></figure>"
        f"<figure><p>{LISTING} {LISTING}</p></figure>"
    ],
    None,
)
# A menu's tail is article text.
@example([f"<article><p>{LISTING}</p><nav>Home</nav>{LISTING}<p>{LISTING}</p></article>"], None)
# A relative link in the body, resolved against the page's site.
@example(
    [f'<article><p>{LISTING} <a href="../up">more</a></p></article>'],
    "https://www.example.com/news/2026/story",
)
def test_the_same_text_and_markdown_as_trafilatura_on_the_whole_page(
    blocks: list[str], url: str | None
) -> None:
    _assert_same_body(_page(blocks), url)


@pytest.mark.parametrize("page", news_pages(20), ids=lambda page: page.name)
def test_the_same_on_the_benchmark_pages(page: NewsPage) -> None:
    _assert_same_body(page.html, page.url)


FIXTURES = sorted(
    path for path in (ROOT / "tests" / "fixtures").rglob("*.htm*") if path.stat().st_size
)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_the_same_on_the_fixture_pages(path: Path) -> None:
    _assert_same_body(path.read_bytes(), f"https://www.example.com/{path.parent.name}/{path.name}")


def test_a_section_trafilatura_keeps_is_kept() -> None:
    """Users may take a tag out of trafilatura's ``MANUALLY_CLEANED``; the copy follows."""
    document = parse_document(_page(["<nav><p>Menu</p></nav><aside><p>Side</p></aside>"]))
    position = MANUALLY_CLEANED.index("nav")
    del MANUALLY_CLEANED[position]
    try:
        copied = _without_boilerplate(document)
    finally:
        MANUALLY_CLEANED.insert(position, "nav")
    assert [element.tag for element in copied.iter("nav", "aside")] == ["nav"]
