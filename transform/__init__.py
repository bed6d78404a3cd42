"""Pure functions from stored payloads to articles, comments and mentions (no I/O)."""

from __future__ import annotations

from collections.abc import Callable

from transform import binance
from transform.model import Article, Comment, Mention, Page, PayloadError

__all__ = ["Article", "Comment", "Mention", "Page", "PayloadError", "parse_page"]

_PARSERS: dict[str, Callable[[Page], list[Article]]] = {
    binance.SOURCE: binance.parse,
}


def parse_page(page: Page) -> list[Article]:
    """The articles one stored page yields; raises on a payload it cannot read."""
    try:
        parser = _PARSERS[page.source]
    except KeyError as error:
        raise PayloadError(f"no parser for source {page.source!r}") from error
    return parser(page)
