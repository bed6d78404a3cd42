"""The ``compact`` flow: few large files per partition, reported before and after."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from warehouse import catalog, search
from warehouse.compaction import compact as compact_warehouse
from warehouse.layout import warehouse_root


@task(name="refresh-readers")
def refresh_readers(root: Path) -> None:
    """After every run: index what it wrote, rewrite ``exnews.duckdb``.

    Both are derived from the warehouse, so neither can fail a run: an index busy with
    another update, or a disk that refuses the write, is skipped with a warning and the
    next run catches up.
    """
    logger = get_run_logger()
    try:
        if search.update(root) is None:
            logger.warning("search index busy with another update; the next run catches up")
    except OSError as error:
        logger.warning("search index not updated (the next run catches up): %s", error)
    try:
        catalog.refresh(root)
    except (OSError, duckdb.Error) as error:
        logger.warning("catalog %s not refreshed: %s", catalog.catalog_path(root), error)


@flow(name="compact", log_prints=True)
def compact(warehouse: str | None = None, min_files: int = 2) -> list[dict[str, object]]:
    """Rewrite every partition with ``min_files`` or more files into one file."""
    root = warehouse_root(warehouse)
    rows = [asdict(result) for result in compact_warehouse(root, min_files)]
    refresh_readers(root)
    create_table_artifact(
        table=rows or [{"table": "-", "partition": "nothing to compact"}],
        key="compact-report",
        description="exnews compact: files and bytes per partition, before and after",
    )
    return rows
