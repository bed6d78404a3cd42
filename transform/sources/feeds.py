"""RSS feeds (Statuspage incident histories, blogs) and the article fields feed sources share.

Feeds vary in the small things (namespaces, CDATA or entity-escaped HTML, absent elements),
so items are read by namespace and local name, and every field may be missing.
Statuspage's ``history.rss`` holds each incident whole (every update in ``<description>``),
so its items are complete articles with no detail page to fetch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError

LANGUAGE = "en"

# Namespace -> key prefix; elements of any other namespace (atom:link, media:*) are ignored.
_NAMESPACES = {
    None: "",
    "http://purl.org/dc/elements/1.1/": "dc:",
    "http://purl.org/rss/1.0/modules/content/": "content:",
}
_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)

# Blog labels (category names or slugs) -> taxonomy; the first rule any label matches wins.
_LABEL_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern, re.IGNORECASE))
    for category, pattern in (
        ("listing", r"\blistings?\b|\bnew assets?\b"),
        ("security", r"\bsecurity\b"),
        ("maintenance", r"\bmaintenance\b"),
        ("regulation", r"\bpolicy\b|\bregulat|\blegal\b|\bcompliance\b"),
        ("promotion", r"\bpromotions?\b|\bcampaigns?\b|\bgiveaways?\b"),
        ("market_news", r"\bmarkets?\b|\bresearch\b|\bintelligence\b|\binsights?\b"),
        (
            "product",
            r"\bproducts?\b|\bfeatures?\b|\bderivatives\b|\bfutures\b|\bstaking\b|\bwallet\b"
            r"|\bpayments?\b|\binstitutional\b|\bdevelopers?\b",
        ),
    )
)
# Statuspage titles that name a security event; anything else unscheduled is an incident.
_SECURITY_TITLE = re.compile(
    r"\bsecurity\b|\bphishing\b|\bhack|\bexploit|\bunauthori[sz]ed\b|\bcompromis|\bbreach\b"
    r"|\bddos\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FeedItem:
    """One ``<item>``: text of the elements it has, None for those it lacks."""

    title: str | None = None
    link: str | None = None
    guid: str | None = None
    published: str | None = None
    description: str | None = None
    content: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    maintenance_end: str | None = None

    @property
    def native_id(self) -> str | None:
        """The last segment of the item's URL (a Statuspage incident id, a blog slug)."""
        for value in (self.link, self.guid):
            segment = urlsplit(value or "").path.rstrip("/").rpartition("/")[2]
            if segment:
                return segment
        return None


def _key(element: lxml.etree._Element) -> str | None:
    if not isinstance(element.tag, str):
        return None
    name = lxml.etree.QName(element)
    prefix = _NAMESPACES.get(name.namespace)
    return None if prefix is None else prefix + name.localname


def _item(element: lxml.etree._Element) -> FeedItem:
    texts: dict[str, str] = {}
    categories: list[str] = []
    for child in element:
        key = _key(child)
        text = "".join(child.itertext()).strip()
        if key is None or not text:
            continue
        if key == "category":
            categories.append(text)
        else:
            texts.setdefault(key, text)
    return FeedItem(
        title=texts.get("title"),
        link=texts.get("link"),
        guid=texts.get("guid"),
        published=texts.get("pubDate") or texts.get("dc:date"),
        description=texts.get("description"),
        content=texts.get("content:encoded"),
        author=texts.get("dc:creator") or texts.get("author"),
        categories=tuple(categories),
        maintenance_end=texts.get("maintenanceEndDate"),
    )


def feed_items(body: bytes) -> list[FeedItem]:
    """The items of an RSS 2.0 feed, in feed order."""
    try:
        root = lxml.etree.fromstring(body.strip(), _PARSER)
    except lxml.etree.XMLSyntaxError as error:
        raise PayloadError(f"feed is not XML: {error}") from error
    if _key(root) != "rss":
        raise PayloadError(f"not an RSS feed: root element {root.tag!r}")
    return [_item(element) for element in root.iter() if _key(element) == "item"]


def plain_text(fragment: str | None) -> str | None:
    """An HTML snippet (a title, an excerpt) as one line of text; None when empty."""
    if not fragment or not fragment.strip():
        return None
    element = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return " ".join(element.text_content().split()) or None


def blog_category(labels: Iterable[str], title: str) -> str:
    """The blog's own labels first, then the title rules.

    A listings label also files delistings, so the title decides between the two.
    """
    labels = list(labels)
    for category, pattern in _LABEL_RULES:
        if any(pattern.search(label) for label in labels):
            if category == "listing" and category_from_title(title) == "delisting":
                return "delisting"
            return category
    return category_from_title(title)


def feed_article(
    page: Page,
    *,
    native_id: str,
    url: str,
    title: str,
    published_at: datetime | None,
    category: str,
    body: RenderedBody | None = None,
    summary: str | None = None,
    author: str | None = None,
    source_categories: Iterable[str] = (),
    updated_at: datetime | None = None,
    partial: bool = False,
) -> Article:
    """An article of a feed source (the source key is the exchange), coins from its text."""
    return Article.from_page(
        page,
        native_id=native_id,
        url=url,
        language=LANGUAGE,
        title=title,
        body=body,
        partial=partial,
        feed=page.feed,
        summary=summary,
        author=author,
        published_at=published_at,
        updated_at=updated_at,
        category=category,
        source_categories=list(source_categories),
        translated=False,
    )


def incident_category(item: FeedItem, title: str) -> str:
    """Scheduled maintenance (Statuspage gives it an end date), security, or other."""
    if item.maintenance_end or re.search(r"\bmaintenance\b", title, re.IGNORECASE):
        return "maintenance"
    return "security" if _SECURITY_TITLE.search(title) else "other"


def incident_article(page: Page, item: FeedItem) -> Article:
    """One Statuspage incident: the description is its whole history of updates."""
    native_id = item.native_id
    if not item.title or not item.link or not native_id or not item.description:
        raise PayloadError(f"incident item lacks title, link or description: {item.title!r}")
    published_at = parse_datetime(item.published)
    if published_at is None:
        raise PayloadError(f"incident {native_id} has no readable pubDate: {item.published!r}")
    title = " ".join(item.title.split())
    return feed_article(
        page,
        native_id=native_id,
        url=item.link,
        title=title,
        published_at=published_at,
        category=incident_category(item, title),
        body=render_html(item.description),
        source_categories=["scheduled maintenance" if item.maintenance_end else "incident"],
    )


def status_articles(page: Page) -> list[Article]:
    """Every incident of a Statuspage ``history.rss``."""
    return [incident_article(page, item) for item in feed_items(page.body)]


def feed_of(page: Page) -> str:
    """The page's feed; a page stored or cleaned without one is told by its host."""
    if page.feed:
        return page.feed
    return "status" if (urlsplit(page.url).hostname or "").startswith("status.") else "blog"
