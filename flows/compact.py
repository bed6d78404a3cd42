"""The ``compact`` flow: each changed source-year becomes its current state, reported."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow
from prefect.artifacts import create_table_artifact

from warehouse.compaction import compact as compact_warehouse
from warehouse.layout import warehouse_root


@flow(name="compact", log_prints=True)
def compact(warehouse: str | None = None, min_files: int = 2) -> list[dict[str, object]]:
    """Rewrite every source-year with new files (and ``min_files`` live files) as its
    deduplicated current rows; remove files replaced longer than the retention ago."""
    rows = [asdict(result) for result in compact_warehouse(warehouse_root(warehouse), min_files)]
    create_table_artifact(
        table=rows or [{"table": "-", "partition": "nothing to compact"}],
        key="compact-report",
        description="exnews compact: files and bytes per partition, before and after",
    )
    return rows
