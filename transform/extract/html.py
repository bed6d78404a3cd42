"""Any HTML article page: metadata from JSON-LD, OpenGraph and ``<time>``, body from the
page's embedded JSON where a source rule knows it, otherwise trafilatura's boilerplate removal.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import MANUALLY_CLEANED, Extractor
from trafilatura.utils import safe_base_url, safe_relative_url
from trafilatura.xml import xmltotxt

from transform.extract.dates import parse_datetime
from transform.limits import LimitError, load_json
from transform.model import PayloadError

_ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "Report", "TechArticle"})


@dataclass(frozen=True)
class PageMetadata:
    """What the page says about itself, JSON-LD first, then OpenGraph, then plain HTML."""

    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    body_text: str | None = None


@dataclass(frozen=True)
class HtmlArticle:
    metadata: PageMetadata
    body_text: str
    body_markdown: str


# Comments and processing instructions are never text: dropped while parsing, as trafilatura
# drops them from the pages it parses itself; nor is a table of ids kept (nothing looks an
# element up by its id), as trafilatura's parser keeps none.
_UTF8_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
)
_DECLARED_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
# One trafilatura extraction per page: main text without comments, tables kept, links and
# formatting kept for the Markdown (the text drops them again), precision first. Fast mode
# first: trafilatura's second opinion (readability, then justext, on copies of the page)
# about doubles its time, and on the quality set and the fixtures it changed no body where
# fast mode finds one. Where it finds none (a status page of short dated updates, an error
# page) the page is read again with the second opinion, as before, so that what had a body
# keeps it and what was refused still is.
_OUTPUT: dict[str, Any] = {
    "output_format": "markdown",
    "tables": True,
    "comments": False,
    "links": True,
    "formatting": True,
    "precision": True,
}
_EXTRACTIONS: tuple[dict[str, Any], ...] = ({**_OUTPUT, "fast": True}, _OUTPUT)
# Menus, sidebars and footers: most of a page's elements, and deleted whatever they hold by
# trafilatura's cleaning as long as its ``MANUALLY_CLEANED`` (which users may change) names them.
_BOILERPLATE = ("nav", "aside", "footer")


@cache
def _extractors() -> tuple[Extractor, ...]:
    """trafilatura's options for each extraction, built once: building them reads its
    configuration, which costs as much per page as the metadata."""
    return tuple(Extractor(**options) for options in _EXTRACTIONS)


def _for_page(extractor: Extractor, url: str | None, *, links: bool = True) -> Extractor:
    """A copy of ``extractor`` for the page at ``url`` (a copy: threads share the built
    one), its URL set as ``Extractor(url=url)`` sets it; without ``links``, trafilatura
    leaves the links as written and the URL only names the page in its log."""
    options = copy.copy(extractor)
    options.url = url if links else None
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_document(html: str | bytes) -> lxml.html.HtmlElement:
    """The page as a tree; bytes that are valid UTF-8 are read as UTF-8.

    Left alone, libxml2 reads bytes without a ``<meta charset>`` as Latin-1, whatever the
    server declared, and "USD\u24c8" in a page's embedded JSON becomes mojibake. Valid UTF-8
    is almost never anything else, so it wins over a missing or wrong declaration; other
    bytes keep the page's own ``<meta charset>`` (GBK, Latin-1, ...).
    """
    if not html or not html.strip():
        raise PayloadError("empty HTML page")
    parser = _UTF8_PARSER if isinstance(html, bytes) and _is_utf8(html) else _DECLARED_PARSER
    try:
        return lxml.html.document_fromstring(html, parser=parser)
    except (ValueError, lxml.etree.ParserError) as error:
        raise PayloadError(f"unreadable HTML: {error}") from error


def script_json(document: lxml.html.HtmlElement, script_id: str) -> Any | None:
    """The JSON of ``<script id=script_id>`` (``__NEXT_DATA__``, ``appState``, ...), if any."""
    for script in document.xpath(f'//script[@id="{script_id}"]'):
        try:
            return load_json(script.text_content(), f"script #{script_id}")
        except LimitError:
            raise
        except ValueError as error:
            raise PayloadError(f"script #{script_id} is not JSON: {error}") from error
    return None


def _json_ld_articles(scripts: list[lxml.html.HtmlElement]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in scripts:
        try:
            data = load_json(script.text_content(), "JSON-LD")
        except ValueError:
            continue  # a broken JSON-LD block is common and not the article's fault
        queue = deque(data if isinstance(data, list) else [data])
        while queue:
            item = queue.popleft()
            if not isinstance(item, dict):
                continue
            graph = item.get("@graph")
            queue.extend(graph if isinstance(graph, list) else [])
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(isinstance(kind, str) and kind in _ARTICLE_TYPES for kind in kinds):
                found.append(item)
    return found


@dataclass
class _HeadTags:
    """What the metadata reads off a page, gathered in one walk of the tree (a query per
    field walked it once each): the first of each, in document order."""

    meta: dict[str, str]  # property or name -> first non-empty content
    json_ld: list[lxml.html.HtmlElement]
    time: str | None = None  # the first <time datetime>
    h1: lxml.html.HtmlElement | None = None
    title: str | None = None  # the first <title>'s text
    canonical: str | None = None

    @classmethod
    def of(cls, document: lxml.html.HtmlElement) -> _HeadTags:
        tags = cls(meta={}, json_ld=[])
        for element in document.iter("meta", "script", "time", "h1", "title", "link"):
            tag, get = element.tag, element.get
            if tag == "meta":
                content = (get("content") or "").strip()
                for key in (get("property"), get("name")):
                    if content and key is not None:
                        tags.meta.setdefault(key, content)
            elif tag == "script":
                if get("type") == "application/ld+json":
                    tags.json_ld.append(element)
            elif tag == "time":
                if tags.time is None:
                    tags.time = get("datetime")
            elif tag == "h1":
                tags.h1 = element if tags.h1 is None else tags.h1
            elif tag == "title":
                tags.title = (element.text or "") if tags.title is None else tags.title
            elif tags.canonical is None and get("rel") == "canonical":
                tags.canonical = get("href")
        return tags

    def first(self, *names: str) -> str | None:
        return next((self.meta[name] for name in names if name in self.meta), None)


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [_author(item) for item in value]
        return ", ".join(name for name in names if name) or None
    if isinstance(value, dict):
        return _author(value.get("name"))
    return value if isinstance(value, str) else None


def page_metadata(document: lxml.html.HtmlElement) -> PageMetadata:
    tags = _HeadTags.of(document)
    found = next(iter(_json_ld_articles(tags.json_ld)), {})
    # JSON-LD is whatever the site wrote: a field that is no string is no value.
    ld = {key: value for key, value in found.items() if isinstance(value, str)}
    return PageMetadata(
        title=ld.get("headline")
        or tags.first("og:title", "twitter:title")
        or (tags.h1.text_content().strip() if tags.h1 is not None else None)
        or (tags.title or "").strip()
        or None,
        summary=ld.get("description") or tags.first("og:description", "description"),
        author=_author(found.get("author")) or tags.first("article:author", "author"),
        published_at=parse_datetime(
            ld.get("datePublished") or tags.first("article:published_time", "pubdate") or tags.time
        ),
        updated_at=parse_datetime(ld.get("dateModified") or tags.first("article:modified_time")),
        language=(ld.get("inLanguage") or document.get("lang") or "").split("-")[0] or None,
        canonical_url=tags.canonical,
        body_text=ld.get("articleBody"),
    )


def _clean(text: str | None) -> str:
    return re.sub(r"\n{3,}", "\n\n", text or "").strip()


def _drop_title(body: str, title: str) -> str:
    first, _, rest = body.partition("\n")
    return rest.strip() if first.lstrip("# ").strip() == title.strip() else body


def main_text(document: lxml.html.HtmlElement, url: str | None = None) -> tuple[str, str]:
    """The page's main text and its Markdown, from one trafilatura extraction (two when the
    fast one finds nothing).

    The fast extraction reads a copy of the page without the sections trafilatura deletes
    unread (:func:`_without_boilerplate`), and the body's links are made absolute once it
    is found (:func:`_resolve_links`); the second opinion reads the whole page, as its
    readability and justext judge the page as a whole. Either gives the body trafilatura
    gives on the whole page, and ``document`` stays whole for the caller. The extraction
    keeps links and formatting for the Markdown; the text is the same body rendered without
    them, as ``trafilatura.extract(..., output_format="txt")`` gives it.
    """
    fast, second_opinion = _extractors()
    attempts = ((fast, _without_boilerplate(document), False), (second_opinion, document, True))
    for extractor, page, links in attempts:
        options = _for_page(extractor, url, links=links)
        extracted = trafilatura.bare_extraction(page, options=options)
        if extracted is not None and extracted.body is not None:
            if not links:
                _resolve_links(extracted.body, url)
            text, markdown = _rendered(extracted.body)
            if text:
                return text, markdown
    return "", ""


def _resolve_links(body: lxml.etree._Element, url: str | None) -> None:
    """The body's links made absolute as trafilatura makes them (against the site's base
    URL), here for the few links of the body rather than by trafilatura for every link of
    the page: 0.4 ms a page of the benchmark, 3 ms where the menus are plain ``div``s."""
    base_url = url and safe_base_url(url)
    if base_url:
        for link in body.iter("ref"):
            if target := link.get("target"):
                link.set("target", safe_relative_url(base_url, target) or target)


def _without_boilerplate(document: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A copy of ``document`` without the ``_BOILERPLATE`` sections trafilatura's cleaning
    deletes unread (tail text kept, as here), or ``document`` itself where that cannot be
    known in advance.

    The fast extraction gives the same body either way, about twice as fast on pages whose
    menus, sidebars and footers are most of their elements: trafilatura's passes over the raw
    page (XPath with a regular expression tried on every ``div``) and its copies of the page
    see only what is left. Kept for trafilatura to judge:

    * a section holding an ``<h1>`` or JSON-LD: trafilatura reads those in the raw page
      (whether a scrolling container is the article, whether the page is a forum thread);
    * every section of a page where an element of a tag trafilatura's cleaning deletes sits
      in another of its tag (a menu in a menu): its deletion loop then stops at the inner
      one, and what it leaves depends on the order of its whole tag list.

    Tested against trafilatura on the whole page in tests/transform/test_html.py.
    """
    cleaned = [tag for tag in MANUALLY_CLEANED if tag != "form"]  # forms: judged by their text
    boilerplate = [tag for tag in _BOILERPLATE if tag in cleaned]
    if next(document.iter(boilerplate), None) is None or any(
        next(element.iterancestors(element.tag), None) is not None
        for element in document.iter(cleaned)
    ):
        return document
    copied = copy.deepcopy(document)
    for section in list(copied.iter(boilerplate)):
        if not any(
            element.tag == "h1" or element.get("type") == "application/ld+json"
            for element in section.iter("h1", "script")
        ):
            section.drop_tree()
    return copied


