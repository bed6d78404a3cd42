"""Gate News: article pages (HTML only), found through the news list page.

The list page's entries are the ``/news/detail/`` links inside ``<main>`` (site menus,
sidebars and the footer are not the feed), each dated by the ``<time datetime>`` of its
list item. An article page gives its metadata through JSON-LD ``NewsArticle``, OpenGraph
and ``<time>``, and its body through trafilatura; Gate's own trailers (risk disclaimer,
app promotion, related news) are then cut. None of this layout is documented (feeds §1.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.html

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.html import extract_article, parse_document
from transform.extract.markup import RenderedBody
from transform.model import Article, Page, PayloadError, parse_by_kind
from transform.sources.gate_announcements import gate_article, markdown_text, site_language

CATEGORY = "market_news"


def news_category(title: str) -> str:
    """News is market news unless its title says it is about something more specific."""
    category = category_from_title(title)
    return CATEGORY if category == "other" else category


# /news/detail/<id>, /news/detail/<slug>-<id>, /news/detail/<TICKER>/<slug>-<id>
_NEWS_PATH = re.compile(r"/news/detail/(?:[^/]+/)*[^/]*?(\d+)/?$")
# A paragraph starting so begins Gate's trailer: everything from it on is page chrome.
_TRAILER = re.compile(
    r"^(?:disclaimer|risk warning|related news|trade crypto anywhere|scan to download"
    r"|download (?:the )?gate app)\b",
    re.I,
)
_LINK_XPATH = './/a[contains(@href, "/news/detail/")][not(ancestor::aside or ancestor::nav)]'
_ARTICLE_XPATH = (
    '//meta[@property="og:type"][@content="article"] | //article'
    ' | //script[@type="application/ld+json"][contains(., "NewsArticle")]'
)


@dataclass(frozen=True)
class NewsLink:
    """One entry of the news list page."""

    url: str
    native_id: str
    title: str
    summary: str | None
    published_at: datetime | None


def native_id(url: str) -> str | None:
    """The numeric id that ends every news article path."""
    match = _NEWS_PATH.search(urlsplit(url).path)
    return match[1] if match else None


def _text(element: lxml.html.HtmlElement | None) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip() if element is not None else ""


def _first(elements: list[lxml.html.HtmlElement]) -> lxml.html.HtmlElement | None:
    return elements[0] if elements else None


def news_links(document: lxml.html.HtmlElement, base_url: str) -> list[NewsLink]:
    """The list page's entries in page order, each once."""
    main = _first(document.xpath("//main"))
    main = document if main is None else main
    links: dict[str, NewsLink] = {}
    for anchor in main.xpath(_LINK_XPATH):
        url = urljoin(base_url, anchor.get("href", "")).split("#")[0].split("?")[0]
        news_id = native_id(url)
        if news_id is None or url in links:
            continue
        item = _first(anchor.xpath("ancestor::*[self::li or self::article][1]"))
        scope = item if item is not None else anchor
        heading = _first(scope.xpath(".//*[self::h2 or self::h3 or self::h4]"))
        times = scope.xpath(".//time/@datetime")
        links[url] = NewsLink(
            url=url,
            native_id=news_id,
            title=_text(heading) or _text(anchor),
            summary=_text(_first(scope.xpath(".//p"))) or None,
            published_at=parse_datetime(times[0]) if times else None,
        )
    return list(links.values())


def next_page(document: lxml.html.HtmlElement, base_url: str) -> str | None:
    """The page's own ``rel=next`` link: Gate's list paging is not documented."""
    hrefs = document.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href')
    return urljoin(base_url, hrefs[0]) if hrefs else None


def _without_trailer(markdown: str) -> str:
    """The Markdown up to the first block of Gate's trailer."""
    blocks = markdown.split("\n\n")
    end = next((i for i, block in enumerate(blocks) if _TRAILER.match(block.lstrip("#*> "))), None)
    return "\n\n".join(blocks[:end]).strip()


def parse_list(page: Page) -> list[Article]:
    """Every list entry as a partial article (title, time, summary)."""
    links = news_links(parse_document(page.body), page.url)
    if not links:
        raise PayloadError("news list page has no /news/detail/ links")
    language = site_language(page.context_value("lang"))
    articles = []
    for link in links:
        article = gate_article(
            page,
            link.native_id,
            link.url,
            link.title,
            language,
            summary=link.summary,
            published_at=link.published_at,
            category=news_category(link.title),
        )
        article.partial = True
        articles.append(article)
    return articles


def parse_detail(page: Page) -> Article:
    """One news article; a page that does not declare itself an article is not one."""
    document = parse_document(page.body)
    if not document.xpath(_ARTICLE_XPATH):
        raise PayloadError("not a news article page (no NewsArticle, og:type article, <article>)")
    extracted = extract_article(document, page.url)
    metadata = extracted.metadata
    markdown = _without_trailer(extracted.body_markdown)
    text = markdown_text(markdown)
    if not text:
        raise PayloadError("news article has no text before its disclaimer")
    canonical = metadata.canonical_url or ""
    url = canonical if native_id(canonical) else page.url
    news_id = page.native_id or native_id(url)
    title = metadata.title or page.context_value("title")
    if not news_id or not title:
        raise PayloadError("news article without an id in its URL or a title")
    section = _section(document)
    return gate_article(
        page,
        news_id,
        url,
        title,
        metadata.language or site_language(page.context_value("lang")),
        RenderedBody(text, markdown),
        summary=metadata.summary,
        author=metadata.author,
        published_at=metadata.published_at or parse_datetime(page.context_value("published_at")),
        updated_at=metadata.updated_at,
        category=news_category(title),
        source_categories=[section] if section else [],
    )


def _section(document: lxml.html.HtmlElement) -> str | None:
    """Gate's own section label (``article:section``), kept as the source category."""
    sections = document.xpath('//meta[@property="article:section"]/@content')
    return sections[0].strip() or None if sections else None


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
