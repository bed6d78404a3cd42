"""Pure functions from stored payloads to articles, comments and mentions (no I/O)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from transform.model import Article, Comment, Mention, Page, PayloadError

__all__ = ["Article", "Comment", "Mention", "Page", "PayloadError", "parse_page"]


def _parser(source: str) -> Callable[[Page], list[Article]]:
    """``transform.sources.<source>.parse``: adding a source adds a module, nothing else."""
    if not source.isidentifier():
        raise PayloadError(f"no parser for source {source!r}")
    try:
        module = importlib.import_module(f"transform.sources.{source}")
    except ModuleNotFoundError as error:
        if error.name != f"transform.sources.{source}":
            raise
        raise PayloadError(f"no parser for source {source!r}") from error
    return module.parse


def parse_page(page: Page) -> list[Article]:
    """The articles one stored page yields, enriched; raises on a payload it cannot read."""
    from transform.enrich import enrich  # enrich's finders import the model: import late

    return [enrich(article) for article in _parser(page.source)(page)]