def _rendered(body: lxml.etree._Element) -> tuple[str, str]:
    """trafilatura's body as plain text (links are their words) and as Markdown; the body
    is the extraction's own, so its links are stripped in place once the Markdown (which
    renders from a copy) is done."""
    markdown = xmltotxt(body, include_formatting=True)
    lxml.etree.strip_tags(body, "ref")
    text = xmltotxt(body, include_formatting=False)
    return _clean(unicodedata.normalize("NFC", text)), _clean(
        unicodedata.normalize("NFC", markdown)
    )


def extract_article(
    page: str | bytes | lxml.html.HtmlElement, url: str | None = None
) -> HtmlArticle:
    """Metadata and main text of an article page whose layout no source rule knows; a
    parsed page (``parse_document``) is read as it is, never parsed again."""
    document = page if isinstance(page, lxml.html.HtmlElement) else parse_document(page)
    metadata = page_metadata(document)
    text, markdown = main_text(document, url)
    if metadata.title:  # trafilatura keeps the page's h1; the title has its own column
        text, markdown = _drop_title(text, metadata.title), _drop_title(markdown, metadata.title)
    if not text and metadata.body_text:
        text = markdown = _clean(metadata.body_text)
    if not text:
        raise PayloadError("no article text found on the page")
    return HtmlArticle(metadata, text, markdown or text)
