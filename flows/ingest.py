"""The ``ingest``, ``backfill`` and ``reprocess`` flows: fetch or re-read, process, report."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from time import sleep
from uuid import UUID

from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.task_runners import ThreadPoolTaskRunner

from flows.compact import refresh_readers
from flows.process import ProcessResult, Window, process_pages
from flows.report import SourceRun, report_markdown, report_table, staleness
from spiders.crawl import CrawlSummary, run_crawl
from spiders.registry import source_names, spider_class
from warehouse.layout import warehouse_root
from warehouse.reader import iter_raw_pages
from warehouse.schemas import TABLES
from warehouse.state import newest_published_at, resume_point
from warehouse.writer import write_rows

DEFAULT_LOOKBACK_HOURS = 72
BACKFILL_MAX_PAGES = 500
# Sources run at once, each crawl a child process mostly waiting on its hosts: every known
# source gets a thread. Politeness is per host, across crawls (spiders.host_limits).
SOURCE_WORKERS = len(source_names())
# Processing is CPU-bound under the GIL, so two at once gain nothing; one at a time, each
# source's articles also meet every near-duplicate stored before them (stories).
_PROCESSING = threading.Lock()

# The sources as a choice, so the Prefect UI's run form offers exactly the known ones.
Source = StrEnum("Source", {name: name for name in source_names()})  # type: ignore[misc]


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
def process_run(
    source: str, run_id: str, root: Path, window: Window, crawled_since: datetime | None
) -> ProcessResult:
    """The pages the crawl started at ``crawled_since`` stored; every stored page when None."""
    if crawled_since is None:
        pages = iter_raw_pages(root, source)
    else:
        pages = iter_raw_pages(root, source, run_id=run_id, fetched_since=crawled_since)
    with _PROCESSING:
        return process_pages(root, source, pages, window=window, run_id=run_id)


@task(name="source", task_run_name="{flow_name} {source}")
def run_source(
    flow_name: str,
    source: str,
    root: Path,
    window: Window,
    max_pages: int | None,
    fetch: bool,
    tracked: bool = True,
) -> SourceRun:
    """Crawl (when ``fetch``), process and record one source; failures land in the report,
    never in another source's run.

    Only an incremental ``ingest`` judges staleness: it belongs to the source, not to a window.
    ``tracked`` False runs the steps as plain calls, not task runs: a flow run keeps every
    task result it saw, which a flow that polls for days (``watch``) cannot afford.
    """
    crawl_step, process_step = (
        (crawl_source, process_run) if tracked else (crawl_source.fn, process_run.fn)
    )
    run_id = uuid.uuid4().hex
    started_at = datetime.now(UTC)
    crawl = crawl_step(source, run_id, root, window, max_pages) if fetch else None
    failure = None
    try:
        processed = process_step(source, run_id, root, window, started_at if fetch else None)
    except Exception as error:  # a warehouse that refuses one source's rows, a bug
        processed, failure = ProcessResult(), f"processing failed: {error}"
    finished_at = datetime.now(UTC)
    stale_by = None
    if flow_name == "ingest":  # a backfill or reprocess window is old on purpose
        cadence = spider_class(source).expected_cadence
        stale_by = staleness(newest_published_at(root, source), cadence, finished_at)
    source_run = SourceRun(
        run_id, flow_name, source, window, started_at, finished_at, crawl, processed, stale_by,
        failure,
    )  # fmt: skip
    write_rows(root, TABLES["runs"], [source_run.row()])
    return source_run


def run_sources(
    flow_name: str,
    windows: dict[str, Window],
    root: Path,
    max_pages: int | None,
    fetch: bool = True,
) -> list[SourceRun]:
    """Every source's run at once (the flow's thread pool), reported in the order given.

    Sources sharing a host (Gate's three on www.gate.com) run side by side too: each
    request takes the host's slot across crawl processes (spiders.host_limits), so the
    host sees its documented limit, not one per source.
    """
    futures = [
        run_source.submit(flow_name, source, root, window, max_pages, fetch)
        for source, window in windows.items()
    ]
    return [future.result() for future in futures]


def publish(flow_name: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The per-source table and a markdown summary as artifacts; warnings in the log."""
    logger = get_run_logger()
    for row in rows:
        if row["message"]:
            logger.warning("%s: %s", row["source"], row["message"])
    create_table_artifact(
        table=report_table(rows),
        key=f"{flow_name}-report",
        description=f"exnews {flow_name}: per-source figures of this run",
    )
    create_markdown_artifact(
        markdown=report_markdown(flow_name, rows),
        key=f"{flow_name}-summary",
        description=f"exnews {flow_name}: summary",
    )
    return rows


def _sources(sources: list[Source] | list[str] | None) -> list[str]:
    known = source_names()
    chosen = [str(source) for source in sources] if sources else known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ValueError(f"unknown sources {unknown}; known: {', '.join(known)}")
    return chosen


def _day(moment: date) -> datetime:
    return datetime.combine(moment, time(), tzinfo=UTC)


def month_chunks(start: date, end: date) -> list[tuple[date, date]]:
    """``[start, end)`` cut at month boundaries: each chunk a unit that can be re-run alone."""
    if end <= start:
        raise ValueError(f"backfill end {end} must be after start {start}")
    chunks, cursor = [], start
    while cursor < end:
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        chunks.append((cursor, min(next_month, end)))
        cursor = chunks[-1][1]
    return chunks


def resume_window(root: Path, source: str, lookback: timedelta) -> Window:
    """An incremental run's window: from where ``source`` resumes, less ``lookback`` to
    catch edits, with no end (ingest and watch alike)."""
    newest = resume_point(root, source)
    return Window(newest - lookback if newest else None)


@flow(name="ingest", log_prints=True, task_runner=ThreadPoolTaskRunner(SOURCE_WORKERS))
def ingest(
    sources: list[Source] | None = None,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    max_pages: int | None = None,
    warehouse: str | None = None,
) -> list[dict[str, object]]:
    """Incremental: each source from its newest stored article minus a look-back for edits
    (the whole feed until an ingest or watch of it has gone through)."""
    root = warehouse_root(warehouse)
    lookback = timedelta(hours=lookback_hours)
    windows = {source: resume_window(root, source, lookback) for source in _sources(sources)}
    runs = run_sources("ingest", windows, root, max_pages)
    refresh_readers(root)
    return publish("ingest", [source_run.row() for source_run in runs])


@flow(
    name="backfill-chunk",
    flow_run_name="backfill {start}..{end}",
    task_runner=ThreadPoolTaskRunner(SOURCE_WORKERS),
)
def backfill_chunk(
    sources: list[str], start: date, end: date, max_pages: int, warehouse: str | None = None
) -> list[dict[str, object]]:
    """One month of a backfill: re-running it lands nothing twice.

    Its table artifact is how a parent on another machine learns the figures.
    """
    root = warehouse_root(warehouse)
    window = Window(_day(start), _day(end))
    runs = run_sources("backfill", dict.fromkeys(sources, window), root, max_pages)
    rows = [source_run.row() for source_run in runs]
    create_table_artifact(
        table=report_table(rows),
        key=CHUNK_REPORT,
        description=f"exnews backfill {start}..{end}: per-source figures",
    )
    return rows


CHUNK_DEPLOYMENT = "backfill-chunk/backfill-chunk"
CHUNK_REPORT = "backfill-chunk-report"
CHUNK_POLL_SECONDS = 2.0


def _chunk_report(client: SyncPrefectClient, flow_run_id: UUID) -> list[dict[str, object]]:
    """The figures a chunk run published (its table artifact), wherever it ran."""
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[CHUNK_REPORT])),
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
    )
    return [row for artifact in artifacts for row in json.loads(str(artifact.data))]


