"""Versioned article writes: new and changed content is appended, unchanged is skipped.

A list entry (``partial``) only fills what a stored list entry lacks and leaves an article
a detail page described alone; a full record replaces the stored content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warehouse.layout import month_key
from warehouse.schemas import ARTICLES, TABLES
from warehouse.storage import Location
from warehouse.views import (
    DEDUP,
    in_months,
    live_files,
    read_files,
    utc_connection,
    with_late_columns,
)
from warehouse.writer import Row, write_rows

# Columns that describe a fetch rather than the content.
_VOLATILE = frozenset(
    {
        "fetched_at",
        "first_seen_at",
        "raw_ref",
        "run_id",
        "processed_at",
        "content_hash",
        "schema_version",
        "engagement",
        "story_id",
    }
)
CONTENT_COLUMNS = tuple(name for name in ARTICLES.names if name not in _VOLATILE)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def content_hash(row: Mapping[str, Any]) -> str:
    """A hash of what a reader sees; fetch metadata and engagement counts are left out."""
    payload = {name: _jsonable(row.get(name)) for name in CONTENT_COLUMNS}
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


@dataclass
class UpsertResult:
    """What happened to each article: ``new``, ``changed`` or ``unchanged``.

    An article met twice in one run keeps its first verdict, so a run that lists and
    then details a new article counts it once, as new.
    """

    outcomes: dict[str, str] = field(default_factory=dict)

    def record(self, article_id: str, outcome: str) -> None:
        self.outcomes.setdefault(article_id, outcome)

    def merge(self, other: UpsertResult) -> None:
        for article_id, outcome in other.outcomes.items():
            self.record(article_id, outcome)

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


def stored_versions(
    root: Location, source: str, article_ids: Sequence[str], months: Collection[str] | None = None
) -> dict[str, Row]:
    """The newest stored row of each of ``article_ids``, looked up in ``months`` only.

    An article's partition is fixed by its ``published_at``, so the months of the rows a
    run holds bound the read, whatever the history; None reads every month.
    """
    if not article_ids:
        return {}
    files = live_files(
        root, TABLES["articles"], source, None if months is None else in_months(months)
    )
    if not files.every:
        return {}
    connection = utc_connection(root)
    stored = with_late_columns(
        connection, read_files(files.every, schemas=files.schemas), "articles"
    )
    table = connection.sql(
        f"""
            SELECT * FROM {stored}
            WHERE article_id IN (SELECT unnest(?))
            QUALIFY row_number() OVER (
                PARTITION BY article_id ORDER BY {DEDUP["articles"].order_by()}
            ) = 1
            """,
        params=[sorted(set(article_ids))],
    ).to_arrow_table()
    return {row["article_id"]: row for row in table.to_pylist()}


def _months(rows: Iterable[Row]) -> set[str] | None:
    """The partitions rows land in; None (every month) when one has no ``published_at``.

    The writer files an undated row under its fetch month, which moves from run to run.
    """
    moments = [row.get("published_at") for row in rows]
    return None if None in moments else {month_key(moment) for moment in moments}


def _merge(incoming: Mapping[str, Any], stored: Row | None, partial: bool) -> dict[str, Any]:
    if stored is None:
        return dict(incoming)
    if partial:
        merged = dict(stored)
        for name, value in incoming.items():
            if merged.get(name) in (None, [], "") and value not in (None, [], ""):
                merged[name] = value
        for name in ("fetched_at", "raw_ref", "run_id", "engagement"):
            if incoming.get(name) is not None:
                merged[name] = incoming[name]
        return merged
    merged = dict(incoming)
    for name, value in stored.items():
        if merged.get(name) is None and name in ARTICLES.names:
            merged[name] = value
    return merged


@dataclass
class ArticleVersion:
    """An article row with what belongs to its content: mention and comment rows."""

    row: dict[str, Any]
    partial: bool = False
    mentions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


def upsert_articles(
    root: Location, source: str, versions: Iterable[ArticleVersion]
) -> UpsertResult:
    """Append each article that is new or differs from its stored version.

    Mentions and comments are written before their article: a crash in between leaves
    rows no view shows (mentions join on the article's content hash), never a gap.
    """
    versions = list(versions)
    rows = [version.row for version in versions]
    stored = stored_versions(root, source, [row["article_id"] for row in rows], _months(rows))
    result = UpsertResult()
    processed_at = datetime.now(UTC)
    articles: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for version in versions:
        previous = stored.get(version.row["article_id"])
        if version.partial and previous is not None and previous.get("body_text"):
            # A list entry never changes what a detail page already said.
            result.record(version.row["article_id"], "unchanged")
            continue
        merged = _merge(version.row, previous, version.partial)
        merged["first_seen_at"] = (previous or merged).get("first_seen_at") or merged["fetched_at"]
        merged["content_hash"] = content_hash(merged)
        merged["processed_at"] = processed_at
        if previous is None:
            result.record(merged["article_id"], "new")
        elif previous["content_hash"] != merged["content_hash"]:
            result.record(merged["article_id"], "changed")
        else:
            result.record(merged["article_id"], "unchanged")
            if previous.get("engagement") == merged.get("engagement"):
                continue
        stored[merged["article_id"]] = merged
        articles.append(merged)
        belongs = {
            "article_id": merged["article_id"],
            "source": source,
            "published_at": merged.get("published_at"),
            "fetched_at": merged["fetched_at"],
            "run_id": merged.get("run_id"),
        }
        mentions += [
            {**mention, **belongs, "content_hash": merged["content_hash"]}
            for mention in version.mentions
        ]
        comments += [{**comment, **belongs} for comment in version.comments]
    write_rows(root, TABLES["mentions"], mentions)
    write_rows(root, TABLES["comments"], comments)
    write_rows(root, TABLES["articles"], articles)
    return result
