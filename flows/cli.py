"""The ``exnews`` command line: run the flows, query the warehouse."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


class _Exnews(typer.Typer):
    """The app, with a last guard: an error no command handled is a bug, told in one line
    (its type and message) with exit status 1, never a traceback (EXNEWS_TRACEBACK=1 shows
    it). Bad input and bad usage are answered by the commands themselves."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            if os.environ.get("EXNEWS_TRACEBACK"):
                raise
            _say(f"internal error (a bug): {type(error).__name__}: {error}")
            sys.exit(1)


app = _Exnews(help="exnews: crypto-exchange news into a Parquet warehouse.", no_args_is_help=True)
# Wide when piped, so reports in logs and CI output are not cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
# Messages are never wrapped: one error, one line.
errors = Console(stderr=True, soft_wrap=True, highlight=False)


def _say(message: str) -> None:
    """One line on stderr, whatever line breaks the message has (DuckDB's have several)."""
    errors.print(" ".join(message.split()), markup=False)


def _fail(message: str, code: int = 1) -> typer.Exit:
    """Say ``message`` and give the exit to raise: 1 for bad input, 2 for bad usage."""
    _say(message)
    return typer.Exit(code)


# Prefect on these machines: a slow ephemeral cold start, and no telemetry.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def _check_warehouse(warehouse: str | None) -> str | None:
    """Refuse a URL (one line, exit 1) or a file (bad usage) before any command starts."""
    from warehouse.layout import warehouse_root

    try:
        warehouse_root(warehouse)
    except ValueError as error:
        raise _fail(f"error: {error}") from error
    if warehouse and Path(warehouse).exists() and not Path(warehouse).is_dir():
        raise typer.BadParameter(f"{warehouse} is not a folder")
    return warehouse


WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="Warehouse folder [env EXNEWS_WAREHOUSE, default ./data]",
        callback=_check_warehouse,
    ),
]
SourcesOption = Annotated[
    str | None, typer.Option("--sources", "-s", help="Comma-separated source keys (default: all)")
]


def _use_warehouse(warehouse: str | None) -> None:
    """Children (the crawl processes) inherit the choice through the environment."""
    if warehouse:
        os.environ["EXNEWS_WAREHOUSE"] = warehouse


def _split(sources: str | None) -> list[str] | None:
    """The source keys asked for; an unknown one is bad usage, caught before any flow runs."""
    if not sources:
        return None
    from spiders.registry import source_names

    chosen = [s.strip() for s in sources.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(source_names()))
    if unknown:
        known = ", ".join(source_names())
        raise typer.BadParameter(
            f"unknown source(s) {', '.join(unknown)} (known: {known})", param_hint="'--sources'"
        )
    return chosen


def _window(start: datetime, end: datetime) -> tuple[date, date]:
    """``[start, end)`` as dates; an empty window is a mistyped date, refused before Prefect."""
    if end <= start:
        raise typer.BadParameter(
            f"--end {end.date()} must be after --start {start.date()}", param_hint="'--end'"
        )
    return start.date(), end.date()


def _print_rows(rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        console.print(f"{title}: nothing to show")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row.values()))
    console.print(table)


