"""The ``exnews`` command line: run the flows, query the warehouse."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    help="exnews: crypto-exchange news into a Parquet warehouse.", no_args_is_help=True
)
# Wide when piped, so reports in logs and CI output are not cut to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
errors = Console(stderr=True)

# Prefect on these machines: a slow ephemeral cold start, and no telemetry.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def _check_warehouse(warehouse: str | None) -> str | None:
    """Refuse a URL (``--warehouse`` or ``EXNEWS_WAREHOUSE``) before any command starts."""
    from warehouse.layout import warehouse_root

    try:
        warehouse_root(warehouse)
    except ValueError as error:
        errors.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(1) from error
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
    return [s.strip() for s in sources.split(",") if s.strip()] if sources else None


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
        message = escape(f"cannot write to the warehouse: {error}")
        errors.print(f"[red]error:[/red] {message}", soft_wrap=True)
        raise typer.Exit(1) from error


def _run_flow(flow_name: str, **parameters: Any) -> None:
    _prefect_defaults()
    from flows import ingest as flows_module
    from flows.report import report_table

    try:
        with _storage_errors():
            rows = getattr(flows_module, flow_name)(**parameters)
    except ValueError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    _print_rows(report_table(rows), f"exnews {flow_name}")
    failed = [row for row in rows if row["status"] == "failed"]
    for row in failed:  # the table may be cut or scrolled away: the cause on one line
        errors.print(
            f"[red]error:[/red] {row['source']}: {escape(str(row['message']))}", soft_wrap=True
        )
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
    # The flow's parameter is an int with its own default: None would fail its validation.
    cap = {} if max_pages is None else {"max_pages": max_pages}
    _run_flow("backfill", sources=_split(sources), start=start.date(), end=end.date(), **cap)


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    hours = (now - moment).total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


@app.command()
def sources(warehouse: WarehouseOption = None) -> None:
    """Every source: its endpoints, kind, last run and freshness in the warehouse."""
    from spiders.registry import source_names, spider_class
    from warehouse.layout import warehouse_root
    from warehouse.state import source_activity

    activity = source_activity(warehouse_root(warehouse))
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
    from warehouse.layout import warehouse_root
    from warehouse.state import source_activity

    activity = source_activity(warehouse_root(warehouse))
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


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port of the Prefect server and UI")] = 4200,
    ingest_cron: Annotated[
        str, typer.Option(help="When the scheduled ingest runs (cron, UTC)")
    ] = "*/10 * * * *",
    home: Annotated[str, typer.Option(help="Prefect's home folder")] = ".prefect",
    warehouse: WarehouseOption = None,
) -> None:
    """Prefect server + work pool + deployments + worker on 127.0.0.1, until Ctrl-C or SIGTERM."""
    import time
    from pathlib import Path

    from flows.serve import StopSignal, prefect_stack, stop_on_signals

    _use_warehouse(warehouse)
    home_path = Path(home).resolve()
    console.print(f"starting Prefect on 127.0.0.1:{port} (home {home_path}) ...")
    try:
        with stop_on_signals(), prefect_stack(home_path, port, ingest_cron) as stack:
            console.print(f"[green]UI:[/green] {stack.ui_url}  (API {stack.api_url})")
            console.print(
                "deployments: ingest (cron "
                f"{ingest_cron}), backfill, reprocess, compact; logs in {home_path}"
            )
            console.print("Ctrl-C or SIGTERM cancels running flow runs and stops everything.")
            while True:
                time.sleep(1)
    except StopSignal as stop:
        console.print(f"stopped ({stop}).")
    except RuntimeError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error


@app.command()
def reprocess(
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC)")],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Day after the last (UTC)")],
    sources: SourcesOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Rebuild articles, comments and mentions of [start, end) from raw_pages (no fetch)."""
    _use_warehouse(warehouse)
    _run_flow("reprocess", sources=_split(sources), start=start.date(), end=end.date())


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


@app.command()
def clean(
    file: Annotated[
        str,
        typer.Argument(
            help="An HTML page, a source's JSON payload or a page's text; - reads stdin"
        ),
    ],
    url: Annotated[str | None, typer.Option(help="The page's URL")] = None,
    source: Annotated[
        str | None, typer.Option(help="The source key (binance, gate_square, ...)")
    ] = None,
    fetched_at: Annotated[
        str | None, typer.Option(help="When the page was fetched (ISO 8601; default now)")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="json")] = "json",
) -> None:
    """Clean one document and print the article: body, comments, category, mentions, ..."""
    from pathlib import Path

    from transform.clean import article_json, clean_document
    from transform.model import PayloadError

    if output_format != "json":
        errors.print(f"[red]error:[/red] unknown format {output_format!r} (json)")
        raise typer.Exit(2)
    try:
        moment = datetime.fromisoformat(fetched_at.replace("Z", "+00:00")) if fetched_at else None
        content = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        article = clean_document(
            content, url=url, source=source, fetched_at=moment or datetime.now(UTC)
        )
    except (OSError, ValueError, PayloadError) as error:
        errors.print(f"[red]could not read {file}:[/red] {error}")
        raise typer.Exit(1) from error
    sys.stdout.write(
        json.dumps(article_json(article), ensure_ascii=False, indent=1, default=_json_default)
        + "\n"
    )


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
        errors.print(f"[red]error:[/red] unknown format {output_format!r} (table, csv, json)")
        raise typer.Exit(2)
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
        errors.print(f"[red]query failed:[/red] {error}")
        raise typer.Exit(1) from error
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
    from rich.markup import escape

    from warehouse.layout import warehouse_root
    from warehouse.search import SearchError
    from warehouse.search import search as search_articles

    if output_format not in ("table", "json"):
        errors.print(f"[red]error:[/red] unknown format {output_format!r} (table, json)")
        raise typer.Exit(2)
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
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
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
