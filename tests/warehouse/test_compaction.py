"""Compaction: fewer files, the same rows, and no reader ever sees fewer rows."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse import connect
from warehouse.compaction import compact
from warehouse.layout import table_files
from warehouse.schemas import TABLES
from warehouse.writer import write_rows


def fill(root: Path, files: int) -> None:
    for number in range(files):
        write_rows(root, TABLES["articles"], [{
            "article_id": f"a{number}", "source": "binance", "content_hash": "h",
            "title": f"Article {number}", "published_at": datetime(2026, 10, 5, tzinfo=UTC),
            "fetched_at": datetime(2026, 10, 5, tzinfo=UTC),
        }])  # fmt: skip


def test_a_partition_becomes_one_file_with_every_row(warehouse: Path):
    fill(warehouse, 30)
    before = connect(warehouse).execute("select * from articles order by article_id").fetchall()
    (result,) = compact(warehouse)
    assert (result.table, result.partition) == ("articles", "source=binance/month=2026-10")
    assert (result.files_before, result.files_after, result.rows) == (30, 1, 30)
    assert result.bytes_after < result.bytes_before
    # The replaced files stay until the retention has passed: running queries keep them.
    assert len(table_files(warehouse, TABLES["articles"])) == 31
    assert connect(warehouse).execute("select * from articles order by article_id").fetchall() == (
        before
    )
    later = datetime.now(UTC) + timedelta(hours=1)
    (vacuum,) = compact(warehouse, now=later)
    assert (vacuum.files_removed, vacuum.files_after) == (30, 1)
    assert len(table_files(warehouse, TABLES["articles"])) == 1
    after = connect(warehouse).execute("select * from articles order by article_id").fetchall()
    assert after == before
    assert compact(warehouse, now=later) == []  # one live file: nothing to do


def test_queries_during_compaction_never_see_fewer_rows(warehouse: Path):
    fill(warehouse, 60)
    counts: list[int] = []
    failures: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                counts.append(
                    connect(warehouse).execute("select count(*) from articles").fetchone()[0]
                )
            except Exception as error:  # a vanished file would surface here
                failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        compact(warehouse)
    finally:
        done.set()
        reader.join()
    assert not failures
    assert counts and min(counts) == 60


def test_temporary_files_of_killed_writers_go_after_the_retention(warehouse: Path):
    """A writer killed mid-file leaves a temporary file nothing else will ever remove."""
    fill(warehouse, 1)
    partition = warehouse / "articles" / "source=binance" / "month=2026-10"
    abandoned, being_written = partition / ".part-a.parquet.tmp", partition / ".part-b.parquet.tmp"
    for path in (abandoned, being_written):
        path.write_bytes(b"PAR1 half a file")
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    os.utime(abandoned, (hour_ago, hour_ago))
    compact(warehouse)
    assert (abandoned.exists(), being_written.exists()) == (False, True)
