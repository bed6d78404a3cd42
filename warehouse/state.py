"""Incremental state, derived from the warehouse itself so it cannot drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from warehouse.layout import UNKNOWN_MONTH
from warehouse.schemas import TABLES
from warehouse.storage import Location
from warehouse.views import (
    DEDUP,
    connect,
    live_files,
    months_from,
    partitions,
    read_files,
    time_key,
    utc_connection,
    with_late_columns,
)

# How long a stored payload is remembered as processed: the ingest's 72-hour look-back
# plus a day. An ingest re-fetches the pages of its window, stored within that time; an
# older payload met again (a backfill) is stored again and its duplicate hidden. Longer
# memory would make a no-op ingest read more the more articles a day the sources publish.
PAYLOAD_MEMORY = timedelta(days=4)
# The longest a run takes: its pages were fetched at most this long after it started.
RUN_SPAN = timedelta(days=1)


def _newest_in_footers(paths: list[Location], column: str) -> datetime | None:
    """The largest value of ``column`` from the files' row-group statistics, not the rows.

    Parquet min/max of a timestamp are exact; a row group of nulls has none and is skipped.
    """
    newest = None
    for path in paths:
        with path.open("rb") as handle:  # a footer read, local or remote
            metadata = pq.read_metadata(handle)
        index = metadata.schema.to_arrow_schema().get_field_index(column)
        if index < 0:
            continue
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(index).statistics
            if statistics is not None and statistics.has_min_max:
                newest = max(filter(None, (newest, statistics.max)))
    return newest


def newest_published_at(root: Location, source: str) -> datetime | None:
    """The newest ``published_at`` stored for ``source``: where the next ingest resumes.

    Only the footers of the newest year that has rows are read (its snapshot and newer
    months), whatever the history and however many articles a day.
    """
    spec = TABLES["articles"]
    keys = {time_key(partition) for partition in partitions(root, spec, source)}
    for year in sorted({key[:4] for key in keys if key != UNKNOWN_MONTH}, reverse=True):
        files = live_files(root, spec, source, lambda key, year=year: key.startswith(year))
        if newest := _newest_in_footers(files.every, "published_at"):
            return newest
    return None


# Runs that read a feed from where the last one stopped; a backfill or reprocess reads a window.
INCREMENTAL_FLOWS = ("ingest", "watch")


def resume_point(root: Location, source: str) -> datetime | None:
    """Where an incremental run of ``source`` starts: its newest stored article, once an
    incremental run of it has gone through; ``None`` (the whole feed) before that.

    Articles a backfill stored say nothing of the feed outside the backfill's window: an
    ingest that started from their newest, beside or after a backfill of last month, would
    never read the months before it.
    """
    if not _incremental_run_finished(root, source):
        return None
    return newest_published_at(root, source)


def _incremental_run_finished(root: Location, source: str) -> bool:
    """Whether a run row says an ingest or watch of ``source`` went through, newest months
    first: the current month nearly always answers, however long the history."""
    spec = TABLES["runs"]
    for key in sorted({time_key(partition) for partition in partitions(root, spec)}, reverse=True):
        files = live_files(root, spec, when=lambda candidate, key=key: candidate == key)
        if not files.latest:
            continue
        query = f"""
            SELECT 1 FROM {read_files(files.latest)}
            WHERE source = ? AND flow IN (SELECT unnest(?)) AND status NOT IN ('failed', 'blocked')
            LIMIT 1
        """
        if utc_connection(root).execute(query, [source, list(INCREMENTAL_FLOWS)]).fetchone():
            return True
    return False


@dataclass(frozen=True)
class StoredPage:
    """The newest processed payload at a list URL: what a 304 for that URL stands for."""

    sha256: str
    headers: dict[str, str]
    body: bytes


@dataclass
class KnownPages:
    """What finished runs processed recently for a window: work a crawl can skip.

    ``payloads``: hashes of processed payloads; ``lists``: the newest processed list (or
    index, feed) page per URL, whose ETag / Last-Modified make the next request conditional;
    ``entries``: ``(native_id, entry_fingerprint)`` of processed detail pages.
    """

    payloads: set[str] = field(default_factory=set)
    lists: dict[str, StoredPage] = field(default_factory=dict)
    entries: set[tuple[str, str]] = field(default_factory=set)


def known_pages(
    root: Location,
    source: str,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> KnownPages:
    """The payloads a finished run processed for a window holding ``[since, until)``.

    Those need no new work. Pages of a run that crashed before its ``runs`` row, or whose
    row says it failed (a full disk can refuse its articles once its pages are stored), are
    fetched and processed again, and so are pages processed for a narrower window: the
    same list page read for one backfill month holds the articles of the next month too.
    Only pages fetched in the ``PAYLOAD_MEMORY`` before ``now`` count, so only their
    months are read, and the state stays bounded however long the history.
    """
    fetched_since = (now or datetime.now(UTC)) - PAYLOAD_MEMORY
    pages = live_files(root, TABLES["raw_pages"], source, months_from(fetched_since))
    runs = live_files(root, TABLES["runs"], when=months_from(fetched_since - RUN_SPAN))
    if not pages.latest or not runs.latest:
        return KnownPages()
    start = "r.window_start IS NULL" + ("" if since is None else " OR r.window_start <= $since")
    end = "r.window_end IS NULL" + ("" if until is None else " OR r.window_end >= $until")
    windows = {name: value for name, value in (("since", since), ("until", until)) if value}
    connection = utc_connection(root)
    # Pages stored before entry fingerprints existed have none (a late column).
    stored = with_late_columns(connection, read_files(pages.latest), "raw_pages")
    processed = f"""
        SELECT * FROM {stored} AS p
        SEMI JOIN {read_files(runs.latest)} AS r
            ON p.run_id = r.run_id AND r.status IS DISTINCT FROM 'failed' AND ({start}) AND ({end})
        WHERE p.fetched_at >= $fetched_since
    """
    parameters = {**windows, "fetched_since": fetched_since}
    known = KnownPages()
    for sha256, native_id, entry_fingerprint in connection.execute(
        f"SELECT DISTINCT sha256, native_id, entry_fingerprint FROM ({processed})", parameters
    ).fetchall():
        known.payloads.add(sha256)
        if native_id is not None and entry_fingerprint is not None:
            known.entries.add((native_id, entry_fingerprint))
    newest_lists = connection.execute(
        f"""
        SELECT url, sha256, headers, body FROM ({processed}) WHERE page_kind <> 'detail'
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
        """,
        parameters,
    ).fetchall()
    for url, sha256, headers, body in newest_lists:
        known.lists[url] = StoredPage(sha256, dict(headers or {}), body)
    return known


def processed_payloads(
    root: Location,
    source: str,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> set[str]:
    """Hashes of payloads a finished run processed for a window holding ``[since, until)``."""
    return known_pages(root, source, since, until, now).payloads


def source_activity(root: Location) -> dict[str, dict[str, object]]:
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


def story_candidates(root: Location, since: datetime) -> list[tuple[str, str]]:
    """``(story_id, fingerprint)`` of stored articles published since ``since``, every source.

    Only the month partitions from ``since`` on are read.
    """
    files = live_files(root, TABLES["articles"], when=months_from(since))
    if not files.every:
        return []
    connection = utc_connection(root)
    stored = with_late_columns(connection, read_files(files.every), "articles")
    rows = connection.execute(
        f"""
            SELECT coalesce(story_id, article_id), fingerprint FROM {stored}
            WHERE fingerprint IS NOT NULL AND published_at >= ?
            QUALIFY row_number() OVER (
                PARTITION BY article_id ORDER BY {DEDUP["articles"].order_by()}
            ) = 1
            """,
        [since],
    ).fetchall()
    return [(story_id, fingerprint) for story_id, fingerprint in rows]
