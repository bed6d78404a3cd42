"""Pure functions from stored payloads to articles, comments and mentions (no I/O)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from transform.model import Article, Comment, Mention, Page, PayloadError

__all__ = ["Article", "Comment", "Mention", "Page", "PayloadError", "parse_page"]

# What a parser may let escape on a payload of the wrong shape (docs/adding-a-source.md):
# parse_page reports them as PayloadError, so its callers handle one error type.
SHAPE_ERRORS = (ValueError, KeyError, TypeError, IndexError, AttributeError)


def _parser(source: str) -> Callable[[Page], list[Article]]:
    """``transform.sources.<source>.parse``: adding a source adds a module, nothing else."""
    from transform.sources import SHARED

    if not source.isidentifier() or source in SHARED:
        raise PayloadError(f"no parser for source {source!r}")
    try:
        module = importlib.import_module(f"transform.sources.{source}")
    except ModuleNotFoundError as error:
        if error.name != f"transform.sources.{source}":
            raise
        raise PayloadError(f"no parser for source {source!r}") from error
    return module.parse


def parse_page(page: Page) -> list[Article]:
    """The articles one stored page yields, enriched; raises :class:`PayloadError` (or a
    subclass: ``LimitError``, ``MarkupError``) on a payload it cannot read."""
    from transform.enrich import enrich  # enrich's finders import the model: import late
    from transform.limits import check_json_depth, check_size

    parse = _parser(page.source)
    check_size(page.body, f"{page.page_kind} page")
    if page.body.lstrip()[:1] in (b"{", b"["):
        check_json_depth(page.body, f"{page.page_kind} page's JSON")
    if page.context:
        check_json_depth(page.context, "page context")
    try:
        articles = parse(page)
    except PayloadError:
        raise
    except SHAPE_ERRORS as error:
        raise PayloadError(f"{type(error).__name__}: {error}") from error
    return [enrich(article) for article in articles]
