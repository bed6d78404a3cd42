"""OKX announcements: the official list gives partial articles, help-centre pages full ones.

A help page (``https://www.okx.com/help/<slug>``) embeds the post's metadata in
``<script id="appState">`` (``appContext.serverSideProps.currentPost``) and its body in
``<article>`` → ``div.index_richTextContent…`` (CSS-module class, matched by prefix); the
page's header and footer links sit outside that div. The list URL carries a regional prefix
(``/en-us/help/``, ``/en-eu/help/``) that depends on where the request came from, so the
slug is the article's id and ``https://www.okx.com/help/<slug>`` its URL.

``announcement`` and ``json_object`` are shared with the KuCoin parser: both feeds are
typed announcement lists whose own type decides the category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.html import parse_document, script_json
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError, parse_by_kind

LANGUAGE = "en"
HELP_URL = "https://www.okx.com/help/{slug}"
_BODY = (
    '//article//div[starts-with(@class, "index_richTextContent")'
    ' or contains(@class, " index_richTextContent")]'
)

# annType -> our taxonomy; None lets the title rules decide.
CATEGORY_BY_TYPE: dict[str, str | None] = {
    "announcements-latest-announcements": None,
    "announcements-new-listings": "listing",
    "announcements-delistings": "delisting",
    "announcements-trading-updates": "trading_rules",
    "announcements-deposit-withdrawal-suspension-resumption": "deposit_withdrawal",
    "announcements-p2p-trading": "product",
    "announcements-web3": "product",
    "announcements-earn": "product",
    "announcements-jumpstart": "promotion",
    "announcements-activities": "promotion",
    "announcements-api": "trading_rules",
    "announcements-okb-buy-back-burn": None,
    "announcements-others": None,
}


def clean_text(text: str) -> str:
    """Feeds pad titles with NBSPs and zero-width spaces; one plain space between words."""
    return " ".join(text.replace("\u200b", "").split())


def json_object(page: Page) -> dict[str, Any]:
    try:
        payload = page.json()
    except ValueError as error:
        raise PayloadError(f"not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise PayloadError("payload is not a JSON object")
    return payload


def announcement(
    page: Page,
    *,
    native_id: str,
    url: str,
    title: str,
    published_at: datetime | None,
    types: Sequence[str],
    categories: Mapping[str, str | None],
    body: RenderedBody | None = None,
    summary: str | None = None,
) -> Article:
    """One article of a typed announcement feed; without a body it is a list entry (partial).

    The first of the feed's own types that maps to the taxonomy decides the category (a
    KuCoin item is ``latest-announcements`` *and* ``delistings``), else the title rules do.
    """
    title = clean_text(title)
    if not title:
        raise PayloadError(f"announcement {native_id!r} has no title")
    summary = clean_text(summary or "") or None
    mapped = (categories.get(kind) for kind in types)
    return Article.from_page(
        page,
        native_id=native_id,
        url=url,
        language=LANGUAGE,
        title=title,
        body=body,
        partial=body is None,
        feed="announcements",
        summary=summary,
        published_at=published_at,
        category=next(filter(None, mapped), None) or category_from_title(title),
        source_categories=list(types),
        translated=False,
    )


def article_slug(url: str) -> str:
    """``https://www.okx.com/en-us/help/<slug>`` (any regional prefix) -> ``<slug>``."""
    slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not slug:
        raise PayloadError(f"no article slug in {url!r}")
    return slug


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """``businessPTime``, the time the help page shows, else ``pTime`` (both string ms)."""
    return parse_datetime(entry.get("businessPTime") or entry.get("pTime"))


def _entries(page: Page) -> list[dict[str, Any]]:
    payload = json_object(page)
    if payload.get("code") != "0":
        raise PayloadError(f"OKX API answered code {payload.get('code')!r}: {payload.get('msg')}")
    try:
        entries = payload["data"][0]["details"]
    except (KeyError, IndexError, TypeError) as error:
        raise PayloadError("list payload has no data[0].details") from error
    if not isinstance(entries, list):
        raise PayloadError("data[0].details is not a list")
    return entries


def _entry_article(page: Page, entry: Mapping[str, Any]) -> Article:
    slug = article_slug(entry["url"])
    return announcement(
        page,
        native_id=slug,
        url=HELP_URL.format(slug=slug),
        title=entry["title"],
        published_at=entry_time(entry),
        types=[entry["annType"]] if entry.get("annType") else [],
        categories=CATEGORY_BY_TYPE,
    )


def parse_list(page: Page) -> list[Article]:
    """Every entry of a list page, as a partial article (title, time and type)."""
    return [_entry_article(page, entry) for entry in _entries(page)]


def _current_post(document: lxml.html.HtmlElement) -> Mapping[str, Any]:
    state = script_json(document, "appState")
    try:
        post = state["appContext"]["serverSideProps"]["currentPost"] if state else {}
    except (KeyError, TypeError):
        post = {}
    return post if isinstance(post, dict) else {}


def parse_detail(page: Page) -> Article:
    """The help page's body; title, time and section from ``appState``, else from the list."""
    document = parse_document(page.body)
    bodies = document.xpath(_BODY)
    if not bodies:
        raise PayloadError("help page has no <article> rich-text body")
    post = _current_post(document)
    entry = page.context_value("entry") or {}
    section = post.get("section") if isinstance(post.get("section"), dict) else {}
    kind = section.get("slug") or entry.get("annType")
    slug = post.get("slug") or page.native_id or article_slug(page.url)
    labels = document.xpath("//article/@aria-label")
    document.make_links_absolute(HELP_URL.format(slug=slug))  # the body links /help/<other>
    return announcement(
        page,
        native_id=slug,
        url=HELP_URL.format(slug=slug),
        title=post.get("title") or entry.get("title") or next(iter(labels), ""),
        published_at=parse_datetime(post.get("publishTime")) or entry_time(entry),
        types=[kind] if kind else [],
        categories=CATEGORY_BY_TYPE,
        body=render_html(bodies[0]),
    )


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
