"""Gate announcements: the official list API gives partial articles, the site's Next.js data
route the Markdown body (``pageProps.detail.desc``) of each.

The Markdown is cleaned of Gate's CMS header comment, spacer tags and the boilerplate footer
("Gateway to Crypto", sign-up and app links, social links); the "Gate Team" signature and
its date stay. The plain text is rendered by a small private stripper (no Markdown library
is a declared dependency); Gate News renders its Markdown with the same stripper.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from transform.enrich.category import category_from_title
from transform.extract.dates import parse_datetime
from transform.extract.html import parse_document, script_json
from transform.extract.markup import RenderedBody
from transform.model import Article, Page, PayloadError

SITE = "https://www.gate.com"
EXCHANGE = "gate"

# cate_id -> (Gate's name, our category): the ids public collectors rely on (feeds §1.2).
CATEGORY_BY_ID: dict[int, tuple[str, str]] = {
    61: ("New Crypto Listings", "listing"),
    38: ("New Spot Listings", "listing"),
    37: ("New Futures Listings", "listing"),
    15: ("Delistings", "delisting"),
    87: ("ETF Delistings", "delisting"),
}
# Gate's category names (API ``cate``/``cate_name``, WebSocket channel types, site slugs),
# lower-cased without separators; "lastest" (sic) is the all-announcements page.
CATEGORY_BY_NAME: dict[str, str | None] = {
    "listing": "listing",
    "newlisted": "listing",
    "newspotlistings": "listing",
    "newfutureslistings": "listing",
    "newcryptolistings": "listing",
    "delisting": "delisting",
    "delisted": "delisting",
    "delistings": "delisting",
    "etfdelistings": "delisting",
    "fee": "trading_rules",
    "fees": "trading_rules",
    "precision": "trading_rules",
    "rename": "trading_rules",
    "stocksplit": "trading_rules",
    "dividenddistribution": "trading_rules",
    "apiupdates": "trading_rules",
    "depositwithdrawal": "deposit_withdrawal",
    "engineupgrade": "maintenance",
    "maintenance": "maintenance",
    "etf": "product",
    "ipos": "product",
    "lastest": None,
    "latest": None,
}

# The footer starts at its heading and runs to the signature (WebSocket-era bodies put the
# signature after it) or to the end (current bodies close with it).
_FOOTER_START = re.compile(
    r"^(?:gateway to crypto|加密货币之门|加密貨幣之門|reach out to us!?)$", re.I
)
_SIGNATURE = re.compile(r"^gate(?:\.io)?\s*(?:team|团队|團隊)$", re.I)
_ANCHOR = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.I | re.S)
_TAG = re.compile(r"</?(?!https?:)[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]*-[\s:|-]*$")
_BLOCK_MARKS = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_INLINE_MARKS = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\*\*(.+?)\*\*|__(.+?)__"), r"\1\2"),
    (re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),
)


def site_language(lang: str | None) -> str:
    """English is Gate's default: pages stored without a language are English."""
    return lang or "en"


def article_url(native_id: str, lang: str | None) -> str:
    """English lives at the bare path, other languages under their prefix."""
    language = site_language(lang)
    prefix = "" if language == "en" else f"/{language}"
    return f"{SITE}{prefix}/announcements/article/{native_id}"


def released_at(entry: Mapping[str, Any]) -> datetime | None:
    """Unix seconds (``release_timestamp``, ``created_t``) first, then the display strings."""
    for key in ("release_timestamp", "created_t", "release_time", "created"):
        moment = parse_datetime(entry.get(key))
        if moment is not None:
            return moment
    return None


def category(cate_id: Any, cate_name: str | None, title: str) -> tuple[str, list[str]]:
    """Gate's own category (name, then id) first, the title rules otherwise."""
    known = CATEGORY_BY_ID.get(int(cate_id)) if str(cate_id).isdigit() else None
    name = cate_name or (known[0] if known else None)
    key = re.sub(r"[^a-z]", "", (cate_name or "").lower())
    ours = CATEGORY_BY_NAME.get(key) or (known[1] if known else None)
    return ours or category_from_title(title), [name] if name else []


def gate_article(
    page: Page,
    native_id: str,
    url: str,
    title: str,
    language: str,
    body: RenderedBody | None = None,
    **fields: Any,
) -> Article:
    """An article of either Gate feed."""
    return Article.from_page(
        page,
        native_id=native_id,
        url=url,
        language=language,
        title=title,
        body=body,
        exchange=EXCHANGE,
        feed=page.feed,
        translated=False,
        **fields,
    )


def _drop_footer(lines: list[str]) -> list[str]:
    kept: list[str] = []
    in_footer = False
    for line in lines:
        bare = line.strip().strip("*#_ ").strip()
        if _FOOTER_START.match(bare):
            in_footer = True
        elif in_footer and _SIGNATURE.match(bare):
            in_footer = False
        if not in_footer:
            kept.append(line.rstrip())
    return kept


