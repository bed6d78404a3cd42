"""Table contracts: one pyarrow schema per table, versioned.

Bump SCHEMA_VERSION when a column's meaning changes; adding a nullable column does not
need a bump because the views read files with ``union_by_name``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 1

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

ENGAGEMENT = pa.struct(
    [
        ("reward", pa.int64()),
        ("reposts", pa.int64()),
        ("shares", pa.int64()),
        ("comments", pa.int64()),
        ("views", pa.int64()),
        ("likes", pa.int64()),
    ]
)

ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("exchange", pa.string()),
        ("feed", pa.string()),
        ("native_id", pa.string()),
        ("url", pa.string()),
        ("language", pa.string()),
        ("title", pa.string()),
        ("summary", pa.string()),
        ("body_text", pa.string()),
        ("body_markdown", pa.string()),
        ("author", pa.string()),
        ("published_at", UTC_TIMESTAMP),
        ("updated_at", UTC_TIMESTAMP),
        ("fetched_at", UTC_TIMESTAMP),
        ("first_seen_at", UTC_TIMESTAMP),
        ("category", pa.string()),
        ("source_categories", pa.list_(pa.string())),
        ("coins", pa.list_(pa.string())),
        ("pairs", pa.list_(pa.string())),
        ("topics", pa.list_(pa.string())),
        ("engagement", ENGAGEMENT),
        ("translated", pa.bool_()),
        ("content_hash", pa.string()),
        ("fingerprint", pa.string()),
        ("story_id", pa.string()),
        ("raw_ref", pa.string()),
        ("run_id", pa.string()),
        # When this row was derived: of two rows from one fetch (a reprocess after a
        # transform change), the later one is current. NULL in files written before it.
        ("processed_at", UTC_TIMESTAMP),
        ("schema_version", pa.int32()),
    ]
)

COMMENTS = pa.schema(
    [
        ("comment_id", pa.string()),
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("author", pa.string()),
        ("author_badges", pa.list_(pa.string())),
        ("posted_at", UTC_TIMESTAMP),
        ("posted_at_text", pa.string()),
        ("text", pa.string()),
        ("reply_count", pa.int64()),
        ("like_count", pa.int64()),
        ("published_at", UTC_TIMESTAMP),
        ("fetched_at", UTC_TIMESTAMP),
        ("run_id", pa.string()),
        ("schema_version", pa.int32()),
    ]
)

MENTIONS = pa.schema(
    [
        ("article_id", pa.string()),
        ("content_hash", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("text", pa.string()),
        ("value", pa.string()),
        ("amount", pa.float64()),
        ("unit", pa.string()),
        ("pair_kind", pa.string()),
        ("field", pa.string()),
        ("start_offset", pa.int32()),
        ("end_offset", pa.int32()),
        ("published_at", UTC_TIMESTAMP),
        ("fetched_at", UTC_TIMESTAMP),
        ("run_id", pa.string()),
        ("schema_version", pa.int32()),
    ]
)

RAW_PAGES = pa.schema(
    [
        ("raw_id", pa.string()),
        ("source", pa.string()),
        ("feed", pa.string()),
        ("page_kind", pa.string()),
        ("native_id", pa.string()),
        ("url", pa.string()),
        ("fetched_at", UTC_TIMESTAMP),
        ("status", pa.int32()),
        ("content_type", pa.string()),
        ("headers", pa.map_(pa.string(), pa.string())),
        ("context", pa.string()),
        # A detail page's list entry, hashed: the entry unchanged, the page is not refetched.
        ("entry_fingerprint", pa.string()),
        ("body", pa.binary()),
        ("sha256", pa.string()),
        ("run_id", pa.string()),
        ("schema_version", pa.int32()),
    ]
)

RUNS = pa.schema(
    [
        ("run_id", pa.string()),
        ("flow", pa.string()),
        ("source", pa.string()),
        ("window_start", UTC_TIMESTAMP),
        ("window_end", UTC_TIMESTAMP),
        ("started_at", UTC_TIMESTAMP),
        ("finished_at", UTC_TIMESTAMP),
        ("duration_seconds", pa.float64()),
        ("status", pa.string()),
        ("requests", pa.int64()),
        ("pages_stored", pa.int64()),
        ("pages_unchanged", pa.int64()),
        ("items_seen", pa.int64()),
        ("items_new", pa.int64()),
        ("items_changed", pa.int64()),
        ("items_unchanged", pa.int64()),
        ("quarantined", pa.int64()),
        ("errors", pa.int64()),
        ("blocked", pa.int64()),
        # Cheap polls: list pages answered 304, detail pages not asked for (entry unchanged).
        ("not_modified", pa.int64()),
        ("details_skipped", pa.int64()),
        ("message", pa.string()),
        ("schema_version", pa.int32()),
    ]
)

QUARANTINE = pa.schema(
    [
        ("quarantine_id", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("url", pa.string()),
        ("native_id", pa.string()),
        ("error_type", pa.string()),
        ("error", pa.string()),
        ("status", pa.int32()),
        ("raw_ref", pa.string()),
        ("failed_at", UTC_TIMESTAMP),
        ("run_id", pa.string()),
        ("schema_version", pa.int32()),
    ]
)


@dataclass(frozen=True)
class TableSpec:
    """Where a table's files live: partitioned by source (when it has one) and month."""

    name: str
    schema: pa.Schema
    month_column: str
    by_source: bool = True


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("articles", ARTICLES, "published_at"),
        TableSpec("comments", COMMENTS, "published_at"),
        TableSpec("mentions", MENTIONS, "published_at"),
        TableSpec("raw_pages", RAW_PAGES, "fetched_at"),
        TableSpec("runs", RUNS, "started_at", by_source=False),
        TableSpec("quarantine", QUARANTINE, "failed_at"),
    )
}
