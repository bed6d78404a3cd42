"""What transform takes (a stored page) and gives (articles with their mentions and comments)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from transform.ids import article_id


@dataclass(frozen=True)
class Page:
    """One stored HTTP payload, as the raw layer keeps it."""

    raw_id: str
    source: str
    page_kind: str
    url: str
    fetched_at: datetime
    body: bytes
    status: int = 200
    feed: str | None = None
    native_id: str | None = None
    content_type: str | None = None
    context: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)

    def context_value(self, key: str) -> Any:
        return json.loads(self.context).get(key) if self.context else None


@dataclass
class Mention:
    kind: str
    text: str
    value: str
    field: str
    start_offset: int
    end_offset: int
    amount: float | None = None
    unit: str | None = None
    pair_kind: str | None = None  # of a pair: spot, perpetual, futures or margin


@dataclass
class Comment:
    comment_id: str
    text: str
    author: str | None = None
    author_badges: list[str] = field(default_factory=list)
    posted_at: datetime | None = None
    posted_at_text: str | None = None
    reply_count: int | None = None
    like_count: int | None = None


@dataclass(frozen=True)
class RenderedBody:
    """The same body twice: ``text`` for search and symbols, ``markdown`` for display."""

    text: str
    markdown: str


@dataclass
class Article:
    """One article as a page shows it; ``partial`` when the page only lists it."""

    article_id: str
    source: str
    exchange: str
    native_id: str
    url: str
    fetched_at: datetime
    raw_ref: str
    partial: bool = False
    feed: str | None = None
    language: str | None = None
    title: str | None = None
    summary: str | None = None
    body_text: str | None = None
    body_markdown: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    category: str | None = None
    source_categories: list[str] = field(default_factory=list)
    coins: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    engagement: dict[str, int | None] | None = None
    translated: bool | None = None
    fingerprint: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # Limits of transform.limits the article hit ("mentions: only the first ... characters").
    limits: list[str] = field(default_factory=list)

    @classmethod
    def from_page(cls, page: Page, *, exchange: str | None = None, **fields: Any) -> Article:
        """An article read off ``page`` (the other fields as :meth:`read` takes them): of the
        page's source, fetched and stored as the page was; ``exchange`` is the source's
        unless said."""
        return cls.read(
            source=page.source,
            exchange=exchange or page.source,
            fetched_at=page.fetched_at,
            raw_ref=page.raw_id,
            **fields,
        )

    @classmethod
    def read(
        cls,
        *,
        source: str,
        exchange: str,
        native_id: str,
        url: str,
        fetched_at: datetime,
        raw_ref: str,
        language: str | None,
        title: str | None,
        body: RenderedBody | None = None,
        **fields: Any,
    ) -> Article:
        """An article named by its source, id, language and URL, its coins and pairs read
        from the title and the body (the summary where there is no body); :meth:`from_page`
        for an article read off a stored page."""
        from transform.enrich.symbols import field_symbols  # symbols -> limits -> this module

        symbols = field_symbols(title, body.text if body else fields.get("summary"))
        return cls(
            article_id=article_id(source, native_id, language, url),
            source=source,
            exchange=exchange,
            native_id=native_id,
            url=url,
            fetched_at=fetched_at,
            raw_ref=raw_ref,
            language=language,
            title=title,
            body_text=body.text if body else None,
            body_markdown=body.markdown if body else None,
            coins=list(symbols.coins),
            pairs=list(symbols.pairs),
            **fields,
        )

    def row(self) -> dict[str, Any]:
        """The ``articles`` columns of this article."""
        values = asdict(self)
        for name in ("partial", "mentions", "comments", "limits"):
            values.pop(name)
        return values


class PayloadError(ValueError):
    """The payload is not what the source's format promises (changed layout, API error)."""


def parse_by_kind(
    page: Page, parse_list: Callable[[Page], list[Article]], parse_detail: Callable[[Page], Article]
) -> list[Article]:
    """A list page gives many (partial) articles, a detail page one."""
    if page.page_kind == "list":
        return parse_list(page)
    if page.page_kind == "detail":
        return [parse_detail(page)]
    raise PayloadError(f"unknown {page.source} page kind {page.page_kind!r}")
