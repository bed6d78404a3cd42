"""Enrichment, the last stage: what every article gets whatever its source (language,
fingerprint, mentions, topics, category, trade-link pairs), from the finders of this
package and the rules tables and data lists beside them."""

from __future__ import annotations

import dataclasses

from transform.enrich.category import category_from_text
from transform.enrich.fingerprint import fingerprint as simhash  # not to hide the module
from transform.enrich.mentions import find_mentions
from transform.enrich.symbols import trade_link_symbols
from transform.enrich.topics import find_topics
from transform.extract.language import detect_language
from transform.limits import enrich_text
from transform.model import Article


def enrich(article: Article) -> Article:
    """A copy of ``article`` with what every article gets: its language when the source did
    not say, its fingerprint, its mentions and topics (from the shared finders), a
    category from the body's opening when neither its source nor its title gave one, and
    the pairs of trade links whose text does not show them.

    A partial article (a list entry) has a summary and no body: its mentions and topics come
    from the summary then, with ``field="summary"`` so offsets point into the right text.
    The finders read at most ``ENRICH_TEXT_CHARS`` of each field; a cut is noted in
    ``limits``.
    """
    limits = list(article.limits)
    title = _readable(article.title or "", "title", limits)
    if article.body_text:
        field, text = "body_text", article.body_text
    else:
        field, text = "summary", article.summary or ""
    text = _readable(text, field, limits)
    reference = article.published_at or article.fetched_at
    mentions = article.mentions or [
        *(find_mentions(title, "title", reference) if title else []),
        *(find_mentions(text, field, reference) if text else []),
    ]
    enriched = dataclasses.replace(
        article,
        category=_category(article, title, text),
        language=article.language or detect_language(f"{title}\n{text}".strip()),
        fingerprint=article.fingerprint or _fingerprint(text if article.body_text else title),
        mentions=mentions,
        limits=limits,
    )
    enriched.topics = list(getattr(article, "topics", None) or find_topics(title, text))
    linked = trade_link_symbols(article.body_markdown or "")
    enriched.coins = list(dict.fromkeys([*article.coins, *linked.coins]))
    enriched.pairs = list(dict.fromkeys([*article.pairs, *linked.pairs]))
    return enriched


def _category(article: Article, title: str, text: str) -> str | None:
    """The source's label or the title's category; when neither names one, the body's."""
    if article.category not in (None, "other") or not text:
        return article.category
    return category_from_text(title, text)


def _readable(text: str, field: str, limits: list[str]) -> str:
    """What the finders read of one field, noting a cut in ``limits``."""
    head, cut = enrich_text(text)
    note = f"mentions, coins, pairs, topics and fingerprint of {field}: {cut}"
    if cut and note not in limits:  # an article enriched twice notes a cut once
        limits.append(note)
    return head


def _fingerprint(text: str) -> str | None:
    """On the body when there is one (titles of one template differ in a word or two)."""
    return simhash(text) if text else None