def _prefect_defaults() -> None:
    """Before prefect is imported: it reads its settings then."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)


@contextmanager
def _storage_errors() -> Iterator[None]:
    """A warehouse that refuses writes (disk full, read-only) is one line, not a traceback."""
    from warehouse.writer import WarehouseWriteError

    try:
        yield
    except WarehouseWriteError as error:
        raise _fail(f"error: cannot write to the warehouse: {error}") from error


def _run_flow(flow_name: str, crawls: bool = True, **parameters: Any) -> None:
    _prefect_defaults()
    from flows import ephemeral
    from spiders.crawl import start_fork_server

    # Both start in processes of their own while this one imports the flows.
    server = ephemeral.start_if_needed()
    if crawls:
        start_fork_server()
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    from flows import ingest as flows_module
    from flows.report import report_table

    api: AbstractContextManager[object] = nullcontext()
    if server is not None:
        if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
            server.stop()  # a profile names an API, or forbids a temporary one
        elif server.wait(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()):
            api = temporary_settings({PREFECT_API_URL: server.api_url})
    try:
        with _storage_errors(), api:
            rows = getattr(flows_module, flow_name)(**parameters)
    except ValueError as error:
        raise _fail(f"error: {error}", 2) from error
    _print_rows(report_table(rows), f"exnews {flow_name}")
    failed = [row for row in rows if row["status"] == "failed"]
    for row in failed:  # the table may be cut or scrolled away: the cause on one line
        _say(f"error: {row['source']}: {row['message']}")
    if failed:
        raise typer.Exit(1)


@app.command()
def ingest(
    sources: SourcesOption = None,
    lookback_hours: Annotated[
        int, typer.Option(help="Re-read this much before the newest stored item")
    ] = 72,
    max_pages: Annotated[int | None, typer.Option(help="List pages per feed per run")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Incremental ingest of every source (or --sources)."""
    _use_warehouse(warehouse)
    _run_flow("ingest", sources=_split(sources), lookback_hours=lookback_hours, max_pages=max_pages)


