"""Gate Square posts (``https://www.gate.com/post/status/<id>``): feed cards and post pages.

The page structure is undocumented (reference §1.7). Metadata comes from what the page
embeds when present: JSON-LD (a ``SocialMediaPosting``: author, time, interaction
counts), ``__NEXT_DATA__`` (post ids with their creation time, on feed and post pages),
OpenGraph and ``<time>``; the post itself, its bar and its comments from the rendered
text (:mod:`transform.sources.gate_square_text`), which is also what :func:`parse_text` reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.html

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.html import page_metadata, parse_document, script_json
from transform.limits import load_json
from transform.model import Article, Page, PayloadError, RenderedBody, parse_by_kind
from transform.sources.gate_square_text import TextPost, page_lines, read_post, resolve_time

SOURCE = "gate_square"
EXCHANGE = "gate"
FEED = "square"
# Pages are fetched in English: a post id is one article per site language, whatever
# language its author wrote in (``Article.language`` says that one).
SITE_LANGUAGE = "en"
ARTICLE_URL = "https://www.gate.com/post/status/{post_id}"
STATUS_PATH = re.compile(r"/post/status/(\d+)")
HEADLINE_LIMIT = 160

_POSTING_TYPES = frozenset({"SocialMediaPosting", "DiscussionForumPosting", "Article"})
_INTERACTIONS = {
    "LikeAction": "likes",
    "ViewAction": "views",
    "WatchAction": "views",
    "CommentAction": "comments",
    "ShareAction": "shares",
}
# Keys under which a __NEXT_DATA__ post record keeps its creation time (UNVERIFIED shape).
_NEXT_TIME_KEYS = ("created_at", "create_time", "createTime", "created_t", "publish_time")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s)|[。！？]")
# A full stop that ends no sentence: "U.S. Department", "Dr. Smith".
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|vs|etc|Inc|Ltd|No)\.$")
# The shared title rules read "launching a crackdown" as a product launch; a community
# post about fraud, scams or a crackdown is regulation news.


@dataclass(frozen=True)
class ListEntry:
    """One post on a feed or topic page: its id, the time the page gives it, its card."""

    post_id: str
    published_at: datetime | None
    card: lxml.html.HtmlElement


def post_id_from_url(url: str) -> str:
    match = STATUS_PATH.search(url)
    if match is None:
        raise PayloadError(f"not a Gate Square post URL: {url}")
    return match[1]


def list_entries(document: lxml.html.HtmlElement, fetched_at: datetime) -> list[ListEntry]:
    """Every post a feed page links to, in page order, with the best time it shows.

    The links are the discovery; ``__NEXT_DATA__`` only dates them (its records' shape is
    unknown, so no id is taken from it alone). A card is the largest element around a
    post's link that links to no other post; its time is a ``<time datetime>`` in it, else
    the post's ``__NEXT_DATA__`` record, else the link's relative text ("1h ago").
    """
    next_times = _next_data_times(document)
    entries: dict[str, ListEntry] = {}
    for link in document.xpath('//a[contains(@href, "/post/status/")]'):
        linked = _linked_posts(link)
        if len(linked) != 1 or (post_id := linked.pop()) in entries:
            continue
        card = _card(link, post_id)
        stamps = card.xpath(".//time/@datetime")
        published_at = (
            (parse_datetime(stamps[0]) if stamps else None)
            or next_times.get(post_id)
            or resolve_time(link.text_content().strip(), fetched_at)
        )
        entries[post_id] = ListEntry(post_id, published_at, card)
    return list(entries.values())


def _linked_posts(element: lxml.html.HtmlElement) -> set[str]:
    hrefs = element.xpath("descendant-or-self::a/@href")
    return {match[1] for href in hrefs if (match := STATUS_PATH.search(href))}


def _card(link: lxml.html.HtmlElement, post_id: str) -> lxml.html.HtmlElement:
    card = link
    for parent in link.iterancestors():
        if parent.tag == "body" or _linked_posts(parent) != {post_id}:
            break
        card = parent
    return card


def _next_data_times(document: lxml.html.HtmlElement) -> dict[str, datetime]:
    """Post id -> creation time of every record in ``__NEXT_DATA__`` that has both."""
    times: dict[str, datetime] = {}
    stack: list[Any] = [script_json(document, "__NEXT_DATA__")]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack += item
        elif isinstance(item, dict):
            stack += item.values()
            stamp = next((item[key] for key in _NEXT_TIME_KEYS if item.get(key)), None)
            moment = parse_datetime(stamp) if isinstance(stamp, str | int | float) else None
            if item.get("id") is not None and moment is not None:
                times[str(item["id"])] = moment
    return times


def _posting(document: lxml.html.HtmlElement) -> dict[str, Any]:
    """The page's JSON-LD posting (``SocialMediaPosting``), or an empty dict."""
    for script in document.xpath('//script[@type="application/ld+json"]'):
        try:
            data = load_json(script.text_content(), "JSON-LD")
        except ValueError:
            continue  # a broken (or absurdly deep) JSON-LD block leaves the post readable
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("@type") in _POSTING_TYPES:
                return item
    return {}


