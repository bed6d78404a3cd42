"""One ``runs`` row per source per flow run, and the same figures as a Prefect artifact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.process import ProcessResult, Window
from spiders.crawl import CrawlSummary


@dataclass
class SourceRun:
    run_id: str
    flow: str
    source: str
    window: Window
    started_at: datetime
    finished_at: datetime
    crawl: CrawlSummary
    processed: ProcessResult

    @property
    def errors(self) -> int:
        return self.crawl.fetch_failures - self.crawl.blocked + (1 if self.crawl.error else 0)

    @property
    def status(self) -> str:
        if self.crawl.error or (self.returned_nothing and self.errors):
            return "failed"
        if self.crawl.blocked and not self.crawl.pages_stored + self.crawl.pages_unchanged:
            return "blocked"
        if self.errors or self.processed.quarantined or self.crawl.blocked:
            return "partial"
        return "completed"

    @property
    def returned_nothing(self) -> bool:
        return self.crawl.pages_stored + self.crawl.pages_unchanged == 0

    def row(self) -> dict[str, Any]:
        messages = [self.crawl.error] if self.crawl.error else []
        if self.returned_nothing:
            messages.append("source returned nothing")
        if self.crawl.page_cap_reached:
            messages.append("page cap reached: window not fully covered")
        return {
            "run_id": self.run_id,
            "flow": self.flow,
            "source": self.source,
            "window_start": self.window.start,
            "window_end": self.window.end,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": (self.finished_at - self.started_at).total_seconds(),
            "status": self.status,
            "requests": self.crawl.requests,
            "pages_stored": self.crawl.pages_stored,
            "pages_unchanged": self.crawl.pages_unchanged,
            "items_seen": self.processed.items_seen,
            "items_new": self.processed.items_new,
            "items_changed": self.processed.items_changed,
            "items_unchanged": self.processed.items_unchanged,
            "quarantined": self.processed.quarantined + self.crawl.fetch_failures,
            "errors": self.errors,
            "blocked": self.crawl.blocked,
            "message": "; ".join(messages) or None,
        }


REPORT_COLUMNS = (
    "source", "status", "requests", "items_seen", "items_new", "items_changed",
    "items_unchanged", "quarantined", "errors", "blocked", "message",
)  # fmt: skip


def report_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The artifact's table: one row per source, the columns a person scans first."""
    return [{column: row[column] for column in REPORT_COLUMNS} for row in rows]
