"""One document in, one clean article out: the entry point for input that comes from outside
the crawl (a file, a paste, a page saved from a browser).

:func:`clean_document` tells the input's kind by its content — a JSON payload, an HTML page,
or the text a page renders to — and reads it with the source's own parser where there is one,
with the generic extractors otherwise. :func:`enrich` then adds what every article gets
whatever its source: language, fingerprint, mentions and topics.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import pkgutil
import re
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import lxml.html

import transform.sources
from transform import parse_page
from transform.enrich import enrich
from transform.enrich.category import category_from_title
from transform.extract.html import extract_article, parse_document
from transform.ids import article_id, canonical_url
from transform.limits import LimitError, check_size, load_json
from transform.model import Article, Comment, Page, PayloadError, RenderedBody

# The source value of articles no source parser read.
GENERIC_SOURCE = "web"
_MARKUP = re.compile(r"^\s*<[!?a-z]", re.IGNORECASE)
_FEED = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<(?:rss|feed|rdf:RDF)\b", re.IGNORECASE)
# A news site's risk note under the article: generic extraction keeps it, it is not the story.
_TRAILER = re.compile(r"^(?:\*\*)?(?:Disclaimer|Risk Warning)\b", re.IGNORECASE)


def clean_document(
    content: bytes | str,
    *,
    url: str | None = None,
    source: str | None = None,
    fetched_at: datetime,
) -> Article:
    """The article in ``content``: a source's JSON payload, an HTML page or a page's text.

    JSON needs ``source`` (a payload's shape only means something to its source's parser),
    first read as a detail payload, then as a list (whose entry at ``url``, else its first
    entry, is returned as a partial article). HTML goes to the source's parser when it reads
    it, else to the generic extractor. Text is read by the source's text reader where it has
    one (Gate Square), else its first line is the title and its paragraphs the body.
    Raises :class:`PayloadError` saying what could not be read, :class:`LimitError` (one)
    when the input is past a limit of :mod:`transform.limits`.
    """
    fetched_at = fetched_at.replace(tzinfo=UTC) if fetched_at.tzinfo is None else fetched_at
    fetched_at = fetched_at.astimezone(UTC)
    module = _source_module(source) if source else None
    body = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else bytes(content)
    check_size(body, "the input")
    if not body.strip():
        raise PayloadError("the input is empty")
    head = body[:200].decode("utf-8", "ignore")
    if _is_json(body) or _FEED.match(head):
        form = "XML" if _FEED.match(head) else "JSON"
        if source is None:
            raise PayloadError(
                f"no --source given and the {form} is not a page format exnews knows"
            )
        article = _from_payload(body, form, source, url, fetched_at)
    elif _MARKUP.match(head):
        article = _from_html(body, source, module, url, fetched_at)
    else:
        article = _from_text(_text(body), source, module, url, fetched_at)
    return enrich(article)


def article_json(article: Article) -> dict[str, Any]:
    """The article as the CLI prints it: plain JSON values, times in ISO 8601."""
    return {
        "title": article.title,
        "body_text": article.body_text,
        "body_markdown": article.body_markdown,
        "author": article.author,
        "published_at": _iso(article.published_at),
        "language": article.language,
        "translated": article.translated,
        "engagement": article.engagement,
        "comments": [_comment_json(comment) for comment in article.comments],
        "category": article.category,
        "topics": list(getattr(article, "topics", None) or []),
        "coins": list(article.coins),
        "pairs": list(article.pairs),
        "mentions": [dict(vars(mention)) for mention in article.mentions],  # flat: no deep copy
        "fingerprint": article.fingerprint,
        "url": article.url or None,
        "source": article.source,
        "limits": list(article.limits),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _comment_json(comment: Comment) -> dict[str, Any]:
    values = dataclasses.asdict(comment)
    values["posted_at"] = _iso(comment.posted_at)
    return values


def known_sources() -> list[str]:
    """Every source key with a parser module (``transform/sources/<key>.py``)."""
    modules = pkgutil.iter_modules(transform.sources.__path__)
    return sorted(info.name for info in modules if info.name not in transform.sources.SHARED)


def _source_module(source: str) -> ModuleType:
    if source not in known_sources():
        raise PayloadError(f"unknown source {source!r} (known: {', '.join(known_sources())})")
    return importlib.import_module(f"transform.sources.{source}")


def _is_json(body: bytes) -> bool:
    """Whether the input is a JSON object or array (a source's API payload); raises
    :class:`LimitError` on JSON nested past the limit."""
    if body.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        load_json(body, "the input's JSON")
    except LimitError:
        raise
    except ValueError:
        return False
    return True


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PayloadError(f"the input is neither JSON, HTML nor UTF-8 text: {error}") from error


def _page(body: bytes, source: str, kind: str, url: str | None, fetched_at: datetime) -> Page:
    """The input as the raw layer would have stored it (its id: a hash of the bytes)."""
    return Page(
        raw_id=_digest(body),
        source=source,
        page_kind=kind,
        url=url or "",
        fetched_at=fetched_at,
        body=body,
    )


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:24]


def _pick(articles: list[Article], url: str | None) -> Article:
    """The list entry at ``url`` when there is one, else the first (lists run newest first)."""
    if url:
        wanted = canonical_url(url)
        for article in articles:
            if article.url and canonical_url(article.url) == wanted:
                return article
    return articles[0]


def _from_payload(
    body: bytes, form: str, source: str, url: str | None, fetched_at: datetime
) -> Article:
    """A source's API payload or feed: as a detail page, else as a list."""
    errors = []
    for kind in ("detail", "list"):
        try:
            articles = parse_page(_page(body, source, kind, url, fetched_at))
        except LimitError:
            raise
        except PayloadError as error:
            errors.append(f"{kind}: {error}")
            continue
        if articles:
            return _pick(articles, url)
        errors.append(f"{kind}: no entries")
    raise PayloadError(
        f"input is {form} but source {source!r} could not read it as a detail or list payload: "
        + "; ".join(errors)
    )


def _from_html(
    body: bytes,
    source: str | None,
    module: ModuleType | None,
    url: str | None,
    fetched_at: datetime,
) -> Article:
    """The source's parser first; the generic extractor when it cannot read the page.

    The page is parsed once: its canonical URL, metadata and main text all come from that
    tree. Without ``url`` the page's own canonical URL stands in: parsers take the article's
    id from it (Gate Square's post id, Gate News' article number).
    """
    document = _parsed(body)
    url = url or (_own_url(document) if document is not None else None)
    refused = None
    if source is not None:
        try:
            articles = parse_page(_page(body, source, "detail", url, fetched_at))
        except LimitError:
            raise
        except PayloadError as error:
            articles = []
            refused = f"source {source!r} could not read it as a detail page ({error})"
        if articles:
            return articles[0]
    try:
        # An unreadable page is parsed again only to say why.
        extracted = extract_article(body if document is None else document, url)
    except PayloadError as error:
        reason = "HTML page has no article text" if "no article text" in str(error) else str(error)
        raise PayloadError(f"{reason}; {refused}" if refused else reason) from error
    metadata = extracted.metadata
    body_text = _without_trailer(extracted.body_text)
    if not body_text:
        raise PayloadError("HTML page has no article text (only a disclaimer)")
    return _generic(
        source,
        module,
        url=url or "",
        raw_ref=_digest(body),
        fetched_at=fetched_at,
        title=metadata.title,
        body=RenderedBody(body_text, _without_trailer(extracted.body_markdown) or body_text),
        summary=metadata.summary,
        author=metadata.author,
        published_at=metadata.published_at,
        updated_at=metadata.updated_at,
        language=metadata.language,
    )


def _parsed(body: bytes) -> lxml.html.HtmlElement | None:
    """The page's tree; None when lxml cannot read it (the extractor then says why)."""
    try:
        return parse_document(body)
    except PayloadError:
        return None


def _own_url(document: lxml.html.HtmlElement) -> str | None:
    """The page's ``<link rel="canonical">``, else its ``og:url``."""
    found = [
        *document.xpath('//link[@rel="canonical"]/@href'),
        *document.xpath('//meta[@property="og:url"]/@content'),
    ]
    return next((str(value).strip() for value in found if str(value).strip()), None)


def _without_trailer(text: str) -> str:
    """The text up to a closing "Disclaimer: ..." or "Risk Warning" paragraph."""
    paragraphs = text.split("\n")
    while paragraphs and (not paragraphs[-1].strip() or _TRAILER.match(paragraphs[-1].strip())):
        paragraphs.pop()
    return "\n".join(paragraphs).strip()


def _from_text(
    text: str,
    source: str | None,
    module: ModuleType | None,
    url: str | None,
    fetched_at: datetime,
) -> Article:
    if source == "gate_square":
        return _gate_square_text(text, url, fetched_at)
    lines = [line.strip() for line in text.splitlines()]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if not paragraphs:
        raise PayloadError("the text has no words")
    title = next(line for line in lines if line)
    first = paragraphs[0].split("\n", 1)
    paragraphs[0] = first[1].strip() if len(first) > 1 else ""
    body_text = "\n\n".join(p for p in paragraphs if p)
    return _generic(
        source,
        module,
        url=url or "",
        raw_ref=_digest(text.encode()),
        fetched_at=fetched_at,
        title=title,
        body=RenderedBody(body_text, body_text) if body_text else None,
    )


def _gate_square_text(text: str, url: str | None, fetched_at: datetime) -> Article:
    """A Gate Square post copied off its page; without its URL the post id is unknown, so
    the article is named by the text's hash and has no URL."""
    from transform.sources import gate_square
    from transform.sources.gate_square_text import read_post

    try:
        if url:
            return gate_square.parse_text(text, url=url, fetched_at=fetched_at)
        native_id = _digest(text.encode())
        post = read_post(text.splitlines(), native_id, fetched_at)
        article = gate_square._article(native_id, post, fetched_at=fetched_at, raw_ref=native_id)
    except PayloadError as error:
        raise PayloadError(
            f"input is text but source 'gate_square' could not read it as a post: {error}"
        ) from error
    return dataclasses.replace(
        article,
        url="",
        article_id=article_id(gate_square.SOURCE, native_id, gate_square.SITE_LANGUAGE, ""),
    )


def _exchange(source: str | None, module: ModuleType | None, url: str) -> str:
    """The source's exchange; for no source, the site's name ("www.gate.com" -> "gate")."""
    if module is not None:
        return getattr(module, "EXCHANGE", None) or str(source).split("_")[0]
    try:
        labels = (urlsplit(url).hostname or "").split(".")
    except ValueError:  # not a URL urllib can split: no site name to take
        return "unknown"
    return labels[-2] if len(labels) >= 2 else "unknown"


def _generic(
    source: str | None,
    module: ModuleType | None,
    *,
    url: str,
    raw_ref: str,
    fetched_at: datetime,
    title: str | None,
    body: RenderedBody | None,
    language: str | None = None,
    **fields: Any,
) -> Article:
    """An article no source rule shaped: named by its URL, else by the input's hash."""
    source = source or GENERIC_SOURCE
    return Article.read(
        source=source,
        exchange=_exchange(source, module, url),
        native_id=canonical_url(url) if url else raw_ref,
        url=url,
        fetched_at=fetched_at,
        raw_ref=raw_ref,
        language=language,
        title=title,
        body=body,
        category=category_from_title(title) if title else None,
        **fields,
    )
