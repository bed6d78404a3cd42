"""Stored pages to tables: parse each page, quarantine what fails, write versions.

Shared by ``ingest``/``backfill`` (the pages of one crawl) and ``reprocess`` (every
stored page of a window), so rebuilding from the raw layer is the same code path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from flows.events import OUTCOMES, emit_article_events
from transform import Article, Page, parse_page
from transform.enrich.fingerprint import pick_story
from transform.limits import LimitError
from warehouse.schemas import TABLES
from warehouse.state import story_candidates
from warehouse.versions import ArticleVersion, UpsertResult, upsert_articles
from warehouse.writer import write_rows

# Near-duplicates published further apart than this are separate stories.
STORY_REACH = timedelta(days=30)

PAGE_FIELDS = (
    "raw_id", "source", "page_kind", "url", "fetched_at", "body", "status", "feed",
    "native_id", "content_type", "context",
)  # fmt: skip


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC; an open side is None."""

    start: datetime | None = None
    end: datetime | None = None

    def holds(self, moment: datetime | None) -> bool:
        if moment is None:  # undated items belong to open-ended (incremental) windows only
            return self.end is None
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end
        )


@dataclass
class ProcessResult:
    pages: int = 0
    quarantined: int = 0
    outcomes: UpsertResult = field(default_factory=UpsertResult)

    @property
    def items_seen(self) -> int:
        return len(self.outcomes.outcomes)

    @property
    def items_new(self) -> int:
        return self.outcomes.count("new")

    @property
    def items_changed(self) -> int:
        return self.outcomes.count("changed")

    @property
    def items_unchanged(self) -> int:
        return self.outcomes.count("unchanged")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _quarantine_row(
    page: Page, error: Exception, run_id: str, stage: str = "transform", item: str = ""
) -> dict[str, Any]:
    """``stage`` "transform": the page gave nothing; "enrich": an article landed cut short by
    a limit of transform.limits (``item`` names it, ``error`` says what was cut)."""
    key = f"{page.raw_id}\x1f{stage}" + (f"\x1f{item}" if item else "")
    return {
        "quarantine_id": hashlib.sha256(key.encode()).hexdigest()[:24],
        "source": page.source,
        "stage": stage,
        "url": page.url,
        "native_id": page.native_id,
        "error_type": type(error).__name__,
        "error": f"{page.page_kind} page {page.url}: {error}",
        "status": page.status,
        "raw_ref": page.raw_id,
        "failed_at": datetime.now(UTC),
        "run_id": run_id,
    }


def _limit(article: Article) -> LimitError:
    return LimitError(f"article {article.native_id}: {'; '.join(article.limits)}")


def _version(article: Article, run_id: str, stories: list[tuple[str, str]]) -> ArticleVersion:
    """The row to store; the article joins the story of its nearest near-duplicate."""
    story_id = article.article_id
    if article.fingerprint:
        story_id = pick_story(article.fingerprint, stories) or story_id
        stories.append((story_id, article.fingerprint))
    return ArticleVersion(
        row={**article.row(), "run_id": run_id, "story_id": story_id},
        partial=article.partial,
        mentions=[asdict(mention) for mention in article.mentions],
        comments=[asdict(comment) for comment in article.comments],
    )


def _news(
    batch: UpsertResult, versions: list[ArticleVersion], earlier: UpsertResult
) -> list[tuple[str, dict[str, Any]]]:
    """The batch's new and changed articles with their rows, each once, none this run told."""
    news: dict[str, tuple[str, dict[str, Any]]] = {}
    for version in versions:
        article_id = version.row["article_id"]
        outcome = batch.outcomes.get(article_id)
        if outcome in OUTCOMES and article_id not in earlier.outcomes:
            news.setdefault(article_id, (outcome, version.row))
    return list(news.values())


def process_pages(
    root: Path,
    source: str,
    raw_pages: Iterable[dict[str, Any]],
    *,
    window: Window,
    run_id: str,
    batch_pages: int = 200,
) -> ProcessResult:
    """Parse and store pages batch by batch, so memory stays bounded on long windows."""
    result = ProcessResult()
    since = window.start - STORY_REACH if window.start else datetime(1970, 1, 1, tzinfo=UTC)
    stories: list[tuple[str, str]] | None = None
    for batch in _batches(raw_pages, batch_pages):
        if stories is None:  # read on the first page: a run with nothing new reads nothing
            stories = story_candidates(root, since)
        versions: list[ArticleVersion] = []
        failures: list[dict[str, Any]] = []
        for raw in batch:
            page = Page(**{name: raw.get(name) for name in PAGE_FIELDS})
            result.pages += 1
            try:
                articles = parse_page(page)
            except Exception as error:  # any bad payload is quarantined, the run goes on
                failures.append(_quarantine_row(page, error, run_id))
                continue
            kept = [article for article in articles if window.holds(article.published_at)]
            versions += [_version(article, run_id, stories) for article in kept]
            failures += [
                _quarantine_row(page, _limit(article), run_id, "enrich", article.article_id)
                for article in kept
                if article.limits
            ]
        write_rows(root, TABLES["quarantine"], failures)
        outcomes = upsert_articles(root, source, versions)
        emit_article_events(_news(outcomes, versions, result.outcomes))
        result.outcomes.merge(outcomes)
        result.quarantined += len(failures)
    return result