def _tidy(lines: list[str]) -> str:
    """Blank runs become one paragraph break."""
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_markdown(desc: str, title: str | None = None) -> str:
    """``detail.desc`` without the CMS header, inline HTML and the footer; links kept."""
    text = desc.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"^\[//\]:.*$", "", text, flags=re.M)  # a Markdown comment: content-type
    text = re.sub(r"</?sp\s*/?>", "\n\n", text, flags=re.I)  # Gate's spacer between blocks
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = _ANCHOR.sub(lambda m: f"[{_TAG.sub('', m[2]).strip()}]({m[1]})", text)
    text = re.sub(r"</?(?:strong|b)>", "**", text, flags=re.I)
    lines = _drop_footer(_TAG.sub("", text).split("\n"))
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and title and lines[0].strip("#* ").strip() == title.strip():
        lines.pop(0)  # crawls that store tdkTitle + desc lead with the title
    return _tidy(lines)


def _plain_line(line: str) -> str | None:
    """One Markdown line as text; None for lines that are only syntax (rules, fences)."""
    stripped = line.strip()
    if stripped.startswith("```") or re.fullmatch(r"(?:-{3,}|\*{3,}|_{3,})", stripped):
        return None
    if stripped.startswith("|") and stripped.endswith("|"):
        if _TABLE_RULE.fullmatch(stripped):
            return None
        stripped = "\t".join(cell.strip() for cell in stripped[1:-1].split("|"))
    text = _BLOCK_MARKS.sub("", stripped)
    for pattern, replacement in _INLINE_MARKS:
        text = pattern.sub(replacement, text)
    return html.unescape(text).strip()


def markdown_text(markdown: str) -> str:
    """Plain text of Markdown: paragraphs and line breaks kept, syntax dropped, links as text."""
    return _tidy([plain for plain in map(_plain_line, markdown.split("\n")) if plain is not None])


def render_markdown(desc: str, title: str | None = None) -> RenderedBody:
    """The cleaned Markdown and its plain text."""
    markdown = clean_markdown(desc, title)
    text = markdown_text(markdown)
    if not text:
        raise PayloadError("announcement body is empty once cleaned")
    return RenderedBody(text, markdown)


def parse_index(page: Page) -> list[Article]:
    """The server-rendered page only names the build id; without it no body can be fetched."""
    data = script_json(parse_document(page.body), "__NEXT_DATA__")
    if not isinstance(data, dict) or not data.get("buildId"):
        raise PayloadError("no __NEXT_DATA__ buildId: announcement bodies cannot be fetched")
    return []


def _listed(page: Page, entry: Mapping[str, Any]) -> Article:
    lang = page.context_value("lang")
    native_id = str(entry["id"])
    title = str(entry["title"]).strip()
    label, names = category(entry.get("cate_id"), entry.get("cate"), title)
    article = gate_article(
        page,
        native_id,
        article_url(native_id, lang),
        title,
        site_language(lang),
        summary=(entry.get("brief") or "").strip() or None,
        published_at=released_at(entry),
        category=label,
        source_categories=names,
    )
    article.partial = True
    return article


def parse_list(page: Page) -> list[Article]:
    """Every entry of an API page, as a partial article (title, time, category, summary)."""
    try:
        payload = page.json()
    except ValueError as error:
        raise PayloadError(f"not JSON: {error}") from error
    if not isinstance(payload, dict) or payload.get("code") != 0:
        code = payload.get("code") if isinstance(payload, dict) else None
        message = payload.get("message") if isinstance(payload, dict) else None
        raise PayloadError(f"Gate API answered code {code!r}: {message or 'no data'}")
    entries = (payload.get("data") or {}).get("list")
    if not isinstance(entries, list):
        raise PayloadError("list payload has no data.list")
    return [_listed(page, entry) for entry in entries]


def parse_detail(page: Page) -> Article:
    """One announcement with its body; what the data route lacks comes from the list."""
    try:
        props = page.json().get("pageProps") or {}
    except (ValueError, AttributeError) as error:
        raise PayloadError(f"detail is not a Next.js data object: {error}") from error
    detail = props.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("desc"), str):
        raise PayloadError("detail payload has no pageProps.detail.desc (notFound or redirect)")
    native_id = str(detail.get("id") or page.native_id)
    title = str(
        detail.get("title") or props.get("tdkTitle") or page.context_value("title") or ""
    ).strip()
    if not title:
        raise PayloadError(f"announcement {native_id} has no title")
    lang = page.context_value("lang")
    label, names = category(
        detail.get("cate_id", page.context_value("cate_id")),
        detail.get("cate_name") or detail.get("cate") or page.context_value("cate"),
        title,
    )
    return gate_article(
        page,
        native_id,
        article_url(native_id, lang),
        title,
        site_language(lang),
        render_markdown(detail["desc"], title),
        published_at=released_at(detail) or parse_datetime(page.context_value("published_at")),
        category=label,
        source_categories=names,
    )


def parse(page: Page) -> list[Article]:
    if page.page_kind == "list":
        return parse_list(page)
    if page.page_kind == "detail":
        return [parse_detail(page)]
    if page.page_kind == "index":
        return parse_index(page)
    raise PayloadError(f"unknown Gate announcements page kind {page.page_kind!r}")
