"""``exnews.duckdb``: the warehouse views for any DuckDB client, from any directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from warehouse import catalog, connect
from warehouse.compaction import compact
from warehouse.schemas import TABLES
from warehouse.writer import write_rows

FETCHED = datetime(2026, 11, 1, 12, tzinfo=UTC)
VIEWS = ("articles", "article_versions", "comments", "mentions", "raw_pages", "runs", "quarantine")

# A fresh process, started elsewhere, that knows nothing of exnews: only duckdb.
READER = textwrap.dedent(
    """
    import json, sys
    import duckdb

    connection = duckdb.connect(sys.argv[1], read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    for statement in sys.argv[3:]:
        connection.execute(statement)
    rows = connection.execute(sys.argv[2]).fetchall()
    print(json.dumps(rows, default=str))
    """
)


def read_catalog(path: Path, query: str, *statements: str, cwd: Path) -> list:
    result = subprocess.run(
        [sys.executable, "-c", READER, str(path), query, *statements],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def land(root: Path, count: int, fetched: datetime = FETCHED) -> None:
    write_rows(root, TABLES["articles"], [{
        "article_id": f"a{n}", "source": ("binance", "okx")[n % 2], "title": f"Notice {n}",
        "content_hash": f"h{n}-{fetched:%H}", "published_at": FETCHED - timedelta(days=n * 20),
        "fetched_at": fetched,
    } for n in range(count)])  # fmt: skip


SAMPLE = "select article_id, source, title, published_at from articles order by article_id"


def as_rows(rows: list) -> list[list[str]]:
    return [[str(value) for value in row] for row in rows]


def test_a_fresh_process_elsewhere_sees_the_same_rows_as_connect(warehouse: Path, tmp_path: Path):
    land(warehouse, 8)
    land(warehouse, 4, FETCHED + timedelta(hours=1))  # newer versions of a0..a3
    path = catalog.refresh(warehouse)
    assert path == warehouse.resolve() / "exnews.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    expected = connect(warehouse)
    for view in VIEWS:
        query = f"select count(*) from {view}"
        (count,) = expected.execute(query).fetchone()
        assert read_catalog(path, query, cwd=elsewhere) == [[count]]
    assert read_catalog(path, SAMPLE, cwd=elsewhere) == as_rows(expected.execute(SAMPLE).fetchall())


def test_files_landing_after_a_refresh_are_seen_at_once(warehouse: Path):
    land(warehouse, 2)
    path = catalog.refresh(warehouse)
    land(warehouse, 5, FETCHED + timedelta(hours=1))  # new partitions too
    assert read_catalog(path, "select count(*) from articles", cwd=warehouse) == [[5]]


def test_an_empty_warehouse_has_every_view_empty(warehouse: Path, tmp_path: Path):
    path = catalog.refresh(warehouse)
    union = " union all ".join(f"select count(*) from {view}" for view in VIEWS)
    assert read_catalog(path, f"select sum(c) from ({union}) as t(c)", cwd=tmp_path) == [[0]]
    columns = read_catalog(path, "select * from articles limit 0", cwd=tmp_path)
    assert columns == []


def test_a_moved_warehouse_answers_once_told_where_it_is(warehouse: Path, tmp_path: Path):
    land(warehouse, 3)
    catalog.refresh(warehouse)
    moved = tmp_path / "moved"
    shutil.move(warehouse, moved)
    path = moved / "exnews.duckdb"
    point = f"SET VARIABLE exnews_warehouse = '{moved}'"
    assert read_catalog(path, "select count(*) from articles", point, cwd=tmp_path) == [[3]]
    relative = "SET VARIABLE exnews_warehouse = '.'"  # or from inside it, wherever it is mounted
    assert read_catalog(path, "select count(*) from articles", relative, cwd=moved) == [[3]]
    with pytest.raises(AssertionError, match="No files found"):
        read_catalog(path, "select count(*) from articles", cwd=tmp_path)


def test_a_refresh_replaces_the_file_whole_and_leaves_no_temporary(warehouse: Path):
    land(warehouse, 2)
    path = catalog.refresh(warehouse)
    reader = duckdb.connect(str(path), read_only=True)
    compact(warehouse)
    catalog.refresh(warehouse)
    # the old file, still whole for whoever had it open
    assert reader.execute("select count(*) from articles").fetchone() == (2,)
    assert [p.name for p in warehouse.iterdir() if p.name.startswith(".")] == []
    fresh = duckdb.connect(str(path), read_only=True)
    assert fresh.execute("select count(*) from articles").fetchone() == (2,)