@app.command()
def backfill(
    sources: Annotated[str, typer.Option("--sources", "-s", help="Comma-separated source keys")],
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC)")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Day after the last (UTC)")],
    max_pages: Annotated[
        int | None, typer.Option(help="List pages per feed [default: the flow's cap, 500]")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Fetch a fixed window [start, end) again, without touching incremental state."""
    _use_warehouse(warehouse)
    first, after = _window(start, end)
    # The flow's parameter is an int with its own default: None would fail its validation.
    cap = {} if max_pages is None else {"max_pages": max_pages}
    _run_flow("backfill", sources=_split(sources), start=first, end=after, **cap)


def _activity(warehouse: str | None) -> dict[str, dict[str, object]]:
    """Per-source activity, or one line and exit 1 when the warehouse cannot be read."""
    import duckdb

    from warehouse.layout import warehouse_root
    from warehouse.state import source_activity

    root = warehouse_root(warehouse)
    try:
        return source_activity(root)
    except (duckdb.Error, OSError) as error:
        raise _fail(f"could not read the warehouse {root}: {error}") from error


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    hours = (now - moment).total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


@app.command()
def sources(warehouse: WarehouseOption = None) -> None:
    """Every source: its endpoints, kind, last run and freshness in the warehouse."""
    from spiders.registry import source_names, spider_class

    activity = _activity(warehouse)
    now = datetime.now(UTC)
    table = Table("source", "kind", "endpoints", "last run", "status", "newest item", "articles")
    for name in source_names():
        spider = spider_class(name)
        seen = activity.get(name, {})
        endpoints = "\n".join(f"{role}: {url}" for role, url in spider.endpoints.items())
        table.add_row(
            name,
            spider.kind,
            endpoints,
            _age(seen.get("last_run_at"), now) + (" ago" if seen.get("last_run_at") else ""),
            str(seen.get("last_status") or ""),
            _age(seen.get("newest_published_at"), now),
            str(seen.get("articles", 0)),
        )
    console.print(table)


@app.command()
def status(warehouse: WarehouseOption = None) -> None:
    """Per-source freshness: newest item, expected cadence, last run; stale sources flagged."""
    from flows.report import staleness
    from spiders.registry import source_names, spider_class

    activity = _activity(warehouse)
    now = datetime.now(UTC)
    table = Table("source", "newest item", "cadence", "fresh", "last run", "status", "articles")
    stale_sources = []
    for name in source_names():
        seen = activity.get(name, {})
        cadence = spider_class(name).expected_cadence
        newest = seen.get("newest_published_at")
        late = staleness(newest, cadence, now)
        fresh = "no data" if newest is None else ("[red]stale[/red]" if late else "ok")
        if late or newest is None:
            stale_sources.append(name)
        table.add_row(
            name,
            _age(newest, now) + (" old" if newest else ""),
            _age(now - cadence, now),
            fresh,
            _age(seen.get("last_run_at"), now) + (" ago" if seen.get("last_run_at") else ""),
            str(seen.get("last_status") or ""),
            str(seen.get("articles", 0)),
        )
    console.print(table)
    if stale_sources:
        console.print(f"needs a look: {', '.join(stale_sources)}")


DATABASE_SCHEMES = ("postgresql+asyncpg://", "sqlite+aiosqlite://")


def _database_url(value: str | None) -> str | None:
    """A URL Prefect's server can open; another is bad usage, caught before it starts."""
    if value is not None and not value.startswith(DATABASE_SCHEMES):
        raise typer.BadParameter(f"expected {' or '.join(s + '…' for s in DATABASE_SCHEMES)}")
    return value


def _until_stopped() -> None:
    import time

    while True:
        time.sleep(1)


def _serve_workers(api_url: str, home: Path, workers: int, worker_limit: int | None) -> None:
    """Another machine joining: its workers take runs from the server's pool until stopped."""
    from flows.serve import prefect_workers

    console.print(f"starting {workers} worker(s) for {api_url} (home {home}) ...")
    with prefect_workers(api_url, home, workers, worker_limit):
        console.print(f"[green]{workers} worker(s)[/green] on pool exnews; logs in {home}")
        console.print("Ctrl-C or SIGTERM stops them and the flow runs they started.")
        _until_stopped()


def _serve_extras(api_url: str, watch: bool, notify_webhook: str | None) -> None:
    """What ``serve --watch`` and ``--notify-webhook`` add to a running stack."""
    from flows.serve import start_deployment

    if notify_webhook:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.events import create_notify_automation

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            automation_id = create_notify_automation(notify_webhook)
        console.print(
            f"new listings and delistings go to {notify_webhook} (automation {automation_id})"
        )
    if watch:
        flow_run_id = start_deployment(api_url, "watch", "watch")
        console.print(f"watch started (flow run {flow_run_id})")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the Prefect server and UI")] = 4200,
    ingest_cron: Annotated[
        str, typer.Option(help="When the scheduled ingest runs (cron, UTC)")
    ] = "*/10 * * * *",
    home: Annotated[str, typer.Option(help="Prefect's home folder")] = ".prefect",
    warehouse: WarehouseOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            callback=_database_url,
            help="The server's database, postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB "
            "(default: SQLite in --home)",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address the server listens on; 0.0.0.0 lets other machines in")
    ] = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, help="Process workers on the exnews pool")] = 1,
    worker_limit: Annotated[
        int | None, typer.Option(min=1, help="Flow runs one worker runs at once (default: any)")
    ] = None,
    worker_only: Annotated[
        bool, typer.Option(help="Only workers, joining the server at --api-url")
    ] = False,
    api_url: Annotated[
        str | None,
        typer.Option(envvar="PREFECT_API_URL", help="With --worker-only: http://SERVER:4200/api"),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Start the watch deployment (exnews watch) too")
    ] = False,
    notify_webhook: Annotated[
        str | None,
        typer.Option(
            help="POST new listings and delistings to this URL (a Prefect Automation, "
            "automations/new-listing-webhook.yaml)"
        ),
    ] = None,
) -> None:
    """Prefect server + work pool + deployments + workers, until Ctrl-C or SIGTERM."""
    from flows.serve import StopSignal, prefect_stack, stop_on_signals

    _use_warehouse(warehouse)
    home_path = Path(home).resolve()
    if worker_only and not api_url:
        raise typer.BadParameter("--worker-only needs the server's API", param_hint="--api-url")
    try:
        with stop_on_signals():
            if worker_only:
                _serve_workers(api_url, home_path, workers, worker_limit)
            else:
                console.print(f"starting Prefect on {host}:{port} (home {home_path}) ...")
                with prefect_stack(
                    home_path, port, ingest_cron, database_url=database_url, workers=workers,
                    worker_limit=worker_limit, host=host,
                ) as stack:  # fmt: skip
                    console.print(f"[green]UI:[/green] {stack.ui_url}  (API {stack.api_url})")
                    console.print(
                        f"deployments: ingest (cron {ingest_cron}), backfill, backfill-chunk, "
                        f"reprocess, compact, watch; {workers} worker(s); logs in {home_path}"
                    )
                    _serve_extras(stack.api_url, watch, notify_webhook)
                    console.print("Ctrl-C or SIGTERM cancels running flow runs, stops everything.")
                    _until_stopped()
    except StopSignal as stop:
        console.print(f"stopped ({stop}).")
    except RuntimeError as error:
        raise _fail(f"error: {error} (logs in {home_path})") from error


