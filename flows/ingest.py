"""The ``ingest`` and ``backfill`` flows: crawl each source, process its pages, report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.process import ProcessResult, Window, process_pages
from flows.report import SourceRun, report_table
from spiders.crawl import CrawlSummary, run_crawl
from spiders.registry import source_names
from warehouse.layout import warehouse_root
from warehouse.reader import iter_raw_pages
from warehouse.schemas import TABLES
from warehouse.state import newest_published_at
from warehouse.writer import write_rows

DEFAULT_LOOKBACK_HOURS = 72


@task(name="crawl")
def crawl_source(
    source: str, run_id: str, root: Path, window: Window, max_pages: int | None
) -> CrawlSummary:
    return run_crawl(
        source,
        run_id=run_id,
        warehouse=root,
        since=window.start,
        until=window.end,
        max_pages=max_pages,
    )


@task(name="process")
def process_crawl(source: str, run_id: str, root: Path, window: Window) -> ProcessResult:
    pages = iter_raw_pages(root, source, run_id=run_id)
    return process_pages(root, source, pages, window=window, run_id=run_id)


def run_source(
    flow_name: str, source: str, root: Path, window: Window, max_pages: int | None
) -> SourceRun:
    """Crawl, process and record one source; failures end up in the report, not raised."""
    run_id = uuid.uuid4().hex
    started_at = datetime.now(UTC)
    crawl = crawl_source(source, run_id, root, window, max_pages)
    processed = process_crawl(source, run_id, root, window)
    source_run = SourceRun(
        run_id, flow_name, source, window, started_at, datetime.now(UTC), crawl, processed
    )
    write_rows(root, TABLES["runs"], [source_run.row()])
    return source_run


def publish(flow_name: str, runs: list[SourceRun]) -> list[dict[str, object]]:
    logger = get_run_logger()
    rows = [source_run.row() for source_run in runs]
    for row in rows:
        if row["message"]:
            logger.warning("%s: %s", row["source"], row["message"])
    create_table_artifact(
        table=report_table(rows),
        key=f"{flow_name}-report",
        description=f"exnews {flow_name}: per-source figures of this run",
    )
    return rows


def _sources(sources: list[str] | None) -> list[str]:
    known = source_names()
    chosen = sources or known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ValueError(f"unknown sources {unknown}; known: {', '.join(known)}")
    return chosen


@flow(name="ingest", log_prints=True)
def ingest(
    sources: list[str] | None = None,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    max_pages: int | None = None,
    warehouse: str | None = None,
) -> list[dict[str, object]]:
    """Incremental: each source from its newest stored article minus a look-back for edits."""
    root = warehouse_root(warehouse)
    runs = []
    for source in _sources(sources):
        newest = newest_published_at(root, source)
        start = newest - timedelta(hours=lookback_hours) if newest else None
        runs.append(run_source("ingest", source, root, Window(start, None), max_pages))
    return publish("ingest", runs)


@flow(name="backfill", log_prints=True)
def backfill(
    sources: list[str],
    start: date,
    end: date,
    max_pages: int | None = None,
    warehouse: str | None = None,
) -> list[dict[str, object]]:
    """A fixed window ``[start, end)``: stateless, safe beside scheduled ingests."""
    if end <= start:
        raise ValueError(f"backfill end {end} must be after start {start}")
    root = warehouse_root(warehouse)
    window = Window(
        datetime.combine(start, time(), tzinfo=UTC), datetime.combine(end, time(), tzinfo=UTC)
    )
    runs = [run_source("backfill", s, root, window, max_pages) for s in _sources(sources)]
    return publish("backfill", runs)
