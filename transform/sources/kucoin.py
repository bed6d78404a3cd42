"""KuCoin announcements: the official v3 list gives partial articles, the site CMS full ones.

The v3 list (``data.items[]``: ``annTitle``, ``annType[]``, ``annDesc``, ``cTime`` ms,
``annUrl``) and the CMS article (``data``: ``title``, ``path``, ``publish_ts`` seconds,
``content`` HTML, ``categories[]``) meet in the announcement page's path: ``annUrl`` is
``https://www.kucoin.com/announcement/<path>?lang=en_US``, the CMS answers for ``/<path>``.
``publish_at`` is a zone-less UTC+8 wall time, so only ``publish_ts`` is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from transform.extract.dates import parse_datetime
from transform.extract.markup import RenderedBody, render_html
from transform.model import Article, Page, PayloadError, parse_by_kind
from transform.sources.okx import announcement, json_object

ARTICLE_URL = "https://www.kucoin.com/announcement/{path}"

# annType / CMS category path -> our taxonomy; None lets the title rules decide.
CATEGORY_BY_TYPE: dict[str, str | None] = {
    "latest-announcements": None,
    "new-listings": "listing",
    "delistings": "delisting",
    "maintenance-updates": "maintenance",
    "product-updates": "product",
    "activities": "promotion",
    "api-campaigns": "promotion",
    "vip": "promotion",
    "futures-announcements": None,
    "others": None,
}

# The sign-up, app and social links closing every CMS post: chrome, not the article.
_CALL_TO_ACTION = re.compile(
    r"(?:sign up on kucoin|download the kucoin app|follow us on|join us on|dive into kucoin)",
    re.IGNORECASE,
)


def article_path(url: str) -> str:
    """``https://www.kucoin.com/announcement/<path>?lang=en_US`` -> ``<path>``."""
    _, found, path = urlsplit(url).path.partition("/announcement/")
    if not found or not path.strip("/"):
        raise PayloadError(f"no announcement path in {url!r}")
    return path.strip("/")


def _types(value: Any) -> list[str]:
    """``annType`` is a list (KuCoin's spec pads some values with a space)."""
    values = value if isinstance(value, list) else [value]
    return [kind.strip() for kind in values if isinstance(kind, str) and kind.strip()]


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _only_calls_to_action(element: lxml.html.HtmlElement) -> bool:
    links = "".join(a.text_content() for a in element.iter("a") if _is_call_to_action(a))
    return _squeezed(element.text_content()) == _squeezed(links)


def _is_call_to_action(link: lxml.html.HtmlElement) -> bool:
    return _CALL_TO_ACTION.match(link.text_content().strip()) is not None


def _drop_calls_to_action(root: lxml.html.HtmlElement) -> None:
    """Drop the largest block around each call-to-action link that holds nothing else; a
    link inside a sentence stays (removing it would cut the sentence)."""
    for link in [a for a in root.iter("a") if _is_call_to_action(a)]:
        block, parent = link, link.getparent()
        while parent is not None and parent is not root and _only_calls_to_action(parent):
            block, parent = parent, parent.getparent()
        if parent is not None and block is not link:  # None: inside a block already dropped
            block.drop_tree()


def render_content(content: str) -> RenderedBody:
    """Both renderings of ``data.content``, without the closing call-to-action links."""
    if not content.strip():
        raise PayloadError("CMS article content is empty")
    root = lxml.html.fragment_fromstring(content, create_parent="div")
    _drop_calls_to_action(root)
    root.make_links_absolute("https://www.kucoin.com/")
    return render_html(root)


def _list_article(page: Page, item: Mapping[str, Any]) -> Article:
    path = article_path(item["annUrl"])
    return announcement(
        page,
        native_id=path,
        url=ARTICLE_URL.format(path=path),
        title=item["annTitle"],
        published_at=parse_datetime(item.get("cTime")),
        types=_types(item.get("annType")),
        categories=CATEGORY_BY_TYPE,
        summary=item.get("annDesc"),
    )


def parse_list(page: Page) -> list[Article]:
    """Every item of a v3 list page, as a partial article (title, time, types, summary)."""
    payload = json_object(page)
    if payload.get("code") != "200000":
        raise PayloadError(
            f"KuCoin API answered code {payload.get('code')!r}: {payload.get('msg')}"
        )
    try:
        items = payload["data"]["items"]
    except (KeyError, TypeError) as error:
        raise PayloadError("list payload has no data.items") from error
    if not isinstance(items, list):
        raise PayloadError("data.items is not a list")
    return [_list_article(page, item) for item in items]


def parse_detail(page: Page) -> Article:
    """The CMS article; the list item (context ``entry``) fills what the CMS leaves out."""
    payload = json_object(page)
    data = payload.get("data")
    if payload.get("success") is not True or not isinstance(data, dict):
        code, message = payload.get("code"), payload.get("msg")
        raise PayloadError(f"KuCoin CMS answered code {code!r}: {message or 'no data'}")
    if not isinstance(data.get("content"), str):
        raise PayloadError("CMS article has no content string")
    entry = page.context_value("entry") or {}
    path = str(data.get("path") or page.native_id or "").strip("/")
    if not path:
        raise PayloadError("CMS article has no path")
    categories = [c.get("path") for c in data.get("categories") or [] if isinstance(c, dict)]
    return announcement(
        page,
        native_id=path,
        url=ARTICLE_URL.format(path=path),
        title=data.get("title") or entry.get("annTitle") or "",
        published_at=parse_datetime(data.get("publish_ts")) or parse_datetime(entry.get("cTime")),
        types=_types(categories) or _types(entry.get("annType")),
        categories=CATEGORY_BY_TYPE,
        body=render_content(data["content"]),
        summary=data.get("summary") or entry.get("annDesc"),
    )


def parse(page: Page) -> list[Article]:
    return parse_by_kind(page, parse_list, parse_detail)