def _watch_view() -> Any:
    """The status line of ``exnews watch``: one line per source, refreshed every second."""
    from rich.console import Group
    from rich.text import Text

    from flows.watch import BOARD

    since = BOARD.started_at.strftime("%H:%M:%S UTC")
    header = Text(f"exnews watch since {since}; Ctrl-C or SIGTERM stops", style="bold")
    return Group(header, *(Text(line) for line in BOARD.lines()))


def _watch_until_stopped(
    sources: list[str] | None, interval: float | None, lookback_hours: float, warehouse: str | None
) -> str | None:
    """Run the watch flow under a status line; the name of the signal that stopped it."""
    from rich.live import Live

    from flows.watch import watch as watch_flow

    with Live(get_renderable=_watch_view, console=console, refresh_per_second=1):
        result = watch_flow(
            sources=sources, interval=interval, lookback_hours=lookback_hours, warehouse=warehouse
        )
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=10)  # the last events out before the server stops
    return result["stopped_by"]


@app.command()
def watch(
    sources: Annotated[
        str | None,
        typer.Option(
            "--sources", "-s", help="Comma-separated source keys (default: the announcement feeds)"
        ),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds between polls of each source [default: per source]"),
    ] = None,
    lookback_hours: Annotated[
        float, typer.Option(help="Re-read this much before the newest stored item")
    ] = 2.0,
    warehouse: WarehouseOption = None,
) -> None:
    """Poll the fast feeds (listings, delistings, notices) until Ctrl-C or SIGTERM; each new
    or changed article lands within seconds of a poll and emits a Prefect event."""
    import signal

    from flows.serve import StopSignal, prefect_server, stop_on_signals

    _use_warehouse(warehouse)
    chosen = _split(sources)
    _prefect_defaults()
    stopped_by = None
    try:
        with stop_on_signals():
            if os.environ.get("PREFECT_API_URL"):
                stopped_by = _watch_until_stopped(chosen, interval, lookback_hours, warehouse)
            else:  # a server of our own, out of reach of the terminal's Ctrl-C
                home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
                console.print(f"starting a Prefect server (home {home}) ...")
                with prefect_server(home) as server:
                    console.print(f"Prefect UI: {server.ui_url}")
                    os.environ["PREFECT_API_URL"] = server.api_url  # prefect is not imported yet
                    stopped_by = _watch_until_stopped(chosen, interval, lookback_hours, warehouse)
    except StopSignal as stop:  # before the flow run began or after it ended
        stopped_by = stopped_by or signal.Signals(stop.signum).name
    except RuntimeError as error:  # the server did not start
        raise _fail(f"error: {error}") from error
    console.print(f"exnews watch stopped ({stopped_by}).")
    raise typer.Exit(130 if stopped_by == "SIGINT" else 0)


