"""Stream stored raw pages back out, in bounded batches, for transform and reprocess."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from warehouse.schemas import TABLES
from warehouse.storage import Location
from warehouse.views import live_files, months_from, read_files, utc_connection


def iter_raw_pages(
    root: Location,
    source: str,
    *,
    run_id: str | None = None,
    fetched_before: datetime | None = None,
    fetched_since: datetime | None = None,
    batch_rows: int = 256,
) -> Iterator[dict[str, Any]]:
    """Raw pages of ``source`` (of one run when given), one by one.

    Detail pages come before list pages: a list entry then only fills what its detail
    did not give, instead of landing first as a version of its own. ``fetched_since``
    (a run's start) bounds the read to the month partitions from then on.
    """
    when = months_from(fetched_since) if fetched_since else None
    files = live_files(root, TABLES["raw_pages"], source, when).latest
    if not files:
        return
    connection = utc_connection(root)
    conditions: list[str] = []
    parameters: list[object] = []
    if fetched_since is not None:
        conditions.append("fetched_at >= ?")
        parameters.append(fetched_since)
    if run_id is not None:
        conditions.append("run_id = ?")
        parameters.append(run_id)
    if fetched_before is not None:
        conditions.append("fetched_at < ?")
        parameters.append(fetched_before)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    reader = connection.sql(
        f"""
        SELECT * EXCLUDE (headers) FROM {read_files(files)} {where}
        QUALIFY row_number() OVER (PARTITION BY raw_id ORDER BY fetched_at) = 1
        ORDER BY page_kind = 'list', fetched_at, raw_id
        """,
        params=parameters,
    ).to_arrow_reader(batch_rows)
    for batch in reader:
        yield from batch.to_pylist()
