"""Incremental state, derived from the warehouse itself so it cannot drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse.layout import UNKNOWN_MONTH
from warehouse.schemas import TABLES
from warehouse.views import (
    connect,
    live_files,
    months_from,
    partitions,
    read_files,
    time_key,
    utc_connection,
)

# How long a stored payload is remembered as processed: an ingest re-fetches the pages
# of its look-back window, which were fetched within days; older ones may land again.
PAYLOAD_MEMORY = timedelta(days=31)
# The longest a run takes: its pages were fetched at most this long after it started.
RUN_SPAN = timedelta(days=1)


def newest_published_at(root: Path, source: str) -> datetime | None:
    """The newest ``published_at`` stored for ``source``: where the next ingest resumes.

    Only the newest year that has rows is read (its snapshot and newer months), whatever
    the history.
    """
    spec = TABLES["articles"]
    keys = {time_key(partition) for partition in partitions(root, spec, source)}
    for year in sorted({key[:4] for key in keys if key != UNKNOWN_MONTH}, reverse=True):
        files = live_files(root, spec, source, lambda key, year=year: key.startswith(year))
        if not files.every:
            continue
        query = f"SELECT max(published_at) FROM {read_files(files.every, schemas=files.schemas)}"
        newest = utc_connection().execute(query).fetchone()
        if newest and newest[0] is not None:
            return newest[0]
    return None


def processed_payloads(root: Path, source: str, since: datetime | None = None) -> set[str]:
    """Hashes of payloads fetched since ``since`` by a run that finished: no new work.

    Pages of a run that crashed before its ``runs`` row are fetched and processed again.
    Only the month partitions from ``since`` (default: ``PAYLOAD_MEMORY`` ago) are read.
    """
    since = since or datetime.now(UTC) - PAYLOAD_MEMORY
    pages = live_files(root, TABLES["raw_pages"], source, months_from(since))
    runs = live_files(root, TABLES["runs"], when=months_from(since - RUN_SPAN))
    if not pages.latest or not runs.latest:
        return set()
    rows = (
        utc_connection()
        .execute(
            f"""
            SELECT DISTINCT p.sha256 FROM {read_files(pages.latest)} AS p
            SEMI JOIN {read_files(runs.latest)} AS r ON p.run_id = r.run_id
            WHERE p.fetched_at >= ?
            """,
            [since],
        )
        .fetchall()
    )
    return {sha for (sha,) in rows}


def source_activity(root: Path) -> dict[str, dict[str, object]]:
    """Per source: its last run (when, status) and its newest article, from the views."""

    rows = (
        connect(root)
        .execute(
            """
            WITH last_runs AS (
                SELECT source, finished_at AS last_run_at, status AS last_status
                FROM runs QUALIFY row_number() OVER (
                    PARTITION BY source ORDER BY finished_at DESC) = 1),
            newest AS (
                SELECT source, max(published_at) AS newest_published_at, count(*) AS articles
                FROM articles GROUP BY source)
            SELECT coalesce(r.source, n.source) AS source, r.last_run_at, r.last_status,
                   n.newest_published_at, coalesce(n.articles, 0) AS articles
            FROM last_runs AS r FULL JOIN newest AS n USING (source)
            """
        )
        .fetchall()
    )
    names = ("last_run_at", "last_status", "newest_published_at", "articles")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def story_candidates(root: Path, since: datetime) -> list[tuple[str, str]]:
    """``(story_id, fingerprint)`` of stored articles published since ``since``, every source.

    Only the month partitions from ``since`` on are read.
    """
    files = live_files(root, TABLES["articles"], when=months_from(since))
    if not files.every:
        return []
    rows = (
        utc_connection()
        .execute(
            f"""
            SELECT coalesce(story_id, article_id), fingerprint FROM {read_files(files.every)}
            WHERE fingerprint IS NOT NULL AND published_at >= ?
            QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY fetched_at DESC) = 1
            """,
            [since],
        )
        .fetchall()
    )
    return [(story_id, fingerprint) for story_id, fingerprint in rows]