@app.command()
def reprocess(
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC)")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Day after the last (UTC)")],
    sources: SourcesOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Rebuild articles, comments and mentions of [start, end) from raw_pages (no fetch)."""
    _use_warehouse(warehouse)
    first, after = _window(start, end)
    _run_flow("reprocess", crawls=False, sources=_split(sources), start=first, end=after)


@app.command()
def compact(
    min_files: Annotated[
        int, typer.Option(help="Compact source-years with new files and this many live files")
    ] = 1,
    warehouse: WarehouseOption = None,
) -> None:
    """Rewrite each source-year with new files as its current rows; report files and bytes."""
    _prefect_defaults()
    from flows.compact import compact as compact_flow

    _use_warehouse(warehouse)
    with _storage_errors():
        rows = compact_flow(warehouse=warehouse, min_files=min_files)
    _print_rows(rows, "exnews compact")


def _parser_source(source: str | None) -> str | None:
    """A source ``transform`` has a parser for; another is bad usage."""
    from transform.extract.clean import known_sources

    if source is not None and source not in known_sources():
        raise typer.BadParameter(f"unknown source {source!r} (known: {', '.join(known_sources())})")
    return source


def _fetched_at(value: str | None) -> datetime | None:
    """ISO 8601 (``Z`` allowed); anything else is bad usage."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time") from error


@app.command()
def clean(
    files: Annotated[
        list[str],
        typer.Argument(
            help="HTML pages, source JSON payloads or pages' text; - reads stdin",
            show_default=False,
        ),
    ],
    url: Annotated[str | None, typer.Option(help="The page's URL (one file only)")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="The source key (binance, gate_square, ...)", callback=_parser_source),
    ] = None,
    fetched_at: Annotated[
        datetime | None,
        typer.Option(
            help="When the pages were fetched (ISO 8601; default now)", parser=_fetched_at
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="json (one file) or jsonl (one line a file)")
    ] = "json",
) -> None:
    """Clean documents and print the articles: body, comments, category, mentions, ...

    With --format jsonl every file gives one line, in the order given: its article, or
    {"error": ..., "file": ...} when it cannot be read or cleaned (exit 1 if any failed).
    """
    if output_format not in ("json", "jsonl"):
        raise _fail(f"error: unknown format {output_format!r} (json, jsonl)", 2)
    if output_format == "json" and len(files) > 1:
        raise _fail("error: several files need --format jsonl (one line a file)", 2)
    if url is not None and len(files) > 1:
        raise _fail("error: --url names one page; give it with one file", 2)
    moment = fetched_at or datetime.now(UTC)
    if output_format == "json":
        try:
            article = _cleaned(files[0], url, source, moment)
        except _CleanError as error:
            raise _fail(str(error)) from error
        sys.stdout.write(
            json.dumps(article, ensure_ascii=False, indent=1, default=_json_default) + "\n"
        )
        return
    failed = _clean_lines(files, url, source, moment)
    if failed:
        raise _fail(f"{failed} of {len(files)} files could not be cleaned", 1)


class _CleanError(Exception):
    """A file that could not be read or cleaned; the message says which and why."""


def _cleaned(file: str, url: str | None, source: str | None, fetched_at: datetime) -> Any:
    """One file's article as JSON values; raises :class:`_CleanError`."""
    from transform.extract.clean import article_json, clean_document
    from transform.model import PayloadError

    try:
        content = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise _CleanError(f"could not read {file}: {error.strerror or error}") from error
    try:
        article = clean_document(content, url=url, source=source, fetched_at=fetched_at)
    except PayloadError as error:
        raise _CleanError(f"could not clean {file}: {error}") from error
    return article_json(article)