def chunks_on_workers(
    sources: list[str],
    chunks: list[tuple[date, date]],
    max_pages: int,
    warehouse: str | None,
    parallel: int,
    progress: UUID,
) -> list[dict[str, object]]:
    """Each chunk a run of the ``backfill-chunk`` deployment, ``parallel`` at once.

    Any worker of the pool takes each run; this waits for every one, then fails naming
    the chunks that did not complete (re-running the backfill redoes them harmlessly).
    """
    waiting = list(chunks)
    running: dict[UUID, str] = {}
    rows: list[dict[str, object]] = []
    failed: list[str] = []
    with get_client(sync_client=True) as client:
        while waiting or running:
            while waiting and len(running) < parallel:
                chunk_start, chunk_end = waiting.pop(0)
                parameters = {"sources": sources, "start": chunk_start.isoformat(),
                              "end": chunk_end.isoformat(), "max_pages": max_pages,
                              "warehouse": warehouse}  # fmt: skip
                try:
                    run = run_deployment(CHUNK_DEPLOYMENT, parameters=parameters, timeout=0)
                except ObjectNotFound as error:
                    raise RuntimeError(
                        f"parallel_chunks needs the {CHUNK_DEPLOYMENT} deployment and workers "
                        "(exnews serve); parallel_chunks 1 runs the chunks here"
                    ) from error
                running[run.id] = f"{chunk_start}..{chunk_end}"
            sleep(CHUNK_POLL_SECONDS)
            for flow_run_id, chunk in list(running.items()):
                state = client.read_flow_run(flow_run_id).state
                if state is None or not state.is_final():
                    continue
                del running[flow_run_id]
                if state.is_completed():
                    rows += _chunk_report(client, flow_run_id)
                else:
                    failed.append(f"{chunk} ({state.name})")
                finished = len(chunks) - len(waiting) - len(running)
                update_progress_artifact(progress, 100.0 * finished / len(chunks))
    if failed:
        raise RuntimeError(f"backfill chunks not completed: {', '.join(failed)}")
    return rows


