"""Bitget announcements: the official v2 list gives partial articles, article pages full ones.

The article page's body is HTML in ``__NEXT_DATA__`` (``props.pageProps.details.content``);
a page without it (another layout) goes through the generic article extractor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from transform.extract.dates import parse_datetime
from transform.extract.html import extract_article, parse_document, script_json
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError, parse_by_kind
from transform.sources.bybit import announcement, api_payload

# annType -> our taxonomy; None lets the title rules decide.
CATEGORY_BY_TYPE: dict[str, str | None] = {
    "coin_listings": "listing",
    "symbol_delisting": "delisting",
    "maintenance_system_updates": "maintenance",
    "product_updates": "product",
    "security": "security",
    "api_trading": "trading_rules",
    "trading_competitions_promotions": "promotion",
    "latest_news": None,
}


def _article(
    page: Page,
    entry: dict[str, Any],
    title: str,
    published_at: datetime | None,
    body: RenderedBody | None,
) -> Article:
    ann_type = entry.get("annType") or ""
    return announcement(
        page,
        native_id=str(entry["annId"]),
        url=entry.get("annUrl") or page.url,
        title=title,
        published_at=published_at,
        body=body,
        summary=None,  # annDesc is deprecated and holds a label, not a summary
        category=CATEGORY_BY_TYPE.get(ann_type),
        source_categories=[label for label in (ann_type, entry.get("annSubType")) if label],
    )


def parse_list(page: Page) -> list[Article]:
    """Every entry of a list page, as a partial article (title, time, type)."""
    entries = api_payload(page, "code", "00000", "msg").get("data")
    if not isinstance(entries, list):
        raise PayloadError("list payload has no data list")
    articles = []
    for entry in entries:
        if not entry.get("annId") or not entry.get("annTitle") or not entry.get("annUrl"):
            raise PayloadError(f"list entry without annId, annTitle or annUrl: {entry!r}")
        article = _article(page, entry, entry["annTitle"], parse_datetime(entry.get("cTime")), None)
        article.partial = True
        articles.append(article)
    return articles


def parse_detail(page: Page) -> Article:
    """``details.content`` where the page embeds it, else whatever the extractor finds."""
    entry = {"annId": page.native_id, "annUrl": page.url, **(page.context_value("entry") or {})}
    if not entry["annId"]:
        raise PayloadError("detail page without its announcement id")
    document = parse_document(page.body)
    data = script_json(document, "__NEXT_DATA__")
    props = data.get("props") if isinstance(data, dict) else None
    page_props = props.get("pageProps") if isinstance(props, dict) else None
    details = page_props.get("details") if isinstance(page_props, dict) else None
    published_at = parse_datetime(entry.get("cTime"))
    if isinstance(details, dict) and isinstance(details.get("content"), str):
        body = render_html(details["content"])
        title = details.get("title") or entry.get("annTitle")
    else:
        extracted = extract_article(document, page.url)
        body = RenderedBody(extracted.body_text, extracted.body_markdown)
        title = entry.get("annTitle") or extracted.metadata.title
        published_at = published_at or extracted.metadata.published_at
    if not title:
        raise PayloadError("article has no title")
    return _article(page, entry, title, published_at, body)


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
