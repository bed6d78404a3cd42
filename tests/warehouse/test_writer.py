"""Writes are atomic: a reader never sees a partial file, whatever happens to the writer."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyarrow.parquet as pq
import pytest

from warehouse import connect
from warehouse.layout import table_files
from warehouse.schemas import TABLES
from warehouse.writer import BatchWriter, WarehouseWriteError, write_atomic, write_rows

SPEC = TABLES["quarantine"]


def row(number: int, month: int = 10) -> dict:
    return {
        "quarantine_id": f"q{number}",
        "source": "binance",
        "stage": "fetch",
        "error": "x" * 200,
        "failed_at": datetime(2026, month, 1, tzinfo=UTC),
    }


def test_rows_land_in_source_and_month_partitions(warehouse: Path):
    written = write_rows(warehouse, SPEC, [row(1, 10), row(2, 11), row(3, 11)])
    assert sorted(p.parent.relative_to(warehouse).as_posix() for p in written) == [
        "quarantine/source=binance/month=2026-10",
        "quarantine/source=binance/month=2026-11",
    ]
    assert connect(warehouse).execute("select count(*) from quarantine").fetchone()[0] == 3
    assert pq.read_metadata(written[0]).row_group(0).column(0).compression == "ZSTD"


def test_batch_writer_bounds_each_file(warehouse: Path):
    with BatchWriter(warehouse, SPEC, max_rows=10) as writer:
        for number in range(25):
            writer.add(row(number))
    sizes = sorted(pq.read_metadata(p).num_rows for p in table_files(warehouse, SPEC))
    assert sizes == [5, 10, 10]


def test_a_writer_killed_mid_batch_leaves_no_unreadable_file(warehouse: Path):
    """SIGKILL a process that writes large batches in a loop, then read every file."""
    script = textwrap.dedent(
        f"""
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from warehouse.schemas import TABLES
        from warehouse.writer import write_rows
        rows = [{{"quarantine_id": f"q{{i}}", "source": "binance", "stage": "fetch",
                  "error": "x" * 2000, "failed_at": datetime(2026, 10, 1, tzinfo=UTC)}}
                for i in range(100_000)]
        print("ready", flush=True)
        while True:
            write_rows(Path({str(warehouse)!r}), TABLES["quarantine"], rows)
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
    partition = warehouse / "quarantine" / "source=binance" / "month=2026-10"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill while a temporary file is being written
        if partition.is_dir() and any(p.name.endswith(".tmp") for p in partition.iterdir()):
            break
        time.sleep(0.005)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    leftovers = [p for p in partition.iterdir() if p.name.endswith(".tmp")]
    assert leftovers, "the writer was not killed mid-write; the test proved nothing"
    committed = table_files(warehouse, SPEC)
    for path in committed:
        assert pq.read_metadata(path).num_rows == 100_000
    count = connect(warehouse).execute("select count(*) from quarantine").fetchone()[0]
    assert count == (100_000 if committed else 0)  # views dedupe the repeated ids


def test_a_refused_write_leaves_nothing_and_says_why(warehouse: Path):
    """The disk refusing mid-file (full, read-only) must not leave the half-written file."""

    def half_then_full(handle: IO[bytes]) -> None:
        handle.write(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    partition = warehouse / "quarantine" / "month=2026-10"
    with pytest.raises(WarehouseWriteError) as refused:
        write_atomic(partition / "part-x.parquet", half_then_full)
    assert refused.value.errno == errno.ENOSPC
    assert str(partition) in str(refused.value) and "No space left" in str(refused.value)
    assert list(partition.iterdir()) == []