@flow(name="backfill", log_prints=True)
def backfill(
    sources: list[Source] | None,
    start: date,
    end: date,
    max_pages: int = BACKFILL_MAX_PAGES,
    warehouse: str | None = None,
    parallel_chunks: int = 1,
) -> list[dict[str, object]]:
    """A fixed window ``[start, end)`` in month chunks: stateless, safe beside ingests.

    ``parallel_chunks`` > 1 runs that many chunks at once, each on whichever worker of
    the pool takes it (it needs the ``backfill-chunk`` deployment); 1 runs them here, in
    turn.
    """
    if parallel_chunks < 1:
        raise ValueError(f"parallel_chunks must be 1 or more, not {parallel_chunks}")
    chosen = _sources(sources)
    chunks = month_chunks(start, end)
    progress = create_progress_artifact(0.0, description=f"backfill {start}..{end}")
    if parallel_chunks > 1:
        rows = chunks_on_workers(chosen, chunks, max_pages, warehouse, parallel_chunks, progress)
    else:
        rows = []
        for done, (chunk_start, chunk_end) in enumerate(chunks, start=1):
            rows += backfill_chunk(chosen, chunk_start, chunk_end, max_pages, warehouse)
            update_progress_artifact(progress, 100.0 * done / len(chunks))
    refresh_readers(warehouse_root(warehouse))
    return publish("backfill", rows)


@flow(name="reprocess", log_prints=True, task_runner=ThreadPoolTaskRunner(SOURCE_WORKERS))
def reprocess(
    sources: list[Source] | None,
    start: date,
    end: date,
    warehouse: str | None = None,
) -> list[dict[str, object]]:
    """Rebuild articles, comments and mentions of ``[start, end)`` from ``raw_pages``."""
    if end <= start:
        raise ValueError(f"reprocess end {end} must be after start {start}")
    root = warehouse_root(warehouse)
    window = Window(_day(start), _day(end))
    runs = run_sources("reprocess", dict.fromkeys(_sources(sources), window), root, None, False)
    refresh_readers(root)
    return publish("reprocess", [source_run.row() for source_run in runs])