def _clean_lines(files: list[str], url: str | None, source: str | None, moment: datetime) -> int:
    """One JSON line per file, in order, each written as soon as it is done; how many failed.

    A failure is that file's line (and a line on stderr), never the end of the batch: a
    folder of saved pages is cleaned whatever one page holds.
    """
    from rich.progress import Progress

    failed = 0
    with Progress(console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task("cleaning", total=len(files))
        for file in files:
            try:
                line: dict[str, Any] = _cleaned(file, url, source, moment)
            except _CleanError as error:
                line = {"error": str(error), "file": file}
            except Exception as error:  # a bug in one file's cleaning: the batch goes on
                bug = f"internal error (a bug): {type(error).__name__}: {error}"
                line = {"error": bug, "file": file}
            if "error" in line:
                failed += 1
                _say(line["error"])
            sys.stdout.write(json.dumps(line, ensure_ascii=False, default=_json_default) + "\n")
            sys.stdout.flush()
            progress.advance(task)
    return failed


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="Read-only SQL over the warehouse views")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, csv or json")
    ] = "table",
    warehouse: WarehouseOption = None,
) -> None:
    """Run a read-only query over articles, article_versions, comments, mentions, ..."""
    import duckdb

    from warehouse.layout import warehouse_root
    from warehouse.search import attach_sql
    from warehouse.views import confined_connection, read_only_statements

    if output_format not in ("table", "csv", "json"):
        raise _fail(f"error: unknown format {output_format!r} (table, csv, json)", 2)
    try:
        statements = read_only_statements(query)
        connection = confined_connection(warehouse)  # no file outside the warehouse
        attach_sql(connection, warehouse_root(warehouse), query)
        for statement in statements[:-1]:
            connection.execute(statement)
        result = connection.execute(statements[-1])
        columns = [description[0] for description in result.description or []]
        rows = result.fetchall()
    except (duckdb.Error, ValueError) as error:
        raise _fail(f"query failed: {error}") from error
    if output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output_format == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(
            json.dumps(records, default=_json_default, ensure_ascii=False, indent=1) + "\n"
        )
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if value is None else str(value) for value in row))
        console.print(table)


def _rebuild_index(warehouse: str | None) -> None:
    """The whole ``articles`` view into a fresh index, with a progress bar."""
    from rich.progress import Progress

    from warehouse.layout import warehouse_root
    from warehouse.search import index_dir, rebuild

    root = warehouse_root(warehouse)
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("indexing articles", total=None)
        count = rebuild(
            root, lambda done, total: progress.update(task, completed=done, total=total)
        )
    errors.print(f"indexed {count} articles into {index_dir(root)}")


def _hit_json(hit: Any) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "source": hit.source,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "title": hit.title,
        "snippet": hit.marked(str, "**", "**"),
        "category": hit.category,
        "score": round(hit.score, 4),
    }


@app.command()
def search(
    query: Annotated[
        str | None,
        typer.Argument(help='Words (all required), "a phrase", -excluded, title:word, a OR b'),
    ] = None,
    sources: SourcesOption = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Published on or after (UTC)")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Published before (UTC)")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="One category: listing, delisting, ...")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many hits")] = 20,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the index from the warehouse first")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Ranked full-text search of articles (English and Chinese), hits highlighted."""

    from warehouse.layout import warehouse_root
    from warehouse.search import SearchError
    from warehouse.search import search as search_articles

    if output_format not in ("table", "json"):
        raise _fail(f"error: unknown format {output_format!r} (table, json)", 2)
    try:
        if rebuild:
            _rebuild_index(warehouse)
            if query is None:
                return
        hits = search_articles(
            warehouse_root(warehouse),
            query or "",
            sources=_split(sources) or (),
            since=since.replace(tzinfo=UTC) if since else None,
            until=until.replace(tzinfo=UTC) if until else None,
            category=category,
            limit=limit,
        )
    except SearchError as error:
        raise _fail(f"error: {error}", 2) from error
    if output_format == "json":
        records = [_hit_json(hit) for hit in hits]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(
        "article_id", "source", "published_at", "title", "snippet", title=f"{len(hits)} hits"
    )
    for hit in hits:
        table.add_row(
            hit.article_id,
            hit.source,
            str(hit.published_at or ""),
            escape(hit.title),
            hit.marked(escape, "[bold yellow]", "[/bold yellow]"),
        )
    console.print(table)