def _posting_counts(posting: dict[str, Any]) -> dict[str, int]:
    """``interactionStatistic`` counters as engagement keys (likes, views, ...)."""
    counts: dict[str, int] = {}
    statistics = posting.get("interactionStatistic") or []
    for counter in statistics if isinstance(statistics, list) else [statistics]:
        kind = counter.get("interactionType") if isinstance(counter, dict) else None
        kind = kind.get("@type") if isinstance(kind, dict) else kind
        key = _INTERACTIONS.get(str(kind).rsplit("/", 1)[-1])
        if key and isinstance(counter.get("userInteractionCount"), int):
            counts[key] = counter["userInteractionCount"]
    return counts


def _posting_author(posting: dict[str, Any]) -> str | None:
    author = posting.get("author")
    return author.get("name") if isinstance(author, dict) else None


def headline(paragraph: str) -> str:
    """The first sentence of a post's first line, for posts without a title of their own."""
    line = paragraph.split("\n", 1)[0]
    ends = (
        m.end() for m in _SENTENCE_END.finditer(line) if not _ABBREVIATION.search(line[: m.end()])
    )
    sentence = line[: next(ends, len(line))].strip()
    if len(sentence) <= HEADLINE_LIMIT:
        return sentence
    cut = sentence[: HEADLINE_LIMIT - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def language(text: str) -> str:
    """ "zh" when Chinese characters carry the text, else the site's English."""
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    return "zh" if cjk * 3 > len(re.findall(r"[A-Za-z]", text)) else SITE_LANGUAGE


def _article(
    post_id: str,
    post: TextPost,
    *,
    fetched_at: datetime,
    raw_ref: str,
    title: str | None = None,
    partial: bool = False,
) -> Article:
    """One post as an article; a title-less post is headed by its first sentence.

    A feed card's text is a summary, never the body, and its figures are left to the post
    page (a card shows fewer: no views, no likes).
    """
    paragraphs = post.paragraphs
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    text = "\n\n".join(paragraphs)
    title = title or headline(text)
    url = ARTICLE_URL.format(post_id=post_id)
    article = Article.read(
        source=SOURCE,
        exchange=EXCHANGE,
        native_id=post_id,
        url=url,
        fetched_at=fetched_at,
        raw_ref=raw_ref,
        language=SITE_LANGUAGE,  # the id's; the post's own language is set below
        title=title,
        body=None if partial else RenderedBody(text, re.sub(r"^• ", "- ", text, flags=re.M)),
        partial=partial,
        feed=FEED,
        summary=text if partial else None,
        author=post.author,
        published_at=post.posted_at,
        category=category_from_title(title),
        engagement=None if partial else post.engagement,
        translated=post.translated,
        comments=[] if partial else post.comments,
    )
    article.language = language(f"{title}\n{text}")
    return article


def parse_detail(page: Page) -> Article:
    """A post page: embedded metadata first, the rendered text for the rest."""
    document = parse_document(page.body)
    post_id = page.native_id or post_id_from_url(page.url)
    post = read_post(page_lines(document), post_id, page.fetched_at)
    posting = _posting(document)
    metadata = page_metadata(document)
    post.author = _posting_author(posting) or metadata.author or post.author
    post.posted_at = (
        parse_datetime(posting.get("datePublished"))
        or _next_data_times(document).get(post_id)
        or metadata.published_at
        or post.posted_at
    )
    for key, value in _posting_counts(posting).items():
        if post.engagement.get(key) is None:
            post.engagement[key] = value
    titles = document.xpath("//h1[not(ancestor::header) and not(ancestor::nav)]")
    title = (titles[0].text_content().strip() if titles else None) or posting.get("headline")
    return _article(post_id, post, fetched_at=page.fetched_at, raw_ref=page.raw_id, title=title)


def parse_list(page: Page) -> list[Article]:
    """Each feed card as a partial article: it lands only when its post page does not."""
    document = parse_document(page.body)
    entries = list_entries(document, page.fetched_at)
    if not entries:
        raise PayloadError("no /post/status/ links on the feed page")
    articles = []
    for entry in entries:
        try:
            post = read_post(page_lines(entry.card), entry.post_id, page.fetched_at)
        except PayloadError:
            continue  # a card without text (an image-only post) has nothing to land
        post.posted_at = entry.published_at or post.posted_at
        articles.append(
            _article(
                entry.post_id, post, fetched_at=page.fetched_at, raw_ref=page.raw_id, partial=True
            )
        )
    return articles


def parse_text(text: str, *, url: str, fetched_at: datetime) -> Article:
    """A post page's text rendering (what a reader copies off the page) as an article."""
    post_id = post_id_from_url(url)
    post = read_post(text.splitlines(), post_id, fetched_at)
    raw_ref = hashlib.sha256(text.encode()).hexdigest()[:24]
    return _article(post_id, post, fetched_at=fetched_at, raw_ref=raw_ref)


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
