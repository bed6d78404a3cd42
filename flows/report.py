"""One ``runs`` row per source per flow run, and the same figures as Prefect artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.process import ProcessResult, Window
from spiders.crawl import CrawlSummary


@dataclass
class SourceRun:
    """What one flow run did for one source; ``crawl`` is None when nothing was fetched."""

    run_id: str
    flow: str
    source: str
    window: Window
    started_at: datetime
    finished_at: datetime
    crawl: CrawlSummary | None
    processed: ProcessResult
    stale_by: timedelta | None = None
    failure: str | None = None  # processing or recording gave up: the run failed

    @property
    def blocked(self) -> int:
        return self.crawl.blocked if self.crawl else 0

    @property
    def errors(self) -> int:
        failed = 1 if self.failure else 0
        if self.crawl is None:
            return failed
        return self.crawl.quarantined - self.crawl.blocked + (1 if self.crawl.error else 0) + failed

    @property
    def returned_nothing(self) -> bool:
        return self.crawl is not None and not self.crawl.pages_stored + self.crawl.pages_unchanged

    @property
    def status(self) -> str:
        if self.failure:
            return "failed"
        if self.crawl is not None and (self.crawl.error or (self.returned_nothing and self.errors)):
            return "failed"
        if self.blocked and self.returned_nothing:
            return "blocked"
        if self.errors or self.processed.quarantined or self.blocked:
            return "partial"
        return "completed"

    def messages(self) -> list[str]:
        """What a person should look at: failures, silence, an uncovered window."""
        messages = [self.failure] if self.failure else []
        if self.crawl is None:
            return messages
        messages += [self.crawl.error] if self.crawl.error else []
        if self.blocked:
            messages.append(f"blocked: {self.blocked} request(s) answered 401/403/451")
        if self.returned_nothing:
            messages.append("source returned nothing")
        if self.stale_by is not None:
            messages.append(f"stale: newest item {_days(self.stale_by)} older than its cadence")
        if self.crawl.page_cap_reached:
            messages.append("page cap reached: window not fully covered")
        return messages

    def row(self) -> dict[str, Any]:
        crawl = self.crawl or CrawlSummary(self.source)
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
            "requests": crawl.requests,
            "pages_stored": crawl.pages_stored,
            "pages_unchanged": crawl.pages_unchanged,
            "items_seen": self.processed.items_seen,
            "items_new": self.processed.items_new,
            "items_changed": self.processed.items_changed,
            "items_unchanged": self.processed.items_unchanged,
            "quarantined": self.processed.quarantined + crawl.quarantined,
            "errors": self.errors,
            "blocked": self.blocked,
            "not_modified": crawl.not_modified,
            "details_skipped": crawl.details_skipped,
            "message": "; ".join(self.messages()) or None,
        }


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:.1f} d"


def staleness(newest: datetime | None, cadence: timedelta, now: datetime) -> timedelta | None:
    """How far past its expected cadence a source's newest item is, or None when fresh."""
    if newest is None:
        return None
    late = now - newest - cadence
    return late if late > timedelta(0) else None


REPORT_COLUMNS = (
    "source", "status", "requests", "items_seen", "items_new", "items_changed",
    "items_unchanged", "quarantined", "errors", "blocked", "not_modified", "details_skipped",
    "message",
)  # fmt: skip


def report_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The artifact's table: one row per source, the columns a person scans first."""
    return [{column: row[column] for column in REPORT_COLUMNS} for row in rows]


def report_markdown(flow_name: str, rows: list[dict[str, Any]]) -> str:
    """A short summary for the run page: totals, then each source that needs a look."""
    new = sum(row["items_new"] for row in rows)
    changed = sum(row["items_changed"] for row in rows)
    lines = [
        f"# exnews {flow_name}",
        f"{len(rows)} source run(s): {new} new and {changed} changed item(s).",
        "",
    ]
    flagged = [row for row in rows if row["message"] or row["status"] != "completed"]
    lines += [f"- **{row['source']}** ({row['status']}): {row['message'] or ''}" for row in flagged]
    if not flagged:
        lines.append("Every source completed without a warning.")
    return "\n".join(lines)
