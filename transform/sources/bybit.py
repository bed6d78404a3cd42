"""Bybit announcements: the official v5 list gives partial articles, article pages full ones.

The article page embeds its body as a Contentstack rich-text tree in ``__NEXT_DATA__``
(``props.pageProps.articleDetail.content.json``). When a page has no body, or could not be
fetched at all, the list's ``description`` stands in as the body, and the Markdown says so.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.html import parse_document, script_json
from transform.extract.markup import MarkupError, Node, RenderedBody, render_tree
from transform.model import Article, Page, PayloadError, parse_by_kind

SOURCE = "bybit"
LANGUAGE = "en"
SUMMARY_NOTE = "*Summary from Bybit's announcement list: the article page gave no body.*"

# announcementType key -> our taxonomy; None lets the title rules decide.
CATEGORY_BY_TYPE: dict[str, str | None] = {
    "new_crypto": "listing",
    "new_fiat_listings": "listing",
    "delistings": "delisting",
    "maintenance_updates": "maintenance",
    "product_updates": "product",
    "latest_activities": "promotion",
    "latest_bybit_news": None,
    "other": None,
}

# Contentstack node types the renderer knows under another name; the rest keep their own
# (p, h1-h6, ul, ol, li, table, thead, tbody, tr, th, td, blockquote, hr, a).
_TAG_BY_TYPE = {"doc": "div", "code": "pre", "reference": "img", "fragment": "span"}
_MARK_TAGS = (("inlineCode", "code"), ("italic", "em"), ("bold", "strong"))
_UID = re.compile(r"(blt[0-9a-z]+)/?$")


def article_uid(url: str) -> str:
    """The Contentstack entry uid (``blt…``) that ends every article URL, else the slug."""
    path = urlsplit(url).path
    match = _UID.search(path)
    return match[1] if match else path.rstrip("/").rsplit("/", 1)[-1]


def entry_time(entry: dict[str, Any]) -> datetime | None:
    """``publishTime`` where the API sends it (newer docs), else ``dateTimestamp`` (ms)."""
    return parse_datetime(entry.get("publishTime") or entry.get("dateTimestamp"))


def _element(tag: str, children: list[Node], attr: dict[str, str] | None = None) -> Node:
    return {"node": "element", "tag": tag, "attr": attr or {}, "child": children}


def _leaf(node: dict[str, Any]) -> Node:
    """A text leaf: its newlines become ``<br>``, its marks wrap it."""
    text = node["text"]
    if not isinstance(text, str):
        raise MarkupError("text leaf without a string text")
    children: list[Node] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            children.append(_element("br", []))
        if line:
            children.append({"node": "text", "text": line})
    element = _element("span", children)
    for mark, tag in _MARK_TAGS:
        if node.get(mark):
            element = _element(tag, [element])
    return element


def _rich_text_node(node: Any) -> Node:
    if not isinstance(node, dict):
        raise MarkupError("rich-text node is not an object")
    if "text" in node:
        return _leaf(node)
    kind = str(node.get("type") or "span")
    children = node.get("children", [])
    if not isinstance(children, list):
        raise MarkupError(f"children of a {kind!r} node is not a list")
    attrs = node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
    href = attrs.get("url") or attrs.get("href")
    attr = {"href": href} if kind == "a" and isinstance(href, str) else {}
    return _element(_TAG_BY_TYPE.get(kind, kind), [_rich_text_node(c) for c in children], attr)


def render_content(content: Any) -> RenderedBody:
    """Both renderings of ``articleDetail.content`` (``{"json": <Contentstack doc>}``)."""
    tree = content.get("json") if isinstance(content, dict) else None
    if not isinstance(tree, dict):
        raise MarkupError("content has no rich-text json")
    return render_tree({"node": "root", "child": [_rich_text_node(tree)]})


def _summary_body(description: str | None) -> RenderedBody | None:
    """The list's description as the body, marked as such for readers."""
    text = (description or "").strip()
    return RenderedBody(text, f"{text}\n\n{SUMMARY_NOTE}") if text else None


def announcement(
    page: Page,
    *,
    native_id: str,
    url: str,
    title: str,
    published_at: datetime | None,
    body: RenderedBody | None,
    summary: str | None,
    category: str | None,
    source_categories: list[str],
) -> Article:
    """An English article of an official announcement API (Bybit, Bitget), built alike."""
    return Article.from_page(
        page,
        native_id=native_id,
        url=url,
        language=LANGUAGE,
        title=title.strip(),
        body=body,
        feed="announcements",
        summary=(summary or "").strip() or None,
        published_at=published_at,
        category=category or category_from_title(title),
        source_categories=source_categories,
        translated=False,
    )


def api_payload(page: Page, code_key: str, success: object, message_key: str) -> dict[str, Any]:
    """The JSON object of an API answer whose ``code_key`` says success, else why not."""
    try:
        payload = page.json()
    except ValueError as error:
        raise PayloadError(f"not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise PayloadError("API answer is not a JSON object")
    if payload.get(code_key) != success:
        code, message = payload.get(code_key), payload.get(message_key)
        raise PayloadError(f"{page.source} API answered {code_key} {code!r}: {message}")
    return payload


def _article(
    page: Page,
    entry: dict[str, Any],
    title: str,
    published_at: datetime | None,
    body: RenderedBody | None,
) -> Article:
    url = entry.get("url") or page.url
    announcement_type = entry.get("type") if isinstance(entry.get("type"), dict) else {}
    labels = [announcement_type.get("title"), *(entry.get("tags") or [])]
    return announcement(
        page,
        native_id=article_uid(url),
        url=url,
        title=title,
        published_at=published_at,
        body=body,
        summary=entry.get("description"),
        category=CATEGORY_BY_TYPE.get(announcement_type.get("key") or ""),
        source_categories=list(dict.fromkeys(x for x in labels if isinstance(x, str) and x)),
    )


def parse_list(page: Page) -> list[Article]:
    """Every entry of a list page, as a partial article whose body is its description."""
    payload = api_payload(page, "retCode", 0, "retMsg")
    try:
        entries = payload["result"]["list"]
    except (TypeError, KeyError) as error:
        raise PayloadError("list payload has no result.list") from error
    articles = []
    for entry in entries:
        if not entry.get("title") or not entry.get("url"):
            raise PayloadError(f"list entry without title or url: {entry!r}")
        body = _summary_body(entry.get("description"))
        article = _article(page, entry, entry["title"], entry_time(entry), body)
        article.partial = True
        articles.append(article)
    return articles


def parse_detail(page: Page) -> Article:
    """The article page's rich text; its description when the page carries no body."""
    entry = page.context_value("entry") or {}
    data = script_json(parse_document(page.body), "__NEXT_DATA__")
    try:
        detail = data["props"]["pageProps"]["articleDetail"]
    except (TypeError, KeyError) as error:
        raise PayloadError("page has no __NEXT_DATA__ props.pageProps.articleDetail") from error
    if not isinstance(detail, dict):
        raise PayloadError("articleDetail is not an object")
    title = detail.get("title") or entry.get("title")
    if not title:
        raise PayloadError("article has no title")
    try:
        body: RenderedBody | None = render_content(detail.get("content"))
    except MarkupError:
        body = _summary_body(entry.get("description") or detail.get("description"))
    published_at = parse_datetime(detail.get("date")) or entry_time(entry)
    known = {"url": page.url, "description": detail.get("description"), **entry}
    return _article(page, known, title, published_at, body)


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
