"""Incremental state, derived from the warehouse itself so it cannot drift."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from warehouse.layout import table_files
from warehouse.schemas import TABLES
from warehouse.views import connect, utc_connection


def _read_files(paths: list[Path]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
    return f"read_parquet([{listed}], union_by_name = true)"


def newest_published_at(root: Path, source: str) -> datetime | None:
    """The newest ``published_at`` stored for ``source``: where the next ingest resumes."""
    files = table_files(root, TABLES["articles"], source)
    if not files:
        return None
    connection = utc_connection()
    row = connection.execute(f"SELECT max(published_at) FROM {_read_files(files)}").fetchone()
    return row[0] if row else None


def processed_payloads(
    root: Path, source: str, since: datetime | None = None, until: datetime | None = None
) -> set[str]:
    """Hashes of payloads a finished run processed for a window holding ``[since, until)``.

    Those need no new work. Pages of a run that crashed before its ``runs`` row are fetched
    and processed again, and so are pages processed for a narrower window: the same list
    page read for one backfill month holds the articles of the next month too.
    """
    pages = table_files(root, TABLES["raw_pages"], source)
    runs = table_files(root, TABLES["runs"])
    if not pages or not runs:
        return set()
    start = "r.window_start IS NULL" + ("" if since is None else " OR r.window_start <= $since")
    end = "r.window_end IS NULL" + ("" if until is None else " OR r.window_end >= $until")
    parameters = {name: value for name, value in (("since", since), ("until", until)) if value}
    connection = utc_connection()
    rows = connection.execute(
        f"""
        SELECT DISTINCT p.sha256 FROM {_read_files(pages)} AS p
        SEMI JOIN {_read_files(runs)} AS r
            ON p.run_id = r.run_id AND ({start}) AND ({end})
        """,
        parameters,
    ).fetchall()
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
    """``(story_id, fingerprint)`` of stored articles published since ``since``, every source."""
    files = table_files(root, TABLES["articles"])
    if not files:
        return []
    connection = utc_connection()
    rows = connection.execute(
        f"""
        SELECT coalesce(story_id, article_id), fingerprint
        FROM {_read_files(files)}
        WHERE fingerprint IS NOT NULL AND published_at >= ?
        QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY fetched_at DESC) = 1
        """,
        [since],
    ).fetchall()
    return [(story_id, fingerprint) for story_id, fingerprint in rows]
