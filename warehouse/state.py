"""Incremental state, derived from the warehouse itself so it cannot drift."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.layout import table_files
from warehouse.schemas import TABLES


def _read_files(connection: duckdb.DuckDBPyConnection, paths: list[Path]) -> str:
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
    return f"read_parquet([{listed}], union_by_name = true)"


def newest_published_at(root: Path, source: str) -> datetime | None:
    """The newest ``published_at`` stored for ``source``: where the next ingest resumes."""
    files = table_files(root, TABLES["articles"], source)
    if not files:
        return None
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    row = connection.execute(
        f"SELECT max(published_at) FROM {_read_files(connection, files)}"
    ).fetchone()
    return row[0] if row else None


def processed_payloads(root: Path, source: str) -> set[str]:
    """Hashes of payloads already stored by a run that finished, which need no new work.

    Pages of a run that crashed before its ``runs`` row are fetched and processed again.
    """
    pages = table_files(root, TABLES["raw_pages"], source)
    runs = table_files(root, TABLES["runs"])
    if not pages or not runs:
        return set()
    connection = duckdb.connect()
    rows = connection.execute(
        f"""
        SELECT DISTINCT p.sha256 FROM {_read_files(connection, pages)} AS p
        SEMI JOIN {_read_files(connection, runs)} AS r ON p.run_id = r.run_id
        """
    ).fetchall()
    return {sha for (sha,) in rows}
